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
        let staged = try stage(output, source: source, to: path, cancellation: cancellation)
        try commit([staged], cancellation: cancellation)
        return staged.sha256
    }

    /// Writes `output` to a temporary beside `path`, fsynced but not yet renamed (see `commit`).
    static func stage(
        _ output: WireOutput, source: UnsafeRawBufferPointer, to path: String,
        cancellation: CancellationCheck = { false }
    ) throws(ConversionError) -> StagedFile {
        // The SHA-256 is computed on another core while this one writes: both only read the pieces.
        let hash = OutputHash(output, source: source)
        let written: Result<String, ConversionError>
        do throws(ConversionError) {
            let tmp = try stageTemporary(for: path, cancellation: cancellation) { fd throws(ConversionError) in
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
            written = .success(tmp)
        } catch {
            written = .failure(error)
        }
        // Waited for on every path: `source` must outlive the hashing thread's reads.
        let digest = hash.wait()
        return StagedFile(temporary: try written.get(), path: path, sha256: digest)
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
        try commit([try stage(bytes, to: path)])
    }

    /// Writes a new file in a private scratch folder Slipway made and removes (a runner's job, a converter's
    /// driver script): written in full, neither fsynced nor renamed. Nothing reads it after
    /// a crash, so durability would only cost (four fsyncs were a third of `slipway test`'s own time).
    public static func scratch(_ bytes: [UInt8], to path: String) throws(ConversionError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConversionError(.io, "cannot create \(path): \(errnoText())") }
        do throws(ConversionError) {
            try writeAll(fd, bytes, path: path)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        guard close(fd) == 0 else {
            unlink(path)
            throw ConversionError(.io, "cannot close \(path): \(errnoText())")
        }
    }

    /// Writes `bytes` to a temporary beside `path`, fsynced but not yet renamed (see `commit`).
    static func stage(_ bytes: [UInt8], to path: String) throws(ConversionError) -> StagedFile {
        let tmp = try stageTemporary(for: path, cancellation: { false }) { fd throws(ConversionError) in
            try writeAll(fd, bytes, path: path)
        }
        var sha = SHA256()
        sha.update(bytes)
        return StagedFile(temporary: tmp, path: path, sha256: sha.finalize())
    }

    /// The marker in every temporary's name; `StaleTemporaries` removes only names of exactly this form.
    static let temporaryMarker = ".slipway-tmp-"

    /// The temporary's name: hidden, in the destination folder, `.<name>.slipway-tmp-<pid>-<8 hex digits>`.
    /// The writer's PID lets a later run tell a dead writer's leftovers (kill -9) from a live writer's file.
    static func temporaryPath(for path: String) -> String {
        let dir = directory(of: path)
        let name = lastComponent(path)
        return "\(dir)/.\(name)\(temporaryMarker)\(getpid())-\(hex8(UInt32.random(in: 0...UInt32.max)))"
    }

    static func hex8(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 8 - h.count)) + h
    }

    /// Creates a temporary for `path`, lets `body` fill it, fsyncs and closes it; returns its path. A failure
    /// or a cancellation removes it.
    static func stageTemporary(
        for path: String, cancellation: CancellationCheck, _ body: (Int32) throws(ConversionError) -> Void
    ) throws(ConversionError) -> String {
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
        done = true
        return tmp
    }

    /// Renames staged files into place in the given order (data before the report before the artifact, so that
    /// a reader never finds an artifact without its report or its data), then fsyncs their folders. On a
    /// failure or a cancellation before the first rename, every temporary is removed; after a rename fails,
    /// the temporaries not yet renamed are.
    static func commit(_ files: [StagedFile], cancellation: CancellationCheck = { false }) throws(ConversionError) {
        if cancellation() {
            discard(files)
            throw ConversionError(.cancelled, "cancelled")
        }
        for (i, f) in files.enumerated() {
            guard rename(f.temporary, f.path) == 0 else {
                let reason = errnoText()
                discard(Array(files[i...]))
                throw ConversionError(.io, "cannot rename \(f.temporary) to \(f.path): \(reason)")
            }
        }
        // A rename is durable only once the folder's entry is.
        for dir in Set(files.map { directory(of: $0.path) }).sorted() {
            let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 {
                _ = fsync(dfd)
                close(dfd)
            }
        }
    }

    /// Removes staged temporaries that will not be renamed.
    static func discard(_ files: [StagedFile]) {
        for f in files { unlink(f.temporary) }
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

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func lastComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// A file written in full to its temporary and fsynced, waiting for `SafeWriter.commit` to rename it.
struct StagedFile: Sendable {
    var temporary: String
    var path: String
    var sha256: String
}

/// `write(2)`, named apart from `SafeWriter.write`.
func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

/// Path checks on the real disk: what a path resolves to, and whether two paths are one file.
public enum PathSafety {
    /// A small file's bytes (a record beside an artifact), or nil when it is missing, not regular, `limit` bytes or
    /// more, or cannot be read whole.
    public static func contents(_ path: String, limit: Int) -> [UInt8]? {
        guard let size = fileSize(path), size < limit, let bytes = try? readFile(path, limit: size), bytes.count == size else { return nil }
        return bytes
    }

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

    /// Where a path that may not exist yet leads: normalised as text, then its deepest existing ancestor
    /// resolved through its links with the missing components appended. Nil for a dangling link on the way.
    public static func resolvedDestination(_ path: String) -> String? {
        Containment.resolvedExistingPrefix(Containment.normalize(path), resolve: Containment.disk)
    }

    /// Creates the folder and its missing parents; returns the folders it created, outermost first.
    @discardableResult
    public static func makeDirectories(_ path: String) throws(ConversionError) -> [String] {
        if path.isEmpty || path == "." || path == "/" { return [] }
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw ConversionError(.io, "\(path) exists and is not a folder") }
            return []
        }
        let made = try makeDirectories(SafeWriter.directory(of: path))
        guard mkdir(path, 0o755) == 0 else {
            if errno == EEXIST { return made }
            throw ConversionError(.io, "cannot create the folder \(path): \(SafeWriter.errnoText())")
        }
        return made + [path]
    }

    /// Removes folders `makeDirectories` created, innermost first, while they are empty (a failed run leaves
    /// no folder behind).
    public static func removeEmptyDirectories(_ made: [String]) {
        for d in made.reversed() { rmdir(d) }
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
