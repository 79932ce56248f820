import Testing

@testable import ModelFormats

@Test func onnxGraphsIncludeIfAndLoopBodiesWithTheirParents() throws {
    let m = try Fixtures.read("small_cnn.onnx")
    #expect(m.format == .onnx)
    #expect(m.producer == "slipway-fixtures 1")
    #expect(m.formatVersion == 10)
    #expect(m.opsets == ["": 17])
    #expect(m.metadata["purpose"] == "tests")
    #expect(m.graphs.count == 4)
    let ifNode = try #require(m.graphs[0].nodes.firstIndex { $0.opType == "If" })
    #expect(m.graphs.compactMap(\.parent).contains(GraphParent(graph: 0, node: ifNode, attribute: "then_branch")))
    #expect(m.graphs.compactMap(\.parent).contains(GraphParent(graph: 0, node: ifNode, attribute: "else_branch")))
    #expect(m.operatorHistogram["Constant"] == 7)  // six in the main graph, one in else_branch
    #expect(m.graphs[0].nodes.allSatisfy { $0.version == 17 })
}

@Test func onnxConvolutionAndGemmAttributesAreKept() throws {
    let m = try Fixtures.read("small_cnn.onnx")
    let convs = m.graphs[0].nodes.filter { $0.opType == "Conv" }
    #expect(convs[0].attributes["kernel_shape"] == .ints([3, 3]))
    #expect(convs[0].attributes["pads"] == .ints([1, 1, 1, 1]))
    #expect(convs[1].attributes["group"] == .int(4))
    #expect(convs[1].attributes["strides"] == .ints([2, 2]))
    let gemm = try #require(m.graphs[0].nodes.first { $0.opType == "Gemm" })
    #expect(gemm.attributes["transB"] == .int(1))
    #expect(gemm.attributes["transA"] == .int(0))
}

@Test func onnxConstantsOfEveryFormBecomeTensors() throws {
    let m = try Fixtures.read("small_cnn.onnx")
    #expect(m.tensor("flat_shape")?.dtype == .int64)
    #expect(m.tensor("flat_shape")?.shape == [2])
    #expect(try m.floats("flat_shape") == [-1, 8])
    #expect(try m.floats("threshold") == [0.5])
    #expect(try m.floats("scales") == [1, 2, 3])
    #expect(try m.floats("trip") == [2])
    #expect(m.tensor("loop_scale")?.shape == [])
    #expect(m.tensor("else_bias")?.graph != 0)
    #expect(m.parameterCount == 72 + 8 + 144 + 80 + 10 + 4 + 2 + 1 + 3 + 1 + 10 + 1 + 1)
}

@Test func onnxConsumersResolveThroughEnclosingGraphs() throws {
    let m = try Fixtures.read("small_cnn.onnx")
    let weight = try #require(m.tensor("conv1.weight"))
    #expect(weight.consumers == [TensorConsumer(graph: 0, node: 0, inputIndex: 1)])
    // fc.bias feeds Gemm in the main graph and Add inside then_branch, which reads it from the outer scope.
    let bias = try #require(m.tensor("fc.bias"))
    #expect(bias.consumers.count == 2)
    #expect(bias.consumers.contains { $0.graph != 0 && $0.inputIndex == 1 })
}

@Test func onnxNamedDynamicDimensionsAreKept() throws {
    let m = try Fixtures.read("small_cnn.onnx")
    #expect(m.inputs == [ValueInfo(name: "x", dtype: .float32, shape: [.named("batch"), .fixed(1), .fixed(8), .fixed(8)])])
    #expect(m.outputs.first?.shape == [.named("batch"), .fixed(10)])
}

@Test func onnxTensorDataIsReadInPlaceFromRawDataAndTypedFields() throws {
    let m = try Fixtures.read("typed_fields.onnx")
    #expect(try m.floats("typed.int64") == [1, -2, 3, -4])
    #expect(try m.floats("typed.int32") == [7, -8, 9])
    #expect(try m.floats("typed.double") == [0.25, -0.5])
    #expect(try m.floats("typed.float16") == [1.5, -2.0, FloatDecoding.half(0x2E66)])
    #expect(try m.floats("typed.bfloat16") == [1, -3])
    #expect(try m.floats("raw.float16") == [1, 2, 3, 4])
    #expect(try m.floats("raw.bfloat16") == [1, -3])
    #expect(try m.floats("raw.float64") == [1.5, -2.5])
    #expect(try m.floats("typed.float").count == 6)
    #expect(m.tensor("typed.int4")?.dtype == .int4)
    #expect(m.tensor("typed.uint4")?.elementCount == 4)
    #expect(m.tensor("typed.float8")?.dtype == .float8e4m3fn)
    if case .file = m.tensor("raw.float16")?.storage {} else { Issue.record("raw_data should be a range of the file") }
}

@Test func onnxSparseInitializersCountTheirDenseShape() throws {
    let m = try Fixtures.read("typed_fields.onnx")
    let s = try #require(m.tensor("sparse.values"))
    #expect(s.shape == [10])
    #expect(s.elementCount == 10)
    #expect(s.sparseValueCount == 3)
}

@Test func onnxExternalDataIsFoundNextToTheModel() throws {
    let m = try Fixtures.read("external_data.onnx")
    let w = try #require(m.tensor("ext.weight"))
    guard case .external(let path, let offset, let length) = w.storage else {
        Issue.record("expected external storage")
        return
    }
    #expect(path.hasSuffix("external_data.bin"))
    #expect(offset >= 0 && length == 32 * 16 * 4)
    #expect(try m.floats("ext.weight").count == 512)
}

@Test func onnxExternalDataOutsideTheFolderIsRefused() {
    #expect {
        try Fixtures.read("external_escape.onnx")
    } throws: { error in
        guard let e = error as? ModelError else { return false }
        return e.field.hasSuffix("external_data.location") && e.message.contains("leaves the model's folder")
            && e.file.hasSuffix("external_escape.onnx")
    }
}

@Test func onnxQuantizationIsRecognised() throws {
    let m = try Fixtures.read("quantized_qdq.onnx")
    let q = m.quantizationSummary
    #expect(q.isQuantized && q.scheme == "QDQ")
    #expect(try Fixtures.read("small_cnn.onnx").quantizationSummary.isQuantized == false)
}
