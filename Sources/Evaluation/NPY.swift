/// A NumPy `.npy` array (format versions 1–3, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html),
/// little-endian float64, float32, int64 or int32, C order: what the runner writes. Values are read as
/// Double. Malformed or other files are nil, never a crash.
struct NPYArray: Sendable, Equatable {
    var shape: [Int]
    var values: [Double]

    static func parse(_ b: [UInt8]) -> NPYArray? {
        guard b.count >= 10, b[0] == 0x93, Array(b[1...5]) == Array("NUMPY".utf8) else { return nil }
        let major = b[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(b[8]) | Int(b[9]) << 8
            start = 10
        case 2, 3:
            guard b.count >= 12 else { return nil }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            start = 12
        default: return nil
        }
        guard headerLength >= 0, start + headerLength <= b.count else { return nil }
        let header = String(decoding: b[start..<(start + headerLength)], as: UTF8.self)
        guard !header.contains("'fortran_order': True"),
              let d = field(header, "descr"), let shapeText = shapeField(header) else { return nil }
        var shape: [Int] = []
        for part in shapeText.split(separator: ",") {
            let t = part.trimmingCharacters()
            if t.isEmpty { continue }
            guard let n = Int(t), n >= 0, n <= 1 << 40 else { return nil }
            shape.append(n)
        }
        var count = 1
        for n in shape {
            let (m, o) = count.multipliedReportingOverflow(by: n)
            guard !o else { return nil }
            count = m
        }
        let width: Int
        switch d {
        case "<f8", "<i8": width = 8
        case "<f4", "<i4": width = 4
        default: return nil
        }
        let body = start + headerLength
        guard count <= (b.count - body) / width else { return nil }
        var values = [Double](repeating: 0, count: count)
        b.withUnsafeBytes { raw in
            for i in 0..<count {
                let o = body + i * width
                switch d {
                case "<f8": values[i] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian)
                case "<f4": values[i] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian))
                case "<i8": values[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                default: values[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                }
            }
        }
        return NPYArray(shape: shape, values: values)
    }

    /// `'key': 'value'` in the header dict.
    static func field(_ h: String, _ key: String) -> String? {
        guard let after = end(of: "'\(key)':", in: h) else { return nil }
        let rest = h[after...].drop { $0 == " " }
        guard rest.first == "'" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: "'") else { return nil }
        return String(body[..<end])
    }

    /// The index just past the first occurrence of `needle` in `h`.
    static func end(of needle: String, in h: String) -> String.Index? {
        let n = Array(needle)
        var i = h.startIndex
        while i < h.endIndex {
            var j = i, k = 0
            while k < n.count, j < h.endIndex, h[j] == n[k] { j = h.index(after: j); k += 1 }
            if k == n.count { return j }
            i = h.index(after: i)
        }
        return nil
    }

    static func shapeField(_ h: String) -> String? {
        guard let after = end(of: "'shape':", in: h), let open = h[after...].firstIndex(of: "("),
              let close = h[open...].firstIndex(of: ")") else { return nil }
        return String(h[h.index(after: open)..<close])
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
