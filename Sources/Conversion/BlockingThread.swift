#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Runs blocking work (waiting for a child process) on a thread of its own and resumes the caller when it
/// is done, so that Swift's cooperative pool (one thread per core) keeps serving other tasks meanwhile.
enum BlockingThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let job = Job { continuation.resume(returning: body()) }
            let retained = Unmanaged.passRetained(job)
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                Unmanaged<Job>.fromOpaque(raw).takeRetainedValue().work()
                return nil
            }, retained.toOpaque())
            if rc == 0 {
                pthread_detach(thread)
            } else {
                // No thread to be had: do the work here rather than fail.
                retained.takeRetainedValue().work()
            }
        }
    }

    final class Job: Sendable {
        let work: @Sendable () -> Void
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }
}

/// Set once by a task's cancellation handler, read by the blocking work's cancellation check.
final class CancelFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
