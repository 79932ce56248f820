#if canImport(Glibc)
import Glibc
#endif
import Conversion
import ModelFormats
import Synchronization

/// A file system that remembers the models it has read, keyed by path and the file's identity (size,
/// modification time, inode), so that the server re-checking on every keystroke, or `check` over many
/// manifests naming one model, reads each model once. A changed file has a new identity and is read again;
/// files that cannot be stat'ed (in-memory test trees) are never cached.
public final class ModelCachingFileSystem: FileSystem, LinkResolving {
    struct Identity: Hashable {
        var size: Int
        var mtimeSeconds: Int
        var mtimeNanoseconds: Int
        var inode: UInt64
    }

    private let base: any FileSystem
    private let capacity: Int
    private let entries = Mutex<[(path: String, identity: Identity, model: Model)]>([])
    /// When set, a model is read here only once a worker has read it without crashing.
    public let clearance: ModelClearance?

    public init(_ base: any FileSystem = LocalFileSystem(), capacity: Int = 8, clearance: ModelClearance? = nil) {
        self.base = base
        self.capacity = max(1, capacity)
        self.clearance = clearance
    }

    public func kind(of path: String) -> FileKind { base.kind(of: path) }
    public func list(_ directory: String) -> [String] { base.list(directory) }
    public func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] { try base.read(path, limit: limit) }

    public func readModel(_ path: String) throws(ModelError) -> Model {
        guard let id = Self.identity(path) else { return try base.readModel(path) }
        if let hit = entries.withLock({ e in e.first { $0.path == path && $0.identity == id }?.model }) { return hit }
        if let refusal = clearance?.refusal(for: path) {
            throw ModelError(.io, file: path, "not read in the server: \(refusal)")
        }
        let model = try base.readModel(path)
        entries.withLock { e in
            e.removeAll { $0.path == path }
            e.append((path, id, model))
            if e.count > capacity { e.removeFirst(e.count - capacity) }  // least recently read first
        }
        return model
    }

    /// The model at `path` when this cache holds it for the file as it is now; nil otherwise. Never reads the
    /// model (only stats the file): what a request may use without waiting on model work.
    public func cachedModel(_ path: String) -> Model? {
        guard let id = Self.identity(path) else { return nil }
        return entries.withLock { e in e.first { $0.path == path && $0.identity == id }?.model }
    }

    /// Links resolve as the wrapped file system's do.
    public var linkResolver: Containment.LinkResolver? { (base as? any LinkResolving)?.linkResolver }

    /// Drops every cached model (the server calls this when watched model files change).
    public func invalidate() { entries.withLock { $0.removeAll() } }

    public var cachedCount: Int { entries.withLock { $0.count } }

    static func identity(_ path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Identity(
            size: Int(st.st_size), mtimeSeconds: Int(st.st_mtim.tv_sec), mtimeNanoseconds: Int(st.st_mtim.tv_nsec),
            inode: UInt64(st.st_ino))
    }
}
