import Compression
import Manifest

/// Magnitude pruning: which weights are zeroed.
public enum PruningSettings: Sendable, Hashable {
    /// The ⌊s · n⌋ smallest |x| of each tensor (or of all pruned tensors, with the global scope).
    case sparsity(Double)
    /// Every |x| below the threshold.
    case threshold(Float)
    /// In every M consecutive weights along the reduction axis, all but the N largest |x|.
    case pattern(NMPattern)

    public var label: String {
        switch self {
        case .sparsity(let s): return "sparsity \(s)"
        case .threshold(let t): return "threshold \(t)"
        case .pattern(let p): return "pattern \(p)"
        }
    }
}

/// Where a `sparsity` threshold is taken.
public enum PruneScope: String, Sendable, Hashable {
    /// ⌊s · nᵢ⌋ smallest |x| of each tensor.
    case perTensor = "per-tensor"
    /// One threshold, the ⌊s · Σnᵢ⌋-th smallest |x| over every pruned tensor (the engine's model-wide one).
    case global
}

/// A target's effective `optimize`, read once: the converter's settings and the estimate's are both made from
/// this value, so the two can never disagree on what a manifest asks.
public struct PlannedSettings: Sendable, Hashable {
    /// The stored weight type; nil keeps the weights in float (absent, `none`, `float32`, or a name that is
    /// not a type: see `unknownWeights`).
    public var weights: QuantizationType?
    /// The manifest's `weights` when it names no type Slipway writes.
    public var unknownWeights: String?
    /// `none` unless the manifest says otherwise.
    public var activations: String
    /// `quantize.format` as written (qdq, qoperator), nil when absent.
    public var format: String?
    public var granularity: Compression.Granularity
    public var symmetric: Bool
    public var reduceRange: Bool
    public var channelAxis: Int?
    /// Run-time activation quantization (`activations: dynamic`, or `format: qoperator` without static ranges).
    public var dynamic: Bool
    /// `activations: int8` / `uint8`: calibrated, static activation ranges.
    public var staticActivations: Bool
    /// `weights: float16` with `activations: float16`.
    public var float16Compute: Bool
    public var pruning: PruningSettings?
    public var pruneScope: PruneScope
    /// The manifest's `prune.scope` when it is not a scope Slipway prunes with.
    public var unknownPruneScope: String?
    public var skip: [String]
    public var pruneSkip: [String]
    /// The inputs' and outputs' element type (`quantize.io`): float32 unless the manifest asks for int8 or uint8.
    public var io: String

    public init(optimize: OptimizeSpec) {
        let q = optimize.quantize
        activations = q?.activations?.value ?? "none"
        format = q?.format?.value
        dynamic = activations == "dynamic" || (format == "qoperator" && activations == "none")
        staticActivations = activations == "int8" || activations == "uint8"
        if let w = q?.weights?.value, w != "none", w != "float32" {
            weights = QuantizationType(rawValue: w)
            unknownWeights = weights == nil ? w : nil
        } else {
            // Activation quantization without a weight type writes int8 weights (quantize_dynamic's and
            // quantize_static's default).
            weights = dynamic || staticActivations ? .int8 : nil
        }
        float16Compute = activations == "float16" && weights == .float16
        switch q?.granularity?.value {
        case .perTensor?: granularity = .perTensor
        case .perBlock(let n)?: granularity = .perBlock(size: n)
        // The manifest's default, and what runtimes use for convolution and linear weights.
        case .perChannel?, nil: granularity = .perChannel
        }
        symmetric = q?.symmetric?.value ?? true
        reduceRange = q?.reduceRange?.value ?? false
        channelAxis = q?.channelAxis?.value
        skip = (q?.skip ?? []).map(\.value)
        io = q?.io?.value ?? "float32"
        switch optimize.prune?.criterion?.value {
        case .sparsity(let v)?: pruning = .sparsity(v)
        case .threshold(let v)?: pruning = .threshold(Float(v))
        case .pattern(let n, let m)?: pruning = .pattern(NMPattern(n, m))
        case nil: pruning = nil
        }
        pruneScope = .perTensor
        if let scope = optimize.prune?.scope?.value {
            if let s = PruneScope(rawValue: scope == "layer" ? "per-tensor" : scope) { pruneScope = s } else { unknownPruneScope = scope }
        }
        pruneSkip = (optimize.prune?.skip ?? []).map(\.value)
    }

    /// The manifest's spelling of the weights (`none` when they stay float).
    public var weightsName: String { weights?.rawValue ?? unknownWeights ?? "none" }

    /// The scheme the engine measures and the converter writes.
    public var scheme: QuantizationScheme? {
        weights.map { QuantizationScheme($0, symmetric: symmetric, granularity: granularity, reduceRange: reduceRange) }
    }

    /// True when integer arithmetic runs on the quantized weights (dynamic or static activation quantization):
    /// only then does `reduce_range` matter (weight-only quantization dequantizes to float before any matmul).
    public var integerCompute: Bool { (dynamic || staticActivations) && (weights?.isInteger ?? false) }
}
