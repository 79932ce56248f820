#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CheckedMath
import Dispatch
import Synchronization

/// Why a call to a worker gave no reply.
public struct WorkerFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case crashed, timedOut, unavailable, protocolError }
    public var kind: Kind
    public var reason: String
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }
    public var description: String { reason }
}

/// Supervised child processes for work on untrusted input (reading and analysing model files). Swift traps
/// cannot be caught, so the process that must survive (the language server, `check` over many manifests)
/// hands that work to a worker: spawned on first use, reused, replaced after a crash. A call whose worker
/// dies or overruns its time gets a `WorkerFailure`, never a hang; restarts are rate-limited so a model that
/// crashes every worker cannot turn the supervisor into a fork loop.
public final class WorkerPool: Sendable {
    public let command: [String]
    public let size: Int
    /// Seconds a call may take before its worker is killed.
    public let timeout: Double
    /// At most this many crashes within `restartWindow` seconds; past it, calls fail at once until the window moves.
    public let restartLimit: Int
    public let restartWindow: Double

    private let slots: DispatchSemaphore
    private let state: Mutex<State>

    struct State {
        var idle: [Worker] = []
        var crashes: [Double] = []
        var starts = 0
        var closed = false
        var pids: Set<Int32> = []
        /// Workers started ahead of need (`prestart`) that no call has taken yet: nothing to lose, so
        /// `shutdown` kills them rather than waiting for them to finish starting.
        var unused: Set<Int32> = []
    }

    public init(command: [String], size: Int = 1, timeout: Double = 120, restartLimit: Int = 5, restartWindow: Double = 60) {
        self.command = command
        self.size = max(1, size)
        self.timeout = timeout
        self.restartLimit = max(1, restartLimit)
        self.restartWindow = restartWindow
        self.slots = DispatchSemaphore(value: max(1, size))
        self.state = Mutex(State())
        // A write to a worker that just died must be an EPIPE error here, not a signal that ends the supervisor.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Sends `request` to an idle worker (starting one if needed) and waits for its reply. Blocks the calling
    /// thread: call from a thread of your own, not from Swift's cooperative pool.
    public func call(_ request: WorkerFrame) -> Result<WorkerFrame, WorkerFailure> {
        slots.wait()
        defer { slots.signal() }
        let acquired: Result<Worker, WorkerFailure> = state.withLock { s in
            if s.closed { return .failure(WorkerFailure(.unavailable, "the analysis worker pool is shut down")) }
            let now = Self.now()
            // A worker that died while idle (killed from outside, out of memory) is replaced, not blamed on
            // the next request.
            while let w = s.idle.popLast() {
                s.unused.remove(w.pid)
                if w.isAlive { return .success(w) }
                s.pids.remove(w.pid)
                s.crashes.append(now)
            }
            s.crashes.removeAll { now - $0 > restartWindow }
            if s.crashes.count >= restartLimit {
                return .failure(WorkerFailure(
                    .unavailable,
                    "the analysis worker crashed \(s.crashes.count) times in the last \(Int(saturating: restartWindow)) s; model analysis is paused"))
            }
            switch Worker.spawn(command) {
            case .success(let w):
                s.starts += 1
                s.pids.insert(w.pid)
                return .success(w)
            case .failure(let f): return .failure(f)
            }
        }
        guard case .success(let worker) = acquired else {
            if case .failure(let f) = acquired { return .failure(f) }
            return .failure(WorkerFailure(.unavailable, "no worker"))
        }
        let result = worker.exchange(request, timeout: timeout)
        state.withLock { s in
            switch result {
            case .success:
                if s.closed { worker.terminate() } else { s.idle.append(worker) }
            case .failure(let f):
                s.pids.remove(worker.pid)
                if f.kind == .crashed || f.kind == .timedOut { s.crashes.append(Self.now()) }
            }
        }
        return result
    }

    /// Starts up to `count` workers now, so that their start-up (loading the program, the catalogue) overlaps
    /// the caller's own instead of delaying its first call. A no-op once shut down or when enough are idle.
    public func prestart(_ count: Int = 1) {
        state.withLock { s in
            guard !s.closed else { return }
            while s.idle.count < min(count, size) {
                guard case .success(let w) = Worker.spawn(command) else { return }
                s.starts += 1
                s.pids.insert(w.pid)
                s.unused.insert(w.pid)
                s.idle.append(w)
            }
        }
    }

    /// How many workers have been started (the first, and one per restart).
    public var starts: Int { state.withLock { $0.starts } }
    /// Process ids of the workers alive now.
    public var pids: [Int32] { state.withLock { Array($0.pids).sorted() } }

    /// Ends every idle worker (their stdin closes, they exit) and refuses further calls.
    public func shutdown() {
        let (idle, unused) = state.withLock { s -> ([Worker], Set<Int32>) in
            s.closed = true
            defer { s.idle = []; s.unused = [] }
            return (s.idle, s.unused)
        }
        for w in idle { unused.contains(w.pid) ? w.stop() : w.terminate() }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// One worker process: its stdin and stdout as pipes, stderr shared with the supervisor (logs).
final class Worker: Sendable {
    let pid: pid_t
    let toChild: Int32
    let fromChild: Int32

    private init(pid: pid_t, toChild: Int32, fromChild: Int32) {
        self.pid = pid
        self.toChild = toChild
        self.fromChild = fromChild
    }

    static func spawn(_ command: [String]) -> Result<Worker, WorkerFailure> {
        guard let program = command.first else { return .failure(WorkerFailure(.unavailable, "no worker command")) }
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1]
        guard pipe(&input) == 0 else { return .failure(WorkerFailure(.unavailable, "pipe: \(errnoText())")) }
        guard pipe(&output) == 0 else {
            close(input[0]); close(input[1])
            return .failure(WorkerFailure(.unavailable, "pipe: \(errnoText())"))
        }
        // Close-on-exec on every end: dup2 in the child clears it on the two it keeps as stdin and stdout.
        for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the targets; every other pipe end closes at exec.
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let rc = posix_spawn(&pid, program, &actions, nil, argv, environ)
        close(input[0])
        close(output[1])
        guard rc == 0 else {
            close(input[1]); close(output[0])
            return .failure(WorkerFailure(.unavailable, "cannot start the analysis worker \(program): \(String(cString: strerror(rc)))"))
        }
        return .success(Worker(pid: pid, toChild: input[1], fromChild: output[0]))
    }

    /// Writes the request, reads the reply. On any failure the process is killed and reaped, and the failure
    /// says how it ended (the signal that killed it, or its exit status).
    func exchange(_ request: WorkerFrame, timeout: Double) -> Result<WorkerFrame, WorkerFailure> {
        let deadline = WorkerPool.now() + timeout
        guard writeAll(request.encoded()) else { return .failure(end(expected: "while sending it a request")) }
        var timedOut = false
        let reply = WorkerFrame.read { (buffer: inout [UInt8]) -> Bool in
            readExactly(&buffer, deadline: deadline, timedOut: &timedOut)
        }
        if let reply { return .success(reply) }
        if timedOut {
            kill(pid, SIGKILL)
            _ = reap()
            cleanup()
            return .failure(WorkerFailure(.timedOut, "the analysis worker took longer than \(Int(saturating: timeout)) s and was stopped"))
        }
        return .failure(end(expected: "before it replied"))
    }

    private func end(expected: String) -> WorkerFailure {
        kill(pid, SIGKILL)
        let status = reap()
        cleanup()
        return WorkerFailure(.crashed, "the analysis worker \(Self.describe(status)) \(expected)")
    }

    /// False once the process has ended (it is then reaped and its pipes closed).
    var isAlive: Bool {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return true }
        cleanup()
        return false
    }

    func terminate() {
        close(toChild)  // the worker exits at end of input
        var status: Int32 = 0
        // Give it a moment to exit by itself, then make sure.
        for _ in 0..<50 {
            if waitpid(pid, &status, WNOHANG) == pid { close(fromChild); return }
            usleep(2000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        close(fromChild)
    }

    /// Ends a worker that holds no work: SIGKILL and reap.
    func stop() {
        kill(pid, SIGKILL)
        _ = reap()
        cleanup()
    }

    private func cleanup() {
        close(toChild)
        close(fromChild)
    }

    private func reap() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal != 0 && signal != 0x7f {
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal"
            return "crashed (signal \(signal), \(name))"
        }
        return "exited with status \((status >> 8) & 0xff)"
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(toChild, $0.baseAddress.map { $0 + offset }, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    private func readExactly(_ buffer: inout [UInt8], deadline: Double, timedOut: inout Bool) -> Bool {
        var filled = 0
        while filled < buffer.count {
            let left = deadline - WorkerPool.now()
            if left <= 0 { timedOut = true; return false }
            var p = pollfd(fd: fromChild, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(saturating: (left * 1000).rounded(.up)))
            if ready < 0 {
                if errno == EINTR { continue }
                return false
            }
            if ready == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(fromChild, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            if n == 0 { return false }
            filled += n
        }
        return true
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
