import Estimation
import Manifest
import ModelFormats
import Testing

/// A target onnx2tf and TensorFlow's converter make from an ONNX model is sized by that converter's rules
/// (ArtifactLayout's ONNXTFLiteSize), not by the ONNX file: the bundled keyword spotter (93,111 bytes of ONNX) is
/// 44,904 bytes as full-integer TFLite, the bundled classifier (66,389) 40,288 bytes with float16 weights
/// (onnx2tf 1.29.24, TensorFlow 2.19; Tests/integration/test_onnx_tflite.py converts them and compares).
@Suite struct ONNXTFLiteSizeSpecs {
    func sizes(_ targets: String, model: String, inputs: String = "") throws -> [String: Int] {
        let yaml = "slipway: 1\nmodel: {path: m.onnx\(inputs)}\ntargets:\n" + targets
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return TargetEstimation.run(manifest: m, model: try ModelReader.read(path: Repository.path(model)), cache: nil).sizes
    }

    @Test func fullIntegerAndFloat16AreTheConvertersFiles() throws {
        let kws = try sizes("""
              mcu: {runtime: tflite-micro, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}
              io: {runtime: tflite-micro, optimize: {quantize: {weights: int8, activations: int8, io: int8, calibration: c/}}}
            """, model: "examples/kws-mcu/models/ds_cnn_kws.onnx")
        // 9 Conv with their Relu fused, the Flatten before the Gemm gone, a PAD before the strided first Conv.
        #expect(kws == ["mcu": 45_436, "io": 45_112])
        #expect(abs(Double(kws["mcu"] ?? 0) / 44_904 - 1) < 0.02)
        let cnn = try sizes("  gpu: {runtime: litert, format: tflite, optimize: {quantize: {weights: float16}}}\n",
                            model: "examples/mobile-cnn/models/mobilenet_tiny.onnx")
        // The Clip bounds (ReLU6) are no tensors; each float16 weight has its DEQUANTIZE; the five PADs share one
        // paddings constant.
        #expect(cnn == ["gpu": 40_708])
        #expect(abs(Double(cnn["gpu"] ?? 0) / 40_288 - 1) < 0.02)
    }

    /// Dynamic range (int8 weights, float activations; TensorFlow's converter on onnx2tf's SavedModel, no samples):
    /// kernels of 1024 elements and more in int8 with a scale per output channel, or one per kernel
    /// (granularity: per-tensor); full integer per tensor gives each int32 bias one scale too. Measured: the keyword
    /// spotter 42,792 bytes (per channel) and 39,008 (per tensor), 31,088 full integer per tensor; the classifier
    /// 38,744.
    @Test func dynamicRangeKeepsFloatActivationsAndQuantizesTheKernels() throws {
        let kws = try sizes("""
              drq: {runtime: litert, optimize: {quantize: {weights: int8}}}
              tensor: {runtime: litert, optimize: {quantize: {weights: int8, granularity: per-tensor}}}
              full: {runtime: litert, optimize: {quantize: {weights: int8, activations: int8, granularity: per-tensor, calibration: c/}}}
            """, model: "examples/kws-mcu/models/ds_cnn_kws.onnx")
        #expect(kws == ["drq": 42_780, "tensor": 39_000, "full": 31_564])
        for (target, measured) in [("drq", 42_792), ("tensor", 39_008), ("full", 31_088)] {
            #expect(abs(Double(kws[target] ?? 0) / Double(measured) - 1) < 0.02, "\(target)")
        }
        let cnn = try sizes("  drq: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8}}}\n",
                            model: "examples/mobile-cnn/models/mobilenet_tiny.onnx")
        #expect(cnn == ["drq": 38_512])
        #expect(abs(Double(cnn["drq"] ?? 0) / 38_744 - 1) < 0.02)
    }

    /// What the converter folds away in a graph written as Paddle's exporter writes one (ppocr-cls's form;
    /// scripts/make_estimate_fixtures.py): the Constant nodes and the shape arithmetic on the fixed input shapes
    /// (Shape, Slice, Cast, Concat, and the Reshape of each bias) write no operator, the bias Add folds into its
    /// convolution, x · Clip(x + 3, 0, 6) / 6 is one HARD_SWISH, and the Reshape into the MatMul goes into
    /// FULLY_CONNECTED: 52 nodes, 15 operators (PAD, 4 CONV_2D, DEPTHWISE_CONV_2D, 2 HARD_SWISH, 2 MEAN,
    /// RELU_0_TO_1, MUL, FULLY_CONNECTED, SOFTMAX). Measured: 13,144 bytes float32, 10,896 dynamic range, 11,312 full
    /// integer; counting every node an operator predicted 20,682 (+55 %) for the float32 file.
    @Test func paddleExportsFoldTheirConstantsAndShapeArithmetic() throws {
        let m = try sizes("""
              f32: {runtime: litert, format: tflite}
              drq: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8}}}
              full: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}
            """, model: "Tests/Fixtures/estimate/paddle_style.onnx")
        #expect(m == ["f32": 12_984, "drq": 10_720, "full": 11_544])
        for (target, measured) in [("f32", 13_144), ("drq", 10_896), ("full", 11_312)] {
            #expect(abs(Double(m[target] ?? 0) / Double(measured) - 1) < 0.025, "\(target)")
        }
    }

    /// A recurrence is a WHILE loop in TFLite: the loop's condition (one LESS) and body subgraphs (the builtins the
    /// lowering counts: 28 for an LSTM, 31 for a GRU), the body's constants, and the TensorArray of its outputs (steps
    /// × batch × hidden float32), the kernels W and R in int8 with a scale per gate row under dynamic range. Measured: the LSTM 133,676 bytes float32 and 60,032
    /// dynamic range, the GRU 107,224 and 52,104; counting the node as one operator predicted 14–47 % under.
    @Test func recurrentLayersAreWhileLoops() throws {
        let targets = """
              f32: {runtime: litert, format: tflite}
              drq: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8}}}
            """
        let lstm = try sizes(targets, model: "Tests/Fixtures/estimate/lstm_classifier.onnx")
        let gru = try sizes(targets, model: "Tests/Fixtures/estimate/gru_classifier.onnx")
        #expect(lstm == ["f32": 134_740, "drq": 61_092])
        #expect(gru == ["f32": 107_810, "drq": 52_594])
        for (predicted, measured) in [(lstm["f32"], 133_676), (lstm["drq"], 60_032), (gru["f32"], 107_224), (gru["drq"], 52_104)] {
            #expect(abs(Double(predicted ?? 0) / Double(measured) - 1) < 0.02)
        }
    }

    /// A calibrated (full-integer) conversion unrolls the recurrence, as TensorFlow's calibrator crashes on the WHILE
    /// loop: the builtins the lowering counts (the cell once per step: LSTM 17, GRU 20; the zero state's first step
    /// folded) at 230 and 193 bytes each (operator, quantized output, name), a biased GRU's three int32 biases of 64
    /// per step, the UNPACK's outputs each named after all 50 steps, and B one int32 bias per gate row. Measured at 50
    /// steps: the LSTM 283,296 bytes, the GRU 312,160; the WHILE loop's layout predicted 77 % and 82 % under.
    @Test func aCalibratedRecurrenceIsUnrolledStepByStep() throws {
        let full = "  full: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}\n"
        let lstm = try sizes(full, model: "Tests/Fixtures/estimate/lstm_classifier.onnx")
        let gru = try sizes(full, model: "Tests/Fixtures/estimate/gru_classifier.onnx")
        #expect(lstm == ["full": 286_210])
        #expect(gru == ["full": 312_426])
        for (predicted, measured) in [(lstm["full"], 283_296), (gru["full"], 312_160)] {
            #expect(abs(Double(predicted ?? 0) / Double(measured) - 1) < 0.015)
        }
    }

    /// Without a bias the unrolled cell is smaller: TensorFlow folds the bias additions (x + 0) from every step, and
    /// a GRU has no per-step int32 biases. recurrent_nobias.onnx (a GRU without B from a given state, an LSTM without
    /// B from zero states, an RNN with a zero B, time-major over 10 steps, one UNPACK for the shared sequence)
    /// measured 79,432 bytes full integer (onnx2tf 1.29.24, TensorFlow 2.19); a fixed cost per step and cell predicted
    /// 111,138 (+40 %).
    /// As a WHILE loop too the bias-free body is smaller: its bias additions folded (the lowering's `no_bias.loop_saves`)
    /// and no bias constants. The float32 file measured 27,420 bytes; pricing the biased loop predicted 30,330 (+11 %).
    @Test func aBiasFreeRecurrenceIsTheCellItsLoweringCounts() throws {
        let targets = """
              f32: {runtime: litert, format: tflite}
              full: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}
            """
        let m = try sizes(targets, model: "Tests/Fixtures/targets/recurrent_nobias.onnx")
        #expect(m == ["f32": 27_686, "full": 80_915])
        #expect(abs(Double(m["full"] ?? 0) / 79_432 - 1) < 0.03)
        #expect(abs(Double(m["f32"] ?? 0) / 27_420 - 1) < 0.03)
    }

    /// A bidirectional recurrence is a loop per direction, and a vanilla RNN a loop (16 operators) or unrolled (1,132
    /// bytes a step): recurrent_forms.onnx (a bidirectional LSTM, a GRU, a bidirectional RNN over 10 steps) measured
    /// 51,572 bytes float32 and 157,760 full integer; counting each node's loop once predicted 41 % under in float32.
    @Test func everyDirectionIsALoopOrUnrolled() throws {
        let targets = """
              f32: {runtime: litert, format: tflite}
              full: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}
            """
        let forms = try sizes(targets, model: "Tests/Fixtures/targets/recurrent_forms.onnx")
        for (predicted, measured) in [(forms["f32"], 51_572), (forms["full"], 157_760)] {
            #expect(abs(Double(predicted ?? 0) / Double(measured) - 1) < 0.05)
        }
    }

    /// onnx2tf simplifies the graph with onnxsim at the manifest's sizes first: an If whose condition those sizes decide
    /// (shape_if.onnx: width == 64) becomes the branch taken, and the other branch's MatMul and 64 × 256 weight are not
    /// in the file. Measured: 33,700 bytes float32, 10,720 dynamic range (one FULLY_CONNECTED, its 128 × 64 kernel);
    /// the prediction's fixed part (1,000 bytes) is 430 over this small file's. Counting both branches gave 99,918.
    @Test func anIfTheFixedSizesDecideKeepsOnlyItsBranch() throws {
        let targets = """
              f32: {runtime: litert, format: tflite}
              drq: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8}}}
            """
        let fixed = try sizes(targets, model: "Tests/Fixtures/estimate/shape_if.onnx", inputs: ", inputs: {x: [1, 64]}")
        #expect(fixed == ["f32": 34_130, "drq": 11_130])
        for (target, measured) in [("f32", 33_700), ("drq", 10_720)] {
            #expect(abs(Double(fixed[target] ?? 0) / Double(measured) - 1) < 0.04, "\(target)")
        }
        // Without the sizes nothing is decided in the file (the batch is free): both branches count.
        #expect(try sizes(targets, model: "Tests/Fixtures/estimate/shape_if.onnx") == ["f32": 99_918, "drq": 30_878])
    }

    /// The weight only the untaken branch reads is not in the file, so it is not measured either: the SQNR and the
    /// worst tensors are the artifact's (`w_then` alone), and `w_else` is reported as skipped, with why.
    @Test func theUntakenBranchsWeightsAreNotMeasured() throws {
        func measured(_ inputs: String) throws -> (tensors: [String], untaken: [String]) {
            let yaml = "slipway: 1\nmodel: {path: m.onnx\(inputs)}\ntargets:\n"
                + "  drq: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8}}}\n"
            let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
            let model = try ModelReader.read(path: Repository.path("Tests/Fixtures/estimate/shape_if.onnx"))
            let r = try #require(TargetEstimation.run(manifest: m, model: model, cache: nil).results["drq"])
            let tensors = (r.json["tensors"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            let untaken = (r.json["skipped"]?.arrayValue ?? []).filter { $0["reason"]?.stringValue == "untaken_branch" }
                .compactMap { $0["name"]?.stringValue }
            return (tensors, untaken)
        }
        let fixed = try measured(", inputs: {x: [1, 64]}")
        #expect(fixed.tensors == ["w_then"])
        #expect(fixed.untaken == ["w_else"])
        let free = try measured("")
        #expect(free.tensors.sorted() == ["w_else", "w_then"])
        #expect(free.untaken == [])
    }
}
