import Compression
import ModelFormats

/// One tensor the estimate quantizes: its index in `Model.tensors` and the shape of its scales.
public struct SizedTensor: Sendable, Hashable {
    public var index: Int
    /// [] per tensor, [C] per channel, the blocked shape per block.
    public var scaleDims: [Int]
    /// Per block: the DequantizeLinear's block_size.
    public var blockSize: Int?

    public init(index: Int, scaleDims: [Int], blockSize: Int? = nil) {
        self.index = index
        self.scaleDims = scaleDims
        self.blockSize = blockSize
    }
}

/// The size model of an ONNX artifact: what a conversion adds around the engine's codes and scales.
public enum ONNXArtifactSize {
    /// The bytes an integer conversion of `tensors` adds to the ONNX file beyond what the engine sizes (codes,
    /// float32 scales, zero points of asymmetric and unsigned schemes): the stored tensors' longer names, the
    /// scale and zero-point initializers' headers (and the zero points the engine leaves out: the converter
    /// writes them for every scheme), the DequantizeLinear nodes, or with `dynamic` the nodes that replace
    /// each MatMul / Gemm / Conv. Built with the converter's own encoders and names, so an estimate plus this
    /// is the artifact's size (to the few bytes of length prefixes that grow).
    public static func structureBytes(model: Model, tensors: [SizedTensor], scheme: QuantizationScheme, dynamic: Bool)
        -> Int
    {
        guard model.format == .onnx, scheme.type.isInteger else { return 0 }
        var names = NameTable(model)
        var total = 0
        var integer: [IntegerWeight] = []
        let engineStoresZero = !scheme.symmetric || !scheme.type.isSigned
        for s in tensors where s.index >= 0 && s.index < model.tensors.count {
            let t = model.tensors[s.index]
            let stored = names.fresh("\(t.name)_quantized")
            let scale = names.fresh("\(t.name)_scale")
            let zero = names.fresh("\(t.name)_zero_point")
            total += stored.utf8.count - t.name.utf8.count
            let form = dynamic ? IntegerRewrite.integerForm(model, t, scheme: scheme).0 : nil
            // What the engine counted (its scheme's groups), and what is written: a dynamically quantized
            // Gather table has one scale and zero point (quantize_dynamic's form).
            let counted = max(s.scaleDims.reduce(1, *), 1)
            let dims = form == .gather ? [] : s.scaleDims
            let groups = max(dims.reduce(1, *), 1)
            let zeroBytes = (groups * scheme.type.bits + 7) / 8
            total += fieldSize(ONNXEncode.tensor(name: scale, dataType: 1, dims: dims, raw: []).count + 4 * groups)
                - 4 * counted
            total += fieldSize(ONNXEncode.tensor(name: zero, dataType: 3, dims: dims, raw: []).count + zeroBytes)
                - (engineStoresZero ? (counted * scheme.type.bits + 7) / 8 : 0)
            if let form {
                integer.append(IntegerWeight(tensor: s.index, form: form, codes: stored, scale: scale, zeroPoint: zero,
                                             rank: t.shape.count))
                continue
            }
            var attributes: [(String, Int64)] = dims.isEmpty ? [] : [("axis", 0)]
            if let b = s.blockSize { attributes.append(("block_size", Int64(b))) }
            total += fieldSize(ONNXEncode.node(opType: "DequantizeLinear", name: names.fresh("\(t.name)_DequantizeLinear"),
                                               inputs: [stored, scale, zero], outputs: [t.name],
                                               intAttributes: attributes).count)
        }
        guard !integer.isEmpty, let edits = try? IntegerRewrite.integerNodes(model, integer, names: &names) else { return total }
        var nodes: [Int: Node] = [:]
        for g in model.graphs {
            for n in g.nodes { if let r = n.sourceRange { nodes[r.lowerBound] = n } }
        }
        for (offset, e) in edits {
            guard let n = nodes[offset], let range = n.sourceRange else { continue }
            let original = fieldSize(range.count)
            let bare = fieldSize(ONNXEncode.node(opType: n.opType, name: n.name, inputs: n.inputs, outputs: n.outputs,
                                                 intAttributes: []).count)
            var added = e.initializers.reduce(0) { $0 + fieldSize($1.count) } + e.nodes.reduce(0) { $0 + fieldSize($1.count) }
            if e.copyAttributesInto != nil { added += max(original - bare, 0) }  // Conv's attributes, copied
            total += added - original
        }
        return total
    }

    /// A length-delimited field of a one-byte tag: tag, length varint, payload.
    public static func fieldSize(_ payload: Int) -> Int {
        var n = 1, v = payload
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return 1 + n + payload
    }
}
