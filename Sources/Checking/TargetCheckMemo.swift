#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Diagnostics
import Estimation
import Hashing
import Isolation
import JSON
import Synchronization

/// The model half of a check (each document's target diagnostics, what a worker computes) remembered between
/// runs, so that `check` in pre-commit, run again on an unchanged manifest and model, neither starts a worker
/// nor reads the model. An entry is keyed by the running executable (its rules and catalogue are compiled in),
/// the manifest's path and the SHA-256 of its text, and holds the state of every file the result was computed
/// from (`Model.sourceFiles`: the model, its external data, a safetensors sidecar, present or absent); it is
/// used only while each of those files has the identity it had (device, inode, size, modification and status
/// change times, as `FileDigests`), so a remembered result never describes files that changed since.
/// Advisory like the estimates cache: a missing, foreign or stale entry is recomputed.
public struct TargetCheckMemo: Sendable {
    let store: any EstimateCache
    /// The identity of the executable that computes and reads entries.
    let engine: String
    /// Seconds a source file must have been left alone before a result computed from it is kept (a write later
    /// in the same clock tick would keep its timestamps).
    let settle: Int64
    /// Entries this process loaded already (keyed as on disk): `check` asks once before deciding whether to
    /// start a worker, and again when it checks the manifest.
    let loaded = Loaded()

    final class Loaded: Sendable {
        let table = Mutex<[String: [[Diagnostic]]]>([:])
    }

    /// Nil when the running executable cannot be identified: then nothing is remembered.
    public init?(store: any EstimateCache, settle: Int64 = 2) {
        guard let exe = WorkerLoop.currentExecutable(), let id = FileDigests.Identity.of(exe) else { return nil }
        self.init(store: store, engine: exe + "|" + id.text, settle: settle)
    }

    init(store: any EstimateCache, engine: String, settle: Int64) {
        self.store = store
        self.engine = engine
        self.settle = settle
    }

    static let version = 1

    func key(bytes: [UInt8], path: String) -> String {
        "slipway-target-checks\nversion=\(Self.version)\nengine=\(engine)\nmanifest=\(path)\nsha256=\(SHA256.hex(bytes))"
    }

    /// What each of `files` is now: a regular file's identity, `directory`, or `absent`; nil when one is
    /// something else or cannot be stat'ed (then nothing is remembered).
    public static func states(of files: [String]) -> [String: String]? {
        var out: [String: String] = [:]
        for f in files where out[f] == nil {
            guard let s = state(of: f) else { return nil }
            out[f] = s
        }
        return out
    }

    static func state(of path: String) -> String? {
        var st = stat()
        if stat(path, &st) != 0 { return errno == ENOENT || errno == ENOTDIR ? "absent" : nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return "file " + FileDigests.Identity(st).text
        case S_IFDIR: return "directory"
        default: return nil
        }
    }

    /// The remembered documents' diagnostics for this manifest text, when every file they were computed from
    /// is as it was.
    public func load(bytes: [UInt8], path: String, documents: Int) -> [[Diagnostic]]? {
        let key = key(bytes: bytes, path: path)
        if let hit = loaded.table.withLock({ $0[key] }), hit.count == documents { return hit }
        guard let entry = store.load(key: key),
              case .object(let inputs)? = entry["inputs"], let docs = entry["documents"]?.arrayValue,
              docs.count == documents
        else { return nil }
        for (file, recorded) in inputs.entries {
            guard let recorded = recorded.stringValue, Self.state(of: file) == recorded else { return nil }
        }
        var out: [[Diagnostic]] = []
        for d in docs {
            guard let items = d.arrayValue else { return nil }
            let decoded = items.compactMap(Diagnostic.init(wireJSON:))
            guard decoded.count == items.count else { return nil }
            out.append(decoded)
        }
        loaded.table.withLock { $0[key] = out }
        return out
    }

    /// Keeps `documents`, computed from `inputs` (each file's state taken when the work ended), unless one of
    /// those files changed within the settle time.
    public func store(bytes: [UInt8], path: String, documents: [[Diagnostic]], inputs: [String: String]) {
        let now = Int64(time(nil))
        for file in inputs.keys {
            if let id = FileDigests.Identity.of(file), id.isRecent(now: now, settle: settle) { return }
        }
        let value: JSONValue = .object([
            "inputs": .object(JSONObject(distinctEntries: inputs.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
            "documents": .array(documents.map { .array($0.map(\.wireJSON)) }),
        ])
        store.store(key: key(bytes: bytes, path: path), value: value)
    }
}
