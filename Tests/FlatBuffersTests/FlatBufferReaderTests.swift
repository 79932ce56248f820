import Testing

@testable import FlatBuffers

/// A hand-laid flatbuffer: root offset, a vtable, and a table with a u32 scalar (field 0), a string
/// (field 1) and a vector of i32 (field 2).
func sampleBuffer() -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 64)
    func put32(_ v: UInt32, _ at: Int) { for i in 0..<4 { b[at + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) } }
    func put16(_ v: UInt16, _ at: Int) { b[at] = UInt8(v & 0xFF); b[at + 1] = UInt8(v >> 8) }
    put32(20, 0)  // root table at 20
    b[4...7] = [0x54, 0x45, 0x53, 0x54]  // "TEST"
    // vtable at 8: length 10, table length 16, fields at +4, +8, +12
    put16(10, 8); put16(16, 10); put16(4, 12); put16(8, 14); put16(12, 16)
    put32(UInt32(bitPattern: Int32(20 - 8)), 20)  // soffset to vtable
    put32(42, 24)  // field 0
    put32(36 - 28, 28)  // field 1: string at 36
    put32(44 - 32, 32)  // field 2: vector at 44
    put32(2, 36); b[40] = UInt8(ascii: "h"); b[41] = UInt8(ascii: "i")
    put32(3, 44); put32(7, 48); put32(UInt32(bitPattern: -1), 52); put32(9, 56)
    return b
}

func root(_ b: [UInt8], _ body: (Table) throws -> Void) throws {
    try b.withUnsafeBytes { buf in try body(try FlatBuffer(buf).rootTable()) }
}

@Test func scalarsStringsAndVectorsReadFromAVerifiedTable() throws {
    try root(sampleBuffer()) { t in
        #expect(try t.scalar(0, default: UInt32(0)) == 42)
        #expect(try t.string(1) == "hi")
        let v = try #require(try t.vector(2, elementSize: 4))
        #expect(try v.scalars(as: Int32.self) == [7, -1, 9])
        #expect(try t.scalar(5, default: Int32(-3)) == -3)  // absent fields take their default
    }
    sampleBuffer().withUnsafeBytes { #expect(FlatBuffer($0).fileIdentifier == "TEST") }
}

@Test func anOffsetPastTheBufferIsRefused() throws {
    var b = sampleBuffer()
    b[28] = 0xFF; b[29] = 0xFF
    try root(b) { t in #expect(throws: FlatBufferError.self) { try t.string(1) } }
}

@Test func aVectorCountLargerThanTheBufferIsRefused() throws {
    var b = sampleBuffer()
    b[44...47] = [0xFF, 0xFF, 0xFF, 0xFF]
    try root(b) { t in #expect(throws: FlatBufferError.self) { try t.vector(2, elementSize: 4) } }
}

@Test func aVtableOutsideTheBufferIsRefused() {
    var b = sampleBuffer()
    b[20...23] = [0x00, 0x00, 0x00, 0x80]
    #expect(throws: FlatBufferError.self) { try root(b) { _ in } }
}

@Test func aFieldOffsetOutsideItsTableIsRefused() throws {
    var b = sampleBuffer()
    b[12] = 200  // field 0 at +200 in a 16-byte table
    try root(b) { t in #expect(throws: FlatBufferError.self) { try t.scalar(0, default: UInt32(0)) } }
}

@Test func anOffsetToItselfDoesNotLoop() throws {
    var b = sampleBuffer()
    b[28...31] = [0, 0, 0, 0]  // the string offset points at itself: read as a (bogus) string, not followed again
    try root(b) { t in
        #expect((try? t.string(1)) == "")
    }
}

@Test func aTruncatedBufferIsRefusedAtEveryLength() {
    let b = sampleBuffer()
    for n in 0..<b.count {
        let prefix = Array(b[0..<n])
        _ = try? prefix.withUnsafeBytes { buf in
            let t = try FlatBuffer(buf).rootTable()
            _ = try t.string(1)
            _ = try t.vector(2, elementSize: 4)?.scalars(as: Int32.self)
        }
    }
}
