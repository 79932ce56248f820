#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hashing
import Compression
import Isolation
import JSON
import Manifest
import ModelFormats

/// Options of a conversion run that are not settings of the artifact (they do not change its fingerprint).
public struct ConvertOptions: Sendable {
    /// Convert even when the report says the artifact is up to date.
    public var force: Bool
    /// Let a manifest write outside its own folder (only the command line can grant this).
    public var allowOutsideProject: Bool
    /// Recorded in the report and the fingerprint: a new Slipway may write different bytes.
    public var toolVersion: String
    /// Outputs larger than this take the external-data layout (protobuf's 2 GiB limit; tests lower it).
    public var externalDataThreshold: Int = ONNXLayout.protobufLimit
    /// The Python interpreter (or venv folder) for external converters when the target names none
    /// (`--python`); nil means `python3` on PATH.
    public var python: String?
    /// An external converter running longer than this is stopped (its process group killed).
    public var toolTimeout: Duration?
    /// How long a conversion waits for another one writing the same artifact before it gives up.
    public var lockTimeout: Duration = .seconds(600)
    /// The highest default-domain opset of the runtime version a target names (the catalogue's, which the
    /// caller holds; `ManifestChecker.runtimeMaxOpset`): the plan refuses what `check` refuses, and an exporter
    /// writes an opset the runtime loads. Nil when unknown.
    public var runtimeMaxOpset: @Sendable (TargetSpec) -> Int? = { _ in nil }
    /// Whether a target's runtime or delegate runs fixed-size tensors only (the catalogue's, which the caller
    /// holds; `TargetChecks.needsStaticShapes`): its ONNX artifact is written with the manifest's input sizes.
    public var staticShapes: @Sendable (TargetSpec) -> Bool = { _ in false }

    public init(force: Bool = false, allowOutsideProject: Bool = false, toolVersion: String = "0.1.0",
                python: String? = nil, toolTimeout: Duration? = nil) {
        self.force = force
        self.allowOutsideProject = allowOutsideProject
        self.toolVersion = toolVersion
        self.python = python
        self.toolTimeout = toolTimeout
    }
}

public struct ConversionProgress: Sendable, Hashable {
    public var target: String?
    /// "reading", "converting", "writing", "done", "up to date".
    public var phase: String
    public var fraction: Double
}

/// What a conversion did (or found up to date): the report written beside the artifact.
public struct ConversionReport: Sendable {
    public var outputPath: String
    public var reportPath: String
    /// True when nothing was written because the artifact matched its inputs and settings.
    public var upToDate: Bool
    /// The report file's content.
    public var json: JSONValue
}

/// The engine entry point of the Conversion layer, for the CLI and (later) the language server's
/// `slipway.convert`: no LSP or terminal knowledge here; progress and cancellation come in as closures.
public enum Converter {
    /// Converts one manifest target. Paths in the manifest are relative to its folder; the artifact may not
    /// leave that folder unless `options.allowOutsideProject`.
    public static func convert(
        target: TargetSpec, manifest: Manifest, manifestPath: String, options: ConvertOptions = ConvertOptions(),
        progress: @escaping @Sendable (ConversionProgress) -> Void = { _ in },
        cancellation: @escaping CancellationCheck = { false }
    ) async throws(ConversionError) -> ConversionReport {
        // The target is the error's field, named once by whoever prints it.
        do {
            return try await convertTarget(target: target, manifest: manifest, manifestPath: manifestPath, options: options,
                                           progress: progress, cancellation: cancellation)
        } catch {
            var e = error
            e.target = target.name.value
            throw e
        }
    }

    static func convertTarget(
        target: TargetSpec, manifest: Manifest, manifestPath: String, options: ConvertOptions,
        progress: @escaping @Sendable (ConversionProgress) -> Void, cancellation: @escaping CancellationCheck
    ) async throws(ConversionError) -> ConversionReport {
        let name = target.name.value
        let folder = SafeWriter.directory(of: manifestPath)
        guard let modelRel = manifest.model?.path?.value, !modelRel.isEmpty else {
            throw ConversionError(.manifest, "the manifest names no model (model.path)")
        }
        let modelPath = join(folder, modelRel)
        // Decided on the path as text and before any folder is created (Containment); `check` reports the same.
        if !options.allowOutsideProject,
           let escape = Containment.escape(target: target, manifest: manifest, folder: folder, resolve: Containment.disk) {
            throw ConversionError(.unsafe, "the output \(escape.output) (from \(escape.key): \(escape.value.value)) lies outside the manifest's folder \(folder); pass --allow-outside-project to allow it")
        }
        let output = Containment.destination(outputPath(target: target, manifest: manifest, modelPath: modelPath), folder: folder)
        // Formats Slipway does not write itself go to an external converter run as a child process.
        guard PathSafety.fileSize(modelPath) != nil else {
            throw ConversionError(.model, "the model \(modelPath) is not a readable file")
        }
        // The plan decides whether a path exists, in the words `check` reports (SW4018).
        let plan = targetPlan(target: target, modelPath: modelPath, runtimeMaxOpset: options.runtimeMaxOpset(target))
        if !plan.problems.isEmpty {
            throw ConversionError(.unsupported, plan.problems.map(\.message).joined(separator: "; "))
        }
        if var planned = try ExternalConverter.plan(target: target, manifest: manifest, modelPath: modelPath,
                                                    manifestFolder: folder, python: python(for: target, folder: folder, options: options),
                                                    exportOpset: plan.exportOpset) {
            // The file the tool writes is checked against the source on the user's own test samples first.
            if let samples = manifest.test?.samples?.value, !samples.isEmpty {
                planned.checkSamples = Converter.join(folder, samples)
                planned.checkPreprocess = manifest.test?.preprocess.map { $0.json.serialized() }
            }
            let plan = planned
            try InputProtection.refuse(outputs: InputProtection.outputs(for: output),
                                       inputs: InputProtection.inputs(source: modelPath, manifestPath: manifestPath))
            let pins = Dictionary(target.tools.map { ($0.name.value, $0.version.value) }, uniquingKeysWith: { a, _ in a })
            // The tool may run for minutes: its wait blocks a thread of its own, never one of the cooperative
            // pool (the server would stall), and the task's cancellation reaches it through a flag.
            let cancelled = CancelFlag()
            let result = await withTaskCancellationHandler {
                await BlockingThread.run { () -> Result<ConversionReport, ConversionError> in
                    do throws(ConversionError) {
                        return .success(try ExternalConverter.run(
                            plan: plan, source: modelPath, output: output, target: name, manifestPath: manifestPath,
                            pins: pins, options: options, progress: progress,
                            cancellation: { cancelled.isSet || cancellation() }))
                    } catch { return .failure(error) }
                }
            } onCancel: { cancelled.set() }
            switch result {
            case .success(let r): return r
            case .failure(let error): throw error
            }
        }
        try requireNativeConverter(target: target, modelPath: modelPath)
        var settings = try settings(for: target)
        // The runtime loads the file, not the manifest: a static-shape target's artifact carries the sizes that
        // `check` (SW4012) accepted from `model.inputs`.
        if options.staticShapes(target), NativeConversion.kind(modelPath) == .onnx {
            settings.inputShapes = manifest.fixedInputDims.filter { $0.value.contains { $0 != nil } }
        }
        return try run(source: modelPath, output: output, settings: settings, target: name, manifestPath: manifestPath,
                       options: options, progress: progress, cancellation: cancellation)
    }

    /// The target's plan for the model at `modelPath`, its format read from the file's first bytes.
    public static func targetPlan(target: TargetSpec, modelPath: String, runtimeMaxOpset: Int? = nil) -> TargetPlan {
        let head = try? readFile(modelPath, limit: 4096)
        let detected = head.flatMap { ModelReader.format(ofHead: $0, fileName: SafeWriter.lastComponent(modelPath)) }
        var source = detected?.rawValue
        // A zip archive's kind (a TorchScript module, an ExportedProgram, a state dict, Keras 3) is in its central
        // directory at the end, not in its first bytes: the model is read for it, as `check` reads it.
        if detected == nil || detected == .pytorch, let model = try? ModelReader.read(path: modelPath) {
            source = model.conversionSource
        }
        return TargetPlan.make(target: target, source: TargetPlan.sourceFormat(detected: source, path: modelPath),
                               runtimeMaxOpset: runtimeMaxOpset)
    }

    /// A one-shot conversion without a manifest (`slipway convert MODEL --output OUT`).
    public static func convert(
        model: String, output: String, settings: ConversionSettings, options: ConvertOptions = ConvertOptions(),
        progress: @escaping @Sendable (ConversionProgress) -> Void = { _ in },
        cancellation: @escaping CancellationCheck = { false }
    ) async throws(ConversionError) -> ConversionReport {
        try run(source: model, output: output, settings: settings, target: nil, manifestPath: nil, options: options,
                progress: progress, cancellation: cancellation)
    }

    /// The interpreter for a target's Python converter: the target's `python` (a venv folder means its
    /// bin/python), else `--python`, else `python3` on PATH. Relative paths are the manifest's.
    public static func python(for target: TargetSpec, folder: String, options: ConvertOptions) -> String {
        guard let chosen = target.python?.value ?? options.python, !chosen.isEmpty else { return "python3" }
        // A path when it looks like one (or exists beside the manifest), else a command name on PATH.
        let local = join(folder, chosen)
        var st = stat()
        let isPath = chosen.contains("/") || chosen.hasPrefix(".") || stat(local, &st) == 0
        let path = isPath ? local : chosen
        if stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return path + "/bin/python" }
        return path
    }

    /// The report file of an artifact.
    public static func reportPath(for output: String) -> String { output + ".report.json" }

    // MARK: The run

    static func run(
        source: String, output: String, settings: ConversionSettings, target: String?, manifestPath: String?,
        options: ConvertOptions, progress: @Sendable (ConversionProgress) -> Void, cancellation: CancellationCheck
    ) throws(ConversionError) -> ConversionReport {
        let started = ContinuousClock.now
        // What is checked is what is opened: `a/../b` is not left for the kernel to resolve through links.
        let output = Containment.normalize(output)
        let report = reportPath(for: output)
        guard PathSafety.fileSize(source) != nil else {
            throw ConversionError(.model, "the model \(source) is not a readable file")
        }
        // No output may be a file the conversion reads: the model, its external data, the manifest.
        let inputs = InputProtection.inputs(source: source, manifestPath: manifestPath)
        try InputProtection.refuse(outputs: InputProtection.outputs(for: output), inputs: inputs)
        let folder = SafeWriter.directory(of: output)
        // One writer per artifact at a time, from the up-to-date check to the last rename.
        let claim = try OutputClaim.take(output, target: target, options: options, progress: progress, cancellation: cancellation)
        defer { claim.release() }
        StaleTemporaries.sweep(folder: folder)
        progress(ConversionProgress(target: target, phase: "reading", fraction: 0))
        // The source's digest is computed beside the conversion; only an existing report needs it first.
        let sourceHash = BackgroundHash(path: source)
        let kind = NativeConversion.kind(source)
        let settingsJSON = settings.json(for: kind)
        func fingerprintOf(_ sha: String) -> String {
            var fp = SHA256()
            fp.update(Array(JSONValue.object([
                "inputs": .array([.string(sha)]), "settings": settingsJSON,
                "slipway": .string(options.toolVersion), "converter": .string(kind.fingerprintName),
            ]).serialized().utf8))
            return fp.finalize()
        }
        if !options.force, PathSafety.fileSize(report) != nil,
           let previous = upToDate(output: output, report: report, fingerprint: fingerprintOf(try sourceHash.wait()))
        {
            progress(ConversionProgress(target: target, phase: "up to date", fraction: 1))
            return ConversionReport(outputPath: output, reportPath: report, upToDate: true, json: previous)
        }
        if cancellation() { throw ConversionError(.cancelled, "cancelled") }
        progress(ConversionProgress(target: target, phase: "converting", fraction: 0.2))
        let layout = LayoutOptions(dataLocation: SafeWriter.lastComponent(output) + ".data",
                                   threshold: options.externalDataThreshold)
        let conversion = try NativeConversion.convert(path: source, kind: kind, settings: settings, layout: layout)
        if cancellation() { throw ConversionError(.cancelled, "cancelled") }
        progress(ConversionProgress(target: target, phase: "writing", fraction: 0.7))
        // Staged first (every temporary written and fsynced), renamed together at the end: data, report, artifact.
        var staged: [StagedFile] = []
        var committed = false
        defer { if !committed { SafeWriter.discard(staged) } }
        let outputSHA: String
        var dataJSON: JSONValue?
        var dataBytes = 0
        if let data = conversion.externalData {
            let dataPath = folder + "/" + data.location
            // The data file replaces whatever has its name: never the source model, its data or the manifest.
            try InputProtection.refuse(outputs: [dataPath], inputs: inputs + Set(data.sources.values.map(\.path)).sorted())
            let (m, d) = try SafeWriter.stage(conversion.output, source: conversion.source.bytes, to: output, data: data,
                                              cancellation: cancellation)
            staged = [d, m]
            outputSHA = m.sha256
            dataBytes = data.count
            dataJSON = .object(["path": .string(dataPath), "location": .string(data.location), "sha256": .string(d.sha256),
                                "bytes": .int(data.count)])
        } else {
            let m = try SafeWriter.stage(conversion.output, source: conversion.source.bytes, to: output,
                                         cancellation: cancellation)
            staged = [m]
            outputSHA = m.sha256
        }
        // The artifact is one file now: the data file an earlier run wrote beside it would be left orphaned.
        let stale = dataJSON == nil ? previousExternalData(report: report, output: output) : nil
        let sourceSHA = try sourceHash.wait()
        let fingerprint = fingerprintOf(sourceSHA)
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15

        var root = JSONObject()
        root["slipway_report"] = 1
        if let target { root["target"] = .string(target) }
        if let manifestPath { root["manifest"] = .string(manifestPath) }
        root["fingerprint"] = .string(fingerprint)
        root["inputs"] = .array([.object(["path": .string(source), "sha256": .string(sourceSHA),
                                          "bytes": .int(conversion.source.count)])])
        var outputJSON: JSONObject = ["path": .string(output), "sha256": .string(outputSHA),
                                      "bytes": .int(conversion.output.count)]
        // The external-data layout: the tensor data file beside the model, relative to it.
        if let dataJSON { outputJSON["external_data"] = dataJSON }
        root["output"] = .object(outputJSON)
        root["settings"] = settingsJSON
        root["tools"] = .object(["slipway": .string(options.toolVersion), "converter": .string(kind.toolName)])
        root["sizes"] = .object(["before": .int(conversion.source.count + externalBytes(conversion)),
                                 "after": .int(conversion.output.count + dataBytes)])
        root["duration_ms"] = .double((ms * 10).rounded() / 10)
        root["opset"] = .object(["before": conversion.opsetBefore.map { .int($0) } ?? .null,
                                 "after": conversion.opsetAfter.map { .int($0) } ?? .null])
        root["tensors"] = .array(conversion.tensors.map(\.json))
        root["compression"] = conversion.compression?.json ?? .null
        if let g = conversion.gatherCompression { root["compression_gather"] = g.json }
        let json = JSONValue.object(root)
        // The report is staged before anything is renamed, and renamed before the artifact: a full disk or a
        // failure here leaves the previous artifact and report as they were, never an artifact without a report.
        staged.insert(try SafeWriter.stage(Array((json.serialized(pretty: true) + "\n").utf8), to: report),
                      at: staged.count - 1)
        try SafeWriter.commit(staged, cancellation: cancellation)
        committed = true
        if let stale, !inputs.contains(where: { InputProtection.isSameFile(stale, $0) }) { unlink(stale) }
        progress(ConversionProgress(target: target, phase: "done", fraction: 1))
        return ConversionReport(outputPath: output, reportPath: report, upToDate: false, json: json)
    }

    /// The previous report when it has this fingerprint and the artifact is still the one it describes.
    static func upToDate(output: String, report: String, fingerprint: String) -> JSONValue? {
        guard let size = PathSafety.fileSize(report), size < 64 << 20,
              let bytes = try? readFile(report, limit: size),
              let json = try? JSONValue.parse(bytes: bytes),
              json["fingerprint"]?.stringValue == fingerprint,
              let recorded = json["output"]?["sha256"]?.stringValue,
              PathSafety.fileSize(output) != nil,
              let actual = try? sha256(ofFile: output), actual == recorded
        else { return nil }
        if let data = json["output"]?["external_data"] {
            // The data file is the one this converter names, whatever path the report claims.
            let path = dataPath(for: output)
            guard data["path"]?.stringValue == path, let sha = data["sha256"]?.stringValue,
                  PathSafety.fileSize(path) != nil, (try? sha256(ofFile: path)) == sha
            else { return nil }
        }
        return json
    }

    /// The external-data file this converter writes for `output`: `<output>.data` beside it.
    static func dataPath(for output: String) -> String {
        SafeWriter.directory(of: output) + "/" + SafeWriter.lastComponent(output) + ".data"
    }

    /// The external-data file the previous report of this artifact lists, if removing it is safe: a report is
    /// a file anyone can edit, so it is only a hint. The file must be the one this converter writes for this
    /// artifact (`<output>.data`, so inside the artifact's folder), a regular file (not a link), and still
    /// hold the SHA-256 that run recorded: only then did Slipway write it.
    static func previousExternalData(report: String, output: String) -> String? {
        let expected = dataPath(for: output)
        var st = stat()
        guard let size = PathSafety.fileSize(report), size < 64 << 20,
              let bytes = try? readFile(report, limit: size),
              let json = try? JSONValue.parse(bytes: bytes),
              json["output"]?["path"]?.stringValue == output,
              let data = json["output"]?["external_data"],
              data["path"]?.stringValue == expected,
              data["location"]?.stringValue == SafeWriter.lastComponent(expected),
              let sha = data["sha256"]?.stringValue,
              lstat(expected, &st) == 0, st.st_mode & S_IFMT == S_IFREG,
              (try? sha256(ofFile: expected)) == sha
        else { return nil }
        return expected
    }

    /// The bytes of the source's external data (each file's share that its tensors use).
    static func externalBytes(_ c: ONNXConversion) -> Int {
        c.externalData?.sources.values.reduce(0) { $0 + $1.length } ?? 0
    }

    // MARK: Settings from a manifest target

    /// The conversion a target's effective `optimize` asks for, or a refusal naming what is not implemented.
    /// The native converter's settings for a target, from its plan (the one manifest → settings mapping); the
    /// forms the native converters do not write are refused with the plan's words.
    public static func settings(for target: TargetSpec) throws(ConversionError) -> ConversionSettings {
        let name = target.name.value
        let p = PlannedSettings(optimize: target.optimize)
        if !["none", "float32", "float16", "dynamic"].contains(p.activations) {
            throw ConversionError(.unsupported, "activations: \(p.activations) is not written by Slipway; static quantization writes int8 or uint8 activations (with calibration), activations: dynamic quantizes them at run time, or use activations: none for weight-only quantization")
        }
        if let f = p.format, f != "qdq", f != "qoperator" || !p.dynamic {
            throw ConversionError(.unsupported, "quantize.format \(f) with activations: \(p.activations) is not implemented; use qdq (weight-only), or qoperator with activations: none or dynamic (MatMulInteger/ConvInteger)")
        }
        if let w = p.unknownWeights {
            throw ConversionError(.unsupported, "weights: \(w) is not a type Slipway converts to")
        }
        if p.activations == "float16", p.weights != .float16 {
            throw ConversionError(.unsupported, "activations: float16 (float16 compute) needs weights: float16, not \(p.weightsName)")
        }
        if let s = p.unknownPruneScope {
            throw ConversionError(.unsupported, "prune.scope \(s) is not a scope Slipway prunes with; use per-tensor or global")
        }
        return ConversionSettings(p)
    }

    /// Formats whose converter runs outside Slipway: the tool and the command that installs it.
    static let externalConverters: [String: (what: String, tool: String, install: String)] = [
        "tflite": ("ONNX → TFLite", "onnx2tf", "python3 -m pip install onnx2tf tensorflow-cpu onnx-graphsurgeon sng4onnx"),
        "mlpackage": ("ONNX → Core ML", "coremltools", "python3 -m pip install coremltools"),
        "mlmodel": ("ONNX → Core ML", "coremltools", "python3 -m pip install coremltools"),
        "engine": ("ONNX → TensorRT engine", "trtexec", "install TensorRT (https://developer.nvidia.com/tensorrt) so that trtexec is on PATH"),
        "plan": ("ONNX → TensorRT engine", "trtexec", "install TensorRT (https://developer.nvidia.com/tensorrt) so that trtexec is on PATH"),
    ]

    static func requireNativeConverter(target: TargetSpec, modelPath: String) throws(ConversionError) {
        let name = target.name.value
        let format = target.format?.value ?? defaultFormat(target, modelPath: modelPath)
        if NativeConversion.converts(format: format, modelPath: modelPath) { return }
        if format == "onnx" {
            guard modelPath.lowercased().hasSuffix(".onnx") else {
                throw ConversionError(.unsupported, "format onnx from \(modelPath) is not implemented (the native converter reads ONNX models)")
            }
            return
        }
        if let e = externalConverters[format] {
            // The external converters (ExternalConverter.plan) took every source they read; this one is not.
            throw ConversionError(.unsupported, "\(e.what) (\(e.tool)) does not read \(modelPath); docs/converters.md lists what each external converter reads")
        }
        throw ConversionError(.unsupported, "format \(format) has no converter yet")
    }

    /// The target's format when it names none: its runtime's default (Schemas/conversion/paths.json), else the
    /// model's own format (by its name), else ONNX.
    static func defaultFormat(_ target: TargetSpec, modelPath: String) -> String {
        TargetPlan.defaultFormat(runtime: target.runtimeName, source: TargetPlan.formatByName(modelPath))
    }

    /// The artifact path relative to the manifest: the target's `output`, else `deploy.to` with its
    /// placeholders filled, else `dist/{target}/{name}.{ext}`.
    public static func outputPath(target: TargetSpec, manifest: Manifest, modelPath: String) -> String {
        if let o = target.output?.value, !o.isEmpty { return o }
        let template = manifest.deploy?.to?.value ?? "dist/{target}/{name}.{ext}"
        let stem = SafeWriter.lastComponent(modelPath).split(separator: ".").first.map(String.init) ?? "model"
        let ext = target.format?.value ?? defaultFormat(target, modelPath: modelPath)
        return template
            .replacingAll("{target}", target.name.value)
            .replacingAll("{name}", manifest.name?.value ?? stem)
            .replacingAll("{version}", manifest.deploy?.version?.value ?? "0")
            .replacingAll("{ext}", ext)
    }

    static func join(_ base: String, _ rel: String) -> String {
        if rel.hasPrefix("/") || base.isEmpty || base == "." { return rel }
        return base.hasSuffix("/") ? base + rel : base + "/" + rel
    }
}

extension String {
    func replacingAll(_ token: String, _ value: String) -> String {
        let t = Array(token.utf8), s = Array(utf8)
        guard !t.isEmpty else { return self }
        var out: [UInt8] = []
        var i = 0
        while i < s.count {
            if i + t.count <= s.count, Array(s[i..<(i + t.count)]) == t {
                out.append(contentsOf: value.utf8)
                i += t.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension ConversionSettings {
    /// The settings as recorded in the report and hashed into the fingerprint (stable key order).
    /// `format` is ONNX's quantization form; TFLite and safetensors have one form each, so it is absent.
    func json(for kind: NativeConversion.Kind) -> JSONValue {
        var o = JSONObject()
        // Both spellings of float16 weights (--float16, weights: float16) record, and fingerprint, the same.
        o["weights"] = isFloat16 ? "float16" : weights.map { .string($0.rawValue) } ?? .null
        o["scheme"] = isFloat16 ? "float16" : scheme.map { .string($0.label) } ?? .null
        o["granularity"] = .string(granularity.label)
        o["symmetric"] = .bool(symmetric)
        o["reduce_range"] = .bool(reduceRange)
        o["channel_axis"] = channelAxis.map { .int($0) } ?? .null
        o["dynamic"] = .bool(dynamic)
        // "weights": float16 storage with float32 compute; "compute": the graph computes in float16.
        o["float16"] = float16Compute ? "compute" : isFloat16 ? "weights" : .bool(false)
        o["pruning"] = pruning.map { .string($0.label) } ?? .null
        o["skip"] = .array(skip.map { .string($0) })
        o["prune_skip"] = .array(pruneSkip.map { .string($0) })
        o["prune_scope"] = .string(pruneScope.rawValue)
        // MatMulInteger / ConvInteger are onnxruntime's integer-operator (QOperator) form.
        if kind == .onnx { o["format"] = dynamic ? "qoperator" : "qdq" }
        if kind == .onnx, !inputShapes.isEmpty {
            o["input_shapes"] = .object(JSONObject(distinctEntries: inputShapes.sorted { $0.key < $1.key }.map { name, dims in
                (key: name, value: JSONValue.array(dims.map { $0.map { .int($0) } ?? .null }))
            }))
        }
        return .object(o)
    }
}

extension ConvertedTensor {
    var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["holder"] = .string(holder)
        o["graph"] = .int(graph)
        o["shape"] = .array(shape.map { .int($0) })
        o["action"] = .string(action)
        if let reason { o["reason"] = .string(reason) }
        if let sparsity { o["sparsity"] = .double(sparsity) }
        if let overflow { o["overflow"] = .int(overflow) }
        if let form { o["form"] = .string(form) }
        return .object(o)
    }
}
