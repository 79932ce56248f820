/// Whether, and how, a model is already quantized, judged from its operators and the types of its weights.
public struct QuantizationSummary: Sendable, Hashable {
    public var isQuantized: Bool
    /// A short name of the scheme: "QDQ", "QOperator", "dynamic range", "full integer", "float16", "Q4_K", ...
    public var scheme: String?
    /// The share of parameters stored below 16 bits.
    public var lowPrecisionShare: Double
    /// What the judgement rests on, one finding per line.
    public var evidence: [String]
}

extension Model {
    public var quantizationSummary: QuantizationSummary {
        let total = parameterCount
        var low = 0
        var byType: [String: Int] = [:]
        for t in tensors where t.dtype.isLowPrecision && t.sharedWith == nil {
            low &+= t.elementCount
            byType[t.dtype.name, default: 0] &+= t.elementCount
        }
        let share = total > 0 ? Double(low) / Double(total) : 0
        var evidence: [String] = byType.sorted { $0.value > $1.value }.map { "\($0.value) parameters stored as \($0.key)" }
        let ops = operatorHistogram
        func has(_ names: [String]) -> [String] { names.filter { ops[$0] != nil } }
        var scheme: String?
        switch format {
        case .onnx:
            let block = has(["MatMulNBits", "GatherBlockQuantized"])
            let qop = has(["QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger", "QLinearAdd", "QGemm"])
            let qdq = has(["QuantizeLinear", "DequantizeLinear"])
            let dynamic = has(["DynamicQuantizeLinear", "DynamicQuantizeMatMul"])
            if !block.isEmpty {
                scheme = "block-wise (\(block.joined(separator: ", ")))"
            } else if !dynamic.isEmpty {
                scheme = "dynamic"
            } else if !qop.isEmpty {
                scheme = "QOperator"
            } else if !qdq.isEmpty {
                scheme = "QDQ"
            }
            for op in block + dynamic + qop + qdq { evidence.append("\(ops[op] ?? 0) \(op) nodes") }
        case .tflite:
            let quantizedWeights = tensors.filter { $0.quantization != nil && $0.dtype.isLowPrecision }.count
            let integerInputs = inputs.contains { $0.dtype == .int8 || $0.dtype == .uint8 || $0.dtype == .int16 }
            let float16Weights = tensors.contains { $0.dtype == .float16 }
            if quantizedWeights > 0 {
                scheme = integerInputs || ops["QUANTIZE"] != nil ? "full integer" : "dynamic range"
                evidence.append("\(quantizedWeights) weight tensors carry scales and zero points")
            } else if float16Weights, ops["DEQUANTIZE"] != nil {
                scheme = "float16"
                evidence.append("float16 weights dequantized at load")
            }
        case .gguf:
            let blocks = tensors.compactMap { t -> (String, Int)? in
                if case .ggml(let g) = t.dtype { return (g.name, t.elementCount) }
                return nil
            }
            var counts: [String: Int] = [:]
            for (n, e) in blocks { counts[n, default: 0] &+= e }
            if let top = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) { scheme = top.key }
        case .safetensors, .keras, .pytorch:
            if share > 0.5, let top = byType.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
                scheme = "\(top.key) weights"
            }
        }
        if scheme == nil, share > 0.5 { scheme = "low-precision weights" }
        return QuantizationSummary(isQuantized: scheme != nil, scheme: scheme, lowPrecisionShare: share, evidence: evidence)
    }
}
