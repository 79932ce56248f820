#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening a file that must be a regular file (a model, a manifest, a weight file) without ever blocking.
///
/// A plain `open(O_RDONLY)` of a FIFO waits for a writer, and some devices block or never end: a model path
/// that names one would hang `inspect`, `estimate` or a language-server thread forever. So the file is opened
/// with O_NONBLOCK, its type is taken from the descriptor (no race with a rename between stat and open),
/// anything but a regular file is refused, and O_NONBLOCK is cleared for the reads that follow.
public enum RegularFile {
    public struct Opened: Sendable {
        public let fd: Int32
        public let size: Int
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// `open` or `fstat` failed with this errno.
        case system(Int32)
        case directory
        /// A FIFO, socket or device: what it is, in words.
        case special(String)

        public var description: String {
            switch self {
            case .system(let e): return String(cString: strerror(e))
            case .directory: return "is a directory, not a file"
            case .special(let kind): return "is \(kind), not a regular file"
            }
        }
    }

    /// The descriptor (O_CLOEXEC, blocking again) and size of the regular file at `path`; the caller closes it.
    public static func open(_ path: String) -> Result<Opened, Failure> {
        let fd = openNonBlocking(path)
        guard fd >= 0 else { return .failure(.system(errno)) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            return .failure(.system(e))
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            return .failure(kind == S_IFDIR ? .directory : .special(describe(kind)))
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return .success(Opened(fd: fd, size: Int(st.st_size)))
    }

    static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }
}

/// Outside the enum, whose own `open` would shadow the system call.
private func openNonBlocking(_ path: String) -> Int32 { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
