import Compression
import Manifest
import Planning

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
    /// A manifest's `prune.scope` ("per-tensor", its default, or "global"): which of the engine's sparsity
    /// figures the result reports, so they are those of the converter. Nil (the CLI's flags): the global ones.
    public var pruneScope: String?
    /// Dynamic quantization (`activations: dynamic`, or `format: qoperator` without static activations): the
    /// artifact's size counts the integer operators' nodes instead of DequantizeLinear.
    public var dynamic: Bool = false
    /// Tensors whose names match stay in float (the manifest's `quantize.skip`; the CLI's `--skip`).
    public var skip: [String]
    /// The manifest's `prune.skip`: tensors left dense, measured apart from `skip` (nil: `skip` serves both).
    public var pruneSkip: [String]?
    /// Also measure float constants that no operator reads as a weight (Mul and Add operands, …), as a
    /// weight file's tensors are: the reference cross-check's tensor set.
    public var includeNonWeights: Bool = false
    /// False for a target that prunes without quantizing: the result's size and SQNR are the pruning's.
    public var quantize: Bool = true
    /// Tensors the artifact does not hold (an If branch the converter removes): reported as skipped, never
    /// measured, so the SQNR and the worst tensors are the artifact's.
    public var absent: [String] = []

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
        self.init(planned: PlannedSettings(optimize: optimize))
    }

    /// The plan's settings (the one manifest → settings mapping the converter reads too).
    public init?(planned p: PlannedSettings) {
        if let type = p.weights {
            weights = type
        } else if p.pruning != nil {
            // Pruning only: the engine still measures a scheme (float16, the cheapest), which the result drops.
            weights = .float16
            quantize = false
        } else {
            return nil
        }
        granularity = p.granularity
        symmetric = p.symmetric
        reduceRange = p.reduceRange
        widenRangeToZero = true
        channelAxis = p.channelAxis
        skip = p.skip
        switch p.pruning {
        case .sparsity(let s)?: pruning = .sparsity(s)
        case .threshold(let t)?: pruning = .threshold(t)
        case .pattern(let nm)?: pruning = .pattern(n: nm.n, m: nm.m)
        case nil: pruning = nil
        }
        dynamic = quantize && p.dynamic
        if pruning != nil { pruneScope = p.pruneScope.rawValue }
        // Pruning's own skip list keeps tensors dense, not float: the pruning figures are measured over their
        // own selection (as the converter prunes), the sizes and SQNR over quantize.skip's. A target that only
        // prunes selects with prune.skip alone.
        if pruning != nil, !p.pruneSkip.isEmpty {
            if quantize { pruneSkip = p.pruneSkip } else { skip = p.pruneSkip }
        }
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
        if let pruneSkip { parts.append("prune-skip=" + pruneSkip.joined(separator: "\u{1F}")) }
        if let pruneScope { parts.append("scope=\(pruneScope)") }
        if dynamic { parts.append("dynamic") }
        if includeNonWeights { parts.append("non-weights") }
        if !quantize { parts.append("prune-only") }
        if !absent.isEmpty { parts.append("absent=" + absent.joined(separator: "\u{1F}")) }
        return parts.joined(separator: ";")
    }
}
