import Diagnostics
import Manifest
import ModelFormats
import TestSupport
import Testing

@testable import Targets

/// A Keras model on a TFLite target is checked through the builtins TensorFlow's converter writes for each of
/// its layers (keras_to_tflite in Schemas/targets/operators.json, measured by running the converter:
/// scripts/catalogue/derive_keras_lowering.py). The models are made by scripts/make_keras_fixtures.py.
@Suite struct KerasLoweringSpec {
    let keras = "Tests/Fixtures/keras/"
    let fixed = "model: {inputs: {frames: [1, 6, 8]}}\n"
    let fullInt8 = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"

    @Test func theTableHoldsWhatTheConverterWroteForBothKerasGenerations() throws {
        let k2 = try #require(catalogue.kerasLowering["keras2"])
        let k3 = try #require(catalogue.kerasLowering["keras3"])
        #expect(k2.layers["Conv2D"] == .some(["CONV_2D"]))
        #expect(k2.layers["SeparableConv2D"] == .some(["CONV_2D", "DEPTHWISE_CONV_2D"]))
        #expect(k2.layers["Dropout"] == .some([]))
        // Keras 2's LSTM becomes the fused kernel; Keras 3's a WHILE loop.
        #expect(k2.layers["LSTM"] == .some(["STRIDED_SLICE", "UNIDIRECTIONAL_SEQUENCE_LSTM"]))
        #expect(k3.layers["LSTM"]??.contains("WHILE") == true)
        #expect(k2.activations["relu"] == .some([]))
        #expect(k2.activations["softsign"] == .some(nil))
        #expect(k2.needFixedBatch == ["Bidirectional", "GRU", "LSTM", "SimpleRNN"])
        #expect(k2.fullIntegerFails == ["GRU", "SimpleRNN"])
        #expect(k3.fullIntegerFails == ["Bidirectional", "GRU", "LSTM", "SimpleRNN"])
        #expect(catalogue.source(try #require(catalogue.kerasLoweringSource))?.url.contains("tensorflow/compiler/mlir/lite") == true)
    }

    @Test func aConvolutionalModelRunsOnTheMicrocontrollerResolver() {
        let cnn = "model: {inputs: {image: [1, 16, 16, 3]}}\n"
        #expect(targetIssues(cnn + fullInt8 + "targets: {m: {runtime: tflite-micro, format: tflite}}\n",
                             model: keras + "small_cnn_keras2.h5", []) == [])
        #expect(targetIssues(cnn + fullInt8 + "targets: {m: {runtime: tflite-micro, format: tflite}}\n",
                             model: keras + "small_cnn.keras", []) == [])
    }

    @Test func recurrentLayersNeedAFixedBatch() {
        #expect(targetIssues("targets: {p: {runtime: ⟦litert⟧, format: tflite}}\n", model: keras + "small_rnn_keras2.h5", [
            Expected(.operatorUnsupported, "2 operators cannot run: LSTM 'lstm' (TensorFlow's converter lowers LSTM to builtins only at a fixed batch size; fix the batch under `model.inputs`); GRU 'gru' (TensorFlow's converter lowers GRU to builtins only at a fixed batch size; fix the batch under `model.inputs`)"),
        ]) == [])
        #expect(targetIssues(fixed + "targets: {p: {runtime: litert, format: tflite}}\n", model: keras + "small_rnn_keras2.h5", []) == [])
    }

    @Test func fullIntegerConversionFailsWhereTheCalibratorFails() {
        #expect(targetIssues(fixed + "optimize: {quantize: {weights: int8, activations: ⟦int8⟧, calibration: c/}}\ntargets: {m: {runtime: tflite-micro, format: tflite}}\n",
                             model: keras + "small_rnn_keras2.h5", [
            Expected(.operatorUnsupported, "TensorFlow's converter fails full-integer quantization of GRU 'gru' (Keras 2); use activations: none (dynamic-range int8 weights)"),
        ]) == [])
        #expect(targetIssues(fixed + "optimize: {quantize: {weights: int8, activations: ⟦int8⟧, calibration: c/}}\ntargets: {m: {runtime: tflite-micro, format: tflite}}\n",
                             model: keras + "small_rnn.keras", [
            Expected(.operatorUnsupported, "TensorFlow's converter fails full-integer quantization of LSTM 'lstm', GRU 'gru' (Keras 3); use activations: none (dynamic-range int8 weights), or a Keras 2 (tf_keras) model whose LSTM lowers to the fused UNIDIRECTIONAL_SEQUENCE_LSTM"),
        ]) == [])
    }

    @Test func aKeras3RecurrentLayerIsAWhileLoopTheGPUDelegateLeavesOnTheCPU() {
        #expect(targetIssues(fixed + "targets: {g: {runtime: litert, delegate: ⟦gpu⟧, format: tflite}}\n", model: keras + "small_rnn.keras", [
            Expected(.operatorsOnCPU, "2 of 3 operators (100% of MACs, 1 CPU partition) fall back from the gpu delegate to the CPU, because only the largest supported partition is delegated: LSTM → ADD+FULLY_CONNECTED+GATHER+LESS+LOGICAL_AND+LOGISTIC+MUL+RESHAPE+SPLIT+STRIDED_SLICE+TANH+WHILE 'lstm' (WHILE not supported by the LiteRT GPU delegate); GRU → ADD+FULLY_CONNECTED+GATHER+LESS+LOGICAL_AND+LOGISTIC+MUL+RESHAPE+SPLIT+STRIDED_SLICE+SUB+TANH+WHILE 'gru' (WHILE not supported by the LiteRT GPU delegate)"),
        ]) == [])
    }
}
