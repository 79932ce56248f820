import ArgumentParser
import Compression
import Checking
import Conversion
import Estimation
import Targets
import JSON
import Manifest
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The signal (SIGINT or SIGTERM) that asked the run to stop, 0 until then; the conversions poll it and remove
/// their temporaries before exiting.
nonisolated(unsafe) private var interrupted: sig_atomic_t = 0

struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model: the targets of a manifest, or one model with settings from the command line.",
        discussion: """
            slipway convert MANIFEST [--target NAME ...] [--force]: every target (or the named ones), in parallel. \
            Artifacts go where the target's `output` or `deploy.to` says, inside the manifest's folder unless \
            --allow-outside-project; a report (<artifact>.report.json) lands beside each. A target whose inputs \
            and settings match its report is up to date and skipped unless --force. A target for which \
            `slipway check` reports errors (no conversion path, a runtime that cannot run the result, a budget \
            exceeded, ...) is not converted: they are listed instead, unless --force. What an external converter \
            writes is run against its source first: a float file that computes something else is refused, \
            unless --force (kept, the refusal in its report).
            Targets that need an external converter (ONNX → TFLite with onnx2tf, PyTorch → Core ML with \
            coremltools, ONNX → TensorRT with trtexec, static int8 activations with onnxruntime) run it as a child \
            process with the target's `python` (or --python, or python3); its output goes to <artifact>.log.
            slipway convert MODEL --output OUT [--weights int8 --granularity per-channel ...]: one ONNX, TFLite or \
            safetensors model, rewritten in its own format. --float16-compute computes an ONNX model in float16 \
            (inputs and outputs stay float32). An ONNX model whose weights are in external data (or that would pass \
            2 GiB) is written with its data in OUT.data beside it.
            Writes are atomic (temporary file, fsync, rename; the report lands with its artifact); no output may be \
            the source model, its external data or the manifest; Ctrl-C or SIGTERM leaves no partial output, and \
            temporaries of a killed run are removed by the next run in that folder. Two runs writing one artifact \
            take turns (<artifact>.slipway-lock; --lock-timeout bounds the wait).
            Exit status: 0 when every conversion succeeded or was up to date, 1 when one failed, 2 on usage errors.
            """
    )

    @Argument(help: "A manifest (*.slipway.yaml), or an ONNX, TFLite or safetensors model.")
    var input: String

    @Option(name: .customLong("target"), help: "Convert only this target (repeatable).")
    var targets: [String] = []

    @Flag(help: "Convert even when the artifact is up to date, or when check reports errors for the target.")
    var force = false

    @Flag(help: "Let a manifest write outside its own folder.")
    var allowOutsideProject = false

    @Option(help: "Python interpreter or venv folder for external converters (onnx2tf, coremltools, static quantization) when a target names none; default python3 on PATH.")
    var python: String?

    @Option(help: "Stop an external converter that runs longer than this many seconds (its process group is killed).")
    var timeout: Double?

    @Option(help: "Wait at most this many seconds for another slipway converting to the same artifact (default 600).")
    var lockTimeout: Double?

    @Option(help: "Output path (with a model).")
    var output: String?

    @OptionGroup var compression: CompressionFlags

    @Flag(help: "Dynamic quantization as onnxruntime's quantize_dynamic writes it: activations quantized to uint8 at run time, MatMul/Conv as MatMulInteger/ConvInteger (int8 weights unless --weights).")
    var dynamic = false

    @Flag(help: "float16 weights, each cast back to float32 (compute, inputs and outputs stay float32).")
    var float16 = false

    @Flag(help: "Compute in float16 (implies --float16): inputs and outputs stay float32 through Casts; operators without float16 kernels stay float32.")
    var float16Compute = false

    @Flag(help: "Print the reports as one JSON array on stdout.")
    var json = false

    var isManifest: Bool {
        input.hasSuffix(".yaml") || input.hasSuffix(".yml")
    }

    func validate() throws {
        if let t = timeout, !(t > 0 && t <= 604_800) { throw ValidationError("--timeout \(t): expected a positive number of seconds, at most a week") }
        if let w = lockTimeout, !(w >= 0 && w <= 86_400) { throw ValidationError("--lock-timeout \(w): expected 0 to 86400 seconds") }
        if isManifest {
            if output != nil || compression.given || dynamic || float16 || float16Compute {
                throw ValidationError("settings options apply to a model; a manifest says its own settings per target")
            }
        } else {
            guard output != nil else { throw ValidationError("converting a model needs --output OUT") }
            guard targets.isEmpty else { throw ValidationError("--target applies to a manifest") }
        }
    }

    func run() async throws {
        EstimateCommand.persistDigests()
        // SIGTERM (a CI runner's or a service manager's stop) takes the same cancellation path as Ctrl-C.
        for s in [SIGINT, SIGTERM] { signal(s) { interrupted = $0 } }
        let cancel: CancellationCheck = { interrupted != 0 }
        let tty = isatty(STDERR_FILENO) == 1
        let lastPhase = PhaseLog()
        let progress: @Sendable (ConversionProgress) -> Void = { p in
            guard tty else {
                // Not a terminal (CI logs): one line when an external converter starts, none per tick.
                if p.phase.hasPrefix("running ") || p.phase.hasPrefix("waiting "), let line = lastPhase.firstTime("\(p.target ?? "model"): \(p.phase.split(separator: "(").first.map { $0.trimmingSpaces } ?? p.phase)") {
                    writeAll(STDERR_FILENO, line + "\n")
                }
                return
            }
            let bar = String(repeating: "#", count: Int(p.fraction * 20)) + String(repeating: ".", count: 20 - Int(p.fraction * 20))
            writeAll(STDERR_FILENO, "\r\u{1B}[K[\(bar)] \(p.target ?? "model"): \(p.phase)")
            if p.fraction >= 1 { writeAll(STDERR_FILENO, "\n") }
        }
        var options = ConvertOptions(force: force, allowOutsideProject: allowOutsideProject, toolVersion: Slipway.version,
                                     python: python, toolTimeout: timeout.map { .milliseconds(Int($0 * 1000)) })
        if let w = lockTimeout { options.lockTimeout = .milliseconds(Int(w * 1000)) }
        options.decide(from: try? Catalogue.embedded.get())
        var results: [(String, Result<ConversionReport, ConversionError>)] = []
        if isManifest {
            results = try await convertManifest(options: options, progress: progress, cancel: cancel)
        } else {
            let settings = try makeSettings()
            let r: Result<ConversionReport, ConversionError>
            do throws(ConversionError) {
                r = .success(try await Converter.convert(model: input, output: output ?? "", settings: settings,
                                                         options: options, progress: progress, cancellation: cancel))
            } catch { r = .failure(error) }
            results = [(input, r)]
        }
        var failed = false
        var cancelled = false
        var reports: [JSONValue] = []
        for (name, r) in results {
            switch r {
            case .success(let rep):
                reports.append(rep.json)
                if !json { writeStdout(summary(name, rep) + "\n") }
            case .failure(let e):
                failed = true
                if e.kind == .cancelled { cancelled = true }
                printError("slipway: \(name): \(e.message)")
            }
        }
        if json { writeStdout(JSONValue.array(reports).serialized(pretty: true) + "\n") }
        // 128 + the signal, as a shell reports a process it stopped.
        if cancelled { throw ExitCode(128 + (interrupted != 0 ? Int32(interrupted) : SIGINT)) }
        if failed { throw ExitCode(1) }
    }

    func convertManifest(
        options: ConvertOptions, progress: @escaping @Sendable (ConversionProgress) -> Void, cancel: @escaping CancellationCheck
    ) async throws -> [(String, Result<ConversionReport, ConversionError>)] {
        guard let size = fileSize(input), size <= 8 << 20, let bytes = readAllBytes(input) else {
            printError("slipway: cannot read the manifest \(input) (missing, not a file, or over 8 MiB)")
            throw ExitCode(2)
        }
        let file = ManifestFile(bytes: bytes)
        guard let manifest = file.documents.first?.manifest else {
            printError("slipway: \(input) holds no manifest")
            throw ExitCode(2)
        }
        if file.diagnostics.contains(where: { $0.severity == .error }) {
            printError("slipway: \(input) has errors; run `slipway check \(input)` and fix them first")
            throw ExitCode(1)
        }
        let known = manifest.targets.map(\.name.value)
        for t in targets where !known.contains(t) {
            printError("slipway: \(input) has no target \(t) (targets: \(known.joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let chosen = manifest.targets.filter { targets.isEmpty || targets.contains($0.name.value) }
        let path = input
        // `convert` builds what `check` passes: the same engine, in process, on the same bytes.
        var refused: [String: String] = [:]
        if !options.force {
            guard case .success(let catalogue) = Catalogue.embedded else {
                printError("slipway: the embedded catalogue does not read; run `slipway check` for the error")
                throw ExitCode(2)
            }
            let checker = ManifestChecker(fileSystem: ModelCachingFileSystem(LocalFileSystem()), catalogue: catalogue,
                                          estimateCache: EstimateCommand.defaultCache())
            let checked = checker.check(bytes: bytes, path: path)
            for t in chosen {
                let blockers = ConvertGate.blockers(checked.diagnostics, target: t.name.value,
                                                    allowOutsideProject: options.allowOutsideProject)
                if !blockers.isEmpty {
                    refused[t.name.value] = ConvertGate.refusal(blockers, path: path, lineIndex: checked.lineIndex)
                }
            }
        }
        let refusals = refused
        // Targets are independent (each writes its own artifact): convert them concurrently.
        return await withTaskGroup(of: (Int, String, Result<ConversionReport, ConversionError>).self) { group in
            for (i, t) in chosen.enumerated() {
                if let why = refusals[t.name.value] {
                    group.addTask { (i, "target \(t.name.value)", .failure(ConversionError(.unsupported, why))) }
                    continue
                }
                group.addTask {
                    do throws(ConversionError) {
                        let r = try await Converter.convert(target: t, manifest: manifest, manifestPath: path, options: options,
                                                            progress: progress, cancellation: cancel)
                        return (i, "target \(t.name.value)", .success(r))
                    } catch {
                        return (i, "target \(t.name.value)", .failure(error))
                    }
                }
            }
            var out: [(Int, String, Result<ConversionReport, ConversionError>)] = []
            for await r in group { out.append(r) }
            return out.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        }
    }

    func makeSettings() throws -> ConversionSettings {
        let c = compression
        var s = ConversionSettings()
        s.weights = c.weights ?? (dynamic ? .int8 : nil)
        if let w = s.weights { s.granularity = c.granularity(for: w) }
        s.symmetric = !c.asymmetric
        s.reduceRange = c.reduceRange
        s.dynamic = dynamic
        s.float16 = float16 || float16Compute
        s.float16Compute = float16Compute
        s.skip = c.skip
        s.pruneSkip = c.skip
        if let v = c.sparsity { s.pruning = .sparsity(v) }
        if let v = c.threshold { s.pruning = .threshold(v) }
        if let nm = c.nmPattern { s.pruning = .pattern(nm) }
        if s.weights == nil, s.pruning == nil, !s.dynamic, !s.float16 {
            throw ValidationError("nothing to do: give --weights, --sparsity, --threshold, --pattern, --dynamic, --float16 or --float16-compute")
        }
        return s
    }

    /// What the driver's run of the file against its source measured (report.json's summary.fidelity): the worst
    /// output's SQNR, or why it was not run. A quantized file's noise is said, not judged (the driver refuses a
    /// float file that computes something else).
    func fidelity(_ f: JSONValue?) -> String {
        guard let f, let checked = f["checked"]?.boolValue else { return "" }
        if let kept = f["kept_anyway"]?.stringValue { return "; kept under --force though \(kept)" }
        guard checked else { return "; not run against the source: \(f["reason"]?.stringValue ?? "")" }
        let outputs = f["outputs"]?.arrayValue ?? []
        let samples = "\(f["samples"]?.intValue ?? 0) \(f["inputs"]?.stringValue ?? "") samples"
        if !outputs.isEmpty, outputs.allSatisfy({ $0["exact"]?.boolValue == true }) { return "; equal to the source on \(samples)\(resized(f["resized"]))\(axes(outputs))" }
        let worst = outputs.compactMap { $0["sqnr_db"]?.doubleValue }.min()
        guard let worst else { return "" }
        let what = f["of"] == nil ? "" : " its float export"
        return ";\(what) against the source \(worst) dB SQNR on \(samples)\(resized(f["resized"]))\(worst < 0 ? " (its error exceeds the output: run `slipway test` on your samples)" : "")\(axes(outputs))"
    }

    /// The outputs the file holds with the source's axes in another order than the source's or channels last
    /// (`axes`): whoever reads the file reads that order.
    func axes(_ outputs: [JSONValue]) -> String {
        let moved = outputs.compactMap { o -> String? in
            guard let order = o["axes"]?.arrayValue?.compactMap(\.intValue), let name = o["name"]?.stringValue else { return nil }
            return "\(name) as the source's axes [\(order.map(String.init).joined(separator: ", "))]"
        }
        return moved.isEmpty ? "" : "; the file holds \(moved.joined(separator: ", "))"
    }

    /// The fidelity check's run at other sizes than the samples' (`resized`: the model leaves sizes free): where, or
    /// why not.
    func resized(_ r: JSONValue?) -> String {
        guard let r else { return "" }
        if let why = r["skipped"]?.stringValue { return " (not run at other sizes: \(why))" }
        guard case .object(let shapes)? = r["shapes"] else { return "" }
        let at = shapes.keys.sorted().map { k in "\(k) [\((shapes[k]?.arrayValue ?? []).compactMap(\.intValue).map(String.init).joined(separator: ", "))]" }
        let outputs = r["outputs"]?.arrayValue ?? []
        if !outputs.isEmpty, outputs.allSatisfy({ $0["exact"]?.boolValue == true }) { return ", and at \(at.joined(separator: ", "))" }
        guard let worst = outputs.compactMap({ $0["sqnr_db"]?.doubleValue }).min() else { return "" }
        return ", and \(worst) dB at \(at.joined(separator: ", "))"
    }

    func summary(_ name: String, _ r: ConversionReport) -> String {
        if r.upToDate { return "\(name): up to date (\(r.outputPath))" }
        if let tool = r.json["tools"]?["converter"]?.stringValue, let log = r.json["log"]?.stringValue {
            let version = r.json["tools"]?["versions"]?[tool]?.stringValue.map { " \($0)" } ?? ""
            let before = r.json["sizes"]?["before"]?.intValue ?? 0
            let after = r.json["sizes"]?["after"]?.intValue ?? 0
            let ms = r.json["duration_ms"]?.doubleValue ?? 0
            return "\(name): wrote \(r.outputPath) with \(tool)\(version) (\(before) → \(after) bytes, \(ms) ms)\(fidelity(r.json["summary"]?["fidelity"])); report \(r.reportPath); log \(log)"
        }
        let before = r.json["sizes"]?["before"]?.intValue ?? 0
        let after = r.json["sizes"]?["after"]?.intValue ?? 0
        let tensors = r.json["tensors"]?.arrayValue ?? []
        let changed = tensors.filter { $0["action"]?.stringValue != "kept" }.count
        let ms = r.json["duration_ms"]?.doubleValue ?? 0
        return "\(name): wrote \(r.outputPath) (\(before) → \(after) bytes, \(changed) of \(tensors.count) tensors converted, \(ms) ms); report \(r.reportPath)"
    }
}

func fileSize(_ path: String) -> Int? {
    var st = stat()
    guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
    return Int(st.st_size)
}

func readAllBytes(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n == 0 { break }
        out.append(contentsOf: buf[0..<n])
        if out.count > 8 << 20 { return nil }
    }
    return out
}

/// Remembers which progress lines were printed, so a non-terminal gets each once.
final class PhaseLog: Sendable {
    private let seen = Mutex<Set<String>>([])
    func firstTime(_ line: String) -> String? {
        seen.withLock { $0.insert(line).inserted } ? line : nil
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
