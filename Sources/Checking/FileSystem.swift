#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Conversion
import ModelFormats

public enum FileKind: Sendable, Equatable {
    case file(size: Int)
    case directory
    case other
    case missing
}

/// What the checks may ask of the file system. The engine depends on this protocol, never on the disk:
/// the CLI passes `LocalFileSystem`, the language server one that sees unsaved editor buffers, tests an
/// in-memory tree.
public protocol FileSystem: Sendable {
    func kind(of path: String) -> FileKind
    /// Names in a folder (not recursive), for "did you mean" on a missing file.
    func list(_ directory: String) -> [String]
    /// The whole file, refusing files larger than `limit` bytes.
    func read(_ path: String, limit: Int) throws(FileError) -> [UInt8]
    /// The model at `path`, for the target checks. The default reads the bytes through `read`; the disk maps
    /// the file instead, so a multi-GB model costs only the pages its structure touches.
    func readModel(_ path: String) throws(ModelError) -> Model
}

extension FileSystem {
    /// Models larger than this are not copied into memory by the default `readModel`.
    public static var modelCopyLimit: Int { 1 << 30 }

    public func readModel(_ path: String) throws(ModelError) -> Model {
        let bytes: [UInt8]
        do {
            bytes = try read(path, limit: Self.modelCopyLimit)
        } catch {
            throw ModelError(.io, file: path, error.description)
        }
        return try ModelReader.read(bytes: bytes, path: path)
    }
}

public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case notFound, isDirectory, tooLarge(size: Int, limit: Int), io(String)
    }
    public var path: String
    public var reason: Reason
    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }
    public var description: String {
        switch reason {
        case .notFound: return "\(path): no such file"
        case .isDirectory: return "\(path): is a directory, not a file"
        case .tooLarge(let size, let limit): return "\(path): \(size) bytes, larger than the \(limit)-byte limit"
        case .io(let m): return "\(path): \(m)"
        }
    }
}

/// The real disk, through POSIX calls (bounded reads, no Foundation start-up cost).
public struct LocalFileSystem: FileSystem {
    public init() {}

    public func readModel(_ path: String) throws(ModelError) -> Model {
        try ModelReader.read(path: path)
    }

    public func kind(of path: String) -> FileKind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file(size: Int(st.st_size))
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    public func list(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir), names.count < 10_000 {
            let name = DirectoryEntry.name(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        // Never a blocking open: a FIFO or a device must not hang the check; they are refused.
        let opened: RegularFile.Opened
        switch RegularFile.open(path) {
        case .success(let o): opened = o
        case .failure(.system(let e)): throw FileError(path: path, reason: e == ENOENT ? .notFound : .io(String(cString: strerror(e))))
        case .failure(.directory): throw FileError(path: path, reason: .isDirectory)
        case .failure(let f): throw FileError(path: path, reason: .io(f.description))
        }
        let fd = opened.fd
        defer { close(fd) }
        let size = opened.size
        if size > limit { throw FileError(path: path, reason: .tooLarge(size: size, limit: limit)) }
        // Read to EOF in chunks, never past the limit (the size may change under us, or be 0 for pipes).
        var out = [UInt8](repeating: 0, count: max(size, 0))
        var filled = 0
        while true {
            if filled == out.count {
                if out.count > limit { throw FileError(path: path, reason: .tooLarge(size: out.count, limit: limit)) }
                out.append(contentsOf: repeatElement(0, count: max(4096, min(out.count, limit + 1 - out.count))))
            }
            let n = out.withUnsafeMutableBytes { buf in
                Glibc.read(fd, buf.baseAddress.map { $0 + filled }, buf.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, reason: .io(String(cString: strerror(errno))))
            }
            if n == 0 { break }
            filled += n
        }
        out.removeSubrange(filled...)
        if filled > limit { throw FileError(path: path, reason: .tooLarge(size: filled, limit: limit)) }
        return out
    }
}

/// Path arithmetic on strings, POSIX style. Pure, so the checks stay testable without a disk.
public enum PathUtil {
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func lastComponent(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return String(p) }
        return String(p[p.index(after: slash)...])
    }

    public static func join(_ base: String, _ rel: String) -> String {
        if rel.hasPrefix("/") { return rel }
        if base.isEmpty || base == "." { return rel }
        return base.hasSuffix("/") ? base + rel : base + "/" + rel
    }

    /// Removes `.` and resolves `..` lexically; a leading `..` that climbs above the start is kept. The same
    /// normalisation convert writes by (`Containment`), so check and convert see one path.
    public static func normalize(_ path: String) -> String { Containment.normalize(path) }

    /// True when a relative path, resolved lexically, climbs out of its base folder.
    public static func escapes(_ rel: String) -> Bool {
        rel.hasPrefix("/") || normalize(rel).hasPrefix("..")
    }
}
