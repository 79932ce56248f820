import ArgumentParser
import Conversion
import Diagnostics
import Evaluation
import JSON
import Manifest

#if canImport(Glibc)
import Glibc
#endif

/// The SIGINT/SIGTERM that asked a test to stop; the runner's process group is stopped and nothing is kept.
nonisolated(unsafe) private var testInterrupted: sig_atomic_t = 0

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run each target's artifact against the original model on the manifest's samples, in the target's real runtime.",
        discussion: """
            For each target (or those named), the artifact `convert` wrote is used (converted first when missing or \
            stale), then the original and every artifact run on each sample of test.samples (.npy for a one-input \
            model, .npz by input name) in one runner process: onnxruntime for ONNX, LiteRT (ai-edge-litert) for \
            TFLite, TFLite Micro's interpreter (the tflite-micro package) for microcontroller targets. Core ML and \
            TensorRT artifacts do not run here: those targets are skipped, never passed. Per output: cosine, max \
            and mean absolute error, SQNR, top-1/top-5 agreement; per target: host latency p50/p95. \
            test.tolerance (cosine, max_abs, top1, sqnr_db, latency_ms_p95) is judged on the worst output; a miss \
            is SW6001 on its line. The runner is `--python` (or the first target's `python`, else python3) and \
            needs numpy and the runtimes.
            Exit status: 0 when every tested target meets its tolerances, 1 when one does not (or its artifact \
            does not run), 2 on usage or setup errors.
            """)

    @Argument(help: "The manifest (*.slipway.yaml).")
    var manifest: String

    @Option(name: .customLong("target"), help: "Test only this target (repeatable).")
    var targets: [String] = []

    @Flag(help: "Print the report (report.json's document) on stdout.")
    var json = false

    @Option(help: "Write report.json and a self-contained report.html into this folder.")
    var report: String?

    @Flag(help: "Convert again even when the artifact is up to date.")
    var force = false

    @Option(help: "Python interpreter or venv folder with numpy and the runtimes.")
    var python: String?

    @Option(help: "Stop the runner after this many seconds.")
    var timeout: Double?

    @Flag(help: "Let a manifest write its artifacts outside its own folder.")
    var allowOutsideProject = false

    func run() async throws {
        for s in [SIGINT, SIGTERM] { signal(s) { testInterrupted = $0 } }
        guard let bytes = MonitorFiles.contents(manifest) else {
            printError("slipway: cannot read \(manifest)")
            throw ExitCode(2)
        }
        let file = ManifestFile(bytes: bytes)
        guard let doc = file.documents.first else {
            printError("slipway: \(manifest) holds no manifest")
            throw ExitCode(2)
        }
        let known = Set(doc.manifest.targets.map(\.name.value))
        for t in targets where !known.contains(t) {
            printError("slipway: \(manifest) has no target \(t); it has \(known.sorted().joined(separator: ", "))")
            throw ExitCode(2)
        }
        if let t = timeout, !(t > 0 && t <= 604_800) { throw ValidationError("--timeout \(t): expected a positive number of seconds") }
        let options = TestOptions(python: python, force: force, timeout: timeout.map { .milliseconds(Int(saturatingSeconds: $0)) },
                                  toolVersion: Slipway.version, allowOutsideProject: allowOutsideProject)
        let tty = isatty(STDERR_FILENO) == 1
        let outcome = await TestRunner.run(
            manifest: doc.manifest, manifestPath: manifest, targets: targets, options: options,
            progress: { p in if tty { writeAll(STDERR_FILENO, "\r\u{1B}[K\(p)") } },
            cancellation: { testInterrupted != 0 })
        if tty { writeAll(STDERR_FILENO, "\r\u{1B}[K") }
        let run: TestRun
        switch outcome {
        case .failure(let e):
            printError("slipway: \(e.message)")
            throw ExitCode(testInterrupted != 0 ? 130 : 2)
        case .success(let r): run = r
        }
        let reportDoc = TestReport.json(run, lineIndex: file.lineIndex, toolVersion: Slipway.version)
        if let report {
            do throws(ConversionError) {
                _ = try PathSafety.makeDirectories(report)
                try SafeWriter.write(Array((reportDoc.serialized(pretty: true) + "\n").utf8), to: report + "/report.json")
                try SafeWriter.write(Array(TestReportHTML.page(reportDoc).utf8), to: report + "/report.html")
            } catch {
                printError("slipway: \(error.message)")
                throw ExitCode(2)
            }
        }
        if json {
            writeStdout(reportDoc.serialized(pretty: true) + "\n")
        } else {
            for t in run.targets {
                var line = "\(t.target): \(t.status.rawValue)"
                if let r = t.runtime { line += " (\(r)\(t.provider.map { ", \($0)" } ?? ""))" }
                let worst = t.outputs.min { $0.cosineMean < $1.cosineMean }
                if let w = worst {
                    line += " · cosine \(fmt(w.cosineMean)) · max |Δ| \(fmt(w.maxAbs))"
                    if let s = w.sqnrDB { line += " · SQNR \(fmt(s)) dB" }
                    if let t1 = w.top1 { line += " · top-1 \(fmt(t1 * 100)) %" }
                }
                if let p = t.latencyP95 { line += " · p95 \(fmt(p)) ms" }
                if let r = t.reason { line += " — \(r)" }
                writeStdout(line + "\n")
                for d in t.diagnostics {
                    let p = file.lineIndex.position(of: d.range.start, unit: .scalars)
                    writeStdout("\(manifest):\(p.line + 1):\(p.column + 1): \(d.severity.rawValue)[\(d.code.rawValue)]: \(d.message)\n")
                }
            }
        }
        if testInterrupted != 0 { throw ExitCode(130) }
        if run.targets.contains(where: { $0.status == .failed || $0.status == .error }) { throw ExitCode(1) }
    }

    func fmt(_ v: Double) -> String {
        let r = (v * 10_000).rounded() / 10_000
        return "\(r)"
    }
}

extension Int {
    /// Milliseconds from seconds, saturating.
    init(saturatingSeconds s: Double) {
        let ms = (s * 1000).rounded()
        self = ms >= 9.2e18 ? Int.max : (ms <= 0 ? 0 : Int(exactly: ms) ?? Int.max)
    }
}
