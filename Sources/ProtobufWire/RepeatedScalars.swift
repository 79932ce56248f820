/// Repeated scalar fields arrive either packed (one length-delimited field) or one field per value, and a
/// parser must accept both (proto2 files such as ONNX mix them: `dims` unpacked, `float_data` packed).
public enum ScalarEncoding: Sendable {
    case varint, fixed32, fixed64

    var width: Int? {
        switch self {
        case .varint: return nil
        case .fixed32: return 4
        case .fixed64: return 8
        }
    }
}

extension ProtoReader {
    /// How many values one occurrence of a repeated scalar field holds, without decoding them when fixed-width.
    public func valueCount(of field: WireField, as encoding: ScalarEncoding) throws(WireError) -> Int {
        guard field.wireType == .lengthDelimited else {
            try checkScalar(field, encoding)
            return 1
        }
        if let width = encoding.width {
            guard field.payload.count % width == 0 else {
                throw WireError(
                    offset: field.start,
                    message: "packed field \(field.number) has \(field.payload.count) bytes, not a multiple of \(width)")
            }
            return field.payload.count / width
        }
        // Each varint ends with the one byte whose high bit is clear.
        var n = 0
        for i in field.payload where base[i] & 0x80 == 0 { n += 1 }
        if let last = field.payload.last, base[last] & 0x80 != 0 {
            throw WireError(offset: last, message: "truncated varint in packed field \(field.number)")
        }
        return n
    }

    /// Calls `body` with each value of one occurrence of a repeated scalar field (fixed32 values in the low bits).
    public func forEachValue(
        of field: WireField, as encoding: ScalarEncoding, _ body: (UInt64) throws(WireError) -> Void
    ) throws(WireError) {
        guard field.wireType == .lengthDelimited else {
            try checkScalar(field, encoding)
            try body(field.scalar)
            return
        }
        var inner = ProtoReader(base, range: field.payload)
        switch encoding {
        case .varint:
            while !inner.isAtEnd { try body(try inner.readVarint()) }
        case .fixed32, .fixed64:
            let width = encoding.width ?? 4
            guard field.payload.count % width == 0 else {
                throw WireError(offset: field.start, message: "packed field \(field.number) is not a multiple of \(width)")
            }
            while !inner.isAtEnd { try body(try inner.readFixed(width)) }
        }
    }

    private func checkScalar(_ field: WireField, _ encoding: ScalarEncoding) throws(WireError) {
        let expected: WireType
        switch encoding {
        case .varint: expected = .varint
        case .fixed32: expected = .fixed32
        case .fixed64: expected = .fixed64
        }
        guard field.wireType == expected else {
            throw WireError(offset: field.start, message: "field \(field.number) has wire type \(field.wireType), expected \(expected)")
        }
    }
}
