import ModelFormats

/// A model's value names interned to dense integer ids, once per analysis, so that the walk reads and writes
/// shapes and folded values by array index rather than hashing a name per lookup (a 100k-node graph makes
/// several lookups per node). One table for every graph: the walk's scope is one namespace (bodies see outer
/// values, and a body's value overwrites an outer one of the same name, as the name-keyed maps did).
/// The empty name ("", an omitted optional operand) is id 0 in every table.
struct ValueIDs {
    static let empty = 0

    /// Names by id, and their index.
    private(set) var index = NameIndex()
    /// Per graph (by position in `model.graphs`): its nodes' operands, its inputs and its outputs.
    private(set) var operands: [NodeOperands] = []
    private(set) var graphInputs: [[Int]] = []
    private(set) var graphOutputs: [[Int]] = []
    /// Per tensor, by position in `model.tensors`.
    private(set) var tensors: [Int] = []
    private(set) var modelInputs: [Int] = []
    private(set) var modelOutputs: [Int] = []

    var count: Int { index.count }
    var names: [String] { index.names }

    init(model: Model) {
        let nodes = model.graphs.reduce(0) { $0 &+ $1.nodes.count }
        index = NameIndex(capacity: nodes &* 2 &+ model.tensors.count &+ model.inputs.count)
        _ = index.intern("")
        tensors = model.tensors.map { index.intern($0.name) }
        modelInputs = model.inputs.map { index.intern($0.name) }
        modelOutputs = model.outputs.map { index.intern($0.name) }
        for g in model.graphs {
            graphInputs.append(g.inputs.map { index.intern($0.name) })
            graphOutputs.append(g.outputs.map { index.intern($0.name) })
            var o = NodeOperands()
            o.reserve(nodes: g.nodes.count)
            var previous: (name: String, id: Int) = ("", ValueIDs.empty)
            for n in g.nodes {
                for v in n.inputs {
                    // Most nodes read what the node before them wrote: that name costs no hash.
                    o.ids.append(v == previous.name ? previous.id : index.intern(v))
                }
                o.outputStart.append(o.ids.count)
                for v in n.outputs { o.ids.append(index.intern(v)) }
                if let first = n.outputs.first { previous = (first, o.ids[o.outputStart[o.outputStart.count - 1]]) }
                o.inputStart.append(o.ids.count)
            }
            operands.append(o)
        }
    }
}

/// Strings to dense ids (0, 1, 2… in order of first insertion): open addressing over a word-at-a-time hash of
/// the UTF-8 bytes, about three times cheaper per name than `Dictionary`'s seeded SipHash, which a 100k-node
/// graph pays for every operand.
struct NameIndex: Sendable {
    private(set) var names: [String] = []
    private var hashes: [Int] = []
    /// id + 1 of the name in each slot, 0 where empty; at most half full.
    private var slots: [Int32]

    init(capacity: Int = 8) {
        var n = 16
        while n < capacity &* 2 { n &*= 2 }
        slots = [Int32](repeating: 0, count: n)
        names.reserveCapacity(capacity)
        hashes.reserveCapacity(capacity)
    }

    var count: Int { names.count }

    func id(_ name: String) -> Int? {
        let h = Self.hash(name)
        let mask = slots.count &- 1
        var i = h & mask
        while true {
            let e = Int(slots[i])
            if e == 0 { return nil }
            if hashes[e &- 1] == h && names[e &- 1] == name { return e &- 1 }
            i = (i &+ 1) & mask
        }
    }

    /// The id of `name`, a new one if it was not seen yet.
    mutating func intern(_ name: String) -> Int {
        let h = Self.hash(name)
        var mask = slots.count &- 1
        var i = h & mask
        while true {
            let e = Int(slots[i])
            if e == 0 { break }
            if hashes[e &- 1] == h && names[e &- 1] == name { return e &- 1 }
            i = (i &+ 1) & mask
        }
        let id = names.count
        names.append(name)
        hashes.append(h)
        if names.count &* 2 > slots.count {
            grow()
            mask = slots.count &- 1
            i = h & mask
            while slots[i] != 0 { i = (i &+ 1) & mask }
        }
        slots[i] = Int32(truncatingIfNeeded: id &+ 1)
        return id
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count &* 2)
        let mask = slots.count &- 1
        for id in 0..<(names.count &- 1) {  // the newest is placed by the caller
            var i = hashes[id] & mask
            while slots[i] != 0 { i = (i &+ 1) & mask }
            slots[i] = Int32(truncatingIfNeeded: id &+ 1)
        }
    }

    static func hash(_ name: String) -> Int {
        if let h = name.utf8.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return h }
        return Array(name.utf8).withUnsafeBytes { hash($0) }
    }

    /// Eight bytes at a time, each word mixed by a multiply and a shift (not a keyed hash: the table only
    /// slows down, never fails, on names crafted to collide).
    static func hash(_ b: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: b.count)
        var i = 0
        while i &+ 8 <= b.count {
            h = (h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i &+= 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < b.count {
            tail |= UInt64(b[i]) << shift
            shift &+= 8
            i &+= 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }
}

/// The operands of a sequence of nodes (steps) as value ids, flat: step `i` reads
/// `ids[inputStart[i]..<outputStart[i]]` and writes `ids[outputStart[i]..<inputStart[i + 1]]`, in the order of
/// its inputs and outputs (an omitted operand keeps its position). One array for all steps: no per-node array.
struct NodeOperands {
    var ids: [Int] = []
    var inputStart: [Int] = [0]
    var outputStart: [Int] = []

    var count: Int { outputStart.count }

    mutating func reserve(nodes n: Int) {
        ids.reserveCapacity(n &* 3)
        inputStart.reserveCapacity(n &+ 1)
        outputStart.reserveCapacity(n)
    }

    subscript(i: Int) -> Operands {
        Operands(inputs: ids[inputStart[i]..<outputStart[i]], outputs: ids[outputStart[i]..<inputStart[i + 1]])
    }
}

/// One node's inputs and outputs as value ids, by position.
struct Operands {
    let inputs: ArraySlice<Int>
    let outputs: ArraySlice<Int>

    func input(_ i: Int) -> Int { inputs[inputs.startIndex + i] }
    func output(_ i: Int) -> Int { outputs[outputs.startIndex + i] }
}

/// Shapes by value name: the view `GraphAnalysis.shapes` gives its callers. Over the ONNX analysis's own
/// id-indexed table and name index, so no map of every name is built again at the end of a walk.
public struct ValueShapes: Sendable, ExpressibleByDictionaryLiteral {
    private var index: NameIndex
    private var byID: [[Int]?]
    /// Values whose shape is known.
    public private(set) var count: Int

    init(index: NameIndex, shapes: [[Int]?]) {
        self.index = index
        byID = shapes
        count = shapes.reduce(0) { $1 == nil ? $0 : $0 &+ 1 }
    }

    public init(_ shapes: [String: [Int]]) {
        index = NameIndex(capacity: shapes.count)
        byID = []
        byID.reserveCapacity(shapes.count)
        for (name, shape) in shapes {
            _ = index.intern(name)
            byID.append(shape)
        }
        count = shapes.count
    }

    public init(dictionaryLiteral elements: (String, [Int])...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public var isEmpty: Bool { count == 0 }

    public subscript(name: String) -> [Int]? {
        guard let i = index.id(name), i < byID.count else { return nil }
        return byID[i]
    }

    /// Every known shape with its value's name, in `String` order of the names (for stable output). ASCII
    /// names are ordered by their first eight bytes where those differ, which is the order `<` gives them.
    public func sortedByName() -> [(name: String, shape: [Int])] {
        let names = index.names
        var ids: [Int] = []
        ids.reserveCapacity(count)
        var keys = [UInt64](repeating: 0, count: byID.count)
        var ascii = [Bool](repeating: false, count: byID.count)
        for i in byID.indices where byID[i] != nil {
            ids.append(i)
            (keys[i], ascii[i]) = Self.sortKey(names[i])
        }
        ids.sort { a, b in
            if ascii[a] && ascii[b] && keys[a] != keys[b] { return keys[a] < keys[b] }
            return names[a] < names[b]
        }
        return ids.map { (names[$0], byID[$0] ?? []) }
    }

    /// The first eight UTF-8 bytes, big-endian and zero-padded (a shorter name sorts first, as a prefix does),
    /// and whether the whole name is ASCII (where byte order is `String`'s order).
    static func sortKey(_ name: String) -> (UInt64, Bool) {
        var key: UInt64 = 0
        var ascii = true
        var n = 0
        for b in name.utf8 {
            if b >= 0x80 { ascii = false }
            if n < 8 { key |= UInt64(b) << (56 &- 8 &* UInt64(n)) }
            n &+= 1
        }
        return (key, ascii)
    }
}
