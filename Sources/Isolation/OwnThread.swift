#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs blocking work (waiting on a worker's pipe) on a thread of its own and resumes the caller when it is
/// done, so Swift's cooperative pool (one thread per core) keeps serving other tasks — `exit` included.
public enum OwnThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
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
                retained.takeRetainedValue().work()  // no thread to be had: do the work here rather than fail
            }
        }
    }

    final class Job: Sendable {
        let work: @Sendable () -> Void
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }
}
