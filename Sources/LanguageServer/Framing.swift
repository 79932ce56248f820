/// LSP's base protocol: `Content-Length: N\r\n` (and optionally `Content-Type`) headers, a blank line, then
/// N bytes of JSON. The reader is incremental and never trusts the peer: a frame with a bad header is
/// reported and skipped, bodies are bounded, and it resynchronises on the next `Content-Length`.
public struct FrameReader {
    public enum Event: Equatable {
        case frame([UInt8])
        /// A malformed header or oversized body: what was wrong; the bytes were skipped.
        case skipped(String)
    }

    /// Larger bodies are refused (a manifest buffer is far smaller; this bounds memory per message).
    public static let maxBodyBytes = 64 << 20
    static let maxHeaderBytes = 8 << 10

    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next complete frame or problem, or nil when more bytes are needed.
    public mutating func next() -> Event? {
        compact()
        guard let headerEnd = findHeaderEnd() else {
            if buffer.count - start > FrameReader.maxHeaderBytes {
                // No blank line in 8 KiB: garbage. Drop up to the next header start, if any.
                let dropped = resync(from: start + 1)
                return .skipped("no header end within \(FrameReader.maxHeaderBytes) bytes; skipped \(dropped) bytes")
            }
            return nil
        }
        let bodyStart = headerEnd + 4
        var length: Int?
        // Split on bytes: as Characters, "\r\n" is one grapheme and matches neither "\r" nor "\n".
        let lines = buffer[start..<headerEnd].split(whereSeparator: { $0 == 0x0D || $0 == 0x0A })
        for line in lines.map({ String(decoding: $0, as: UTF8.self) }) {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else {
                start = bodyStart
                return .skipped("malformed header line '\(line.prefix(80))'")
            }
            let name = parts[0].trimmingCharacters().lowercased()
            let value = parts[1].trimmingCharacters()
            if name == "content-length" {
                guard let n = Int(value), n >= 0 else {
                    start = bodyStart
                    return .skipped("invalid Content-Length '\(value.prefix(40))'")
                }
                length = n
            }
        }
        guard let n = length else {
            start = bodyStart
            return .skipped("header without Content-Length")
        }
        if n > FrameReader.maxBodyBytes {
            start = bodyStart
            let dropped = resync(from: start)
            return .skipped("Content-Length \(n) is over the \(FrameReader.maxBodyBytes)-byte limit; skipped \(dropped) bytes")
        }
        guard buffer.count - bodyStart >= n else { return nil }
        let body = Array(buffer[bodyStart..<bodyStart + n])
        start = bodyStart + n
        return .frame(body)
    }

    private func findHeaderEnd() -> Int? {
        var i = start
        let end = buffer.count - 3
        while i < end {
            if buffer[i] == 0x0D, buffer[i + 1] == 0x0A, buffer[i + 2] == 0x0D, buffer[i + 3] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    /// Moves `start` to the next "Content-Length" at or after `from` (or the end); returns bytes dropped.
    private mutating func resync(from: Int) -> Int {
        let needle = Array("Content-Length".utf8)
        var i = max(from, start)
        while i + needle.count <= buffer.count {
            if buffer[i] == needle[0], Array(buffer[i..<i + needle.count]) == needle { break }
            i += 1
        }
        if i + needle.count > buffer.count { i = buffer.count }
        let dropped = i - start
        start = i
        return dropped
    }

    private mutating func compact() {
        if start > 0 && (start > 1 << 16 || start == buffer.count) {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    /// Encodes one message as a frame.
    public static func encode(_ body: [UInt8]) -> [UInt8] {
        Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
