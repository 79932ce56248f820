/// Writes FlatBuffers binaries from a tree of nodes, top down: the root table first, every child after the
/// offset that points at it (so every `uoffset` is forward, as the format requires), each slot patched once
/// its child is placed. Vtables are deduplicated; scalars are aligned to their size, 8-byte fields by placing
/// the table so that they land on 8; vectors may ask for a wider alignment (TFLite aligns weights to 16).
///
/// Top down rather than the usual back-to-front: the tree is complete before writing starts (a rewriter
/// builds it from a source file), and the children of a table then follow it, in breadth-first order.
public enum FlatBufferBuilder {
    /// Bytes a vector holds: new bytes, or a range of a mapping that outlives the write (weights copied once).
    public enum Bytes {
        case array([UInt8])
        case raw(UnsafeRawBufferPointer)

        public var count: Int {
            switch self {
            case .array(let a): return a.count
            case .raw(let r): return r.count
            }
        }
    }

    public indirect enum Node {
        case table(TableNode)
        /// Scalars, little-endian, `elementSize` bytes each; the first element is aligned to `alignment`.
        case scalars(Bytes, elementSize: Int, alignment: Int)
        /// A vector of offsets to tables or strings.
        case offsets([Node])
        case string([UInt8])

        public static func string(_ s: String) -> Node { .string(Array(s.utf8)) }
        public static func int32s(_ values: [Int32]) -> Node {
            var b: [UInt8] = []
            b.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
            return .scalars(.array(b), elementSize: 4, alignment: 4)
        }
        public static func int64s(_ values: [Int64]) -> Node {
            var b: [UInt8] = []
            b.reserveCapacity(values.count * 8)
            for v in values { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
            return .scalars(.array(b), elementSize: 8, alignment: 8)
        }
        public static func float32s(_ values: [Float]) -> Node {
            var b: [UInt8] = []
            b.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { b.append(contentsOf: $0) } }
            return .scalars(.array(b), elementSize: 4, alignment: 4)
        }
    }

    public enum Field {
        /// A scalar's little-endian bytes (1, 2, 4 or 8), aligned to its size.
        case scalar([UInt8])
        /// A struct's bytes, inline, aligned to `alignment`.
        case inline([UInt8], alignment: Int)
        case offset(Node)

        public static func int<T: FixedWidthInteger>(_ v: T) -> Field {
            .scalar(withUnsafeBytes(of: v.littleEndian) { Array($0) })
        }
        public static func float32(_ v: Float) -> Field { .int(v.bitPattern) }
        public static func bool(_ v: Bool) -> Field { .scalar([v ? 1 : 0]) }

        var size: Int {
            switch self {
            case .scalar(let b): return b.count
            case .inline(let b, _): return b.count
            case .offset: return 4
            }
        }

        var alignment: Int {
            switch self {
            case .scalar(let b): return b.count
            case .inline(_, let a): return a
            case .offset: return 4
            }
        }
    }

    /// A table: field id → value. Absent ids are absent from the vtable (readers see the default).
    public struct TableNode {
        public var fields: [Int: Field]
        public init(_ fields: [Int: Field] = [:]) { self.fields = fields }
        public subscript(id: Int) -> Field? {
            get { fields[id] }
            set { fields[id] = newValue }
        }
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The largest buffer a 32-bit signed offset can span (vtable offsets are signed).
    public static let maximumSize = Int(Int32.max)

    /// The bytes of a buffer whose root is `root`, with a 4-character file identifier when given.
    public static func serialize(root: TableNode, fileIdentifier: String? = nil) throws(Failure) -> [UInt8] {
        var w = Writer()
        try w.run(root: root, fileIdentifier: fileIdentifier)
        return w.out
    }

    struct Writer {
        var out: [UInt8] = []
        var vtables: [[UInt8]: Int] = [:]
        /// Children waiting to be placed: the absolute slot that will hold their offset.
        var queue: [(slot: Int, node: Node)] = []

        mutating func pad(to alignment: Int, plus extra: Int = 0) {
            let a = max(alignment, 1)
            while (out.count + extra) % a != 0 { out.append(0) }
        }

        mutating func put<T: FixedWidthInteger>(_ v: T, at position: Int) {
            withUnsafeBytes(of: v.littleEndian) { raw in
                for (i, b) in raw.enumerated() { out[position + i] = b }
            }
        }

        mutating func append<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }

        mutating func run(root: TableNode, fileIdentifier: String?) throws(Failure) {
            append(UInt32(0))
            if let id = fileIdentifier {
                let b = Array(id.utf8)
                guard b.count == 4 else { throw Failure(message: "a file identifier has 4 bytes, not \(b.count)") }
                out.append(contentsOf: b)
            }
            queue.append((0, .table(root)))
            var next = 0
            while next < queue.count {
                let (slot, node) = queue[next]
                next += 1
                let position = try place(node)
                guard position > slot, position - slot <= Int(UInt32.max) else {
                    throw Failure(message: "an offset does not fit in 32 bits")
                }
                put(UInt32(position - slot), at: slot)
                guard out.count <= FlatBufferBuilder.maximumSize else {
                    throw Failure(message: "the flatbuffer exceeds \(FlatBufferBuilder.maximumSize) bytes, the format's limit")
                }
            }
        }

        mutating func place(_ node: Node) throws(Failure) -> Int {
            switch node {
            case .table(let t): return try placeTable(t)
            case .scalars(let bytes, let size, let alignment):
                guard size > 0, bytes.count % size == 0 else {
                    throw Failure(message: "a vector of \(bytes.count) bytes is not a whole number of \(size)-byte elements")
                }
                pad(to: max(alignment, 4), plus: 4)
                let position = out.count
                append(UInt32(bytes.count / size))
                switch bytes {
                case .array(let a): out.append(contentsOf: a)
                case .raw(let r): out.append(contentsOf: r)
                }
                return position
            case .offsets(let nodes):
                pad(to: 4)
                let position = out.count
                append(UInt32(nodes.count))
                for n in nodes {
                    queue.append((out.count, n))
                    append(UInt32(0))
                }
                return position
            case .string(let s):
                pad(to: 4)
                let position = out.count
                append(UInt32(s.count))
                out.append(contentsOf: s)
                out.append(0)
                return position
            }
        }

        mutating func placeTable(_ t: TableNode) throws(Failure) -> Int {
            // Widest first, so each field is aligned once the first is: 8-byte fields start right after the
            // 4-byte vtable offset, which is placed at 4 mod 8.
            let ids = t.fields.keys.sorted { a, b in
                let x = t.fields[a]?.alignment ?? 0, y = t.fields[b]?.alignment ?? 0
                return x != y ? x > y : a < b
            }
            guard let maxID = t.fields.keys.max() else { return try placeFields(t, ids: [], vtableEntries: 0) }
            guard maxID < 0x7FFF / 2 - 2 else { throw Failure(message: "field id \(maxID) does not fit in a vtable") }
            return try placeFields(t, ids: ids, vtableEntries: maxID + 1)
        }

        mutating func placeFields(_ t: TableNode, ids: [Int], vtableEntries: Int) throws(Failure) -> Int {
            var offsets = [Int](repeating: 0, count: vtableEntries)
            var inline = 4
            var maxAlign = 4
            for id in ids {
                guard let f = t.fields[id] else { continue }
                let a = max(f.alignment, 1)
                guard [1, 2, 4, 8].contains(a) else { throw Failure(message: "field \(id) has alignment \(a)") }
                maxAlign = max(maxAlign, a)
                while inline % a != 0 && !(a == 8 && inline % 8 == 4) { inline += 1 }
                if a == 8, inline % 8 != 4 { inline += 4 }  // table start ≡ 4 (mod 8) puts inline ≡ 4 on 8
                offsets[id] = inline
                inline += f.size
            }
            guard inline <= 0xFFFF else { throw Failure(message: "a table of \(inline) bytes does not fit in a vtable") }
            var vtable: [UInt8] = []
            for v in [UInt16(4 + 2 * vtableEntries), UInt16(inline)] + offsets.map({ UInt16($0) }) {
                vtable.append(UInt8(truncatingIfNeeded: v))
                vtable.append(UInt8(truncatingIfNeeded: v >> 8))
            }
            let vtablePosition: Int
            if let known = vtables[vtable] {
                vtablePosition = known
            } else {
                pad(to: 2)
                vtablePosition = out.count
                out.append(contentsOf: vtable)
                vtables[vtable] = vtablePosition
            }
            // With 8-byte fields, fields at inline offset ≡ 4 (mod 8) need the table at 4 (mod 8).
            if maxAlign == 8 { pad(to: 8, plus: 4) } else { pad(to: 4) }
            let position = out.count
            guard position - vtablePosition <= Int(Int32.max) else { throw Failure(message: "a vtable lies too far from its table") }
            append(Int32(position - vtablePosition))
            out.append(contentsOf: [UInt8](repeating: 0, count: inline - 4))
            for (id, at) in offsets.enumerated() where at != 0 {
                guard let f = t.fields[id] else { continue }
                switch f {
                case .scalar(let b), .inline(let b, _):
                    for (i, byte) in b.enumerated() { out[position + at + i] = byte }
                case .offset(let child):
                    queue.append((position + at, child))
                }
            }
            return position
        }
    }
}
