import Diagnostics
import YAMLSyntax

/// A value read from the manifest, with the range of the text it came from.
public struct Located<T: Sendable>: Sendable {
    public var value: T
    public var range: ByteRange
    public init(_ value: T, _ range: ByteRange) {
        self.value = value
        self.range = range
    }
}
extension Located: Equatable where T: Equatable {}

/// The typed manifest. Every field is optional: decoding never throws, a value that failed validation is
/// simply absent (its diagnostic says why), so later layers work with whatever is valid.
public struct Manifest: Sendable {
    public var version: Located<Int>?
    public var name: Located<String>?
    public var model: ModelSpec?
    /// The manifest-wide optimization, before target overrides.
    public var optimize: OptimizeSpec
    public var targets: [TargetSpec]
    public var test: TestSpec?
    public var deploy: DeploySpec?
    public var monitor: MonitorSpec?
    /// The document's tree, for the language server's position queries.
    public var root: YAMLNode?

    public func target(named name: String) -> TargetSpec? { targets.first { $0.name.value == name } }

    /// `model.inputs` given as shapes, as dimensions by input name (nil for a symbolic dimension): what the
    /// analysis binds, and what an artifact for a static-shape target is written with.
    public var fixedInputDims: [String: [Int?]] {
        var out: [String: [Int?]] = [:]
        for input in model?.inputs ?? [] {
            out[input.name.value] = input.dims.map { d -> Int? in
                if case .fixed(let n) = d.value { return n }
                return nil
            }
        }
        return out
    }

    /// The `model.inputs` shapes given whole (every dimension a number), by input name: the shapes a converter is
    /// given (ExternalConverter passes no other, but to onnx2tf, which takes `fixedInputDims`), so the shapes the
    /// artifact is sized at.
    public var wholeInputShapes: [String: [Int]] {
        fixedInputDims.compactMapValues { dims in dims.contains(nil) ? nil : dims.compactMap { $0 } }
    }

    /// `model.inputs` given as values (`sr: 16000`), by input name.
    public var fixedInputValues: [String: Int] {
        var out: [String: Int] = [:]
        for v in model?.inputValues ?? [] { out[v.name.value] = v.value.value }
        return out
    }
}

public struct ModelSpec: Sendable {
    public var path: Located<String>?
    public var format: Located<String>?
    /// `model.inputs` given as shapes (a list): the only ones a converter, runner or shape analysis takes.
    public var inputs: [InputShape]
    /// `model.inputs` given as values (an integer): a scalar input's value, such as the sample rate a model
    /// branches on. Kept apart from `inputs` so that a value is never taken as a shape.
    public var inputValues: [InputValue] = []
    /// `context_length`: the tokens a language model keeps (KV cache and attention are sized for it).
    public var contextLength: Located<Int>? = nil
    /// The range of the `model` key, where "missing" diagnostics about the model go.
    public var keyRange: ByteRange

    /// Every name under `model.inputs`, shapes and values, in no particular order.
    public var inputNames: [Located<String>] { inputs.map(\.name) + inputValues.map(\.name) }
}

public enum Dimension: Sendable, Hashable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)
    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .symbolic(let s): return s
        }
    }
}

public struct InputShape: Sendable {
    public var name: Located<String>
    public var dims: [Located<Dimension>]
}

/// A scalar input's value (`sr: 16000`): what the model computes from, not a shape.
public struct InputValue: Sendable {
    public var name: Located<String>
    public var value: Located<Int>
}

public enum Granularity: Sendable, Hashable, CustomStringConvertible {
    case perTensor
    case perChannel
    case perBlock(Int)

    public init?(_ s: String) {
        switch s {
        case "per-tensor": self = .perTensor
        case "per-channel": self = .perChannel
        default:
            guard s.hasPrefix("per-block:"), let n = Int(s.dropFirst("per-block:".count)), n > 0 else { return nil }
            self = .perBlock(n)
        }
    }
    public var description: String {
        switch self {
        case .perTensor: return "per-tensor"
        case .perChannel: return "per-channel"
        case .perBlock(let n): return "per-block:\(n)"
        }
    }
}

public struct QuantizeSpec: Sendable {
    public var weights: Located<String>?
    public var activations: Located<String>?
    public var granularity: Located<Granularity>?
    public var symmetric: Located<Bool>?
    public var reduceRange: Located<Bool>?
    public var channelAxis: Located<Int>?
    public var format: Located<String>?
    public var calibration: Located<String>?
    public var calibrationMethod: Located<String>?
    /// The inputs' and outputs' element type under full-integer quantization.
    public var io: Located<String>?
    public var skip: [Located<String>]

    public init(skip: [Located<String>] = []) { self.skip = skip }
}

public enum PruneCriterion: Sendable, Hashable {
    case sparsity(Double)
    case threshold(Double)
    case pattern(n: Int, m: Int)
}

public struct PruneSpec: Sendable {
    public var criterion: Located<PruneCriterion>?
    public var scope: Located<String>?
    public var skip: [Located<String>]

    public init(criterion: Located<PruneCriterion>? = nil, skip: [Located<String>] = []) {
        self.criterion = criterion
        self.skip = skip
    }
}

public struct OptimizeSpec: Sendable {
    public var quantize: QuantizeSpec?
    public var prune: PruneSpec?
    public init(quantize: QuantizeSpec? = nil, prune: PruneSpec? = nil) {
        self.quantize = quantize
        self.prune = prune
    }
}

public struct RuntimeRef: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var version: String?
    public init(name: String, version: String?) {
        self.name = name
        self.version = version
    }
    public var description: String { version.map { "\(name)@\($0)" } ?? name }
}

public struct OSVersion: Sendable, Hashable, CustomStringConvertible {
    public var os: String
    public var major: Int
    public var minor: Int
    public init(os: String, major: Int, minor: Int) {
        self.os = os
        self.major = major
        self.minor = minor
    }
    public var description: String { minor == 0 ? "\(os)\(major)" : "\(os)\(major).\(minor)" }
}

public struct Budget: Sendable {
    public var sizeMB: Located<Double>?
    public var memoryMB: Located<Double>?
    /// Microcontrollers: the most flash the weights may take (`memoryMB` is then the RAM).
    public var flashMB: Located<Double>?
    public var latencyMS: Located<Double>?
    public init() {}
}

public struct TargetSpec: Sendable {
    public var name: Located<String>
    public var runtime: Located<RuntimeRef>?
    /// The runtime the target's format implies when `runtime` is left out (`Vocabulary.impliedRuntimes`).
    public var impliedRuntime: String?
    /// `runtime`'s name, else the implied one.
    public var runtimeName: String? { runtime?.value.name ?? impliedRuntime }
    public var device: Located<String>?
    public var delegate: Located<String>?
    public var computeUnits: Located<String>?
    public var format: Located<String>?
    public var minimumOS: Located<OSVersion>?
    public var budget: Budget
    /// The manifest's `optimize` with this target's overrides applied (a `null` override removes a step).
    public var optimize: OptimizeSpec
    public var output: Located<String>?
    /// The deploy layout for this target, overriding `deploy.layout`.
    public var layout: Located<String>?
    /// The Python interpreter or venv folder that runs this target's external converter.
    public var python: Located<String>?
    /// The tool versions the target pins, in manifest order (only entries whose version is a string).
    public var tools: [ToolPin] = []
    /// The whole target node's range (for code lenses and hovers).
    public var range: ByteRange

    public init(name: Located<String>, budget: Budget, optimize: OptimizeSpec, range: ByteRange) {
        self.name = name
        self.budget = budget
        self.optimize = optimize
        self.range = range
    }
}

/// One `tools` entry: a tool's package name and the version pinned, each with its range.
public struct ToolPin: Sendable {
    public var name: Located<String>
    public var version: Located<String>
    public init(name: Located<String>, version: Located<String>) {
        self.name = name
        self.version = version
    }
}

public struct TestSpec: Sendable {
    public var samples: Located<String>?
    public var cosine: Located<Double>?
    public var maxAbs: Located<Double>?
    public var top1: Located<Double>?
    public var sqnrDB: Located<Double>?
    public var latencyMSP95: Located<Double>?
    public var preprocess: PreprocessSpec?
}

/// `test.preprocess`: how image, WAV and raw `.bin` samples become the model's input.
public struct PreprocessSpec: Sendable {
    public var layout: Located<String>?
    public var color: Located<String>?
    public var scale: Located<Double>?
    /// One value, or one per channel.
    public var mean: [Double] = []
    public var std: [Double] = []
    public var dtype: Located<String>?
    public var sampleRate: Located<Int>?
}

public struct DeploySpec: Sendable {
    public var to: Located<String>?
    public var version: Located<String>?
    /// `plain`, `triton` or `oci` (Vocabulary.deployLayouts); a target's `layout` overrides it.
    public var layout: Located<String>?
    /// The folder a `triton` or `oci` layout is written to, relative to the manifest.
    public var repository: Located<String>?
    public var triton: TritonSpec?
}

/// What a Triton model configuration takes from the manifest rather than from the model.
public struct TritonSpec: Sendable {
    public var maxBatchSize: Located<Int>?
    public var dynamicBatching: Located<Bool>?
    public var maxQueueDelayMicroseconds: Located<Int>?
    public var instances: Located<Int>?
}

public struct MonitorSpec: Sendable {
    public var latencyP95MS: Located<Double>?
    public var maxOutputDrift: Located<Double>?
    public var errorRate: Located<Double>?
    public var minThroughputRPS: Located<Double>?
    /// A Prometheus duration (`5m`), the window each threshold is evaluated over.
    public var window: Located<String>?
    /// `psi` or `jensen_shannon` (Vocabulary.driftMeasures).
    public var driftMeasure: Located<String>?
    /// Metric names by role (`latency`, `requests`, `errors`, `drift`), overriding the defaults.
    public var metrics: [String: Located<String>] = [:]
    /// Labels every generated rule carries, besides `target`.
    public var labels: [String: Located<String>] = [:]
    /// Label matchers selecting this model's series (default `model: <name>`).
    public var selector: [String: Located<String>] = [:]
}
