import CLibHDF5

/// Checks libhdf5 1.10 does not make before it trusts a structure, done here first on the image's bytes.
///
/// A global heap collection (`GCOL`, where variable-length strings such as `model_config` live) is walked by
/// `H5HG__cache_heap_deserialize` object by object, advancing by each object's size; a free-space object of
/// size 0 advances by nothing and the walk never ends (found by fuzz-keras:
/// Tests/Fixtures/fuzz/keras/timeout-8177b470b8b651b6), and an oversized one points objects past the
/// collection. Every `GCOL` signature of the image whose header is a plausible collection is walked the same
/// way here, and an image where a walk would not end inside its collection is refused.
enum HDF5Guard {
    static let signature: [UInt8] = Array("GCOL".utf8)

    /// nil when every collection walks to its end; else the offset of the collection that does not.
    /// `skipping`: byte ranges known to be dataset storage (weights), sorted; they are not scanned, so the
    /// check touches the file's metadata, not its weights' pages.
    static func brokenGlobalHeap(_ b: UnsafeRawBufferPointer, skipping: [Range<Int>] = []) -> Int? {
        guard b.count >= 16 else { return nil }
        var collections: [(start: Int, objects: [Int: Int])] = []
        if let at = scanCollections(b, skipping: skipping, into: &collections) { return at }
        return brokenReference(b, skipping: skipping, collections: collections)
    }

    /// Every plausible collection of the image, with its objects (index → size); the offset of the first whose
    /// walk would not end inside it.
    static func scanCollections(_ b: UnsafeRawBufferPointer, skipping: [Range<Int>],
                                into collections: inout [(start: Int, objects: [Int: Int])]) -> Int? {
        guard let base = b.baseAddress, b.count >= 16 else { return nil }
        for segment in unskipped(b.count, skipping: skipping) {
            // Search to the segment's end plus 3 bytes, for a signature that straddles the next skipped range.
            let limit = min(b.count, segment.upperBound + 3)
            var from = segment.lowerBound
            while from <= b.count - 16, limit - from >= 4 {
                let found = signature.withUnsafeBytes { sig in
                    slipway_memmem(base + from, limit - from, sig.baseAddress, 4)
                }
                guard let hit = found else { break }
                let at = UnsafeRawPointer(hit) - base
                from = at + 4
                guard at <= b.count - 16, b[at + 4] == 1 else { continue }
                let size = b.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian
                // libhdf5 writes collections of at least 4 KiB; a smaller one is not a collection it reads.
                guard size >= 4096, size <= UInt64(b.count - at) else { continue }
                guard let objects = walk(b, start: at, end: at + Int(size)) else { return at }
                collections.append((at, objects))
            }
        }
        return nil
    }

    /// A variable-length value points at its object as a heap ID: its length (u32), the collection's address
    /// (u64) and the object's index (u32). `H5HG_read` (1.10) takes the index on trust: an index that names no
    /// object of the collection reads through a null or out-of-range slot (found by fuzz-keras:
    /// Tests/Fixtures/fuzz/keras/crash-47bf91fc03e26dae). Every place the image holds a collection's address
    /// after a non-zero length that fits the collection is taken for a heap ID, and its index must name an
    /// object at least that long; one that names an object must fit it, whatever its length (libhdf5 allocates the
    /// length first). Nil when all do; else the offset of the first that does not. Only aligned
    /// places are taken (see below): a real Keras 2 file held an unaligned look-alike.
    static func brokenReference(_ b: UnsafeRawBufferPointer, skipping: [Range<Int>],
                                collections: [(start: Int, objects: [Int: Int])]) -> Int? {
        guard let base = b.baseAddress else { return nil }
        for c in collections {
            var address = UInt64(c.start).littleEndian
            let pattern = withUnsafeBytes(of: &address) { Array($0) }
            let size = c.objects.values.reduce(0, +)
            var from = 4
            while from <= b.count - 12 {
                let found = pattern.withUnsafeBytes { p in slipway_memmem(base + from, b.count - from, p.baseAddress, 8) }
                guard let hit = found else { break }
                let at = UnsafeRawPointer(hit) - base
                from = at + 1
                // Attribute data starts 8-byte aligned in the version-1 object headers h5py and Keras write: an
                // unaligned match is other metadata whose bytes happen to spell the address (a name's NUL padding
                // before 00 08 00 …, for a collection at 2048), which must not refuse a sound file.
                guard at >= 4, (at - 4) % 4 == 0, at <= b.count - 12, !skipping.contains(where: { $0.contains(at) }) else { continue }
                let length = Int(b.loadUnaligned(fromByteOffset: at - 4, as: UInt32.self).littleEndian)
                let index = Int(b.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self).littleEndian)
                guard length > 0 else { continue }
                if index > 0, let objectSize = c.objects[index] {
                    // A heap ID naming an object: libhdf5 allocates its length before it reads the object, so a
                    // length past the object is a lying one (3.7 GB in fuzz-keras: crash-493b8bd2839ddb21).
                    if length > objectSize { return at - 4 }
                    continue
                }
                guard length <= size else { continue }
                return at - 4
            }
        }
        return nil
    }

    /// A group's symbol table message (version-1 object header message type 0x11, 16 bytes: the B-tree's and the
    /// local heap's addresses) is followed by libhdf5 1.10 on the first lookup in the group; an address past the
    /// end of the image (undefined, or mutated high bytes) passes its overflow checks and it copies from a null
    /// buffer (SIGSEGV in H5F__accum_read; fuzz-keras: Tests/Fixtures/fuzz/keras/crash-63a88bc174e63677). Every
    /// such message of the image (type 0x0011, size 16, flags of the defined bits, reserved zero) must hold two
    /// addresses inside it. Nil when all do; else the offset of the first that does not. The whole image is
    /// scanned: it runs before libhdf5 may walk the groups that would tell where the weights are.
    static func brokenSymbolTable(_ b: UnsafeRawBufferPointer) -> Int? {
        guard let base = b.baseAddress, b.count >= 24 else { return nil }
        let header: [UInt8] = [0x11, 0x00, 0x10, 0x00]
        var from = 0
        while from <= b.count - 24 {
            let found = header.withUnsafeBytes { h in slipway_memmem(base + from, b.count - from, h.baseAddress, 4) }
            guard let hit = found else { break }
            let at = UnsafeRawPointer(hit) - base
            from = at + 1
            guard at <= b.count - 24, b[at + 4] & 0xe0 == 0, b[at + 5] == 0, b[at + 6] == 0, b[at + 7] == 0 else { continue }
            let tree = b.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian
            let heap = b.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self).littleEndian
            if tree >= UInt64(b.count) || heap >= UInt64(b.count) { return at }
        }
        return nil
    }

    /// A variable-length string's datatype (class 9, type string) encodes its base type, the character:
    /// 1 byte. libhdf5 1.10's conversion allocates each string's length times the base type's size, and
    /// zeroes it, before it reads the string, so a base mutated to 2^30 bytes costs gigabytes for a few short
    /// strings (fuzz-keras: Tests/Fixtures/fuzz/keras/oom-f079a2a89417f2e7). Every encoding of such a
    /// datatype in the image (version 1 to 3, a 16-byte disk element, a fixed-point base of versions 1 to 3)
    /// must have a 1-byte base. Nil when all do; else the offset of the first that does not. Dataset storage
    /// (`skipping`, sorted) is not scanned.
    static func brokenStringType(_ b: UnsafeRawBufferPointer, skipping: [Range<Int>] = []) -> Int? {
        guard b.count >= 16 else { return nil }
        for segment in unskipped(b.count, skipping: skipping) where segment.lowerBound <= b.count - 16 {
            for at in segment.lowerBound...min(segment.upperBound - 1, b.count - 16) {
                let head = b[at]
                if head & 0x0f == 9, (1...3).contains(head >> 4), b[at + 1] & 0x0f == 1,
                   b.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self).littleEndian == 16,
                   b[at + 8] & 0x0f == 0, (1...3).contains(b[at + 8] >> 4),
                   b.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self).littleEndian != 1 {
                    return at
                }
            }
        }
        return nil
    }

    /// A variable-length string attribute's value is one heap ID per element (16 bytes: the string's length u32, its
    /// collection's address u64, its object's index u32), and libhdf5 1.10's conversion allocates each length
    /// before it looks the object up: a length mutated to 2^27 and more made a 52 KB file take 4.2 GB
    /// (fuzz-keras: Tests/Fixtures/fuzz/keras/crash-35dcf48af5202bdc). A string of the file lies inside it, so no
    /// length can exceed the image. Every version-1 attribute message of a version-1 object header (message type
    /// 0x000C; what h5py and Keras write) whose datatype is a variable-length string is parsed, and each heap ID of
    /// its value that lies inside the message must hold a length within the image. Nil when all do; else the
    /// offset of the first that does not. Dataset storage (`skipping`, sorted) is not scanned.
    static func brokenStringLength(_ b: UnsafeRawBufferPointer, skipping: [Range<Int>] = []) -> Int? {
        guard let base = b.baseAddress, b.count >= 32 else { return nil }
        let header: [UInt8] = [0x0c, 0x00]
        func pad8(_ n: Int) -> Int { (n + 7) / 8 * 8 }
        for segment in unskipped(b.count, skipping: skipping) {
            var from = segment.lowerBound
            let limit = min(b.count, segment.upperBound + 1)
            while from < limit - 2 {
                let found = header.withUnsafeBytes { h in slipway_memmem(base + from, limit - from, h.baseAddress, 2) }
                guard let hit = found else { break }
                let at = UnsafeRawPointer(hit) - base
                from = at + 1
                // Message header: type u16, size u16, flags u8, 3 reserved zero bytes; attribute version 1, reserved 0.
                guard at <= b.count - 16, b[at + 5] == 0, b[at + 6] == 0, b[at + 7] == 0, b[at + 8] == 1, b[at + 9] == 0 else { continue }
                let size = Int(b.loadUnaligned(fromByteOffset: at + 2, as: UInt16.self).littleEndian)
                let end = at + 8 + size
                guard end <= b.count else { continue }
                let nameSize = Int(b.loadUnaligned(fromByteOffset: at + 10, as: UInt16.self).littleEndian)
                let typeSize = Int(b.loadUnaligned(fromByteOffset: at + 12, as: UInt16.self).littleEndian)
                let spaceSize = Int(b.loadUnaligned(fromByteOffset: at + 14, as: UInt16.self).littleEndian)
                let type = at + 16 + pad8(nameSize)
                let space = type + pad8(typeSize)
                let data = space + pad8(spaceSize)
                guard typeSize >= 8, spaceSize >= 8, data <= end else { continue }
                // Datatype: class 9 (variable-length), type 1 (string), element size 16 (a heap ID).
                guard b[type] & 0x0f == 9, b[type + 1] & 0x0f == 1,
                      b.loadUnaligned(fromByteOffset: type + 4, as: UInt32.self).littleEndian == 16 else { continue }
                // Dataspace version 1 (dimensions at +8) or 2 (at +4), rank ≤ 32: the element count.
                let version = b[space], rank = Int(b[space + 1])
                guard version == 1 || version == 2, rank <= 32 else { continue }
                let dims = space + (version == 1 ? 8 : 4)
                guard dims + rank * 8 <= data else { continue }
                var count = 1
                for k in 0..<rank {
                    let d = b.loadUnaligned(fromByteOffset: dims + k * 8, as: UInt64.self).littleEndian
                    let (n, overflow) = count.multipliedReportingOverflow(by: Int(clamping: d))
                    count = overflow ? Int.max : n
                }
                // The heap IDs that lie inside the message (a count past it is libhdf5's to refuse).
                let inside = min(count, (end - data) / 16)
                for i in 0..<max(0, inside) {
                    let length = b.loadUnaligned(fromByteOffset: data + i * 16, as: UInt32.self).littleEndian
                    if UInt64(length) > UInt64(b.count) { return data + i * 16 }
                }
            }
        }
        return nil
    }

    /// The byte ranges of an image of `count` bytes outside `skipping` (sorted, possibly overlapping): what the
    /// scans read.
    static func unskipped(_ count: Int, skipping: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var from = 0
        for s in skipping where s.upperBound > from {
            if s.lowerBound > from { out.append(from..<min(s.lowerBound, count)) }
            from = s.upperBound
            if from >= count { break }
        }
        if from < count { out.append(from..<count) }
        return out.filter { !$0.isEmpty }
    }

    /// The walk of H5HG__cache_heap_deserialize: 16-byte header, then objects (index u16, references u16,
    /// reserved u32, size u64, data padded to 8 bytes); index 0 is free space whose size is the rest.
    /// The walk's objects (index → size), or nil when it would not end inside the collection.
    static func walk(_ b: UnsafeRawBufferPointer, start: Int, end: Int) -> [Int: Int]? {
        var p = start + 16
        var steps = 0
        var objects: [Int: Int] = [:]
        while p < end {
            if end - p < 16 { return objects }  // too small for an object header: libhdf5 takes it as free space
            let index = b.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian
            let size = b.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self).littleEndian
            let remaining = UInt64(end - p)
            let need: UInt64
            if index > 0 {
                guard size <= remaining else { return nil }
                need = 16 + (size + 7) / 8 * 8
                objects[Int(index)] = Int(size)
            } else {
                need = size
            }
            guard need > 0, need <= remaining else { return nil }
            p += Int(need)
            steps += 1
            if steps > 1 << 20 { return nil }
        }
        return objects
    }
}
