import Testing

@testable import FlatBuffers

typealias B = FlatBufferBuilder

func built(_ root: B.TableNode, id: String? = "TEST") throws -> [UInt8] {
    try B.serialize(root: root, fileIdentifier: id)
}

@Suite("FlatBufferBuilder: what it writes reads back through the verifying reader")
struct FlatBufferBuilderTests {
    @Test("scalars of every width, strings, vectors and nested tables round-trip; absent fields read as defaults")
    func roundTrip() throws {
        let child = B.TableNode([0: .int(Int16(-7)), 1: .offset(.string("inner"))])
        let root = B.TableNode([
            0: .int(UInt8(200)), 1: .bool(true), 2: .int(Int16(-300)), 3: .int(UInt32(4_000_000_000)),
            4: .int(Int64(-1 << 40)), 5: .float32(1.5),
            6: .offset(.string("héllo")),
            7: .offset(.int32s([1, -2, 3])),
            8: .offset(.table(child)),
            9: .offset(.offsets([.table(child), .table(B.TableNode([0: .int(Int16(9))]))])),
            10: .offset(.offsets([.string("a"), .string("bc")])),
            12: .offset(.int64s([Int64.min, 5])),
        ])
        let bytes = try built(root)
        try bytes.withUnsafeBytes { raw in
            let fb = FlatBuffer(raw)
            #expect(fb.fileIdentifier == "TEST")
            let t = try fb.rootTable()
            #expect(try t.scalar(0, default: UInt8(0)) == 200)
            #expect(try t.scalar(1, default: UInt8(0)) == 1)
            #expect(try t.scalar(2, default: Int16(0)) == -300)
            #expect(try t.scalar(3, default: UInt32(0)) == 4_000_000_000)
            #expect(try t.scalar(4, default: Int64(0)) == -1 << 40)
            #expect(try t.float32(5, default: 0) == 1.5)
            #expect(try t.string(6) == "héllo")
            #expect(try t.vector(7, elementSize: 4)?.scalars(as: Int32.self) == [1, -2, 3])
            let c = try #require(try t.table(8))
            #expect(try c.scalar(0, default: Int16(0)) == -7)
            #expect(try c.string(1) == "inner")
            let v = try #require(try t.vector(9, elementSize: 4))
            #expect(v.count == 2)
            #expect(try v.table(1).scalar(0, default: Int16(0)) == 9)
            #expect(try v.table(1).string(1) == nil)
            let s = try #require(try t.vector(10, elementSize: 4))
            #expect(try [s.string(0), s.string(1)] == ["a", "bc"])
            #expect(!t.has(11))
            #expect(try t.scalar(11, default: Int32(42)) == 42)
            #expect(try t.vector(12, elementSize: 8)?.scalars(as: Int64.self) == [Int64.min, 5])
        }
    }

    @Test("8-byte scalars and vectors land on their alignment; a vector may ask for 16")
    func alignment() throws {
        for padding in 0..<4 {
            // A string of varying length before the table shifts everything after it.
            var fields: [Int: B.Field] = [0: .offset(.string(String(repeating: "x", count: padding)))]
            fields[1] = .offset(.table(B.TableNode([0: .int(UInt8(1)), 1: .int(UInt64(7)), 2: .int(UInt32(3))])))
            fields[2] = .offset(.scalars(.array([1, 2, 3]), elementSize: 1, alignment: 16))
            let bytes = try built(B.TableNode(fields))
            try bytes.withUnsafeBytes { raw in
                let t = try FlatBuffer(raw).rootTable()
                let inner = try #require(try t.table(1))
                let p = try #require(try inner.fieldPosition(1, size: 8))
                #expect(p % 8 == 0)
                #expect(try inner.scalar(1, default: UInt64(0)) == 7)
                let v = try #require(try t.vector(2, elementSize: 1))
                #expect(v.start % 16 == 0)
                #expect(Array(v.bytes) == [1, 2, 3])
            }
        }
    }

    @Test("tables of the same shape share one vtable")
    func vtableDedup() throws {
        let one = try built(B.TableNode([0: .offset(.offsets([.table(B.TableNode([0: .int(Int32(1))]))]))]))
        let many = try built(B.TableNode([0: .offset(.offsets((0..<10).map { .table(B.TableNode([0: .int(Int32($0))])) }))]))
        // Each further table costs its 8 bytes and a 4-byte slot, not another 6-byte vtable.
        #expect(many.count - one.count == 9 * 12)
        try many.withUnsafeBytes { raw in
            let v = try #require(try FlatBuffer(raw).rootTable().vector(0, elementSize: 4))
            #expect(try (0..<10).map { try v.table($0).scalar(0, default: Int32(-1)) } == Array(0..<10))
        }
    }

    @Test("a file identifier must have four bytes")
    func identifier() {
        #expect(throws: B.Failure.self) { try built(B.TableNode(), id: "TOOLONG") }
    }
}
