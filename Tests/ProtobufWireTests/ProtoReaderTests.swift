import Testing

@testable import ProtobufWire

/// Encodes a varint, for building wire bytes by hand.
func varint(_ v: UInt64) -> [UInt8] {
    var v = v
    var out: [UInt8] = []
    repeat {
        var b = UInt8(v & 0x7F)
        v >>= 7
        if v != 0 { b |= 0x80 }
        out.append(b)
    } while v != 0
    return out
}

func tag(_ field: Int, _ type: UInt8) -> [UInt8] { varint(UInt64(field << 3) | UInt64(type)) }
func bytesField(_ field: Int, _ payload: [UInt8]) -> [UInt8] { tag(field, 2) + varint(UInt64(payload.count)) + payload }

func fields(_ bytes: [UInt8]) throws -> [WireField] {
    try bytes.withUnsafeBytes { buf in
        var r = ProtoReader(buf)
        var out: [WireField] = []
        while let f = try r.next() { out.append(f) }
        return out
    }
}

@Test func varintsDecodeUpToSixtyFourBits() throws {
    for v: UInt64 in [0, 1, 127, 128, 300, 1 << 35, UInt64.max] {
        let f = try fields(tag(1, 0) + varint(v))
        #expect(f.count == 1 && f[0].scalar == v)
    }
}

@Test func fixedWidthFieldsAreLittleEndian() throws {
    let f = try fields(tag(2, 5) + [0x00, 0x00, 0x80, 0x3F] + tag(3, 1) + [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
    #expect(f[0].float == 1.0)
    #expect(f[1].double == 1.0)
}

@Test func lengthDelimitedFieldsAreRangesOfTheBufferNotCopies() throws {
    let bytes = bytesField(9, [1, 2, 3, 4]) + tag(1, 0) + [5]
    let f = try fields(bytes)
    #expect(f[0].payload == 2..<6)
    #expect(f[1].scalar == 5)
}

@Test func aLengthPastTheEnclosingMessageIsRefused() {
    let bytes = tag(9, 2) + varint(1000) + [1, 2, 3]
    #expect(throws: WireError.self) { try fields(bytes) }
}

@Test func lengthsNearTwoToTheSixtyFourAreRefusedWithoutOverflow() {
    #expect(throws: WireError.self) { try fields(tag(9, 2) + varint(UInt64.max)) }
    #expect(throws: WireError.self) { try fields(tag(9, 2) + varint(UInt64(Int.max))) }
}

@Test func overlongAndTruncatedVarintsAreRefused() {
    #expect(throws: WireError.self) { try fields(tag(1, 0) + [UInt8](repeating: 0xFF, count: 11)) }
    #expect(throws: WireError.self) { try fields(tag(1, 0) + [0xFF, 0xFF]) }
    #expect(throws: WireError.self) { try fields(tag(1, 5) + [1, 2]) }
}

@Test func groupsAndInvalidWireTypesAndFieldZeroAreRefused() {
    #expect(throws: WireError.self) { try fields(tag(1, 3)) }
    #expect(throws: WireError.self) { try fields(tag(1, 7)) }
    #expect(throws: WireError.self) { try fields([0x00]) }
}

@Test func repeatedScalarsReadPackedAndUnpackedAlike() throws {
    let packed = bytesField(1, varint(3) + varint(300) + varint(5))
    let unpacked = tag(1, 0) + varint(3) + tag(1, 0) + varint(300) + tag(1, 0) + varint(5)
    for bytes in [packed, unpacked] {
        var values: [UInt64] = []
        var count = 0
        try bytes.withUnsafeBytes { buf in
            var r = ProtoReader(buf)
            while let f = try r.next() {
                count += try r.valueCount(of: f, as: .varint)
                try r.forEachValue(of: f, as: .varint) { values.append($0) }
            }
        }
        #expect(values == [3, 300, 5])
        #expect(count == 3)
    }
}

@Test func packedFixedWidthCountsComeFromTheLength() throws {
    let bytes = bytesField(4, [UInt8](repeating: 0, count: 12))
    try bytes.withUnsafeBytes { buf in
        var r = ProtoReader(buf)
        let f = try #require(try r.next())
        #expect(try r.valueCount(of: f, as: .fixed32) == 3)
        #expect(throws: WireError.self) { try r.valueCount(of: f, as: .fixed64) }
    }
}

@Test func aNestedMessageIsReadWithinItsParentsRange() throws {
    let inner = bytesField(2, Array("conv".utf8))
    let bytes = bytesField(7, inner) + tag(1, 0) + [9]
    try bytes.withUnsafeBytes { buf in
        var r = ProtoReader(buf)
        let outer = try #require(try r.next())
        var m = r.message(outer)
        let f = try #require(try m.next())
        #expect(m.string(f) == "conv")
        #expect(try m.next() == nil)
    }
}
