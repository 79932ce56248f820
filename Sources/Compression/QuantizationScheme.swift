/// Which values share one scale (and zero point).
public enum Granularity: Sendable, Hashable {
    /// One scale for the whole tensor.
    case perTensor
    /// One scale per index of the output-channel axis (the tensor's `channelAxis`).
    case perChannel
    /// One scale per run of `size` consecutive indices along the reduction axis, per all other indices
    /// (ONNX DequantizeLinear `block_size`).
    case perBlock(size: Int)

    /// Reads the command line's and the manifest's spelling: `per-tensor`, `per-channel`, `per-block:N`.
    public init?(parsing s: String) {
        switch s {
        case "per-tensor": self = .perTensor
        case "per-channel": self = .perChannel
        default:
            guard s.hasPrefix("per-block:"), let n = Int(s.dropFirst("per-block:".count)), n > 0 else { return nil }
            self = .perBlock(size: n)
        }
    }

    public var label: String {
        switch self {
        case .perTensor: return "per-tensor"
        case .perChannel: return "per-channel"
        case .perBlock(let n): return "per-block-\(n)"
        }
    }

    /// The granularity and axis a tensor is actually quantized with. A block longer than the reduction
    /// axis would give every element its own scale (a depthwise convolution reduces over an axis of 1),
    /// costing more than the weights save; such a tensor gets per-channel scales instead, and the note says
    /// so. The estimate and the converter both decide through here, so their numbers stay the same.
    public func effective(dims: [Int], channelAxis: Int, reductionAxis: Int) -> (granularity: Granularity, axis: Int, note: String?) {
        switch self {
        case .perTensor: return (self, 0, nil)
        case .perChannel: return (self, channelAxis, nil)
        case .perBlock(let size):
            let length = reductionAxis >= 0 && reductionAxis < dims.count ? dims[reductionAxis] : 0
            if length < size && channelAxis != reductionAxis {
                return (.perChannel, channelAxis,
                        "reduction axis \(reductionAxis) has \(length) value\(length == 1 ? "" : "s"), fewer than the block of \(size); per-channel scales used")
            }
            return (self, reductionAxis, nil)
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
