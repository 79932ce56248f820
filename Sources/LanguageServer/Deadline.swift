import Synchronization

/// Waiting on model work for a bounded time: the server answers from what it has when the work is slower.
enum Deadline {
    /// The task's value if it finishes within `limit`, else nil. The task keeps running either way.
    static func value<T: Sendable>(of task: Task<T, Never>, within limit: Duration) async -> T? {
        guard limit > .zero else { return nil }
        let once = ResumeOnce<T?>()
        return await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
            once.arm(c)
            let timer = Task {
                try? await Task.sleep(for: limit)
                once.resume(nil)
            }
            Task {
                let v = await task.value
                timer.cancel()
                once.resume(v)
            }
        }
    }
}

/// A continuation resumed by whichever of two racers comes first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func arm(_ c: CheckedContinuation<T, Never>) { continuation.withLock { $0 = c } }

    func resume(_ value: T) {
        let c = continuation.withLock { c -> CheckedContinuation<T, Never>? in
            defer { c = nil }
            return c
        }
        c?.resume(returning: value)
    }
}
