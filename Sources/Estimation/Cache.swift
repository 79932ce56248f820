#if canImport(Glibc)
import Hashing
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON
import ModelFormats
import Synchronization

/// Where estimate results are kept between runs. The estimator depends on this protocol, never on the disk:
/// the CLI passes `DiskEstimateCache`, the language server a `MemoryEstimateCache`, tests either.
///
/// The cache is advisory: a missing, corrupt or foreign entry is recomputed, never trusted and never fatal.
public protocol EstimateCache: Sendable {
    /// A string that changes whenever one of `paths` changes; nil when they cannot be identified (a model
    /// read from an editor buffer or an in-memory tree): then nothing is looked up or stored.
    func identity(of paths: [String]) -> String?
    /// The value stored under exactly `key`, or nil.
    func load(key: String) -> JSONValue?
    func store(key: String, value: JSONValue)
}

/// A file's identity for cache keys: size, modification time (ns), inode and device from `stat`, plus the
/// SHA-256 of its first and last MiB. The stat fields catch ordinary edits at no cost; the content sample
/// catches a rewrite that keeps size and mtime (`cp -p`, coarse file-system clocks) wherever it touches the
/// header or the tail, which ONNX, TFLite, safetensors and GGUF rewrites always do (their headers and indexes
/// record offsets). A full SHA-256 was measured too costly for the warm path: hashing 200 MB takes longer
/// than reading the cached result.
public enum FileIdentity {
    public static let sampleBytes = 1 << 20

    public static func of(path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(st.st_size)
        var digest = SHA256()
        // The samples are read and hashed a chunk at a time through one small buffer: two fresh MiB-sized arrays
        // cost more (their pages faulted in and zeroed) than hashing them on the warm path of `check`.
        var buffer = [UInt8](repeating: 0, count: min(chunkBytes, sampleBytes))
        guard hash(fd, 0..<min(sampleBytes, size), into: &digest, buffer: &buffer) else { return nil }
        if size > sampleBytes {
            let start = max(sampleBytes, size - sampleBytes)
            guard hash(fd, start..<size, into: &digest, buffer: &buffer) else { return nil }
        }
        #if canImport(Darwin)
            let mtime = "\(st.st_mtimespec.tv_sec).\(st.st_mtimespec.tv_nsec)"
        #else
            let mtime = "\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        #endif
        return "size=\(size);mtime=\(mtime);inode=\(st.st_ino);dev=\(st.st_dev);sample=\(digest.hexDigest())"
    }

    static let chunkBytes = 64 << 10

    /// Feeds the bytes of `range` to `digest`, read through `buffer`; false when the file ends first.
    static func hash(_ fd: Int32, _ range: Range<Int>, into digest: inout SHA256, buffer: inout [UInt8]) -> Bool {
        var at = range.lowerBound
        while at < range.upperBound {
            let n = min(buffer.count, range.upperBound - at)
            var done = 0
            while done < n {
                let r = buffer.withUnsafeMutableBytes { b in
                    pread(fd, b.baseAddress.map { $0 + done }, n - done, off_t(at + done))
                }
                if r < 0, errno == EINTR { continue }
                if r <= 0 { return false }
                done += r
            }
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            at += n
        }
        return true
    }

    static func readFully(_ fd: Int32, into buffer: inout [UInt8], at offset: Int) -> Bool {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeMutableBytes { b in
                pread(fd, b.baseAddress.map { $0 + done }, b.count - done, off_t(offset + done))
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}

/// Results as JSON files, one per key, each holding its full key so that a colliding or foreign file is
/// ignored. Written to a temporary file and renamed, so a reader never sees half an entry and concurrent
/// writers (pre-commit runs files in parallel) only race to the same content. Bounded: beyond `maxEntries`
/// the least recently used entries are removed.
///
/// The folder may be shared (`$XDG_CACHE_HOME/slipway`, a CI cache): the cache keeps to a namespace of its
/// own and never deletes anything else. Entries live in the subfolder `estimates/` and are named
/// `estimate-<64 hex>.json`; eviction counts and removes only files of that name whose first bytes are this
/// cache's header, and temporaries named `.estimate-tmp-*` that a crashed writer left.
public struct DiskEstimateCache: EstimateCache {
    public let directory: String
    public let maxEntries: Int
    /// Entries larger than this are not read (a result is a few KB per tensor).
    public static let maxEntryBytes = 64 << 20
    static let format = "slipway-estimate-cache"
    /// Raise when the entry layout or the engine's figures change: older entries are then foreign.
    static let version = 1

    /// The subfolder of `directory` holding this cache's entries: `estimates`, or `digests` for the file
    /// digests `check` remembers between runs (the same entry format, evicted apart).
    public let subfolder: String

    public init(directory: String, maxEntries: Int = 200, subfolder: String = "estimates") {
        self.directory = directory
        self.maxEntries = max(1, maxEntries)
        self.subfolder = subfolder
    }

    /// `$SLIPWAY_CACHE_DIR`, else `$XDG_CACHE_HOME/slipway`, else `$HOME/.cache/slipway`; nil without any.
    public static func defaultDirectory(environment: [String: String]) -> String? {
        if let d = environment["SLIPWAY_CACHE_DIR"], !d.isEmpty { return d }
        if let x = environment["XDG_CACHE_HOME"], x.hasPrefix("/") { return x + "/slipway" }
        if let h = environment["HOME"], !h.isEmpty { return h + "/.cache/slipway" }
        return nil
    }

    public func identity(of paths: [String]) -> String? {
        var parts: [String] = []
        for p in paths {
            guard let id = FileIdentity.of(path: p) else { return nil }
            parts.append(p + "|" + id)
        }
        return parts.joined(separator: "\n")
    }

    /// The subfolder holding the entries.
    public var entriesDirectory: String { directory + "/" + subfolder }
    static let entryPrefix = "estimate-"
    static let tempPrefix = ".estimate-tmp-"
    /// How every entry begins (the writer keeps key order): the header eviction checks before deleting.
    static let header = Array(#"{"format":"\#(format)","#.utf8)

    func entryPath(_ key: String) -> String { entriesDirectory + "/" + Self.entryPrefix + SHA256.hex(key) + ".json" }

    /// `estimate-` + 64 lowercase hex digits + `.json`.
    static func isEntryName(_ name: String) -> Bool {
        let b = Array(name.utf8)
        guard b.count == entryPrefix.utf8.count + 64 + 5, name.hasPrefix(entryPrefix), name.hasSuffix(".json") else { return false }
        return b[entryPrefix.utf8.count..<entryPrefix.utf8.count + 64].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    public func load(key: String) -> JSONValue? {
        let path = entryPath(key)
        guard let bytes = Self.readFile(path, limit: Self.maxEntryBytes),
            let doc = try? JSONValue.parse(bytes: bytes),
            doc["format"]?.stringValue == Self.format, doc["version"]?.intValue == Self.version,
            doc["key"]?.stringValue == key, let result = doc["result"], result.objectValue != nil
        else { return nil }
        // Mark as recently used, for eviction.
        _ = utimes(path, nil)
        return result
    }

    public func store(key: String, value: JSONValue) {
        guard Self.makeDirectories(entriesDirectory) else { return }
        let doc: JSONValue = ["format": .string(Self.format), "version": .int(Self.version), "key": .string(key),
                              "result": value]
        let final = entryPath(key)
        let temp = entriesDirectory + "/" + Self.tempPrefix + "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard Self.writeFile(temp, Array(doc.serialized().utf8)) else { _ = unlink(temp); return }
        if rename(temp, final) != 0 { _ = unlink(temp); return }
        evict()
    }

    /// Removes the least recently used entries beyond `maxEntries`, and temporaries a crashed writer left
    /// (older than an hour). Only this cache's own files: by name, then by header.
    func evict() {
        let folder = entriesDirectory
        guard let dir = opendir(folder) else { return }
        var entries: [(name: String, mtime: Int)] = []
        let now = Int(time(nil))
        while let e = readdir(dir) {
            let name = DirectoryEntry.name(e)
            let isEntry = Self.isEntryName(name), isTemp = name.hasPrefix(Self.tempPrefix)
            guard isEntry || isTemp else { continue }
            var st = stat()
            guard lstat(folder + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            #if canImport(Darwin)
                let mtime = Int(st.st_mtimespec.tv_sec)
            #else
                let mtime = Int(st.st_mtim.tv_sec)
            #endif
            if isTemp {
                if now - mtime > 3600 { _ = unlink(folder + "/" + name) }
            } else if Self.readHead(folder + "/" + name, count: Self.header.count) == Self.header {
                // A file of our name that does not start with our header is someone else's: neither counted nor removed.
                entries.append((name, mtime))
            }
        }
        closedir(dir)
        guard entries.count > maxEntries else { return }
        entries.sort { ($0.mtime, $0.name) < ($1.mtime, $1.name) }
        for e in entries.prefix(entries.count - maxEntries) { _ = unlink(folder + "/" + e.name) }
    }

    static func readHead(_ path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        guard FileIdentity.readFully(fd, into: &out, at: 0) else { return nil }
        return out
    }

    static func readFile(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) <= limit else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        guard FileIdentity.readFully(fd, into: &out, at: 0) else { return nil }
        return out
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + done }, $0.count - done) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) -> Bool {
        var st = stat()
        if stat(path, &st) == 0 { return (st.st_mode & S_IFMT) == S_IFDIR }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return false }
        }
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

/// The disk cache keeps file digests as it keeps estimates: the same entries (`{"sha256": …}`), in a
/// subfolder of their own.
extension DiskEstimateCache: DigestStore {
    public func digest(forKey key: String) -> String? { load(key: key)?["sha256"]?.stringValue }
    public func storeDigest(_ digest: String, forKey key: String) { store(key: key, value: ["sha256": .string(digest)]) }
}

/// Results kept in the process (the language server): identities come from the disk as for
/// `DiskEstimateCache`, entries from a bounded table (the oldest stored is dropped first).
public final class MemoryEstimateCache: EstimateCache {
    private let entries = Mutex<(values: [String: JSONValue], order: [String])>(([:], []))
    public let maxEntries: Int

    public init(maxEntries: Int = 64) { self.maxEntries = max(1, maxEntries) }

    public func identity(of paths: [String]) -> String? {
        DiskEstimateCache(directory: "").identity(of: paths)
    }

    public func load(key: String) -> JSONValue? { entries.withLock { $0.values[key] } }

    public func store(key: String, value: JSONValue) {
        entries.withLock { e in
            if e.values.updateValue(value, forKey: key) == nil { e.order.append(key) }
            while e.order.count > maxEntries {
                let old = e.order.removeFirst()
                e.values[old] = nil
            }
        }
    }

    public var count: Int { entries.withLock { $0.values.count } }
}
