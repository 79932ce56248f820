import Testing

@testable import ModelFormats

@Test func tfliteOperatorsUseBuiltinNamesAndKeepConvolutionOptions() throws {
    let m = try Fixtures.read("small_cnn_float.tflite")
    #expect(m.format == .tflite && m.formatVersion == 3)
    #expect(m.operatorHistogram == ["CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "MEAN": 1, "FULLY_CONNECTED": 2, "SOFTMAX": 1])
    let conv = try #require(m.graphs[0].nodes.first { $0.opType == "CONV_2D" })
    #expect(conv.builtinCode == 3)
    #expect(conv.attributes["stride_w"] == .int(2))
    #expect(conv.attributes["padding"] == .string("SAME"))
    #expect(conv.attributes["dilation_h_factor"] == .int(1))
}

@Test func tfliteShapeSignaturesMarkDynamicDimensions() throws {
    let m = try Fixtures.read("small_cnn_float.tflite")
    #expect(m.inputs.first?.shape == [.unknown, .fixed(8), .fixed(8), .fixed(3)])
    #expect(m.signatures.first?.key == "serving_default")
    #expect(m.metadata["min_runtime_version"]?.isEmpty == false)
}

@Test func tflitePerChannelQuantizationIsRead() throws {
    let m = try Fixtures.read("small_cnn_int8.tflite")
    let conv = try #require(m.tensors.first { $0.dtype == .int8 && $0.shape == [8, 3, 3, 3] })
    let q = try #require(conv.quantization)
    #expect(q.scales.count == 8)
    #expect(q.zeroPoints == [Int64](repeating: 0, count: 8))
    #expect(q.axis == 0)
    #expect(m.inputs.first?.dtype == .int8)
    #expect(m.quantizationSummary.scheme == "full integer")
    #expect(conv.consumers.count == 1)
}

/// Activations keep their quantization too (a delegate refuses nodes on their scales), as does the input.
@Test func tfliteActivationQuantizationIsRead() throws {
    let m = try Fixtures.read("small_cnn_int8.tflite")
    let shapes = try #require(m.graphs.first?.tensorShapes)
    let input = try #require(shapes.first { $0.name == "serving_default_image:0" })
    #expect(input.quantization?.scales.count == 1 && abs(Double(input.quantization?.scales.first ?? 0) - 0.0039203) < 1e-7)
    #expect(input.quantization?.zeroPoints == [-128] && input.quantization?.axis == nil)
    let pooled = try #require(shapes.first { $0.name == "functional_1/global_average_pooling2d_1/Mean" })
    #expect(pooled.quantization?.zeroPoints == [70])
    #expect(abs(Double(pooled.quantization?.scales.first ?? 0) - 0.00111271) < 1e-8)
    let depthwise = try #require(shapes.first { $0.name == "functional_1/depthwise_1/depthwise" })
    #expect(depthwise.quantization?.scales.count == 8 && depthwise.quantization?.axis == 3)
    // A tensor without parameters (the Mean's axes) has none.
    #expect(shapes.first { $0.name == "functional_1/global_average_pooling2d_1/Mean/reduction_indices" }?.quantization == nil)
}

@Test func tfliteQuantizationSchemesAreToldApart() throws {
    #expect(try Fixtures.read("small_cnn_dynamic.tflite").quantizationSummary.scheme == "dynamic range")
    #expect(try Fixtures.read("small_cnn_float16.tflite").quantizationSummary.scheme == "float16")
    #expect(try Fixtures.read("small_cnn_float.tflite").quantizationSummary.isQuantized == false)
}

@Test func tfliteBufferOffsetsReadLikeInlineBuffers() throws {
    let inline = try Fixtures.read("small_cnn_float.tflite")
    let offsets = try Fixtures.read("buffer_offsets.tflite")
    #expect(inline.parameterCount == offsets.parameterCount)
    for t in inline.tensors {
        #expect(try inline.floats(t.name) == offsets.floats(t.name))
    }
}

@Test func tfliteControlFlowAndCustomOperators() throws {
    let m = try Fixtures.read("control_flow.tflite")
    #expect(m.graphs.count > 1)
    #expect(m.operatorHistogram["IF"] == 1 && m.operatorHistogram["WHILE"] == 1)
    #expect(m.operatorHistogram["FlexMatrixDiagPartV3"] == 1)
}
