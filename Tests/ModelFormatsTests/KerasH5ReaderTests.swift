import Hashing
import JSON
import Testing

@testable import ModelFormats

/// `Tests/Fixtures/keras/small_cnn.*`, written by `scripts/make_keras_fixtures.py` with TensorFlow 2.19 / Keras 3,
/// and `small_cnn.expected.json`: what `model.summary()` and h5py say about the same files.
enum KerasFixtures {
    static let directory: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(2).joined(separator: "/") + "/Fixtures/keras"
    }()

    static func expected(_ name: String) throws -> JSONValue {
        let file = try MappedFile(path: directory + "/\(name).expected.json")
        return try JSONValue.parse(bytes: Array(file.bytes))
    }

    static func shape(_ v: JSONValue?) -> [Dimension]? {
        v?.arrayValue?.map { $0.intValue.map(Dimension.fixed) ?? .unknown }
    }
}

/// Keras 3's legacy HDF5 and Keras 2's (tf_keras 2.19), from the same architecture.
let kerasH5Fixtures = [("small_cnn", "keras 3.15.1"), ("small_cnn_keras2", "keras 2.19.0")]

@Test(arguments: kerasH5Fixtures)
func aKerasHDF5ModelReadsItsLayersAsModelSummaryShowsThem(name: String, producer: String) throws {
    let model = try ModelReader.read(path: KerasFixtures.directory + "/\(name).h5")
    let expected = try KerasFixtures.expected(name)
    #expect(model.format == .keras)
    #expect(model.producer == producer)
    #expect(model.metadata["keras.backend"] == "tensorflow")
    #expect(model.metadata["keras.container"] == "hdf5")
    let layers = try #require(expected["layers"]?.arrayValue)
    #expect(model.layers.map(\.name) == layers.compactMap { $0["name"]?.stringValue })
    #expect(model.layers.map(\.className) == layers.compactMap { $0["class"]?.stringValue })
    #expect(model.layers.map(\.outputShape) == layers.map { KerasFixtures.shape($0["output_shape"]) })
    #expect(model.layers.map(\.parameters) == layers.compactMap { $0["params"]?.intValue })
    #expect(model.parameterCount == expected["total_params"]?.intValue)
    #expect(model.parameterCount == 224 + 32 + 80 + 144 + 5130)
    // The graph: Add consumes both branches; inputs and outputs with their shapes.
    #expect(model.layers.first { $0.name == "add" }?.inbound == ["depthwise", "separable"])
    #expect(model.inputs == [ValueInfo(name: "image", dtype: .float32, shape: [.unknown, .fixed(16), .fixed(16), .fixed(3)])])
    #expect(model.outputs == [ValueInfo(name: "logits", dtype: .float32, shape: [.unknown, .fixed(10)])])
    #expect(model.graphs.count == 1 && model.graphs[0].nodes.map(\.opType) == [
        "Conv2D", "BatchNormalization", "DepthwiseConv2D", "SeparableConv2D", "Add", "MaxPooling2D", "Flatten", "Dense",
    ])
}

@Test(arguments: kerasH5Fixtures.map(\.0))
func everyKerasWeightIsTheBytesH5pyReads(name: String) throws {
    let model = try ModelReader.read(path: KerasFixtures.directory + "/\(name).h5")
    let weights = try #require(try KerasFixtures.expected(name)["weights"]?.arrayValue)
    #expect(model.tensors.count == weights.count)
    #expect(weights.count == 13)
    for w in weights {
        let path = try #require(w["path"]?.stringValue)
        let t = try #require(model.tensors.first { $0.name == path }, "no tensor \(path)")
        #expect(t.dtype.name == w["dtype"]?.stringValue)
        #expect(t.shape == w["shape"]?.arrayValue?.compactMap(\.intValue))
        guard case .file(let offset, let length) = t.storage else {
            Issue.record("\(path) is not read in place: \(t.storage)")
            continue
        }
        #expect(length == t.elementCount * 4)
        var sha = SHA256()
        sha.update(UnsafeRawBufferPointer(rebasing: model.file.bytes[offset..<(offset + length)]))
        #expect(sha.hexDigest() == w["sha256"]?.stringValue, "\(path)")
        // The reader's own value path reads the same bytes.
        let stored = try model.withStoredBytes(of: t) { Array($0) }
        #expect(stored == Array(model.file.bytes[offset..<(offset + length)]))
        #expect(try model.withFloat32Values(of: t) { $0.count } == t.elementCount)
    }
    // Each weight is consumed by its layer's node, after the layer's inbound values.
    let kernel = try #require(model.tensors.first { $0.name.hasPrefix("conv/conv/kernel") })
    let conv = model.graphs[0].nodes[kernel.consumers[0].node]
    #expect(conv.name == "conv" && conv.inputs[kernel.consumers[0].inputIndex] == kernel.name)
    #expect(kernel.consumers[0].inputIndex == 1)
}

@Test func anHDF5FileThatIsNotAKerasModelIsNamedWithTheWayOut() throws {
    // The HDF5 signature alone: libhdf5 cannot open it; the message names the file and the format.
    let file = try MappedFile(copying: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64), path: "weights.h5")
    #expect {
        try ModelReader.read(file: file)
    } throws: { error in
        // The guard's walk reads the superblock before libhdf5: its sizes of offsets and lengths are zeros.
        let e = error as? ModelError
        return e?.kind == .malformed && e?.description == "weights.h5: superblock at byte 13: its sizes of offsets and lengths are 0 and 0 bytes (2, 4 or 8 are read); not a readable Keras HDF5 model"
    }
}

@Test func aTruncatedKerasHDF5FileIsAnErrorNotACrash() throws {
    let source = try MappedFile(path: KerasFixtures.directory + "/small_cnn.h5")
    let bytes = withExtendedLifetime(source) { Array(source.bytes) }
    for cut in stride(from: 100, to: bytes.count, by: 997) {
        let file = try MappedFile(copying: Array(bytes[0..<cut]), path: "cut.h5")
        do {
            let m = try ModelReader.read(file: file)
            // Whatever is read from a truncated image must lie inside it.
            for t in m.tensors { if case .file(let o, let l) = t.storage { #expect(o + l <= cut) } }
        } catch {
            #expect(error.file == "cut.h5")
        }
    }
}

@Test func aKeras3ArchiveReadsTheSameLayersAndWeightsInPlace() throws {
    let archive = try ModelReader.read(path: KerasFixtures.directory + "/small_cnn.keras")
    let h5 = try ModelReader.read(path: KerasFixtures.directory + "/small_cnn.h5")
    #expect(archive.format == .keras)
    #expect(archive.metadata["keras.container"] == "zip")
    #expect(archive.producer == "keras 3.15.1")
    #expect(archive.layers.map(\.name) == h5.layers.map(\.name))
    #expect(archive.layers.map(\.outputShape) == h5.layers.map(\.outputShape))
    #expect(archive.layers.map(\.parameters) == h5.layers.map(\.parameters))
    #expect(archive.parameterCount == 5610)
    #expect(archive.tensors.first?.name == "bn/vars/0" || archive.tensors.contains { $0.name == "conv/vars/0" })
    // The same model saved twice: each layer's weights, in order, are the same bytes, read from inside the zip.
    for (a, b) in zip(archive.layers, h5.layers) {
        #expect(a.weights.count == b.weights.count, "\(a.name)")
        for (i, j) in zip(a.weights, b.weights) {
            let x = archive.tensors[i], y = h5.tensors[j]
            #expect(x.shape == y.shape && x.dtype == y.dtype)
            guard case .file = x.storage else { Issue.record("\(x.name) not in place"); continue }
            #expect(try archive.withStoredBytes(of: x) { Array($0) } == (try h5.withStoredBytes(of: y) { Array($0) }), "\(x.name)")
        }
    }
}

@Test func aCompressedOrCutKerasArchiveIsNamedNotCrashed() throws {
    let source = try MappedFile(path: KerasFixtures.directory + "/small_cnn.keras")
    let bytes = withExtendedLifetime(source) { Array(source.bytes) }
    for cut in stride(from: 30, to: bytes.count, by: 1499) {
        let file = try MappedFile(copying: Array(bytes[0..<cut]), path: "cut.keras")
        do {
            let m = try ModelReader.read(file: file)
            for t in m.tensors { if case .file(let o, let l) = t.storage { #expect(o + l <= cut) } }
        } catch {
            #expect(error.file == "cut.keras")
        }
    }
    // Method 8 (deflate) in the central directory entry of config.json: refused with the way out.
    var deflated = bytes
    let entries = try bytes.withUnsafeBytes { try ZipEntries.read($0, path: "x") }
    #expect(entries.map(\.name) == ["metadata.json", "config.json", "model.weights.h5"])
    var p = 0
    for _ in 0..<2 {  // the second central directory record is config.json's
        p = (p..<(deflated.count - 4)).first { deflated[$0] == 0x50 && deflated[$0 + 1] == 0x4B && deflated[$0 + 2] == 1 && deflated[$0 + 3] == 2 }.map { $0 + 1 } ?? 0
    }
    deflated[p - 1 + 10] = 8
    let file = try MappedFile(copying: deflated, path: "deflated.keras")
    #expect {
        try ModelReader.read(file: file)
    } throws: { error in
        (error as? ModelError)?.description.hasPrefix("deflated.keras: config.json: is compressed (zip method 8)") ?? false
    }
}

@Test func aGlobalHeapThatWouldLoopLibhdf5IsRefusedBeforeItOpens() throws {
    // fuzz-keras's find: a free-space object of size 0 in the collection holding model_config. libhdf5 1.10
    // advances by that size, forever; the guard walks the collection first. The fuzzer had also inserted a byte
    // before the root group's symbol table node, which the structural walk (HDF5Walk) now meets first.
    let path = KerasFixtures.directory + "/../fuzz/keras/timeout-8177b470b8b651b6"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): symbol table node at byte 168: no SNOD signature where the address points (byte 10240); not a readable Keras HDF5 model"
    }
    // The fixtures' collections walk to their ends.
    let good = try MappedFile(path: KerasFixtures.directory + "/small_cnn.h5")
    #expect(HDF5Guard.brokenGlobalHeap(good.bytes) == nil)
}

@Test func aSymbolTablePointingPastTheFileIsRefusedBeforeLibhdf5WalksIt() throws {
    // fuzz-keras's find (CI, session 28): 18 bytes of 0xff inserted into the root group's symbol table message
    // make its B-tree and local heap addresses point past the file; libhdf5 1.10's first lookup in the group
    // copies from a null buffer (SIGSEGV in H5F__accum_read). The guard reads the message before libhdf5 opens
    // the image.
    let path = KerasFixtures.directory + "/../fuzz/keras/crash-63a88bc174e63677"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): symbol table message at byte 112: its B-tree or local heap address is past the file's 2186 bytes (libhdf5 would read through it); not a readable Keras HDF5 model"
    }
    // The fixtures' symbol tables point inside their files; the same message with its heap address moved past
    // the end is found.
    let good = try MappedFile(path: KerasFixtures.directory + "/small_cnn_keras2.h5")
    #expect(HDF5Guard.brokenSymbolTable(good.bytes) == nil)
    var bytes = Array(good.bytes)
    let at = try #require(bytes.withUnsafeBytes { b -> Int? in
        (0..<(b.count - 24)).first { b[$0] == 0x11 && b[$0 + 1] == 0 && b[$0 + 2] == 0x10 && b[$0 + 3] == 0 && b[$0 + 5] == 0 }
    })
    withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { for (i, v) in $0.enumerated() { bytes[at + 16 + i] = v } }
    #expect(bytes.withUnsafeBytes { HDF5Guard.brokenSymbolTable($0) } == at)
}

@Test func aStringTypeOfWideCharactersIsRefusedBeforeLibhdf5AllocatesForIt() throws {
    // fuzz-keras's find: layer_names' variable-length string type with a base of 2^30 + 1 bytes instead of 1.
    // libhdf5 1.10 allocates and zeroes length × base size per string before it reads it: 7.5 GB for one
    // 80 KB file. The fuzzer had crossed it with another file, whose root group's local heap free list the
    // structural walk (HDF5Walk) now meets first.
    let path = KerasFixtures.directory + "/../fuzz/keras/oom-f079a2a89417f2e7"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): local heap at byte 1640: a free block of 8243112340715732992 bytes at offset 224 runs past its data segment; not a readable Keras HDF5 model"
    }
    // Every string type of the fixtures has 1-byte characters; the same change to one of them is found, by the
    // walk as it reads the attribute, and by the scan of the whole image.
    let good = try MappedFile(path: KerasFixtures.directory + "/small_cnn.h5")
    #expect(HDF5Guard.brokenStringType(good.bytes) == nil)
    var bytes = Array(good.bytes)
    let at = try #require(bytes.withUnsafeBytes { b -> Int? in
        (0..<(b.count - 16)).first { b[$0] == 0x19 && b[$0 + 1] & 0x0f == 1 && b.loadUnaligned(fromByteOffset: $0 + 4, as: UInt32.self) == 16 }
    })
    bytes[at + 12] = 4
    #expect(bytes.withUnsafeBytes { HDF5Guard.brokenStringType($0) } == at)
    #expect {
        try ModelReader.read(file: try MappedFile(copying: bytes, path: "wide.h5"))
    } throws: { error in
        (error as? ModelError)?.description == "wide.h5: datatype at byte \(at): a variable-length string of 4-byte characters (HDF5 strings have 1-byte characters; libhdf5 would allocate that much per character before reading); not a readable Keras HDF5 model"
    }
    // Dataset storage (weights) is not scanned: the same bytes inside a skipped range are left alone.
    #expect(bytes.withUnsafeBytes { HDF5Guard.brokenStringType($0, skipping: [at..<(at + 16)]) } == nil)
}

@Test func aStringLengthPastTheFileIsRefusedBeforeLibhdf5AllocatesIt() throws {
    // fuzz-keras's find (session 29): a depthwise layer's weight_names attribute with its first heap ID's length
    // mutated to 0xffffffff. libhdf5 1.10's conversion allocates lengths before it looks the strings up: the 52 KB
    // file took 4.2 GB of memory and 11 s. The guard parses the attribute messages first; the structural walk
    // (HDF5Walk) reads the heap ID and finds no collection where its address (shifted by the mutation) points.
    let path = KerasFixtures.directory + "/../fuzz/keras/crash-35dcf48af5202bdc"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): variable-length value at byte 20760: its collection address 2055 does not point at a version 1 global heap collection (GCOL); not a readable Keras HDF5 model"
    }
    // Every fixture's string attributes hold lengths inside their files.
    for name in ["small_cnn.h5", "small_cnn_keras2.h5"] {
        let good = try MappedFile(path: KerasFixtures.directory + "/" + name)
        #expect(HDF5Guard.brokenStringLength(good.bytes) == nil, "\(name)")
    }
}

@Test func aHeapIDNamingNoObjectIsRefusedBeforeLibhdf5ReadsIt() throws {
    // fuzz-keras's find: a variable-length string whose heap ID names an object index its collection does not
    // hold; libhdf5 1.10's H5HG_read takes the index on trust and reads through a null slot (SIGSEGV). The
    // structural walk (HDF5Walk) reads every variable-length value of the attributes it meets.
    let path = KerasFixtures.directory + "/../fuzz/keras/crash-47bf91fc03e26dae"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): variable-length value at byte 18016: it names object 65556 of the collection at byte 2048 as 13 × 1 bytes; the collection holds no object there (libhdf5 would read outside its buffer); not a readable Keras HDF5 model"
    }
}

@Test func aSoundFileWhoseMetadataSpellsTheHeapAddressUnalignedIsRead() throws {
    // A real Keras 2 file (three conv blocks): at byte 18139 a weight name's NUL padding runs into bytes that
    // spell the collection's address, 2048, with a plausible length before it. Heap IDs sit aligned; this is not one.
    let model = try ModelReader.read(path: KerasFixtures.directory + "/cnn3_keras2.h5")
    #expect(model.format == .keras)
    #expect(model.tensors.count == 22)
    #expect(model.tensors.reduce(0) { $0 + $1.elementCount } == 8_358)
}

@Test func aWeightsGroupThatLinksItselfIsWalkedOnceAndSoftLinksAreNotFollowed() throws {
    // An HDF5 group may hold hard links to itself, and soft links naming its own path: a walk that follows every
    // link doubles at each of its 32 levels (the storage scan before the global-heap guard took minutes on these
    // files). The readers follow hard links only, each group once. small_cnn.keras with `layers/conv2d` linked
    // from inside itself twice by hard links and once by a soft link (scripts/make_hdf5_link_seeds.py) reads
    // as the clean archive does.
    let clean = try ModelReader.read(path: KerasFixtures.directory + "/small_cnn.keras")
    let looped = try ModelReader.read(path: KerasFixtures.directory + "/../fuzz/keras/timeout-keras-weights-group-links-itself")
    #expect(looped.tensors.count == 13)
    #expect(looped.tensors.map(\.name) == clean.tensors.map(\.name))
    #expect(looped.parameterCount == 5610)
    // A plain HDF5 file whose one group links itself the same three ways: the scan ends, and the file is named
    // for what it lacks.
    let path = KerasFixtures.directory + "/../fuzz/keras/timeout-hdf5-group-links-itself"
    #expect {
        try ModelReader.read(path: path)
    } throws: { error in
        (error as? ModelError)?.description == "\(path): is not a Keras HDF5 model: an HDF5 file without Keras's model_config attribute; save the model with model.save(\"model.h5\")"
    }
}

@Test func theGuardsScanWhatDatasetStorageLeaves() {
    #expect(HDF5Guard.unskipped(100, skipping: []) == [0..<100])
    #expect(HDF5Guard.unskipped(100, skipping: [0..<10, 10..<20, 15..<30, 90..<200]) == [30..<90])
    #expect(HDF5Guard.unskipped(100, skipping: [40..<50]) == [0..<40, 50..<100])
}
