extension JSONValue {
    /// Serialises the value. `pretty` uses two-space indentation and one key per line, the layout of the
    /// committed schema file; compact is for protocol traffic and machine output.
    public func serialized(pretty: Bool = false) -> String {
        // Written as UTF-8 bytes: appending to a String scalar by scalar was the cost of large reports.
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, pretty: pretty, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(to out: inout [UInt8], pretty: Bool, indent: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): JSONValue.writeInt(i, to: &out)
        case .double(let d): out.append(contentsOf: JSONValue.format(d).utf8)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            if a.isEmpty { out.append(contentsOf: "[]".utf8); return }
            // Arrays of scalars stay on one line in pretty mode: enums and shapes read better that way.
            let flat = !pretty || a.allSatisfy { !$0.isContainer }
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 {
                    out.append(UInt8(ascii: ","))
                    if flat && pretty { out.append(UInt8(ascii: " ")) }
                }
                if !flat { newline(&out, indent + 1) }
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if !flat { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, e) in o.entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                JSONValue.writeString(e.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                e.value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

    private func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: 2 * indent))
    }

    /// Shortest round-trip form; JSON has no NaN or infinity, so those become null.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"
    }

    /// Decimal digits straight into the output (no String per number: a shape table writes 100k of them).
    static func writeInt(_ i: Int, to out: inout [UInt8]) {
        if i < 0 { out.append(UInt8(ascii: "-")) }
        var m = i.magnitude
        var digits = 1
        var rest = m / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let end = out.count + digits
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        out.withUnsafeMutableBufferPointer { b in
            var k = end
            repeat {
                k -= 1
                b[k] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: m % 10)
                m /= 10
            } while m > 0
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { escape($0, into: &out) }
        out.append(0x22)
    }

    /// Copies runs of plain bytes at once; escapes quotes, backslashes, control characters, and U+2028 and
    /// U+2029 (valid JSON, but they break JavaScript embedders).
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func escape(_ b: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var i = 0
        var runStart = 0
        func flush(_ end: Int) {
            if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<end])) }
        }
        while i < b.count {
            let c = b[i]
            var escaped: [UInt8]?
            switch c {
            case 0x22: escaped = [0x5C, 0x22]
            case 0x5C: escaped = [0x5C, 0x5C]
            case 0x0A: escaped = [0x5C, 0x6E]
            case 0x0D: escaped = [0x5C, 0x72]
            case 0x09: escaped = [0x5C, 0x74]
            case 0x08: escaped = [0x5C, 0x62]
            case 0x0C: escaped = [0x5C, 0x66]
            case 0x00..<0x20:
                escaped = [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(c >> 4)], hexDigits[Int(c & 0xF)]]
            case 0xE2 where i + 2 < b.count && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9):
                flush(i)
                out.append(contentsOf: [0x5C, 0x75, 0x32, 0x30, 0x32, b[i + 2] == 0xA8 ? 0x38 : 0x39])
                i += 3
                runStart = i
                continue
            default: break
            }
            if let escaped {
                flush(i)
                out.append(contentsOf: escaped)
                runStart = i + 1
            }
            i += 1
        }
        flush(b.count)
    }
}
