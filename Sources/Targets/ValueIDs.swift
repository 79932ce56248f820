import JSON
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
        // About one new name per node (its output) besides the stored and given ones; more grow the table.
        index = NameIndex(capacity: nodes &+ model.tensors.count &+ model.inputs.count &+ 16)
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
            for k in g.nodes.indices {
                for v in g.nodes[k].inputs {
                    // Most nodes read what the node before them wrote: that name costs no hash.
                    o.ids.append(v == previous.name ? previous.id : index.intern(v))
                }
                o.outputStart.append(o.ids.count)
                let outputs = g.nodes[k].outputs
                for v in outputs { o.ids.append(index.intern(v)) }
                if let first = outputs.first { previous = (first, o.ids[o.outputStart[o.outputStart.count - 1]]) }
                o.inputStart.append(o.ids.count)
            }
            operands.append(o)
        }
    }
}

/// Strings to dense ids (0, 1, 2… in order of first insertion), by open addressing in one flat array of
/// slots that each hold an id and a part of the hash: a probe reads one slot, not a bucket and a key, which
/// on a 100k-node graph is the cost (each probe a cache miss).
struct NameIndex: Sendable {
    private(set) var names: [String] = []
    /// Per slot, 0 where empty, else id + 1 in the high 32 bits and the low 32 bits of the name's hash (compared
    /// before the name, and all `grow` needs); at most half full.
    private var slots: [UInt64]

    init(capacity: Int = 8) {
        var n = 16
        while n < capacity &* 2 { n &*= 2 }
        slots = [UInt64](repeating: 0, count: n)
        names.reserveCapacity(capacity)
    }

    var count: Int { names.count }

    func id(_ name: String) -> Int? {
        let h = Self.hash(name)
        let tag = UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: h))
        let mask = slots.count &- 1
        var i = h & mask
        while true {
            let e = slots[i]
            if e == 0 { return nil }
            if e & 0xFFFF_FFFF == tag, names[Int(e >> 32) &- 1] == name { return Int(e >> 32) &- 1 }
            i = (i &+ 1) & mask
        }
    }

    /// The id of `name`, a new one if it was not seen yet.
    mutating func intern(_ name: String) -> Int {
        let h = Self.hash(name)
        let tag = UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: h))
        var mask = slots.count &- 1
        var i = h & mask
        while true {
            let e = slots[i]
            if e == 0 { break }
            if e & 0xFFFF_FFFF == tag, names[Int(e >> 32) &- 1] == name { return Int(e >> 32) &- 1 }
            i = (i &+ 1) & mask
        }
        let id = names.count
        names.append(name)
        if names.count &* 2 > slots.count {
            grow()
            mask = slots.count &- 1
            i = h & mask
            while slots[i] != 0 { i = (i &+ 1) & mask }
        }
        slots[i] = UInt64(truncatingIfNeeded: id &+ 1) << 32 | tag
        return id
    }

    /// Twice the slots; a table of 2^32 slots or more is never reached (a name is at least a byte of the file).
    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count &* 2)
        let mask = UInt64(slots.count &- 1)
        for e in old where e != 0 {
            var i = Int(e & mask)
            while slots[i] != 0 { i = (i &+ 1) & Int(mask) }
            slots[i] = e
        }
    }

    /// `String`'s own hash: equal names are equal as `String` compares them (canonical equivalence), as the
    /// name-keyed maps this replaces had them.
    static func hash(_ name: String) -> Int { name.hashValue }
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

    /// `{name: [dims]}` of every known shape, keys in `String` order (the `shapes` of `inspect --analysis`).
    /// Neighbours often have the same shape (a chain of element-wise nodes): theirs is one JSON array, shared.
    public var json: JSONObject {
        var last: (shape: [Int], value: JSONValue)?
        return JSONObject(distinctEntries: sortedIDs().map { id in
            let shape = byID[id] ?? []
            if let last, last.shape == shape { return (index.names[id], last.value) }
            let value = JSONValue.array(shape.map { .int($0) })
            last = (shape, value)
            return (index.names[id], value)
        })
    }

    /// Every known shape with its value's name, in `String` order of the names (for stable output).
    public func sortedByName() -> [(name: String, shape: [Int])] {
        sortedIDs().map { (index.names[$0], byID[$0] ?? []) }
    }

    /// The ids of the known shapes in `String` order of their names. ASCII names are ordered by their first
    /// eight bytes where those differ, which is the order `<` gives them.
    private func sortedIDs() -> [Int] {
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
        return ids
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
