/// Weight types the compression engine estimates. The raw values are the CLI contract.
public enum QuantizationType: String, Sendable, CaseIterable {
    case int8, uint8, int4, uint4, float16, bfloat16

    /// Integer types map values to codes through a scale; the float types are plain casts.
    public var isInteger: Bool { self != .float16 && self != .bfloat16 }
    public var isSigned: Bool { self == .int8 || self == .int4 }
    public var bits: Int {
        switch self {
        case .int8, .uint8: return 8
        case .int4, .uint4: return 4
        case .float16, .bfloat16: return 16
        }
    }

    /// The code range [lo, hi] an asymmetric scheme uses. The 7-bit reduce-range option (for kernels whose
    /// int16 accumulators would otherwise overflow) halves it; it only applies to the 8-bit types.
    func asymmetricRange(reduceRange: Bool) -> (lo: Double, hi: Double) {
        let b = reduceRange && bits == 8 ? bits - 1 : bits
        let levels = Double(1 << b)
        return isSigned ? (-levels / 2, levels / 2 - 1) : (0, levels - 1)
    }

    /// Symmetric schemes use the narrow range (±127 for int8), so that the scale maps max|x| exactly and
    /// the grid is symmetric around the zero point; unsigned types centre it on 128 (8 for 4-bit).
    func symmetricRange(reduceRange: Bool) -> (qmax: Double, zero: Double) {
        let b = reduceRange && bits == 8 ? bits - 1 : bits
        let half = Double(1 << (b - 1))
        return (half - 1, isSigned ? 0 : Double(1 << (bits - 1)))
    }
}
