import Foundation
import Hashing
import JSON
import Testing

@testable import ModelFormats

/// The HDF5 guard's structural walk (`HDF5Walk`) on files written by the real h5py and Keras with both format
/// bounds (`scripts/make_hdf5_latest_fixtures.py`): it reads what h5py lists, and refuses each broken copy at the
/// structure that is broken.
enum HDF5Fixtures {
    static let directory: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(2).joined(separator: "/") + "/Fixtures/hdf5"
    }()

    static func walk(_ path: String) throws -> HDF5Walk.Summary {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try HDF5Walk.check(file.bytes) }
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue.parse(bytes: try fileBytes(directory + "/" + name))
    }
}

@Test func lookup3IsJenkinsHashlittle() {
    // The values lookup3.c's own driver prints for hashlittle.
    func hash(_ s: String, _ initial: UInt32 = 0) -> UInt32 { Array(s.utf8).withUnsafeBytes { HDF5Lookup3.hash($0, initial: initial) } }
    #expect(hash("") == 0xdead_beef)
    #expect(hash("Four score and seven years ago") == 0x1777_0551)
    #expect(hash("Four score and seven years ago", 1) == 0xcd62_8161)
}

@Test(arguments: ["groups_latest.h5", "groups_earliest.h5"])
func theWalkReadsEveryLinkAndAttributeH5pyLists(name: String) throws {
    let summary = try HDF5Fixtures.walk(HDF5Fixtures.directory + "/" + name)
    let expected = try HDF5Fixtures.json("groups.expected.json")
    #expect(summary.links.sorted() == expected["links"]?.arrayValue?.compactMap(\.stringValue))
    #expect(summary.attributes.sorted() == expected["attributes"]?.arrayValue?.compactMap(\.stringValue))
    #expect(summary.links.count == 1 + 12 + 1 + 151 + 1 + 1 + 10 + 1 + 1 + 2 + 1 + 1)
    #expect(summary.attributes.count == 2 + 14 + 10 + 1)
}

@Test func theLatestFormatIsReadThroughItsDenseStructures() throws {
    // libver="latest": superblock 3, only version 2 object headers. The root (9 links), the 12-dataset, 150-link
    // and creation-ordered groups keep their links in fractal heaps, the 14-attribute and creation-ordered groups
    // their attributes: 14 direct blocks and the indirect block the 150 links need (every FHDB and FHIB of the
    // file), 13 B-tree leaves and the internal node above the 150 links' 4 leaves (every BTLF and BTIN). The 6 KB
    // attribute is a huge object, through its heap's huge object B-tree.
    let latest = try HDF5Fixtures.walk(HDF5Fixtures.directory + "/groups_latest.h5")
    #expect(latest.superblockVersion == 3)
    #expect(latest.objectHeaders == 32)
    #expect(latest.version2ObjectHeaders == 32)
    #expect(latest.continuationChunks == 1)
    #expect(latest.denseLinkGroups == 4)
    #expect(latest.denseAttributeObjects == 2)
    #expect(latest.fractalHeapBlocks == 15)
    #expect(latest.btreeNodes == 14)
    #expect(latest.hugeObjects == 1)
    #expect(latest.variableLengthValues == 2)
    // The default bounds: superblock 0, version 1 headers and symbol tables, but for the creation-ordered group
    // (a version 2 header whatever the bounds) and the root, whose external link a symbol table cannot hold.
    let earliest = try HDF5Fixtures.walk(HDF5Fixtures.directory + "/groups_earliest.h5")
    #expect(earliest.superblockVersion == 0)
    #expect(earliest.objectHeaders == 32)
    #expect(earliest.version2ObjectHeaders == 1)
    #expect(earliest.denseLinkGroups == 2)
    #expect(earliest.denseAttributeObjects == 1)
    #expect(earliest.fractalHeapBlocks == 3)
    #expect(earliest.hugeObjects == 0)
    #expect(earliest.variableLengthValues == 2)
}

@Test func aKerasModelSavedWithLibverLatestReadsAsTheDefaultFile() throws {
    // small_cnn_latest.h5 is small_cnn.h5's model written by the same Keras writer into a libver="latest" file:
    // the same layers, the same weights, read in place; the walk reads the same links and attributes.
    let latest = try ModelReader.read(path: KerasFixtures.directory + "/small_cnn_latest.h5")
    let plain = try ModelReader.read(path: KerasFixtures.directory + "/small_cnn.h5")
    #expect(latest.producer == "keras 3.15.1")
    #expect(latest.layers.map(\.name) == plain.layers.map(\.name))
    #expect(latest.layers.map(\.className) == plain.layers.map(\.className))
    #expect(latest.layers.map(\.outputShape) == plain.layers.map(\.outputShape))
    #expect(latest.layers.map(\.parameters) == plain.layers.map(\.parameters))
    #expect(latest.parameterCount == 5610)
    #expect(latest.tensors.map(\.name) == plain.tensors.map(\.name))
    let weights = try #require(try KerasFixtures.expected("small_cnn")["weights"]?.arrayValue)
    for (a, b) in zip(latest.tensors, plain.tensors) {
        #expect(a.dtype == b.dtype && a.shape == b.shape, "\(a.name)")
        guard case .file(let offset, let length) = a.storage else { Issue.record("\(a.name) is not read in place"); continue }
        var sha = SHA256()
        sha.update(UnsafeRawBufferPointer(rebasing: latest.file.bytes[offset..<(offset + length)]))
        #expect(sha.hexDigest() == weights.first { $0["path"]?.stringValue == a.name }?["sha256"]?.stringValue, "\(a.name)")
        #expect(try latest.withStoredBytes(of: a) { Array($0) } == (try plain.withStoredBytes(of: b) { Array($0) }))
    }
    let walkLatest = try HDF5Fixtures.walk(KerasFixtures.directory + "/small_cnn_latest.h5")
    let walkPlain = try HDF5Fixtures.walk(KerasFixtures.directory + "/small_cnn.h5")
    #expect(walkLatest.superblockVersion == 3 && walkPlain.superblockVersion == 0)
    #expect(walkLatest.version2ObjectHeaders == walkLatest.objectHeaders)
    #expect(walkPlain.version2ObjectHeaders == 0)
    #expect(walkLatest.links.sorted() == walkPlain.links.sorted())
    #expect(walkLatest.attributes.sorted() == walkPlain.attributes.sorted())
    #expect(walkLatest.links.count == 29)
    #expect(walkLatest.attributes.count == 16)
    // Keras's model_config, layer and weight names: variable-length strings, each read through its heap object.
    #expect(walkLatest.variableLengthValues == 27 && walkPlain.variableLengthValues == 27)
}

/// small_cnn_latest.h5 (and groups_latest.h5) with one structure broken each, most with their checksums
/// recomputed so that only the broken structure is wrong (`scripts/make_hdf5_latest_fixtures.py`, which also
/// commits them as fuzz-keras seeds and names in seed-latest.expected.json the structure and byte each breaks):
/// each is refused, naming the file, the structure and its byte, before libhdf5 opens it.
@Test(arguments: [
    ("truncated-chunk", "its 58 bytes at address 11699 are not inside the file's 11728 bytes"),
    ("bad-checksum", "its checksum 0x18047e1c is not the 0x575139cf of its bytes"),
    ("continuation-outside", "its 58 bytes at address 46453 are not inside the file's 42357 bytes"),
    ("continuation-to-itself", "its chunk (bytes 48..<106) overlaps a chunk of the same header (bytes 71..<191)"),
    ("message-past-chunk", "its 120 bytes run past the end of its chunk at byte 191"),
    ("btree-records-past-node", "its pointer gives it 200 records, more than the 45 its node size holds"),
    ("attribute-value-past-message", "its value (1 × 4096 bytes) is larger than the 16 bytes left in the message"),
    ("heap-id-past-rows", "offset 16484 falls in row 4 of an indirect block of 4 rows"),
])
func aBrokenLatestFormatFileIsRefusedAtTheBrokenStructure(name: String, reason: String) throws {
    let path = KerasFixtures.directory + "/../fuzz/keras/seed-latest-" + name
    let expected = try #require(try HDF5Fixtures.json("seed-latest.expected.json")[name])
    let structure = try #require(expected["structure"]?.stringValue)
    let byte = try #require(expected["byte"]?.intValue)
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        let e = error as? ModelError
        return e?.kind == .malformed && e?.description.hasPrefix("\(path): \(structure) at byte \(byte): \(reason)") == true
    }
}

/// Rewrites the lookup3 checksum in the last 4 bytes of `range` (as libhdf5 writes it), for mutations that must
/// get past the checksum to reach the check under test.
func resealed(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8] {
    var out = bytes
    let sum = out[range.lowerBound..<(range.upperBound - 4)].withUnsafeBytes { HDF5Lookup3.hash($0) }
    withUnsafeBytes(of: sum.littleEndian) { for (i, v) in $0.enumerated() { out[range.upperBound - 4 + i] = v } }
    return out
}

/// A file's bytes, copied while its mapping lives.
func fileBytes(_ path: String) throws -> [UInt8] {
    let file = try MappedFile(path: path)
    return withExtendedLifetime(file) { Array(file.bytes) }
}

func firstSignature(_ bytes: [UInt8], _ text: String) throws -> Int {
    let s = Array(text.utf8)
    return try #require((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == s })
}

@Test func aBTreeOfAnotherKindThanItsIndexIsRefused() throws {
    // libhdf5 1.10 takes a version 2 B-tree's type from its header, not from the index that names it: a link name
    // index whose header says "creation order" would have its records read as another kind.
    let bytes = try fileBytes(KerasFixtures.directory + "/small_cnn_latest.h5")
    let header = try firstSignature(bytes, "BTHD")
    #expect(bytes[header + 5] == 5)
    var changed = bytes
    changed[header + 5] = 6
    let file = try MappedFile(copying: resealed(changed, header..<(header + 38)), path: "kind.h5")
    #expect {
        try ModelReader.read(file: file)
    } throws: { error in
        (error as? ModelError)?.description == "kind.h5: version 2 B-tree header at byte \(header): a type 6 B-tree where the index is of type 5 (libhdf5 would take its records for another kind); not a readable Keras HDF5 model"
    }
}

@Test func aChangedDirectBlockOfTheHeapIsRefusedByItsChecksum() throws {
    // h5py's heaps checksum their direct blocks (header flag bit 1): the whole block with the field zeroed.
    let bytes = try fileBytes(KerasFixtures.directory + "/small_cnn_latest.h5")
    let block = try firstSignature(bytes, "FHDB")
    var changed = bytes
    changed[block + 40] ^= 0x20
    let file = try MappedFile(copying: changed, path: "block.h5")
    #expect {
        try ModelReader.read(file: file)
    } throws: { error in
        let d = (error as? ModelError)?.description ?? ""
        return d.hasPrefix("block.h5: fractal heap direct block at byte \(block): its checksum ") && d.hasSuffix("(libhdf5 would refuse it: a changed or cut file); not a readable Keras HDF5 model")
    }
}

@Test func aLocalHeapFreeListThatLoopsIsRefused() throws {
    // Version 1 groups' local heaps chain their free blocks; libhdf5 1.10 follows the chain as it is. The root
    // group's heap in small_cnn.h5 (header at 680, data at 712) has one free block at offset 24; made to point
    // at itself, the chain would never end.
    var bytes = try fileBytes(KerasFixtures.directory + "/small_cnn.h5")
    #expect(Array(bytes[680..<684]) == Array("HEAP".utf8))
    withUnsafeBytes(of: UInt64(24).littleEndian) { for (i, v) in $0.enumerated() { bytes[712 + 24 + i] = v } }
    let file = try MappedFile(copying: bytes, path: "loop.h5")
    #expect {
        try ModelReader.read(file: file)
    } throws: { error in
        (error as? ModelError)?.description == "loop.h5: local heap at byte 680: its free list reaches offset 24, outside its 88-byte data segment or a second time; not a readable Keras HDF5 model"
    }
}

@Test func aHeapWhoseHugeObjectTreeHoldsNothingIsRefused() throws {
    // fuzz-keras's find (the resealing mutator's first run): small_cnn_latest.h5 with the link heap's huge
    // object B-tree address set while the heap counts no huge objects. On closing the heap libhdf5 deletes such
    // a tree (H5HF__huge_term), which fails in a read-only file and leaves the file open; at exit libhdf5 closes
    // it again and crashes (SIGSEGV in H5F__close_cb, after the input had long been read).
    let path = KerasFixtures.directory + "/../fuzz/keras/crash-16d865c550048a4e"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): fractal heap header at byte 39293: a huge object B-tree present for 0 huge objects of 0 bytes (libhdf5 would delete it on closing the heap, and fail to close the file); not a readable Keras HDF5 model"
    }
}

@Test func aStructurePastTheEndOfFileAddressIsRefused() throws {
    // fuzz-keras's find: a latest-format file whose superblock's end of file address (42,101) stops inside a
    // dense link heap's direct block. libhdf5 refuses the block's read ("addr overflow"), and
    // H5G__dense_build_table then frees the link table's unfilled entries (SIGSEGV in H5MM_xfree).
    let path = KerasFixtures.directory + "/../fuzz/keras/crash-9aa00ef8c5d34cf4"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): fractal heap direct block at byte 39403: its 512 bytes at address 41845 are not inside the 42101 bytes the superblock's end of file address allocates (libhdf5 would read outside the image); not a readable Keras HDF5 model"
    }
}

@Test func aFileMovedBehindAUserBlockEndsWhereItsEndOfFileAddressMovesTo() throws {
    // The end of file address is absolute (h5py's userblock_size=512 writes base address 512 and end of file
    // address 2640, the file's size). A file moved 512 bytes later still says base 0: libhdf5 moves the end of
    // file address with the superblock (H5F__super_read), and so does the walk.
    let original = KerasFixtures.directory + "/small_cnn_latest.h5"
    let bytes = [UInt8](repeating: 0, count: 512) + [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
    let moved = try bytes.withUnsafeBytes { b in try HDF5Walk.check(b) }
    #expect(moved == (try HDF5Fixtures.walk(original)))
}
