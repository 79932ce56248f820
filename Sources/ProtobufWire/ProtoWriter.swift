/// Protobuf wire-format output for rewriting a message while copying everything it does not change.
///
/// A `WireOutput` is a list of pieces: byte ranges of the source buffer (copied when written, so a 1 GB
/// `raw_data` that stays as it is never passes through memory twice) and new bytes. Its `count` is known
/// without materialising it, which is what an enclosing length prefix needs.
public struct WireOutput: Sendable {
    public enum Piece: Sendable, Equatable {
        /// A range of the source buffer the output is written against.
        case source(Range<Int>)
        case bytes([UInt8])
    }

    public private(set) var pieces: [Piece] = []
    public private(set) var count = 0

    public init() {}

    /// Appends bytes of the source, merging with a directly preceding source range.
    public mutating func copy(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        count += range.count
        if case .source(let last)? = pieces.last, last.upperBound == range.lowerBound {
            pieces[pieces.count - 1] = .source(last.lowerBound..<range.upperBound)
        } else {
            pieces.append(.source(range))
        }
    }

    public mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        count += bytes.count
        // Small pieces merge; a large one is kept as it is (arrays share storage, so a tensor's bytes are not
        // copied again at each enclosing message).
        if bytes.count < 4096, case .bytes(var last)? = pieces.last, last.count < 4096 {
            last.append(contentsOf: bytes)
            pieces[pieces.count - 1] = .bytes(last)
        } else {
            pieces.append(.bytes(bytes))
        }
    }

    public mutating func append(_ other: WireOutput) {
        for p in other.pieces {
            switch p {
            case .source(let r): copy(r)
            case .bytes(let b): append(b)
            }
        }
    }

    // MARK: Fields

    public mutating func varintField(_ number: Int, _ value: UInt64) {
        append(ProtoEncoding.tag(number, .varint) + ProtoEncoding.varint(value))
    }

    public mutating func int64Field(_ number: Int, _ value: Int64) {
        varintField(number, UInt64(bitPattern: value))
    }

    public mutating func bytesField(_ number: Int, _ payload: [UInt8]) {
        append(ProtoEncoding.tag(number, .lengthDelimited) + ProtoEncoding.varint(UInt64(payload.count)))
        append(payload)
    }

    public mutating func stringField(_ number: Int, _ value: String) {
        bytesField(number, Array(value.utf8))
    }

    public mutating func floatField(_ number: Int, _ value: Float) {
        append(ProtoEncoding.tag(number, .fixed32) + ProtoEncoding.fixed32(value.bitPattern))
    }

    /// An embedded message (or bytes) whose payload is itself a rope.
    public mutating func messageField(_ number: Int, _ payload: WireOutput) {
        append(ProtoEncoding.tag(number, .lengthDelimited) + ProtoEncoding.varint(UInt64(payload.count)))
        append(payload)
    }

    /// A length-delimited field whose payload is a range of the source, copied as it is.
    public mutating func sourceField(_ number: Int, _ payload: Range<Int>) {
        append(ProtoEncoding.tag(number, .lengthDelimited) + ProtoEncoding.varint(UInt64(payload.count)))
        copy(payload)
    }

    /// The whole output as bytes (tests and small messages).
    public func materialize(source: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for p in pieces {
            switch p {
            case .source(let r):
                let lo = max(0, min(r.lowerBound, source.count)), hi = max(lo, min(r.upperBound, source.count))
                out.append(contentsOf: source[lo..<hi])
            case .bytes(let b): out.append(contentsOf: b)
            }
        }
        return out
    }
}

/// Encodings of single wire-format items.
public enum ProtoEncoding {
    public static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    public static func tag(_ number: Int, _ type: WireType) -> [UInt8] {
        varint(UInt64(number) << 3 | UInt64(type.rawValue))
    }

    public static func fixed32(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
         UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
    }
}
