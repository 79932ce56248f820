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
        let file = try MappedFile(path: directory + "/" + name)
        return try JSONValue.parse(bytes: Array(file.bytes))
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
