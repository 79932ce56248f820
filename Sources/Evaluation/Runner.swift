#if canImport(Glibc)
import Glibc
#endif
import Conversion
import JSON

/// The Python runner (scripts/runners/run_models.py, embedded): one child process that loads every model of a
/// run in its runtime and runs each on every sample, saving outputs as .npy files in a temporary folder that
/// is removed when the outcome has been read.
enum Runner {
    struct ModelOutcome: Sendable {
        var error: String?
        var provider: String?
        var note: String?
        var outputNames: [String]
        /// Per sample: "" when it fit, the note of a layout change, or why it did not fit.
        var fits: [String]
        var latencies: [Double?]
        /// Per sample, per output: the values (flattened), nil when that sample did not run.
        var values: [[[Double]]?]
        /// Each output's shape, from the first sample that ran.
        var shapes: [[Int]] = []

        func outputs(_ s: Int) -> [[Double]]? { s < values.count ? values[s] : nil }
    }

    struct Outcome: Sendable {
        var models: [ModelOutcome]
        var runtimes: [String: String]
        var peakRSSKB: Int?
    }

    static func fits(_ s: String) -> Bool {
        s.isEmpty || s.split(separator: ";").allSatisfy { $0.trimmingCharacters().hasSuffix("NCHW → NHWC") }
    }

    static func run(
        models: [(path: String, runtime: String, delegate: String?)], samples: [String], python: String,
        timeout: Duration?, cancellation: @escaping CancellationCheck
    ) -> Result<Outcome, TestSetupError> {
        var template = Array("\(temporaryRoot())/slipway-test-XXXXXX".utf8CString)
        guard let work = template.withUnsafeMutableBufferPointer({ b in b.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) } }) else {
            return .failure(TestSetupError("cannot create a temporary folder: \(String(cString: strerror(errno)))"))
        }
        defer { removeTree(work) }
        let script = work + "/run_models.py"
        let job: JSONValue = .object([
            "out": .string(work),
            "warmup": 1,
            "samples": .array(samples.map { .string(absolute($0)) }),
            "models": .array(models.map { m in
                .object(["path": .string(absolute(m.path)), "runtime": .string(m.runtime), "delegate": m.delegate.map { .string($0) } ?? .null])
            }),
        ])
        do throws(ConversionError) {
            try SafeWriter.write(Array(EmbeddedRunner.script.utf8), to: script)
            try SafeWriter.write(Array(job.serialized().utf8), to: work + "/job.json")
        } catch {
            return .failure(TestSetupError(error.message))
        }
        let log = work + "/runner.log"
        let exit: ChildExit
        do throws(ConversionError) {
            exit = try ChildProcess.run(
                ChildProcess.Request(executable: python, arguments: [script, work + "/job.json"],
                                     environment: ["PYTHONDONTWRITEBYTECODE": "1"], logPath: log, timeout: timeout),
                cancellation: cancellation)
        } catch {
            return .failure(TestSetupError("cannot start the runner with \(python): \(error.message); pass --python (or a target's `python`) naming an interpreter with numpy and the runtimes"))
        }
        guard exit.succeeded, let bytes = read(work + "/RESULT.json"), let json = try? JSONValue.parse(bytes: bytes) else {
            let tail = ChildProcess.tail(of: log, lines: 15)
            if tail.contains("ModuleNotFoundError") || tail.contains("No module named") {
                return .failure(TestSetupError("\(python) lacks a runtime the test needs:\n\(tail)\ninstall numpy, onnxruntime, ai-edge-litert (and tflite-micro for microcontroller targets), or pass --python"))
            }
            return .failure(TestSetupError("the runner (\(python)) \(exit.summary):\n\(tail)"))
        }
        var outcome = Outcome(models: [], runtimes: [:], peakRSSKB: json["peak_rss_kb"]?.intValue)
        for (k, v) in json["runtimes"]?.objectValue?.entries ?? [] { outcome.runtimes[k] = v.stringValue }
        for (i, m) in (json["models"]?.arrayValue ?? []).enumerated() {
            let names = (m["outputs"]?.arrayValue ?? []).compactMap(\.stringValue)
            var values: [[[Double]]?] = []
            var shapes: [[Int]] = []
            for s in samples.indices {
                var perOutput: [[Double]] = []
                for k in names.indices {
                    guard let b = read("\(work)/\(i)/\(s)_\(k).npy"), let a = NPYArray.parse(b) else { break }
                    perOutput.append(a.values)
                    if shapes.count == k { shapes.append(a.shape) }
                }
                values.append(perOutput.count == names.count && !names.isEmpty ? perOutput : nil)
            }
            outcome.models.append(ModelOutcome(
                error: m["error"]?.stringValue, provider: m["provider"]?.stringValue, note: m["note"]?.stringValue,
                outputNames: names, fits: (m["fits"]?.arrayValue ?? []).map { $0.stringValue ?? "" },
                latencies: (m["latency_ms"]?.arrayValue ?? []).map(\.doubleValue), values: values, shapes: shapes))
        }
        guard outcome.models.count == models.count else {
            return .failure(TestSetupError("the runner reported \(outcome.models.count) models of \(models.count)"))
        }
        return .success(outcome)
    }

    static func temporaryRoot() -> String {
        if let t = getenv("TMPDIR").map({ String(cString: $0) }), !t.isEmpty { return t }
        return "/tmp"
    }

    static func absolute(_ p: String) -> String {
        if p.hasPrefix("/") { return p }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return p }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + p
    }

    static func read(_ path: String, limit: Int = 1 << 30) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, Int(st.st_size) <= limit else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < out.count {
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return filled == out.count ? out : nil
    }

    /// Removes the runner's temporary folder (files and one level of folders: what the runner writes).
    static func removeTree(_ path: String) {
        guard let d = opendir(path) else { return }
        var names: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n != "." && n != ".." { names.append(n) }
        }
        closedir(d)
        for n in names {
            let p = path + "/" + n
            var st = stat()
            guard lstat(p, &st) == 0 else { continue }
            if st.st_mode & S_IFMT == S_IFDIR { removeTree(p) } else { unlink(p) }
        }
        rmdir(path)
    }
}
