#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where file digests persist between processes: the CLI passes its disk cache, so that `check` in pre-commit
/// does not hash the model, the artifacts and every sample again on each run (a 50 MB model alone costs more
/// than the rest of the check), nor `deploy` a large artifact it hashed before. Advisory: a missing or foreign
/// entry is recomputed.
public protocol DigestStore: Sendable {
    func digest(forKey key: String) -> String?
    func storeDigest(_ digest: String, forKey key: String)
}

/// SHA-256s of files by their identity: for the life of the process (bounded: the oldest half goes when full)
/// and, once `persist(in:)` names a store, between processes. A rewrite through a temporary and a rename is a
/// new inode, an edit in place moves the modification time, and any write moves the status-change time
/// (`ctime`, which no tool can set back), so a remembered digest never describes changed bytes that the
/// identity does not reveal. A file changed within the last `settle` seconds is hashed but not persisted: a
/// write later in the same clock tick would keep its timestamps (git's index rules out "racy" entries so).
public final class FileDigests: Sendable {
    public struct Identity: Hashable, Sendable {
        public var device: UInt64, inode: UInt64
        public var size: Int64
        public var seconds: Int64, nanoseconds: Int64
        public var changeSeconds: Int64, changeNanoseconds: Int64

        public init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            #if canImport(Darwin)
                seconds = Int64(st.st_mtimespec.tv_sec); nanoseconds = Int64(st.st_mtimespec.tv_nsec)
                changeSeconds = Int64(st.st_ctimespec.tv_sec); changeNanoseconds = Int64(st.st_ctimespec.tv_nsec)
            #else
                seconds = Int64(st.st_mtim.tv_sec); nanoseconds = Int64(st.st_mtim.tv_nsec)
                changeSeconds = Int64(st.st_ctim.tv_sec); changeNanoseconds = Int64(st.st_ctim.tv_nsec)
            #endif
        }

        /// The identity of the regular file at `path`; nil for anything else.
        public static func of(_ path: String) -> Identity? {
            var st = stat()
            guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
            return Identity(st)
        }

        public var text: String { "\(device):\(inode):\(size):\(seconds).\(nanoseconds):\(changeSeconds).\(changeNanoseconds)" }

        public func isRecent(now: Int64, settle: Int64) -> Bool { now - max(seconds, changeSeconds) < settle }
    }

    public static let shared = FileDigests()
    static let capacity = 4096
    /// Files smaller than this are hashed rather than looked up in the store: reading an entry costs as much.
    public static let persistFrom: Int64 = 1 << 20
    /// Raise when what a key names changes: older entries are then foreign.
    static let version = 1
    /// Seconds a file must have been left alone before its digest persists.
    let settle: Int64

    private let table = Mutex<(values: [Identity: String], order: [Identity])>(([:], []))
    private let backing = Mutex<(any DigestStore)?>(nil)

    public init(settle: Int64 = 2) { self.settle = settle }

    /// Keeps digests in `store` as well, for later processes; nil keeps them in this process only.
    public func persist(in store: (any DigestStore)?) { backing.withLock { $0 = store } }

    /// The SHA-256 (lowercase hex) and size of the regular file at `path`, read 1 MiB at a time through an
    /// open that never blocks (a FIFO is refused); remembered by identity. Nil when it cannot be read.
    public func sha256(ofFile path: String) -> (sha256: String, size: Int)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        let key = Identity(st)
        if let known = value(for: key) { return (known, Int(st.st_size)) }
        var hash = SHA256()
        var size = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            size += n
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
        }
        let digest = hash.finalize()
        // Remembered only when the file did not change while it was read.
        if fstat(fd, &st) == 0, Identity(st) == key { store(digest, for: key) }
        return (digest, size)
    }

    /// A digest over several files (the samples), remembered by all their identities and names at once: one
    /// entry read instead of one file hashed per sample. `compute` runs when the set is not known.
    public func combined(_ files: [(name: String, identity: Identity)], compute: () -> String) -> String {
        let store = backing.withLock { $0 }
        let key = Self.storeKey("files", Self.listing(files))
        if let store, let v = store.digest(forKey: key), Self.isDigest(v) { return v }
        let digest = compute()
        let now = Int64(time(nil))
        if let store, !files.contains(where: { $0.identity.isRecent(now: now, settle: settle) }) {
            store.storeDigest(digest, forKey: key)
        }
        return digest
    }

    func value(for key: Identity) -> String? {
        if let v = table.withLock({ $0.values[key] }) { return v }
        guard key.size >= Self.persistFrom, let store = backing.withLock({ $0 }),
              let v = store.digest(forKey: Self.storeKey("file", key.text)), Self.isDigest(v)
        else { return nil }
        remember(v, for: key)
        return v
    }

    func store(_ digest: String, for key: Identity) {
        remember(digest, for: key)
        if key.size >= Self.persistFrom, !key.isRecent(now: Int64(time(nil)), settle: settle), let store = backing.withLock({ $0 }) {
            store.storeDigest(digest, forKey: Self.storeKey("file", key.text))
        }
    }

    private func remember(_ digest: String, for key: Identity) {
        table.withLock { t in
            if t.values.updateValue(digest, forKey: key) == nil { t.order.append(key) }
            if t.order.count > Self.capacity {
                let drop = t.order.prefix(Self.capacity / 2)
                for k in drop { t.values[k] = nil }
                t.order.removeFirst(drop.count)
            }
        }
    }

    /// The listing's names and identities, hashed: a key stays short however many files it covers.
    static func listing(_ files: [(name: String, identity: Identity)]) -> String {
        var h = SHA256()
        for f in files { h.update(f.name + "\u{0}" + f.identity.text + "\n") }
        return h.finalize()
    }

    static func storeKey(_ kind: String, _ identity: String) -> String { "slipway-digest/v\(version)/sha256/\(kind)/\(identity)" }

    static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
