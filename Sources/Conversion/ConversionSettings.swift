import Compression
// PruningSettings and PruneScope are the plan's (one mapping from the manifest); clients of Conversion see them.
@_exported import Planning

/// What a conversion does to the weights, independent of where the settings came from (a manifest target's
/// effective `optimize`, or the command line of a one-shot conversion).
public struct ConversionSettings: Sendable, Hashable {
    /// The stored weight type; nil leaves the weights in float (pruning only, or a plain copy).
    public var weights: QuantizationType?
    public var granularity: Compression.Granularity
    public var symmetric: Bool
    public var reduceRange: Bool
    /// Channel axis for every tensor (negative from the end); nil derives it from each tensor's consumer.
    public var channelAxis: Int?
    /// Dynamic quantization in onnxruntime's `quantize_dynamic` form: activations quantized at run time to
    /// uint8 by `DynamicQuantizeLinear`, MatMul / Conv computed by `MatMulInteger` / `ConvInteger`.
    public var dynamic: Bool
    /// float16 weights (`--float16`; the same as `weights: float16`): each converted weight is stored in
    /// float16 behind a `Cast` to float32, so computation, inputs and outputs stay float32.
    public var float16: Bool
    /// float16 compute (`--float16-compute`; `weights: float16` with `activations: float16`): the whole graph
    /// in float16 except operators kept in float32 (Schemas/conversion/float16.json); inputs and outputs stay
    /// float32 through Casts.
    public var float16Compute: Bool = false
    public var pruning: PruningSettings?
    /// `sparsity` per tensor (the default) or with one threshold over all pruned tensors.
    public var pruneScope: PruneScope = .perTensor
    /// Tensor name globs left in float (`quantize.skip`; `--skip` fills both lists).
    public var skip: [String]
    /// Tensor name globs left dense (`prune.skip`): independent of `skip`, so a tensor kept in float may still
    /// be pruned and a pruning-exempt tensor may still be quantized.
    public var pruneSkip: [String] = []
    /// Input sizes written into an ONNX artifact's graph inputs, by input name (nil: the file's dimension kept):
    /// the manifest's, for a target that runs fixed-size tensors only (`InputShapeFix`).
    public var inputShapes: [String: [Int?]] = [:]

    public init(
        weights: QuantizationType? = nil, granularity: Compression.Granularity = .perChannel, symmetric: Bool = true,
        reduceRange: Bool = false, channelAxis: Int? = nil, dynamic: Bool = false, float16: Bool = false,
        pruning: PruningSettings? = nil, skip: [String] = []
    ) {
        self.weights = weights
        self.granularity = granularity
        self.symmetric = symmetric
        self.reduceRange = reduceRange
        self.channelAxis = channelAxis
        self.dynamic = dynamic
        self.float16 = float16
        self.pruning = pruning
        self.skip = skip
    }

    /// Either spelling of float16 weights.
    public var isFloat16: Bool { float16 || float16Compute || weights == .float16 }

    /// The settings of a manifest target's plan.
    public init(_ p: PlannedSettings) {
        self.init(weights: p.weights, granularity: p.granularity, symmetric: p.symmetric, reduceRange: p.reduceRange,
                  channelAxis: p.channelAxis, dynamic: p.dynamic, pruning: p.pruning, skip: p.skip)
        float16Compute = p.float16Compute
        pruneScope = p.pruneScope
        pruneSkip = p.pruneSkip
    }

    /// The scheme the engine measures and the converter writes.
    public var scheme: QuantizationScheme? {
        weights.map { QuantizationScheme($0, symmetric: symmetric, granularity: granularity, reduceRange: reduceRange) }
    }
}
