#if canImport(Glibc)
import Glibc
#endif
import Hashing
import ModelFormats

/// The deploy's only contact with the disk. Files are written whole into a staging place beside their
/// destination, fsynced, then renamed; folders are fsynced after a rename so the new entry survives a crash.
/// Every file Slipway writes gets one fixed modification time (SOURCE_DATE_EPOCH, else 0) so that two
/// deploys of the same inputs produce identical trees.
enum DeployFiles {
    static let chunk = 4 << 20

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// A file's SHA-256 and size, read in slices (never whole).
    static func digest(of path: String) throws(DeployError) -> (sha256: String, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DeployError(.io, "cannot open \(path): \(errnoText())") }
        defer { close(fd) }
        var sha = SHA256()
        var size = 0
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw DeployError(.io, "cannot read \(path): \(errnoText())") }
            if n == 0 { break }
            size += n
            buffer.withUnsafeBytes { sha.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return (sha.finalize(), size)
    }

    static func digest(of bytes: [UInt8]) -> String {
        var sha = SHA256()
        sha.update(bytes)
        return sha.finalize()
    }

    /// Copies `source` to the new file `destination` (which must not exist), hashing what it copies in the
    /// same pass, and fsyncs it. Returns the digest of the bytes written.
    static func copy(_ source: String, to destination: String, cancellation: @Sendable () -> Bool)
        throws(DeployError) -> (sha256: String, size: Int)
    {
        let src = open(source, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw DeployError(.io, "cannot open \(source): \(errnoText())") }
        defer { close(src) }
        let dst = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw DeployError(.io, "cannot create \(destination): \(errnoText())") }
        defer { close(dst) }
        // The kernel reads ahead and drops pages behind: the copy streams instead of filling the cache.
        _ = posix_fadvise(src, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        var sha = SHA256()
        var size = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            if cancellation() { throw DeployError(.cancelled, "cancelled") }
            let n = read(src, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw DeployError(.io, "cannot read \(source): \(errnoText())") }
            if n == 0 { break }
            let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            sha.update(slice)
            try writeAll(dst, slice, path: destination)
            size += n
        }
        guard fsync(dst) == 0 else { throw DeployError(.io, "cannot flush \(destination): \(errnoText())") }
        setFixedTime(fd: dst)
        return (sha.finalize(), size)
    }

    /// Copies `source` to the new file `destination` in the kernel (`sendfile`: no bytes through user
    /// space), falling back to `copy` when the kernel cannot. The
    /// caller has the source's digest for `identity`; the source must still have that identity afterwards,
    /// so the copied bytes are the digested ones.
    static func kernelCopy(_ source: String, to destination: String, identity: FileDigests.Identity,
                           cancellation: @Sendable () -> Bool) throws(DeployError)
    {
        let src = open(source, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw DeployError(.io, "cannot open \(source): \(errnoText())") }
        defer { close(src) }
        let dst = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw DeployError(.io, "cannot create \(destination): \(errnoText())") }
        var closed = false
        defer { if !closed { close(dst) } }
        var left = Int(identity.size)
        while left > 0 {
            if cancellation() { throw DeployError(.cancelled, "cancelled") }
            let n = sendfile(dst, src, nil, min(left, 256 << 20))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                // EXDEV, ENOSYS, EINVAL (file systems that cannot), or a source that shrank: start over portably.
                guard n < 0 || left > 0, ftruncate(dst, 0) == 0, lseek(src, 0, SEEK_SET) == 0 else {
                    throw DeployError(.io, "cannot copy \(source): \(errnoText())")
                }
                close(dst)
                closed = true
                unlink(destination)
                let got = try copy(source, to: destination, cancellation: cancellation)
                guard got.size == Int(identity.size), FileDigests.Identity.of(source) == identity else {
                    throw DeployError(.refused, "\(source) changed while it was being deployed; nothing was published for it")
                }
                return
            }
            left -= n
        }
        guard FileDigests.Identity.of(source) == identity else {
            throw DeployError(.refused, "\(source) changed while it was being deployed; nothing was published for it")
        }
        guard fsync(dst) == 0 else { throw DeployError(.io, "cannot flush \(destination): \(errnoText())") }
        setFixedTime(fd: dst)
    }

    /// Writes the new file `path` (which must not exist) with `bytes`, fsynced.
    static func create(_ path: String, bytes: [UInt8], durable: Bool = true) throws(DeployError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DeployError(.io, "cannot create \(path): \(errnoText())") }
        defer { close(fd) }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try writeAll(fd, UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]), path: path)
        guard !durable || fsync(fd) == 0 else { throw DeployError(.io, "cannot flush \(path): \(errnoText())") }
        setFixedTime(fd: fd)
    }

    /// Replaces `path` with `bytes` atomically: a temporary beside it, fsynced, renamed over it. `durable:
    /// false` skips the fsyncs, for caches whose loss costs only a recomputation (fsync on a busy disk can
    /// take seconds).
    static func replace(_ path: String, bytes: [UInt8], durable: Bool = true) throws(DeployError) {
        let tmp = temporaryName(beside: path)
        try create(tmp, bytes: bytes, durable: durable)
        guard rename(tmp, path) == 0 else {
            let e = errnoText()
            unlink(tmp)
            throw DeployError(.io, "cannot rename \(tmp) to \(path): \(e)")
        }
        if durable { fsyncDirectory(directory(of: path)) }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(DeployError) {
        var off = 0
        while off < bytes.count {
            let n = write(fd, bytes.baseAddress.map { $0 + off }, bytes.count - off)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw DeployError(.io, "cannot write \(path): \(errnoText())") }
            off += n
        }
    }

    /// `SOURCE_DATE_EPOCH` (the reproducible-builds convention) when set to a number, else 0.
    static var fixedTime: Int {
        guard let p = getenv("SOURCE_DATE_EPOCH"), let v = Int(String(cString: p)), v >= 0 else { return 0 }
        return v
    }

    static func setFixedTime(fd: Int32) {
        var times = [timespec(tv_sec: fixedTime, tv_nsec: 0), timespec(tv_sec: fixedTime, tv_nsec: 0)]
        _ = futimens(fd, &times)
    }

    static func setFixedTime(path: String) {
        var times = [timespec(tv_sec: fixedTime, tv_nsec: 0), timespec(tv_sec: fixedTime, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// A hidden staging name in the destination's folder: `.<name>.slipway-tmp-<pid>-<hex>`, the form the
    /// converter's stale-temporary sweep recognises.
    static func temporaryName(beside path: String) -> String {
        let r = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(directory(of: path))/.\(lastComponent(path)).slipway-tmp-\(getpid())-\(String(repeating: "0", count: max(0, 8 - r.count)))\(r)"
    }

    /// A new, empty staging folder beside `path`.
    static func makeStagingFolder(beside path: String) throws(DeployError) -> String {
        let tmp = temporaryName(beside: path)
        guard mkdir(tmp, 0o755) == 0 else { throw DeployError(.io, "cannot create \(tmp): \(errnoText())") }
        return tmp
    }

    /// Creates the folder and its missing parents; returns those it created, outermost first.
    @discardableResult
    static func makeFolders(_ path: String) throws(DeployError) -> [String] {
        if path.isEmpty || path == "." || path == "/" { return [] }
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw DeployError(.io, "\(path) exists and is not a folder") }
            return []
        }
        let made = try makeFolders(directory(of: path))
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw DeployError(.io, "cannot create the folder \(path): \(errnoText())")
        }
        return made + [path]
    }

    /// Removes a staging folder this run made (plain files inside, one level).
    static func removeStaging(_ folder: String) {
        for name in entries(of: folder) { unlink(folder + "/" + name) }
        rmdir(folder)
    }

    static func removeEmptyFolders(_ made: [String]) {
        for d in made.reversed() { rmdir(d) }
    }

    /// The names in a folder, sorted, without `.` and `..`; empty when it cannot be read.
    static func entries(of folder: String) -> [String] {
        guard let d = opendir(folder) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = DirectoryEntry.name(e)
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func isFolder(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// The size of a regular file (links followed), nil otherwise.
    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    /// A small file's bytes, at most `limit`; nil when it is missing, larger, or unreadable.
    static func readSmall(_ path: String, limit: Int = 64 << 20) -> [UInt8]? {
        guard let size = fileSize(path), size <= limit else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + filled }, size - filled) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return filled == size ? out : nil
    }

    static func directory(of path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return i == path.startIndex ? "/" : String(path[..<i])
    }

    static func lastComponent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: i)...])
    }

    static func join(_ base: String, _ rel: String) -> String {
        if rel.hasPrefix("/") || base.isEmpty || base == "." { return rel }
        return base.hasSuffix("/") ? base + rel : base + "/" + rel
    }
}
