#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a child process ended.
public struct ChildExit: Sendable, Equatable {
    /// The exit status when it exited; nil when a signal ended it.
    public var status: Int32?
    /// The signal that ended it, if one did.
    public var signal: Int32?
    /// True when the runner stopped it because the caller cancelled.
    public var cancelled: Bool
    /// True when the runner stopped it because it ran past its time limit.
    public var timedOut: Bool
    public var seconds: Double

    public var succeeded: Bool { status == 0 && !cancelled && !timedOut }

    /// "exit status 3", "killed by signal 9", "cancelled", "timed out after 12 s".
    public var summary: String {
        if cancelled { return "cancelled" }
        if timedOut { return "timed out after \(Int(seconds)) s" }
        if let status { return "exit status \(status)" }
        return "killed by signal \(signal ?? 0)"
    }
}

/// Runs an external tool as a child process: an argument vector (no shell ever parses it), in a process
/// group of its own so that a cancel reaches every process the tool starts (TensorFlow and coremltools fork
/// workers), stdin from /dev/null and stdout + stderr appended to a log file. Cancelling or a timeout
/// sends SIGTERM to the group, then SIGKILL after `grace`; the runner always reaps its child.
public enum ChildProcess {
    public struct Request: Sendable {
        /// A path, or a bare name looked up on PATH.
        public var executable: String
        /// argv[1...].
        public var arguments: [String]
        /// Variables set (or replaced) in the inherited environment.
        public var environment: [String: String]
        /// stdout and stderr go here (appended; created when missing).
        public var logPath: String
        public var timeout: Duration?
        public var grace: Duration

        public init(
            executable: String, arguments: [String], environment: [String: String] = [:],
            logPath: String, timeout: Duration? = nil,
            grace: Duration = .seconds(5)
        ) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.logPath = logPath
            self.timeout = timeout
            self.grace = grace
        }

        /// The command as recorded in reports: argv[0] resolved, then the arguments.
        public var argv: [String] { [ChildProcess.resolve(executable) ?? executable] + arguments }
    }

    /// The executable's path: `name` itself when it contains a slash, else the first executable file of
    /// that name on PATH; nil when there is none.
    public static func resolve(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 && isRegularFile(name) ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0, isRegularFile(candidate) { return candidate }
        }
        return nil
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
    }

    /// Starts the child, waits for it (polling `cancellation` and the timeout every 2 ms for 5 s, then every 20 ms, calling `tick`
    /// about once a second with the seconds elapsed) and returns how it ended. Throws only when it could not
    /// start: `.missingTool` when the executable does not exist, `.io` otherwise.
    public static func run(
        _ request: Request, cancellation: CancellationCheck = { false },
        tick: (Double) -> Void = { _ in }
    ) throws(ConversionError) -> ChildExit {
        guard let exe = resolve(request.executable) else {
            throw ConversionError(.missingTool, "\(request.executable) was not found\(request.executable.contains("/") ? "" : " on PATH")")
        }
        let logFD = open(request.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw ConversionError(.io, "cannot open the log \(request.logPath): \(SafeWriter.errnoText())") }
        defer { close(logFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own group (pgid = its pid), and default signal dispositions: the CLI's SIGINT handler and
        // any ignored signals of ours must not leak into the tool.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = [exe] + request.arguments
        var env: [String] = []
        var overridden = Set<String>()
        for (k, v) in request.environment.sorted(by: { $0.key < $1.key }) {
            env.append("\(k)=\(v)")
            overridden.insert(k)
        }
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            let key = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if !overridden.contains(key) { env.append(text) }
            p += 1
        }
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer {
            for c in cArgv { free(c) }
            for c in cEnv { free(c) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attributes, cArgv, cEnv)
        guard rc == 0 else {
            throw ConversionError(rc == ENOENT ? .missingTool : .io, "cannot start \(exe): \(String(cString: strerror(rc)))")
        }
        return wait(pid: pid, request: request, cancellation: cancellation, tick: tick)
    }

    static func wait(pid: pid_t, request: Request, cancellation: CancellationCheck, tick: (Double) -> Void) -> ChildExit {
        let start = ContinuousClock.now
        var lastTick = 0
        var cancelled = false, timedOut = false
        var termSentAt: ContinuousClock.Instant?
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0, errno != EINTR { break }
            let now = ContinuousClock.now
            let elapsed = now - start
            if termSentAt == nil {
                if cancellation() { cancelled = true }
                if let limit = request.timeout, elapsed > limit { timedOut = true }
                if cancelled || timedOut {
                    kill(-pid, SIGTERM)
                    termSentAt = now
                }
            } else if let sent = termSentAt, now - sent > request.grace {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            let seconds = Int(elapsed.components.seconds)
            if seconds > lastTick {
                lastTick = seconds
                tick(Double(seconds))
            }
            // A short pause while the child is young: most children here (a runner, a probe) end within a
            // second, and a 20 ms pause added 10 ms on average to each; a long conversion is polled at 20 ms.
            usleep(elapsed < .seconds(5) ? 2_000 : 20_000)
        }
        // The group may outlive its leader (workers it forked): after a stop, nothing of it is left running.
        if cancelled || timedOut { kill(-pid, SIGKILL) }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        let termSignal = status & 0x7f
        if termSignal == 0 {
            return ChildExit(status: (status >> 8) & 0xff, signal: nil, cancelled: cancelled, timedOut: timedOut, seconds: seconds)
        }
        return ChildExit(status: nil, signal: termSignal, cancelled: cancelled, timedOut: timedOut, seconds: seconds)
    }

    /// The last `lines` lines of a log (reading at most its last 64 KiB), for error messages.
    public static func tail(of path: String, lines: Int = 20) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return "" }
        let size = Int(st.st_size)
        let want = min(size, 64 << 10)
        guard want > 0, lseek(fd, off_t(size - want), SEEK_SET) >= 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: want)
        var filled = 0
        while filled < want {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + filled }, want - filled) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        let text = String(decoding: buffer[0..<filled], as: UTF8.self)
        let all = text.split(separator: "\n", omittingEmptySubsequences: true)
        return all.suffix(lines).joined(separator: "\n")
    }
}
