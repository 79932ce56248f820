import Synchronization

/// File digests by file identity, for the life of the process (bounded: the oldest half goes when full).
/// A rewrite through `SafeWriter` is a new inode, and an edit in place moves the modification time, so a
/// remembered digest never describes changed bytes that the identity does not reveal.
final class DigestMemo: Sendable {
    struct Key: Hashable, Sendable {
        var device: UInt64, inode: UInt64
        var size: Int64
        var seconds: Int64, nanoseconds: Int64
    }

    static let shared = DigestMemo()
    static let capacity = 4096

    private let table = Mutex<(values: [Key: String], order: [Key])>(([:], []))

    func value(for key: Key) -> String? { table.withLock { $0.values[key] } }

    func store(_ digest: String, for key: Key) {
        table.withLock { t in
            if t.values.updateValue(digest, forKey: key) == nil { t.order.append(key) }
            if t.order.count > Self.capacity {
                let drop = t.order.prefix(Self.capacity / 2)
                for k in drop { t.values[k] = nil }
                t.order.removeFirst(drop.count)
            }
        }
    }
}
