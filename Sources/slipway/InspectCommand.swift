import ArgumentParser
import Hashing
import JSON
import ModelFormats
import Targets

#if canImport(Glibc)
import Glibc
#endif

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a model holds: format, operators, parameters, inputs and outputs, quantization."
    )

    @Argument(help: "An ONNX, TFLite, safetensors, GGUF, Keras or PyTorch file (the format is read from its bytes).")
    var model: String

    @Flag(help: "Print the inspection as one JSON document.")
    var json = false

    @Flag(help: "Add what the shape analysis found: every value's shape, MACs, peak activations and coverage (with --json: under \"analysis\").")
    var analysis = false

    @Option(name: .customLong("input"), help: "Fix an input's shape for --analysis, as NAME=1,3,224,224 (repeatable).")
    var inputs: [String] = []

    @Option(name: .customLong("value"), help: "Give a scalar input's value for --analysis, as NAME=16000 (repeatable; as `sr: 16000` under model.inputs).")
    var values: [String] = []

    @Flag(help: "With --json: each tensor's \"sha256\", of its stored bytes (reads every weight; to compare weights across files and tools).")
    var tensorDigests = false

    func run() throws {
        let m: Model
        do {
            m = try ModelReader.read(path: model)
        } catch {
            // A model that cannot be read is not a usage error: say why on stderr, without the usage text (exit 1,
            // inspect's contract since it was written; test_inspect_crosscheck holds it).
            let message = Array("error: \(error)\n".utf8)
            _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            throw ExitCode(1)
        }
        if tensorDigests && !json { throw ValidationError("--tensor-digests adds to the JSON inspection: add --json") }
        guard analysis else {
            print(json ? withDigests(m.inspectionJSON(), m).serialized(pretty: true) : m.textSummary())
            return
        }
        var fixed: [String: [Int?]] = [:]
        for spec in inputs {
            let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            // NAME= is a scalar (rank 0), as silero-vad's sample rate.
            let dims = parts.count == 2 ? parts[1].split(separator: ",").map { Int($0) } : []
            guard parts.count == 2, dims.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw ValidationError("--input '\(spec)': expected NAME=D1,D2,… with whole dimensions ≥ 0 (NAME= for a scalar)")
            }
            fixed[String(parts[0])] = dims
        }
        var given: [String: Int] = [:]
        for spec in values {
            let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let v = Int(parts[1]) else { throw ValidationError("--value '\(spec)': expected NAME=INTEGER") }
            given[String(parts[0])] = v
        }
        let a = GraphAnalysis.analyze(model: m, inputs: fixed, values: given)
        if json {
            // Built for the JSON only: the text shows totals, and every value's shape is 100k entries on a large graph.
            var report: JSONObject = [
                "macs": .int(a.totalMACs),
                "macs_by_operator": .object(JSONObject(distinctEntries: a.macsByOperator.map { ($0.op, .int($0.macs)) })), "peak_activation_elements": .int(a.peakActivationElements),
                "coverage": a.coverage.json, "unresolved_nodes": .array(a.unresolved.map { .string($0) }),
                "assumed_dimensions": .array(a.assumedDimensions.map { .string($0) }), "shapes": .object(a.shapes.json),
            ]
            guard case .object(var o) = withDigests(m.inspectionJSON(), m) else { return }
            if let arenas = TFLiteArenas.of(model: m) {
                report["arenas"] = .object([
                    "tflite_micro_head_bytes": .int(arenas.microHead),
                    "tflite_micro_32bit_bytes": .int(arenas.micro(pointerBytes: 4)),
                    "tflite_micro_64bit_bytes": .int(arenas.micro(pointerBytes: 8)),
                    "litert_bytes": .int(arenas.litert),
                ])
            }
            o["analysis"] = .object(report)
            print(JSONValue.object(o).serialized(pretty: true))
        } else {
            print(m.textSummary())
            print("analysis: \(a.coverage.isComplete ? "" : "≥ ")\(a.totalMACs) MACs, peak activations \(a.coverage.isComplete ? "" : "≥ ")\(a.peakActivationElements) elements")
            if !a.coverage.isComplete { print(a.coverage.sentence) }
        }
    }
}

extension InspectCommand {
    /// The inspection with each tensor's SHA-256 when `--tensor-digests` asks (null where the bytes cannot be read).
    func withDigests(_ inspection: JSONValue, _ m: Model) -> JSONValue {
        guard tensorDigests, case .object(var o) = inspection, case .array(let tensors)? = o["tensors"] else { return inspection }
        var byName: [String: ConstantTensor] = [:]
        for t in m.tensors where byName[t.name] == nil { byName[t.name] = t }
        o["tensors"] = .array(tensors.map { entry in
            guard case .object(var e) = entry, let name = e["name"]?.stringValue, let t = byName[name] else { return entry }
            let digest = try? m.withStoredBytes(of: t) { b -> String in
                var h = SHA256()
                h.update(b)
                return h.finalize()
            }
            e["sha256"] = digest.map { .string($0) } ?? .null
            return .object(e)
        })
        return .object(o)
    }
}
