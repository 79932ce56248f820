/// A bounded reader of the pickle subset `torch.save` and `torch.jit.save` write. Nothing is imported,
/// called or executed: `GLOBAL` names a callable from an allow-list (or the file is refused naming it),
/// `REDUCE`/`NEWOBJ`/`BUILD` record the call as data, and `BINPERSID` records the storage reference. The
/// result is a tree the PyTorch reader walks for tensors.
struct Pickle {
    /// A value on the stack or in the memo. Containers live in `objects` (pickles share and mutate them:
    /// `APPENDS` on a list already memoized), referred to by index.
    enum Value: Equatable {
        case none
        case bool(Bool)
        case int(Int64)
        case float(Double)
        case string(String)
        case bytes(Range<Int>)
        case object(Int)

        var isObject: Bool {
            if case .object = self { return true }
            return false
        }
    }

    enum Object {
        case list([Value])
        case tuple([Value])
        /// Keys in insertion order (string and integer keys only: the ones a state dict has).
        case dict([(Value, Value)])
        case global(module: String, name: String)
        /// `callable(*args)`, recorded; `state` from a later `BUILD`, `items` from `SETITEMS` on it
        /// (`OrderedDict()` takes its entries after the call).
        case call(callable: Value, args: Value, state: Value?, items: [(Value, Value)])
        /// A `BINPERSID` reference: torch's `('storage', <type>, key, location, numel)`.
        case persistent(Value)
    }

    struct Failure: Error {
        var message: String
    }

    /// Globals a PyTorch archive may name. Modules' classes of TorchScript archives (`__torch__.…`) are
    /// allowed as names only: their state is data, their code is never read.
    static func allowed(module: String, name: String) -> Bool {
        switch module {
        case "collections": return name == "OrderedDict"
        case "torch._utils":
            return ["_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state"].contains(name)
        case "torch": return name.hasSuffix("Storage") || name == "device" || name == "Size"
        case "torch.storage": return name == "UntypedStorage" || name == "TypedStorage"
        case "torch.jit._pickle": return name.hasPrefix("build_") || name == "restore_type_tag"
        case "builtins": return name == "set" || name == "frozenset"
        default: return module == "__torch__" || module.hasPrefix("__torch__.")
        }
    }

    static let maxStack = 1 << 20
    static let maxObjects = 1 << 22
    static let maxMemo = 1 << 22

    let bytes: UnsafeRawBufferPointer
    var position = 0
    var stack: [Value] = []
    var marks: [Int] = []
    var memo: [Int: Value] = [:]
    var objects: [Object] = []

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Runs the pickle to its `STOP`; returns the top of the stack.
    mutating func run() throws(Failure) -> Value {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME: a hint for buffered readers
            case 0x2E:  // STOP
                guard let top = stack.last else { throw Failure(message: "STOP with an empty stack") }
                return top
            case 0x7D: try push(.object(new(.dict([]))))  // EMPTY_DICT
            case 0x5D: try push(.object(new(.list([]))))  // EMPTY_LIST
            case 0x29: try push(.object(new(.tuple([]))))  // EMPTY_TUPLE
            case 0x28:  // MARK
                guard marks.count < Self.maxStack else { throw Failure(message: "too many marks") }
                marks.append(stack.count)
            case 0x74: try push(.object(new(.tuple(try popMark()))))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1..3
                let n = Int(op) - 0x84
                guard stack.count >= n else { throw Failure(message: "TUPLE\(n) on a stack of \(stack.count)") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(.object(new(.tuple(items))))
            case 0x58: try push(.string(try text(Int(try uint(4)))))  // BINUNICODE
            case 0x8C: try push(.string(try text(Int(try byte()))))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(try length(try uint(8)))))  // BINUNICODE8
            case 0x55: try push(.string(try text(Int(try byte()))))  // SHORT_BINSTRING
            case 0x54: try push(.string(try text(try length(UInt64(try uint(4))))))  // BINSTRING
            case 0x43: try push(.bytes(try take(Int(try byte()))))  // SHORT_BINBYTES
            case 0x42: try push(.bytes(try take(Int(try uint(4)))))  // BINBYTES
            case 0x8E: try push(.bytes(try take(try length(try uint(8)))))  // BINBYTES8
            case 0x4A: try push(.int(Int64(Int32(bitPattern: UInt32(try uint(4))))))  // BININT
            case 0x4B: try push(.int(Int64(try byte())))  // BININT1
            case 0x4D: try push(.int(Int64(try uint(2))))  // BININT2
            case 0x8A: try push(try long(Int(try byte())))  // LONG1
            case 0x8B: try push(try long(try length(UInt64(try uint(4)))))  // LONG4
            case 0x47:  // BINFLOAT, big-endian
                var bits: UInt64 = 0
                for b in try take(8) { bits = bits << 8 | UInt64(bytes[b]) }
                try push(.float(Double(bitPattern: bits)))
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4E: try push(.none)  // NONE
            case 0x71: try put(Int(try byte()))  // BINPUT
            case 0x72: try put(Int(try uint(4)))  // LONG_BINPUT
            case 0x94: try put(memo.count)  // MEMOIZE
            case 0x68: try get(Int(try byte()))  // BINGET
            case 0x6A: try get(Int(try uint(4)))  // LONG_BINGET
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try peek())  // DUP
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                try setItems(on: try peek(), [(k, v)])
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw Failure(message: "SETITEMS with an odd number of values") }
                try setItems(on: try peek(), stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
            case 0x61: try append(to: try peek(1), [try pop()])  // APPEND
            case 0x65:  // APPENDS
                let items = try popMark()
                try append(to: try peek(), items)
            case 0x8F: try push(.object(new(.list([]))))  // EMPTY_SET, kept as a list
            case 0x90:  // ADDITEMS
                let items = try popMark()
                try append(to: try peek(), items)
            case 0x63:  // GLOBAL: "module\nname\n"
                let module = try line(), name = try line()
                try push(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw Failure(message: "STACK_GLOBAL without two strings")
                }
                try push(try global(module, name))
            case 0x52, 0x81:  // REDUCE, NEWOBJ
                let args = try pop(), callable = try pop()
                try push(.object(new(.call(callable: callable, args: args, state: nil, items: []))))
            case 0x62:  // BUILD
                let state = try pop()
                guard case .object(let i) = try peek(), case .call(let c, let a, _, let items) = objects[i] else {
                    throw Failure(message: "BUILD on something that was not built by a call")
                }
                objects[i] = .call(callable: c, args: a, state: state, items: items)
            case 0x51: try push(.object(new(.persistent(try pop()))))  // BINPERSID
            default:
                throw Failure(message: "opcode 0x\(String(op, radix: 16)) at byte \(position - 1) is not read (it is outside the subset torch.save writes: INST, OBJ, EXT, PERSID in text form, and the like could import or run code)")
            }
        }
    }

    // MARK: bounded primitives

    mutating func byte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw Failure(message: "ends at byte \(position) without STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ n: Int) throws(Failure) -> Range<Int> {
        guard n >= 0, n <= bytes.count - position else {
            throw Failure(message: "a \(n)-byte value at byte \(position) runs past the end (\(bytes.count) bytes)")
        }
        defer { position += n }
        return position..<(position + n)
    }

    mutating func uint(_ n: Int) throws(Failure) -> UInt64 {
        var v: UInt64 = 0
        for (k, i) in try take(n).enumerated() { v |= UInt64(bytes[i]) << (8 * UInt64(k)) }
        return v
    }

    func length(_ v: UInt64) throws(Failure) -> Int {
        guard v <= UInt64(bytes.count) else { throw Failure(message: "a length of \(v) exceeds the pickle (\(bytes.count) bytes)") }
        return Int(v)
    }

    mutating func text(_ n: Int) throws(Failure) -> String {
        let r = try take(n)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    mutating func line() throws(Failure) -> String {
        let start = position
        while position < bytes.count, bytes[position] != 0x0A {
            position += 1
            guard position - start <= 4096 else { throw Failure(message: "a GLOBAL name longer than 4096 bytes") }
        }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        _ = try byte()  // the newline
        return s
    }

    /// Little-endian two's complement; torch writes sizes and offsets, which fit in 64 bits.
    mutating func long(_ n: Int) throws(Failure) -> Value {
        let r = try take(n)
        guard n <= 8 else { throw Failure(message: "an integer of \(n) bytes (over 64 bits)") }
        guard n > 0 else { return .int(0) }
        var v: UInt64 = 0
        for (k, i) in r.enumerated() { v |= UInt64(bytes[i]) << (8 * UInt64(k)) }
        if n < 8, bytes[r.upperBound - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }  // sign-extend
        return .int(Int64(bitPattern: v))
    }

    mutating func global(_ module: String, _ name: String) throws(Failure) -> Value {
        guard Self.allowed(module: module, name: name) else {
            throw Failure(message: "names \(module).\(name), which a state dict or TorchScript archive does not hold; reading it would import and run that code")
        }
        return .object(new(.global(module: module, name: name)))
    }

    mutating func new(_ o: Object) -> Int {
        objects.append(o)
        return objects.count - 1
    }

    mutating func push(_ v: Value) throws(Failure) {
        guard stack.count < Self.maxStack, objects.count < Self.maxObjects else {
            throw Failure(message: "over \(Self.maxStack) values on the stack or \(Self.maxObjects) objects")
        }
        stack.append(v)
    }

    mutating func pop() throws(Failure) -> Value {
        guard let v = stack.popLast() else { throw Failure(message: "pops an empty stack at byte \(position - 1)") }
        if let m = marks.last, stack.count < m { throw Failure(message: "pops past a mark at byte \(position - 1)") }
        return v
    }

    func peek(_ depth: Int = 0) throws(Failure) -> Value {
        guard stack.count > depth else { throw Failure(message: "reads an empty stack at byte \(position - 1)") }
        return stack[stack.count - 1 - depth]
    }

    mutating func popMark() throws(Failure) -> [Value] {
        guard let m = marks.popLast(), m <= stack.count else { throw Failure(message: "no mark at byte \(position - 1)") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    mutating func put(_ key: Int) throws(Failure) {
        guard memo.count < Self.maxMemo else { throw Failure(message: "over \(Self.maxMemo) memo entries") }
        memo[key] = try peek()
    }

    mutating func get(_ key: Int) throws(Failure) {
        guard let v = memo[key] else { throw Failure(message: "reads memo \(key), never stored") }
        try push(v)
    }

    mutating func setItems(on target: Value, _ items: [(Value, Value)]) throws(Failure) {
        guard case .object(let i) = target else { throw Failure(message: "SETITEM on a plain value") }
        switch objects[i] {
        case .dict(var entries):
            objects[i] = .dict([])  // unique storage while appending
            entries.append(contentsOf: items)
            objects[i] = .dict(entries)
        case .call(let c, let a, let s, var entries):
            // OrderedDict() takes its items after the call.
            objects[i] = .call(callable: c, args: a, state: s, items: [])
            entries.append(contentsOf: items)
            objects[i] = .call(callable: c, args: a, state: s, items: entries)
        default: throw Failure(message: "SETITEM on something that is not a dict")
        }
    }

    mutating func append(to target: Value, _ items: [Value]) throws(Failure) {
        guard case .object(let i) = target, case .list(var values) = objects[i] else {
            throw Failure(message: "APPEND on something that is not a list")
        }
        objects[i] = .list([])
        values.append(contentsOf: items)
        objects[i] = .list(values)
    }
}
