#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Isolation
import Synchronization

/// Blocking work (waiting for a child process) runs on a thread of its own: `Isolation.OwnThread`.
typealias BlockingThread = OwnThread

/// Set once by a task's cancellation handler, read by the blocking work's cancellation check.
final class CancelFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
