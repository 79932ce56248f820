import Compression
import Manifest

/// What the user asks of the weights: one quantization and at most one pruning criterion.
public enum PruneSetting: Sendable, Hashable {
    /// Zero this fraction of values, smallest magnitudes first.
    case sparsity(Double)
    /// Zero every |x| below this value.
    case threshold(Float)
    /// N:M structured sparsity along the reduction axis (N zeros in every M).
    case pattern(n: Int, m: Int)
}

/// The settings of one estimate: the CLI's flags, or a target's effective `optimize`.
public struct EstimateSettings: Sendable, Hashable {
    public var weights: QuantizationType
    public var granularity: Compression.Granularity
    public var symmetric: Bool
    public var reduceRange: Bool
    /// Asymmetric only: widen [min, max] to include 0 (the onnxruntime convention, and the default).
    public var widenRangeToZero: Bool
    /// Used for every tensor instead of the consuming operator's output-channel axis.
    public var channelAxis: Int?
    public var pruning: PruneSetting?
    /// Tensors whose names match stay in float (the manifest's `quantize.skip` and `prune.skip`).
    public var skip: [String]
    /// Also measure float constants that no operator reads as a weight (Mul and Add operands, …), as a
    /// weight file's tensors are: the reference cross-check's tensor set.
    public var includeNonWeights: Bool = false
    /// False for a target that prunes without quantizing: the result's size and SQNR are the pruning's.
    public var quantize: Bool = true

    public init(
        weights: QuantizationType = .int8, granularity: Compression.Granularity = .perChannel, symmetric: Bool = true,
        reduceRange: Bool = false, widenRangeToZero: Bool = true, channelAxis: Int? = nil, pruning: PruneSetting? = nil,
        skip: [String] = []
    ) {
        self.weights = weights
        self.granularity = granularity
        self.symmetric = symmetric
        self.reduceRange = reduceRange
        self.widenRangeToZero = widenRangeToZero
        self.channelAxis = channelAxis
        self.pruning = pruning
        self.skip = skip
    }

    /// The target's effective `optimize` (its overrides applied). Nil when the target keeps its weights as
    /// they are (`weights` absent, `none` or `float32`): there is nothing for the engine to estimate, and the
    /// Targets layer's own size estimate stands.
    public init?(target: TargetSpec) {
        self.init(optimize: target.optimize)
    }

    public init?(optimize: OptimizeSpec) {
        let q = optimize.quantize
        if let w = q?.weights?.value, let type = QuantizationType(rawValue: w) {
            weights = type
        } else if optimize.prune?.criterion != nil {
            // Pruning only: the engine still measures a scheme (float16, the cheapest), which the result drops.
            weights = .float16
            quantize = false
        } else {
            return nil
        }
        switch q?.granularity?.value {
        case .perTensor?: granularity = .perTensor
        case .perBlock(let n)?: granularity = .perBlock(size: n)
        // The manifest's default, and what runtimes use for convolution and linear weights.
        case .perChannel?, nil: granularity = .perChannel
        }
        symmetric = q?.symmetric?.value ?? true
        reduceRange = q?.reduceRange?.value ?? false
        widenRangeToZero = true
        channelAxis = q?.channelAxis?.value
        skip = (q?.skip ?? []).map(\.value)
        switch optimize.prune?.criterion?.value {
        case .sparsity(let s)?: pruning = .sparsity(s)
        case .threshold(let t)?: pruning = .threshold(Float(t))
        case .pattern(let n, let m)?: pruning = .pattern(n: n, m: m)
        case nil: pruning = nil
        }
        // Pruning's own skip list keeps tensors dense, not float; one list serves both until the engine
        // measures the two separately.
        for s in optimize.prune?.skip ?? [] where !skip.contains(s.value) { skip.append(s.value) }
    }

    /// The manifest's and the CLI's spelling: `per-tensor`, `per-channel`, `per-block:N` (N ≥ 1).
    public static func granularity(parsing s: String) -> Compression.Granularity? { Compression.Granularity(parsing: s) }

    /// The primary scheme.
    public var scheme: QuantizationScheme {
        QuantizationScheme(weights, symmetric: symmetric, granularity: granularity, reduceRange: reduceRange,
                           widenRangeToZero: widenRangeToZero)
    }

    /// The engine's options: the primary scheme, the comparisons its advice needs, and the pruning question.
    public var options: CompressionOptions {
        let primary = scheme
        var p: PruningOptions?
        switch pruning {
        case .sparsity(let s)?: p = PruningOptions(targetSparsity: s, patterns: [])
        case .threshold(let t)?: p = PruningOptions(targetSparsity: 0.5, threshold: t, patterns: [])
        case .pattern(let n, let m)?:
            p = PruningOptions(targetSparsity: Double(n) / Double(max(m, 1)), patterns: [NMPattern(n, m)])
        case nil: p = nil
        }
        return CompressionOptions(schemes: [primary] + primary.adviceComparisons, pruning: p)
    }

    /// A canonical, versioned spelling for cache keys: equal settings, equal string.
    public var canonical: String {
        var parts = [scheme.label, "axis=\(channelAxis.map(String.init) ?? "auto")"]
        switch pruning {
        case .sparsity(let s)?: parts.append("sparsity=\(s)")
        case .threshold(let t)?: parts.append("threshold=\(t.bitPattern)")
        case .pattern(let n, let m)?: parts.append("pattern=\(n):\(m)")
        case nil: parts.append("prune=none")
        }
        parts.append("skip=" + skip.joined(separator: "\u{1F}"))
        if includeNonWeights { parts.append("non-weights") }
        if !quantize { parts.append("prune-only") }
        return parts.joined(separator: ";")
    }
}
