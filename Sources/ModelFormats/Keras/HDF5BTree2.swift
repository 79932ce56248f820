/// Version 2 B-trees (HDF5 File Format Specification Version 3.0, III.A.2): the header ("BTHD": type, node size,
/// record size, depth, split and merge percents, root node pointer, total records, checksum), internal nodes
/// ("BTIN": records, then a pointer to each child with its record count and, below depth 1, its total record
/// count, in as few bytes as the counts need) and leaves ("BTLF": records), each checksummed over its used bytes.
///
/// libhdf5 1.10 (`H5B2__cache_*_deserialize`, H5B2cache.c; `H5B2__hdr_init`, H5B2hdr.c) takes the header's
/// type from the file, not from the index it opens, divides by the record size, and copies a node's records
/// for the count its parent gives, into buffers of the most a node can hold. Here the type and record size must
/// be the index's own, every count at most what its node can hold, each node's total the sum of its children's,
/// and the depth fall by one at each level: the walk visits every record once and cannot loop.
extension HDF5Walk {
    /// Visits every record of the tree at `address` (each as its bytes in the image).
    func btree2(_ address: UInt64, type: Int, recordSize: Int, from: Int,
                record: (Range<Int>) throws(HDF5Refusal) -> Void) throws(HDF5Refusal) {
        let what = "version 2 B-tree header"
        let size = 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + sizes.offset + 2 + sizes.length + 4
        let start = try place(address, size: size, what, from: from)
        guard signature(at: start, "BTHD") else { throw HDF5Refusal(offset: from, structure: what, reason: "no BTHD signature where the address points (byte \(start))") }
        try claim(start, size: size, what)
        try verifyChecksum(start..<(start + size), what)
        var c = cursor(start..<(start + size), what)
        try c.skip(4)
        guard try c.u8() == 0 else { throw c.refusal("B-tree header version (0)") }
        let fileType = try c.u8()
        guard fileType == type else { throw c.refusal("a type \(fileType) B-tree where the index is of type \(type) (libhdf5 would take its records for another kind)") }
        let nodeSize = try c.u32()
        let fileRecordSize = try c.u16()
        guard fileRecordSize == recordSize else { throw c.refusal("records of \(fileRecordSize) bytes where type \(type) records take \(recordSize)") }
        let depth = try c.u16()
        try c.skip(2)  // split and merge percents
        let rootFrom = c.at
        let root = try c.address()
        let rootRecords = try c.u16()
        let total = try c.length()
        guard nodeSize <= b.count else { throw c.refusal("nodes of \(nodeSize) bytes, more than the file") }
        let shape = try nodeShape(nodeSize: nodeSize, recordSize: recordSize, depth: depth, c: c)
        guard let root else {
            guard rootRecords == 0, total == 0 else { throw c.refusal("\(total) records but no root node") }
            return
        }
        try btree2Node(root, depth: depth, records: rootRecords, total: total, type: type, shape: shape, from: rootFrom, record: record)
    }

    /// What H5B2__hdr_init derives from the node and record sizes: at each depth, the most records a node holds
    /// and the bytes of its children's counts.
    struct BTreeShape {
        var nodeSize: Int
        var recordSize: Int
        var maxRecords: [Int]
        var countSize: Int
        var totalSize: [Int]
    }

    func nodeShape(nodeSize: Int, recordSize: Int, depth: Int, c: HDF5Cursor) throws(HDF5Refusal) -> BTreeShape {
        let prefix = 10  // signature, version, type, checksum
        guard nodeSize > prefix + recordSize else { throw c.refusal("nodes of \(nodeSize) bytes cannot hold a \(recordSize)-byte record") }
        var maxRecords = [(nodeSize - prefix) / recordSize]
        var cumulative = [UInt64(maxRecords[0])]
        var totalSize = [0]
        let countSize = Self.encodedSize(UInt64(maxRecords[0]))
        if depth > 0 {
            for d in 1...depth {
                let pointer = sizes.offset + countSize + (d > 1 ? totalSize[d - 1] : 0)
                guard nodeSize > prefix + pointer + recordSize + pointer else {
                    throw c.refusal("a depth of \(depth): nodes of \(nodeSize) bytes cannot hold a record and two child pointers at depth \(d)")
                }
                let m = (nodeSize - (prefix + pointer)) / (recordSize + pointer)
                let (a, o1) = UInt64(m + 1).multipliedReportingOverflow(by: cumulative[d - 1])
                let (cum, o2) = a.addingReportingOverflow(UInt64(m))
                guard !o1, !o2 else { throw c.refusal("a depth of \(depth), more records than 64 bits count") }
                maxRecords.append(m)
                cumulative.append(cum)
                totalSize.append(Self.encodedSize(cum))
            }
        }
        return BTreeShape(nodeSize: nodeSize, recordSize: recordSize, maxRecords: maxRecords, countSize: countSize, totalSize: totalSize)
    }

    func btree2Node(_ address: UInt64, depth: Int, records: Int, total: UInt64, type: Int, shape: BTreeShape, from: Int,
                    record: (Range<Int>) throws(HDF5Refusal) -> Void) throws(HDF5Refusal) {
        let leaf = depth == 0
        let what = leaf ? "version 2 B-tree leaf node" : "version 2 B-tree internal node"
        let start = try place(address, size: shape.nodeSize, what, from: from)
        guard records <= shape.maxRecords[depth] else {
            throw HDF5Refusal(offset: from, structure: what, reason: "its pointer gives it \(records) records, more than the \(shape.maxRecords[depth]) its node size holds (libhdf5 would copy past its buffer)")
        }
        guard signature(at: start, leaf ? "BTLF" : "BTIN") else {
            throw HDF5Refusal(offset: from, structure: what, reason: "no \(leaf ? "BTLF" : "BTIN") signature where the pointer points (byte \(start))")
        }
        try claim(start, size: shape.nodeSize, what)
        let pointerSize = leaf ? 0 : sizes.offset + shape.countSize + (depth > 1 ? shape.totalSize[depth - 1] : 0)
        let used = 6 + records * shape.recordSize + (leaf ? 0 : (records + 1) * pointerSize) + 4
        try verifyChecksum(start..<(start + used), what)
        summary.btreeNodes += 1
        var c = cursor(start..<(start + used), what)
        try c.skip(4)
        guard try c.u8() == 0 else { throw c.refusal("B-tree node version (0)") }
        guard try c.u8() == type else { throw c.refusal("a node of another B-tree type than its header's \(type)") }
        let first = c.at
        try c.skip(records * shape.recordSize)
        if leaf {
            guard total == UInt64(records) else { throw c.refusal("a leaf of \(records) records counted as \(total) by its parent") }
        } else {
            var children: [(address: UInt64, records: Int, total: UInt64, from: Int)] = []
            var sum = UInt64(records)
            for _ in 0...records {
                let at = c.at
                guard let child = try c.address() else { throw c.refusal("a child pointer without an address", at: at) }
                let n = try c.uint(shape.countSize)
                let all = depth > 1 ? try c.uint(shape.totalSize[depth - 1]) : n
                guard n <= UInt64(shape.maxRecords[depth - 1]) else {
                    throw c.refusal("a child of \(n) records, more than the \(shape.maxRecords[depth - 1]) its node size holds", at: at)
                }
                let (s, overflow) = sum.addingReportingOverflow(all)
                guard !overflow else { throw c.refusal("record counts that overflow", at: at) }
                sum = s
                children.append((child, Int(n), all, at))
            }
            guard sum == total else { throw c.refusal("its subtree holds \(sum) records where its parent counts \(total)") }
            for child in children {
                try btree2Node(child.address, depth: depth - 1, records: child.records, total: child.total, type: type, shape: shape,
                               from: child.from, record: record)
            }
        }
        for i in 0..<records {
            let r = first + i * shape.recordSize
            try record(r..<(r + shape.recordSize))
        }
    }
}
