import Testing

@testable import ModelFormats

@Test func safetensorsReadsEveryDtypeAndTheMetadata() throws {
    let m = try Fixtures.read("all_dtypes.safetensors")
    let dtypes = Dictionary(uniqueKeysWithValues: m.tensors.map { ($0.name, $0.dtype) })
    #expect(dtypes == [
        "f64": .float64, "f32": .float32, "f16": .float16, "bf16": .bfloat16, "i64": .int64, "i32": .int32,
        "i16": .int16, "i8": .int8, "u8": .uint8, "bool": .bool, "f8_e4m3": .float8e4m3fn, "f8_e5m2": .float8e5m2,
        "scalar": .float32, "empty": .float32,
    ])
    #expect(m.metadata == ["format": "np", "note": "slipway fixture"])
    #expect(try m.floats("scalar") == [3.5])
    #expect(try m.floats("i8") == [-3, -2, -1, 0, 1, 2])
    #expect(m.tensor("empty")?.elementCount == 0)
    #expect(m.graphs.isEmpty && m.operatorHistogram.isEmpty)
}

@Test func ggufReadsMetadataOfEveryTypeAndBlockQuantizedTensors() throws {
    let m = try Fixtures.read("small.gguf")
    #expect(m.format == .gguf && m.formatVersion == 3)
    #expect(m.metadata["test.u64"] == "1099511627776")
    #expect(m.metadata["test.i8"] == "-5")
    #expect(m.metadata["test.bool"] == "true")
    #expect(m.metadata["test.nested"] == "[[1, 2], [3]]")
    #expect(m.metadata["test.long"] == "[40 × int32]")
    let q4k = try #require(m.tensor("q4_k"))
    #expect(q4k.dtype == .ggml(.q4_K))
    #expect(q4k.shape == [2, 256])
    #expect(q4k.storedBytes == 2 * 144)
    #expect(m.tensor("bf16")?.dtype == .bfloat16)
    #expect(try m.floats("f32").count == 32)
    #expect(m.quantizationSummary.isQuantized)
}

@Test func ggufVersionTwoReadsLikeVersionThree() throws {
    let v2 = try Fixtures.read("small_v2.gguf")
    let v3 = try Fixtures.read("small.gguf")
    #expect(v2.formatVersion == 2)
    #expect(v2.tensors.map(\.name) == v3.tensors.map(\.name))
    #expect(v2.parameterCount == v3.parameterCount)
}

@Test func ggmlBlockLayoutsMatchGGUFPy() {
    #expect(GGMLType.q4_0.blockSize == 32 && GGMLType.q4_0.bytesPerBlock == 18)
    #expect(GGMLType.q6_K.blockSize == 256 && GGMLType.q6_K.bytesPerBlock == 210)
    #expect(GGMLType.iq2_xxs.bytesPerBlock == 66)
    #expect(DType.ggml(.q8_0).byteCount(elements: 64) == 68)
    #expect(DType.ggml(.q8_0).byteCount(elements: 33) == nil)
}

@Test func halfPrecisionDecodesEdgeCases() {
    #expect(FloatDecoding.half(0x3C00) == 1)
    #expect(FloatDecoding.half(0xC000) == -2)
    #expect(FloatDecoding.half(0x0001) == Float(bitPattern: 0x3380_0000))  // smallest subnormal, 2^-24
    #expect(FloatDecoding.half(0x7C00) == .infinity)
    #expect(FloatDecoding.half(0x7E00).isNaN)
    #expect(FloatDecoding.half(0x8000).sign == .minus)
}

@Test func chunkedReadsCoverTheTensorInOrder() throws {
    let m = try Fixtures.read("small_cnn_float.tflite")
    let t = try #require(m.tensors.max { $0.elementCount < $1.elementCount })
    var starts: [Int] = []
    var values: [Float] = []
    try m.forEachFloat32Chunk(of: t, chunkSize: 100) { chunk, start in
        starts.append(start)
        values.append(contentsOf: chunk)
    }
    #expect(starts == Array(stride(from: 0, to: t.elementCount, by: 100)))
    #expect(values == (try m.floats(t.name)))
}

@Test func storedBytesAreTheFileItselfForBlockQuantizedTensors() throws {
    let m = try Fixtures.read("small.gguf")
    let t = try #require(m.tensor("q8_0"))
    #expect(try m.withStoredBytes(of: t) { $0.count } == 2 * 8 * 34)
    let typed = try Fixtures.read("typed_fields.onnx")
    #expect(throws: ModelError.self) { try typed.withStoredBytes(of: #require(typed.tensor("typed.float"))) { $0.count } }
}
