/// The codes a scheme stores for a tensor, computed with the same group layout, scales and rounding as the
/// statistics (`Scales.params`, round half to even in float64): a converter that writes these codes writes
/// exactly the model whose error `CompressionEngine.analyze` reports.
public struct QuantizedWeights: Sendable, Hashable {
    /// One code per element, in the tensor's order, within the type's code range.
    public var codes: [Int32]
    /// One per group, in the layout ONNX DequantizeLinear expects (per-channel: along `axis`; per-block:
    /// the tensor's shape with `axis` divided into blocks). Float32 as stored; exact groups (all zero) get 1.
    public var scales: [Float]
    public var zeroPoints: [Int32]
    /// The axis groups are taken along (nil per tensor).
    public var axis: Int?
    /// The shape of `scales` and `zeroPoints` (empty per tensor, [C] per channel, blocked shape per block).
    public var scaleShape: [Int]
}

public enum WeightQuantizer {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case notInteger(QuantizationType)
        case shapeMismatch(expected: Int?, values: Int)
        case nonFinite(count: Int)
        case axisOutOfRange(Int, rank: Int)

        public var description: String {
            switch self {
            case .notInteger(let t): return "\(t.rawValue) is not an integer type"
            case .shapeMismatch(let e, let v): return "the shape implies \(e.map(String.init) ?? "an overflowing count of") values, not \(v)"
            case .nonFinite(let n): return "\(n) values are not finite (NaN or infinity)"
            case .axisOutOfRange(let a, let r): return "axis \(a) is out of range for rank \(r)"
            }
        }
    }

    /// Quantizes `values` (row-major, `shape`) with `scheme`; `axis` is the channel axis per channel and the
    /// reduction (blocking) axis per block, ignored per tensor.
    public static func quantize(
        _ values: UnsafeBufferPointer<Float>, shape: [Int], scheme: QuantizationScheme, axis: Int
    ) throws(Failure) -> QuantizedWeights {
        var codes = [Int32](repeating: 0, count: values.count)
        var q = try codes.withUnsafeMutableBufferPointer { out throws(Failure) in
            try quantize(values, shape: shape, scheme: scheme, axis: axis, codes: out)
        }
        q.codes = codes
        return q
    }

    /// As `quantize`, writing each code's low byte into `out` (one per value): the bytes an 8-bit tensor
    /// stores, without a 4-byte code per value in between. The returned `codes` is empty.
    public static func quantize(
        _ values: UnsafeBufferPointer<Float>, shape: [Int], scheme: QuantizationScheme, axis: Int,
        into out: UnsafeMutableBufferPointer<UInt8>
    ) throws(Failure) -> QuantizedWeights {
        try quantize(values, shape: shape, scheme: scheme, axis: axis, codes: out)
    }

    /// Specialised within the module for each code type (a generic call across modules would not be).
    static func quantize<Code: FixedWidthInteger & SIMDScalar>(
        _ values: UnsafeBufferPointer<Float>, shape: [Int], scheme: QuantizationScheme, axis: Int,
        codes out: UnsafeMutableBufferPointer<Code>
    ) throws(Failure) -> QuantizedWeights {
        guard scheme.type.isInteger else { throw .notInteger(scheme.type) }
        let t = WeightTensor(name: "", shape: shape, values: .array([]))
        guard let n = t.shapeElementCount, n == values.count, out.count == n else {
            throw .shapeMismatch(expected: t.shapeElementCount, values: values.count)
        }
        let dims = shape.isEmpty ? [1] : shape
        guard axis >= 0, axis < dims.count else { throw .axisOutOfRange(axis, rank: shape.count) }

        let layout = GroupLayout.make(shape: dims, granularity: scheme.granularity, axis: axis)
        var mins = [Float](repeating: .infinity, count: layout.groupCount)
        var maxs = [Float](repeating: -.infinity, count: layout.groupCount)
        guard QuantizeKernels.ranges(values, layout: layout, mins: &mins, maxs: &maxs) else {
            var nonFinite = 0
            for x in values where !x.isFinite { nonFinite += 1 }
            throw .nonFinite(count: nonFinite)
        }
        let p = Scales.params(scheme, mins: mins[...], maxs: maxs[...])
        QuantizeKernels.codes(values, layout: layout, params: p, into: out)
        let scales = p.smul.indices.map { g in p.keep[g] == 1 ? Float(1) : Float(p.smul[g]) }
        let zeros = p.zero.map { Int32($0) }
        let scaleShape: [Int]
        var outAxis: Int? = axis
        switch scheme.granularity {
        case .perTensor:
            scaleShape = []
            outAxis = nil
        case .perChannel:
            scaleShape = [dims[axis]]
        case .perBlock(let b):
            var s = dims
            s[axis] = (dims[axis] + max(b, 1) - 1) / max(b, 1)
            scaleShape = s
        }
        return QuantizedWeights(codes: [], scales: scales, zeroPoints: zeros, axis: outAxis, scaleShape: scaleShape)
    }
}
