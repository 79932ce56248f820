#if canImport(Glibc)
import Hashing
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import ProtobufWire

/// Asked between steps and while writing; true stops the conversion, which then removes its temporaries.
public typealias CancellationCheck = @Sendable () -> Bool

/// The only way a conversion touches the disk: a temporary file in the destination folder (so the final
/// rename never crosses file systems), written in full, fsynced, then renamed over the destination, and the
/// folder fsynced. A reader sees the old file or the new one, never a partial one; a failure or a
/// cancellation removes the temporary.
public enum SafeWriter {
    /// Writes `output` (pieces of `source` and new bytes) to `path` atomically; returns the SHA-256 of what
    /// was written.
    @discardableResult
    public static func write(
        _ output: WireOutput, source: UnsafeRawBufferPointer, to path: String,
        cancellation: CancellationCheck = { false }
    ) throws(ConversionError) -> String {
        // The SHA-256 is computed on another core while this one writes: both only read the pieces.
        let hash = OutputHash(output, source: source)
        let written: Result<Void, ConversionError>
        do throws(ConversionError) {
            try withTemporary(for: path, cancellation: cancellation) { fd throws(ConversionError) in
                for piece in output.pieces {
                    if cancellation() { throw ConversionError(.cancelled, "cancelled") }
                    switch piece {
                    case .source(let r):
                        guard r.lowerBound >= 0, r.upperBound <= source.count else {
                            throw ConversionError(.io, "internal error: a copied range lies outside the source")
                        }
                        // In slices of 8 MiB so that cancellation is noticed within a large tensor too.
                        var lo = r.lowerBound
                        while lo < r.upperBound {
                            if cancellation() { throw ConversionError(.cancelled, "cancelled") }
                            let hi = min(lo + (8 << 20), r.upperBound)
                            try writeAll(fd, UnsafeRawBufferPointer(rebasing: source[lo..<hi]), path: path)
                            lo = hi
                        }
                    case .bytes(let b):
                        try writeAll(fd, b, path: path)
                    }
                }
            }
            written = .success(())
        } catch {
            written = .failure(error)
        }
        // Waited for on every path: `source` must outlive the hashing thread's reads.
        let digest = hash.wait()
        try written.get()
        return digest
    }

    /// The SHA-256 of `output`'s pieces, on a global queue from creation until `wait()`.
    private final class OutputHash: @unchecked Sendable {  // `digest` is written before `done` is left, read after
        private let done = DispatchGroup()
        private var digest = ""

        init(_ output: WireOutput, source: UnsafeRawBufferPointer) {
            done.enter()
            let box = UncheckedSource(source)
            DispatchQueue.global(qos: .userInitiated).async { [self] in
                var sha = SHA256()
                for piece in output.pieces {
                    switch piece {
                    case .source(let r):
                        // Out-of-range pieces are refused by the writer; nothing is read here for them.
                        guard r.lowerBound >= 0, r.upperBound <= box.bytes.count else { continue }
                        sha.update(UnsafeRawBufferPointer(rebasing: box.bytes[r]))
                    case .bytes(let b):
                        sha.update(b)
                    }
                }
                digest = sha.finalize()
                done.leave()
            }
        }

        func wait() -> String {
            done.wait()
            return digest
        }
    }

    private struct UncheckedSource: @unchecked Sendable {  // read-only, kept alive by `write` until `wait()`
        let bytes: UnsafeRawBufferPointer
        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    }

    /// Writes `bytes` to `path` atomically (reports).
    public static func write(_ bytes: [UInt8], to path: String) throws(ConversionError) {
        try withTemporary(for: path, cancellation: { false }) { fd throws(ConversionError) in
            try writeAll(fd, bytes, path: path)
        }
    }

    /// The temporary's name: hidden, in the destination folder, unique per process and attempt.
    static func temporaryPath(for path: String) -> String {
        let dir = directory(of: path)
        let name = lastComponent(path)
        return "\(dir)/.\(name).slipway-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func withTemporary(
        for path: String, cancellation: CancellationCheck, _ body: (Int32) throws(ConversionError) -> Void
    ) throws(ConversionError) {
        let tmp = temporaryPath(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConversionError(.io, "cannot create \(tmp): \(errnoText())") }
        var done = false
        defer {
            if !done { unlink(tmp) }
        }
        do {
            try body(fd)
            guard fsync(fd) == 0 else { throw ConversionError(.io, "cannot flush \(tmp) to disk: \(errnoText())") }
        } catch {
            close(fd)
            throw (error as? ConversionError) ?? ConversionError(.io, "\(error)")
        }
        guard close(fd) == 0 else { throw ConversionError(.io, "cannot close \(tmp): \(errnoText())") }
        if cancellation() { throw ConversionError(.cancelled, "cancelled") }
        guard rename(tmp, path) == 0 else { throw ConversionError(.io, "cannot rename \(tmp) to \(path): \(errnoText())") }
        done = true
        // The rename is durable only once the folder's entry is.
        let dfd = open(directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(ConversionError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = posixWrite(fd, base + done, bytes.count - done)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ConversionError(.io, "cannot write \(path): \(errnoText())") }
            done += n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(ConversionError) {
        let result = bytes.withUnsafeBytes { p -> Result<Void, ConversionError> in
            do throws(ConversionError) { try writeAll(fd, p, path: path); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func lastComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// `write(2)`, named apart from `SafeWriter.write`.
func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

/// Path checks on the real disk: what a path resolves to, and whether two paths are one file.
public enum PathSafety {
    /// The canonical path (symbolic links resolved), or nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// True when both exist and are the same file (one inode: the same path, a symbolic link, a hard link).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// The destination resolved for the containment check: the deepest existing ancestor resolved through its
    /// links, with the components that do not exist yet appended (they are created as plain folders).
    public static func resolvedDestination(_ path: String) -> String? {
        var existing = path
        var rest: [String] = []
        while realPath(existing) == nil {
            rest.insert(SafeWriter.lastComponent(existing), at: 0)
            let parent = SafeWriter.directory(of: existing)
            if parent == existing { return nil }
            existing = parent
        }
        guard let base = realPath(existing) else { return nil }
        return ([base] + rest).joined(separator: "/").replacingSlashes()
    }

    /// True when `path` (resolved) lies inside `folder` (resolved).
    public static func isInside(_ path: String, folder: String) -> Bool {
        guard let f = realPath(folder), let p = resolvedDestination(path) else { return false }
        let prefix = f.hasSuffix("/") ? f : f + "/"
        return p.hasPrefix(prefix)
    }

    /// Creates the folder and its missing parents.
    public static func makeDirectories(_ path: String) throws(ConversionError) {
        if path.isEmpty || path == "." || path == "/" { return }
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw ConversionError(.io, "\(path) exists and is not a folder") }
            return
        }
        try makeDirectories(SafeWriter.directory(of: path))
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw ConversionError(.io, "cannot create the folder \(path): \(SafeWriter.errnoText())")
        }
    }

    public static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(st.st_size)
    }
}

extension String {
    func replacingSlashes() -> String {
        var out = ""
        var lastSlash = false
        for c in self {
            if c == "/" { if lastSlash { continue }; lastSlash = true } else { lastSlash = false }
            out.append(c)
        }
        return out
    }
}

/// The SHA-256 of a file, read in slices (never whole).
func sha256(ofFile path: String) throws(ConversionError) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ConversionError(.io, "cannot open \(path): \(SafeWriter.errnoText())") }
    defer { close(fd) }
    var sha = SHA256()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        guard n >= 0 else { throw ConversionError(.io, "cannot read \(path): \(SafeWriter.errnoText())") }
        if n == 0 { break }
        buffer.withUnsafeBytes { sha.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    return sha.finalize()
}

/// A small file's bytes (reports), at most `limit`.
func readFile(_ path: String, limit: Int) throws(ConversionError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ConversionError(.io, "cannot open \(path): \(SafeWriter.errnoText())") }
    defer { close(fd) }
    var out = [UInt8](repeating: 0, count: max(limit, 0))
    var filled = 0
    while filled < out.count {
        let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { break }
        filled += n
    }
    out.removeSubrange(filled...)
    return out
}
