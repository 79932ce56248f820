import Diagnostics
import JSON

/// An open text document: its bytes, its version, and the line index that converts LSP positions.
/// A value type: a request works on the snapshot it was given, whatever edits arrive meanwhile.
struct Document: Sendable {
    let uri: String
    var version: Int
    var languageID: String
    private(set) var lineIndex: LineIndex

    var bytes: [UInt8] { lineIndex.bytes }

    init(uri: String, version: Int, languageID: String, text: String) {
        self.uri = uri
        self.version = version
        self.languageID = languageID
        lineIndex = LineIndex(text)
    }

    /// Applies `contentChanges` in order, each relative to the text the previous one left (LSP 3.17).
    /// A change without a range replaces the whole text. Positions past a line's end clamp to it.
    mutating func apply(_ changes: [JSONValue], unit: ColumnUnit) throws(ResponseError) {
        var bytes = lineIndex.bytes
        var index = lineIndex
        for change in changes {
            guard let text = change["text"]?.stringValue else {
                throw .invalidParams("a content change needs 'text'")
            }
            if let range = change["range"] {
                guard let r = LSP.byteRange(range, in: index, unit: unit) else {
                    throw .invalidParams("invalid range in a content change")
                }
                bytes.replaceSubrange(r.start..<r.end, with: Array(text.utf8))
            } else {
                bytes = Array(text.utf8)
            }
            index = LineIndex(bytes: bytes)
        }
        lineIndex = index
    }
}

/// Conversions between LSP JSON and the engine's byte ranges, in the negotiated position encoding.
enum LSP {
    static func lineColumn(_ p: JSONValue?) -> LineColumn? {
        guard let line = p?["line"]?.intValue, let ch = p?["character"]?.intValue, line >= 0, ch >= 0 else { return nil }
        return LineColumn(line: line, column: ch)
    }

    static func offset(_ p: JSONValue?, in index: LineIndex, unit: ColumnUnit) -> Int? {
        lineColumn(p).map { index.offset(of: $0, unit: unit) }
    }

    static func byteRange(_ r: JSONValue, in index: LineIndex, unit: ColumnUnit) -> ByteRange? {
        guard let s = offset(r["start"], in: index, unit: unit), let e = offset(r["end"], in: index, unit: unit) else {
            return nil
        }
        return ByteRange(min(s, e), max(s, e))
    }

    static func position(_ offset: Int, in index: LineIndex, unit: ColumnUnit) -> JSONValue {
        let p = index.position(of: offset, unit: unit)
        return ["line": .int(p.line), "character": .int(p.column)]
    }

    static func range(_ r: ByteRange, in index: LineIndex, unit: ColumnUnit) -> JSONValue {
        ["start": position(r.start, in: index, unit: unit), "end": position(r.end, in: index, unit: unit)]
    }

    // MARK: URIs

    /// The file path of a `file://` URI (percent-decoded), or nil for other schemes.
    static func path(ofURI uri: String) -> String? {
        guard uri.hasPrefix("file://") else { return nil }
        var rest = Substring(uri.dropFirst("file://".count))
        if !rest.hasPrefix("/"), let slash = rest.firstIndex(of: "/") { rest = rest[slash...] }  // file://host/path
        var out: [UInt8] = []
        let b = Array(rest.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let v = UInt8(String(decoding: b[i + 1...i + 2], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func uri(ofPath path: String) -> String { "file://" + PercentEncoding.encodePath(path) }
}
