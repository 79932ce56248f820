/// The structural check of an HDF5 image before libhdf5 is given it (the Keras readers' guard; issue 16, "the
/// daemon never dies of input").
///
/// libhdf5 1.10 trusts much of what it reads: an address whose end wraps past 2^64 passes its overflow checks,
/// a v2 B-tree node's record count sizes a copy into a buffer of the tree's maximum, a fractal heap ID's offset
/// picks an indirect block's row without a bound, an attribute's data is copied for its dataspace's element
/// count whatever the message holds. Every structure the library would read on the way to the objects the
/// readers open is read here first, from the superblock through every object reachable by hard links (the
/// readers follow no other; see `HDF5Image.hardLinkTarget`): version 1 and version 2 object headers with their
/// continuation chunks and checksums, the messages libhdf5 decodes when it opens a group, a dataset or an
/// attribute, version 1 groups (B-tree, symbol nodes, local heap) and version 2 ones (compact link messages,
/// or dense storage: a fractal heap indexed by version 2 B-trees), compact and dense attributes, and each
/// variable-length value an attribute holds (its global heap object). Anything that does not lie inside the
/// image, does not hold its checksum, or does not follow the HDF5 File Format Specification Version 3.0 (the
/// format libhdf5 1.10 reads, cited by section in each file) is refused with its byte offset, before libhdf5
/// sees it. Each structure is read once (every address is remembered), trees must descend, and the bytes read
/// are bounded by the image's size, so no file makes the check loop or take more than linear work.
///
/// Not read, as libhdf5 does not read them to open an object: chunk indexes of chunked datasets (the readers
/// read no chunked data), free-space managers, raw data. Shared object header messages stored in the file's
/// shared-message heap (SOHM, which neither h5py nor Keras writes by default) are refused rather than read.
final class HDF5Walk {
    let b: UnsafeRawBufferPointer
    var sizes = HDF5Sizes(offset: 8, length: 8)
    /// Where address 0 lies in the image: the superblock's own offset (a user block before it shifts every
    /// address, as libhdf5's `H5F__super_read` takes it).
    var base = 0
    /// Where libhdf5 stops reading: the superblock's end of file address (its EOA; in the image, shifted as
    /// the base address is), at most the image's end. libhdf5 refuses a read past it, and some of its callers
    /// then free what they had not filled (H5G__dense_build_table's link table: fuzz-keras crash-9aa00ef8c5d34cf4),
    /// so a structure past it is refused here.
    var end: Int
    /// Version 1 B-tree and symbol node capacities (superblock, or the extension's B-tree 'K' values message).
    var groupLeafK = 4
    var groupInternalK = 16

    var summary = Summary()
    /// Objects still to read: the address of each object header a hard link names, with the link's path.
    var pending: [(address: UInt64, path: String, from: Int)] = []
    var visitedObjects: Set<UInt64> = []
    /// Every structure read, by its offset in the image: none is read twice, so no cycle of pointers loops.
    var visitedStructures: Set<Int> = []
    var bytesRead = 0
    let budget: Int
    var headers: [UInt64: (version: Int, messages: [Message])] = [:]
    var heaps: [Int: HDF5FractalHeap] = [:]
    var indirectBlocks: [Int: IndirectBlock] = [:]
    /// Direct blocks read, by offset: the heap offset each was reached as.
    var directBlocks: [Int: UInt64] = [:]
    /// Local heaps read, by offset: their data segments.
    var localHeaps: [Int: Range<Int>] = [:]
    var committedTypes: [UInt64: HDF5Datatype] = [:]
    var committedInProgress: Set<UInt64> = []
    /// Global heap collections walked so far (objects: index → size), by offset.
    var collections: [Int: [Int: Int]] = [:]
    /// Every checksummed structure met, in order, whether its checksum held or not (`HDF5Checksums`).
    var checksummed: [HDF5ChecksummedStructure] = []

    /// What the walk read: the tests hold it to h5py's own listing of the same files.
    struct Summary: Equatable {
        var superblockVersion = 0
        var objectHeaders = 0
        var version2ObjectHeaders = 0
        var continuationChunks = 0
        /// Every link's path (hard, soft or external), each group read once.
        var links: [String] = []
        /// Every attribute, as "object path:attribute name".
        var attributes: [String] = []
        var denseLinkGroups = 0
        var denseAttributeObjects = 0
        var fractalHeapBlocks = 0
        var btreeNodes = 0
        var hugeObjects = 0
        var variableLengthValues = 0
    }

    init(_ b: UnsafeRawBufferPointer) {
        self.b = b
        end = b.count
        // A sound file's structures do not overlap: their bytes sum to at most the image. Twice that, plus room
        // for small images, bounds the work of a file whose pointers make structures overlap.
        budget = 2 * b.count + 65_536
    }

    /// Reads the whole image's metadata; the summary of what was read, or the first structure refused.
    static func check(_ b: UnsafeRawBufferPointer) throws(HDF5Refusal) -> Summary {
        let walk = HDF5Walk(b)
        try walk.run()
        return walk.summary
    }

    func run() throws(HDF5Refusal) {
        let root = try superblock()
        pending.append((root.address, "/", root.from))
        var steps = 0
        while let next = pending.popLast() {
            steps += 1
            if steps > 4_000_000 { throw HDF5Refusal(offset: next.from, structure: "object", reason: "the file links more than 4,000,000 objects") }
            guard visitedObjects.insert(next.address).inserted else { continue }
            try object(at: next.address, path: next.path, from: next.from)
        }
    }

    // MARK: Placement and bounds

    /// The image offset of `size` bytes at file address `address`, refused unless they lie inside the image.
    /// `from` is where the address was read (the refusal names the pointer, not the bytes it points at).
    func place(_ address: UInt64, size: Int, _ what: String, from: Int) throws(HDF5Refusal) -> Int {
        let (start, overflow) = address.addingReportingOverflow(UInt64(base))
        guard !overflow, size >= 0, start <= UInt64(end), UInt64(size) <= UInt64(end) - start else {
            let bound = end == b.count ? "the file's \(b.count) bytes" : "the \(end - base) bytes the superblock's end of file address allocates"
            throw HDF5Refusal(offset: from, structure: what, reason: "its \(size) bytes at address \(address) are not inside \(bound) (libhdf5 would read outside the image)")
        }
        return Int(start)
    }

    /// Claims `size` bytes at `start` as a structure read once: a second read of the same structure is a cycle
    /// of pointers, and the total read is bounded by the image's size.
    func claim(_ start: Int, size: Int, _ what: String) throws(HDF5Refusal) {
        guard visitedStructures.insert(start).inserted else {
            throw HDF5Refusal(offset: start, structure: what, reason: "it is reached a second time: the file's pointers make a cycle (libhdf5 would loop or recurse through it)")
        }
        try charge(size, at: start, what)
    }

    /// Counts `size` bytes read against the budget.
    func charge(_ size: Int, at: Int, _ what: String) throws(HDF5Refusal) {
        bytesRead += size
        guard bytesRead <= budget else {
            throw HDF5Refusal(offset: at, structure: what, reason: "the file's metadata structures overlap: over \(budget) bytes read for a \(b.count)-byte file, where each structure of a sound file is read once")
        }
    }

    func signature(at offset: Int, _ text: StaticString) -> Bool {
        guard offset >= 0, offset <= b.count - 4 else { return false }
        let s = text.utf8Start
        return b[offset] == s[0] && b[offset + 1] == s[1] && b[offset + 2] == s[2] && b[offset + 3] == s[3]
    }

    /// The checksum of `range` less its last 4 bytes, held in those 4 bytes, as libhdf5's `H5F_get_checksums`
    /// reads it.
    func verifyChecksum(_ range: Range<Int>, _ what: String) throws(HDF5Refusal) {
        checksummed.append(HDF5ChecksummedStructure(range: range, field: range.upperBound - 4))
        let stored = UInt32(b[range.upperBound - 4]) | UInt32(b[range.upperBound - 3]) << 8
            | UInt32(b[range.upperBound - 2]) << 16 | UInt32(b[range.upperBound - 1]) << 24
        let computed = HDF5Lookup3.hash(UnsafeRawBufferPointer(rebasing: b[range.lowerBound..<(range.upperBound - 4)]))
        guard stored == computed else {
            throw HDF5Refusal(offset: range.lowerBound, structure: what, reason: "its checksum \(hex(stored)) is not the \(hex(computed)) of its bytes (libhdf5 would refuse it: a changed or cut file)")
        }
    }

    func cursor(_ range: Range<Int>, _ what: String) -> HDF5Cursor { HDF5Cursor(b, range, what, sizes: sizes) }

    // MARK: Superblock (II.A)

    /// The superblock: signature at 0, 512, 1024, … (libhdf5's `H5FD_locate_signature`), version 0 or 1 with
    /// the root group's symbol table entry, or version 2 or 3 with its checksum and the root group's object
    /// header address. Returns the root object header's address and where it was read.
    func superblock() throws(HDF5Refusal) -> (address: UInt64, from: Int) {
        let magic: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        var at = 0
        var found = -1
        while at <= b.count - 8 {
            if (0..<8).allSatisfy({ b[at + $0] == magic[$0] }) { found = at; break }
            at = at == 0 ? 512 : at * 2
        }
        guard found >= 0 else { throw HDF5Refusal(offset: 0, structure: "superblock", reason: "no HDF5 signature at byte 0, 512, 1024 or a later power of two") }
        base = found
        var c = HDF5Cursor(b, found..<b.count, "superblock", sizes: sizes)
        try c.skip(8)
        let version = try c.u8()
        summary.superblockVersion = version
        switch version {
        case 0, 1:
            try c.skip(3)  // free-space, root symbol table entry and (next byte) shared header versions
            try c.skip(1)
            let o = try c.u8(), l = try c.u8()
            try setSizes(offset: o, length: l, at: found + 13)
            try c.skip(1)
            let leafK = try c.u16(), internalK = try c.u16()
            guard leafK > 0, internalK > 0 else { throw c.refusal("its group B-tree K values are \(leafK) and \(internalK); libhdf5 needs both above 0") }
            groupLeafK = leafK
            groupInternalK = internalK
            try c.skip(4)  // file consistency flags
            if version == 1 { try c.skip(4) }  // indexed storage internal node K, reserved
            c = HDF5Cursor(b, c.at..<b.count, "superblock", sizes: sizes)
            let storedBase = try c.address()  // base address: libhdf5 takes the superblock's own offset
            let freeSpaceAt = c.at
            let freeSpace = try c.address()
            try endOfFile(&c, storedBase: storedBase)
            if let a = freeSpace { _ = try place(a, size: 1, "superblock's free-space address", from: freeSpaceAt) }
            let driverAt = c.at
            if let a = try c.address() { try driverInfo(a, from: driverAt) }
            // II.A / III.C: the root group's symbol table entry.
            let entry = try symbolTableEntry(&c)
            guard let address = entry.objectHeader else { throw c.refusal("its root group entry has no object header address", at: entry.at) }
            return (address, entry.at + sizes.length)
        case 2, 3:
            let o = try c.u8(), l = try c.u8()
            try setSizes(offset: o, length: l, at: found + 9)
            c = HDF5Cursor(b, c.at..<b.count, "superblock", sizes: sizes)
            try c.skip(1)  // file consistency flags
            let storedBase = try c.address()
            let extensionAt = c.at
            let ext = try c.address()
            try endOfFile(&c, storedBase: storedBase)
            let rootAt = c.at
            let root = try c.address()
            try c.skip(4)
            try claim(found, size: c.at - found, "superblock")
            try verifyChecksum(found..<c.at, "superblock")
            if let ext {
                // II.C: the superblock extension is an object header (B-tree K values, shared message table…).
                visitedObjects.insert(ext)
                try object(at: ext, path: "", from: extensionAt, isExtension: true)
            }
            guard let root else { throw HDF5Refusal(offset: rootAt, structure: "superblock", reason: "it has no root group object header address") }
            return (root, rootAt)
        default:
            throw HDF5Refusal(offset: found + 8, structure: "superblock", reason: "version \(version), which libhdf5 1.10 does not read (0 to 3)")
        }
    }

    /// II.A's end of file address, absolute as libhdf5 writes it (a user block included); `H5F__super_read`
    /// moves it with the base address when the superblock is not where its base address says, and refuses an
    /// image shorter than it ("truncated file").
    func endOfFile(_ c: inout HDF5Cursor, storedBase: UInt64?) throws(HDF5Refusal) {
        let at = c.at
        guard let stored = try c.address() else { throw c.refusal("it has no end of file address", at: at) }
        let shift = storedBase.map { Int64(truncatingIfNeeded: $0) &- Int64(base) } ?? 0
        let (moved, overflow) = Int64(truncatingIfNeeded: stored).subtractingReportingOverflow(shift)
        guard !overflow, stored <= UInt64(Int64.max), moved >= 0, moved <= Int64(b.count) else {
            throw c.refusal("an end of file address of \(stored) for a \(b.count)-byte file (libhdf5 refuses a truncated file)", at: at)
        }
        end = max(Int(moved), base)
    }

    func setSizes(offset o: Int, length l: Int, at: Int) throws(HDF5Refusal) {
        guard [2, 4, 8].contains(o), [2, 4, 8].contains(l) else {
            throw HDF5Refusal(offset: at, structure: "superblock", reason: "its sizes of offsets and lengths are \(o) and \(l) bytes (2, 4 or 8 are read)")
        }
        sizes = HDF5Sizes(offset: o, length: l)
    }

    /// II.B: the driver information block a version 0/1 superblock may point at (version, 3 reserved bytes, the
    /// information's size, an 8-byte driver name, the information).
    func driverInfo(_ address: UInt64, from: Int) throws(HDF5Refusal) {
        let at = try place(address, size: 16, "driver information block", from: from)
        var c = cursor(at..<(at + 16), "driver information block")
        try c.skip(4)
        let size = try c.u32()
        _ = try place(address, size: 16 + size, "driver information block", from: from)
        try claim(at, size: 16 + size, "driver information block")
    }

    /// III.C: a symbol table entry (link name offset, object header address, cache type, reserved, 16-byte
    /// scratch pad, which for cache type 1 caches the group's B-tree and local heap addresses; libhdf5 may use
    /// them in place of the group's symbol table message).
    func symbolTableEntry(_ c: inout HDF5Cursor) throws(HDF5Refusal) -> (at: Int, nameOffset: UInt64, objectHeader: UInt64?) {
        let at = c.at
        let name = try c.length()
        let header = try c.address()
        let cacheType = try c.u32()
        try c.skip(4)
        let scratch = c.at
        if cacheType == 1 {
            let tree = try c.address(), heap = try c.address()
            if let tree { _ = try place(tree, size: 1, "symbol table entry's cached B-tree address", from: scratch) }
            if let heap { _ = try place(heap, size: 1, "symbol table entry's cached local heap address", from: scratch + sizes.offset) }
            c.at = scratch + 16
        } else {
            try c.skip(16)
        }
        return (at, name, header)
    }

    func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}
