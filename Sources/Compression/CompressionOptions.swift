/// Magnitude-pruning questions to answer.
public struct PruningOptions: Sendable, Hashable {
    /// Fraction of values to zero; the threshold is the ⌊target · n⌋-th smallest |x| (0-based), per tensor
    /// and over the whole model.
    public var targetSparsity: Double
    /// A threshold of the user's: the sparsity it reaches and the energy it keeps.
    public var threshold: Float?
    /// N:M patterns along each tensor's reduction axis.
    public var patterns: [NMPattern]

    public init(targetSparsity: Double = 0.5, threshold: Float? = nil, patterns: [NMPattern] = [.twoFour, .fourEight]) {
        self.targetSparsity = targetSparsity
        self.threshold = threshold
        self.patterns = patterns
    }
}

public struct CompressionOptions: Sendable {
    /// The first is the primary scheme (its size is used for the pruned-and-quantised sizes); the others are
    /// measured in the same pass, to compare (advice such as "per-channel would raise the worst tensor").
    public var schemes: [QuantizationScheme]
    public var pruning: PruningOptions?
    /// Threads; nil means every online core.
    public var workers: Int?
    /// Elements per work item: small enough that the second look at a chunk hits the L2 cache.
    public var chunkElements: Int
    public var advice: AdviceOptions
    /// Above this many values in the pruning target buckets, selection takes a third pass (second-level
    /// histograms, then only the values sharing 22 top bits) instead of collecting them all: memory stays
    /// bounded on multi-gigabyte models. Internal so tests can force it.
    var maxCandidates = 1 << 25

    public init(
        schemes: [QuantizationScheme] = [QuantizationScheme(.int8, granularity: .perChannel)],
        pruning: PruningOptions? = PruningOptions(), workers: Int? = nil, chunkElements: Int = 1 << 16,
        advice: AdviceOptions = AdviceOptions()
    ) {
        self.schemes = schemes
        self.pruning = pruning
        self.workers = workers
        self.chunkElements = chunkElements
        self.advice = advice
    }
}

extension QuantizationScheme {
    /// Schemes worth measuring next to `self` so that the findings can suggest a better one: per-channel for a
    /// per-tensor scheme, per-block (32) for a 4-bit scheme without blocks. Append them to `schemes`.
    public var adviceComparisons: [QuantizationScheme] {
        guard type.isInteger else { return [] }
        var out: [QuantizationScheme] = []
        if granularity == .perTensor {
            var s = self
            s.granularity = .perChannel
            out.append(s)
        }
        if type.bits == 4, granularity == .perTensor || granularity == .perChannel {
            var s = self
            s.granularity = .perBlock(size: 32)
            out.append(s)
        }
        return out
    }
}

