/// A half-open range of UTF-8 byte offsets into a source text. Every node, key and diagnostic in the engine
/// is located this way; conversion to lines and columns happens only at the edges (CLI, server).
public struct ByteRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var start: Int
    public var end: Int
    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = max(start, end)
    }
    public static func at(_ offset: Int) -> ByteRange { ByteRange(offset, offset) }
    public var isEmpty: Bool { start == end }
    public var length: Int { end - start }
    public func contains(_ offset: Int) -> Bool { offset >= start && offset < end }
    /// Inclusive of the end: a cursor just after a token still "touches" it (hover, completion).
    public func touches(_ offset: Int) -> Bool { offset >= start && offset <= end }
    public func union(_ o: ByteRange) -> ByteRange { ByteRange(min(start, o.start), max(end, o.end)) }
    public var description: String { "\(start)..<\(end)" }
}

/// The unit in which a column is counted. LSP defaults to UTF-16 code units; a client may negotiate UTF-8;
/// the CLI and its JSON output count Unicode scalars (1-based), like compilers do.
public enum ColumnUnit: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16 = "utf-16"
    case scalars = "utf-32"
}

/// A zero-based line and a zero-based column in some `ColumnUnit`.
public struct LineColumn: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// Line starts of a UTF-8 text, and conversions between byte offsets and (line, column) in any unit.
///
/// Line breaks are exactly LSP's: `\n`, `\r\n` and `\r`. libyaml also breaks lines at U+0085, U+2028 and
/// U+2029 and counts columns in code points, which is why the engine never uses libyaml's line and column.
/// Invariant: `lineStarts[0] == 0`, strictly increasing, each entry the byte after a line break.
public struct LineIndex: Sendable {
    public let bytes: [UInt8]
    public private(set) var lineStarts: [Int]

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        starts.reserveCapacity(bytes.count / 24 + 1)
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            let n = b.count
            while i < n {
                let c = b[i]
                if c == 0x0A {
                    starts.append(i + 1)
                } else if c == 0x0D {
                    if i + 1 < n, b[i + 1] == 0x0A { i += 1 }
                    starts.append(i + 1)
                }
                i += 1
            }
        }
        lineStarts = starts
    }

    public var lineCount: Int { lineStarts.count }
    public var count: Int { bytes.count }

    /// The zero-based line holding `offset` (clamped to the text).
    public func line(of offset: Int) -> Int {
        let o = min(max(0, offset), bytes.count)
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= o { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Byte range of a line without its terminator.
    public func lineRange(_ line: Int) -> ByteRange {
        guard line >= 0, line < lineStarts.count else { return .at(bytes.count) }
        let start = lineStarts[line]
        var end = line + 1 < lineStarts.count ? lineStarts[line + 1] : bytes.count
        if end > start, bytes[end - 1] == 0x0A { end -= 1 }
        if end > start, bytes[end - 1] == 0x0D { end -= 1 }
        return ByteRange(start, end)
    }

    public func lineText(_ line: Int) -> String {
        let r = lineRange(line)
        return String(decoding: bytes[r.start..<r.end], as: UTF8.self)
    }

    /// (line, column) of a byte offset. An offset inside a multi-byte character counts as that character's
    /// start; an offset inside a CRLF pair counts as the end of its line.
    public func position(of offset: Int, unit: ColumnUnit) -> LineColumn {
        let o = min(max(0, offset), bytes.count)
        let line = self.line(of: o)
        let lr = lineRange(line)
        let end = min(o, lr.end)
        return LineColumn(line: line, column: columns(from: lr.start, to: end, unit: unit))
    }

    /// Columns spanned by bytes `from..<to` of one line, in `unit`.
    func columns(from: Int, to: Int, unit: ColumnUnit) -> Int {
        if unit == .utf8 { return to - from }
        var col = 0
        var i = from
        while i < to {
            let c = bytes[i]
            let width: Int
            if c < 0x80 { width = 1 } else if c < 0xE0 { width = 2 } else if c < 0xF0 { width = 3 } else { width = 4 }
            if i + width > to { break }  // a partial character does not count
            col += (unit == .utf16 && width == 4) ? 2 : 1
            i += width
        }
        return col
    }

    /// Byte offset of a (line, column). Positions past the end of a line clamp to its end, and lines past
    /// the end clamp to the end of the text, as LSP asks of servers. A column in the middle of a surrogate
    /// pair rounds down to the character's start.
    public func offset(of p: LineColumn, unit: ColumnUnit) -> Int {
        guard p.line >= 0 else { return 0 }
        guard p.line < lineStarts.count else { return bytes.count }
        let lr = lineRange(p.line)
        if unit == .utf8 {
            // Clamp before adding: a client's column may be as large as Int.max.
            var o = lr.start + min(max(0, p.column), lr.end - lr.start)
            while o > lr.start, o < bytes.count, bytes[o] & 0xC0 == 0x80 { o -= 1 }
            return o
        }
        var col = 0
        var i = lr.start
        while i < lr.end, col < p.column {
            let c = bytes[i]
            let width: Int
            if c < 0x80 { width = 1 } else if c < 0xE0 { width = 2 } else if c < 0xF0 { width = 3 } else { width = 4 }
            let units = (unit == .utf16 && width == 4) ? 2 : 1
            if col + units > p.column { break }
            col += units
            i = min(i + width, lr.end)
        }
        return i
    }
}
