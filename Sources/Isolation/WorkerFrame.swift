import JSON

/// One message between the supervisor and a worker: a JSON header and an opaque payload (manifest bytes,
/// which need not be UTF-8). On the pipe: the header's length (4 bytes, little-endian), the header, the
/// payload's length, the payload. Both lengths are bounded before anything is allocated.
public struct WorkerFrame: Sendable, Equatable {
    public var header: JSONValue
    public var payload: [UInt8]

    public init(header: JSONValue, payload: [UInt8] = []) {
        self.header = header
        self.payload = payload
    }

    /// Larger frames are refused: a manifest is at most 8 MiB, and replies are diagnostics.
    public static let maxPartBytes = 64 << 20

    public func encoded() -> [UInt8] {
        let json = Array(header.serialized().utf8)
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + payload.count)
        Self.appendLength(json.count, to: &out)
        out += json
        Self.appendLength(payload.count, to: &out)
        out += payload
        return out
    }

    static func appendLength(_ n: Int, to out: inout [UInt8]) {
        let v = UInt32(clamping: n)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    static func length(_ b: [UInt8]) -> Int {
        var v = 0
        for i in 0..<4 { v |= Int(b[i]) << (8 * i) }
        return v
    }

    /// Reads one frame with `read` (which fills exactly the bytes asked for, or returns false at end of input).
    /// Nil at a clean end of input or on a malformed frame.
    public static func read(_ read: (inout [UInt8]) -> Bool) -> WorkerFrame? {
        var lengthBytes = [UInt8](repeating: 0, count: 4)
        guard read(&lengthBytes) else { return nil }
        let headerLength = length(lengthBytes)
        guard headerLength <= maxPartBytes else { return nil }
        var headerBytes = [UInt8](repeating: 0, count: headerLength)
        guard read(&headerBytes), read(&lengthBytes) else { return nil }
        let payloadLength = length(lengthBytes)
        guard payloadLength <= maxPartBytes else { return nil }
        var payload = [UInt8](repeating: 0, count: payloadLength)
        guard read(&payload), let header = try? JSONValue.parse(bytes: headerBytes) else {
            return nil
        }
        return WorkerFrame(header: header, payload: payload)
    }
}
