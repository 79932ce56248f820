/// A datatype as far as the guard needs it: its class, its size in the file, and for a variable-length type the
/// size of its base (a string's character, a sequence's element).
struct HDF5Datatype: Equatable {
    var typeClass: Int
    var size: Int
    var base: Int?
}

/// A link message's name and, for a hard link, the object header it names (with the field's offset).
struct HDF5Link {
    var name: String
    var hardTarget: (address: UInt64, from: Int)?
}

/// The object header messages libhdf5 decodes when it opens an object (HDF5 File Format Specification Version
/// 3.0, IV.A.2), each read inside its message's bytes: a count, length or name that would take libhdf5's decoder
/// past them (libhdf5 1.10's `H5O_*_decode` functions trust most of them) refuses the image.
extension HDF5Walk {
    // MARK: Dataspace (IV.A.2.b)

    /// Version 1 (rank, flags, 5 reserved bytes) or 2 (rank, flags, type: scalar, simple or null), then each
    /// dimension, the maximum dimensions when flag bit 0 is set, and in version 1 the permutation indices when
    /// bit 1 is. The number of elements, refused when it overflows 64 bits.
    func dataspace(_ c: inout HDF5Cursor) throws(HDF5Refusal) -> UInt64 {
        let version = try c.u8()
        guard version == 1 || version == 2 else { throw c.refusal("dataspace version \(version) (1 or 2)") }
        let rank = try c.u8()
        guard rank <= 32 else { throw c.refusal("a dataspace of rank \(rank) (HDF5 allows 32)") }
        let flags = try c.u8()
        var type = 1
        if version == 1 {
            try c.skip(5)
            if rank == 0 { type = 0 }
        } else {
            type = try c.u8()
            guard type <= 2 else { throw c.refusal("dataspace type \(type) (scalar, simple or null)") }
            guard type == 1 || rank == 0 else { throw c.refusal("a \(type == 0 ? "scalar" : "null") dataspace of rank \(rank)") }
        }
        var count: UInt64 = 1
        for _ in 0..<rank {
            let d = try c.length()
            let (n, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw c.refusal("its dimensions' product overflows 64 bits (libhdf5 would size buffers from the wrapped count)") }
            count = n
        }
        if flags & 0x01 != 0 { try c.skip(rank * sizes.length) }
        if version == 1, flags & 0x02 != 0 { try c.skip(rank * sizes.length) }
        return type == 2 ? 0 : count
    }

    // MARK: Datatype (IV.A.2.d)

    /// A datatype: class and version (4 bits each), 24 bits of class flags, the size, and each class's
    /// properties; compound, enumerated, variable-length and array types hold further datatypes (at most 32
    /// deep: libhdf5 decodes them recursively). The checks libhdf5's later releases added to
    /// `H5O__dtype_decode_helper` for files that crashed 1.10 are made here: no zero sizes, no compound without
    /// members or with a member past its end, an enumeration's base of its own size, an array of rank ≤ 32.
    func datatype(_ c: inout HDF5Cursor, depth: Int = 0) throws(HDF5Refusal) -> HDF5Datatype {
        guard depth < 32 else { throw c.refusal("datatypes nested more than 32 deep") }
        let at = c.at
        let head = try c.u32()
        let typeClass = head & 0x0f
        let version = (head >> 4) & 0x0f
        let flags = head >> 8
        guard (1...4).contains(version) else { throw c.refusal("datatype version \(version) (1 to 4)", at: at) }
        let size = try c.u32()
        guard size > 0 else { throw c.refusal("a datatype of size 0 (libhdf5 refuses it)", at: at) }
        var base: Int?
        switch typeClass {
        case 0, 4: try c.skip(4)  // fixed-point, bit field: bit offset, precision
        case 1:
            // Floating-point: bit offset, precision, exponent location and size, mantissa location and size, bias.
            try c.skip(4)
            try c.skip(1)
            let exponent = try c.u8()
            try c.skip(1)
            let mantissa = try c.u8()
            guard exponent > 0, mantissa > 0 else { throw c.refusal("a floating-point type with an exponent of \(exponent) and a mantissa of \(mantissa) bits", at: at) }
            try c.skip(4)
        case 2: try c.skip(2)  // time: precision
        case 3, 7: break  // string; reference
        case 5:
            // Opaque: an ASCII tag whose length, a multiple of 8, is the low byte of the flags.
            let tag = flags & 0xff
            guard tag % 8 == 0 else { throw c.refusal("an opaque tag of \(tag) bytes, not a multiple of 8", at: at) }
            try c.skip(tag)
        case 6:
            let members = flags & 0xffff
            guard members > 0 else { throw c.refusal("a compound type without members", at: at) }
            // Version 3 writes member offsets in as few bytes as the size needs (H5VM_limit_enc_size).
            let offsetWidth = Self.encodedSize(UInt64(size))
            for _ in 0..<members {
                let nameAt = c.at
                let name = try terminatedString(&c, what: "compound member name")
                if version < 3 { try c.skip((name + 8) / 8 * 8 - name - 1) }
                let offset = version >= 3 ? Int(try c.uint(offsetWidth)) : try c.u32()
                if version == 1 {
                    let rank = try c.u8()
                    guard rank <= 4 else { throw c.refusal("a compound member array of rank \(rank) (version 1 allows 4)", at: nameAt) }
                    try c.skip(3 + 4 + 4 + 16)
                }
                let member = try datatype(&c, depth: depth + 1)
                guard offset <= size, member.size <= size - offset else {
                    throw c.refusal("a compound member of \(member.size) bytes at offset \(offset), past the type's \(size) bytes", at: nameAt)
                }
            }
        case 8:
            let members = flags & 0xffff
            let parent = try datatype(&c, depth: depth + 1)
            guard parent.size == size else { throw c.refusal("an enumeration of \(size) bytes over a base of \(parent.size)", at: at) }
            for _ in 0..<members {
                let name = try terminatedString(&c, what: "enumeration member name")
                if version < 3 { try c.skip((name + 8) / 8 * 8 - name - 1) }
            }
            let (values, overflow) = members.multipliedReportingOverflow(by: parent.size)
            guard !overflow else { throw c.refusal("an enumeration's values overflow", at: at) }
            try c.skip(values)
        case 9:
            let parent = try datatype(&c, depth: depth + 1)
            // A string's characters are 1 byte; libhdf5 1.10's conversion allocates and zeroes length × base size
            // per string before it reads it (fuzz-keras: Tests/Fixtures/fuzz/keras/oom-f079a2a89417f2e7).
            if flags & 0x0f == 1, parent.size != 1 {
                throw HDF5Refusal(offset: at, structure: "datatype", reason: "a variable-length string of \(parent.size)-byte characters (HDF5 strings have 1-byte characters; libhdf5 would allocate that much per character before reading)")
            }
            base = parent.size
        case 10:
            let rank = try c.u8()
            guard rank <= 32 else { throw c.refusal("an array type of rank \(rank) (HDF5 allows 32)", at: at) }
            if version < 3 { try c.skip(3) }
            try c.skip(4 * rank)
            if version < 3 { try c.skip(4 * rank) }
            _ = try datatype(&c, depth: depth + 1)
        default:
            throw c.refusal("datatype class \(typeClass) (0 to 10 are defined)", at: at)
        }
        return HDF5Datatype(typeClass: typeClass, size: size, base: base)
    }

    /// A NUL-terminated string inside the cursor (libhdf5 copies such names with strdup): its length without
    /// the NUL; the cursor moves past the NUL.
    func terminatedString(_ c: inout HDF5Cursor, what: String) throws(HDF5Refusal) -> Int {
        guard let nul = (c.at..<c.end).first(where: { b[$0] == 0 }) else {
            throw c.refusal("a \(what) without a terminating NUL inside the message (libhdf5 would read past it)", at: c.at)
        }
        let length = nul - c.at
        c.at = nul + 1
        return length
    }

    /// libhdf5's H5VM_limit_enc_size: the bytes that encode values up to `n`.
    static func encodedSize(_ n: UInt64) -> Int { (n == 0 ? 0 : (63 - n.leadingZeroBitCount)) / 8 + 1 }

    // MARK: Fill value (IV.A.2.e, IV.A.2.f), external files (IV.A.2.h)

    /// The old fill value message: a size and that many bytes.
    func oldFillValue(_ c: inout HDF5Cursor) throws(HDF5Refusal) {
        let size = try c.u32()
        try c.skip(size)
    }

    /// The fill value message: version 1 or 2 (allocation time, write time, defined, then the size and value,
    /// in version 2 only when defined), or 3 (flags; the size and value when bit 5 is set). libhdf5 1.10 copies
    /// the value for its size before it knows the message holds it.
    func fillValue(_ c: inout HDF5Cursor) throws(HDF5Refusal) {
        let version = try c.u8()
        var hasValue: Bool
        switch version {
        case 1, 2:
            try c.skip(2)
            let defined = try c.u8()
            hasValue = version == 1 || defined != 0
        case 3:
            let flags = try c.u8()
            hasValue = flags & 0x20 != 0
        default:
            throw c.refusal("fill value version \(version) (1 to 3)")
        }
        if hasValue {
            let size = try c.u32()
            if size != Int(UInt32.max) { try c.skip(size) }  // 0xffffffff: "undefined" in version 1
        }
    }

    /// External data files: version 1, 3 reserved bytes, allocated and used slots, the local heap of their names,
    /// then each used slot (name offset, file offset, size). Each name must be a string of the heap.
    func externalFiles(_ c: inout HDF5Cursor) throws(HDF5Refusal) {
        let version = try c.u8()
        guard version == 1 else { throw c.refusal("external data files version \(version) (1)") }
        try c.skip(3)
        let allocated = try c.u16(), used = try c.u16()
        guard used <= allocated else { throw c.refusal("\(used) external files used of \(allocated) slots") }
        let heapAt = c.at
        guard let heap = try c.address() else { throw c.refusal("no local heap for its file names") }
        let data = try localHeap(heap, from: heapAt)
        for _ in 0..<used {
            let nameAt = c.at
            let name = try c.length()
            _ = try heapString(name, in: data, from: nameAt, what: "external data files message")
            try c.skip(2 * sizes.length)
        }
    }

    // MARK: Data layout (IV.A.2.i)

    /// Versions 1 and 2 (rank, class, 5 reserved bytes, address, 4-byte dimensions, a compact size and data),
    /// 3 (compact: size and data; contiguous: address and size; chunked: rank, index address, 4-byte chunk
    /// dimensions) and 4 (chunked: flags, rank, dimension width, dimensions, index type and its parameters,
    /// index address; virtual: global heap address and index). Contiguous data must lie inside the image and
    /// chunk dimensions be above 0 (libhdf5 divides by them).
    func layout(_ c: inout HDF5Cursor) throws(HDF5Refusal) {
        let version = try c.u8()
        guard (1...4).contains(version) else { throw c.refusal("data layout version \(version) (1 to 4)") }
        if version < 3 {
            let rank = try c.u8()
            guard rank <= 33 else { throw c.refusal("a data layout of rank \(rank) (33 at most)") }
            let kind = try c.u8()
            guard kind <= 2 else { throw c.refusal("data layout class \(kind)") }
            try c.skip(5)
            if kind != 0 { _ = try c.address() }
            for _ in 0..<rank {
                let d = try c.u32()
                guard kind != 2 || d > 0 else { throw c.refusal("a chunk dimension of 0 (libhdf5 divides by it)") }
            }
            if kind == 0 {
                let size = try c.u32()
                try c.skip(size)
            }
            return
        }
        let kind = try c.u8()
        switch kind {
        case 0:
            let size = try c.u16()
            try c.skip(size)
        case 1:
            let from = c.at
            let address = try c.address()
            let size = try c.length()
            if let address, size > 0 {
                guard size <= UInt64(b.count) else { throw c.refusal("contiguous data of \(size) bytes, more than the file", at: from) }
                _ = try place(address, size: Int(size), "data layout message", from: from)
            }
        case 2:
            if version == 3 {
                let rank = try c.u8()
                guard (2...33).contains(rank) else { throw c.refusal("a chunked layout of rank \(rank) (2 to 33)") }
                _ = try c.address()
                for _ in 0..<rank {
                    guard try c.u32() > 0 else { throw c.refusal("a chunk dimension of 0 (libhdf5 divides by it)") }
                }
            } else {
                let flags = try c.u8()
                let rank = try c.u8()
                guard (2...33).contains(rank) else { throw c.refusal("a chunked layout of rank \(rank) (2 to 33)") }
                let width = try c.u8()
                guard (1...8).contains(width) else { throw c.refusal("chunk dimensions of \(width) bytes (1 to 8)") }
                for _ in 0..<rank {
                    guard try c.uint(width) > 0 else { throw c.refusal("a chunk dimension of 0 (libhdf5 divides by it)") }
                }
                let index = try c.u8()
                switch index {
                case 1: if flags & 0x02 != 0 { try c.skip(sizes.length + 4) }  // single chunk: its filtered size and mask
                case 2: break  // implicit
                case 3: try c.skip(1)  // fixed array: page bits
                case 4: try c.skip(5)  // extensible array parameters
                case 5: try c.skip(6)  // version 2 B-tree: node size, split and merge percents
                default: throw c.refusal("chunk index type \(index) (1 to 5)")
                }
                _ = try c.address()
            }
        case 3:
            guard version == 4 else { throw c.refusal("a virtual layout in a version \(version) message") }
            _ = try c.address()
            try c.skip(4)
        default:
            throw c.refusal("data layout class \(kind) (0 to 3)")
        }
    }

    // MARK: Filter pipeline (IV.A.2.l)

    /// Version 1 (6 reserved bytes; each filter: ID, name length, flags, value count, a name padded to 8, the
    /// values, padded to an even count) or 2 (a name and its length only for IDs from 256). At most 32 filters;
    /// names must end in a NUL inside the message (libhdf5 copies them with strdup).
    func filterPipeline(_ c: inout HDF5Cursor) throws(HDF5Refusal) {
        let version = try c.u8()
        guard version == 1 || version == 2 else { throw c.refusal("filter pipeline version \(version) (1 or 2)") }
        let count = try c.u8()
        guard count <= 32 else { throw c.refusal("\(count) filters (libhdf5 allows 32)") }
        if version == 1 { try c.skip(6) }
        for _ in 0..<count {
            let id = try c.u16()
            let nameLength = version == 1 || id >= 256 ? try c.u16() : 0
            try c.skip(2)  // flags
            let values = try c.u16()
            if nameLength > 0 {
                var name = HDF5Cursor(b, c.at..<min(c.end, c.at + nameLength), "filter pipeline message", sizes: sizes)
                _ = try terminatedString(&name, what: "filter name")
                try c.skip(version == 1 ? (nameLength + 7) / 8 * 8 : nameLength)
            }
            try c.skip(4 * values)
            if version == 1, values % 2 == 1 { try c.skip(4) }
        }
    }

    // MARK: Attribute (IV.A.2.m)

    /// An attribute message: version 1 (reserved byte; name, datatype and dataspace each padded to 8 bytes), 2
    /// (flags: shared datatype, shared dataspace) or 3 (and the name's character set): sizes of the three, then
    /// them, then the value, the dataspace's element count times the datatype's size, which must lie inside the
    /// message (libhdf5 1.10 allocates and copies it from there). A variable-length value's heap IDs are checked
    /// against their global heap collections. Returns the attribute's name.
    func attribute(_ c: inout HDF5Cursor) throws(HDF5Refusal) -> String {
        let version = try c.u8()
        guard (1...3).contains(version) else { throw c.refusal("attribute version \(version) (1 to 3)") }
        let flags = try c.u8()
        guard version == 1 ? flags == 0 : flags & ~0x03 == 0 else { throw c.refusal("unknown attribute flags \(flags)") }
        let nameSize = try c.u16(), typeSize = try c.u16(), spaceSize = try c.u16()
        if version == 3 { try c.skip(1) }
        func padded(_ n: Int) -> Int { version == 1 ? (n + 7) / 8 * 8 : n }
        let nameAt = c.at
        let name = try c.bytes(nameSize)
        guard nameSize > 0, b[name.upperBound - 1] == 0, !name.dropLast().contains(where: { b[$0] == 0 }) else {
            throw c.refusal("its name of \(nameSize) bytes does not end at its one NUL (libhdf5 copies names with strdup)", at: nameAt)
        }
        try c.skip(padded(nameSize) - nameSize)
        let typeRange = try c.bytes(typeSize)
        try c.skip(padded(typeSize) - typeSize)
        var t = cursor(typeRange, "attribute datatype")
        let type: HDF5Datatype
        if flags & 0x01 != 0 {
            type = try committedDatatype(try sharedMessage(&t, what: "attribute datatype"), from: typeRange.lowerBound)
        } else {
            type = try datatype(&t)
        }
        let spaceRange = try c.bytes(spaceSize)
        try c.skip(padded(spaceSize) - spaceSize)
        var s = cursor(spaceRange, "attribute dataspace")
        if flags & 0x02 != 0 { _ = try sharedMessage(&s, what: "attribute dataspace") }
        let elements = try dataspace(&s)
        let (total, overflow) = elements.multipliedReportingOverflow(by: UInt64(type.size))
        guard !overflow, total <= UInt64(c.remaining) else {
            throw c.refusal("its value (\(elements) × \(type.size) bytes) is larger than the \(c.remaining) bytes left in the message (libhdf5 would copy past them)", at: c.at)
        }
        if type.typeClass == 9, let base = type.base {
            // Each element is a heap ID: length (4 bytes), collection address, object index (4 bytes).
            guard type.size == 8 + sizes.offset else {
                throw c.refusal("a variable-length type of \(type.size) bytes where its heap IDs take \(8 + sizes.offset)", at: typeRange.lowerBound)
            }
            for i in 0..<Int(elements) {
                try variableLengthValue(at: c.at + i * type.size, base: base)
            }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[name.lowerBound..<(name.upperBound - 1)]), as: UTF8.self)
    }

    // MARK: Links (IV.A.2.g, IV.A.2.c)

    /// A link message: version 1, flags (name length width, creation order, link type, character set present),
    /// the name (of 1 byte or more, not NUL-terminated), then a hard link's object header address, or a soft,
    /// external or user-defined link's length-prefixed value.
    func link(_ c: inout HDF5Cursor) throws(HDF5Refusal) -> HDF5Link {
        let version = try c.u8()
        guard version == 1 else { throw c.refusal("link message version \(version) (1)") }
        let flags = try c.u8()
        guard flags & ~0x1f == 0 else { throw c.refusal("unknown link flags \(flags)") }
        var type = 0
        if flags & 0x08 != 0 {
            type = try c.u8()
            guard type <= 1 || type >= 64 else { throw c.refusal("link type \(type) (hard, soft, external or user-defined)") }
        }
        if flags & 0x04 != 0 { try c.skip(8) }
        if flags & 0x10 != 0 { try c.skip(1) }
        let length = try c.uint(1 << (flags & 0x03))
        guard length > 0, length <= UInt64(c.remaining) else { throw c.refusal("a link name of \(length) bytes (1 or more, inside the message)") }
        let name = try c.bytes(Int(length))
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[name]), as: UTF8.self)
        if type == 0 {
            let from = c.at
            guard let address = try c.address() else { throw c.refusal("a hard link '\(text)' without an address", at: from) }
            return HDF5Link(name: text, hardTarget: (address, from))
        }
        let valueLength = try c.u16()
        try c.skip(valueLength)
        return HDF5Link(name: text, hardTarget: nil)
    }

    /// Where a group's dense links or an object's dense attributes are (`what`: "link" or "attribute"), with the
    /// byte each address was read at.
    struct DenseStorage {
        var heap: UInt64, heapAt: Int
        var names: UInt64, namesAt: Int
        var order: UInt64?, orderAt: Int
    }

    /// The head the link info and attribute info messages share: version 0, flags (creation order tracked,
    /// indexed), the maximum creation index when tracked (`creationIndexBytes`), then the fractal heap, its name
    /// index and, when indexed, its creation order index. Nil for compact storage (no heap).
    func denseStorage(_ c: inout HDF5Cursor, _ what: String, creationIndexBytes: Int) throws(HDF5Refusal) -> DenseStorage? {
        let version = try c.u8()
        guard version == 0 else { throw c.refusal("\(what) info version \(version) (0)") }
        let flags = try c.u8()
        guard flags & ~0x03 == 0 else { throw c.refusal("unknown \(what) info flags \(flags)") }
        if flags & 0x01 != 0 { try c.skip(creationIndexBytes) }
        let heapAt = c.at
        let heap = try c.address()
        let namesAt = c.at
        let names = try c.address()
        let orderAt = c.at
        let order = flags & 0x02 != 0 ? try c.address() : nil
        guard let heap else { return nil }
        guard let names else { throw c.refusal("dense \(what) storage without a name index", at: namesAt) }
        return DenseStorage(heap: heap, heapAt: heapAt, names: names, namesAt: namesAt, order: order, orderAt: orderAt)
    }

    /// The link info message: version 0, flags (creation order tracked, indexed), the maximum creation index
    /// when tracked, then the fractal heap of a group's dense links, its name index (version 2 B-tree type 5)
    /// and, when indexed, its creation order index (type 6). Dense links are read from the heap through both
    /// indexes.
    func linkInfo(_ c: inout HDF5Cursor, path: String) throws(HDF5Refusal) {
        // Compact storage (no heap): the links are messages of the header.
        guard let d = try denseStorage(&c, "link", creationIndexBytes: 8) else { return }
        summary.denseLinkGroups += 1
        let h = try fractalHeap(d.heap, idLength: 7, from: d.heapAt)
        var read: Set<Int> = []
        try btree2(d.names, type: 5, recordSize: 11, from: d.namesAt) { (record: Range<Int>) throws(HDF5Refusal) in
            let object = try self.heapObject(h, id: (record.lowerBound + 4)..<(record.lowerBound + 11))
            guard read.insert(object.lowerBound).inserted else { return }
            var m = self.cursor(object, "link message")
            try self.add(try self.link(&m), in: path)
        }
        if let order = d.order {
            try btree2(order, type: 6, recordSize: 15, from: d.orderAt) { (record: Range<Int>) throws(HDF5Refusal) in
                let object = try self.heapObject(h, id: (record.lowerBound + 8)..<(record.lowerBound + 15))
                guard read.contains(object.lowerBound) else {
                    throw HDF5Refusal(offset: record.lowerBound, structure: "link creation order index record", reason: "it names a heap object the name index does not (byte \(object.lowerBound))")
                }
            }
        }
    }

    /// The attribute info message: version 0, flags (creation order tracked, indexed), the maximum creation
    /// index when tracked (2 bytes), then the fractal heap of dense attributes, its name index (version 2
    /// B-tree type 8) and, when indexed, its creation order index (type 9).
    func attributeInfo(_ c: inout HDF5Cursor, path: String) throws(HDF5Refusal) {
        guard let d = try denseStorage(&c, "attribute", creationIndexBytes: 2) else { return }
        summary.denseAttributeObjects += 1
        let h = try fractalHeap(d.heap, idLength: 8, from: d.heapAt)
        var read: Set<Int> = []
        try btree2(d.names, type: 8, recordSize: 17, from: d.namesAt) { (record: Range<Int>) throws(HDF5Refusal) in
            // Record: heap ID, message flags, creation order, name hash. A shared attribute lives in the SOHM heap.
            guard self.b[record.lowerBound + 8] & 0x02 == 0 else {
                throw HDF5Refusal(offset: record.lowerBound, structure: "attribute name index record", reason: "a shared attribute, stored in the file's shared message heap (SOHM), which this check does not read")
            }
            let object = try self.heapObject(h, id: record.lowerBound..<(record.lowerBound + 8))
            guard read.insert(object.lowerBound).inserted else { return }
            var m = self.cursor(object, "attribute message")
            self.summary.attributes.append("\(path):\(try self.attribute(&m))")
        }
        if let order = d.order {
            try btree2(order, type: 9, recordSize: 13, from: d.orderAt) { (record: Range<Int>) throws(HDF5Refusal) in
                guard self.b[record.lowerBound + 8] & 0x02 == 0 else {
                    throw HDF5Refusal(offset: record.lowerBound, structure: "attribute creation order index record", reason: "a shared attribute, stored in the file's shared message heap (SOHM), which this check does not read")
                }
                let object = try self.heapObject(h, id: record.lowerBound..<(record.lowerBound + 8))
                guard read.contains(object.lowerBound) else {
                    throw HDF5Refusal(offset: record.lowerBound, structure: "attribute creation order index record", reason: "it names a heap object the name index does not (byte \(object.lowerBound))")
                }
            }
        }
    }

    // MARK: Variable-length values (III.E)

    /// A variable-length value's heap ID (its length in base elements, the global heap collection's address, the
    /// object's index): libhdf5 1.10 allocates length × base bytes, looks the index up without a bound
    /// (`H5HG_read`) and copies the whole object in. The collection must walk to its end inside the image and
    /// hold the object, of exactly that many bytes.
    func variableLengthValue(at: Int, base: Int) throws(HDF5Refusal) {
        var c = cursor(at..<(at + 8 + sizes.offset), "variable-length value")
        let length = UInt64(try c.u32())
        let collection = try c.address()
        let index = try c.u32()
        guard length > 0 else { return }
        summary.variableLengthValues += 1
        guard let collection else { throw c.refusal("a value of \(length) elements without a global heap collection") }
        let start = try place(collection, size: 16, "variable-length value", from: at)
        guard signature(at: start, "GCOL"), b[start + 4] == 1 else {
            throw c.refusal("its collection address \(collection) does not point at a version 1 global heap collection (GCOL)")
        }
        var objects = collections[start]
        if objects == nil {
            let size = b.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self).littleEndian
            guard size >= 16, size <= UInt64(b.count - start) else {
                throw HDF5Refusal(offset: start, structure: "global heap collection", reason: "a collection of \(size) bytes that does not lie inside the file")
            }
            guard let walked = HDF5Guard.walk(b, start: start, end: start + Int(size)) else {
                throw HDF5Refusal(offset: start, structure: "global heap collection", reason: "an object's size does not fit its collection (libhdf5 would loop or read outside it)")
            }
            try claim(start, size: Int(size), "global heap collection")
            collections[start] = walked
            objects = walked
        }
        let (bytes, overflow) = length.multipliedReportingOverflow(by: UInt64(base))
        guard index > 0, let object = objects?[index], !overflow, UInt64(object) == bytes else {
            let held = index > 0 ? objects?[index].map { "an object of \($0) bytes" } ?? "no object" : "no object"
            throw c.refusal("it names object \(index) of the collection at byte \(start) as \(length) × \(base) bytes; the collection holds \(held) there (libhdf5 would read outside its buffer)")
        }
    }
}
