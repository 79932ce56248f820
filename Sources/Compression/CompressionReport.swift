/// The engine's results: plain values, turned into JSON by `CompressionReport.json` and into diagnostics by
/// the checks. SQNR in dB is nil when the reconstruction is exact (no noise) or the signal is zero.

/// The scales of a scheme on a tensor: its single value per tensor, or a summary over groups.
public struct ScaleSummary: Sendable, Hashable {
    public var groups: Int
    /// Groups whose scale is 0 (all zero, or all equal for asymmetric schemes): stored exactly.
    public var exactGroups: Int
    /// Over the other groups; nil when every group is exact.
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    /// Zero points (asymmetric, or unsigned symmetric), over the non-exact groups.
    public var zeroPointMin: Int?
    public var zeroPointMax: Int?
}

public struct SchemeResult: Sendable, Hashable {
    public var scheme: QuantizationScheme
    /// Why the requested granularity could not be used and what was used instead, if so.
    public var fallback: String?
    /// The scale when there is one group (per tensor).
    public var scale: Double?
    public var zeroPoint: Int?
    public var scales: ScaleSummary?
    public var noiseSumSquares: Double
    public var mse: Double
    public var sqnrDB: Double?
    public var maxAbsError: Double
    /// Integer types: values the code range clipped; float types: values that overflowed.
    public var clippedFraction: Double
    /// Size after quantisation: codes (int4 packed two per byte), float32 scales, zero points when stored.
    public var bytesAfter: Int
    /// float16 / bfloat16 only.
    public var overflow: Int?
    public var underflow: Int?
    public var subnormal: Int?
}

public struct NMResult: Sendable, Hashable {
    public var pattern: NMPattern
    public var reductionAxis: Int
    public var groups: Int
    public var compliantFraction: Double
    /// Σ kept x² / Σ x² when the pattern is enforced (the N largest of each group kept); nil for zero signal.
    public var energyKept: Double?
    var energyKeptSum: Double
}

/// Sizes of the pruned tensor: dense, with a bitmask (one bit per element plus the kept values) and in
/// CSR over the 2-D view [shape[0], rest] (int32 row pointers, 16-bit column indices when the row length
/// allows, else 32-bit); the `quantized` variants store the kept values with the size scheme, plus its scales.
public struct SparseSizes: Sendable, Hashable {
    public var dense: Int
    public var bitmask: Int
    public var csr: Int
    public var bitmaskQuantized: Int?
    public var csrQuantized: Int?
}

public struct ThresholdResult: Sendable, Hashable {
    /// nil when the rank falls on a NaN or infinite magnitude.
    public var threshold: Float?
    /// Fraction of values that are zero after zeroing every |x| < threshold.
    public var sparsity: Double
    /// Σ x² over |x| ≥ threshold / Σ x²; nil when the signal is zero.
    public var energyRetained: Double?
    var zeroAfter: Int
    var keptEnergy: Double
}

public struct TensorPruning: Sendable, Hashable {
    /// The threshold reaching the target sparsity on this tensor alone (k = ⌊target · n⌋-th smallest |x|).
    public var perTensor: ThresholdResult
    /// What the model-wide threshold does to this tensor.
    public var atGlobalThreshold: ThresholdResult?
    /// What the user's threshold does to this tensor.
    public var atGivenThreshold: ThresholdResult?
    public var nm: [NMResult]
    public var sizes: SparseSizes
}

public struct TensorReport: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var elements: Int
    public var channelAxis: Int
    public var reductionAxis: Int
    public var nonFinite: Int
    public var zeros: Int
    public var min: Float?
    public var max: Float?
    public var absMax: Float?
    public var signalSumSquares: Double
    public var bytesBefore: Int
    /// In the order of `CompressionOptions.schemes`.
    public var schemes: [SchemeResult]
    public var pruning: TensorPruning?

    public var zeroFraction: Double { elements > 0 ? Double(zeros) / Double(elements) : 0 }
}

public struct SkippedTensor: Sendable, Hashable {
    public var name: String
    public var reason: SkipReason
    public var elements: Int?
    public init(name: String, reason: SkipReason, elements: Int? = nil) {
        self.name = name
        self.reason = reason
        self.elements = elements
    }
}

public struct SchemeTotals: Sendable, Hashable {
    public var scheme: QuantizationScheme
    public var parameters: Int
    /// 10·log10(Σ signal / Σ noise) over the tensors.
    public var sqnrDBAggregate: Double?
    /// Σ nᵢ · SQNRᵢ / Σ nᵢ over the tensors whose SQNR is finite.
    public var sqnrDBWeighted: Double?
    public var sqnrDBMin: Double?
    public var exactTensors: Int
    /// Lowest SQNR first.
    public var worst: [(name: String, sqnrDB: Double)]
    public var bytesBefore: Int
    public var bytesAfter: Int
    var signal: Double
    var noise: Double

    public static func == (a: SchemeTotals, b: SchemeTotals) -> Bool {
        a.scheme == b.scheme && a.parameters == b.parameters && a.sqnrDBAggregate == b.sqnrDBAggregate
            && a.sqnrDBWeighted == b.sqnrDBWeighted && a.sqnrDBMin == b.sqnrDBMin && a.exactTensors == b.exactTensors
            && a.worst.map(\.name) == b.worst.map(\.name) && a.worst.map(\.sqnrDB) == b.worst.map(\.sqnrDB)
            && a.bytesBefore == b.bytesBefore && a.bytesAfter == b.bytesAfter
    }
    public func hash(into h: inout Hasher) { h.combine(scheme); h.combine(parameters); h.combine(bytesAfter) }
}

public struct ModelPruning: Sendable, Hashable {
    public var targetSparsity: Double
    /// One threshold over all tensors' magnitudes.
    public var global: ThresholdResult
    /// Every tensor pruned with its own threshold: overall sparsity and energy retained.
    public var perTensorSparsity: Double
    public var perTensorEnergyRetained: Double?
    /// Σ nᵢ · tᵢ / Σ nᵢ of the per-tensor thresholds.
    public var perTensorThresholdWeighted: Double?
    public var given: ThresholdResult?
    public var givenThreshold: Float?
    public var nm: [NMResult]
    public var sizes: SparseSizes
}

public struct CompressionReport: Sendable, Hashable {
    public var tensors: [TensorReport]
    public var skipped: [SkippedTensor]
    /// In the order of `CompressionOptions.schemes`; the first is the primary scheme.
    public var totals: [SchemeTotals]
    public var pruning: ModelPruning?
    public var findings: [Finding]
    public var parameters: Int
    public var nonFinite: Int
}
