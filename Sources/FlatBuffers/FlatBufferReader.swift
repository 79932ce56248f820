/// A verifying reader of FlatBuffers binaries in place. Every offset, vtable and vector is checked against
/// the buffer before it is followed, so a hostile file yields a `FlatBufferError`, never a bad read.
/// Loads are unaligned: a file's buffer need not be aligned and a hostile one may misalign anything.
public struct FlatBufferError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }
    public var description: String { "\(message) at byte \(offset)" }
}

public struct FlatBuffer {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The four-byte file identifier after the root offset, if the buffer is long enough.
    public var fileIdentifier: String? {
        guard bytes.count >= 8 else { return nil }
        return String(decoding: bytes[4..<8], as: UTF8.self)
    }

    public func rootTable() throws(FlatBufferError) -> Table {
        let offset = try uoffset(at: 0)
        return try table(at: offset)
    }

    func load<T: FixedWidthInteger>(_: T.Type, at position: Int) throws(FlatBufferError) -> T {
        guard position >= 0, position <= bytes.count - MemoryLayout<T>.size else {
            throw FlatBufferError(offset: position, message: "read of \(MemoryLayout<T>.size) bytes past the end of the buffer")
        }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// Follows the unsigned offset stored at `position` and returns the absolute target.
    func uoffset(at position: Int) throws(FlatBufferError) -> Int {
        let rel = try load(UInt32.self, at: position)
        let target = position + Int(rel)
        guard target < bytes.count else {
            throw FlatBufferError(offset: position, message: "offset \(rel) points past the end of the buffer")
        }
        return target
    }

    func table(at position: Int) throws(FlatBufferError) -> Table {
        let soffset = Int(try load(Int32.self, at: position))
        let vtable = position - soffset
        guard vtable >= 0, vtable <= bytes.count - 4 else {
            throw FlatBufferError(offset: position, message: "table's vtable offset \(soffset) leaves the buffer")
        }
        let vtableLength = Int(try load(UInt16.self, at: vtable))
        let tableLength = Int(try load(UInt16.self, at: vtable + 2))
        guard vtableLength >= 4, vtableLength % 2 == 0, vtable + vtableLength <= bytes.count else {
            throw FlatBufferError(offset: vtable, message: "invalid vtable length \(vtableLength)")
        }
        guard tableLength >= 4, position + tableLength <= bytes.count else {
            throw FlatBufferError(offset: vtable, message: "invalid table length \(tableLength)")
        }
        return Table(buffer: self, position: position, vtable: vtable, vtableLength: vtableLength, tableLength: tableLength)
    }
}

public struct Table {
    public let buffer: FlatBuffer
    public let position: Int
    let vtable: Int
    let vtableLength: Int
    let tableLength: Int

    /// The absolute position of field `id` if present, checked to hold `size` bytes inside the table.
    func fieldPosition(_ id: Int, size: Int) throws(FlatBufferError) -> Int? {
        let entry = 4 + 2 * id
        guard entry + 2 <= vtableLength else { return nil }
        let rel = Int(try buffer.load(UInt16.self, at: vtable + entry))
        if rel == 0 { return nil }
        guard rel >= 4, rel + size <= tableLength else {
            throw FlatBufferError(offset: vtable + entry, message: "field \(id) lies outside its table")
        }
        return position + rel
    }

    /// How many field ids the vtable describes (present or not); ids from here on are absent.
    public var fieldCount: Int { (vtableLength - 4) / 2 }

    /// The `size` bytes of field `id` as stored (little-endian), or nil when absent.
    public func rawField(_ id: Int, size: Int) throws(FlatBufferError) -> [UInt8]? {
        guard let p = try fieldPosition(id, size: size) else { return nil }
        return Array(buffer.bytes[p..<(p + size)])
    }

    public func has(_ id: Int) -> Bool {
        let entry = 4 + 2 * id
        guard entry + 2 <= vtableLength, let rel = try? buffer.load(UInt16.self, at: vtable + entry) else { return false }
        return rel != 0
    }

    public func scalar<T: FixedWidthInteger>(_ id: Int, default value: T) throws(FlatBufferError) -> T {
        guard let p = try fieldPosition(id, size: MemoryLayout<T>.size) else { return value }
        return try buffer.load(T.self, at: p)
    }

    public func float32(_ id: Int, default value: Float) throws(FlatBufferError) -> Float {
        Float(bitPattern: try scalar(id, default: value.bitPattern))
    }

    public func table(_ id: Int) throws(FlatBufferError) -> Table? {
        guard let p = try fieldPosition(id, size: 4) else { return nil }
        return try buffer.table(at: try buffer.uoffset(at: p))
    }

    public func string(_ id: Int) throws(FlatBufferError) -> String? {
        guard let p = try fieldPosition(id, size: 4) else { return nil }
        return try buffer.string(at: try buffer.uoffset(at: p))
    }

    /// A vector of elements `elementSize` bytes wide (4 for tables and strings, whose slots are offsets).
    public func vector(_ id: Int, elementSize: Int) throws(FlatBufferError) -> Vector? {
        guard let p = try fieldPosition(id, size: 4) else { return nil }
        return try buffer.vector(at: try buffer.uoffset(at: p), elementSize: elementSize)
    }
}

public struct Vector {
    public let buffer: FlatBuffer
    /// Absolute position of the first element.
    public let start: Int
    public let count: Int
    public let elementSize: Int

    public var byteRange: Range<Int> { start..<(start + count * elementSize) }

    /// The elements' bytes in place (checked against the buffer when the vector was read).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer.bytes[byteRange]) }

    public func scalar<T: FixedWidthInteger>(_ index: Int, as: T.Type = T.self) throws(FlatBufferError) -> T {
        guard index >= 0, index < count, MemoryLayout<T>.size <= elementSize else {
            throw FlatBufferError(offset: start, message: "vector index \(index) out of range 0..<\(count)")
        }
        return try buffer.load(T.self, at: start + index * elementSize)
    }

    public func float32(_ index: Int) throws(FlatBufferError) -> Float {
        Float(bitPattern: try scalar(index, as: UInt32.self))
    }

    public func table(_ index: Int) throws(FlatBufferError) -> Table {
        guard index >= 0, index < count else {
            throw FlatBufferError(offset: start, message: "vector index \(index) out of range 0..<\(count)")
        }
        return try buffer.table(at: try buffer.uoffset(at: start + index * 4))
    }

    public func string(_ index: Int) throws(FlatBufferError) -> String {
        guard index >= 0, index < count else {
            throw FlatBufferError(offset: start, message: "vector index \(index) out of range 0..<\(count)")
        }
        return try buffer.string(at: try buffer.uoffset(at: start + index * 4))
    }

    /// The bytes of the string at `index` (a vector of strings), as stored, without decoding.
    public func stringBytes(_ index: Int) throws(FlatBufferError) -> UnsafeRawBufferPointer {
        guard index >= 0, index < count else {
            throw FlatBufferError(offset: start, message: "vector index \(index) out of range 0..<\(count)")
        }
        return try buffer.vector(at: try buffer.uoffset(at: start + index * 4), elementSize: 1).bytes
    }

    public func scalars<T: FixedWidthInteger>(as: T.Type = T.self) throws(FlatBufferError) -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for i in 0..<count { out.append(try scalar(i, as: T.self)) }
        return out
    }
}

extension FlatBuffer {
    func vector(at position: Int, elementSize: Int) throws(FlatBufferError) -> Vector {
        let count = Int(try load(UInt32.self, at: position))
        let start = position + 4
        // The count is bounded by the bytes that remain, so no caller can be made to loop past the buffer.
        guard elementSize > 0, count <= (bytes.count - start) / elementSize else {
            throw FlatBufferError(offset: position, message: "vector of \(count) elements runs past the end of the buffer")
        }
        return Vector(buffer: self, start: start, count: count, elementSize: elementSize)
    }

    func string(at position: Int) throws(FlatBufferError) -> String {
        let v = try vector(at: position, elementSize: 1)
        return String(decoding: bytes[v.byteRange], as: UTF8.self)
    }
}
