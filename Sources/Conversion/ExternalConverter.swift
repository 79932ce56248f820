#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hashing
import JSON
import Manifest
import ModelFormats

/// One external converter from `Schemas/converters.json`: what it converts, the Python packages it needs
/// (with the versions Slipway is tested with) or the executable it runs.
public struct ExternalTool: Sendable {
    public var name: String
    public var what: String
    /// "python" (a module or driver run with the target's interpreter) or "executable" (a program on PATH).
    public var kind: String
    /// Package → tested version, in file order.
    public var packages: [(name: String, version: String)]
    /// The packages the install command names (their dependencies come along).
    public var install: [String]
    public var executable: String?
    /// The `tools:` key whose pin is compared with the executable's own version (trtexec → tensorrt).
    public var versionOf: String?
    public var installText: String?

    /// The table, parsed once from the embedded JSON.
    public static let all: [ExternalTool] = parse(EmbeddedDrivers.converters)

    public static func named(_ name: String) -> ExternalTool? { all.first { $0.name == name } }

    static func parse(_ text: String) -> [ExternalTool] {
        guard let root = try? JSONValue.parse(text), let list = root["converters"]?.arrayValue else { return [] }
        return list.compactMap { c in
            guard let name = c["name"]?.stringValue, let kind = c["kind"]?.stringValue else { return nil }
            let packages = (c["packages"]?.objectValue?.entries ?? []).compactMap { e in
                e.value.stringValue.map { (name: e.key, version: $0) }
            }
            return ExternalTool(
                name: name, what: c["what"]?.stringValue ?? name, kind: kind, packages: packages,
                install: (c["install"]?.arrayValue ?? []).compactMap(\.stringValue),
                executable: c["executable"]?.stringValue, versionOf: c["version_of"]?.stringValue,
                installText: c["install_text"]?.stringValue)
        }
    }

    /// The exact command that installs this tool into `python`, at the manifest's pins where it has them,
    /// else at the tested versions.
    public func installCommand(python: String, pins: [String: String]) -> String {
        if kind != "python" { return installText ?? "install \(executable ?? name) and put it on PATH" }
        let tested = Dictionary(packages.map { ($0.name, $0.version) }, uniquingKeysWith: { a, _ in a })
        let specs = install.map { p in (pins[p] ?? tested[p]).map { "\(p)==\($0)" } ?? p }
        return ([shellQuote(python), "-m", "pip", "install"] + specs.map(shellQuote)).joined(separator: " ")
    }
}

/// Quotes a word for the user's shell (only in messages: Slipway itself never runs a shell).
func shellQuote(_ s: String) -> String {
    let safe = s.utf8.allSatisfy { c in
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            || [0x2D, 0x2E, 0x2F, 0x3D, 0x5F, 0x3A, 0x2C, 0x2B].contains(c)
    }
    if safe, !s.isEmpty { return s }
    return "'" + s.replacingAll("'", "'\\''") + "'"
}

/// How one external conversion is run: the tool, argv (with `{work}` standing for the temporary folder),
/// the product's path inside it, and the settings recorded in the report and fingerprint.
public struct ExternalPlan: Sendable {
    public var tool: ExternalTool
    /// The program: the interpreter for Python tools, the executable otherwise.
    public var executable: String
    /// Arguments; `{work}` is replaced by the temporary folder when run.
    public var arguments: [String]
    /// A driver script from `scripts/converters` to write into the temporary folder first.
    public var driver: String?
    /// The artifact inside the temporary folder: a file name, or a suffix when the tool names it itself.
    public var product: Product
    /// The settings as the report records them.
    public var settings: JSONValue
    /// Extra inputs whose bytes decide the output (calibration samples).
    public var extraInputs: [String]
    /// When set, the tool reads a copy of the source with this name in the temporary folder (a tool that
    /// writes over its input must never reach the user's model).
    public var sourceCopy: String? = nil
    /// Slipway's ONNX converter runs on the tool's product with these settings (an exporter writes the float
    /// graph; the target's quantization and pruning are Slipway's own, as for an ONNX source).
    public var then: ConversionSettings? = nil
    /// The manifest's test samples (a folder), on which the driver's check of its file against the source runs
    /// first (artifact_fidelity.py); not part of the fingerprint: they do not change the file.
    public var checkSamples: String? = nil
    /// The manifest's `test.preprocess` (serialized JSON), with which that check decodes image, WAV and .bin samples.
    public var checkPreprocess: String? = nil

    public enum Product: Sendable, Equatable {
        case file(String)
        /// The one file in the folder whose name ends so (onnx2tf names its outputs after the source).
        case suffix(folder: String, String)
    }
}

/// The external half of `Converter`: plans a target's conversion, checks the tool and its version, runs it
/// as a child process (log beside the report), and moves its product into place atomically.
public enum ExternalConverter {
    static let workPlaceholder = "{work}"

    /// The external plan for a target, or nil when the native converter handles it.
    public static func plan(
        target: TargetSpec, manifest: Manifest, modelPath: String, manifestFolder: String, python: String,
        exportOpset: Int? = nil
    ) throws(ConversionError) -> ExternalPlan? {
        let name = target.name.value
        let format = target.format?.value ?? Converter.defaultFormat(target, modelPath: modelPath)
        let source = modelPath.lowercased()
        let q = target.optimize.quantize
        let activations = q?.activations?.value ?? "none"
        let staticQuant = activations == "int8" || activations == "uint8"
        let whole = manifest.wholeInputShapes
        let shapes = (manifest.model?.inputs ?? []).compactMap { i in whole[i.name.value].map { (i.name.value, $0) } }
        // The fixed input shapes as drivers take them (`--input NAME=d0,d1`) and as the report records them.
        let inputArgs = shapes.flatMap { ["--input", "\($0.0)=" + $0.1.map(String.init).joined(separator: ",")] }
        // The scalar inputs (`sr: 16000`) a PyTorch forward takes as `int` arguments: the exporter traces at these
        // values and bakes them in (`--value NAME=N`), as the analysis and `slipway test` take them.
        let values = (manifest.model?.inputValues ?? []).map { ($0.name.value, $0.value.value) }
        let valueArgs = values.flatMap { ["--value", "\($0.0)=\($0.1)"] }
        // The opset an exporter writes is the plan's (its default, or the runtime's highest when lower).
        let opsetArgs = exportOpset.map { ["--opset", String($0)] } ?? []
        var shapesJSON = JSONObject()
        for (n, dims) in shapes { shapesJSON[n] = .array(dims.map { .int($0) }) }
        var exportSettings: JSONObject = ["input_shapes": .object(shapesJSON)]
        if !values.isEmpty {
            var valuesJSON = JSONObject()
            for (n, v) in values { valuesJSON[n] = .int(v) }
            exportSettings["input_values"] = .object(valuesJSON)
        }
        if let o = exportOpset { exportSettings["opset"] = .int(o) }
        let keras = source.hasSuffix(".h5") || source.hasSuffix(".hdf5") || source.hasSuffix(".keras")
        func tool(_ n: String) throws(ConversionError) -> ExternalTool {
            guard let t = ExternalTool.named(n) else { throw ConversionError(.io, "internal error: no converter \(n) in the embedded table") }
            return t
        }
        func refusePruning(_ what: String) throws(ConversionError) {
            if target.optimize.prune?.criterion != nil {
                throw ConversionError(.unsupported, "\(what) does not prune; prune the ONNX model first (a target with format: onnx and optimize.prune) and convert that")
            }
        }
        switch format {
        case "onnx" where source.hasSuffix(".pt") || source.hasSuffix(".pth") || source.hasSuffix(".pt2"):
            // The exporter writes the float graph; Slipway's ONNX converter quantizes and prunes it after.
            let args = ["{work}/torch_onnx.py", "--source", modelPath, "--output", "{work}/model.onnx",
                        "--summary", "{work}/summary.json"] + inputArgs + valueArgs + opsetArgs
            return try chained(ExternalPlan(tool: try tool("torch-onnx-export"), executable: python, arguments: args,
                                            driver: "torch_onnx.py", product: .file("model.onnx"),
                                            settings: .object(exportSettings), extraInputs: []),
                               target: target)
        case "onnx" where keras:
            let args = ["{work}/keras_convert.py", "--to", "onnx", "--source", modelPath, "--output", "{work}/model.onnx",
                        "--summary", "{work}/summary.json"] + inputArgs + opsetArgs
            return try chained(ExternalPlan(tool: try tool("tf2onnx"), executable: python, arguments: args,
                                            driver: "keras_convert.py", product: .file("model.onnx"),
                                            settings: .object(exportSettings), extraInputs: []),
                               target: target)
        case "onnx" where staticQuant:
            guard source.hasSuffix(".onnx") else { return nil }
            try refusePruning("static quantization through onnxruntime")
            guard let calib = q?.calibration?.value, !calib.isEmpty else {
                throw ConversionError(.manifest, "activations: \(activations) is static quantization and needs calibration samples: set optimize.quantize.calibration to a folder of .npz (or .npy) files")
            }
            let weights = q?.weights?.value ?? "int8"
            guard weights == "int8" || weights == "uint8" else {
                throw ConversionError(.unsupported, "static quantization writes int8 or uint8 weights, not \(weights); set weights: int8")
            }
            var perChannel = true
            switch q?.granularity?.value {
            case .perTensor?: perChannel = false
            case .perBlock?: throw ConversionError(.unsupported, "static quantization is per-tensor or per-channel, not per-block; set granularity: per-channel")
            default: break
            }
            let folder = Converter.join(manifestFolder, calib)
            let method = q?.calibrationMethod?.value ?? "minmax"
            let qformat = q?.format?.value ?? "qdq"
            let symmetric = q?.symmetric?.value ?? true
            let reduce = q?.reduceRange?.value ?? false
            if qformat == "qoperator", perChannel, !symmetric {
                // onnxruntime writes such a model, then refuses to run it.
                throw ConversionError(.unsupported, "QOperator with per-channel asymmetric weights does not run in onnxruntime (QLinearConv needs one weight zero point across channels); set symmetric: true, granularity: per-tensor, or format: qdq")
            }
            let skip = (q?.skip ?? []).map(\.value) + (target.optimize.prune?.skip ?? []).map(\.value)
            var args = ["{work}/quantize_static.py", "--input", modelPath, "--output", "{work}/model.onnx",
                        "--calibration", folder, "--summary", "{work}/summary.json",
                        "--weights", weights, "--activations", activations, "--format", qformat, "--method", method]
            if perChannel { args.append("--per-channel") }
            if reduce { args.append("--reduce-range") }
            if symmetric { args.append("--symmetric") }
            for g in skip { args += ["--skip", g] }
            let settings: JSONValue = [
                "weights": .string(weights), "activations": .string(activations), "format": .string(qformat),
                "granularity": perChannel ? "per-channel" : "per-tensor", "symmetric": .bool(symmetric),
                "reduce_range": .bool(reduce), "calibration": .string(calib), "calibration_method": .string(method),
                "skip": .array(skip.map { .string($0) }),
            ]
            return ExternalPlan(tool: try tool("onnxruntime-quantize-static"), executable: python, arguments: args,
                                driver: "quantize_static.py", product: .file("model.onnx"), settings: settings,
                                extraInputs: try calibrationFiles(folder, target: name))
        case "tflite" where keras:
            return try kerasPlan(target: target, modelPath: modelPath, manifestFolder: manifestFolder, python: python,
                                 tool: try tool("tflite-converter"), inputArgs: inputArgs, shapes: shapesJSON)
        case "tflite":
            guard source.hasSuffix(".onnx") else { return nil }
            try refusePruning("onnx2tf")
            // onnx2tf writes its SavedModel and float TFLite files; for int8 weights TensorFlow's converter quantizes
            // the SavedModel: the weights only (dynamic range, float activations), or on the calibration samples
            // (full integer). onnx2tf writes its simplified graph back over its input file: it gets a copy, never the
            // source.
            let weights = q?.weights?.value ?? (staticQuant ? "int8" : "none")
            if !staticQuant, !["none", "float32", "float16", "int8"].contains(weights) {
                throw ConversionError(.unsupported, "onnx2tf and TensorFlow's converter write float32, float16 or int8 TFLite weights, not \(weights)")
            }
            // onnx2tf takes a shape given in part too (`[batch, 3, 48, 192]`: the sizes fixed, the batch free): the
            // driver writes the numbers into its copy, where onnx2tf would otherwise sample the sizes at 1 too.
            var partial: [(String, [Int?])] = []
            for i in manifest.model?.inputs ?? [] {
                if let dims = manifest.fixedInputDims[i.name.value], dims.contains(nil), dims.contains(where: { $0 != nil }) {
                    partial.append((i.name.value, dims))
                }
            }
            let partialArgs = partial.flatMap { ["--input", "\($0.0)=" + $0.1.map { $0.map(String.init) ?? "?" }.joined(separator: ",")] }
            var args = ["{work}/onnx_tflite.py", "--source", "{work}/source.onnx", "--output", "{work}/model.tflite",
                        "--summary", "{work}/summary.json", "--weights", weights, "--activations", activations]
                + inputArgs + partialArgs + valueArgs
            var sizes = shapesJSON
            for (n, dims) in partial { sizes[n] = .array(dims.map { $0.map { .int($0) } ?? .null }) }
            var settings: JSONObject = ["weights": .string(weights), "input_shapes": .object(sizes)]
            if let v = exportSettings["input_values"] { settings["input_values"] = v }
            if staticQuant { settings["activations"] = .string(activations) }
            let extra = weights == "int8"
                ? try tfliteQuantization(target: target, manifestFolder: manifestFolder, args: &args, settings: &settings) : []
            return ExternalPlan(tool: try tool("onnx2tf"), executable: python, arguments: args, driver: "onnx_tflite.py",
                                product: .file("model.tflite"), settings: .object(settings), extraInputs: extra,
                                sourceCopy: "source.onnx")
        case "mlpackage", "mlmodel":
            if source.hasSuffix(".onnx") {
                throw ConversionError(.unsupported, "Core ML from ONNX is not possible: coremltools has no ONNX frontend since version 6. Point model.path at a TorchScript module (torch.jit.save, .pt) or an ExportedProgram (torch.export.save, .pt2)")
            }
            guard source.hasSuffix(".pt") || source.hasSuffix(".pt2") || source.hasSuffix(".pth") else {
                throw ConversionError(.unsupported, "Core ML conversion reads a TorchScript .pt or ExportedProgram .pt2, not \(modelPath)")
            }
            if format == "mlmodel" {
                throw ConversionError(.unsupported, "Slipway writes Core ML ML Programs (format: mlpackage); the neural-network .mlmodel form is not written")
            }
            var args = ["{work}/coreml.py", "--source", modelPath, "--output", "{work}/model.mlpackage",
                        "--summary", "{work}/summary.json"] + inputArgs
            var settings: JSONObject = [:]
            if let os = target.minimumOS?.value {
                let names = ["ios": "iOS", "macos": "macOS", "watchos": "watchOS", "tvos": "tvOS", "visionos": "visionOS", "ipados": "iOS"]
                let label = (names[os.os] ?? os.os) + String(os.major)
                args += ["--minimum-os", label]
                settings["minimum_os"] = .string(label)
            }
            let units = ["all": "ALL", "cpu-only": "CPU_ONLY", "cpu-and-gpu": "CPU_AND_GPU", "cpu-and-ne": "CPU_AND_NE"]
            if let cu = target.computeUnits?.value {
                args += ["--compute-units", units[cu] ?? "ALL"]
                settings["compute_units"] = .string(cu)
            }
            let weights = q?.weights?.value ?? "none"
            switch weights {
            case "none", "float16": break
            case "float32": args += ["--precision", "float32"]
            case "int8", "uint8":
                args += ["--weights", weights, "--granularity",
                         (q?.granularity?.value).map { if case .perTensor = $0 { return "per_tensor" }; return "per_channel" } ?? "per_channel"]
                if q?.symmetric?.value ?? true { args.append("--symmetric") }
            default:
                throw ConversionError(.unsupported, "Slipway's Core ML path writes float16, float32 or int8/uint8 weights, not \(weights)")
            }
            settings["weights"] = .string(weights)
            switch target.optimize.prune?.criterion?.value {
            case .sparsity(let s)?: args += ["--sparsity", String(s)]; settings["pruning"] = .string("sparsity \(s)")
            case .pattern(let n, let m)?: args += ["--pattern", "\(n):\(m)"]; settings["pruning"] = .string("pattern \(n):\(m)")
            case .threshold?: throw ConversionError(.unsupported, "coremltools prunes by sparsity or N:M, not by threshold")
            case nil: break
            }
            return ExternalPlan(tool: try tool("coremltools"), executable: python, arguments: args, driver: "coreml.py",
                                product: .file("model.mlpackage"), settings: .object(settings), extraInputs: [])
        case "engine", "plan":
            guard source.hasSuffix(".onnx") else {
                throw ConversionError(.unsupported, "trtexec builds engines from ONNX models, not \(modelPath)")
            }
            return try trtexecPlan(target: target, modelPath: modelPath, shapes: shapes, tool: try tool("trtexec"))
        default:
            return nil
        }
    }

    /// An exporter's plan with the target's native ONNX settings to run on its product, when they change anything.
    static func chained(_ plan: ExternalPlan, target: TargetSpec) throws(ConversionError) -> ExternalPlan {
        var plan = plan
        let settings = try Converter.settings(for: target)
        guard case .object(var o) = plan.settings else { return plan }
        let native = settings.json(for: .onnx)
        o["weights"] = native["weights"] ?? "none"
        if settings.weights != nil || settings.pruning != nil || settings.float16Compute || settings.dynamic {
            plan.then = settings
            o["then"] = native
        }
        plan.settings = .object(o)
        return plan
    }

    /// The TFLite converter's quantization arguments (tflite_quantization.py) for the target's settings: the weight
    /// granularity for int8, and for full integer the calibration folder (its files are the conversion's inputs too)
    /// and integer inputs and outputs. Returns the calibration files.
    static func tfliteQuantization(
        target: TargetSpec, manifestFolder: String, args: inout [String], settings: inout JSONObject
    ) throws(ConversionError) -> [String] {
        let q = target.optimize.quantize
        var extra: [String] = []
        if q?.weights?.value == "int8" {
            let perTensor: Bool
            if case .perTensor? = q?.granularity?.value { perTensor = true } else { perTensor = false }
            if perTensor { args.append("--per-tensor") }
            settings["granularity"] = .string(perTensor ? "per-tensor" : "per-channel")
        }
        if let activations = q?.activations?.value, activations == "int8" {
            guard let calib = q?.calibration?.value, !calib.isEmpty else {
                throw ConversionError(.manifest, "activations: int8 is full-integer quantization and needs calibration samples: set optimize.quantize.calibration to a folder of .npz (or .npy) files")
            }
            let folder = Converter.join(manifestFolder, calib)
            extra = try calibrationFiles(folder, target: target.name.value)
            args += ["--calibration", folder]
            settings["calibration"] = .string(calib)
            // Recorded only when integer, so the reports of float-I/O conversions stay as they were.
            if let io = q?.io?.value, io != "float32" {
                args += ["--io", io]
                settings["io"] = .string(io)
            }
        }
        return extra
    }

    /// TensorFlow's converter on a Keras model (the seed's `from_keras_model` path): float, float16, dynamic-range
    /// int8, or full integer calibrated on the manifest's samples. The plan (Schemas/conversion/paths.json)
    /// has already refused what this path does not write, in `check` and here alike.
    static func kerasPlan(
        target: TargetSpec, modelPath: String, manifestFolder: String, python: String, tool: ExternalTool,
        inputArgs: [String], shapes: JSONObject
    ) throws(ConversionError) -> ExternalPlan {
        let q = target.optimize.quantize
        let weights = q?.weights?.value ?? "none"
        let activations = q?.activations?.value ?? "none"
        var args = ["{work}/keras_convert.py", "--source", modelPath, "--output", "{work}/model.tflite",
                    "--summary", "{work}/summary.json", "--weights", weights, "--activations", activations] + inputArgs
        var settings: JSONObject = ["weights": .string(weights), "activations": .string(activations),
                                    "input_shapes": .object(shapes)]
        let extra = try tfliteQuantization(target: target, manifestFolder: manifestFolder, args: &args, settings: &settings)
        return ExternalPlan(tool: tool, executable: python, arguments: args, driver: "keras_convert.py",
                            product: .file("model.tflite"), settings: .object(settings), extraInputs: extra)
    }

    /// trtexec's argv: --onnx, --saveEngine, the precisions and sparsity the manifest asks for, and the
    /// manifest's fixed input shapes (an engine is built for them).
    static func trtexecPlan(
        target: TargetSpec, modelPath: String, shapes: [(String, [Int])], tool: ExternalTool
    ) throws(ConversionError) -> ExternalPlan {
        let q = target.optimize.quantize
        var args = ["--onnx=\(modelPath)", "--saveEngine={work}/model.engine"]
        var precisions: [String] = []
        let weights = q?.weights?.value ?? "none"
        let activations = q?.activations?.value ?? "none"
        if weights == "float16" || activations == "float16" { precisions.append("fp16") }
        if weights == "int8" || activations == "int8" { precisions.append("int8") }
        if !["none", "float32", "float16", "int8"].contains(weights) {
            throw ConversionError(.unsupported, "trtexec builds float32, float16 or int8 engines, not weights: \(weights)")
        }
        for p in precisions { args.append("--\(p)") }
        var sparsity = false
        switch target.optimize.prune?.criterion?.value {
        case .pattern(n: 2, m: 4)?:
            // TensorRT uses 2:4 sparse kernels only where the weights already hold the pattern.
            args.append("--sparsity=enable")
            sparsity = true
        case nil: break
        default:
            throw ConversionError(.unsupported, "TensorRT accelerates only 2:4 sparsity (prune.pattern: \"2:4\"), and only on weights already pruned to it")
        }
        if !shapes.isEmpty {
            let spec = shapes.map { "\($0.0):" + $0.1.map(String.init).joined(separator: "x") }.joined(separator: ",")
            args += ["--minShapes=\(spec)", "--optShapes=\(spec)", "--maxShapes=\(spec)"]
        }
        let settings: JSONValue = ["precisions": .array(precisions.map { .string($0) }), "sparsity": .bool(sparsity)]
        return ExternalPlan(tool: tool, executable: tool.executable ?? "trtexec", arguments: args, driver: nil,
                            product: .file("model.engine"), settings: settings, extraInputs: [])
    }

    static func calibrationFiles(_ folder: String, target: String) throws(ConversionError) -> [String] {
        guard let dir = opendir(folder) else {
            throw ConversionError(.manifest, "the calibration folder \(folder) cannot be opened: \(SafeWriter.errnoText())")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let n = DirectoryEntry.name(entry)
            if n.hasSuffix(".npy") || n.hasSuffix(".npz") { names.append(n) }
        }
        if names.isEmpty {
            throw ConversionError(.manifest, "the calibration folder \(folder) holds no .npz or .npy sample (one sample per file; .npz arrays keyed by input name)")
        }
        return names.sorted().map { Converter.join(folder, $0) }
    }

    // MARK: Tool check

    /// What the probe found: the interpreter's version and each package's (nil when missing).
    public struct Probe: Sendable {
        public var python: String?
        public var versions: [String: String]
        public var missing: [String]
    }

    /// Asks the interpreter (or the executable) for the tool's version and compares it with the target's
    /// pins: a missing tool or a different version is an error naming both and the command that fixes it.
    static func checkTool(
        _ plan: ExternalPlan, pins: [String: String], work: String, cancellation: CancellationCheck
    ) throws(ConversionError) -> Probe {
        let tool = plan.tool
        if tool.kind == "executable" {
            guard ChildProcess.resolve(plan.executable) != nil else {
                throw ConversionError(.missingTool, "\(tool.what) needs \(plan.executable), which is not on PATH; \(tool.installCommand(python: "", pins: pins))")
            }
            let log = "\(work)/probe.log"
            _ = try ChildProcess.run(ChildProcess.Request(executable: plan.executable, arguments: ["--help"], logPath: log,
                                                          timeout: .seconds(60)), cancellation: cancellation)
            let version = tensorRTVersion(inLog: ChildProcess.tail(of: log, lines: 400))
            var versions: [String: String] = [:]
            if let v = version, let key = tool.versionOf {
                versions[key] = v
                if let pin = pins[key], !versionMatches(installed: v, pin: pin) {
                    throw ConversionError(.missingTool, "\(plan.executable) is TensorRT \(v), but the target pins \(key) \(pin); put TensorRT \(pin)'s trtexec first on PATH (an engine runs only on the TensorRT version that built it)")
                }
            }
            return Probe(python: nil, versions: versions, missing: [])
        }
        let names = Array(Set(tool.packages.map(\.name) + pins.keys.filter { $0 != "python" })).sorted()
        let result = "\(work)/probe.json"
        let log = "\(work)/probe.log"
        try writeDriver("probe.py", into: work)
        let exit: ChildExit
        do {
            exit = try ChildProcess.run(ChildProcess.Request(executable: plan.executable, arguments: ["\(work)/probe.py", result] + names,
                                                             logPath: log, timeout: .seconds(120)), cancellation: cancellation)
        } catch where error.kind == .missingTool {
            throw ConversionError(.missingTool, "\(tool.what) needs a Python interpreter, and \(plan.executable) was not found; create one with `python3 -m venv .venv-convert && \(tool.installCommand(python: ".venv-convert/bin/python", pins: pins))` and set the target's `python: .venv-convert`")
        }
        if exit.cancelled { throw ConversionError(.cancelled, "cancelled") }
        guard exit.succeeded, let size = PathSafety.fileSize(result), size < 1 << 20,
              let json = try? JSONValue.parse(bytes: readFile(result, limit: size))
        else {
            throw ConversionError(.missingTool, "\(plan.executable) could not run Slipway's version probe (\(exit.summary)): \(ChildProcess.tail(of: log, lines: 5))")
        }
        var versions: [String: String] = [:]
        var missing: [String] = []
        for n in names {
            if let v = json["packages"]?[n]?.stringValue { versions[n] = v } else { missing.append(n) }
        }
        let required = Set(tool.packages.map(\.name))
        let missingRequired = missing.filter { required.contains($0) }
        if !missingRequired.isEmpty {
            throw ConversionError(.missingTool, "\(tool.what) needs \(tool.name), and \(plan.executable) lacks \(missingRequired.joined(separator: ", ")); install with `\(tool.installCommand(python: plan.executable, pins: pins))`")
        }
        for (n, pin) in pins.sorted(by: { $0.key < $1.key }) {
            guard let v = versions[n] else { continue }
            if !versionMatches(installed: v, pin: pin) {
                throw ConversionError(.missingTool, "the target pins \(n) \(pin), but \(plan.executable) has \(n) \(v); install the pinned one with `\(shellQuote(plan.executable)) -m pip install \(shellQuote("\(n)==\(pin)"))`, or change the pin")
            }
        }
        let python = json["python"]?.stringValue
        if let pin = pins["python"], let python, !versionMatches(installed: python, pin: pin) {
            throw ConversionError(.missingTool, "the target pins python \(pin), but \(plan.executable) is Python \(python); point the target's `python:` at a \(pin) interpreter or venv, or change the pin")
        }
        return Probe(python: python, versions: versions, missing: missing)
    }

    /// A pin matches the version it names and, written shorter, every version it is a prefix of
    /// (`"2.19"` matches 2.19.0 and 2.19.1).
    static func versionMatches(installed: String, pin: String) -> Bool {
        installed == pin || installed.hasPrefix(pin + ".") || installed.hasPrefix(pin + "+")
    }

    /// trtexec prints `[TensorRT v100800]` (major · 10000 + minor · 100 + patch) in its banner.
    static func tensorRTVersion(inLog text: String) -> String? {
        guard let r = text.range(of: "[TensorRT v") else { return nil }
        let digits = text[r.upperBound...].prefix { $0.isNumber }
        guard let n = Int(digits), n > 0 else { return nil }
        return "\(n / 10000).\((n / 100) % 100).\(n % 100)"
    }

    static func writeDriver(_ name: String, into work: String) throws(ConversionError) {
        guard let text = name == "run_models.py" ? EmbeddedRunners.runModels : EmbeddedDrivers.files[name] else { throw ConversionError(.io, "internal error: no driver \(name)") }
        try SafeWriter.scratch(Array(text.utf8), to: "\(work)/\(name)")
    }
}

extension String {
    func range(of needle: String) -> Range<String.Index>? {
        let n = Array(needle.utf8)
        guard !n.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if utf8[i...].starts(with: n) {
                return i..<utf8.index(i, offsetBy: n.count)
            }
            i = index(after: i)
        }
        return nil
    }
}

// MARK: The run

extension ExternalConverter {
    /// Runs a plan: checks the tool, skips an up-to-date artifact, runs the tool in a temporary folder beside
    /// the output (its output in `<artifact>.log`), then renames the product into place and writes the report.
    /// A failure or a cancellation removes the temporary folder, so no partial output is left.
    static func run(
        plan: ExternalPlan, source: String, output: String, target: String, manifestPath: String, pins: [String: String],
        options: ConvertOptions, progress: @Sendable (ConversionProgress) -> Void, cancellation: CancellationCheck
    ) throws(ConversionError) -> ConversionReport {
        let started = ContinuousClock.now
        let report = Converter.reportPath(for: output)
        let logPath = logPath(for: output)
        progress(ConversionProgress(target: target, phase: "checking \(plan.tool.name)", fraction: 0))
        let folder = SafeWriter.directory(of: output)
        // One writer per artifact at a time, from the up-to-date check to the last rename.
        let claim = try OutputClaim.take(output, target: target, options: options, progress: progress, cancellation: cancellation)
        defer { claim.release() }
        StaleTemporaries.sweep(folder: folder)
        let work = try makeWorkFolder(for: output)
        defer { removeTree(work) }

        let probe = try checkTool(plan, pins: pins, work: work, cancellation: cancellation)
        var toolVersions = JSONObject()
        for (k, v) in probe.versions.sorted(by: { $0.key < $1.key }) { toolVersions[k] = .string(v) }
        if let p = probe.python { toolVersions["python"] = .string(p) }

        progress(ConversionProgress(target: target, phase: "reading", fraction: 0.05))
        let sourceSHA = try sha256(ofFile: source)
        var inputs: [JSONValue] = [.object(["path": .string(source), "sha256": .string(sourceSHA),
                                            "bytes": .int(PathSafety.fileSize(source) ?? 0)])]
        var extraSHA = SHA256()
        for f in plan.extraInputs {
            let s = try sha256(ofFile: f)
            extraSHA.update(Array("\(SafeWriter.lastComponent(f)) \(s)\n".utf8))
        }
        if !plan.extraInputs.isEmpty {
            inputs.append(.object(["calibration": .int(plan.extraInputs.count), "sha256": .string(extraSHA.finalize())]))
        }
        let argvTemplate = [plan.executable] + plan.arguments
        var fp = SHA256()
        fp.update(Array(JSONValue.object([
            "inputs": .array(inputs), "settings": plan.settings, "slipway": .string(options.toolVersion),
            "converter": .string(plan.tool.name), "versions": .object(toolVersions),
            "argv": .array(argvTemplate.map { .string($0) }),
        ]).serialized().utf8))
        let fingerprint = fp.finalize()
        if !options.force, let previous = upToDate(output: output, report: report, fingerprint: fingerprint) {
            ConversionFailures.clear(output: output)
            progress(ConversionProgress(target: target, phase: "up to date", fraction: 1))
            return ConversionReport(outputPath: output, reportPath: report, upToDate: true, json: previous)
        }
        if cancellation() { throw ConversionError(.cancelled, "cancelled") }

        if let d = plan.driver {
            try writeDriver(d, into: work)
            // The calibration samples are read, and the TFLite converter's quantization set, the same way by every
            // driver that takes them.
            try writeDriver("calibration_samples.py", into: work)
            try writeDriver("tflite_quantization.py", into: work)
            // What the tool wrote is run against the source with `slipway test`'s own runner classes (onnx2tf's,
            // the Keras converters' and torch.onnx.export's files).
            try writeDriver("artifact_fidelity.py", into: work)
            try writeDriver("run_models.py", into: work)
        }
        if let copy = plan.sourceCopy { try copyFile(source, to: "\(work)/\(copy)", cancellation: cancellation) }
        let argv = plan.arguments.map { $0.replacingAll(workPlaceholder, work) }
        // A fresh log per run: the previous run's would mislead.
        let truncate = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard truncate >= 0 else { throw ConversionError(.io, "cannot write the log \(logPath): \(SafeWriter.errnoText())") }
        close(truncate)
        let phase = "running \(plan.tool.name)"
        progress(ConversionProgress(target: target, phase: phase, fraction: 0.1))
        let request = ChildProcess.Request(
            executable: plan.executable, arguments: argv,
            // Unbuffered Python output, so that the log (and a failure's tail) has everything up to the end.
            // TMPDIR: the tools' own temporaries land in the work folder and go with it.
            // SLIPWAY_KEEP_DEVIATING (artifact_fidelity.py): `--force` keeps a float file that computes something
            // else than its source, the refusal recorded in its report instead.
            // SLIPWAY_CHECK_SAMPLES: the manifest's test samples, which that check runs on first (an environment
            // variable, not an argument: what the file is checked on does not make it stale), decoded by
            // SLIPWAY_CHECK_PREPROCESS (test.preprocess) where they are images, WAV or .bin.
            environment: ["PYTHONUNBUFFERED": "1", "TMPDIR": work]
                .merging(options.force ? ["SLIPWAY_KEEP_DEVIATING": "1"] : [:]) { a, _ in a }
                .merging(plan.checkSamples.map { ["SLIPWAY_CHECK_SAMPLES": $0] } ?? [:]) { a, _ in a }
                .merging(plan.checkPreprocess.map { ["SLIPWAY_CHECK_PREPROCESS": $0] } ?? [:]) { a, _ in a },
            logPath: logPath,
            timeout: options.toolTimeout)
        let exit = try ChildProcess.run(request, cancellation: cancellation) { seconds in
            // The tools report no fraction: approach 90 % with a one-minute time constant.
            let f = 0.1 + 0.8 * (1 - 1 / (1 + seconds / 60))
            progress(ConversionProgress(target: target, phase: "\(phase) (\(Int(seconds)) s)", fraction: f))
        }
        if exit.cancelled { throw ConversionError(.cancelled, "cancelled (\(plan.tool.name) stopped; log: \(logPath))") }
        guard exit.succeeded else {
            let tail = ChildProcess.tail(of: logPath, lines: 20)
            // A driver's own refusal (its last "slipway: " line) is the error; the log's tail is the tool's noise.
            let said = tail.split(separator: "\n").last(where: { $0.hasPrefix("slipway: ") }).map { String($0.dropFirst("slipway: ".count)) }
            // Kept for `check`, which errs on the target while the model and the settings are these. A run stopped
            // by the time limit is not the converter's verdict (a longer limit may finish it): not kept.
            if !exit.timedOut {
                ConversionFailures.record(output: output, target: target, converter: plan.tool.name, settings: plan.settings,
                                          sourceSHA: sourceSHA, reason: said ?? "\(plan.tool.name) failed (\(exit.summary))", log: logPath)
            }
            if let said {
                throw ConversionError(.toolFailed, "\(said); \(plan.tool.name) stopped (\(exit.summary)), its log is \(logPath)")
            }
            throw ConversionError(.toolFailed, "\(plan.tool.name) failed (\(exit.summary)); its log is \(logPath)\(tail.isEmpty ? "" : ", ending:\n" + tail)")
        }
        // A last guard on "never touch the source": a tool that wrote to it anyway is an error, not a success.
        if try sha256(ofFile: source) != sourceSHA {
            throw ConversionError(.unsafe, "\(plan.tool.name) modified the source model \(source) while converting it; restore it from version control (Slipway wrote no artifact)")
        }
        var product = try findProduct(plan.product, in: work, tool: plan.tool.name, log: logPath)
        if cancellation() { throw ConversionError(.cancelled, "cancelled") }
        if let then = plan.then {
            // The exported graph, quantized and pruned in process as an ONNX source would be; inside the work
            // folder until the one rename below.
            progress(ConversionProgress(target: target, phase: "optimizing the exported ONNX", fraction: 0.9))
            let conversion = try NativeConversion.convert(path: product, kind: .onnx, settings: then)
            let optimized = "\(work)/optimized.onnx"
            _ = try SafeWriter.write(conversion.output, source: conversion.source.bytes, to: optimized, cancellation: cancellation)
            product = optimized
        }
        progress(ConversionProgress(target: target, phase: "writing", fraction: 0.92))
        let (outputSHA, outputBytes) = try syncAndHash(product)

        var summary: JSONValue = .null
        if let size = PathSafety.fileSize("\(work)/summary.json"), size < 1 << 20,
           let bytes = try? readFile("\(work)/summary.json", limit: size), let j = try? JSONValue.parse(bytes: bytes) {
            summary = j
        }
        // The tool's file was checked against the source; what Slipway then made of it is not that file.
        if plan.then != nil, case .object(var s) = summary, case .object(var f)? = s["fidelity"] {
            f["of"] = "the tool's float file, before Slipway optimized it"
            s["fidelity"] = .object(f)
            summary = .object(s)
        }
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var root = JSONObject()
        root["slipway_report"] = 1
        root["target"] = .string(target)
        root["manifest"] = .string(manifestPath)
        root["fingerprint"] = .string(fingerprint)
        root["inputs"] = .array(inputs)
        root["output"] = .object(["path": .string(output), "sha256": .string(outputSHA), "bytes": .int(outputBytes)])
        root["settings"] = plan.settings
        root["tools"] = .object([
            "slipway": .string(options.toolVersion), "converter": .string(plan.tool.name),
            "executable": .string(ChildProcess.resolve(plan.executable) ?? plan.executable), "versions": .object(toolVersions),
        ])
        root["command"] = .array(argvTemplate.map { .string($0) })
        root["log"] = .string(logPath)
        root["sizes"] = .object(["before": .int(PathSafety.fileSize(source) ?? 0), "after": .int(outputBytes)])
        root["duration_ms"] = .double((ms * 10).rounded() / 10)
        root["tool_seconds"] = .double((exit.seconds * 10).rounded() / 10)
        root["summary"] = summary
        let json = JSONValue.object(root)
        // The report is written and fsynced before anything is renamed, and renamed before the artifact: a full
        // disk leaves the previous pair as it was. Should the artifact's rename then fail, the new report goes.
        let staged = try SafeWriter.stage(Array((json.serialized(pretty: true) + "\n").utf8), to: report)
        if cancellation() {
            SafeWriter.discard([staged])
            throw ConversionError(.cancelled, "cancelled")
        }
        try SafeWriter.commit([staged])
        do throws(ConversionError) {
            try moveIntoPlace(product, to: output, work: work)
        } catch {
            unlink(report)
            throw error
        }
        ConversionFailures.clear(output: output)
        progress(ConversionProgress(target: target, phase: "done", fraction: 1))
        return ConversionReport(outputPath: output, reportPath: report, upToDate: false, json: json)
    }

    /// Copies a file in 8 MiB slices (noticing a cancel between them).
    static func copyFile(_ from: String, to: String, cancellation: CancellationCheck) throws(ConversionError) {
        let src = open(from, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw ConversionError(.io, "cannot open \(from): \(SafeWriter.errnoText())") }
        defer { close(src) }
        let dst = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw ConversionError(.io, "cannot create \(to): \(SafeWriter.errnoText())") }
        defer { close(dst) }
        var buffer = [UInt8](repeating: 0, count: 8 << 20)
        while true {
            if cancellation() { throw ConversionError(.cancelled, "cancelled") }
            let n = buffer.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw ConversionError(.io, "cannot read \(from): \(SafeWriter.errnoText())") }
            if n == 0 { return }
            try SafeWriter.writeAll(dst, Array(buffer[0..<n]), path: to)
        }
    }

    /// The previous report when it has this fingerprint and the artifact (a file, or a package folder) is
    /// still the one it describes.
    static func upToDate(output: String, report: String, fingerprint: String) -> JSONValue? {
        guard let size = PathSafety.fileSize(report), size < 64 << 20,
              let bytes = try? readFile(report, limit: size),
              let json = try? JSONValue.parse(bytes: bytes),
              json["fingerprint"]?.stringValue == fingerprint,
              let recorded = json["output"]?["sha256"]?.stringValue,
              let (actual, _) = try? syncAndHash(output, sync: false), actual == recorded
        else { return nil }
        return json
    }

    /// The tool's log: beside the report.
    public static func logPath(for output: String) -> String { output + ".log" }

    /// A hidden temporary folder in the destination folder (the final rename never crosses file systems),
    /// named with the writer's PID so that a later run removes it if this one is killed (`StaleTemporaries`).
    static func makeWorkFolder(for output: String) throws(ConversionError) -> String {
        var template = Array("\(SafeWriter.directory(of: output))/.\(SafeWriter.lastComponent(output)).slipway-work-\(getpid())-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { p -> Bool in
            guard let base = p.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw ConversionError(.io, "cannot create a temporary folder beside \(output): \(SafeWriter.errnoText())") }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func findProduct(_ product: ExternalPlan.Product, in work: String, tool: String, log: String) throws(ConversionError) -> String {
        switch product {
        case .file(let name):
            let p = "\(work)/\(name)"
            var st = stat()
            guard lstat(p, &st) == 0 else {
                throw ConversionError(.toolFailed, "\(tool) exited successfully but wrote no \(name); its log is \(log)")
            }
            return p
        case .suffix(let folder, let suffix):
            let dir = "\(work)/\(folder)"
            let found = listFolder(dir).filter { $0.hasSuffix(suffix) }.sorted()
            guard found.count == 1, let name = found.first else {
                let all = listFolder(dir).sorted().joined(separator: ", ")
                throw ConversionError(.toolFailed, "\(tool) exited successfully but wrote \(found.isEmpty ? "no" : "several") *\(suffix) file\(found.isEmpty ? "" : "s") (it wrote: \(all.isEmpty ? "nothing" : all)); its log is \(log)")
            }
            return "\(dir)/\(name)"
        }
    }

    /// Renames the product (already fsynced by `syncAndHash`) over the output and fsyncs the folder.
    /// A folder artifact replaces an older folder by moving the old one into the work folder first.
    static func moveIntoPlace(_ product: String, to output: String, work: String) throws(ConversionError) {
        var st = stat()
        var aside: String?
        if lstat(output, &st) == 0, st.st_mode & S_IFMT == S_IFDIR {
            // rename(2) cannot replace a non-empty folder: the old package steps aside into the work folder.
            let previous = "\(work)/previous-artifact"
            guard rename(output, previous) == 0 else { throw ConversionError(.io, "cannot replace \(output): \(SafeWriter.errnoText())") }
            aside = previous
        }
        guard rename(product, output) == 0 else {
            let reason = SafeWriter.errnoText()
            // Put the old artifact back rather than lose it with the work folder.
            if let aside { _ = rename(aside, output) }
            throw ConversionError(.io, "cannot rename \(product) to \(output): \(reason)")
        }
        let dfd = open(SafeWriter.directory(of: output), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// A file's SHA-256 and size; for a folder, the SHA-256 of its sorted "relative-path sha256" lines and
    /// the total size. Every file is fsynced on the way.
    static func syncAndHash(_ path: String, sync: Bool = true, depth: Int = 0) throws(ConversionError) -> (String, Int) {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw ConversionError(.io, "cannot read \(path): \(SafeWriter.errnoText())") }
        if st.st_mode & S_IFMT == S_IFDIR {
            guard depth < 32 else { throw ConversionError(.io, "\(path) is nested too deeply") }
            var lines = SHA256()
            var total = 0
            for name in listFolder(path).sorted() {
                let (s, n) = try syncAndHash("\(path)/\(name)", sync: sync, depth: depth + 1)
                lines.update(Array("\(name) \(s)\n".utf8))
                total += n
            }
            return (lines.finalize(), total)
        }
        guard st.st_mode & S_IFMT == S_IFREG else { return ("", 0) }
        if sync {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                _ = fsync(fd)
                close(fd)
            }
        }
        return (try sha256(ofFile: path), Int(st.st_size))
    }

    static func listFolder(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let n = DirectoryEntry.name(entry)
            if n != ".", n != ".." { names.append(n) }
        }
        return names
    }

    /// Removes a folder and everything in it without following symbolic links.
    static func removeTree(_ path: String, depth: Int = 0) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR, depth < 64 {
            for name in listFolder(path) { removeTree("\(path)/\(name)", depth: depth + 1) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
