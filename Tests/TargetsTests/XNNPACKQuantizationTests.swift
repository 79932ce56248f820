import ModelFormats
import TestSupport
import Testing

@testable import Targets

let xnnpackQuantization = "Tests/Fixtures/xnnpack-quantization/"

/// The quantization parameters LiteRT's XNNPACK delegate refuses nodes on, derived from xnnpack_delegate.cc by
/// scripts/catalogue/derive_xnnpack.py, on the int8 models scripts/catalogue/make_xnnpack_quantization_fixtures.py
/// writes (each breaks one rule by editing parameters; test_xnnpack_quantization.py holds them against the runtime).
/// A refused node runs on the builtin kernels: information, naming the parameters and the source line.
@Suite struct XNNPACKQuantizationSpec {
    let target = "targets: {t: {runtime: litert, delegate: ⟦⟦⟦xnnpack⟧⟧⟧}}\n"

    @Test func theDerivedChecksCiteTheirSourceLines() throws {
        let x = try #require(catalogue.operatorSets.first { $0.id == "litert-xnnpack" })
        let byID = Dictionary(x.checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let add = try #require(byID["xnnpack.scale-ratio-0.add"])
        #expect(add.kind == .scaleRatio && add.inputs == [0] && add.scaleMin == 1.0 / 1024 && add.scaleMax == 256 && !add.scaleMaxInclusive)
        #expect(add.source.section == "xnnpack_delegate.cc:4459 (VisitBinaryNode)")
        let quantize = try #require(byID["xnnpack.scale-ratio-0.quantize"])
        #expect(quantize.scaleMin == 1.0 / 256 && quantize.scaleMax == 128 && quantize.scaleMaxInclusive)
        let conv = try #require(byID["xnnpack.input1-channel-dimension-0.conv2d"])
        #expect(conv.kind == .quantizedDimension && conv.operators == ["CONV_2D"] && conv.dimension == 0)
        #expect(byID["xnnpack.input1-channel-dimension-3.depthwiseconv2d"]?.dimension == 3)
        #expect(byID["xnnpack.input1-zero-point"]?.operators == ["BATCH_MATMUL"])
        #expect(byID["xnnpack.same-quantization-as-output.reshape"]?.values == ["int8", "uint8"])
        #expect(byID["xnnpack.same-quantization-as-output.concatenation"]?.values == ["uint8"])
        #expect(byID["xnnpack.input0-quantized-output-type"]?.operators == ["QUANTIZE"])
        // "unsupported mixed types": each comparison of the refusal's condition, with the pairs its flags excuse.
        let out = try #require(byID["xnnpack.same-types-0-out0"])
        #expect(out.kind == .sameTensorTypes && out.inputs == [0] && out.outputs == [0] && out.values == [])
        #expect(out.operators == ["ADD", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MUL", "SUB"])
        #expect(byID["xnnpack.same-types-0-1"]?.operators == ["ADD", "DEPTHWISE_CONV_2D", "MUL", "SUB"])
        #expect(byID["xnnpack.same-types-0-1-conv_2d"]?.values == ["float32,int8"])
        #expect(byID["xnnpack.same-types-0-1-fully_connected"]?.values == [
            "float16,int2", "float16,int4", "float16,int8", "float32,int2", "float32,int4", "float32,int8", "int8,int2", "int8,int4",
        ])
    }

    /// Float activations with int8 weights: XNNPACK quantizes a CONV_2D's and a FULLY_CONNECTED's input on the fly
    /// (the `dynamically_quantized` exception of their "mixed types" refusal), not a DEPTHWISE_CONV_2D's.
    @Test func aHybridDepthwiseConvolutionFallsBackWhereTheConvolutionAndTheFullyConnectedRun() {
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: ⟦⟦xnnpack⟧⟧}}\n", model: xnnpackQuantization + "hybrid_convolutions.tflite", [
            Expected(.operatorsOnCPU, "1 of 4 operators (18% of MACs, 1 builtin-kernel partition) fall back"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"XNNPACK takes input 0 and input 1 only of one element type (no mixed types)\" and runs on the builtin CPU kernels: DEPTHWISE_CONV_2D 'functional_2_1/depthwise_conv2d_1/BiasAdd;functional_2_1/depthwise_conv2d_1/depthwise;functional_2_1/depthwise_conv2d_1/Squeeze' (input 0 'functional_2_1/conv2d_2_1/BiasAdd;functional_2_1/conv2d_2_1/convolution;functional_2_1/conv2d_2_1/Squeeze' is float32, input 1 'tfl.pseudo_qconst' is int8)"),
        ]) == [])
    }

    @Test func theUnchangedModelRunsWhollyOnXNNPACK() {
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: xnnpack}}\n", model: xnnpackQuantization + "base.tflite", []) == [])
    }

    @Test func aFilterQuantizedAlongAnotherDimensionFallsBack() {
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: ⟦⟦xnnpack⟧⟧}}\n", model: xnnpackQuantization + "conv_filter_dimension.tflite", [
            Expected(.operatorsOnCPU, "1 of 6 operators (82% of MACs, 1 builtin-kernel partition) fall back from the xnnpack delegate"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"XNNPACK takes input 1 quantized per channel only along dimension 0\" and runs on the builtin CPU kernels: CONV_2D 'functional_1/conv2d_1/BiasAdd;functional_1/conv2d_1/convolution;functional_1/conv2d_1/Squeeze1' (input 1 'tfl.pseudo_qconst3' is quantized per channel along dimension 3)"),
        ]) == [])
    }

    @Test func anAddWhoseInputToOutputScaleReaches256FallsBack() {
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: ⟦⟦xnnpack⟧⟧}}\n", model: xnnpackQuantization + "add_scale_ratio.tflite", [
            Expected(.operatorsOnCPU, "1 of 6 operators"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"XNNPACK takes a quantized node only when the scale of input 0 / the output's is in [1/1024, 256)\" and runs on the builtin CPU kernels: ADD 'functional_1/add_1/Add' (input 0 scale 0.18151161 / output scale 0.0006449008 is 281.45663)"),
        ]) == [])
    }

    /// MUL bounds the product of its inputs' scales over the output's; the LEAKY_RELU after it then sees a scale
    /// ratio under 1/256 (its own bound is closed at 128).
    @Test func aMulWhoseProductScaleIsTooLargeFallsBackWithTheLeakyReluAfterIt() {
        #expect(targetIssues(target, model: xnnpackQuantization + "mul_scale_ratio.tflite", [
            Expected(.operatorsOnCPU, "2 of 6 operators"),
            Expected(.operatorConstraint, "the scale of input 0 × input 1 / the output's is in [1/65536, 256)\" and runs on the builtin CPU kernels: MUL 'functional_1/multiply_1/Mul' (input 0 scale 0.3301892 × input 1 scale 0.02498709 / output scale 2.5191437e-06 is 3275.108)"),
            Expected(.operatorConstraint, "the scale of input 0 / the output's is in [1/256, 128]\" and runs on the builtin CPU kernels: LEAKY_RELU 'functional_1/leaky_re_lu_1/LeakyRelu' (input 0 scale 2.5191437e-06 / output scale 0.21410845 is 1.1765736e-05)"),
        ]) == [])
    }

    @Test func aReshapeThatChangesTheScaleFallsBack() {
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: ⟦⟦xnnpack⟧⟧}}\n", model: xnnpackQuantization + "reshape_output_scale.tflite", [
            Expected(.operatorsOnCPU, "1 of 6 operators"),
            Expected(.operatorConstraint, "\"XNNPACK takes a node whose output is int8 or uint8 only when input 0 shares its scale and zero point\" and runs on the builtin CPU kernels: RESHAPE 'functional_1/flatten_1/Reshape' (input 0 'functional_1/leaky_re_lu_1/LeakyRelu' has scale 0.21410845, zero point -113; output 'functional_1/flatten_1/Reshape' 0.4282169, -113)"),
        ]) == [])
    }

    /// A tensor quantized per channel is refused by the node that writes it and by the node that reads it.
    @Test func anActivationQuantizedPerChannelFallsBackOnBothSides() {
        #expect(targetIssues(target, model: xnnpackQuantization + "dequantize_per_channel.tflite", [
            Expected(.operatorsOnCPU, "2 of 7 operators"),
            Expected(.operatorConstraint, "\"XNNPACK takes a quantized int8/uint8 output 0 only with one scale (quantized per tensor)\" and runs on the builtin CPU kernels: FULLY_CONNECTED 'StatefulPartitionedCall_1:01' (output 0 'StatefulPartitionedCall_1:01' has 4 scales (per channel along dimension 1))"),
            Expected(.operatorConstraint, "\"XNNPACK takes a quantized int8/uint8 input 0 only with one scale (quantized per tensor)\" and runs on the builtin CPU kernels: DEQUANTIZE 'StatefulPartitionedCall_1:0' (input 0 'StatefulPartitionedCall_1:01' has 4 scales (per channel along dimension 1))"),
        ]) == [])
    }

    /// A statically quantized BATCH_MATMUL's right-hand side needs zero point 0; the converter wrote -128. The same
    /// weights beside float32 activations (dynamic range) are quantized on the fly and pass.
    @Test func aStaticBatchMatMulWithANonZeroZeroPointFallsBack() {
        let issues = targetIssues(target, model: derived + "attention_int8.tflite", [
            Expected(.operatorsOnCPU, "5 of 12 operators"),
            Expected(.operatorConstraint, "2 nodes fall outside the constraint \"XNNPACK takes a statically quantized int8 input 1 only with zero point 0\""),
            Expected(.operatorConstraint, "XNNPACK takes input 0 as float16, float32 only"),
        ])
        #expect(issues == [])
    }

    /// The reader keeps every TFLite tensor's quantization, activations included.
    @Test func theReaderKeepsActivationQuantization() throws {
        let model = try Repo.model(xnnpackQuantization + "reshape_output_scale.tflite")
        let shapes = try #require(model.graphs.first?.tensorShapes)
        let reshaped = try #require(shapes.first { $0.name == "functional_1/flatten_1/Reshape" })
        #expect(reshaped.quantization?.scales.count == 1 && reshaped.quantization?.zeroPoints == [-113])
        let filter = try #require(shapes.first { $0.name == "tfl.pseudo_qconst3" })
        #expect(filter.quantization?.scales.count == 4 && filter.quantization?.axis == 0)
    }
}
