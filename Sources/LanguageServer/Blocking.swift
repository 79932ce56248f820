import Dispatch
import Synchronization

/// Work that may block on the disk (reading a model, a whole check, walking a workspace) runs on a
/// dispatch thread, never on Swift's cooperative pool: that pool has one thread per core, and two reads
/// stuck in it would starve the tasks that take `shutdown` and `exit` from stdin.
enum Blocking {
    /// Runs `body` on a thread outside the cooperative pool and resumes the caller with its value. Each call
    /// gets a serial queue of its own: serial queues may always have a thread (libdispatch "overcommit"),
    /// so a blocked job never holds others back, as the width-limited concurrent queues could.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            DispatchQueue(label: "slipway.blocking").async { continuation.resume(returning: body()) }
        }
    }
}

/// Set once by a task's cancellation handler, read by blocking work between its steps.
final class CancelFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
