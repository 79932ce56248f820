import Isolation
import JSON
import ModelFormats
import Synchronization
import Targets

/// The gate in front of model work the server still does in its own process (hovers, lenses, completion,
/// inspect and convert commands): a model is read here only after a worker has read and analysed that very
/// file (same path, size, modification time, inode) without dying. A model that crashed a worker is refused
/// with the reason until the file changes.
public final class ModelClearance: Sendable {
    public let pool: WorkerPool
    private let verdicts = Mutex<[String: (identity: ModelCachingFileSystem.Identity, refusal: String?)]>([:])

    public init(pool: WorkerPool) { self.pool = pool }

    /// Nil when the model may be read in this process; otherwise why not.
    public func refusal(for path: String) -> String? {
        guard let id = ModelCachingFileSystem.identity(path) else { return nil }  // not a regular file: the read fails by itself
        if let known = verdicts.withLock({ $0[path] }), known.identity == id { return known.refusal }
        let refusal: String?
        var lasting = true
        switch pool.call(WorkerFrame(header: .object(["op": .string(WorkerService.probe), "path": .string(path)]))) {
        case .success:
            refusal = nil  // read and analysed, or refused with an error the reader gives here too
        case .failure(let f):
            refusal = f.reason
            lasting = f.kind == .crashed || f.kind == .timedOut  // a paused pool may clear it later
        }
        if lasting { verdicts.withLock { $0[path] = (id, refusal) } }
        return refusal
    }
}

extension WorkerService {
    static let probe = "probe"

    /// Reads and analyses the model as the features will: if this returns, doing it in the server is safe.
    func probe(_ path: String) -> WorkerFrame {
        do {
            let model = try checker.fileSystem.readModel(path)
            let analysis = GraphAnalysis.analyze(model: model)
            _ = model.inspectionJSON()
            _ = model.textSummary(largest: 5)
            return WorkerFrame(header: .object(["ok": .bool(true), "nodes": .int(analysis.nodes.count)]))
        } catch {
            return WorkerFrame(header: .object(["ok": .bool(true), "readError": .string(error.description)]))
        }
    }
}
