/// LSP's base protocol: `Content-Length: N\r\n` (and optionally `Content-Type`) headers, a blank line, then
/// N bytes of JSON. The reader is incremental and never trusts the peer: headers and bodies are bounded,
/// and after any malformed frame it resynchronises on the next `Content-Length` header.
///
/// How a wrong frame is recognised: an LSP body is JSON, and JSON can hold neither a raw CR nor a bare
/// word, so a header line (`Content-Length` `:` digits CR LF, or `Content-Type` `:` value CR LF, names in
/// any case) never occurs inside a valid body. The reader therefore scans every body for one:
/// - a `Content-Length` too large makes the body run into the next frame's header: the body is cut there,
///   reported as `.skipped`, and reading resumes at that header (however much the length was off by, and
///   without waiting for the bytes it claimed);
/// - a body whose last bytes could be the beginning of such a header line (`…}Con`) is held until the bytes
///   after it decide, so the swallowed start of the next header is never compacted away;
/// - a `Content-Length` too small delivers a truncated body (which the JSON parser refuses) and leaves the
///   rest before the next header, which is skipped as garbage up to the next header line;
/// - a garbled, truncated or duplicated header, a header without a blank line within 8 KiB, or a length
///   over the limit is skipped up to the next header line, searched from the byte after its start (so a
///   truncated header followed by a valid one loses only itself).
///
/// (A `Content-Length` is only trusted up to the first header line inside the body it claims; this is
/// how the reader "looks back" into a too-long body: it never delivers a body whose tail may be the
/// start of the next header, and those bytes stay in the buffer, across compaction, until decided.)
///
/// Guarantee: whatever happened before it, every later frame whose own header and body arrive unchanged
/// is delivered, exactly and in order. Only the damaged frame is lost (or delivered broken, when its body
/// was cut short); a valid frame is lost only when its own bytes were overwritten or cut.
public struct FrameReader {
    public enum Event: Equatable {
        case frame([UInt8])
        /// A malformed header or body: what was wrong; the bytes were skipped.
        case skipped(String)
    }

    /// Larger bodies are refused (a manifest buffer is far smaller; this bounds memory per message).
    public static let maxBodyBytes = 64 << 20
    static let maxHeaderBytes = 8 << 10
    /// Spaces or tabs accepted around a header line's colon and value when searching for one.
    static let maxBlanks = 8
    /// Digits of a Content-Length (more is over any limit anyway).
    static let maxDigits = 20

    private var buffer: [UInt8] = []
    private var start = 0
    /// The body bytes of the frame at `start` already scanned for a header line: (frame start, scanned up to).
    private var scanned: (frame: Int, upTo: Int)?

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next complete frame or problem, or nil when more bytes are needed.
    public mutating func next() -> Event? {
        compact()
        switch parseHeader(at: start) {
        case .needMore:
            return nil
        case .malformed(let why):
            return resync(why)
        case .header(let length, let bodyStart):
            let claimedEnd = bodyStart + length  // both bounded: header ≤ 8 KiB past start, length ≤ 64 MiB
            var q = scanned.flatMap { $0.frame == start ? $0.upTo : nil } ?? bodyStart
            let available = min(claimedEnd, buffer.count)
            while q < available {
                switch headerLine(at: q) {
                case .no:
                    q += 1
                case .yes:
                    let why = "Content-Length \(length) runs into the next header \(q - bodyStart) bytes into the body; skipped \(q - start) bytes"
                    start = q
                    scanned = nil
                    return .skipped(why)
                case .incomplete:
                    // Could be the next header's first bytes: wait for the bytes that decide.
                    scanned = (start, q)
                    return nil
                }
            }
            scanned = (start, q)
            guard buffer.count >= claimedEnd else { return nil }
            let body = Array(buffer[bodyStart..<claimedEnd])
            start = claimedEnd
            scanned = nil
            return .frame(body)
        }
    }

    private enum Header {
        case needMore
        case malformed(String)
        case header(length: Int, bodyStart: Int)
    }

    private func parseHeader(at s: Int) -> Header {
        guard s < buffer.count else { return .needMore }
        guard let headerEnd = findHeaderEnd(from: s) else {
            if buffer.count - s > FrameReader.maxHeaderBytes {
                return .malformed("no header end within \(FrameReader.maxHeaderBytes) bytes")
            }
            // A first byte that cannot start a header name is garbage now; no need to wait for a blank line.
            return isTokenByte(buffer[s]) ? .needMore : .malformed("bytes before a header")
        }
        var length: Int?
        var i = s
        while i < headerEnd {
            var lineEnd = i
            while lineEnd < headerEnd, !(buffer[lineEnd] == 0x0D && buffer[lineEnd + 1] == 0x0A) { lineEnd += 1 }
            let line = buffer[i..<lineEnd]
            i = lineEnd + 2
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(isTokenByte)
            else {
                return .malformed("malformed header line '\(String(decoding: line.prefix(80), as: UTF8.self))'")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
            let value = line[(colon + 1)...].drop(while: isBlank).reversed().drop(while: isBlank).reversed()
            guard name == "content-length" else { continue }
            guard length == nil else { return .malformed("more than one Content-Length") }
            guard !value.isEmpty, value.count <= FrameReader.maxDigits, value.allSatisfy(isDigit) else {
                return .malformed("invalid Content-Length '\(String(decoding: value.prefix(40), as: UTF8.self))'")
            }
            let n = value.reduce(0) { $0 > FrameReader.maxBodyBytes ? $0 : $0 * 10 + Int($1 - 0x30) }
            guard n <= FrameReader.maxBodyBytes else {
                return .malformed("Content-Length \(String(decoding: value, as: UTF8.self)) is over the \(FrameReader.maxBodyBytes)-byte limit")
            }
            length = n
        }
        guard let n = length else { return .malformed("header without Content-Length") }
        return .header(length: n, bodyStart: headerEnd + 4)
    }

    /// Skips to the next header line after `start` (or keeps an incomplete one at the end); reports why.
    private mutating func resync(_ why: String) -> Event {
        var q = start + 1
        while q < buffer.count {
            if headerLine(at: q) != .no { break }
            q += 1
        }
        let dropped = min(q, buffer.count) - start
        start = min(q, buffer.count)
        scanned = nil
        return .skipped("\(why); skipped \(dropped) bytes")
    }

    private enum Match { case yes, no, incomplete }

    /// Whether a header line starts at `p`: `Content-Length: digits\r\n` (blanks around the colon and value)
    /// or `Content-Type: value\r\n`, names in any case; `.incomplete` when the buffer ends before it can be told.
    private func headerLine(at p: Int) -> Match {
        var i = p
        for c in FrameReader.contentPrefix {
            guard i < buffer.count else { return .incomplete }
            // ORing 0x20 lowers ASCII letters; '-' is compared as itself (a CR ORed with 0x20 is '-' too).
            if c == 0x2D ? buffer[i] != c : buffer[i] | 0x20 != c { return .no }
            i += 1
        }
        guard i < buffer.count else { return .incomplete }
        let rest: [UInt8]
        switch buffer[i] | 0x20 {
        case UInt8(ascii: "l"): rest = FrameReader.lengthSuffix
        case UInt8(ascii: "t"): rest = FrameReader.typeSuffix
        default: return .no
        }
        for c in rest {
            guard i < buffer.count else { return .incomplete }
            if buffer[i] | 0x20 != c { return .no }
            i += 1
        }
        var blanks = 0
        while i < buffer.count, isBlank(buffer[i]) {
            blanks += 1
            if blanks > FrameReader.maxBlanks { return .no }
            i += 1
        }
        guard i < buffer.count else { return .incomplete }
        guard buffer[i] == UInt8(ascii: ":") else { return .no }
        i += 1
        if rest == FrameReader.typeSuffix {
            // Any value up to CR LF, bounded.
            var n = 0
            while i < buffer.count, buffer[i] != 0x0D, buffer[i] != 0x0A {
                n += 1
                if n > FrameReader.maxTypeValue { return .no }
                i += 1
            }
            guard i + 1 < buffer.count else { return i < buffer.count && buffer[i] != 0x0D ? .no : .incomplete }
            return buffer[i] == 0x0D && buffer[i + 1] == 0x0A ? .yes : .no
        }
        blanks = 0
        while i < buffer.count, isBlank(buffer[i]) {
            blanks += 1
            if blanks > FrameReader.maxBlanks { return .no }
            i += 1
        }
        var digits = 0
        while i < buffer.count, isDigit(buffer[i]) {
            digits += 1
            if digits > FrameReader.maxDigits { return .no }
            i += 1
        }
        guard i < buffer.count else { return .incomplete }
        guard digits > 0 else { return .no }
        blanks = 0
        while i < buffer.count, isBlank(buffer[i]) {
            blanks += 1
            if blanks > FrameReader.maxBlanks { return .no }
            i += 1
        }
        guard i + 1 < buffer.count else { return i < buffer.count && buffer[i] != 0x0D ? .no : .incomplete }
        return buffer[i] == 0x0D && buffer[i + 1] == 0x0A ? .yes : .no
    }

    /// Header names in lower case, compared with each byte ORed with 0x20.
    private static let contentPrefix = Array("content-".utf8)
    private static let lengthSuffix = Array("length".utf8)
    private static let typeSuffix = Array("type".utf8)
    /// The longest Content-Type value recognised when searching for a header.
    static let maxTypeValue = 256

    private func findHeaderEnd(from s: Int) -> Int? {
        var i = s
        let end = min(buffer.count - 3, s + FrameReader.maxHeaderBytes)
        while i < end {
            if buffer[i] == 0x0D, buffer[i + 1] == 0x0A, buffer[i + 2] == 0x0D, buffer[i + 3] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    private mutating func compact() {
        guard start > 0, start > 1 << 16 || start == buffer.count else { return }
        buffer.removeSubrange(0..<start)
        if let s = scanned { scanned = (s.frame - start, s.upTo - start) }
        start = 0
    }

    /// Encodes one message as a frame.
    public static func encode(_ body: [UInt8]) -> [UInt8] {
        Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }
}

private func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
/// RFC 9110 token characters (header names).
private func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    default: return tokenPunctuation.contains(b)
    }
}
private let tokenPunctuation: Set<UInt8> = Set("!#$%&'*+-.^_`|~".utf8)
