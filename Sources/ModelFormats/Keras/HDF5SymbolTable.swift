#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Version 1 groups (HDF5 File Format Specification Version 3.0, IV.A.2.r "Symbol Table Message"): a version 1
/// B-tree of group nodes ("TREE", III.A.1) whose leaves point at symbol table nodes ("SNOD", III.B) of entries
/// (III.C), their names in the group's local heap ("HEAP", III.D). This is what h5py and Keras write with the
/// default format bounds, and what the first fuzz finds crashed libhdf5 through (a symbol table address past
/// the image, a name without its NUL).
extension HDF5Walk {
    /// The symbol table message: the group's B-tree and local heap; every entry of every leaf is a link.
    func symbolTable(_ c: inout HDF5Cursor, path: String) throws(HDF5Refusal) {
        let treeAt = c.at
        guard let tree = try c.address() else { throw c.refusal("a symbol table without a B-tree", at: treeAt) }
        let heapAt = c.at
        guard let heap = try c.address() else { throw c.refusal("a symbol table without a local heap", at: heapAt) }
        let names = try localHeap(heap, from: heapAt)
        try groupNode(tree, level: nil, names: names, path: path, from: treeAt)
    }

    /// A local heap: "HEAP", version 0, 3 reserved bytes, the data segment's size, the offset of its free list's
    /// head, the data segment's address. The data segment must lie inside the image, and the free list (offset
    /// of the next free block, size, at each free block; 1 ends it) walk inside it without looping: libhdf5
    /// 1.10's `H5HL__fl_deserialize` follows it as it is. Returns the data segment's bytes; read once.
    func localHeap(_ address: UInt64, from: Int) throws(HDF5Refusal) -> Range<Int> {
        let what = "local heap"
        let size = 8 + 2 * sizes.length + sizes.offset
        let start = try place(address, size: size, what, from: from)
        if let known = localHeaps[start] { return known }
        guard signature(at: start, "HEAP") else { throw HDF5Refusal(offset: from, structure: what, reason: "no HEAP signature where the address points (byte \(start))") }
        try claim(start, size: size, what)
        var c = cursor(start..<(start + size), what)
        try c.skip(4)
        guard try c.u8() == 0 else { throw c.refusal("local heap version (0)") }
        try c.skip(3)
        let dataSize = try c.length()
        var free = try c.length()
        let dataAt = c.at
        guard let dataAddress = try c.address() else { throw c.refusal("a local heap without a data segment", at: dataAt) }
        guard dataSize <= UInt64(b.count) else { throw c.refusal("a data segment of \(dataSize) bytes, more than the file") }
        let data = try place(dataAddress, size: Int(dataSize), what, from: dataAt)
        let range = data..<(data + Int(dataSize))
        if data != start + size { try claim(data, size: Int(dataSize), "local heap data segment") }
        var seen: Set<UInt64> = []
        let l = UInt64(sizes.length)
        while free != 1 {
            guard free <= dataSize, 2 * l <= dataSize - free, seen.insert(free).inserted else {
                throw c.refusal("its free list reaches offset \(free), outside its \(dataSize)-byte data segment or a second time")
            }
            var f = cursor((data + Int(free))..<(data + Int(free) + 2 * sizes.length), what)
            let next = try f.length()
            let blockSize = try f.length()
            guard blockSize <= dataSize - free else { throw c.refusal("a free block of \(blockSize) bytes at offset \(free) runs past its data segment") }
            free = next
        }
        localHeaps[start] = range
        return range
    }

    /// The NUL-terminated string at `offset` of a local heap's data segment.
    func heapString(_ offset: UInt64, in data: Range<Int>, from: Int, what: String) throws(HDF5Refusal) -> String {
        guard offset < UInt64(data.count) else {
            throw HDF5Refusal(offset: from, structure: what, reason: "a name at offset \(offset) of a local heap of \(data.count) bytes")
        }
        let start = data.lowerBound + Int(offset)
        // Names are found at any offset, not in order: the bytes searched count against the walk's budget, so
        // that keys pointing far from their NULs cannot make the search quadratic.
        let found = memchr(b.baseAddress! + start, 0, data.upperBound - start)
        guard let found else {
            throw HDF5Refusal(offset: from, structure: what, reason: "its name at offset \(offset) of the local heap has no terminating NUL inside the heap (libhdf5 would read past it)")
        }
        let nul = UnsafeRawPointer(found) - UnsafeRawPointer(b.baseAddress!)
        try charge(nul - start + 1, at: from, what)
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<nul]), as: UTF8.self)
    }

    /// A version 1 B-tree node of a group ("TREE", type 0, level, entries used, left and right siblings, then
    /// keys and children alternating: each key a name offset in the local heap, each child a node one level
    /// down or, at level 0, a symbol table node). libhdf5 reads the node's full size (2K children, 2K+1 keys,
    /// K the superblock's group internal node K) and compares names at the keys.
    func groupNode(_ address: UInt64, level expected: Int?, names: Range<Int>, path: String, from: Int) throws(HDF5Refusal) {
        let what = "version 1 B-tree node"
        let o = sizes.offset, l = sizes.length
        let twoK = 2 * groupInternalK
        let size = 8 + 2 * o + twoK * o + (twoK + 1) * l
        let start = try place(address, size: size, what, from: from)
        guard signature(at: start, "TREE") else { throw HDF5Refusal(offset: from, structure: what, reason: "no TREE signature where the address points (byte \(start))") }
        try claim(start, size: size, what)
        var c = cursor(start..<(start + size), what)
        try c.skip(4)
        let type = try c.u8()
        guard type == 0 else { throw c.refusal("a B-tree of type \(type) where a group's (0) belongs") }
        let level = try c.u8()
        if let expected, level != expected { throw c.refusal("a node of level \(level) below a node of level \(expected + 1)") }
        let entries = try c.u16()
        guard entries <= twoK else { throw c.refusal("\(entries) entries, more than the \(twoK) a node holds") }
        for _ in 0..<2 {
            let at = c.at
            if let sibling = try c.address() { _ = try place(sibling, size: 1, what, from: at) }
        }
        var children: [(address: UInt64, from: Int)] = []
        for i in 0...entries {
            let keyAt = c.at
            _ = try heapString(try c.length(), in: names, from: keyAt, what: what)
            if i < entries {
                let at = c.at
                guard let child = try c.address() else { throw c.refusal("a child without an address", at: at) }
                children.append((child, at))
            }
        }
        for child in children {
            if level == 0 {
                try symbolNode(child.address, names: names, path: path, from: child.from)
            } else {
                try groupNode(child.address, level: level - 1, names: names, path: path, from: child.from)
            }
        }
    }

    /// A symbol table node: "SNOD", version 1, a reserved byte, the number of symbols (at most 2 × the group
    /// leaf node K), then that many entries. libhdf5 reads the node's full size.
    func symbolNode(_ address: UInt64, names: Range<Int>, path: String, from: Int) throws(HDF5Refusal) {
        let what = "symbol table node"
        let entrySize = sizes.length + sizes.offset + 4 + 4 + 16
        let capacity = 2 * groupLeafK
        let size = 8 + capacity * entrySize
        let start = try place(address, size: size, what, from: from)
        guard signature(at: start, "SNOD") else { throw HDF5Refusal(offset: from, structure: what, reason: "no SNOD signature where the address points (byte \(start))") }
        try claim(start, size: size, what)
        var c = cursor(start..<(start + size), what)
        try c.skip(4)
        guard try c.u8() == 1 else { throw c.refusal("symbol table node version (1)") }
        try c.skip(1)
        let count = try c.u16()
        guard count <= capacity else { throw c.refusal("\(count) symbols, more than the \(capacity) a node holds") }
        for _ in 0..<count {
            let at = c.at
            let scratch = at + sizes.length + sizes.offset + 8
            let cacheType = b.loadUnaligned(fromByteOffset: at + sizes.length + sizes.offset, as: UInt32.self).littleEndian
            let entry = try symbolTableEntry(&c)
            let name = try heapString(entry.nameOffset, in: names, from: at, what: what)
            let child = path == "/" ? "/" + name : path + "/" + name
            if cacheType == 2 {
                // A soft link of the 1.6 format: the scratch pad holds its value's offset in the local heap.
                let value = UInt64(b.loadUnaligned(fromByteOffset: scratch, as: UInt32.self).littleEndian)
                _ = try heapString(value, in: names, from: scratch, what: what)
                summary.links.append(child)
                continue
            }
            guard let header = entry.objectHeader else { throw c.refusal("an entry '\(name)' without an object header", at: at) }
            try add(HDF5Link(name: name, hardTarget: (header, at + sizes.length)), in: path)
        }
    }
}
