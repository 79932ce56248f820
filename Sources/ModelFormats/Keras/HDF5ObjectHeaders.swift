/// Object headers (HDF5 File Format Specification Version 3.0, IV.A.1): the version 1 prefix (16 bytes, chunks
/// of 8-byte-aligned messages) and the version 2 prefix ("OHDR", flags, optional times and attribute phase
/// change values, a chunk 0 size of 1, 2, 4 or 8 bytes, messages, gap, Jenkins lookup3 checksum), continued by
/// the Object Header Continuation message (IV.A.2.q) into further chunks: raw message runs in version 1,
/// "OCHK" blocks with their own checksum in version 2. libhdf5's reading is `H5O__prefix_deserialize` and
/// `H5O__chunk_deserialize` (H5Ocache.c).
extension HDF5Walk {
    struct Message {
        var type: Int
        var flags: Int
        /// The message's data, inside its chunk.
        var body: Range<Int>
        /// Where its header lies (refusals name it).
        var at: Int
    }

    static let messageNames: [Int: String] = [
        0x01: "dataspace message", 0x02: "link info message", 0x03: "datatype message", 0x04: "fill value message (old)",
        0x05: "fill value message", 0x06: "link message", 0x07: "external data files message", 0x08: "data layout message",
        0x0A: "group info message", 0x0B: "filter pipeline message", 0x0C: "attribute message", 0x0D: "object comment message",
        0x0F: "shared message table message", 0x10: "object header continuation message", 0x11: "symbol table message",
        0x13: "B-tree 'K' values message", 0x15: "attribute info message", 0x16: "object reference count message",
    ]

    static func name(ofMessage type: Int) -> String { messageNames[type] ?? "object header message type \(type)" }

    /// Reads the object header at `address` and every structure its messages lead to; queues the objects its
    /// links name.
    func object(at address: UInt64, path: String, from: Int, isExtension: Bool = false) throws(HDF5Refusal) {
        let header = try objectHeader(at: address, from: from)
        for m in header.messages {
            try message(m, path: path, version: header.version, isExtension: isExtension)
        }
    }

    /// The messages of the object header at `address`, in all its chunks; read once (a committed datatype's
    /// header is read for its datatype first, and again as an object when a link names it).
    func objectHeader(at address: UInt64, from: Int) throws(HDF5Refusal) -> (version: Int, messages: [Message]) {
        if let h = headers[address] { return h }
        let h = try readObjectHeader(at: address, from: from)
        headers[address] = h
        return h
    }

    func readObjectHeader(at address: UInt64, from: Int) throws(HDF5Refusal) -> (version: Int, messages: [Message]) {
        let what = "object header"
        let start = try place(address, size: 6, what, from: from)
        var chunks: [Range<Int>] = []
        var messages: [Message] = []
        let version: Int
        var tracked = false
        if signature(at: start, "OHDR") {
            // IV.A.1.b: version 2.
            version = 2
            var c = cursor(start..<b.count, what)
            try c.skip(4)
            let v = try c.u8()
            guard v == 2 else { throw c.refusal("version \(v) after its OHDR signature (2 is the only one)") }
            let flags = try c.u8()
            guard flags & ~0x3f == 0 else { throw c.refusal("unknown flags \(flags) (libhdf5 refuses them)") }
            tracked = flags & 0x04 != 0
            if flags & 0x20 != 0 { try c.skip(16) }  // access, modification, change and birth times
            if flags & 0x10 != 0 {
                let maxCompact = try c.u16(), minDense = try c.u16()
                guard maxCompact >= minDense else { throw c.refusal("its attribute phase change values (\(maxCompact) compact, \(minDense) dense) are reversed") }
            }
            let chunk0 = try c.uint(1 << (flags & 0x03))
            let prefix = c.at - start
            let headerSize = tracked ? 6 : 4
            guard chunk0 == 0 || chunk0 >= UInt64(headerSize) else { throw c.refusal("its first chunk of \(chunk0) bytes cannot hold a message") }
            guard chunk0 <= UInt64(b.count) else { throw c.refusal("its first chunk of \(chunk0) bytes is larger than the file") }
            let total = prefix + Int(chunk0) + 4
            _ = try place(address, size: total, what, from: from)
            try claim(start, size: total, what)
            try verifyChecksum(start..<(start + total), what)
            chunks.append((start + prefix)..<(start + prefix + Int(chunk0)))
            summary.version2ObjectHeaders += 1
        } else {
            // IV.A.1.a: version 1 (version, reserved, message count, reference count, chunk size, 4 padding bytes).
            version = 1
            _ = try place(address, size: 16, what, from: from)
            var c = cursor(start..<(start + 16), what)
            let v = try c.u8()
            guard v == 1 else { throw c.refusal("neither an OHDR signature nor version 1 (version \(v))") }
            try c.skip(1)
            let count = try c.u16()
            try c.skip(4)
            let chunk0 = try c.u32()
            guard (count > 0 && chunk0 >= 8) || (count == 0 && chunk0 == 0) else {
                throw c.refusal("its first chunk of \(chunk0) bytes does not fit its \(count) messages (libhdf5 refuses it)")
            }
            _ = try place(address, size: 16 + chunk0, what, from: from)
            try claim(start, size: 16 + chunk0, what)
            chunks.append((start + 16)..<(start + 16 + chunk0))
        }
        summary.objectHeaders += 1
        var k = 0
        while k < chunks.count {
            let chunkWhat = k == 0 ? what : "object header continuation chunk"
            var continuations: [(address: UInt64, size: UInt64, from: Int)] = []
            try chunkMessages(chunks[k], version: version, tracked: tracked, what: chunkWhat, into: &messages, continuations: &continuations)
            for cont in continuations {
                chunks.append(try continuationChunk(cont, version: version, near: [chunks[0], chunks[k]]))
            }
            k += 1
        }
        return (version, messages)
    }

    /// A continuation's chunk, placed and checked: inside the image, not overlapping the header's first chunk nor
    /// the chunk holding the continuation (pointing back into itself), never read before (any earlier chunk: a
    /// cycle; `claim`), and for version 2 an "OCHK" block whose checksum holds. Returns its message bytes.
    func continuationChunk(_ cont: (address: UInt64, size: UInt64, from: Int), version: Int, near chunks: [Range<Int>]) throws(HDF5Refusal) -> Range<Int> {
        let what = "object header continuation chunk"
        let minimum = 8  // a version 1 message header; a version 2 signature and checksum
        guard cont.size >= UInt64(minimum), cont.size <= UInt64(b.count) else {
            throw HDF5Refusal(offset: cont.from, structure: "object header continuation message", reason: "a chunk of \(cont.size) bytes (a version \(version) chunk holds at least \(minimum) and lies inside the file)")
        }
        let size = Int(cont.size)
        let start = try place(cont.address, size: size, "object header continuation message", from: cont.from)
        let range = start..<(start + size)
        if let overlap = chunks.first(where: { $0.overlaps(range) || $0.lowerBound == start }) {
            throw HDF5Refusal(offset: cont.from, structure: "object header continuation message", reason: "its chunk (bytes \(start)..<\(start + size)) overlaps a chunk of the same header (bytes \(overlap.lowerBound)..<\(overlap.upperBound)): a cycle libhdf5 would follow")
        }
        try claim(start, size: size, what)
        summary.continuationChunks += 1
        if version == 1 { return range }
        guard signature(at: start, "OCHK") else {
            throw HDF5Refusal(offset: start, structure: what, reason: "no OCHK signature where the continuation message points")
        }
        try verifyChecksum(range, what)
        return (start + 4)..<(start + size - 4)
    }

    /// The messages of one chunk (IV.A.2): version 1 headers of 8 bytes (type u16, size u16, flags, 3 reserved)
    /// with sizes aligned to 8; version 2 headers of 4 bytes (type u8, size u16, flags) plus a 2-byte creation
    /// order when the header tracks it, and a gap smaller than a message header at the chunk's end.
    func chunkMessages(_ chunk: Range<Int>, version: Int, tracked: Bool, what: String, into messages: inout [Message],
                       continuations: inout [(address: UInt64, size: UInt64, from: Int)]) throws(HDF5Refusal) {
        let headerSize = version == 1 ? 8 : (tracked ? 6 : 4)
        var c = cursor(chunk, what)
        while c.remaining > 0 {
            guard c.remaining >= headerSize else {
                if version == 2 { break }  // a gap
                throw c.refusal("\(c.remaining) bytes left at its end, too few for a message header", at: c.at)
            }
            let at = c.at
            let type = version == 1 ? try c.u16() : try c.u8()
            let size = try c.u16()
            let flags = try c.u8()
            if version == 1 {
                try c.skip(3)
                guard size % 8 == 0 else { throw c.refusal("a message of \(size) bytes, not a multiple of 8 (libhdf5 refuses it)", at: at) }
            } else if tracked {
                try c.skip(2)
            }
            guard size <= c.remaining else {
                throw HDF5Refusal(offset: at, structure: Self.name(ofMessage: type), reason: "its \(size) bytes run past the end of its chunk at byte \(chunk.upperBound)")
            }
            let body = c.at..<(c.at + size)
            try c.skip(size)
            if type == 0x10 {
                // IV.A.2.q: offset and length of the next chunk.
                var m = cursor(body, "object header continuation message")
                let from = m.at
                guard let address = try m.address() else { throw m.refusal("it has no chunk address") }
                let length = try m.length()
                continuations.append((address, length, from))
            } else if type != 0 {
                messages.append(Message(type: type, flags: flags, body: body, at: at))
            }
        }
    }

    // MARK: Messages

    /// One message of an object: the structures it points at are read, and links queue their objects.
    func message(_ m: Message, path: String, version: Int, isExtension: Bool) throws(HDF5Refusal) {
        let what = Self.name(ofMessage: m.type)
        var c = cursor(m.body, what)
        // A shared message (flag bit 1) holds a reference to its real encoding instead (IV.A.2, "Shared message").
        if m.flags & 0x02 != 0, [0x01, 0x03, 0x05, 0x0B, 0x0C].contains(m.type) {
            let target = try sharedMessage(&c, what: what)
            // Only a datatype lives in another object header ("committed"); libhdf5 shares the others through
            // the SOHM heap alone, which `sharedMessage` refuses.
            guard m.type == 0x03 else { throw c.refusal("a shared \(what) stored in another object header (libhdf5 writes only datatypes there)") }
            _ = try committedDatatype(target, from: m.body.lowerBound)
            return
        }
        switch m.type {
        case 0x01: _ = try dataspace(&c)
        case 0x03: _ = try datatype(&c)
        case 0x04: try oldFillValue(&c)
        case 0x05: try fillValue(&c)
        case 0x06:
            let link = try self.link(&c)
            try add(link, in: path)
        case 0x02: try linkInfo(&c, path: path)
        case 0x07: try externalFiles(&c)
        case 0x08: try layout(&c)
        case 0x0A: try c.need(2)  // group info: version, flags (and the values its flags name)
        case 0x0B: try filterPipeline(&c)
        case 0x0C:
            let attribute = try self.attribute(&c)
            summary.attributes.append("\(path):\(attribute)")
        case 0x0D:
            // Object comment: a NUL-terminated string (libhdf5 copies it with strdup).
            guard m.body.contains(where: { b[$0] == 0 }) else { throw c.refusal("its comment has no terminating NUL inside the message (libhdf5 would read past it)") }
        case 0x0F: try c.need(1 + sizes.offset + 1)  // shared message table: used only through shared messages
        case 0x11: try symbolTable(&c, path: path)
        case 0x12: try c.need(8)  // modification time
        case 0x13:
            // B-tree 'K' values (superblock extension): version, indexed storage, group internal and leaf K.
            try c.skip(3)
            let internalK = try c.u16(), leafK = try c.u16()
            guard internalK > 0, leafK > 0 else { throw c.refusal("its group B-tree K values are \(leafK) and \(internalK); libhdf5 needs both above 0") }
            if isExtension { groupInternalK = internalK; groupLeafK = leafK }
        case 0x15: try attributeInfo(&c, path: path)
        case 0x16:
            guard version == 2 else { throw c.refusal("an object reference count message in a version 1 object header (libhdf5 refuses it)") }
            try c.need(5)
        default: break  // messages libhdf5 does not decode to open the object
        }
    }

    /// IV.A.2, shared message encoding: version 1 (type, 6 reserved bytes, a length's worth skipped, the
    /// object header address), version 2 (type, address) or version 3 (type 1: an 8-byte SOHM heap ID; 2: the
    /// object header address). The object header address of the message's real encoding.
    func sharedMessage(_ c: inout HDF5Cursor, what: String) throws(HDF5Refusal) -> UInt64 {
        let version = try c.u8()
        let type = try c.u8()
        switch version {
        case 1:
            try c.skip(6 + sizes.length)
        case 2: break
        case 3:
            if type == 1 {
                throw c.refusal("it is stored in the file's shared message heap (SOHM), which this check does not read")
            }
            guard type == 2 else { throw c.refusal("shared message type \(type) (1 or 2 are defined)") }
        default:
            throw c.refusal("shared message version \(version) (1 to 3 are defined)")
        }
        let from = c.at
        guard let address = try c.address() else { throw c.refusal("its shared message has no object header address", at: from) }
        _ = try place(address, size: 1, what, from: from)
        return address
    }

    /// The datatype of a committed (named) datatype object, which a shared datatype message names: its object
    /// header's datatype message. Read once; a committed type naming itself is refused.
    func committedDatatype(_ address: UInt64, from: Int) throws(HDF5Refusal) -> HDF5Datatype {
        if let t = committedTypes[address] { return t }
        guard committedInProgress.insert(address).inserted, committedInProgress.count < 64 else {
            throw HDF5Refusal(offset: from, structure: "shared datatype message", reason: "its committed datatype leads back to itself")
        }
        defer { committedInProgress.remove(address) }
        // Only its datatype message is read here; a link naming the object reads the rest.
        let header = try objectHeader(at: address, from: from)
        var found: HDF5Datatype?
        for m in header.messages where m.type == 0x03 {
            var c = cursor(m.body, "datatype message")
            if m.flags & 0x02 != 0 {
                found = try committedDatatype(try sharedMessage(&c, what: "datatype message"), from: m.body.lowerBound)
            } else {
                found = try datatype(&c)
            }
        }
        guard let found else { throw HDF5Refusal(offset: from, structure: "shared datatype message", reason: "the object it names holds no datatype message") }
        committedTypes[address] = found
        return found
    }

    /// Records a link and queues the object a hard link names.
    func add(_ link: HDF5Link, in path: String) throws(HDF5Refusal) {
        let child = path == "/" ? "/" + link.name : path + "/" + link.name
        summary.links.append(child)
        if let target = link.hardTarget {
            _ = try place(target.address, size: 1, "link message", from: target.from)
            pending.append((target.address, child, target.from))
        }
    }
}
