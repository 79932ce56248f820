import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `count` work items on `workers` threads that take the next item as they finish one, so that a
/// busy core does not hold the others back. Each item writes only its own output slots, and per-worker
/// state is merged afterwards with order-independent operations (min, max, integer counts), so results
/// do not depend on scheduling.
enum Parallel {
    static var onlineCores: Int {
        #if canImport(Glibc) || canImport(Darwin)
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? Int(n) : 1
        #else
        return 1
        #endif
    }

    private final class Cursor: Sendable {
        let next = Atomic<Int>(0)
    }

    static func forEach(count: Int, workers: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        guard count > 0 else { return }
        let w = max(1, min(workers, count))
        if w == 1 {
            for i in 0..<count { body(0, i) }
            return
        }
        let cursor = Cursor()
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: w) { worker in
                while true {
                    let i = cursor.next.add(1, ordering: .relaxed).oldValue
                    if i >= count { break }
                    box.value(worker, i)
                }
            }
        }
    }
}

/// For values shared across the worker threads whose accesses are partitioned by construction (each work
/// item owns its output slots) and for pointers whose memory outlives the parallel section.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
