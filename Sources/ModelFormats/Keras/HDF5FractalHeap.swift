/// A fractal heap's header, as the guard needs it to find objects (HDF5 File Format Specification Version 3.0,
/// III.G): the doubling table (width, starting and largest direct block sizes, maximum heap size in bits,
/// current rows of the root indirect block) and the sizes libhdf5 derives from it in `H5HF__hdr_finish_init`
/// and `H5HF__dtable_init`.
struct HDF5FractalHeap {
    var address: UInt64
    var at: Int
    var idLength: Int
    var maxManagedSize: UInt64
    var hugeTree: UInt64?
    var hugeTreeFrom: Int
    var managedSize: UInt64
    var width: UInt64
    var startBlockSize: UInt64
    var maxDirectSize: UInt64
    var maxIndex: Int
    var root: UInt64?
    var rootFrom: Int
    var rootRows: Int
    var checksummedDirectBlocks: Bool
    // Derived.
    var offsetSize: Int
    var lengthSize: Int
    var firstRowBits: Int
    var maxRootRows: Int
    var maxDirectRows: Int
    var rowBlockSize: [UInt64]
    var rowBlockOffset: [UInt64]
    var directOverhead: Int
    var hugeDirect: Bool
    var hugeIDSize: Int
    var tinyExtended: Bool
    var tinyMaxLength: Int
    /// Huge objects (by ID: address and length), once the huge object B-tree has been read.
    var huge: [UInt64: (address: UInt64, length: UInt64)]?
}

/// The fractal heaps of dense links and attributes (III.G): the header ("FRHP", checksummed), the root block,
/// indirect blocks ("FHIB") reached row by row as libhdf5's `H5HF__man_dblock_locate` does, direct blocks
/// ("FHDB", checksummed when the header says so), huge objects (their own version 2 B-tree, type 1) and tiny
/// objects (inside the heap ID). A heap ID from an index record is resolved the way libhdf5 resolves it, with
/// every bound libhdf5 1.10 asserts only: the row an offset falls in must exist in its indirect block, a block
/// must record the offset its place gives it, an object must lie inside its block past the block's header.
extension HDF5Walk {
    func fractalHeap(_ address: UInt64, idLength expected: Int, from: Int) throws(HDF5Refusal) -> HDF5FractalHeap {
        let what = "fractal heap header"
        let o = sizes.offset, l = sizes.length
        let size = 4 + 1 + 2 + 2 + 1 + 4 + l + o + l + o + 8 * l + 2 + l + l + 2 + 2 + o + 2 + 4
        let start = try place(address, size: size, what, from: from)
        if let h = heaps[start] {
            guard h.idLength == expected else { throw HDF5Refusal(offset: from, structure: what, reason: "one heap serves both links and attributes") }
            return h
        }
        guard signature(at: start, "FRHP") else { throw HDF5Refusal(offset: from, structure: what, reason: "no FRHP signature where the address points (byte \(start))") }
        var c = cursor(start..<(start + size), what)
        try c.skip(4)
        let version = try c.u8()
        guard version == 0 else { throw c.refusal("fractal heap version \(version) (0)") }
        let idLength = try c.u16()
        let filters = try c.u16()
        let flags = try c.u8()
        let maxManaged = UInt64(try c.u32())
        _ = try c.length()  // next huge object ID
        let hugeFrom = c.at
        let hugeTree = try c.address()
        _ = try c.length()  // free space in managed blocks
        _ = try c.address()  // free-space manager (read by libhdf5 only to write)
        let managedSize = try c.length()
        try c.skip(3 * l)  // allocated managed space, iterator offset, managed objects
        let hugeSize = try c.length()
        let hugeCount = try c.length()
        try c.skip(2 * l)  // tiny objects' size and count
        let width = UInt64(try c.u16())
        let startBlock = try c.length()
        let maxDirect = try c.length()
        let maxIndex = try c.u16()
        _ = try c.u16()  // starting rows of the root indirect block
        let rootFrom = c.at
        let root = try c.address()
        let rootRows = try c.u16()
        guard filters == 0 else {
            throw c.refusal("a fractal heap with I/O filters (\(filters) bytes of them), which neither h5py nor Keras writes for links or attributes and this check does not read")
        }
        try claim(start, size: size, what)
        try verifyChecksum(start..<(start + size), what)
        // libhdf5 keeps the huge object B-tree exactly while the heap holds huge objects: when it closes a heap
        // whose tree is there with none, H5HF__huge_term (H5HFhuge.c) deletes the tree, which fails in a
        // read-only file and leaves the file unclosable; libhdf5 1.10 then crashes at exit closing it
        // (fuzz-keras: Tests/Fixtures/fuzz/keras/crash-16d865c550048a4e).
        guard (hugeTree != nil) == (hugeCount > 0), hugeCount > 0 || hugeSize == 0 else {
            throw c.refusal("a huge object B-tree \(hugeTree == nil ? "missing" : "present") for \(hugeCount) huge objects of \(hugeSize) bytes (libhdf5 would delete it on closing the heap, and fail to close the file)", at: hugeFrom)
        }

        // The parameters libhdf5's H5HF_hdr_create accepts (H5HFhdr.c), which a sound file has.
        func power(_ v: UInt64) -> Bool { v > 0 && v & (v - 1) == 0 }
        guard power(width), width <= 65_536 else { throw c.refusal("a doubling table of width \(width) (a power of two up to 65,536)") }
        guard power(startBlock), power(maxDirect), startBlock <= maxDirect, maxDirect <= 1 << 31 else {
            throw c.refusal("direct blocks of \(startBlock) to \(maxDirect) bytes (powers of two, the largest 2^31 at most)")
        }
        guard maxIndex > 0, maxIndex <= 8 * l, maxIndex <= 63 else { throw c.refusal("a maximum heap size of \(maxIndex) bits (1 to \(min(63, 8 * l)))") }
        let startBits = startBlock.trailingZeroBitCount
        let firstRowBits = startBits + width.trailingZeroBitCount
        guard maxIndex >= firstRowBits else { throw c.refusal("a maximum heap size of \(maxIndex) bits, less than its first row's \(firstRowBits)") }
        let maxRootRows = maxIndex - firstRowBits + 1
        let maxDirectRows = maxDirect.trailingZeroBitCount - startBits + 2
        guard rootRows <= maxRootRows else { throw c.refusal("a root indirect block of \(rootRows) rows, more than the \(maxRootRows) its table allows") }
        let offsetSize = (maxIndex + 7) / 8
        let lengthSize = min((maxDirect.trailingZeroBitCount + 7) / 8, Self.encodedSize(maxManaged))
        let overhead = 4 + 1 + o + offsetSize + (flags & 0x02 != 0 ? 4 : 0)
        guard maxManaged > 0, maxManaged <= maxDirect - UInt64(overhead) else {
            throw c.refusal("managed objects of up to \(maxManaged) bytes, which its largest direct block cannot hold")
        }
        guard idLength == expected, 1 + offsetSize + lengthSize <= idLength else {
            throw c.refusal("heap IDs of \(idLength) bytes (1 + \(offsetSize) + \(lengthSize) needed; the index records hold \(expected))")
        }
        var rowSize: [UInt64] = [startBlock], rowOffset: [UInt64] = [0]
        var size0 = startBlock, offset0 = startBlock * width
        for _ in 1..<maxRootRows {
            rowSize.append(size0)
            rowOffset.append(offset0)
            size0 = size0 &* 2
            offset0 = offset0 &* 2
        }
        let hugeDirect = o + l <= idLength - 1
        let h = HDF5FractalHeap(
            address: address, at: start, idLength: idLength, maxManagedSize: maxManaged, hugeTree: hugeTree, hugeTreeFrom: hugeFrom,
            managedSize: managedSize, width: width, startBlockSize: startBlock, maxDirectSize: maxDirect, maxIndex: maxIndex,
            root: root, rootFrom: rootFrom, rootRows: rootRows, checksummedDirectBlocks: flags & 0x02 != 0,
            offsetSize: offsetSize, lengthSize: lengthSize, firstRowBits: firstRowBits, maxRootRows: maxRootRows,
            maxDirectRows: maxDirectRows, rowBlockSize: rowSize, rowBlockOffset: rowOffset, directOverhead: overhead,
            hugeDirect: hugeDirect, hugeIDSize: min(idLength - 1, 8),
            tinyExtended: idLength > 18, tinyMaxLength: idLength > 18 ? idLength - 2 : idLength - 1, huge: nil)
        heaps[start] = h
        if h.hugeTree != nil {
            let table = try hugeObjects(h)
            guard UInt64(table.count) == hugeCount else {
                throw HDF5Refusal(offset: hugeFrom, structure: what, reason: "a huge object B-tree of \(table.count) objects where the heap counts \(hugeCount)")
            }
        }
        return h
    }

    /// The image bytes of the object a heap ID names. `id` is the ID's bytes in the image (an index record's).
    func heapObject(_ h: HDF5FractalHeap, id: Range<Int>) throws(HDF5Refusal) -> Range<Int> {
        var c = cursor(id, "fractal heap ID")
        let flags = try c.u8()
        guard flags & 0xc0 == 0 else { throw c.refusal("heap ID version \(flags >> 6) (0)") }
        switch (flags >> 4) & 0x03 {
        case 0:
            let offset = try c.uint(h.offsetSize)
            let length = try c.uint(h.lengthSize)
            return try managedObject(h, offset: offset, length: length, id: id.lowerBound)
        case 1:
            summary.hugeObjects += 1
            let object: (address: UInt64, length: UInt64)
            if h.hugeDirect {
                let a = try c.address()
                let n = try c.length()
                guard let a else { throw c.refusal("a huge object without an address") }
                object = (a, n)
            } else {
                let key = try c.uint(h.hugeIDSize)
                let table = try hugeObjects(h)
                guard let found = table[key] else { throw c.refusal("huge object \(key), which the heap's huge object index does not hold") }
                object = found
            }
            guard object.length > 0, object.length <= UInt64(b.count) else { throw c.refusal("a huge object of \(object.length) bytes") }
            let start = try place(object.address, size: Int(object.length), "huge heap object", from: id.lowerBound)
            return start..<(start + Int(object.length))
        case 2:
            // Tiny: the object is the ID's own bytes, its length in the flags' low bits (and the next byte
            // when the IDs are over 18 bytes); libhdf5 copies that many without comparing them to the ID's size.
            var length = flags & 0x0f
            if h.tinyExtended { length = length << 8 | (try c.u8()) }
            length += 1
            guard length <= h.tinyMaxLength, length <= c.remaining else {
                throw c.refusal("a tiny object of \(length) bytes in a heap ID of \(h.idLength)")
            }
            return c.at..<(c.at + length)
        default:
            throw c.refusal("heap ID type 3 (managed, huge and tiny are 0 to 2)")
        }
    }

    /// III.G: a managed object, found through the doubling table from the root block.
    func managedObject(_ h: HDF5FractalHeap, offset: UInt64, length: UInt64, id: Int) throws(HDF5Refusal) -> Range<Int> {
        func refuse(_ why: String) -> HDF5Refusal { HDF5Refusal(offset: id, structure: "fractal heap ID", reason: why) }
        guard offset > 0, offset <= h.managedSize, offset < UInt64(1) << UInt64(h.maxIndex) else {
            throw refuse("object offset \(offset), outside the heap's \(h.managedSize) managed bytes")
        }
        guard length > 0, length <= h.maxManagedSize else { throw refuse("an object of \(length) bytes (1 to \(h.maxManagedSize))") }
        guard let root = h.root else { throw refuse("an object in a heap without blocks") }
        var blockAddress = root, blockFrom = h.rootFrom, blockSize = h.startBlockSize, blockOffset: UInt64 = 0
        if h.rootRows > 0 {
            var iblock = try indirectBlock(h, address: root, rows: h.rootRows, offset: 0, from: h.rootFrom)
            var depth = 0
            while true {
                depth += 1
                guard depth <= 64 else { throw refuse("indirect blocks nested past the heap's table") }
                let relative = offset - iblock.offset
                let (row, column) = try lookup(h, relative, id: id)
                guard row < iblock.rows else {
                    throw refuse("offset \(offset) falls in row \(row) of an indirect block of \(iblock.rows) rows (libhdf5 would read past its entries)")
                }
                let entry = row * Int(h.width) + column
                guard let child = iblock.entries[entry] else { throw refuse("offset \(offset) falls in a block the heap does not have") }
                let childOffset = iblock.offset + h.rowBlockOffset[row] + UInt64(column) * h.rowBlockSize[row]
                if row < h.maxDirectRows {
                    blockAddress = child
                    blockFrom = iblock.at + 5 + sizes.offset + h.offsetSize + entry * sizes.offset
                    blockSize = h.rowBlockSize[row]
                    blockOffset = childOffset
                    break
                }
                let rows = (63 - h.rowBlockSize[row].leadingZeroBitCount) - h.firstRowBits + 1
                iblock = try indirectBlock(h, address: child, rows: rows, offset: childOffset,
                                           from: iblock.at + 5 + sizes.offset + h.offsetSize + entry * sizes.offset)
            }
        }
        let block = try directBlock(h, address: blockAddress, size: blockSize, offset: blockOffset, from: blockFrom)
        let within = offset - blockOffset
        guard within >= UInt64(h.directOverhead), within < blockSize, length <= blockSize - within else {
            throw refuse("an object of \(length) bytes at offset \(within) of a \(blockSize)-byte direct block (past its header and inside it)")
        }
        return (block + Int(within))..<(block + Int(within) + Int(length))
    }

    /// libhdf5's H5HF__dtable_lookup: the row and column of a heap offset.
    func lookup(_ h: HDF5FractalHeap, _ offset: UInt64, id: Int) throws(HDF5Refusal) -> (row: Int, column: Int) {
        if offset < h.startBlockSize * h.width { return (0, Int(offset / h.startBlockSize)) }
        let high = 63 - offset.leadingZeroBitCount
        let row = high - h.firstRowBits + 1
        guard row < h.maxRootRows else {
            throw HDF5Refusal(offset: id, structure: "fractal heap ID", reason: "offset \(offset) is past the heap's doubling table")
        }
        return (row, Int((offset - (UInt64(1) << UInt64(high))) / h.rowBlockSize[row]))
    }

    struct IndirectBlock {
        var at: Int
        var rows: Int
        var offset: UInt64
        var entries: [UInt64?]
    }

    /// An indirect block ("FHIB", version 0, its heap's address, its offset in the heap, rows × width child
    /// addresses, checksum), read once: reached again, it must be reached as the same block.
    func indirectBlock(_ h: HDF5FractalHeap, address: UInt64, rows: Int, offset: UInt64, from: Int) throws(HDF5Refusal) -> IndirectBlock {
        let what = "fractal heap indirect block"
        let count = rows * Int(h.width)
        let size = 4 + 1 + sizes.offset + h.offsetSize + count * sizes.offset + 4
        let start = try place(address, size: size, what, from: from)
        if let known = indirectBlocks[start] {
            guard known.rows == rows, known.offset == offset else {
                throw HDF5Refusal(offset: from, structure: what, reason: "one block is reached as two blocks of the heap (a cycle or a shared child)")
            }
            return known
        }
        guard signature(at: start, "FHIB") else { throw HDF5Refusal(offset: from, structure: what, reason: "no FHIB signature where the address points (byte \(start))") }
        try claim(start, size: size, what)
        try verifyChecksum(start..<(start + size), what)
        var c = cursor(start..<(start + size), what)
        try c.skip(4)
        guard try c.u8() == 0 else { throw c.refusal("indirect block version (0)") }
        guard try c.address() == h.address else { throw c.refusal("it belongs to another heap than the one at byte \(h.at)") }
        let stored = try c.uint(h.offsetSize)
        guard stored == offset else { throw c.refusal("it records heap offset \(stored) where its place in the heap is \(offset)") }
        var entries: [UInt64?] = []
        entries.reserveCapacity(count)
        for _ in 0..<count { entries.append(try c.address()) }
        summary.fractalHeapBlocks += 1
        let block = IndirectBlock(at: start, rows: rows, offset: offset, entries: entries)
        indirectBlocks[start] = block
        return block
    }

    /// A direct block ("FHDB", version 0, its heap's address, its offset in the heap, a checksum when the heap
    /// checksums direct blocks, then objects): its image offset, read once.
    func directBlock(_ h: HDF5FractalHeap, address: UInt64, size: UInt64, offset: UInt64, from: Int) throws(HDF5Refusal) -> Int {
        let what = "fractal heap direct block"
        guard size <= UInt64(b.count) else { throw HDF5Refusal(offset: from, structure: what, reason: "a block of \(size) bytes, more than the file") }
        let start = try place(address, size: Int(size), what, from: from)
        if let known = directBlocks[start] {
            guard known == offset else { throw HDF5Refusal(offset: from, structure: what, reason: "one block is reached as two blocks of the heap") }
            return start
        }
        guard signature(at: start, "FHDB") else { throw HDF5Refusal(offset: from, structure: what, reason: "no FHDB signature where the address points (byte \(start))") }
        try claim(start, size: Int(size), what)
        var c = cursor(start..<(start + Int(size)), what)
        try c.skip(4)
        guard try c.u8() == 0 else { throw c.refusal("direct block version (0)") }
        guard try c.address() == h.address else { throw c.refusal("it belongs to another heap than the one at byte \(h.at)") }
        let stored = try c.uint(h.offsetSize)
        guard stored == offset else { throw c.refusal("it records heap offset \(stored) where its place in the heap is \(offset)") }
        if h.checksummedDirectBlocks {
            // The checksum covers the whole block with its own field zeroed (H5HF__cache_dblock_verify_chksum).
            let field = c.at
            checksummed.append(HDF5ChecksummedStructure(range: start..<(start + Int(size)), field: field))
            let stored = b.loadUnaligned(fromByteOffset: field, as: UInt32.self).littleEndian
            var copy = Array(UnsafeRawBufferPointer(rebasing: b[start..<(start + Int(size))]))
            for i in 0..<4 { copy[field - start + i] = 0 }
            let computed = copy.withUnsafeBytes { HDF5Lookup3.hash($0) }
            guard stored == computed else {
                throw c.refusal("its checksum \(hex(stored)) is not the \(hex(computed)) of its bytes (libhdf5 would refuse it: a changed or cut file)")
            }
        }
        summary.fractalHeapBlocks += 1
        directBlocks[start] = offset
        return start
    }

    /// The heap's huge objects, from its huge object B-tree (type 1: address, length, ID), each inside the image.
    func hugeObjects(_ h: HDF5FractalHeap) throws(HDF5Refusal) -> [UInt64: (address: UInt64, length: UInt64)] {
        if let known = heaps[h.at]?.huge { return known }
        var table: [UInt64: (address: UInt64, length: UInt64)] = [:]
        if let tree = h.hugeTree {
            let o = sizes.offset, l = sizes.length
            try btree2(tree, type: 1, recordSize: o + 2 * l, from: h.hugeTreeFrom) { (record: Range<Int>) throws(HDF5Refusal) in
                var r = self.cursor(record, "huge object index record")
                let at = r.at
                guard let address = try r.address() else { throw r.refusal("a huge object without an address") }
                let length = try r.length()
                let key = try r.length()
                guard length <= UInt64(self.b.count) else { throw r.refusal("a huge object of \(length) bytes, more than the file", at: at) }
                _ = try self.place(address, size: Int(length), "huge object index record", from: at)
                table[key] = (address, length)
            }
        }
        heaps[h.at]?.huge = table
        return table
    }
}
