/// The entries of a zip archive as its central directory lists them, every offset and size checked against
/// the file, and where each stored entry's bytes lie. Nothing is extracted or written: archives are read in
/// place, so entry names (`../x`, absolute paths) are only compared, never used as paths.
struct ZipEntry: Equatable {
    var name: String
    /// 0 stored, 8 deflated...
    var method: Int
    var compressedSize: Int
    var size: Int
    /// The entry's data in the archive (after its local header), checked to lie inside the file.
    var data: Range<Int>
}

enum ZipEntries {
    static let maxEntries = 100_000

    static func read(_ b: UnsafeRawBufferPointer, path: String) throws(ModelError) -> [ZipEntry] {
        func bad(_ m: String) -> ModelError { ModelError(.malformed, file: path, field: "zip", m) }
        guard b.count >= 22 else { throw bad("is shorter than a zip's end record (22 bytes)") }
        var eocd = -1
        var i = b.count - 22
        let floor = max(0, b.count - 22 - 65_535)
        while i >= floor {
            if b[i] == 0x50, b[i + 1] == 0x4B, b[i + 2] == 0x05, b[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw bad("has no end-of-central-directory record (truncated?)") }
        var count = Int(u16(b, eocd + 10))
        var directory = Int(u32(b, eocd + 16))
        // Zip64: the end record's fields are saturated and the real ones sit in the zip64 end record.
        if count == 0xFFFF || directory == 0xFFFF_FFFF {
            guard eocd >= 20, b.count >= 56, u32(b, eocd - 20) == 0x0706_4B50 else { throw bad("has saturated sizes but no zip64 locator") }
            let record64 = u64(b, eocd - 12)
            guard record64 <= UInt64(b.count - 56), u32(b, Int(record64)) == 0x0606_4B50 else { throw bad("zip64 end record lies outside the file") }
            let r = Int(record64)
            guard u64(b, r + 32) <= UInt64(maxEntries), u64(b, r + 48) <= UInt64(b.count) else { throw bad("zip64 end record has impossible sizes") }
            count = Int(u64(b, r + 32))
            directory = Int(u64(b, r + 48))
        }
        guard count <= maxEntries else { throw bad("lists \(count) entries, over \(maxEntries)") }
        var entries: [ZipEntry] = []
        var p = directory
        for n in 0..<count {
            guard p >= 0, p <= b.count - 46, u32(b, p) == 0x0201_4B50 else {
                throw bad("central directory entry \(n) at offset \(p) is missing or lies outside the file")
            }
            let method = Int(u16(b, p + 10))
            var compressed = UInt64(u32(b, p + 20))
            var size = UInt64(u32(b, p + 24))
            let nameLength = Int(u16(b, p + 28))
            let extraLength = Int(u16(b, p + 30))
            let commentLength = Int(u16(b, p + 32))
            var local = UInt64(u32(b, p + 42))
            let end = p + 46 + nameLength + extraLength + commentLength
            guard end <= b.count else { throw bad("central directory entry \(n) runs past the end of the file") }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            // Zip64 extra field (id 1): the saturated values, in order size, compressed size, local offset.
            var e = p + 46 + nameLength
            while e + 4 <= p + 46 + nameLength + extraLength {
                let id = u16(b, e)
                let length = Int(u16(b, e + 2))
                guard e + 4 + length <= p + 46 + nameLength + extraLength else { break }
                if id == 1 {
                    var q = e + 4
                    func next() -> UInt64? {
                        guard q + 8 <= e + 4 + length else { return nil }
                        defer { q += 8 }
                        return u64(b, q)
                    }
                    if size == 0xFFFF_FFFF, let v = next() { size = v }
                    if compressed == 0xFFFF_FFFF, let v = next() { compressed = v }
                    if local == 0xFFFF_FFFF, let v = next() { local = v }
                }
                e += 4 + length
            }
            guard local <= UInt64(b.count - 30), compressed <= UInt64(b.count), size <= UInt64(Int.max) else {
                throw bad("entry '\(name)' claims sizes or an offset past the end of the file (\(b.count) bytes)")
            }
            let l = Int(local)
            guard u32(b, l) == 0x0403_4B50 else { throw bad("entry '\(name)' has no local header at offset \(l)") }
            let start = l + 30 + Int(u16(b, l + 26)) + Int(u16(b, l + 28))
            guard start <= b.count, Int(compressed) <= b.count - start else {
                throw bad("entry '\(name)': \(compressed) bytes at offset \(start) run past the end of the file (\(b.count) bytes)")
            }
            entries.append(ZipEntry(name: name, method: method, compressedSize: Int(compressed), size: Int(size),
                                    data: start..<(start + Int(compressed))))
            p = end
        }
        return entries
    }

    static func u16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }
    static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
    static func u64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
}
