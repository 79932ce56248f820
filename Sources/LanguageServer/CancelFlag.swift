import Synchronization

/// Set once by a task's cancellation handler, read by blocking work (a workspace walk) between its steps.
final class CancelFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
