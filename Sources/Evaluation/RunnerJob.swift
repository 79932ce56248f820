#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Conversion
import JSON
import ModelFormats

/// One runner process: every model of one runtime on every sample (`scripts/runners/run_models.py`, written
/// into the work folder from the binary), in a process group of its own with a timeout and cancellation.
struct RunnerJob: Sendable {
    var runtime: TestRuntime
    var models: [Model]

    struct Model: Sendable {
        var id: String
        var path: String
        /// onnxruntime: run U8S8 integer matmuls exactly on any host (`session.x64quantprecision`), see `IntegerMatmul`.
        var exactU8S8: Bool = true
        /// The id of the model whose values this one's are compared with, layer by layer (`--layers`).
        var layersAgainst: String? = nil
        /// The target's `delegate`: the execution provider or delegate the runner uses where this host has it.
        var delegate: String? = nil
    }

    struct ModelResult: Sendable {
        var outputs: [(name: String, shape: [Int], values: [Float])] = []
        var latencyMS: [Double] = []
        var error: String?
        /// onnxruntime: whether the exact U8S8 kernels were applied (nil for other runtimes).
        var exactU8S8: Bool?
        var layers: [LayerSQNR] = []
        /// What `layers` covers of the original's float values, and what it leaves out.
        var layersCoverage: LayerCoverage?
        var layersError: String?
        /// The execution provider or delegate that ran the model, and why it is not the target's, when it is not.
        var ranOn: String?
        var placementNote: String?
    }

    struct Result: Sendable {
        var version: String
        var peakRSSKB: Int
        /// The digest of the sample files as the runner read them (each read once, there).
        var samplesSHA256: String?
        var sampleErrors: [SampleError]
        var models: [String: ModelResult]
        /// The host is an x86-64 without VNNI, whose default U8S8 kernel saturates.
        var hostU8S8Saturates: Bool
    }

    struct SampleError: Sendable, Equatable {
        var file: String
        var input: String
        var expected: String
        var got: String
        var message: String
    }

    enum Failure: Error, Sendable {
        /// The runner could not start, or died: the message says what and where its log is.
        case setup(String)
        case cancelled
    }

    /// The installed version of a runtime (the runner's `--version` mode: no model, no sample), or nil when the
    /// runner cannot say (a missing package reads "unknown", which matches no recorded version).
    static func version(of runtime: TestRuntime, python: String, work: String) -> String? {
        guard let name = runtime.runnerName else { return nil }
        let script = "\(work)/run_models.py", out = "\(work)/\(name).version"
        do throws(ConversionError) {
            if access(script, F_OK) != 0 { try SafeWriter.scratch(Array(EmbeddedRunners.runModels.utf8), to: script) }
        } catch { return nil }
        let request = ChildProcess.Request(executable: python, arguments: [script, "--version", name, out],
                                           environment: ["PYTHONUNBUFFERED": "1", "TMPDIR": work], logPath: out + ".log",
                                           timeout: .seconds(60))
        guard let exit = try? ChildProcess.run(request, cancellation: { false }), exit.succeeded,
              let bytes = readWhole(out, limit: 4096) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        return text.isEmpty || text == "unknown" ? nil : text
    }

    func run(
        python: String, inputs: [(String, [JSONValue])], values: [String: Int] = [:], preprocess: JSONValue? = nil,
        samples: [String], warmup: Int, work: String,
        timeout: Duration?, cancellation: @escaping CancellationCheck
    ) throws(Failure) -> Result {
        guard let name = runtime.runnerName else { throw .setup("no runner for this runtime") }
        let out = "\(work)/\(name)"
        mkdir(out, 0o700)
        var inputObject = JSONObject()
        for (n, dims) in inputs { inputObject[n] = .array(dims) }
        var valueObject = JSONObject()
        for (n, v) in values.sorted(by: { $0.key < $1.key }) { valueObject[n] = .int(v) }
        let job: JSONValue = [
            "runtime": .string(name), "warmup": .int(warmup), "inputs": .object(inputObject), "preprocess": preprocess ?? .null,
            "values": .object(valueObject),
            "samples": .array(samples.map { .string($0) }),
            "models": .array(models.map {
                ["id": .string($0.id), "path": .string($0.path), "exact_u8s8": .bool($0.exactU8S8),
                 "layers_against": $0.layersAgainst.map { .string($0) } ?? .null,
                 "delegate": $0.delegate.map { .string($0) } ?? .null]
            }),
        ]
        let jobPath = "\(work)/\(name).job.json"
        let script = "\(work)/run_models.py"
        do throws(ConversionError) {
            if access(script, F_OK) != 0 { try SafeWriter.scratch(Array(EmbeddedRunners.runModels.utf8), to: script) }
            try SafeWriter.scratch(Array(job.serialized().utf8), to: jobPath)
        } catch { throw .setup("cannot write the runner's files in \(work): \(error.message)") }
        let log = "\(work)/\(name).log"
        let request = ChildProcess.Request(
            executable: python, arguments: [script, jobPath, out], environment: ["PYTHONUNBUFFERED": "1", "TMPDIR": work],
            logPath: log, timeout: timeout)
        let exit: ChildExit
        do throws(ConversionError) {
            exit = try ChildProcess.run(request, cancellation: cancellation)
        } catch { throw .setup("cannot start the \(name) runner: \(error.message)") }
        if exit.cancelled { throw .cancelled }
        guard exit.succeeded else {
            let tail = ChildProcess.tail(of: log, lines: 12)
            throw .setup("the \(name) runner (\(python)) failed (\(exit.summary))\(tail.isEmpty ? "" : ":\n" + tail)")
        }
        guard let bytes = Self.readWhole("\(out)/result.json", limit: 64 << 20), let json = try? JSONValue.parse(bytes: bytes) else {
            throw .setup("the \(name) runner wrote no readable result in \(out)")
        }
        var result = Result(version: json["version"]?.stringValue ?? "unknown", peakRSSKB: json["peak_rss_kb"]?.intValue ?? 0,
                            samplesSHA256: json["samples_sha256"]?.stringValue,
                            sampleErrors: [], models: [:], hostU8S8Saturates: json["host_u8s8_saturates"]?.boolValue ?? false)
        for e in json["sample_errors"]?.arrayValue ?? [] {
            result.sampleErrors.append(SampleError(
                file: e["file"]?.stringValue ?? "?", input: e["input"]?.stringValue ?? "?",
                expected: Self.shapeText(e["expected"]), got: Self.shapeText(e["got"]), message: e["message"]?.stringValue ?? ""))
        }
        for id in models.map(\.id) {
            guard let m = json["models"]?[id] else { continue }
            var r = ModelResult()
            r.error = m["error"]?.stringValue
            r.exactU8S8 = m["exact_u8s8"]?.boolValue
            r.ranOn = m["ran_on"]?.stringValue
            r.placementNote = m["placement_note"]?.stringValue
            r.latencyMS = (m["latency_ms"]?.arrayValue ?? []).compactMap(\.doubleValue)
            r.layersError = m["layers_error"]?.stringValue
            r.layersCoverage = LayerCoverage.parse(m["layers_coverage"])
            r.layers = (m["layers"]?.arrayValue ?? []).compactMap { l in
                guard let value = l["value"]?.stringValue else { return nil }
                return LayerSQNR(value: value, node: l["node"]?.stringValue ?? value, op: l["op"]?.stringValue ?? "",
                                 sqnrDB: l["sqnr_db"]?.doubleValue, exact: l["exact"]?.boolValue ?? false,
                                 inputSQNRDB: l["input_sqnr_db"]?.doubleValue,
                                 weights: (l["weights"]?.arrayValue ?? []).compactMap(\.stringValue))
            }
            for o in m["outputs"]?.arrayValue ?? [] {
                guard let file = o["file"]?.stringValue, let data = Self.readWhole(file, limit: 4 << 30) else {
                    r.error = r.error ?? "the runner's output file for \(id) is missing"
                    continue
                }
                var values = [Float](repeating: 0, count: data.count / 4)
                values.withUnsafeMutableBytes { dst in
                    data.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src.prefix(dst.count))) }
                }
                r.outputs.append((o["name"]?.stringValue ?? "output \(r.outputs.count)", (o["shape"]?.arrayValue ?? []).compactMap(\.intValue), values))
            }
            result.models[id] = r
        }
        return result
    }

    static func shapeText(_ v: JSONValue?) -> String {
        guard let dims = v?.arrayValue else { return v?.stringValue ?? "nothing" }
        return "[" + dims.map { $0.intValue.map(String.init) ?? $0.stringValue ?? "?" }.joined(separator: ", ") + "]"
    }

    /// A whole regular file (through `RegularFile.open`, so no path can make the read block), or nil.
    static func readWhole(_ path: String, limit: Int) -> [UInt8]? {
        guard case .success(let f) = RegularFile.open(path) else { return nil }
        defer { close(f.fd) }
        guard f.size <= limit else { return nil }
        var buffer = [UInt8](repeating: 0, count: f.size)
        var filled = 0
        while filled < f.size {
            let n = buffer.withUnsafeMutableBytes { read(f.fd, $0.baseAddress.map { $0 + filled }, f.size - filled) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
        }
        return buffer
    }
}
