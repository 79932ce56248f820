import Compression
import ModelFormats

/// onnxruntime's `quantize_dynamic` form, shared by the converter (which writes it) and the size model (which
/// encodes the same nodes to count their bytes).
public enum IntegerRewrite {}

/// The integer operator a dynamically quantized weight's consumers become.
public enum IntegerForm: String, Sendable {
    case matMul
    /// Gemm (transA 0, alpha 1, beta 1) read as MatMul + Add of C, as quantize_dynamic rewrites it.
    case gemm
    /// The same with transB 1: the codes are stored transposed.
    case gemmTransposed
    case conv
    /// An embedding table: Gather on the uint8 codes, DequantizeLinear on the gathered rows.
    case gather

    public var operatorType: String {
        switch self {
        case .conv: return "ConvInteger"
        case .gather: return "Gather"
        case .matMul, .gemm, .gemmTransposed: return "MatMulInteger"
        }
    }
}

/// A weight written as codes + scale + zero point, read directly by integer operators.
public struct IntegerWeight: Sendable {
    public var tensor: Int
    public var form: IntegerForm
    public var codes: String
    public var scale: String
    public var zeroPoint: String
    public var rank: Int

    public init(tensor: Int, form: IntegerForm, codes: String, scale: String, zeroPoint: String, rank: Int) {
        self.tensor = tensor
        self.form = form
        self.codes = codes
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.rank = rank
    }
}

extension IntegerRewrite {
    /// Whether every consumer of `t` can read it as an integer operator, or why it stays weight-only
    /// (DequantizeLinear). The limits are onnxruntime's CPU kernels (1.23): MatMulInteger takes int8 or uint8
    /// B with a scalar or per-column zero point; ConvInteger takes uint8 weights with one zero point only
    /// (`quantize_dynamic` writes int8 ConvInteger weights that onnxruntime then refuses to load).
    public static func integerForm(_ model: Model, _ t: ConstantTensor, scheme: QuantizationScheme)
        -> (IntegerForm?, String)
    {
        if isGatherData(model, t) { return (.gather, "") }
        var ops: [String] = []
        var transB = Set<Bool>()
        for c in t.consumers {
            guard c.graph < model.graphs.count, c.node < model.graphs[c.graph].nodes.count else {
                return (nil, "a consumer is missing; kept weight-only (DequantizeLinear)")
            }
            let n = model.graphs[c.graph].nodes[c.node]
            let standard = n.domain.isEmpty || n.domain == "ai.onnx"
            guard standard, c.inputIndex == 1, n.inputs.count >= 2, let a = n.inputs.first, !a.isEmpty,
                  let y = n.outputs.first, !y.isEmpty, n.sourceRange != nil
            else {
                ops.append("\(n.opType) (input \(c.inputIndex))")
                continue
            }
            if n.opType == "Gemm" {
                // Only the plain product (+ C) is a MatMul: other alphas, betas or a transposed A are not.
                let plain = (n.attributes["transA"] ?? .int(0)) == .int(0) && (n.attributes["alpha"] ?? .float(1)) == .float(1)
                    && (n.attributes["beta"] ?? .float(1)) == .float(1)
                ops.append(plain ? "Gemm" : "Gemm (transA, alpha or beta)")
                transB.insert(n.attributes["transB"] == .int(1))
                continue
            }
            ops.append(n.opType)
        }
        guard !ops.isEmpty else { return (nil, "no consumer; kept weight-only (DequantizeLinear)") }
        if ops.allSatisfy({ $0 == "MatMul" }) {
            guard t.shape.count == 2 else {
                return (nil, "MatMulInteger takes a per-column zero point for a 2-D weight only; this rank-\(t.shape.count) weight stays weight-only (DequantizeLinear)")
            }
            return (.matMul, "")
        }
        if ops.allSatisfy({ $0 == "Gemm" }), t.shape.count == 2, transB.count == 1 {
            return (transB.contains(true) ? .gemmTransposed : .gemm, "")
        }
        if ops.allSatisfy({ $0 == "Conv" }) {
            guard scheme.type == .uint8, scheme.granularity == .perTensor else {
                return (nil, "onnxruntime's ConvInteger takes uint8 weights with one zero point per tensor (not \(scheme.label)); this Conv weight stays weight-only (DequantizeLinear)")
            }
            return (.conv, "")
        }
        return (nil, "read by \(Set(ops).sorted().joined(separator: ", ")), not only as a MatMul or Conv weight; kept weight-only (DequantizeLinear)")
    }

    /// The nodes that replace each consumer of an integer weight, as `quantize_dynamic` writes them:
    /// `DynamicQuantizeLinear(A)` (once per activation and graph, before its first reader) →
    /// `MatMulInteger | ConvInteger(A_q, W_q, A_zp, W_zp)` → `Cast(to=FLOAT)` → `Mul` by `A_scale · W_scale`
    /// (→ `Add` of Conv's bias, reshaped to [1, C, 1, …]) producing the node's original output.
    public static func integerNodes(_ model: Model, _ weights: [IntegerWeight], names: inout NameTable)
        throws(LayoutError) -> [Int: NodeEdit]
    {
        struct Use { var graph: Int; var node: Int; var weight: IntegerWeight }
        var uses: [Use] = []
        for w in weights {
            for c in model.tensors[w.tensor].consumers { uses.append(Use(graph: c.graph, node: c.node, weight: w)) }
        }
        // Node order within each graph, so the first reader of an activation quantizes it for the others (and a
        // Gather's codes come before their readers).
        uses.sort { ($0.graph, $0.node) < ($1.graph, $1.node) }
        struct Quantized { var values: String; var scale: String; var zeroPoint: String }
        var quantized: [String: Quantized] = [:]  // "graph/activation"
        var out: [Int: NodeEdit] = [:]
        for u in uses {
            let n = model.graphs[u.graph].nodes[u.node]
            guard let offset = n.sourceRange?.lowerBound, let a = n.inputs.first, let y = n.outputs.first else {
                throw LayoutError("internal error: node \(n.name) cannot be rewritten")
            }
            guard out[offset] == nil else {
                throw LayoutError("internal error: node \(n.name) reads two integer weights")
            }
            let base = n.name.isEmpty ? y : n.name
            var nodes: [[UInt8]] = []
            var initializers: [[UInt8]] = []
            if u.weight.form == .gather {
                // Gather (its attributes copied) on the codes, then only the gathered rows are dequantized.
                let rows = names.fresh("\(y)_quantized")
                let indices = n.inputs.count > 1 ? n.inputs[1] : ""
                nodes.append(ONNXEncode.node(opType: "Gather", name: names.fresh("\(base)_quant"),
                                             inputs: [u.weight.codes, indices], outputs: [rows], intAttributes: []))
                nodes.append(ONNXEncode.node(opType: "DequantizeLinear", name: names.fresh("\(y)_DequantizeLinear"),
                                             inputs: [rows, u.weight.scale, u.weight.zeroPoint], outputs: [y],
                                             intAttributes: []))
                out[offset] = NodeEdit(initializers: [], nodes: nodes, copyAttributesInto: 0)
                // Integer readers of the rows take the gathered codes as they are: quantizing the dequantized
                // rows again would round them twice (quantize_dynamic does the same).
                quantized["\(u.graph)/\(y)"] = Quantized(values: rows, scale: u.weight.scale, zeroPoint: u.weight.zeroPoint)
                continue
            }
            let key = "\(u.graph)/\(a)"
            let aq: Quantized
            if let q = quantized[key] {
                aq = q
            } else {
                aq = Quantized(values: names.fresh("\(a)_quantized"), scale: names.fresh("\(a)_scale"),
                               zeroPoint: names.fresh("\(a)_zero_point"))
                quantized[key] = aq
                nodes.append(ONNXEncode.node(opType: "DynamicQuantizeLinear", name: names.fresh("\(a)_QuantizeLinear"),
                                             inputs: [a], outputs: [aq.values, aq.scale, aq.zeroPoint], intAttributes: []))
            }
            let w = u.weight
            let scales = names.fresh("\(base)_quant_scales_mul:0")
            nodes.append(ONNXEncode.node(opType: "Mul", name: names.fresh("\(base)_quant_scales_mul"),
                                         inputs: [aq.scale, w.scale], outputs: [scales], intAttributes: []))
            let integer = names.fresh("\(y)_output_quantized")
            let integerIndex = nodes.count
            nodes.append(ONNXEncode.node(opType: w.form.operatorType, name: names.fresh("\(base)_quant"),
                                         inputs: [aq.values, w.codes, aq.zeroPoint, w.zeroPoint], outputs: [integer],
                                         intAttributes: []))
            let cast = names.fresh("\(y)_output_quantized_cast_output")
            nodes.append(ONNXEncode.node(opType: "Cast", name: names.fresh("\(y)_output_quantized_cast"),
                                         inputs: [integer], outputs: [cast], intAttributes: [("to", 1)]))
            let bias = w.form != .matMul && n.inputs.count > 2 ? n.inputs[2] : ""
            if bias.isEmpty {
                nodes.append(ONNXEncode.node(opType: "Mul", name: names.fresh("\(base)_quant_output_scale_mul"),
                                             inputs: [cast, scales], outputs: [y], intAttributes: []))
            } else if w.form != .conv {
                // Gemm's C: broadcast to [M, N] by Add as by Gemm.
                let scaled = names.fresh("\(y)_quant_scaled_output")
                nodes.append(ONNXEncode.node(opType: "Mul", name: names.fresh("\(base)_quant_output_scale_mul"),
                                             inputs: [cast, scales], outputs: [scaled], intAttributes: []))
                nodes.append(ONNXEncode.node(opType: "Add", name: names.fresh("\(base)_bias_add"),
                                             inputs: [scaled, bias], outputs: [y], intAttributes: []))
            } else {
                let scaled = names.fresh("\(y)_quant_scaled_output")
                nodes.append(ONNXEncode.node(opType: "Mul", name: names.fresh("\(base)_quant_output_scale_mul"),
                                             inputs: [cast, scales], outputs: [scaled], intAttributes: []))
                // The bias [C] broadcast over [N, C, spatial…]: reshaped to [1, C, 1, …] (rank of the weight).
                let shape = names.fresh("\(y)_bias_reshape_shape")
                let shapeValues = [Int64(1), -1] + Array(repeating: Int64(1), count: max(w.rank - 2, 0))
                initializers.append(ONNXEncode.tensor(name: shape, dataType: 7, dims: [shapeValues.count],
                                                      raw: shapeValues.flatMap(int64LE)))
                let reshaped = names.fresh("\(y)_bias_reshape_output")
                nodes.append(ONNXEncode.node(opType: "Reshape", name: names.fresh("\(base)_bias_reshape"),
                                             inputs: [bias, shape], outputs: [reshaped], intAttributes: []))
                nodes.append(ONNXEncode.node(opType: "Add", name: names.fresh("\(base)_bias_add"),
                                             inputs: [scaled, reshaped], outputs: [y], intAttributes: []))
            }
            out[offset] = NodeEdit(initializers: initializers, nodes: nodes,
                                   copyAttributesInto: w.form == .conv ? integerIndex : nil)
        }
        return out
    }

    /// The scheme `quantize_dynamic` gives a Gather's data: uint8 asymmetric over 8 bits, one scale (a
    /// DequantizeLinear of the gathered rows cannot take the table's per-row scales).
    public static func dynamicGatherScheme(_ s: QuantizationScheme) -> QuantizationScheme {
        QuantizationScheme(.uint8, symmetric: false, granularity: .perTensor, reduceRange: false)
    }

    /// True when every consumer reads the tensor as a Gather's data (an embedding table).
    public static func isGatherData(_ model: Model, _ t: ConstantTensor) -> Bool {
        !t.consumers.isEmpty && t.consumers.allSatisfy { c in
            c.inputIndex == 0 && c.graph < model.graphs.count && c.node < model.graphs[c.graph].nodes.count
                && model.graphs[c.graph].nodes[c.node].opType == "Gather"
                && ["", "ai.onnx"].contains(model.graphs[c.graph].nodes[c.node].domain)
                && model.graphs[c.graph].nodes[c.node].inputs.count == 2
                && model.graphs[c.graph].nodes[c.node].sourceRange != nil
        }
    }


    public static func int64LE(_ v: Int64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * UInt64($0))) }
    }
}
