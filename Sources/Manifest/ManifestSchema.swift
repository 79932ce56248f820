import JSON

/// The manifest, as one schema. Its descriptions are the hover text users read, so they say what a key
/// does and what follows from each choice.
public enum ManifestSchema {
    public static let currentVersion = 1
    public static let versionKey = "slipway"

    public static let root: Schema = Schema(
        .object(
            properties: [
                Property(
                    versionKey,
                    Schema(
                        .integer(min: 1, max: currentVersion),
                        "Manifest format version. Marks the file as a Slipway manifest; `1` is the only version so far.",
                        examples: [1]),
                    required: true),
                Property(
                    "name",
                    Schema(
                        .string(StringRule(pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$")),
                        "What this deployment is called in reports and artifact names: letters, digits, `.`, `_` and `-`.",
                        examples: ["kws-mobile"])),
                Property("description", Schema(.string(StringRule()), "Free text for people reading the manifest.")),
                Property("model", model, required: true),
                Property("optimize", optimize(nullableMembers: false)),
                Property("targets", targets, required: true),
                Property("test", test),
                Property("deploy", deploy),
                Property("monitor", monitor),
            ], exclusive: [], requireOneOf: nil),
        title: "Slipway manifest",
        "A Slipway deployment manifest: the model, how to optimize it, the targets it ships to, how it is tested, deployed and monitored.")

    static let path = Schema(.string(StringRule(format: .path, minLength: 1)), "A path relative to this manifest's folder.")

    static let model = Schema(
        .object(
            properties: [
                Property(
                    "path",
                    Schema(
                        .string(StringRule(format: .path, minLength: 1)),
                        "The model file, relative to this manifest. Its format is found from its bytes: ONNX, LiteRT/TFLite, safetensors or GGUF.",
                        examples: ["models/kws.onnx"]),
                    required: true),
                Property(
                    "format",
                    Schema(
                        .string(StringRule(values: Vocabulary.modelFormats)),
                        "The model's format, when detection from its bytes should be overridden.", default: "auto")),
                Property(
                    "inputs",
                    Schema(
                        .map(
                            values: Schema(
                                .anyOf([
                                    Schema(
                                        .array(
                                            items: Schema(
                                                .anyOf([
                                                    Schema(.integer(min: 1, max: nil), "A fixed size."),
                                                    Schema(
                                                        .string(StringRule(pattern: "^[A-Za-z_][A-Za-z0-9_]*$")),
                                                        "A symbolic (dynamic) dimension, e.g. `batch`."),
                                                ]), "One dimension: a positive integer, or a name for a dynamic dimension."),
                                            minItems: 0, maxItems: 8),
                                        "A shape: a list of dimensions, outermost first (`[1, 512]`).", examples: [[1, 16000]]),
                                    Schema(
                                        .integer(min: nil, max: nil),
                                        "A value: an integer, for a scalar input such as the sample rate a model branches on (`sr: 16000`).",
                                        examples: [16000]),
                                ]),
                                "This input's shape (a list), or a scalar input's value (an integer)."),
                            keyPattern: "^.+$", keyDescription: "an input name of the model", minEntries: 0),
                        "The model's inputs, by input name: a shape (a list) fixes the input's shape; it resolves dynamic dimensions for estimates and for targets that need static shapes (Edge TPU, Core ML on the Neural Engine, TensorRT without profiles). An integer gives a scalar input's value, which the analysis uses where the model branches on it (a TorchScript `forward(x, sr: int)`).",
                        examples: [["audio": [1, 16000]], ["x": [1, 512], "sr": 16000]])),
                Property(
                    "context_length",
                    Schema(
                        .integer(min: 1, max: 16_777_216),
                        "For a language model (GGUF, or safetensors with a config.json beside it): the tokens it keeps in context. The KV cache and the attention cost per token are estimated at this length; without it, the model's own maximum (`<arch>.context_length`, `max_position_embeddings`).",
                        examples: [4096])),
            ], exclusive: [], requireOneOf: nil),
        "The model to deploy.")

    static func optimize(nullableMembers: Bool) -> Schema {
        Schema(
            .object(
                properties: [
                    Property("quantize", quantize(nullable: nullableMembers)),
                    Property("prune", prune(nullable: nullableMembers)),
                ], exclusive: [], requireOneOf: nil),
            nullableMembers
                ? "Overrides of the manifest's `optimize` for this target. A key set to `null` turns that step off here."
                : "How to optimize the model; the defaults for every target, which a target may override.",
            nullable: nullableMembers)
    }

    static let skip = Schema(
        .array(
            items: Schema(
                .string(StringRule(format: .glob, minLength: 1)),
                "A glob over tensor and node names: `*` within a name segment, `**` across `/`, `?`, `[abc]`."),
            minItems: 0, maxItems: nil),
        "Tensors or nodes to keep in float, as globs over their names.", examples: [["/classifier/*"]])

    static func quantize(nullable: Bool) -> Schema {
        Schema(
            .object(
                properties: [
                    Property(
                        "weights",
                        Schema(
                            .string(StringRule(values: Vocabulary.weightTypes)),
                            "The type weights are stored in after quantization.", default: "int8")),
                    Property(
                        "activations",
                        Schema(
                            .string(StringRule(values: Vocabulary.activationTypes)),
                            "The type activations are computed in. `dynamic` quantizes them to uint8 at run time (no calibration); int8, uint8 and int16 are static quantization and need `calibration` data.",
                            default: "none")),
                    Property(
                        "granularity",
                        Schema(
                            .string(StringRule(values: Vocabulary.granularities, format: .granularity)),
                            "How many scales a weight tensor gets: `per-tensor`, `per-channel` (per output channel), or `per-block:N` (N values along the reduction axis share one).",
                            default: "per-channel", examples: ["per-channel", "per-block:32"])),
                    Property(
                        "symmetric",
                        Schema(
                            .boolean,
                            "Symmetric quantization (zero point 0, range ±max|x|). Asymmetric uses the full [min, max] range with a zero point.",
                            default: true)),
                    Property(
                        "reduce_range",
                        Schema(
                            .boolean,
                            "Quantize weights to 7 bits, which avoids VPMADDUBSW saturation on x86-64 AVX2/AVX-512 CPUs without VNNI.",
                            default: false)),
                    Property(
                        "channel_axis",
                        Schema(
                            .integer(min: -8, max: 7),
                            "Override of the output-channel axis for per-channel quantization (otherwise taken from the operator that consumes each weight).")),
                    Property(
                        "format",
                        Schema(
                            .string(StringRule(values: Vocabulary.quantFormats)),
                            "How quantization is written into an ONNX model.", default: "qdq")),
                    Property(
                        "calibration",
                        Schema(
                            .string(StringRule(format: .path, minLength: 1)),
                            "A folder of representative input samples (100 to 500 is typical) that static quantization uses to fix activation ranges.",
                            examples: ["data/calib/"])),
                    Property(
                        "calibration_method",
                        Schema(
                            .string(StringRule(values: Vocabulary.calibrationMethods)),
                            "How activation ranges are chosen from the calibration samples.", default: "minmax")),
                    Property(
                        "io",
                        Schema(
                            .string(StringRule(values: Vocabulary.ioTypes)),
                            "The element type of the model's inputs and outputs under full-integer quantization (activations: int8): `float32` keeps them float, `int8` or `uint8` makes the caller quantize them (TensorFlow's converter's inference_input_type and inference_output_type).",
                            default: "float32")),
                    Property("skip", skip),
                ], exclusive: [], requireOneOf: nil),
            "Quantization: the type and granularity of weights and activations.", nullable: nullable)
    }

    static func prune(nullable: Bool) -> Schema {
        Schema(
            .object(
                properties: [
                    Property(
                        "sparsity",
                        Schema(
                            .number(min: 0, max: 1, exclusiveMax: true, exclusiveMin: false),
                            "The fraction of weights set to zero, smallest magnitudes first: 0 ≤ sparsity < 1.",
                            examples: [0.5])),
                    Property(
                        "threshold",
                        Schema(
                            .number(min: 0, max: nil, exclusiveMax: false, exclusiveMin: false),
                            "Weights with |x| below this are set to zero.", examples: [0.001])),
                    Property(
                        "pattern",
                        Schema(
                            .string(StringRule(format: .nmPattern)),
                            "N:M structured sparsity: in every M consecutive weights along the reduction axis, at most N stay non-zero (the largest), so `1:4` prunes 75 %. `2:4` (half) runs on NVIDIA Sparse Tensor Cores (Ampere and later).",
                            examples: ["2:4"])),
                    Property(
                        "scope",
                        Schema(
                            .string(StringRule(values: Vocabulary.pruneScopes)),
                            "Whether `sparsity` applies to each tensor or to all of them together.",
                            default: "per-tensor")),
                    Property("skip", skip),
                ], exclusive: [["sparsity", "threshold", "pattern"]],
                requireOneOf: ["sparsity", "threshold", "pattern"]),
            "Magnitude pruning: one of `sparsity`, `threshold` or `pattern`.", nullable: nullable)
    }

    static let target = Schema(
        .object(
            properties: [
                Property(
                    "runtime",
                    Schema(
                        .string(StringRule(values: Vocabulary.runtimes, format: .runtime)),
                        "The runtime that executes the model, optionally with its version: `name` or `name@version`. Required, except for a GGUF (llama.cpp) or safetensors (transformers) target, whose format implies it.",
                        examples: ["litert@2.16", "onnxruntime@1.20", "coreml"])),
                Property(
                    "device",
                    Schema(
                        .string(StringRule(minLength: 1)),
                        "The device or device class the model runs on; its memory, compute and bandwidth feed the estimates.",
                        examples: ["arm64-v8a", "iphone-15-pro", "x86-64-avx512-vnni", "stm32h7"])),
                Property(
                    "delegate",
                    Schema(
                        .string(StringRule(values: Vocabulary.delegates)),
                        "The delegate or execution provider that runs the model's operators.", default: "cpu")),
                Property(
                    "compute_units",
                    Schema(
                        .string(StringRule(values: Vocabulary.computeUnits)),
                        "Core ML compute units the model may use.", default: "all")),
                Property(
                    "format",
                    Schema(
                        .string(StringRule(values: Vocabulary.outputFormats)),
                        "The artifact's format.", examples: ["tflite"])),
                Property(
                    "minimum_os",
                    Schema(
                        .string(StringRule(format: .osVersion)),
                        "The oldest OS the artifact must run on, e.g. `ios17`, `macos14`, `android12`. It decides which compression Core ML and NNAPI accept.",
                        examples: ["ios17"])),
                Property(
                    "budget",
                    Schema(
                        .object(
                            properties: [
                                Property("size_mb", positive("The largest artifact size allowed, in MB (10^6 bytes).")),
                                Property("memory_mb", positive("The most memory the model may use at run time, in MB: weights plus peak activations; on a microcontroller the RAM alone (the arena of activations), since its weights stay in flash.")),
                                Property("flash_mb", positive("On a microcontroller, the most flash the optimized model file (weights and graph) may take, in MB (RAM is `memory_mb`).")),
                                Property("latency_ms", positive("The slowest single inference allowed, in milliseconds.")),
                            ], exclusive: [], requireOneOf: nil),
                        "Limits the optimized model must meet on this target; a miss is a diagnostic.",
                        examples: [["size_mb": 4, "memory_mb": 64, "latency_ms": 20]])),
                Property("optimize", optimize(nullableMembers: true)),
                Property("tools", tools),
                Property(
                    "python",
                    Schema(
                        .string(StringRule(format: .path, minLength: 1)),
                        "The Python interpreter, or a venv folder (its `bin/python` is used), that runs this target's external converter (onnx2tf, coremltools, onnxruntime's static quantization), relative to the manifest. Default: `python3` on PATH. `tools:` pins are checked against the packages it has.",
                        examples: [".venv-convert"])),
                Property(
                    "output",
                    Schema(
                        .string(StringRule(format: .pathTemplate, minLength: 1)),
                        "Where this target's artifact is written, relative to the manifest (overrides `deploy.to`).")),
                Property(
                    "layout",
                    Schema(.string(StringRule(values: Vocabulary.deployLayouts)),
                           "How `slipway deploy` publishes this target (overrides `deploy.layout`).")),
            ], exclusive: [], requireOneOf: nil),
        "One deployment target: a runtime on a device, with its own format, budget and optimization overrides.")

    static let tools = Schema(
        .map(
            values: Schema(
                .string(StringRule(pattern: "^[0-9]+(\\.[0-9]+)*([.+-]?[A-Za-z0-9.+-]*)?$", minLength: 1)),
                "The version pinned, quoted (`\"1.16.0\"`): unquoted `1.10` is the number 1.1.",
                examples: ["1.16.0"]),
            keyPattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$", keyDescription: "a tool's package name (letters, digits, `.`, `_`, `-`)",
            minEntries: 0),
        "The tool versions this target is built with, by package name. Known-bad combinations (with each other, the runtime or the optimization) are diagnosed (SW4015), each citing its source.",
        examples: [["onnx": "1.16.0", "onnxruntime": "1.18.0"]],
        knownKeys: Vocabulary.tools)

    static let targets = Schema(
        .map(
            values: target, keyPattern: "^[A-Za-z0-9][A-Za-z0-9_-]*$",
            keyDescription: "a target name (letters, digits, `_`, `-`)", minEntries: 1),
        "The targets this model ships to, by name. Each is checked, estimated and converted on its own.")

    static let test = Schema(
        .object(
            properties: [
                Property(
                    "samples",
                    Schema(
                        .string(StringRule(format: .path, minLength: 1)),
                        "A folder of inputs run through the original and the converted model by `slipway test`: .npy files (one-input models), .npz files keyed by input name, or, for a one-input model, images (.png, .jpg, .bmp, .webp), WAV audio and raw .bin files, decoded as `preprocess` says.", examples: ["data/test/"])),
                Property(
                    "tolerance",
                    Schema(
                        .object(
                            properties: [
                                Property(
                                    "cosine",
                                    Schema(
                                        .number(min: 0, max: 1, exclusiveMax: false, exclusiveMin: false),
                                        "The lowest cosine similarity allowed between original and converted outputs.",
                                        examples: [0.999])),
                                Property(
                                    "max_abs",
                                    Schema(
                                        .number(min: 0, max: nil, exclusiveMax: false, exclusiveMin: false),
                                        "The largest absolute difference allowed in any output value.", examples: [0.05])),
                                Property(
                                    "top1",
                                    Schema(
                                        .number(min: 0, max: 1, exclusiveMax: false, exclusiveMin: false),
                                        "The lowest fraction of samples whose top-1 class must agree.", examples: [0.99])),
                                Property(
                                    "sqnr_db",
                                    Schema(
                                        .number(min: nil, max: nil, exclusiveMax: false, exclusiveMin: false),
                                        "The lowest signal-to-quantization-noise ratio allowed, in dB, of any output over all samples.",
                                        examples: [30])),
                                Property(
                                    "latency_ms_p95",
                                    Schema(
                                        .number(min: 0, max: nil, exclusiveMax: true, exclusiveMin: true),
                                        "The highest 95th-percentile host latency of the artifact allowed, in milliseconds, measured by `slipway test` after warm-up.",
                                        examples: [5])),
                            ], exclusive: [], requireOneOf: nil),
                        "How close the converted model's outputs must stay to the original's.")),
                Property(
                    "preprocess",
                    Schema(
                        .object(
                            properties: [
                                Property("layout", Schema(.string(StringRule(values: Vocabulary.imageLayouts)),
                                    "Where an image's channels go; by default from the input's shape (1 or 3 first: nchw).")),
                                Property("color", Schema(.string(StringRule(values: Vocabulary.imageColors)),
                                    "The channel order images are decoded to; by default rgb (gray for a one-channel input).")),
                                Property("scale", Schema(.number(min: 0, max: nil, exclusiveMax: false, exclusiveMin: true),
                                    "Pixel values (0–255) are multiplied by it first.", default: .double(1.0 / 255.0), examples: [0.00392156862745098])),
                                Property("mean", Schema(
                                        .anyOf([
                                            Schema(.number(min: nil, max: nil, exclusiveMax: false, exclusiveMin: false), "One value for every channel."),
                                            Schema(.array(items: Schema(.number(min: nil, max: nil, exclusiveMax: false, exclusiveMin: false), "A channel's value."), minItems: 1, maxItems: 4), "One value per channel."),
                                        ]),
                                    "Subtracted after scaling, per channel.", examples: [[0.485, 0.456, 0.406]])),
                                Property("std", Schema(
                                        .anyOf([
                                            Schema(.number(min: nil, max: nil, exclusiveMax: false, exclusiveMin: false), "One value for every channel."),
                                            Schema(.array(items: Schema(.number(min: nil, max: nil, exclusiveMax: false, exclusiveMin: false), "A channel's value."), minItems: 1, maxItems: 4), "One value per channel."),
                                        ]),
                                    "Divided by after the mean, per channel.", examples: [[0.229, 0.224, 0.225]])),
                                Property("dtype", Schema(.string(StringRule(values: Vocabulary.rawDTypes)),
                                    "The element type of raw `.bin` samples (little-endian, as many values as the input holds).", default: "float32")),
                                Property("sample_rate", Schema(.integer(min: 1, max: 1_000_000),
                                    "The sample rate WAV samples must have, in Hz (they are read as mono PCM, padded or cut to the input's length).",
                                    examples: [16000])),
                            ], exclusive: [], requireOneOf: nil),
                        "How image, WAV and raw `.bin` samples become the model's single input (resized bilinearly to its height and width, scaled, normalised).")),
            ], exclusive: [], requireOneOf: nil),
        "How each artifact is tested against the original model.")

    static let deploy = Schema(
        .object(
            properties: [
                Property(
                    "to",
                    Schema(
                        .string(StringRule(format: .pathTemplate, minLength: 1)),
                        "Where artifacts are written, relative to the manifest: `{target}`, `{name}`, `{version}` and `{ext}` are filled in. Writes are atomic and never leave the project folder.",
                        examples: ["dist/{target}/{name}-{version}.{ext}"])),
                Property(
                    "version",
                    Schema(
                        .string(StringRule(minLength: 1)),
                        "The version stamped into artifact names and reports. Quote it: `1.10` unquoted is the number 1.1.",
                        examples: ["1.0.0"])),
                Property(
                    "layout",
                    Schema(.string(StringRule(values: Vocabulary.deployLayouts)),
                           "How `slipway deploy` publishes the artifacts; a target's `layout` overrides it.",
                           default: .string("plain"))),
                Property(
                    "repository",
                    Schema(.string(StringRule(format: .path, minLength: 1)),
                           "The folder a `triton` or `oci` layout is published to, relative to the manifest (`slipway deploy --to` overrides it). Default: `deploy/triton` or `deploy/oci`.",
                           examples: ["deploy/models"])),
                Property(
                    "triton",
                    Schema(
                        .object(
                            properties: [
                                Property("max_batch_size", Schema(.integer(min: 0, max: 1 << 30), "Triton's `max_batch_size`: 0 when the model's first dimension is not a batch; otherwise the largest batch Triton may form (the model's inputs must then have a dynamic or matching first dimension).", default: .int(0))),
                                Property("dynamic_batching", Schema(.boolean, "Let Triton combine requests into batches (needs `max_batch_size` > 0).", default: .bool(false))),
                                Property("max_queue_delay_us", Schema(.integer(min: 0, max: 60_000_000), "How long Triton may hold a request to fill a batch, in microseconds.", default: .int(0))),
                                Property("instances", Schema(.integer(min: 1, max: 1024), "Model instances per device (`instance_group.count`).", default: .int(1))),
                            ], exclusive: [], requireOneOf: nil),
                        "What the generated Triton `config.pbtxt` takes from the manifest; inputs, outputs and the backend come from the artifact.")),
            ], exclusive: [], requireOneOf: nil),
        "Where the artifacts go, and how `slipway deploy` publishes them.")

    static let monitor = Schema(
        .object(
            properties: [
                Property("latency_p95_ms", positive("The 95th-percentile latency above which production should alert, in milliseconds.")),
                Property(
                    "max_output_drift",
                    Schema(
                        .number(min: 0, max: nil, exclusiveMax: false, exclusiveMin: false),
                        "The largest drift of an output's distribution from the test set's before production should alert, measured by `drift_measure`.",
                        examples: [0.02])),
                Property(
                    "drift_measure",
                    Schema(.string(StringRule(values: Vocabulary.driftMeasures)), "How drift is measured.", default: .string("psi"))),
                Property(
                    "error_rate",
                    Schema(.number(min: 0, max: 1, exclusiveMax: false, exclusiveMin: false),
                           "The fraction of failed inferences over the window above which production should alert.", examples: [0.01])),
                Property("min_throughput_rps", positive("The request rate (per second, over the window) below which production should alert.")),
                Property(
                    "window",
                    Schema(.string(StringRule(pattern: "^[0-9]+(ms|s|m|h|d|w|y)$", minLength: 2)),
                           "The Prometheus range each threshold is evaluated over.", default: .string("5m"), examples: ["5m", "1h"])),
                Property(
                    "metrics",
                    Schema(
                        .map(values: Schema(.string(StringRule(pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", minLength: 1)), "A Prometheus metric name."),
                             keyPattern: "^(latency|requests|errors|drift)$", keyDescription: "a metric role: latency, requests, errors or drift",
                             minEntries: 0),
                        "Metric names by role, when the serving side does not use Slipway's defaults.",
                        knownKeys: Vocabulary.monitorMetrics)),
                Property(
                    "labels",
                    Schema(
                        .map(values: Schema(.string(StringRule(minLength: 1)), "A label value."),
                             keyPattern: "^[a-zA-Z_][a-zA-Z0-9_]*$", keyDescription: "a Prometheus label name", minEntries: 0),
                        "Labels every generated alert carries (besides `target`), e.g. `severity: page`.")),
                Property(
                    "selector",
                    Schema(
                        .map(values: Schema(.string(StringRule(minLength: 1)), "The label's value (matched exactly)."),
                             keyPattern: "^[a-zA-Z_][a-zA-Z0-9_]*$", keyDescription: "a Prometheus label name", minEntries: 0),
                        "Label matchers that select this model's series in Prometheus. Default: `model: <name>`; series are grouped by their `target` label.",
                        examples: [["job": "ranking-api", "model": "text-encoder"]])),
            ], exclusive: [], requireOneOf: nil),
        "What production monitoring should watch.")

    static func positive(_ description: String) -> Schema {
        Schema(.number(min: 0, max: nil, exclusiveMax: false, exclusiveMin: true), description)
    }
}
