#if canImport(Glibc)
import Glibc
#endif
import Checking
import Dispatch
import Isolation
import JSON
import Synchronization

/// Runs the server over stdin/stdout with `Content-Length` framing.
///
/// stdout belongs to JSON-RPC: at start the real stdout is duplicated for the protocol and fd 1 is pointed
/// at stderr, so a stray print anywhere can never corrupt the stream.
public enum StdioTransport {
    public struct Options: Sendable {
        public var logFile: String?
        public var traceFile: String?
        /// Worker processes for the model work (nil: in this process).
        public var isolation: WorkerPool?
        public init(logFile: String? = nil, traceFile: String? = nil, isolation: WorkerPool? = nil) {
            self.logFile = logFile
            self.traceFile = traceFile
            self.isolation = isolation
        }
    }

    /// Serves until `exit` or the end of stdin; returns the process exit code.
    public static func serve(_ options: Options) async -> Int32 {
        let protocolFD = dup(STDOUT_FILENO)
        guard protocolFD >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else {
            writeAll(STDERR_FILENO, Array("slipway serve: cannot set up stdout for the protocol\n".utf8))
            return 2
        }
        let sink = Sink(protocolFD: protocolFD, logPath: options.logFile, tracePath: options.traceFile)
        let exitCode = Mutex<Int32?>(nil)
        let server = Server(
            checker: ManifestChecker(
                fileSystem: ModelCachingFileSystem(clearance: options.isolation.map(ModelClearance.init(pool:))),
                isolation: options.isolation),
            send: { message in sink.send(message) },
            log: { line in sink.log(line) },
            onExit: { code in
                exitCode.withLock { $0 = code }
                options.isolation?.shutdown()
                sink.close()
                exit(code)
            })
        sink.log("slipway \(ServerInfo.version) serving LSP on stdio")

        let (frames, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        // A plain thread does the blocking reads; the frames go to the server in order through the stream.
        DispatchQueue(label: "slipway.stdin").async { readLoop(sink: sink, continuation: continuation) }
        for await frame in frames {
            sink.trace("<- ", frame)
            await server.receive(frame)
        }
        // stdin closed without `exit`: leave cleanly, 0 only if the client had asked for shutdown.
        let code = await server.exitCodeAtEndOfInput()
        sink.log("stdin closed; exiting with \(code)")
        sink.close()
        return exitCode.withLock { $0 } ?? code
    }

    static func readLoop(sink: Sink, continuation: AsyncStream<[UInt8]>.Continuation) {
        var reader = FrameReader()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            reader.append(buffer[0..<n])
            while let event = reader.next() {
                switch event {
                case .frame(let body): continuation.yield(body)
                case .skipped(let why): sink.log("bad frame skipped: \(why)")
                }
            }
        }
        continuation.finish()
    }
}

/// Where output goes: protocol frames to the saved stdout, logs to stderr and the log file, and both
/// directions to the trace file. Writes are serialised so frames never interleave.
final class Sink: Sendable {
    private struct Files {
        var log: Int32 = -1
        var trace: Int32 = -1
    }
    private let protocolFD: Int32
    private let files: Mutex<Files>
    private let writeLock = Mutex(())

    init(protocolFD: Int32, logPath: String?, tracePath: String?) {
        self.protocolFD = protocolFD
        var f = Files()
        if let logPath { f.log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        if let tracePath { f.trace = open(tracePath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        files = Mutex(f)
    }

    func send(_ message: JSONValue) {
        let body = Array(message.serialized().utf8)
        let frame = FrameReader.encode(body)
        writeLock.withLock { _ in writeAll(protocolFD, frame) }
        trace("-> ", body)
    }

    func log(_ line: String) {
        let bytes = Array("[slipway] \(line)\n".utf8)
        writeAll(STDERR_FILENO, bytes)
        let fd = files.withLock { $0.log }
        if fd >= 0 { writeAll(fd, bytes) }
    }

    func trace(_ direction: String, _ body: [UInt8]) {
        let fd = files.withLock { $0.trace }
        guard fd >= 0 else { return }
        writeAll(fd, Array(direction.utf8) + body + [0x0A])
    }

    func close() {
        files.withLock { f in
            if f.log >= 0 { Glibc.close(f.log) }
            if f.trace >= 0 { Glibc.close(f.trace) }
            f = Files()
        }
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + done }, $0.count - done) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
    }
}
