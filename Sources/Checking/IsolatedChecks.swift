import Diagnostics
import Isolation
import JSON
import Manifest

/// The model-dependent half of a check (reading the model, shape inference, coverage, estimates) as a request
/// to a worker process. The worker is this same engine (`WorkerService`) in a child process: what a crash
/// there costs is one diagnostic on the manifest, not the language server or the other manifests of a check.
enum IsolatedChecks {
    static let operation = "targetChecks"

    static func request(bytes: [UInt8], path: String) -> WorkerFrame {
        WorkerFrame(header: .object(["op": .string(operation), "path": .string(path)]), payload: bytes)
    }

    /// Per document, the target diagnostics and the files they come from; or the failure, reported on each
    /// document that needed the model.
    static func run(_ pool: WorkerPool, bytes: [UInt8], path: String, file: ManifestFile) -> ModelHalf {
        let reply = pool.call(request(bytes: bytes, path: path))
        switch reply {
        case .success(let frame):
            if let docs = frame.header["documents"]?.arrayValue, docs.count == file.documents.count {
                let decoded = docs.map { ($0.arrayValue ?? []).compactMap(Diagnostic.init(wireJSON:)) }
                var inputs: [String: String]?
                if case .object(let o)? = frame.header["inputs"] {
                    inputs = [:]
                    for (k, v) in o.entries {
                        guard let v = v.stringValue else { inputs = nil; break }
                        inputs?[k] = v
                    }
                }
                return ModelHalf(documents: decoded, inputs: inputs, failure: nil)
            }
            let why = frame.header["error"]?.stringValue ?? "an unreadable reply"
            return ModelHalf(documents: failureDiagnostics(file, "the analysis worker sent \(why)"), inputs: nil, failure: why)
        case .failure(let f):
            return ModelHalf(documents: failureDiagnostics(file, f.reason), inputs: nil, failure: f.reason)
        }
    }

    static func failureDiagnostics(_ file: ManifestFile, _ reason: String) -> [[Diagnostic]] {
        file.documents.map { doc -> [Diagnostic] in
            let m = doc.manifest
            guard !m.targets.isEmpty else { return [] }
            let name = m.model?.path?.value ?? "the model"
            let range = m.model?.path?.range ?? .at(0)
            return [Diagnostic(
                .modelUnreadable,
                "the analysis of model '\(name)' failed: \(reason); target checks that need the model are skipped (the rest of the check is unaffected; please report the model)",
                at: range)]
        }
    }
}

/// The worker's side: answers `IsolatedChecks` requests with an in-process checker (which must not itself
/// be isolated). Runs in the child process; a trap here ends only the child.
public struct WorkerService: Sendable {
    public let checker: ManifestChecker

    public init(checker: ManifestChecker) { self.checker = checker }

    public func handle(_ request: WorkerFrame) -> WorkerFrame {
        switch request.header["op"]?.stringValue {
        case IsolatedChecks.operation?:
            guard let path = request.header["path"]?.stringValue else { return Self.error("a request without a path") }
            let half = checker.targetDiagnostics(bytes: request.payload, path: path)
            var reply: JSONObject = ["documents": .array(half.documents.map { .array($0.map(\.wireJSON)) })]
            if let inputs = half.inputs {
                reply["inputs"] = .object(JSONObject(distinctEntries: inputs.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
            }
            return WorkerFrame(header: .object(reply))
        case Self.probe?:
            guard let path = request.header["path"]?.stringValue else { return Self.error("a request without a path") }
            return probe(path)
        case "ping"?:
            return WorkerFrame(header: .object(["pong": .bool(true)]))
        case let op:
            return Self.error("an unknown operation '\(op ?? "none")'")
        }
    }

    static func error(_ message: String) -> WorkerFrame { WorkerFrame(header: .object(["error": .string(message)])) }
}
