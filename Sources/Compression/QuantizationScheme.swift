/// Which values share one scale (and zero point).
public enum Granularity: Sendable, Hashable {
    /// One scale for the whole tensor.
    case perTensor
    /// One scale per index of the output-channel axis (the tensor's `channelAxis`).
    case perChannel
    /// One scale per run of `size` consecutive indices along the reduction axis, per all other indices
    /// (ONNX DequantizeLinear `block_size`).
    case perBlock(size: Int)

    public var label: String {
        switch self {
        case .perTensor: return "per-tensor"
        case .perChannel: return "per-channel"
        case .perBlock(let n): return "per-block-\(n)"
        }
    }
}

/// One way of storing a tensor's weights, whose error and size the engine measures.
public struct QuantizationScheme: Sendable, Hashable {
    public var type: QuantizationType
    /// Symmetric: s = max|x| / qmax, zero point fixed. Asymmetric: s = (max − min) / (hi − lo),
    /// z = round(lo − min / s). Ignored by float16 and bfloat16.
    public var symmetric: Bool
    public var granularity: Granularity
    /// The 7-bit option of 8-bit types.
    public var reduceRange: Bool
    /// Asymmetric only: widen [min, max] to include 0 so that 0 is exact and z is within the code range
    /// (the onnxruntime / PyTorch convention). Without it z is not clipped, as in the reference's scheme (c).
    public var widenRangeToZero: Bool

    public init(
        _ type: QuantizationType, symmetric: Bool = true, granularity: Granularity = .perTensor,
        reduceRange: Bool = false, widenRangeToZero: Bool = true
    ) {
        self.type = type
        self.symmetric = symmetric
        self.granularity = type.isInteger ? granularity : .perTensor
        self.reduceRange = reduceRange
        self.widenRangeToZero = widenRangeToZero
    }

    /// A stable, readable name for reports: `int8-sym-per-channel`, `uint8-asym-per-tensor-nowiden`, `float16`.
    public var label: String {
        guard type.isInteger else { return type.rawValue }
        var s = "\(type.rawValue)-\(symmetric ? "sym" : "asym")-\(granularity.label)"
        if reduceRange && type.bits == 8 { s += "-reduce" }
        if !symmetric && !widenRangeToZero { s += "-nowiden" }
        return s
    }
}
