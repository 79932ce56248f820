#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker's side of the pipe: one reply per request, in order, until the supervisor closes stdin.
public enum WorkerLoop {
    /// Serves requests from stdin. The frames go to a duplicate of stdout, and fd 1 is pointed at stderr, so
    /// nothing the engine might print can corrupt a reply.
    public static func serveStdio(_ handle: (WorkerFrame) -> WorkerFrame) -> Int32 {
        let out = dup(STDOUT_FILENO)
        guard out >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else { return 2 }
        while let request = WorkerFrame.read({ readExactly(STDIN_FILENO, &$0) }) {
            guard writeAll(out, handle(request).encoded()) else { return 1 }
        }
        return 0
    }

    static func readExactly(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            filled += n
        }
        return true
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// This program's own executable, to start workers from (Linux: /proc/self/exe).
    public static func currentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
