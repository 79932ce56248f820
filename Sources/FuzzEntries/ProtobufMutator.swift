/// Structure-aware mutation of protobuf wire data (ONNX models): the input is parsed into a tree of fields
/// (length-delimited payloads that parse as messages become sub-trees), one field is changed, and the tree is
/// written again with every enclosing length recomputed, so the mutation reaches the reader's semantics
/// instead of breaking the framing at the first byte. Some mutations break framing on purpose: a length
/// prefix that disagrees with its payload.
public enum ProtobufMutator {
    indirect enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes([UInt8])
        case message([Field])
    }

    struct Field {
        var number: UInt64
        var value: Value
        /// A length prefix written instead of the payload's real length (a deliberate inconsistency).
        var lengthOverride: UInt64? = nil
    }

    /// One mutation of `data`, or nil when it does not parse as protobuf wire data (the caller falls back to
    /// byte-level mutation). The result may be larger than the input; the caller bounds it.
    public static func mutate(_ data: [UInt8], seed: UInt64) -> [UInt8]? {
        guard var fields = parse(data[...], depth: 0), !fields.isEmpty else { return nil }
        var g = SplitMix64(seed: seed)
        let sites = countSites(fields)
        guard sites > 0 else { return nil }
        var target = Int(g.next() % UInt64(sites))
        mutate(&fields, target: &target, using: &g)
        var out: [UInt8] = []
        serialize(fields, into: &out)
        return out
    }

    // MARK: parsing

    static func parse(_ data: ArraySlice<UInt8>, depth: Int) -> [Field]? {
        var fields: [Field] = []
        var i = data.startIndex
        while i < data.endIndex {
            guard let key = varint(data, &i), key >> 3 != 0 else { return nil }
            let number = key >> 3
            switch key & 7 {
            case 0:
                guard let v = varint(data, &i) else { return nil }
                fields.append(Field(number: number, value: .varint(v)))
            case 1:
                guard data.endIndex - i >= 8 else { return nil }
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(data[i + k]) << (8 * k) }
                i += 8
                fields.append(Field(number: number, value: .fixed64(v)))
            case 5:
                guard data.endIndex - i >= 4 else { return nil }
                var v: UInt32 = 0
                for k in 0..<4 { v |= UInt32(data[i + k]) << (8 * k) }
                i += 4
                fields.append(Field(number: number, value: .fixed32(v)))
            case 2:
                guard let n = varint(data, &i), n <= UInt64(data.endIndex - i) else { return nil }
                let payload = data[i..<(i + Int(n))]
                i += Int(n)
                // Small payloads that parse are taken as messages; raw tensor data and strings stay bytes
                // (a string that happens to parse round-trips unchanged all the same).
                if depth < 24, payload.count < 1 << 16, !payload.isEmpty, let sub = parse(payload, depth: depth + 1) {
                    fields.append(Field(number: number, value: .message(sub)))
                } else {
                    fields.append(Field(number: number, value: .bytes(Array(payload))))
                }
            default:
                return nil
            }
        }
        return fields
    }

    static func varint(_ data: ArraySlice<UInt8>, _ i: inout Int) -> UInt64? {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while i < data.endIndex, shift < 64 {
            let b = data[i]
            i += 1
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
        return nil
    }

    // MARK: mutation

    static func countSites(_ fields: [Field]) -> Int {
        fields.reduce(fields.count) { n, f in
            if case .message(let sub) = f.value { return n + countSites(sub) }
            return n
        }
    }

    /// Walks to site number `target` (fields in pre-order) and mutates it; true once done.
    @discardableResult
    static func mutate(_ fields: inout [Field], target: inout Int, using g: inout SplitMix64) -> Bool {
        var i = 0
        while i < fields.count {
            if target == 0 {
                mutateField(&fields, at: i, using: &g)
                return true
            }
            target -= 1
            if case .message(var sub) = fields[i].value {
                let done = mutate(&sub, target: &target, using: &g)
                fields[i].value = .message(sub)
                if done { return true }
            }
            i += 1
        }
        return false
    }

    static func mutateField(_ fields: inout [Field], at i: Int, using g: inout SplitMix64) {
        switch g.next() % 10 {
        case 0:  // drop the field
            fields.remove(at: i)
        case 1:  // repeat it (a second graph, a duplicated dim, a repeated singular field)
            fields.insert(fields[i], at: i)
        case 2:  // swap with another field of the same message
            fields.swapAt(i, Int(g.next() % UInt64(fields.count)))
        case 3:  // a length prefix that lies about its payload
            switch fields[i].value {
            case .bytes, .message:
                let real = payloadLength(fields[i].value)
                let choices: [UInt64] = [0, 1, real &+ 1, real &- 1, real &* 2, UInt64(Int32.max), UInt64.max >> 1]
                fields[i].lengthOverride = choices[Int(g.next() % UInt64(choices.count))]
            default:
                fields[i].value = mutateValue(fields[i].value, using: &g)
            }
        default:
            fields[i].value = mutateValue(fields[i].value, using: &g)
        }
    }

    static func mutateValue(_ value: Value, using g: inout SplitMix64) -> Value {
        switch value {
        case .varint(let v):
            return .varint(UInt64(bitPattern: InterestingValues.replacement(for: Int64(bitPattern: v), using: &g)))
        case .fixed64(let v):
            if g.next() % 2 == 0 {
                let doubles: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1e308, 5e-324, 65504, 65520]
                return .fixed64(doubles[Int(g.next() % UInt64(doubles.count))].bitPattern)
            }
            return .fixed64(UInt64(bitPattern: InterestingValues.replacement(for: Int64(bitPattern: v), using: &g)))
        case .fixed32(let v):
            if g.next() % 2 == 0 {
                let floats: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, 1e-45, 65504, 65520, 1e10]
                return .fixed32(floats[Int(g.next() % UInt64(floats.count))].bitPattern)
            }
            return .fixed32(UInt32(truncatingIfNeeded: InterestingValues.replacement(for: Int64(v), using: &g)))
        case .bytes(var b):
            // Packed repeated varints (dims, ints attributes): change one element.
            if var list = packedVarints(b), !list.isEmpty, g.next() % 3 != 0 {
                let k = Int(g.next() % UInt64(list.count))
                list[k] = UInt64(bitPattern: InterestingValues.replacement(for: Int64(bitPattern: list[k]), using: &g))
                var out: [UInt8] = []
                for v in list { writeVarint(v, into: &out) }
                return .bytes(out)
            }
            if b.isEmpty { return .bytes([UInt8(truncatingIfNeeded: g.next())]) }
            switch g.next() % 3 {
            case 0: b.removeLast(Int(g.next() % UInt64(b.count)) + 1)
            case 1: b.append(contentsOf: b.prefix(Int(g.next() % 64)))
            default: b[Int(g.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: g.next())
            }
            return .bytes(b)
        case .message(var sub):
            // An empty sub-message, or one field more (copied from inside it).
            if sub.isEmpty || g.next() % 2 == 0 { return .message([]) }
            sub.append(sub[Int(g.next() % UInt64(sub.count))])
            return .message(sub)
        }
    }

    static func packedVarints(_ b: [UInt8]) -> [UInt64]? {
        var out: [UInt64] = []
        var i = 0
        let s = b[...]
        while i < b.count {
            guard let v = varint(s, &i) else { return nil }
            out.append(v)
        }
        return out
    }

    static func payloadLength(_ v: Value) -> UInt64 {
        var out: [UInt8] = []
        serializePayload(v, into: &out)
        return UInt64(out.count)
    }

    // MARK: writing

    static func serialize(_ fields: [Field], into out: inout [UInt8]) {
        for f in fields {
            let wireType: UInt64
            switch f.value {
            case .varint: wireType = 0
            case .fixed64: wireType = 1
            case .fixed32: wireType = 5
            case .bytes, .message: wireType = 2
            }
            writeVarint(f.number << 3 | wireType, into: &out)
            if wireType == 2 {
                var payload: [UInt8] = []
                serializePayload(f.value, into: &payload)
                writeVarint(f.lengthOverride ?? UInt64(payload.count), into: &out)
                out += payload
            } else {
                serializePayload(f.value, into: &out)
            }
        }
    }

    static func serializePayload(_ v: Value, into out: inout [UInt8]) {
        switch v {
        case .varint(let x): writeVarint(x, into: &out)
        case .fixed64(let x): for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: x >> (8 * UInt64(k)))) }
        case .fixed32(let x): for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: x >> (8 * UInt32(k)))) }
        case .bytes(let b): out += b
        case .message(let sub): serialize(sub, into: &out)
        }
    }

    static func writeVarint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
