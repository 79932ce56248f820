import Synchronization

/// Set once by a task's cancellation handler, read by blocking work (a conversion's wait on a child, a
/// workspace walk) between its steps: the bridge from Swift's task cancellation to work on a thread of its own.
public final class CancelFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public var isSet: Bool { value.withLock { $0 } }
    public func set() { value.withLock { $0 = true } }
}
