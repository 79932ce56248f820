#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serialises conversions to one artifact: an exclusive `flock` on `<artifact>.slipway-lock` in the
/// destination folder, held from the up-to-date check to the last rename, so two runs cannot interleave their
/// artifact and report. The holder writes its PID into the file (a waiter names it) and removes the file when
/// done; a waiter that locks a file already removed opens the new one.
final class OutputLock {
    let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { release() }

    static func path(for output: String) -> String { output + ".slipway-lock" }

    /// Takes the lock of `output`'s folder entry, waiting up to `timeout` for another writer (calling `waiting`
    /// once with its PID when it has to wait). The folder must exist.
    static func acquire(
        for output: String, timeout: Duration, cancellation: CancellationCheck,
        waiting: (_ holder: Int32?) -> Void = { _ in }
    ) throws(ConversionError) -> OutputLock {
        let path = path(for: output)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var told = false
        while true {
            // O_NOFOLLOW: a link planted at the lock's name must not make us write into its target.
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw ConversionError(.io, "cannot open the lock \(path): \(SafeWriter.errnoText())") }
            var held = stat()
            guard fstat(fd, &held) == 0, held.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw ConversionError(.unsafe, "refusing to lock \(output): \(path) is not a regular file")
            }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                // The holder before us removes the file on release: ours must still be the one at `path`.
                var now = stat()
                if stat(path, &now) == 0, now.st_dev == held.st_dev, now.st_ino == held.st_ino {
                    let pid = Array("\(getpid())\n".utf8)
                    _ = ftruncate(fd, 0)
                    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
                    return OutputLock(path: path, fd: fd)
                }
                close(fd)
                continue
            }
            let failure = errno
            let holder = readPID(fd)
            close(fd)
            guard failure == EWOULDBLOCK || failure == EINTR else {
                throw ConversionError(.io, "cannot lock \(path): \(String(cString: strerror(failure)))")
            }
            if cancellation() { throw ConversionError(.cancelled, "cancelled") }
            if clock.now >= deadline {
                let who = holder.map { "PID \($0)" } ?? "another process"
                throw ConversionError(.io, "\(output) is locked by \(who), which is converting to it (lock file \(path)); waited \(timeout.components.seconds) s. Run again when it has finished")
            }
            if !told {
                told = true
                waiting(holder)
            }
            usleep(50_000)
        }
    }

    /// Removes the lock file (while still holding it, so no one else can be told it is free and then lose it)
    /// and closes it.
    func release() {
        guard fd >= 0 else { return }
        var held = stat(), now = stat()
        if fstat(fd, &held) == 0, stat(path, &now) == 0, now.st_dev == held.st_dev, now.st_ino == held.st_ino {
            unlink(path)
        }
        close(fd)
        fd = -1
    }

    static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let digits = buffer[0..<n].prefix { $0 >= 0x30 && $0 <= 0x39 }
        return Int32(String(decoding: digits, as: UTF8.self))
    }
}

/// What a conversion holds on its destination while it runs: the folders it had to make and the artifact's
/// lock. Taken and released together, so every conversion path (native, external tool) claims the same way.
struct OutputClaim {
    let lock: OutputLock
    let madeFolders: [String]

    /// Makes `output`'s folder and takes its lock (reporting through `progress` who holds it while waiting);
    /// on failure the folders made are removed again.
    static func take(
        _ output: String, target: String?, options: ConvertOptions, progress: @Sendable (ConversionProgress) -> Void,
        cancellation: CancellationCheck
    ) throws(ConversionError) -> OutputClaim {
        let made = try PathSafety.makeDirectories(SafeWriter.directory(of: output))
        do {
            let lock = try OutputLock.acquire(for: output, timeout: options.lockTimeout, cancellation: cancellation) { holder in
                progress(ConversionProgress(target: target, phase: "waiting for \(holder.map { "PID \($0)" } ?? "another process"), which is converting to \(output)", fraction: 0))
            }
            return OutputClaim(lock: lock, madeFolders: made)
        } catch {
            PathSafety.removeEmptyDirectories(made)
            throw error
        }
    }

    /// Releases the lock; a run that wrote nothing leaves no folder behind either.
    func release() {
        lock.release()
        PathSafety.removeEmptyDirectories(madeFolders)
    }
}
