import ArgumentParser
import Checking
import Conversion
import Targets
import Diagnostics
import Evaluation
import JSON
import Manifest
import Reporting

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var testInterrupted: sig_atomic_t = 0

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run each target's artifact against the original model on the manifest's samples, in the target's runtime.",
        discussion: """
            slipway test MANIFEST [--target NAME ...]: converts what is missing or stale (as `convert`), runs the \
            original and every artifact on each sample of test.samples (.npy, or .npz keyed by input name) in the \
            real runtime (onnxruntime, LiteRT, TFLite Micro; Core ML and TensorRT are skipped: not run here), \
            compares the outputs (cosine, max/mean absolute error, SQNR, top-1/top-5) and judges test.tolerance. \
            Runtimes come from --runtime-python (default python3 on PATH; see requirements-test.txt). See docs/test.md.
            Exit status: 0 when every tolerance holds, 1 when one fails, 2 on a usage or setup error.
            """
    )

    @Argument(help: "A manifest (*.slipway.yaml).")
    var manifest: String

    @Option(name: .customLong("target"), help: "Test only this target (repeatable).")
    var targets: [String] = []

    @Flag(help: "Print the results as JSON (the report.json schema) on stdout.")
    var json = false

    @Option(help: "Write report.json and a self-contained report.html into this folder.")
    var report: String?

    @Flag(help: "Convert again even when the artifact is up to date, and run every model again even when a recorded measurement of the same files and runtime versions could be reused.")
    var force = false

    @Flag(help: "Test the artifacts as they are on disk: convert nothing (a missing artifact is an error).")
    var noConvert = false

    @Flag(help: "Let a manifest write outside its own folder.")
    var allowOutsideProject = false

    @Flag(help: "Per-layer attribution for ONNX artifacts: the SQNR of every value the artifact computes against the original's, worst first.")
    var layers = false

    @Option(help: "Python interpreter or venv for external converters when a target names none (as `convert --python`).")
    var python: String?

    @Option(help: "Python interpreter with the runtimes (onnxruntime, ai-edge-litert, tflite-micro); default python3 on PATH.")
    var runtimePython: String = "python3"

    @Option(help: "Untimed runs of the first sample before timing (default 3).")
    var warmup: Int = 3

    @Option(help: "Stop a runner that runs longer than this many seconds.")
    var timeout: Double?

    func validate() throws {
        if let t = timeout, !(t > 0 && t <= 604_800) { throw ValidationError("--timeout \(t): expected a positive number of seconds, at most a week") }
        if !(0...1000).contains(warmup) { throw ValidationError("--warmup \(warmup): expected 0 to 1000") }
    }

    func run() async throws {
        EstimateCommand.persistDigests()
        for s in [SIGINT, SIGTERM] { signal(s) { testInterrupted = $0 } }
        guard let size = fileSize(manifest), size <= 8 << 20, let bytes = readAllBytes(manifest) else {
            printError("slipway: cannot read the manifest \(manifest) (missing, not a file, or over 8 MiB)")
            throw ExitCode(2)
        }
        let file = ManifestFile(bytes: bytes)
        guard let m = file.documents.first?.manifest else {
            printError("slipway: \(manifest) holds no manifest")
            throw ExitCode(2)
        }
        if file.diagnostics.contains(where: { $0.severity == .error }) {
            printError("slipway: \(manifest) has errors; run `slipway check \(manifest)` and fix them first")
            throw ExitCode(2)
        }
        let known = m.targets.map(\.name.value)
        for t in targets where !known.contains(t) {
            printError("slipway: \(manifest) has no target \(t) (targets: \(known.joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let chosen = m.targets.filter { targets.isEmpty || targets.contains($0.name.value) }
        let python = runtimePython.hasSuffix("/") || isDirectory(runtimePython) ? runtimePython + "/bin/python" : runtimePython
        var convert = ConvertOptions(force: force, allowOutsideProject: allowOutsideProject, toolVersion: Slipway.version, python: self.python)
        convert.decide(from: try? Catalogue.embedded.get())
        let options = TestOptions(
            convert: convert,
            python: python, warmup: warmup, timeout: timeout.map { .milliseconds(Int($0 * 1000)) }, convertFirst: !noConvert,
            layers: layers, reuse: !force)
        let tty = isatty(STDERR_FILENO) == 1
        let result = await ModelTester.test(
            manifest: m, manifestPath: manifest, targets: chosen, options: options,
            progress: { p in if tty { writeAll(STDERR_FILENO, "\r\u{1B}[K\(p)") } },
            cancellation: { testInterrupted != 0 })
        if tty { writeAll(STDERR_FILENO, "\r\u{1B}[K") }
        if result.cancelled { throw ExitCode(128 + (testInterrupted != 0 ? Int32(testInterrupted) : SIGINT)) }
        // Each measured target's result beside its artifact: what `deploy` gates on and records.
        TestRecord.store(result)

        let index = LineIndex(bytes: bytes)
        var root = result.json
        root["diagnostics"] = .array(Diagnostic.sortedForOutput(result.diagnostics).map { d in
            let c = CLIRange(d.range, in: index)
            return [
                "file": .string(manifest), "line": .int(c.line), "column": .int(c.column), "severity": .string(d.severity.rawValue),
                "code": .string(d.code.rawValue), "message": .string(d.message),
            ]
        })
        let document = JSONValue.object(root).serialized(pretty: true) + "\n"
        if let report {
            mkdir(report, 0o755)
            do throws(ConversionError) {
                try SafeWriter.write(Array(document.utf8), to: report + "/report.json")
                try SafeWriter.write(Array(ReportHTML.render(.object(root)).utf8), to: report + "/report.html")
            } catch {
                printError("slipway: cannot write \(report)/report.json: \(error.message)")
                throw ExitCode(2)
            }
        }
        if json {
            writeStdout(document)
        } else {
            for t in result.targets { writeStdout(Self.summary(t) + "\n") }
            for d in Diagnostic.sortedForOutput(result.diagnostics) {
                let c = CLIRange(d.range, in: index)
                writeStdout("\(manifest):\(c.line):\(c.column): \(d.severity.rawValue) \(d.code.rawValue): \(d.message)\n")
            }
        }
        if let e = result.setupError { printError("slipway: \(e)") }
        let code = result.exitCode
        if code != 0 { throw ExitCode(code) }
    }

    static func summary(_ t: TargetTestResult) -> String {
        var parts: [String] = []
        if let c = t.outputs.map(\.cosineMin).min() { parts.append("cosine \(fixed(c, 4))") }
        if let a = t.outputs.map(\.maxAbs).max() { parts.append("max_abs \(fixed(a, 5))") }
        if let s = t.outputs.map(\.sqnrDB).min() { parts.append(s.isFinite ? "SQNR \(fixed(s, 1)) dB" : "SQNR ∞") }
        if let t1 = t.outputs.compactMap(\.top1).min() { parts.append("top-1 \(fixed(t1 * 100, 1)) %") }
        if let p = percentile(t.latencyMS, 0.95) { parts.append("p95 \(fixed(p, 3)) ms") }
        let runtime = t.runtime.map { " (\($0)\(t.runtimeVersion.map { " " + $0 } ?? "")\(t.ranOn.map { ", " + $0 } ?? "")\(t.reused ? "; measured before, reused" : ""))" } ?? ""
        let figures = parts.isEmpty ? "" : ": " + parts.joined(separator: " · ")
        let why = t.reason.map { " — \($0)" } ?? ""
        var text = "target \(t.name): \(t.status.rawValue)\(runtime)\(figures)\(why)"
        // --layers: where the accuracy goes, and the setting that keeps a layer in float.
        let worst = LayerSQNR.worstFirst(t.layers).prefix(3)
        if !worst.isEmpty {
            text += "\n  layers (worst first): " + worst.map { "\($0.node) (\($0.op)) \(fixed($0.sqnrDB ?? 0, 1)) dB" }.joined(separator: ", ")
        }
        // The layer whose own loss is largest (not the lowest output, which inherits every earlier layer's error),
        // and the names quantize.skip matches for it: its converted weights, as SW6007's fix writes them.
        if let w = LayerSQNR.attribution(t.layers).first {
            let names = w.weights.map { "\"\(ManifestEdits.literalGlob($0))\"" }.joined(separator: ", ")
            text += "\n  lost the most: \(w.node) (\(w.op)) \(fixed(w.ownSQNRDB ?? 0, 1)) dB of its own;"
                + " to keep it in float: add \(names) to optimize.quantize.skip"
        }
        // What the figures above do not cover, so that a partial attribution never reads as a whole one.
        if let left = t.layersCoverage?.summary { text += "\n  layers: \(left)" }
        if let e = t.layersError { text += "\n  layers: not measured (\(e))" }
        if let note = t.placementNote { text += "\n  note: \(note)" }
        return text
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        let r = (v * p).rounded() / p
        var s = "\(r)"
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }

    func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }
}
