/// Why a tensor is not compressed, or not measured: reported, so nothing is left out silently.
public enum SkipReason: Sendable, Hashable {
    /// Integer (or other non-float) storage; int8/uint8/int4 storage means it is already quantized.
    case notFloat(dtype: String)
    case alreadyQuantized(dtype: String)
    /// Fewer dimensions than the policy's minimum (biases, norms): small and sensitive.
    case rankBelowMinimum(rank: Int, minimum: Int)
    case matchedSkipPattern(String)
    /// No consumer whose weight input it is (e.g. a shape or an index constant).
    case notAWeight
    case empty
    /// Fewer elements than the converter quantizes (TFLite's dynamic-range `min_elements`).
    case belowMinimumElements(elements: Int, minimum: Int)
    case shapeMismatch(shapeElements: Int?, values: Int)
    case readFailed(String)
    /// The same stored bytes as an earlier tensor (tied weights): measured there.
    case sharedStorage(with: String)
    /// Not in the artifact at all: an If branch the manifest's fixed inputs never take, which the converter
    /// removes with its weights (onnx2tf's simplifier inlines the branch taken).
    case untakenBranch

    public var code: String {
        switch self {
        case .notFloat: return "not_float"
        case .alreadyQuantized: return "already_quantized"
        case .rankBelowMinimum: return "rank_below_minimum"
        case .matchedSkipPattern: return "matched_skip_pattern"
        case .notAWeight: return "not_a_weight"
        case .empty: return "empty"
        case .belowMinimumElements: return "below_minimum_elements"
        case .shapeMismatch: return "shape_mismatch"
        case .readFailed: return "read_failed"
        case .sharedStorage: return "shared_storage"
        case .untakenBranch: return "untaken_branch"
        }
    }

    public var message: String {
        switch self {
        case .notFloat(let t): return "stored as \(t), not a float type"
        case .alreadyQuantized(let t): return "already quantized (\(t))"
        case .rankBelowMinimum(let r, let m): return "rank \(r) is below the minimum \(m)"
        case .matchedSkipPattern(let g): return "name matches skip pattern '\(g)'"
        case .notAWeight: return "not the weight input of a compressible operator"
        case .empty: return "no elements"
        case .belowMinimumElements(let e, let m):
            return "\(e) elements, below the TFLite converter's minimum of \(m) for dynamic-range quantization"
        case .shapeMismatch(let s, let v):
            return "shape implies \(s.map(String.init) ?? "an invalid count of") elements but \(v) values were given"
        case .readFailed(let m): return "values could not be read: \(m)"
        case .sharedStorage(let other): return "the same stored bytes as '\(other)' (tied weights): measured once, there"
        case .untakenBranch:
            return "read only in an If branch the manifest's fixed inputs never take: the converter removes it with the branch"
        }
    }
}
