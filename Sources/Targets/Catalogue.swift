import Diagnostics
import JSON
import ModelFormats

/// Where a rule or a figure comes from: a document of `Catalogue.sources` and the section that says it.
public struct SourceRef: Sendable, Hashable {
    public var id: String
    public var section: String
}

/// A document the catalogue cites.
public struct Source: Sendable, Hashable {
    public var id: String
    public var title: String
    public var url: String
}

/// Which processor runs a delegate's (or a runtime's) operators; it picks the device's peak figures.
public enum Processor: String, Sendable, Hashable, CaseIterable {
    case cpu, gpu, npu
}

/// How a delegate splits a graph it cannot run whole.
public enum Partitioning: String, Sendable, Hashable {
    /// Only the largest run of supported operators is delegated (the LiteRT GPU delegate's default).
    case largest
    /// One cut: the first unsupported operator and everything after it run on the CPU (the Edge TPU compiler).
    case prefix
    /// Node by node: each node the provider (or delegate) does not take runs on the CPU (ONNX Runtime execution
    /// providers; LiteRT's XNNPACK delegate, whose refused nodes run on the builtin kernels between its partitions).
    case perNode = "per_node"
}

public struct RuntimeVersion: Sendable, Hashable {
    public var version: String
    public var maxOpset: Int?
    public var maxMLOpset: Int?
    public var maxIR: Int?
    /// Where this row comes from, when not the runtime's `versionsSource`.
    public var source: SourceRef? = nil
    /// The source revision the release builds (llama.cpp: the commit its llama-cpp-python release vendors).
    public var revision: String? = nil
    /// The GGUF file versions it reads (llama.cpp).
    public var ggufVersions: [Int]? = nil
    /// The ggml tensor types it loads from a GGUF file, name → id as its `enum ggml_type` numbers them (ids have
    /// changed meaning, so a tensor loads only where both agree).
    public var ggmlTypes: [String: Int]? = nil
}

/// A ggml type's storage: `elements` values in `bytes` bytes (gguf-py's GGML_QUANT_SIZES).
public struct GGMLBlock: Sendable, Hashable {
    public var elements: Int
    public var bytes: Int
}

public struct Delegate: Sendable, Hashable {
    public var name: String
    public var title: String
    public var processor: Processor
    /// The id of the `OperatorSet` it runs; nil when it runs everything its runtime runs.
    public var operators: String?
    public var partitioning: Partitioning?
    public var staticShapes: Bool
    public var source: SourceRef
    /// The precision a float model computes in on the delegate's processor, where it is not the float16 that GPU
    /// delegates and NPUs are taken to compute in (ONNX Runtime's CUDA and TensorRT providers run the model's float32
    /// unless asked otherwise), with its source.
    public var floatCompute: String? = nil
    public var floatComputeSource: SourceRef? = nil
    /// The runtime applies it when a target names no delegate (LiteRT's XNNPACK on arm64 and x86-64): its checks that
    /// refuse the model bind such a target too, though its nodes are placed as on the builtin kernels.
    public var appliedByDefault: Bool = false
}

/// A quantized form a runtime's quantizer writes: the weights' type, granularities and symmetry, and the
/// activations' (a type for static quantization, `dynamic` for activations quantized at run time).
public struct QuantizationForm: Sendable, Hashable {
    public var id: String
    public var activations: String
    public var weights: String
    public var granularity: [String]
    public var symmetric: Bool
    public var source: SourceRef
}

public struct Runtime: Sendable, Hashable {
    public var name: String
    public var aliases: [String]
    public var title: String
    public var modelFormats: [String]
    public var processor: Processor
    public var minOpset: Int?
    public var operatorDomains: [String]?
    /// The operator set the runtime itself runs (TensorRT's ONNX parser, the TFLite Micro resolver): nodes
    /// outside it cannot run, there is nothing to fall back to.
    public var operators: String? = nil
    /// Operators the runtime removes before it places nodes (ONNX Runtime folds Constant, Identity, Dropout).
    public var foldedOperators: [String] = []
    public var foldedOperatorsSource: SourceRef? = nil
    public var staticShapes: Bool
    /// Newest first, as the catalogue lists them.
    public var versions: [RuntimeVersion]
    public var versionsSource: SourceRef?
    public var delegates: [Delegate]
    public var computeUnits: [String]
    /// The quantized forms the runtime's quantizer documents (ExecuTorch's XNNPACKQuantizer); empty when none are.
    public var quantizationForms: [QuantizationForm] = []
    /// ggml types a release marks removed (`// GGML_TYPE_Q4_2 = 4, support has been removed`), name → id.
    public var ggmlTypesRemoved: [String: Int] = [:]
    /// Each ggml type's block, by name, from the newest release that lists it.
    public var ggmlTypeSizes: [String: GGMLBlock] = [:]

    public func version(_ v: String) -> RuntimeVersion? {
        if let exact = versions.first(where: { $0.version == v }) ?? versions.first(where: { VersionNumber($0.version) == VersionNumber(v) }) {
            return exact
        }
        // A table of minor lines (ONNX Runtime's, OpenVINO's: "2025.4") stands for their patch releases ("2025.4.1").
        let parts = v.split(separator: ".")
        guard parts.count > 2 else { return nil }
        return versions.first { $0.version.split(separator: ".").count == 2 && $0.version.split(separator: ".") == Array(parts.prefix(2)) }
    }
    public func delegate(_ name: String) -> Delegate? { delegates.first { $0.name == name } }
    /// The delegate the runtime applies when a target names none.
    public var defaultDelegate: Delegate? { delegates.first { $0.appliedByDefault } }
}

public struct Device: Sendable, Hashable {
    public var name: String
    public var aliases: [String]
    public var isClass: Bool
    public var title: String
    public var os: String
    public var isa: String
    public var cpuFeatures: [String]
    public var gpuArchitecture: String?
    public var computeCapability: String?
    /// Memory (on a microcontroller, the RAM), flash or storage, and memory bandwidth: nil where no cited
    /// figure was found (a figure is never guessed; a check that needs one is skipped).
    public var memoryGB: Double?
    public var storageGB: Double?
    public var bandwidthGBps: Double?
    /// Peak tera-operations per second, by processor and precision (`float32`, `float16`, `int8`, ...); only
    /// the cited ones, so a processor or the whole table may be absent.
    public var peakTOPS: [Processor: [String: Double]]
    public var source: SourceRef
    /// Further documents the figures come from (each with the section), when one source does not give them all.
    public var also: [SourceRef] = []
    /// The CPU core (`cortex-m7`) and its clock: a latency calibration for the core applies when both are cited.
    public var core: String? = nil
    public var clockMHz: Double? = nil
    /// The accelerator (`edgetpu`) and how it is attached (`dev-board`: the Dev Board's SoM): an accelerator
    /// calibration for the pair applies to the device's NPU.
    public var accelerator: DeviceAccelerator? = nil

    public func has(_ feature: String) -> Bool { cpuFeatures.contains(feature) }
}

/// An accelerator beside a device's CPU and how it is attached, the key of its accelerator calibration.
public struct DeviceAccelerator: Sendable, Hashable {
    public var name: String
    public var attachment: String
}

/// Effective cycles per multiply-accumulate of a CPU core at a precision, fitted to published latencies of known
/// architectures (the MLPerf Tiny reference models): the calibrated latency of a model is its MACs × this / clock.
public struct LatencyCalibration: Sendable, Hashable {
    public var core: String
    public var precision: String
    public var cyclesPerMAC: Double
    /// The smallest and largest per-benchmark figure the mean was taken over.
    public var spread: (Double, Double)
    /// The software stack the published figures ran on.
    public var stack: String
    public var fittedOn: String?
    public var source: SourceRef

    public static func == (a: Self, b: Self) -> Bool {
        a.core == b.core && a.precision == b.precision && a.cyclesPerMAC == b.cyclesPerMAC && a.spread == b.spread
            && a.stack == b.stack && a.fittedOn == b.fittedOn && a.source == b.source
    }
    public func hash(into h: inout Hasher) {
        h.combine(core); h.combine(precision); h.combine(cyclesPerMAC); h.combine(stack); h.combine(source)
    }
}

/// An accelerator's latency fitted to published latencies of known architectures, where compute alone does not
/// explain them: the Edge TPU keeps a model's parameters in its on-chip memory up to `cacheBytes` and streams
/// the rest from the host on every inference, so latency = MACs × msPerGMAC / 1e9 + max(0, parameter bytes −
/// cache) × msPerStreamedMB / 1e6 + constantMS.
public struct AcceleratorCalibration: Sendable, Hashable {
    public var accelerator: String
    /// How the accelerator is attached where the figures were measured (`dev-board`, `usb-accelerator`).
    public var attachment: String
    public var precision: String
    public var msPerGMAC: Double
    public var msPerStreamedMB: Double
    public var constantMS: Double
    public var cacheBytes: Int
    /// Published / calibrated estimate, smallest and largest over the models fitted.
    public var ratioSpread: [Double]
    /// What the published figures ran on (host, software).
    public var stack: String
    public var fittedOn: String?
    /// The statement the on-chip cache size comes from.
    public var cacheSource: SourceRef
    public var source: SourceRef

    /// The calibrated latency of a model with `macs` multiply-accumulates and `parameterBytes` of parameters.
    public func latencyMS(macs: Int, parameterBytes: Int) -> Double {
        Double(macs) / 1e9 * msPerGMAC + Double(max(0, parameterBytes - cacheBytes)) / 1e6 * msPerStreamedMB + constantMS
    }
    /// The parameter bytes that do not fit the on-chip cache and are streamed on every inference.
    public func streamedBytes(parameterBytes: Int) -> Int { max(0, parameterBytes - cacheBytes) }
}

/// One device's latency under one runtime, processor and precision, fitted to that device's own published
/// latencies of known architectures (Ultralytics' YOLO11 tables for the Raspberry Pi 5 and the Jetsons, Qualcomm AI
/// Hub's for its reference phones): latency = MACs × msPerGMAC / 1e9 + constantMS. Measured on the device itself, so
/// it scales to no other.
public struct DeviceCalibration: Sendable, Hashable {
    public var device: String
    public var runtime: String
    /// The runtime's delegate (execution provider) the figures ran with, when the runtime has several on that
    /// processor (ONNX Runtime's CUDA and TensorRT providers on a GPU); nil: the runtime's own on that processor.
    public var delegate: String? = nil
    public var processor: Processor
    public var precision: String
    public var msPerGMAC: Double
    public var constantMS: Double
    /// Published / calibrated estimate, smallest and largest over the models fitted.
    public var ratioSpread: [Double]
    /// What the published figures ran on (runtime, board, benchmark version).
    public var stack: String
    /// Whose measurements, in a few words (the estimate's text names them).
    public var publishedBy: String
    public var fittedOn: String?
    /// Where the fitted models are defined.
    public var modelsSource: SourceRef
    public var source: SourceRef
    /// The fewest and the most MACs of the models fitted: a model outside them is an extrapolation.
    public var fittedMACs: ClosedRange<Int>? = nil

    /// The calibrated latency of a model with `macs` multiply-accumulates.
    public func latencyMS(macs: Int) -> Double { Double(macs) / 1e9 * msPerGMAC + constantMS }

    /// Whether a model of `macs` lies outside the fitted models' range by more than half of it at either end: the fit
    /// (a constant fixed by those models' launch and head costs) is then taken beyond what it was measured on.
    public func extrapolates(macs: Int) -> Bool {
        guard let r = fittedMACs else { return false }
        return Double(macs) < Double(r.lowerBound) / 2 || Double(macs) > Double(r.upperBound) * 1.5
    }
}

/// The fixed cost of running one more operator on a processor (`runtime` nil: any runtime).
public struct DispatchOverhead: Sendable, Hashable {
    public var runtime: String?
    public var processor: Processor
    public var microseconds: Double
    /// Asynchronous launches (GPUs): a node costs max(roofline, overhead); otherwise roofline + overhead.
    public var overlapsCompute: Bool
    /// How a measured figure was measured (machine, versions, method).
    public var measured: String?
    public var source: SourceRef
}

public struct GPUArchitecture: Sendable, Hashable {
    public var name: String
    public var computeCapability: String
    /// Generation order: a feature "from Ampere" holds for every architecture of equal or higher order.
    public var order: Int
}

/// One rule of the catalogue: what it says, where it says so, the diagnostic it produces, and parameters
/// the check reads (so that thresholds live beside their source, not in Swift).
public struct Rule: Sendable, Hashable {
    public var id: String
    public var code: DiagnosticCode?
    public var runtimes: [String]
    public var text: String
    public var params: JSONObject
    public var source: SourceRef
    public var also: SourceRef?
}

/// Opset versions `since` through `until` (nil: every later one), as ONNX Runtime's kernel registrations write them.
public struct OpsetRange: Sendable, Hashable, CustomStringConvertible {
    public var since: Int
    public var until: Int?
    public init(since: Int, until: Int?) {
        self.since = since
        self.until = until
    }
    public func contains(_ opset: Int) -> Bool { opset >= since && until.map { opset <= $0 } ?? true }
    public var description: String { until.map { $0 == since ? "\(since)" : "\(since)–\($0)" } ?? "\(since)+" }
}

public struct OperatorSet: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable {
        /// TFLite builtin names (`CONV_2D`).
        case tflite
        /// ONNX op types, `domain:Op` outside ai.onnx.
        case onnx
        /// ATen operator overloads without their namespace (`convolution.default`), as ExecuTorch's partitioners
        /// match a `.pt2` ExportedProgram's nodes.
        case aten
    }

    public var id: String
    public var title: String
    public var source: SourceRef
    public var format: Format = .tflite
    public var tensorTypes: [String]
    public var maxRank: Int?
    /// The operators it runs. Always a list of what is run, never "all but": an operator the source does not
    /// name (one newer than its table) is not taken for supported.
    public var operators: [String]
    public var constraints: [String: String]
    /// Operator → the part of its restriction that none of the checks on it evaluates (a check covers a sentence, not
    /// always the whole restriction): said as SW4020 like a restriction no check covers.
    public var unchecked: [String: String] = [:]
    /// Builtin → the highest operator version it accepts.
    public var maxVersions: [String: Int] = [:]
    public var maxVersionsSource: SourceRef? = nil
    /// Constraints evaluated per node.
    public var checks: [OperatorCheck] = []
    /// Operators outside the table that the provider runs inside a pattern it fuses.
    public var fusions: [OperatorFusion] = []
    /// A table measured per runtime release: release (major.minor) → the operators of `operators` it lacks.
    public var missingIn: [String: [String]] = [:]
    /// Release → operator → "compiled/probed" probe models, where only some of an operator's probes ran.
    public var partial: [String: [String: String]] = [:]
    /// How the table was measured.
    public var measured: String? = nil
    /// ONNX operator → the opset versions its kernels are registered for (`[since, until]`, `until` nil when open):
    /// a node of a model importing an opset outside them is not taken (ONNX Runtime matches a kernel by the
    /// operator's version). An operator without an entry is taken at any opset.
    public var opsets: [String: [OpsetRange]] = [:]

    /// Whether `op` has a kernel for a model importing `opset` (true without ranges for it).
    public func registers(_ op: String, opset: Int) -> Bool {
        guard let ranges = opsets[op] else { return true }
        return ranges.contains { $0.contains(opset) }
    }

    /// Whether release `release` of the runtime (nil: the set as listed) runs `op`.
    public func contains(_ op: String, release: String?) -> Bool {
        guard contains(op) else { return false }
        guard let release, let lacking = missingIn[release] ?? missingIn.first(where: {
            VersionNumber($0.key) == VersionNumber(release) })?.value else { return true }
        return !lacking.contains(op)
    }

    /// Whether the set runs `op` (a builtin, or an ONNX op type qualified as `OperatorSet.key`).
    public func contains(_ op: String) -> Bool {
        return operators.contains(op)
    }

    /// An ONNX node's name in the tables: `Conv`, or `com.microsoft:QLinearAdd` outside ai.onnx.
    public static func key(opType: String, domain: String) -> String {
        domain.isEmpty || domain == "ai.onnx" ? opType : "\(domain):\(opType)"
    }
}

/// An operator a provider runs only as part of a fused pattern: the node's first input is made by one of
/// `after`, and every consumer of its output is one of `before`.
public struct OperatorFusion: Sendable, Hashable {
    public var op: String
    public var after: [String]
    public var before: [String]
    public var text: String
    public var source: SourceRef
}

/// An attribute's value, as a node states it (a string, or an integer in decimal).
public struct AttributeCondition: Sendable, Hashable {
    public var attribute: String
    public var value: String
    /// The attribute's value when the node does not set it (Gemm's `transB`: 0); nil: such a node passes.
    public var defaultValue: String? = nil

    public func holds(on node: Node) -> Bool {
        switch node.attributes[attribute] {
        case .string(let s)?: return s == value
        case .int(let n)?: return String(n) == value
        case nil: return defaultValue == value
        default: return false
        }
    }
}

/// A constraint of an operator set that the checks evaluate on each node it names (the kinds are code, the
/// operators, thresholds and texts are data, with their source).
public struct OperatorCheck: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The rank of input `input` is in `min`...`max`.
        case rank
        /// Inputs `inputs` (when present) are initializers or `Constant` outputs.
        case constantInputs = "constant_inputs"
        /// Attribute `attribute` (or `defaultValue` when absent) is one of `values`; a list attribute (pooling's
        /// `dilations`), every element of it (an empty list passes).
        case attributeValues = "attribute_values"
        /// The same dilation in x and y.
        case equalDilations = "equal_dilations"
        /// Input `input` has at most `max` elements.
        case maxElements = "max_elements"
        /// No run-time input of the node has a dimension over `max`.
        case maxDimension = "max_dimension"
        /// A reduction's axes or a Pad's paddings leave dimension 0 (the batch) alone.
        case noBatchAxis = "no_batch_axis"
        /// Input `input` (when present) has one of the element types `values`: a TFLite node's (its file stores
        /// every tensor's type), or an ONNX node's constant input (a value computed at run time passes).
        case tensorTypes = "tensor_types"
        /// Inputs `inputs` and outputs `outputs` (those present) all have one element type (TFLite nodes; elsewhere
        /// it passes), unless the first two's types are a pair of `values` ("float32,int8": XNNPACK's dynamically
        /// quantized convolution).
        case sameTensorTypes = "same_tensor_types"
        /// Inputs `inputs` that are initializers or `Constant` outputs hold only zeros (a zero point, a training
        /// flag); one computed at run time passes (pair it with `constant_inputs` where that must be constant too).
        case zeroValues = "zero_values"
        /// The node gives none of inputs `inputs`, uses none of outputs `outputs` and sets none of attributes
        /// `attributes` (the parts of an operator a runtime does not import).
        case absent
        /// Inputs `inputs` that are initializers or `Constant` outputs hold only values in `min`...`max` (TopK's K,
        /// Gather's indices); one computed at run time passes.
        case valueRange = "value_range"
        /// List attribute `attribute`, when present, has equal halves: the same per direction (a bidirectional
        /// recurrence's activations) or at both ends (DeformConv's pads, all begins then all ends).
        case equalHalves = "equal_halves"
        /// List attribute `attribute`, when present and inputs `inputs` are computed at run time (onnx-tensorrt's
        /// "a tensor input", as against weights), is 0, 1, …, rank of input `input` − 1 (negative axes from the end).
        case iotaAttribute = "iota_attribute"
        /// Attributes `attributes` (start, default 0; end, default the rank) select a non-empty range of input
        /// `input`'s dimensions (Shape's start/end; negative values counted from the end, then clamped).
        case nonemptyRange = "nonempty_range"
        /// An If's two branches agree as `values` asks, output by output: `same_rank`, `same_shape` (where both
        /// shapes are known: inferred by the analysis, else declared), `same_type` (declared element types),
        /// `distinct_names`; and `single_bool_condition` (the condition holds one element, a bool where typed).
        case branchOutputs = "branch_outputs"
        /// Inputs `inputs`, when every one of them is a DequantizeLinear's output (a QDQ node unit, which a
        /// quantizing EP fuses), have quantized types forming one of the pairs `values` ("uint8,uint16"); a node
        /// with a float input runs unquantized and passes.
        case quantizedTypePairs = "quantized_type_pairs"
        /// Input `input` of a TFLite node (output `outputs[0]` when given), when of one of the types `values` (int8,
        /// uint8, int32), is quantized per tensor: it has quantization parameters, with one scale.
        case perTensorQuantization = "per_tensor_quantization"
        /// Input `input` of a TFLite node, when quantized per channel (more than one scale), is quantized along
        /// dimension `dimension` (a negative one counted from the end: -1 the last).
        case quantizedDimension = "quantized_dimension"
        /// When inputs `inputs` and output 0 of a TFLite node share an 8-bit quantized type, the product of the
        /// inputs' scales (times attribute `factorAttribute`, when given) / the output's scale is in [`scaleMin`,
        /// `scaleMax`) (or, `scaleMaxInclusive`, `scaleMax`]), and at least `magnitudeMin` in magnitude when given.
        case scaleRatio = "scale_ratio"
        /// Float attribute `attribute` (`defaultValue` when the node does not set it) is normal: not zero,
        /// subnormal, infinite or NaN (XNNPACK's LEAKY_RELU alpha).
        case normalAttribute = "normal_attribute"
        /// Inputs `inputs` (two) of a TFLite node have one XNNPACK datatype (GetXNNPackDatatype's: int8 per channel
        /// is qcint8, per tensor qint8), unless their element types are a pair of `values` ("float32,int8": the
        /// dynamically quantized case).
        case sameXNNPACKDatatypes = "same_xnnpack_datatypes"
        /// Input `input` of a TFLite node, when of one of the quantized types `values`, gives output 0 of its own
        /// type (a QUANTIZE that requantizes, not one from int8 to uint8).
        case sameQuantizedOutputType = "same_quantized_output_type"
        /// When output 0 of a TFLite node is of one of the types `values`, inputs `inputs` (none listed: every
        /// input) have its scale and zero point (the first ones).
        case sameQuantizationAsOutput = "same_quantization_as_output"
        /// Input `input` of a TFLite node, when int8 and input 0 is not float32 (statically quantized), has zero
        /// point 0 (the first one, when per channel).
        case zeroPointZero = "zero_point_zero"
        /// A Split's outputs are of one size: the sizes it is given (input 1 when a constant, else attribute
        /// `split`) are equal, or, given none, the input's dimension along `axis` divides by the outputs' count.
        case equalSplits = "equal_splits"
        /// Input `input`'s dimensions are known when the engine is built (`attribute`: only the one it names, absent
        /// → `defaultValue`): a constant's, or any value's when the file fixes every input dimension; otherwise
        /// undecided (said, not judged: which values the free input dimensions reach is not tracked).
        case staticDimensions = "static_dimensions"
        /// A Loop with scan outputs has a trip count known when the engine is built: a constant, or computed from
        /// shapes alone in a file whose input dimensions are fixed.
        case loopScanLength = "loop_scan_length"
        /// Each value a Loop carries leaves its body with the shape it entered with (where both are known).
        case loopCarriedShapes = "loop_carried_shapes"
        /// No input or output of the node has more than `max` dimensions (XNNPACK defines each tensor of a node it
        /// takes, and refuses more than XNN_MAX_TENSOR_DIMS).
        case tensorRanks = "tensor_ranks"
    }

    public var id: String
    /// Operator names as the set writes them; `*` for every operator.
    public var operators: [String]
    public var kind: Kind
    public var input: Int
    public var min: Int?
    public var max: Int?
    public var inputs: [Int]
    /// Output indices (`absent`).
    public var outputs: [Int] = []
    /// A `rank` check counts the dimensions other than 1 only: TensorFlow's converter bounds TRANSPOSE's "effective
    /// rank" (GetSqueezedShape), so a 7-D transpose with a dimension of 1 is written as the builtin.
    public var squeezed: Bool = false
    /// Whether the check binds an ONNX node lowered to the builtin (the default), or only a TFLite file's own
    /// operator: TFLite Micro's constant-input refusals name the builtin's input indices (SPLIT's axis is its input 0,
    /// an ONNX Split's input 0 its data).
    public var bindsLowered: Bool = true
    /// A failure refuses the model, not only the node: a delegate that takes the node and then fails to prepare it
    /// (XNNPACK above XNN_MAX_TENSOR_DIMS) fails the interpreter's preparation, where a node it refuses falls back.
    public var refusesModel: Bool = false
    public var attribute: String?
    /// Attribute names (`absent`).
    public var attributes: [String] = []
    /// The dimension per-channel scales must run along (`quantized_dimension`).
    public var dimension: Int? = nil
    /// The bounds of a scale ratio (`scale_ratio`): at least `scaleMin`, below `scaleMax`.
    public var scaleMin: Double? = nil
    public var scaleMax: Double? = nil
    public var scaleMaxInclusive: Bool = false
    /// The attribute the scale ratio is multiplied by (`scale_ratio`: LEAKY_RELU's alpha for its negative scale).
    public var factorAttribute: String? = nil
    /// The least magnitude of the scale ratio (`scale_ratio`).
    public var magnitudeMin: Double? = nil
    /// A restriction of the releases before this one (QNN's "3d supported since 1.18.0"): the check holds only on a
    /// runtime pinned older; a newer pin, or none (the newest release), passes.
    public var before: VersionNumber? = nil
    /// The check holds only on nodes whose attribute `when.attribute` is `when.value` (QNN's Resize: "tf_half_pixel_for_nn
    /// coordinate_transformation_mode: only mode nearest…"); a node without the attribute passes.
    public var when: AttributeCondition? = nil
    public var values: [String]
    public var defaultValue: String?
    public var text: String
    public var source: SourceRef

    public func applies(to names: [String]) -> Bool {
        operators.contains("*") || names.contains { operators.contains($0) }
    }

    /// The rank a `rank` check bounds: every dimension, or those other than 1 when `squeezed`.
    public func rank(of shape: [Int]) -> Int { squeezed ? shape.filter { $0 != 1 }.count : shape.count }

    /// "rank 7", or "7 dimensions other than 1" for a squeezed check.
    public func rankWords(_ rank: Int) -> String { squeezed ? "\(rank) dimensions other than 1" : "rank \(rank)" }
}

/// The cited catalogue of runtimes, devices, operator tables and rules (Schemas/targets/*.json).
public struct Catalogue: Sendable {
    public var sources: [String: Source]
    public var runtimes: [Runtime]
    public var devices: [Device]
    public var architectures: [GPUArchitecture]
    public var architecturesSource: SourceRef?
    public var rules: [Rule]
    /// TFLite builtin → operator version → the minimum runtime version that runs it.
    public var tfliteOpVersions: [String: [Int: String]]
    public var tfliteOpVersionsSource: SourceRef
    public var operatorSets: [OperatorSet]
    /// ONNX op type → the TFLite builtins it lowers to: nil for "no builtin", [] for "folded away".
    public var lowering: [String: [String]?]
    public var loweringNotes: [String: String]
    public var loweringSource: SourceRef
    /// ONNX operators onnx2tf writes otherwise than their table's builtins above a rank, so that the converter never
    /// sees the builtin at that rank (a 7-D Transpose: RESHAPE, GATHER and lower-rank TRANSPOSEs, its "flexing
    /// deterrence"): a rank check of the builtin does not bind them there.
    public var loweringRankRewrittenAbove: [String: Int] = [:]
    /// The builtins of such a rewrite that still carry the operator's own tensors at its rank: the 7-D Transpose's
    /// last CONCATENATION writes its 7-D output (measured: Tests/Fixtures/targets/tflm_ranks/transpose_7d.onnx).
    public var loweringRankRewrittenKeeps: [String: Set<String>] = [:]
    /// Per ONNX operator measured on a 7-D tensor (`rank_above_6_measured`), the builtins of onnx2tf's file that
    /// carry a tensor above 6-D (a Concat's CONCATENATION; of a Softmax only the RESHAPEs around its 2-D SOFTMAX):
    /// what a check above 6-D on a lowered node may take as kept. An operator absent was not measured.
    public var loweringRankKeptAbove6: [String: Set<String>] = [:]
    /// ONNX operators whose every 7-D form measured converted to Select TF ops (Softplus: FlexSoftplus, though
    /// EXP, ADD and LOG at 6-D), with those ops: above 6-D the converter writes no builtin file for them.
    public var loweringFlexAbove6: [String: [String]] = [:]
    /// The builtins such a rewrite writes (GATHER, TRANSPOSE, RESHAPE, CONCATENATION for the 7-D Transpose).
    public var loweringRankRewrittenBuiltins: [String: [String]] = [:]
    /// How a recurrence's lowering grows with its steps, directions and states (`onnx_to_tflite.recurrences`).
    public var recurrences = RecurrentLowering()
    public var dispatchOverheads: [DispatchOverhead] = []
    /// How TensorFlow's converter lowers Keras layers, by Keras generation ("keras2", "keras3").
    public var kerasLowering: [String: KerasLowering] = [:]
    public var kerasLoweringSource: SourceRef? = nil
    public var latencyCalibrations: [LatencyCalibration] = []
    public var acceleratorCalibrations: [AcceleratorCalibration] = []
    /// What ExecuTorch's to_edge turns each exported ATen operator into, measured: empty when not in the catalogue.
    public var atenToEdge: ATenToEdge = ATenToEdge()
    /// The ONNX operators torch.onnx.export writes for each ATen operator, per exporter (`aten_to_onnx`).
    public var atenToONNX: ATenToONNX = ATenToONNX()
    public var deviceCalibrations: [DeviceCalibration] = []

    /// The lowering table of the Keras generation that wrote `model` (Keras 2 HDF5 files say `keras_version` 2.x).
    public func kerasTable(for model: Model) -> (generation: String, table: KerasLowering?) {
        let generation = model.metadata["keras.keras_version"].map { $0.hasPrefix("2.") } == true ? "keras2" : "keras3"
        return (generation, kerasLowering[generation])
    }

    /// The runtime a manifest names (`tflite` is LiteRT's former name).
    public func runtime(_ name: String) -> Runtime? {
        runtimes.first { $0.name == name || $0.aliases.contains(name) }
    }
    public func device(_ name: String) -> Device? {
        devices.first { $0.name == name || $0.aliases.contains(name) }
    }
    public func rule(_ id: String) -> Rule? { rules.first { $0.id == id } }
    /// The calibration for `device`'s core at `precision`, when the device cites its core and clock.
    public func latencyCalibration(_ device: Device, precision: String) -> LatencyCalibration? {
        guard let core = device.core, device.clockMHz != nil else { return nil }
        return latencyCalibrations.first { $0.core == core && $0.precision == precision }
    }
    /// The calibration for `device`'s accelerator at `precision`, when the device names its accelerator.
    public func acceleratorCalibration(_ device: Device, precision: String) -> AcceleratorCalibration? {
        guard let a = device.accelerator else { return nil }
        return acceleratorCalibrations.first {
            $0.accelerator == a.name && $0.attachment == a.attachment && $0.precision == precision
        }
    }
    /// The calibration measured on `device` itself under `runtime` (its catalogue name) on `processor` at `precision`.
    public func deviceCalibration(_ device: Device, runtime: String, delegate: String? = nil, processor: Processor, precision: String)
        -> DeviceCalibration?
    {
        deviceCalibrations.first {
            $0.device == device.name && $0.runtime == runtime && $0.processor == processor && $0.precision == precision
                && ($0.delegate == nil || $0.delegate == delegate)
        }
    }
    public func operatorSet(_ id: String) -> OperatorSet? { operatorSets.first { $0.id == id } }
    public func architecture(_ name: String) -> GPUArchitecture? { architectures.first { $0.name == name } }
    public func source(_ ref: SourceRef) -> Source? { sources[ref.id] }
    /// The per-operator overhead for `runtime` on `processor`: the runtime's own figure, else the processor's.
    public func dispatchOverhead(runtime: String?, processor: Processor) -> DispatchOverhead? {
        dispatchOverheads.first { $0.runtime != nil && $0.runtime == runtime && $0.processor == processor }
            ?? dispatchOverheads.first { $0.runtime == nil && $0.processor == processor }
    }

    /// "Document, section: URL", the form diagnostics and docs cite.
    public func cite(_ ref: SourceRef) -> String {
        guard let s = sources[ref.id] else { return ref.section }
        return "\(s.title), \(ref.section): \(s.url)"
    }

    /// The file names, in load order; the merged object is what Schemas/targets.schema.json describes.
    public static let fileNames = [
        "sources.json", "runtimes.json", "devices.json", "rules.json", "operators.json", "latency_calibrations.json",
    ]
}

/// Why the catalogue could not be loaded: the file and the JSON path of the bad value.
public struct CatalogueError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var message: String
    public init(file: String, path: String, _ message: String) {
        self.file = file
        self.path = path
        self.message = message
    }
    public var description: String {
        "target catalogue \(file)\(path.isEmpty ? "" : " at \(path)"): \(message)"
    }
}

/// Dotted version numbers compared numerically ("2.16" < "2.9" is false; "1.20" == "1.20.0").
public struct VersionNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var parts: [Int]
    public init?(_ s: String) {
        let fields = s.split(separator: ".", omittingEmptySubsequences: false)
        var parts: [Int] = []
        for f in fields {
            guard let n = Int(f), n >= 0 else { return nil }
            parts.append(n)
        }
        guard !parts.isEmpty else { return nil }
        while parts.count > 1, parts.last == 0 { parts.removeLast() }
        self.parts = parts
    }
    public static func < (a: VersionNumber, b: VersionNumber) -> Bool {
        for i in 0..<max(a.parts.count, b.parts.count) {
            let x = i < a.parts.count ? a.parts[i] : 0
            let y = i < b.parts.count ? b.parts[i] : 0
            if x != y { return x < y }
        }
        return false
    }
    public var description: String { parts.map(String.init).joined(separator: ".") }
}

/// The Edge-dialect operators ExecuTorch's to_edge turns each exported ATen operator into (its decompositions and
/// view → view_copy), measured by scripts/catalogue/measure_aten_decompositions.py. A `.pt2` holds the operators
/// before decomposition (`conv2d.default`); ExecuTorch's partitioners name the ones after (`convolution.default`).
/// What torch.onnx.export writes for each ATen operator, measured per exporter by exporting one-call modules
/// (scripts/catalogue/measure_aten_onnx.py): a PyTorch model bound for ONNX Runtime is judged by these ONNX
/// operators against the execution provider's table.
public struct ATenToONNX: Sendable, Hashable {
    /// The exporters of Schemas/conversion/paths.json's `torch-onnx-export` route: the TorchScript exporter for a
    /// TorchScript module (`pytorch`), the dynamo exporter for an ExportedProgram (`pytorch-exported-program`).
    public enum Exporter: String, Sendable, Hashable, CaseIterable {
        case torchscript, dynamo
        /// The exporter torch.onnx.export uses for a model planned from `conversionSource`.
        public init(conversionSource: String) {
            self = conversionSource == "pytorch-exported-program" ? .dynamo : .torchscript
        }
        public var title: String { self == .dynamo ? "torch.onnx.export's dynamo exporter" : "torch.onnx.export's TorchScript exporter" }
    }
    public struct Table: Sendable, Hashable {
        /// The opset the measurement exported at (the route's default).
        public var opset: Int
        /// ATen operator as Slipway names it (`conv2d` from TorchScript, `conv2d.default` from a `.pt2`) →
        /// the ONNX operators written for it ([]: none, a Constant or nothing).
        public var operators: [String: [String]]
        public init(opset: Int, operators: [String: [String]]) {
            self.opset = opset
            self.operators = operators
        }
    }
    public var tables: [Exporter: Table]
    public var source: SourceRef?
    public init(tables: [Exporter: Table] = [:], source: SourceRef? = nil) {
        self.tables = tables
        self.source = source
    }
}

public struct ATenToEdge: Sendable, Hashable {
    /// One decomposition of an operator and the integer arguments that select it (`output_size: [1, 1]`).
    public struct Variant: Sendable, Hashable {
        public var arguments: [String: [Int64]]
        public var edge: [String]
        public init(arguments: [String: [Int64]], edge: [String]) {
            self.arguments = arguments
            self.edge = edge
        }
    }
    /// Exported operator (without namespace) → every Edge operator it became in any measured module ([]: none left).
    public var operators: [String: [String]]
    /// Operators whose decomposition depends on their integer arguments: each decomposition with its arguments.
    public var byArguments: [String: [Variant]]
    public var source: SourceRef?
    public init(operators: [String: [String]] = [:], byArguments: [String: [Variant]] = [:], source: SourceRef? = nil) {
        self.operators = operators
        self.byArguments = byArguments
        self.source = source
    }

    /// The Edge operators `node` becomes: the variant its integer attributes select, else every operator it became
    /// in any measurement; nil when the operator was not measured.
    public func edge(_ name: String, attributes: [String: AttributeValue]) -> [String]? {
        if let variants = byArguments[name], let v = variants.first(where: { v in
            v.arguments.allSatisfy { key, want in
                switch attributes[key] {
                case .int(let i)?: return want == [i]
                case .ints(let xs)?: return want == xs
                default: return false
                }
            }
        }) {
            return v.edge
        }
        return operators[name]
    }
}

/// The TFLite builtins TensorFlow's converter writes for each Keras layer of one Keras generation, measured by
/// scripts/catalogue/derive_keras_lowering.py.
public struct KerasLowering: Sendable, Hashable {
    /// Layer class → builtins: nil when the builtins cannot express it (Select TF ops), [] when it leaves none.
    public var layers: [String: [String]?]
    /// `activation:` value → the builtins it adds after the layer's own ([] when fused).
    public var activations: [String: [String]?]
    /// Layers that lower to builtins only at a fixed batch size.
    public var needFixedBatch: Set<String>
    /// Layers that lower to other builtins when the batch size is dynamic (shape arithmetic), with those.
    public var atDynamicBatch: [String: [String]]
    /// Layers whose full-integer conversion fails (the converter's calibrator errs or crashes on them).
    public var fullIntegerFails: Set<String>

    /// The builtins of a layer class at a fixed or a dynamic batch size: nil when the table has no entry,
    /// `.some(nil)` when the builtins cannot express it.
    public func builtins(_ layer: String, dynamicBatch: Bool) -> [String]?? {
        if dynamicBatch, let other = atDynamicBatch[layer] { return .some(other) }
        return layers[layer]
    }
}
