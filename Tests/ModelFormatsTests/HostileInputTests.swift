import Testing

@testable import ModelFormats

/// A hostile file must give a `ModelError` naming the file (and, past detection, the field), in bounded
/// time and memory, and never a crash. These tests feed the readers broken copies of real fixtures.

/// Reads `bytes` as if they were the fixture `name`, and, when that succeeds, touches everything a
/// caller could: the JSON view, the text summary and every tensor's values.
@discardableResult
func readFully(_ bytes: [UInt8], as name: String) -> ModelError? {
    do {
        let file = try MappedFile(copying: bytes, path: Fixtures.path(name))
        let m = try ModelReader.read(file: file)
        _ = m.inspectionJSON().serialized()
        _ = m.textSummary()
        for t in m.tensors where t.dtype.bitsPerElement.map({ $0 % 8 == 0 }) ?? false {
            _ = try? m.withFloat32Values(of: t) { $0.count }
        }
        return nil
    } catch {
        return error
    }
}

@Test(arguments: Fixtures.readable)
func truncationAtEveryOffsetIsAnErrorThatNamesTheFile(name: String) throws {
    let bytes = try Fixtures.bytes(name)
    for n in 0..<bytes.count {
        // A cut file may still parse (a safetensors file cut in its last tensor does not); it must never crash.
        if let e = readFully(Array(bytes[0..<n]), as: name) {
            #expect(e.file == Fixtures.path(name) || e.file.hasSuffix(".bin"))
            #expect(!e.message.isEmpty)
        }
    }
}

/// SplitMix64: a seeded generator so that a failing mutation can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Property: for any mutation of a valid model (bit flips, extreme integers written over lengths and
/// offsets, spliced ranges), reading either succeeds or fails with an error naming the file.
@Test(arguments: Fixtures.readable)
func randomMutationsNeverCrashTheReaders(name: String) throws {
    let original = try Fixtures.bytes(name)
    var rng = SeededGenerator(state: UInt64(truncatingIfNeeded: name.hashValue & 0) &+ 0x5EED &+ UInt64(original.count))
    let extremes: [UInt64] = [0, 1, 0x7F, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, UInt64(Int64.max), UInt64.max, 1 << 62]
    for _ in 0..<400 {
        var bytes = original
        switch rng.next() % 4 {
        case 0:  // bit flips
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] ^= UInt8(1 << (rng.next() % 8))
            }
        case 1:  // a lying length, count or offset
            let width = [1, 2, 4, 8][Int(rng.next() % 4)]
            let at = Int(rng.next() % UInt64(max(1, bytes.count - width)))
            let v = extremes[Int(rng.next() % UInt64(extremes.count))]
            for k in 0..<min(width, bytes.count - at) { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
        case 2:  // varint bytes with the continuation bit set
            let at = Int(rng.next() % UInt64(bytes.count))
            for k in at..<min(bytes.count, at + 12) { bytes[k] = 0xFF }
        default:  // a range copied over another
            let a = Int(rng.next() % UInt64(bytes.count))
            let b = Int(rng.next() % UInt64(bytes.count))
            let n = min(Int(rng.next() % 64), bytes.count - max(a, b))
            for k in 0..<n { bytes[b + k] = original[a + k] }
        }
        if let e = readFully(bytes, as: name) {
            #expect(!e.description.isEmpty)
        }
    }
}

// MARK: Specific lies

func expectError(_ bytes: [UInt8], name: String = "hostile.bin", field: String? = nil, _ words: String) {
    let e = readFully(bytes, as: name)
    #expect(e != nil, "expected an error mentioning '\(words)'")
    guard let e else { return }
    #expect(e.description.contains(words), "\(e)")
    if let field { #expect(e.field.contains(field), "\(e)") }
    #expect(e.file.hasSuffix(name))
}

func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }

func protoVarint(_ v: UInt64) -> [UInt8] {
    var v = v
    var out: [UInt8] = []
    repeat {
        var b = UInt8(v & 0x7F)
        v >>= 7
        if v != 0 { b |= 0x80 }
        out.append(b)
    } while v != 0
    return out
}
func protoBytes(_ field: Int, _ payload: [UInt8]) -> [UInt8] { protoVarint(UInt64(field << 3 | 2)) + protoVarint(UInt64(payload.count)) + payload }
func protoInt(_ field: Int, _ v: UInt64) -> [UInt8] { protoVarint(UInt64(field << 3)) + protoVarint(v) }

@Test func onnxSubGraphsNestedTenThousandDeepAreRefusedQuickly() {
    var graph: [UInt8] = []
    for _ in 0..<10_000 {
        let attribute = protoBytes(1, Array("then_branch".utf8)) + protoInt(20, 5) + protoBytes(6, graph)
        graph = protoBytes(1, protoBytes(4, Array("If".utf8)) + protoBytes(5, attribute))
    }
    expectError(protoInt(1, 8) + protoBytes(7, graph), name: "deep.onnx", field: "graph.node[0]", "nested deeper than 64")
}

@Test func onnxDimensionsWhoseProductOverflowAreRefused() {
    let dims = protoInt(1, 1 << 62) + protoInt(1, 1 << 62) + protoInt(2, 1)
    let graph = protoBytes(5, dims + protoBytes(8, Array("w".utf8)) + protoBytes(9, [0, 0, 0, 0]))
    expectError(protoInt(1, 8) + protoBytes(7, graph), name: "dims.onnx", field: "dims", "overflows")
}

@Test func onnxRawDataThatDisagreesWithItsDimsIsRefused() {
    let tensor = protoInt(1, 4) + protoInt(2, 1) + protoBytes(8, Array("w".utf8)) + protoBytes(9, [0, 0, 0, 0])
    expectError(protoInt(1, 8) + protoBytes(7, protoBytes(5, tensor)), name: "raw.onnx", field: "raw_data", "need 16")
}

@Test func onnxExternalLocationsThatLeaveTheFolderAreRefused() {
    for location in ["/etc/passwd", "../outside.bin", "a/../../outside.bin"] {
        let entry = protoBytes(1, Array("location".utf8)) + protoBytes(2, Array(location.utf8))
        let tensor = protoInt(1, 1) + protoInt(2, 1) + protoBytes(8, Array("w".utf8)) + protoBytes(13, entry) + protoInt(14, 1)
        expectError(protoInt(1, 8) + protoBytes(7, protoBytes(5, tensor)), name: "ext.onnx", field: "external_data.location", "folder")
    }
}

@Test func safetensorsHeaderSizesNearTwoToTheSixtyFourAreRefused() {
    expectError(le64(UInt64.max) + Array("{}".utf8), name: "h.safetensors", field: "header_size", "limit")
    expectError(le64(1 << 63) + Array("{}".utf8), name: "h.safetensors", field: "header_size", "limit")
    expectError(le64(4096) + Array("{}".utf8), name: "h.safetensors", field: "header_size", "past the end")
}

@Test func safetensorsOffsetsPastTheDataOrOverlappingAreRefused() {
    func file(_ header: String, data: Int) -> [UInt8] {
        let h = Array(header.utf8)
        return le64(UInt64(h.count)) + h + [UInt8](repeating: 0, count: data)
    }
    expectError(file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: 8), name: "o.safetensors", field: "data_offsets", "past the data")
    expectError(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: 12),
                name: "o.safetensors", field: "data_offsets", "overlaps")
    expectError(file(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: 8), name: "o.safetensors", field: "shape", "overflows")
    expectError(file(#"{"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}}"#, data: 1), name: "o.safetensors", field: "dtype", "unknown dtype")
}

@Test func ggufCountsNearTwoToTheSixtyThreeAreRefusedBeforeAllocating() {
    let header = Array("GGUF".utf8) + le32(3)
    expectError(header + le64(UInt64(Int64.max)) + le64(0), name: "c.gguf", field: "tensor_count", "cannot fit")
    expectError(header + le64(0) + le64(1 << 62), name: "c.gguf", field: "metadata_kv_count", "cannot fit")
    // One key holding an array of 2^62 uint32 values.
    let key = le64(3) + Array("big".utf8) + le32(9) + le32(4) + le64(1 << 62)
    expectError(header + le64(0) + le64(1) + key, name: "c.gguf", field: "metadata[big].count", "cannot fit")
    expectError(Array("GGUF".utf8) + le32(1) + le64(0) + le64(0), name: "c.gguf", field: "version", "not supported")
}

@Test func ggufTensorDataPastTheEndIsRefused() {
    let info = le64(1) + Array("t".utf8) + le32(1) + le64(1024) + le32(0) + le64(0)
    expectError(Array("GGUF".utf8) + le32(3) + le64(1) + le64(0) + info, name: "d.gguf", field: "tensor_infos[0](t).offset", "past the end")
}

@Test func tfliteVectorCountsPastTheBufferAndOffsetCyclesAreRefused() throws {
    var bytes = try Fixtures.bytes("small_cnn_float.tflite")
    // Point the root offset at itself: the "table" at 0 then has a vtable offset that leaves the buffer or
    // fields that fail verification, never a loop.
    bytes[0...3] = [0, 0, 0, 0]
    expectError(bytes, name: "cycle.tflite", "Model")
}

@Test func aFileOfZerosOrNoiseIsNotMistakenForAModel() {
    expectError([UInt8](repeating: 0, count: 64), "not a model format")
    var rng = SeededGenerator(state: 42)
    expectError((0..<256).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, "Slipway")
}
