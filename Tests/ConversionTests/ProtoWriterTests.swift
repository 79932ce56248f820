import ProtobufWire
import Testing

@Suite("Protobuf writer")
struct ProtoWriterTests {
    @Test("varints encode 7 bits a byte, low group first")
    func varints() {
        #expect(ProtoEncoding.varint(0) == [0])
        #expect(ProtoEncoding.varint(150) == [0x96, 0x01])
        #expect(ProtoEncoding.varint(UInt64.max).count == 10)
    }

    @Test("a rewritten message reads back: copied ranges and new fields, lengths from the rope")
    func roundTrip() throws {
        var inner = WireOutput()
        inner.stringField(1, "w")
        inner.int64Field(2, -1)
        var outer = WireOutput()
        outer.messageField(7, inner)
        outer.floatField(3, 1.5)
        let bytes = outer.materialize(source: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(bytes.count == outer.count)
        try bytes.withUnsafeBytes { raw in
            var r = ProtoReader(raw)
            let f = try #require(try r.next())
            #expect(f.number == 7)
            var m = r.message(f)
            #expect(m.string(try #require(try m.next())) == "w")
            #expect(try #require(try m.next()).int64 == -1)
            #expect(try #require(try r.next()).float == 1.5)
        }
    }

    @Test("adjacent copies of the source merge into one piece")
    func copiesMerge() {
        var out = WireOutput()
        out.copy(0..<4)
        out.copy(4..<9)
        #expect(out.pieces == [.source(0..<9)])
        #expect(out.count == 9)
    }
}
