/// A walk over protobuf wire-format bytes in place. Nothing is copied: length-delimited fields come back as
/// byte ranges of the buffer the reader was given (usually a memory-mapped file), so skipping a 1 GB
/// `raw_data` costs one varint. Every length is checked against the enclosing message before it is used.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Absolute byte offset in the buffer where the problem was found.
    public var offset: Int
    public var message: String
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }
    public var description: String { "\(message) at byte \(offset)" }
}

public enum WireType: UInt8, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

/// One field of a message. Scalars carry their value in `scalar`; length-delimited fields carry the
/// absolute range of their payload.
public struct WireField: Sendable {
    public var number: Int
    public var wireType: WireType
    /// The varint, fixed64 or fixed32 payload (fixed32 in the low bits).
    public var scalar: UInt64
    /// For length-delimited fields, the payload; empty at the field's position otherwise.
    public var payload: Range<Int>
    /// Where the field's tag starts, for error messages.
    public var start: Int

    public var int64: Int64 { Int64(bitPattern: scalar) }
    public var int32: Int32 { Int32(truncatingIfNeeded: scalar) }
    public var float: Float { Float(bitPattern: UInt32(truncatingIfNeeded: scalar)) }
    public var double: Double { Double(bitPattern: scalar) }
}

public struct ProtoReader {
    /// The whole buffer; ranges and offsets are absolute in it so that callers can record where bytes live.
    public let base: UnsafeRawBufferPointer
    public private(set) var position: Int
    public let end: Int

    /// A reader over `range` of `base`. The range is clamped to the buffer.
    public init(_ base: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        self.base = base
        let r = range ?? 0..<base.count
        self.position = max(0, min(r.lowerBound, base.count))
        self.end = max(self.position, min(r.upperBound, base.count))
    }

    public var isAtEnd: Bool { position >= end }

    /// A reader over a length-delimited field's payload (an embedded message).
    public func message(_ field: WireField) -> ProtoReader { ProtoReader(base, range: field.payload) }

    /// The next field, or nil at the end of the message.
    public mutating func next() throws(WireError) -> WireField? {
        guard position < end else { return nil }
        let start = position
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else {
            throw WireError(offset: start, message: "invalid field number \(number)")
        }
        guard let type = WireType(rawValue: UInt8(key & 7)) else {
            throw WireError(offset: start, message: "invalid wire type \(key & 7)")
        }
        var field = WireField(number: Int(number), wireType: type, scalar: 0, payload: position..<position, start: start)
        switch type {
        case .varint:
            field.scalar = try readVarint()
        case .fixed64:
            field.scalar = try readFixed(8)
        case .fixed32:
            field.scalar = try readFixed(4)
        case .lengthDelimited:
            let lengthAt = position
            let length = try readVarint()
            guard length <= UInt64(end - position) else {
                throw WireError(
                    offset: lengthAt,
                    message: "field \(number) claims \(length) bytes but only \(end - position) remain in its message")
            }
            field.payload = position..<(position + Int(length))
            position += Int(length)
        case .startGroup, .endGroup:
            // Groups are deprecated proto2 syntax that none of the formats read here uses.
            throw WireError(offset: start, message: "unsupported group wire type in field \(number)")
        }
        return field
    }

    public mutating func readVarint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < end else { throw WireError(offset: start, message: "truncated varint") }
            let byte = base[position]
            position += 1
            if shift == 63, byte > 1 { throw WireError(offset: start, message: "varint longer than 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw WireError(offset: start, message: "varint longer than 10 bytes") }
        }
    }

    mutating func readFixed(_ size: Int) throws(WireError) -> UInt64 {
        guard end - position >= size else { throw WireError(offset: position, message: "truncated fixed\(size * 8)") }
        var v: UInt64 = 0
        for i in 0..<size { v |= UInt64(base[position + i]) << UInt64(8 * i) }
        position += size
        return v
    }
}

extension ProtoReader {
    /// The payload of a length-delimited field as UTF-8 text (invalid sequences become U+FFFD).
    public func string(_ field: WireField) -> String {
        guard let start = base.baseAddress, !field.payload.isEmpty else { return "" }
        let bytes = UnsafeBufferPointer(
            start: (start + field.payload.lowerBound).assumingMemoryBound(to: UInt8.self), count: field.payload.count)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The payload of a length-delimited field as raw bytes of the underlying buffer.
    public func bytes(_ field: WireField) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[field.payload])
    }
}
