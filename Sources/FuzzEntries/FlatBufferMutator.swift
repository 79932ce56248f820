import Conversion

/// Structure-aware mutation of TFLite flatbuffers: the model is walked from its root with the schema's field
/// layouts (`TFLiteSchemaTables`, the converter's own), collecting where each scalar field, shape and index
/// element, vector length, offset, vtable entry and union type lies; one of them is overwritten in place
/// with an edge value (0, -1, INT32_MAX/MIN, huge dims, a neighbour). Sizes and every other offset stay, so
/// the mutated file still parses up to the field that changed.
public enum FlatBufferMutator {
    enum Site {
        /// A little-endian integer of `size` bytes at `at` (fields, vector elements, lengths, vtable entries).
        case integer(at: Int, size: Int)
        /// A uoffset or soffset at `at`: moved to point elsewhere.
        case offset(at: Int)
    }

    /// One mutation of `data` in place, or nil when its root does not lead to a `Model` table.
    public static func mutate(_ data: [UInt8], seed: UInt64) -> [UInt8]? {
        var walker = Walker(bytes: data)
        walker.walkRoot()
        guard !walker.sites.isEmpty else { return nil }
        var g = SplitMix64(seed: seed)
        var out = data
        // One to three sites: several edits together reach paths one alone cannot (a count and its data).
        for _ in 0..<(1 + Int(g.next() % 3)) {
            let site = walker.sites[Int(g.next() % UInt64(walker.sites.count))]
            switch site {
            case .integer(let at, let size):
                let old = load(out, at, size)
                store(&out, at, size, InterestingValues.replacement(for: old, using: &g))
            case .offset(let at):
                let old = load(out, at, 4)
                let choices: [Int64] = [0, 4, -4, old &+ 4, old &- 4, old &* 2, Int64(out.count), Int64(Int32.max), -1]
                store(&out, at, 4, choices[Int(g.next() % UInt64(choices.count))])
            }
        }
        return out
    }

    static func load(_ b: [UInt8], _ at: Int, _ size: Int) -> Int64 {
        var v: UInt64 = 0
        for k in 0..<size { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
        // Sign-extend, so a -1 stays -1 and its neighbours are small.
        let shift = UInt64(64 - 8 * size)
        return Int64(bitPattern: v << shift) >> Int64(shift)
    }

    static func store(_ b: inout [UInt8], _ at: Int, _ size: Int, _ value: Int64) {
        let v = UInt64(bitPattern: value)
        for k in 0..<size { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }

    /// Walks tables by the schema with every read bounds-checked; a bad offset ends that branch.
    struct Walker {
        let bytes: [UInt8]
        var sites: [Site] = []
        var visited: Set<Int> = []
        static let maxSites = 200_000

        init(bytes: [UInt8]) { self.bytes = bytes }

        func u32(_ at: Int) -> Int? {
            guard at >= 0, at <= bytes.count - 4 else { return nil }
            return Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }

        func u16(_ at: Int) -> Int? {
            guard at >= 0, at <= bytes.count - 2 else { return nil }
            return Int(UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)
        }

        func follow(_ at: Int) -> Int? {
            guard let rel = u32(at), at + rel < bytes.count else { return nil }
            return at + rel
        }

        mutating func walkRoot() {
            guard let root = follow(0) else { return }
            sites.append(.offset(at: 0))
            table(at: root, type: "Model")
        }

        mutating func table(at position: Int, type: String) {
            guard sites.count < Walker.maxSites, visited.insert(position).inserted,
                let layout = TFLiteSchemaTables.tables[type], let soffset = u32(position)
            else { return }
            let vtable = position - Int(Int32(truncatingIfNeeded: UInt32(soffset)))
            guard let vtableLength = u16(vtable), let tableLength = u16(vtable + 2), vtableLength >= 4 else { return }
            sites.append(.offset(at: position))
            sites.append(.integer(at: vtable, size: 2))
            sites.append(.integer(at: vtable + 2, size: 2))
            for id in 0..<((vtableLength - 4) / 2) {
                guard let rel = u16(vtable + 4 + 2 * id), rel != 0 else { continue }
                sites.append(.integer(at: vtable + 4 + 2 * id, size: 2))
                let field = position + rel
                guard rel < tableLength, let kind = layout[id] else { continue }
                switch kind {
                case .scalar(let size):
                    if field + size <= bytes.count { sites.append(.integer(at: field, size: size)) }
                case .scalars(let size):
                    vector(at: field, elements: size, type == "Buffer" ? 16 : 4096)
                case .string:
                    vector(at: field, elements: 1, 0)
                case .strings:
                    vector(at: field, elements: 4, 0)
                case .table(let child):
                    guard let t = follow(field) else { continue }
                    sites.append(.offset(at: field))
                    table(at: t, type: child)
                case .tables(let child):
                    guard let v = follow(field), let count = u32(v) else { continue }
                    sites.append(.offset(at: field))
                    sites.append(.integer(at: v, size: 4))
                    for i in 0..<min(count, 4096) {
                        let slot = v + 4 + 4 * i
                        guard let t = follow(slot) else { break }
                        sites.append(.offset(at: slot))
                        table(at: t, type: child)
                    }
                case .union(let union):
                    guard id > 0, let code = unionCode(position: position, vtable: vtable, id: id - 1),
                        let member = TFLiteSchemaTables.unions[union]?[code], let t = follow(field)
                    else { continue }
                    sites.append(.offset(at: field))
                    table(at: t, type: member)
                }
            }
        }

        func unionCode(position: Int, vtable: Int, id: Int) -> Int? {
            guard let rel = u16(vtable + 4 + 2 * id), rel != 0, position + rel < bytes.count else { return nil }
            return Int(bytes[position + rel])
        }

        /// A vector's offset and length, and up to `sampled` of its elements of `size` bytes.
        mutating func vector(at field: Int, elements size: Int, _ sampled: Int) {
            guard let v = follow(field), let count = u32(v) else { return }
            sites.append(.offset(at: field))
            sites.append(.integer(at: v, size: 4))
            for i in 0..<min(count, sampled) {
                let at = v + 4 + size * i
                guard at + size <= bytes.count else { break }
                sites.append(.integer(at: at, size: min(size, 8)))
            }
        }
    }
}
