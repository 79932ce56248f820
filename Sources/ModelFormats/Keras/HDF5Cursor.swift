/// Why the HDF5 guard refuses an image: the byte where the structure (or the field pointing at it) lies, what
/// the structure is, and what is wrong with it. `HDF5Image` turns it into the file's `ModelError`.
struct HDF5Refusal: Error, Equatable, CustomStringConvertible {
    var offset: Int
    var structure: String
    var reason: String

    var description: String { "\(structure) at byte \(offset): \(reason)" }
}

/// The sizes a superblock fixes for the whole file (HDF5 File Format Specification Version 3.0, II.A: "Size of
/// Offsets" and "Size of Lengths"): every address and every length field is that wide.
struct HDF5Sizes: Equatable {
    var offset: Int
    var length: Int
}

/// Little-endian reads inside one structure's bytes of the image, each checked against the structure's end
/// first: a field that would run past it refuses the image at the field's byte.
struct HDF5Cursor {
    let b: UnsafeRawBufferPointer
    let structure: String
    let start: Int
    let end: Int
    let sizes: HDF5Sizes
    var at: Int

    init(_ b: UnsafeRawBufferPointer, _ range: Range<Int>, _ structure: String, sizes: HDF5Sizes) {
        self.b = b
        self.structure = structure
        start = range.lowerBound
        end = range.upperBound
        at = range.lowerBound
        self.sizes = sizes
    }

    var remaining: Int { end - at }

    func refusal(_ reason: String, at offset: Int? = nil) -> HDF5Refusal {
        HDF5Refusal(offset: offset ?? start, structure: structure, reason: reason)
    }

    func need(_ count: Int) throws(HDF5Refusal) {
        guard count >= 0, count <= end - at else {
            throw refusal("its fields run past its end at byte \(end) (\(count) bytes needed at byte \(at))", at: at)
        }
    }

    mutating func skip(_ count: Int) throws(HDF5Refusal) {
        try need(count)
        at += count
    }

    /// The next `count` bytes, as a range of the image.
    mutating func bytes(_ count: Int) throws(HDF5Refusal) -> Range<Int> {
        try need(count)
        defer { at += count }
        return at..<(at + count)
    }

    mutating func u8() throws(HDF5Refusal) -> Int { Int(try uint(1)) }
    mutating func u16() throws(HDF5Refusal) -> Int { Int(try uint(2)) }
    mutating func u32() throws(HDF5Refusal) -> Int { Int(try uint(4)) }

    /// An unsigned little-endian integer of 0…8 bytes (a wider field, whose width a file gave, is refused).
    mutating func uint(_ width: Int) throws(HDF5Refusal) -> UInt64 {
        guard (0...8).contains(width) else { throw refusal("a field of \(width) bytes (at most 8 are read)") }
        try need(width)
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(b[at + i]) << (8 * UInt64(i)) }
        at += width
        return v
    }

    /// An address field ("Size of Offsets" bytes); nil for the undefined address (every bit set).
    mutating func address() throws(HDF5Refusal) -> UInt64? {
        let v = try uint(sizes.offset)
        return v == HDF5Cursor.allOnes(sizes.offset) ? nil : v
    }

    /// A length field ("Size of Lengths" bytes).
    mutating func length() throws(HDF5Refusal) -> UInt64 { try uint(sizes.length) }

    static func allOnes(_ width: Int) -> UInt64 { width >= 8 ? .max : (UInt64(1) << (8 * UInt64(width))) - 1 }
}
