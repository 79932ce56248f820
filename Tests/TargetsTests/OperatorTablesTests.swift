import Diagnostics
import Manifest
import ModelFormats
import TestSupport
import Testing

@testable import Targets

/// Operator tables per execution provider, delegate and runtime, and the constraints the checks evaluate on
/// each node. Each table or constraint has a model it refuses and one it takes; the models are made by
/// scripts/make_target_fixtures.py (ONNX) and scripts/make_model_fixtures.py (TFLite).
@Suite struct ExecutionProviderTablesSpec {
    @Test func theCoreMLNeuralNetworkTableLacksSoftmaxTheMLProgramTableHasIt() {
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.23, delegate: ⟦coreml⟧}}\n", model: fixtures + "cnn_softmax.onnx", [
            Expected(.operatorsOnCPU, "1 of 8 operators (0% of MACs, 1 CPU partition) fall back from the coreml execution provider to the CPU, because ONNX Runtime runs each node the provider does not take on the CPU execution provider: Softmax 'softmax' (not in the ONNX Runtime Core ML execution provider (NeuralNetwork format, the default)'s operator table)")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.23, delegate: coreml-mlprogram}}\n", model: fixtures + "cnn_softmax.onnx", []) == [])
    }

    @Test func onnxRuntimeFallsBackNodeByNodeNotFromTheFirstRefusedNode() throws {
        // The Tile in the middle goes to the CPU; the convolutions after it stay on the Core ML EP (compare the
        // Edge TPU, which runs everything from the Tile on the CPU).
        let m = try Repo.model(fixtures + "tile_mid.onnx")
        let rt = try #require(catalogue.runtime("onnxruntime"))
        let r = Coverage.check(model: m, runtime: rt, version: "1.23", delegate: rt.delegate("coreml"), catalogue: catalogue,
                               analysis: GraphAnalysis.analyze(model: m))
        #expect(r.refused.map(\.name) == ["tile"])
        #expect(r.cpuNodes == [2])
        #expect(r.cpuPartitions == 1)
        #expect(r.cpuMACs == 0)
    }

    @Test func constantAndIdentityNodesAreFoldedBeforeAnyProviderSeesThem() throws {
        let m = try Repo.model(fixtures + "cnn_softmax.onnx")
        let rt = try #require(catalogue.runtime("onnxruntime"))
        let r = Coverage.check(model: m, runtime: rt, version: "1.23", delegate: rt.delegate("coreml"), catalogue: catalogue, analysis: nil)
        let status = Dictionary(uniqueKeysWithValues: r.operators.map { ($0.name, $0.status) })
        #expect(status["flat.shape"] == .folded)
        #expect(status["output"] == .folded)
        #expect(status["softmax"] == .cpuFallback)
    }

    @Test func anErfGELUIsFusedByQNNButFallsBackOnNNAPI() throws {
        // NNAPI has no Erf; QNN has none either, but fuses Mul(1/√2) → Erf → Add(1) → Mul into its GELU.
        let m = try Repo.model(fixtures + "erf_gelu.onnx")
        let rt = try #require(catalogue.runtime("onnxruntime"))
        for (delegate, refused) in [("qnn", []), ("nnapi", ["gelu.erf"]), ("coreml-mlprogram", [])] {
            let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: rt.delegate(delegate), catalogue: catalogue, analysis: nil)
            #expect(r.refused.map(\.name) == refused, "\(delegate)")
        }
        // An operator outside the table and outside any fused pattern still falls back.
        let u = try Repo.model(fixtures + "unique.onnx")
        let qnn = Coverage.check(model: u, runtime: rt, version: nil, delegate: rt.delegate("qnn"), catalogue: catalogue, analysis: nil)
        #expect(qnn.refused.map(\.name) == ["dedup"])
    }

    /// ONNX Runtime's CUDA provider runs the kernels OperatorKernels.md lists for it (`ort-cuda`): a GELU made of Erf
    /// runs whole on the GPU, a Unique (no CUDA kernel) falls back to the CPU provider; a kernel is matched by the
    /// model's opset too (Upsample's CUDA kernels stop at opset 9, where ONNX deprecated it).
    @Test func theCUDAProviderRunsItsRegisteredKernels() throws {
        let rt = try #require(catalogue.runtime("onnxruntime"))
        let gelu = Coverage.check(model: try Repo.model(fixtures + "erf_gelu.onnx"), runtime: rt, version: nil,
                                  delegate: rt.delegate("cuda"), catalogue: catalogue, analysis: nil)
        #expect(gelu.refused.isEmpty && gelu.runsWhole)
        let unique = Coverage.check(model: try Repo.model(fixtures + "unique.onnx"), runtime: rt, version: nil,
                                    delegate: rt.delegate("cuda"), catalogue: catalogue, analysis: nil)
        #expect(unique.refused.map(\.name) == ["dedup"])
        #expect(unique.refused.first?.reason == "not in the ONNX Runtime CUDA execution provider's operator table")
        let cuda = try #require(catalogue.operatorSet("ort-cuda"))
        #expect(cuda.registers("Upsample", opset: 9) && !cuda.registers("Upsample", opset: 10))
        #expect(cuda.registers("Conv", opset: 1) && cuda.registers("Conv", opset: 23))
        #expect(cuda.opsets["Relu"] == [OpsetRange(since: 6, until: nil)])
        #expect(cuda.registers("NotAnOperator", opset: 13))  // no ranges: judged by the operator list alone
        #expect(OpsetRange(since: 7, until: 9).description == "7–9" && OpsetRange(since: 6, until: nil).description == "6+")
    }

    @Test func qnnsHTPSetLeavesOutWhatItsTableRunsOnAnotherBackendOnly() throws {
        // onnxruntime-qnn's table lists IsInf with "CPU backend only": on HTP the node falls back to ONNX Runtime's CPU EP.
        let m = try Repo.model(fixtures + "isinf.onnx")
        let rt = try #require(catalogue.runtime("onnxruntime"))
        let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: rt.delegate("qnn"), catalogue: catalogue, analysis: nil)
        #expect(r.refused.map(\.name) == ["isinf"])
        let qnn = try #require(catalogue.operatorSet("ort-qnn"))
        #expect(!qnn.operators.contains("IsInf") && !qnn.operators.contains("com.microsoft:GroupQueryAttention"))
        #expect(qnn.constraints["LpPool"] == "p=1 or p=2 only; rank-5 (3D pooling) requires GPU backend or HTP with bf16_mode=1")
    }

    @Test func theNNAPIExecutionProviderNeedsStaticShapes() {
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.23, delegate: ⟦⟦nnapi⟧⟧}}\n", model: fixtures + "dynamic_batch.onnx", [
            Expected(.dynamicShapes, "the NNAPI execution provider needs static shapes, but x[0] 'batch' is dynamic"),
            Expected(.deprecatedDelegate, "the NNAPI delegate is deprecated from Android 15"),
        ]) == [])
    }

    @Test func theQNNExecutionProviderNeedsStaticShapes() {
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.23, delegate: ⟦qnn⟧}}\n", model: fixtures + "dynamic_batch.onnx", [
            Expected(.dynamicShapes, "the QNN execution provider needs static shapes, but x[0] 'batch' is dynamic")
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [1, 3, 16, 16]}}\ntargets: {a: {runtime: onnxruntime@1.23, delegate: qnn}}\n",
                             model: fixtures + "dynamic_batch.onnx", []) == [])
    }

    @Test func tensorRTCannotBuildAnEngineWithAnOperatorItsParserLacks() {
        #expect(targetIssues("targets: {a: {runtime: ⟦tensorrt@10.8⟧}}\n", model: fixtures + "unique.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Unique 'dedup' (not in the TensorRT ONNX parser (TensorRT 10)'s operator table)")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: tensorrt@10.8}}\n", model: fixtures + "cnn_softmax.onnx", []) == [])
        // Through ONNX Runtime's TensorRT EP the same node falls back instead.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.23, delegate: ⟦tensorrt⟧}}\n", model: fixtures + "unique.onnx", [
            Expected(.operatorsOnCPU, "1 of 2 operators")
        ]) == [])
    }
}

@Suite struct MicrocontrollerTableSpec {
    let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"

    @Test func tfliteMicroHasNoFallbackForAnOperatorItsResolverLacks() {
        #expect(targetIssues(q + "targets: {m: {runtime: ⟦tflite-micro⟧}}\n", model: fixtures + "tile_mid.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Tile → TILE 'tile' (TILE not in the LiteRT for Microcontrollers op resolver)")
        ]) == [])
        #expect(targetIssues(q + "targets: {m: {runtime: tflite-micro}}\n", model: kws, []) == [])
    }

    @Test func aFullIntegerTFLiteModelRunsOnTheResolversBuiltins() {
        let fixed = "model: {inputs: {\"serving_default_image:0\": [1, 8, 8, 3]}}\n"
        #expect(targetIssues(fixed + "targets: {m: {runtime: tflite-micro}}\n", model: "Tests/Fixtures/models/small_cnn_int8.tflite", []) == [])
    }
}

@Suite struct OperatorConstraintSpec {
    @Test func coreMLWantsAConstantB() {
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.23, delegate: ⟦⟦coreml⟧⟧}}\n", model: fixtures + "runtime_b.onnx", [
            Expected(.operatorsOnCPU, "1 of 2 operators (67% of MACs, 1 CPU partition)"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"input B should be constant\" and runs on the CPU: MatMul 'attn.scores' (input 1 'w' is computed at run time)"),
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.23, delegate: coreml-mlprogram}}\n", model: fixtures + "runtime_b.onnx", []) == [])
    }

    @Test func theConstraintDiagnosticCitesTheDocumentThatStatesIt() throws {
        let m = try #require(ManifestFile(bytes: Array("targets: {a: {runtime: onnxruntime@1.23, delegate: coreml}}\n".utf8)).documents.first?.manifest)
        let d = TargetChecks.check(manifest: m, model: try Repo.model(fixtures + "runtime_b.onnx"), catalogue: catalogue)
        let c = try #require(d.first { $0.code == .operatorConstraint })
        #expect(c.severity == .warning)
        // The table the operator list is derived from, at the commit it was read at.
        #expect(c.related.first?.file == "https://github.com/microsoft/onnxruntime/blob/424107a82a9aa018f2925406b34a39b11d1e02e8/tools/ci_build/github/apple/coreml_supported_ops.md")
    }

    @Test func theEdgeTPUWantsTheSameDilationInXAndY() {
        let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"
        #expect(targetIssues(q + "targets: {c: {runtime: litert@2.16, delegate: ⟦⟦edgetpu⟧⟧}}\n", model: fixtures + "dilated_unstrided.onnx", [
            Expected(.operatorsOnCPU, "3 of 4 operators (84% of MACs, 1 CPU partition) fall back from the edgetpu delegate"),
            Expected(.operatorConstraint, "the constraint \"must use the same dilation in x and y\" and runs on the CPU: Conv 'conv2' (dilations 2×1)"),
        ]) == [])
        #expect(targetIssues(q + "model: {inputs: {x: [1, 3, 16, 16]}}\ntargets: {c: {runtime: litert@2.16, delegate: edgetpu}}\n",
                             model: fixtures + "dynamic_batch.onnx", []) == [])
    }

    @Test func theEdgeTPUReducesNoBatchDimension() {
        let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"
        #expect(targetIssues(q + "targets: {c: {runtime: litert@2.16, delegate: ⟦⟦edgetpu⟧⟧}}\n", model: fixtures + "batch_mean.onnx", [
            Expected(.operatorsOnCPU, "1 of 1 operators"),
            Expected(.operatorConstraint, "the constraint \"no reduction in the batch dimension\" and runs on the CPU: ReduceMean 'batch.mean' (reduces axis 0, the batch)"),
        ]) == [])
        // GlobalAveragePool lowers to MEAN over height and width: the passing CNN above has one.
    }

    @Test func sizeLimitsOfTheEdgeTPUSoftmaxAndCoreMLInputs() {
        let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"
        #expect(targetIssues(q + "targets: {c: {runtime: litert@2.16, delegate: ⟦⟦edgetpu⟧⟧}}\n", model: fixtures + "wide_softmax.onnx", [
            Expected(.operatorsOnCPU, "1 of 1 operators"),
            Expected(.operatorConstraint, "\"supports only a 1-D input tensor with at most 16,000 elements\" and runs on the CPU: Softmax 'classes' (input 'x' has 20000 elements)"),
        ]) == [])
        #expect(targetIssues(q + "targets: {c: {runtime: litert@2.16, delegate: edgetpu}}\n", model: fixtures + "cnn_softmax.onnx", []) == [])
        #expect(targetIssues("targets: {m: {runtime: onnxruntime@1.23, delegate: ⟦⟦coreml-mlprogram⟧⟧}}\n", model: fixtures + "wide_softmax.onnx", [
            Expected(.operatorsOnCPU, "1 of 1 operators"),
            Expected(.operatorConstraint, "\"Core ML does not load a model whose inputs have a dimension over 16384\" and runs on the CPU: Softmax 'classes' (input 'x' has a dimension of 20000)"),
        ]) == [])
    }

    @Test func aConstraintOfARuntimeWithoutFallbackIsAnError() {
        // TensorRT pools over at most 3 spatial dimensions: a MaxPool over 4 (rank-6 input) cannot be built.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦tensorrt@10.8⟧⟧}}\n", model: fixtures + "maxpool4d.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: MaxPool 'pool4d' (1-D, 2-D or 3-D pooling only (input 'x' has rank 6))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"1-D, 2-D or 3-D pooling only\" and cannot run: MaxPool 'pool4d' (input 'x' has rank 6)"),
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: tensorrt@10.8}}\n", model: fixtures + "dynamic_batch.onnx", []) == [])
    }

    @Test func tensorRTImportsAOneDimensionalPoolAsATwoDimensionalOne() {
        // onnx-tensorrt's matrix says "2D or 3D pooling only", but its poolingHelper unsqueezes a rank-3 input to
        // 2-D and squeezes the result back: a 1-D MaxPool or AveragePool imports.
        #expect(targetIssues("targets: {a: {runtime: tensorrt@10.8}}\n", model: fixtures + "maxpool1d.onnx", []) == [])
        #expect(targetIssues("targets: {a: {runtime: tensorrt@10.8}}\n", model: fixtures + "avgpool1d.onnx", []) == [])
        let pool = catalogue.operatorSet("tensorrt-onnx")?.checks.first { $0.id == "tensorrt.pool" }
        #expect(pool?.min == 3 && pool?.max == 5)
        #expect(pool?.source.id == "onnx-tensorrt-pooling")
    }

    @Test func anOperatorTensorRTsMatrixDoesNotListIsUnsupported() {
        // Swish (opset 24) has no row in the 10.15 matrix and no importer: the set lists what is marked Y, so an
        // operator the matrix omits is an error, as one marked N is.
        #expect(targetIssues("targets: {a: {runtime: ⟦tensorrt@10.8⟧}}\n", model: fixtures + "swish_opset24.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Swish 'act' (not in the TensorRT ONNX parser (TensorRT 10)'s operator table)")
        ]) == [])
        let trt = catalogue.operatorSet("tensorrt-onnx")
        #expect(trt?.operators.count == 158)
        #expect(trt?.contains("HardSwish") == true && trt?.contains("Swish") == false && trt?.contains("Unique") == false)
    }

    @Test func tensorRTTakesOnlyZeroQuantizationZeroPoints() {
        // The importer refuses a constant zero point other than zero ("TensorRT only supports symmetric
        // quantization"): the uint8 pair with zero point 128 cannot be built, the int8 pair with 0 can.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦tensorrt@10.8⟧⟧}}\n", model: fixtures + "qdq_zero_points.onnx", [
            Expected(.operatorUnsupported, "2 operators cannot run: QuantizeLinear 'asym.quant' (zero point must be 0 (input 2 'zp128' holds 128)); DequantizeLinear 'asym.dequant' (zero point must be 0 (input 2 'zp128' holds 128))"),
            Expected(.operatorConstraint, "2 nodes break the constraint \"zero point must be 0\" and cannot run: QuantizeLinear 'asym.quant' (input 2 'zp128' holds 128); DequantizeLinear 'asym.dequant' (input 2 'zp128' holds 128)"),
        ]) == [])
    }

    @Test func tensorRTDequantizesInt8FP8FP4OrInt4Only() {
        // onnx-tensorrt's matrix: DequantizeLinear's Supported Types are INT8, FP8, FP4, INT4; a uint8 pair (the
        // activations onnxruntime's quantize_static writes by default) is refused even with zero point 0, by the
        // zero point's type (the quantized value is computed at run time); the int8 weight's dequantization passes.
        // Its QuantizeLinear is refused too: the zero point's type is the quantized type, and the matrix's notes name
        // INT8, INT4, FP8 and FP4 TensorRT's Quantized Types.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦⟦tensorrt@10.8⟧⟧⟧}}\n", model: fixtures + "qdq_uint8.onnx", [
            Expected(.operatorUnsupported, "2 operators cannot run: QuantizeLinear 'act.quant' (quantized type must be INT8, INT4, FP8, FP4 (input 2 'zpu' is uint8)); DequantizeLinear 'act.dequant' (quantized type must be INT8, FP8, FP4, INT4 (input 2 'zpu' is uint8))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"quantized type must be INT8, INT4, FP8, FP4\" and cannot run: QuantizeLinear 'act.quant' (input 2 'zpu' is uint8)"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"quantized type must be INT8, FP8, FP4, INT4\" and cannot run: DequantizeLinear 'act.dequant' (input 2 'zpu' is uint8)"),
        ]) == [])
    }

    @Test func tensorRTQuantizesToItsQuantizedTypesOnlyPairedOrNot() {
        // A uint8 QuantizeLinear whose output leaves the model with no DequantizeLinear after it is refused by its
        // zero point's type (the importer: "TensorRT doesn't allow UINT8 quantization"); the int8 one beside it passes.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦tensorrt@10.8⟧⟧}}\n", model: fixtures + "quantize_uint8_alone.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: QuantizeLinear 'quant.uint8' (quantized type must be INT8, INT4, FP8, FP4 (input 2 'zpu' is uint8))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"quantized type must be INT8, INT4, FP8, FP4\" and cannot run: QuantizeLinear 'quant.uint8' (input 2 'zpu' is uint8)"),
        ]) == [])
        let check = catalogue.operatorSet("tensorrt-onnx")?.checks.first { $0.id == "tensorrt.quantize-zero-point-types" }
        #expect(check?.values == ["int8", "int4", "float8e4m3fn", "float4e2m1"])
        #expect(check?.source.section == "the notes on data types above the matrix: INT8, INT4, FP8 and FP4 are treated as `Quantized Types` in TensorRT")
    }

    @Test func tensorRTResizesWithTheModesItsMatrixLists() {
        // The matrix lists the transformation modes, nearest modes and aspect ratio policies, and says no
        // antialiasing: tf_crop_and_resize, antialias 1 and not_larger are refused; a half_pixel linear Resize passes.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦⟦⟦tensorrt@10.8⟧⟧⟧⟧}}\n", model: fixtures + "resize_modes.onnx", [
            Expected(.operatorUnsupported, "3 operators cannot run: Resize 'resize.crop' (supported resize transformation modes: half_pixel, pytorch_half_pixel, tf_half_pixel_for_nn, asymmetric, align_corners (coordinate_transformation_mode is 'tf_crop_and_resize')); Resize 'resize.antialias' (antialiasing is not supported (antialias is '1')); Resize 'resize.fit' (supported aspect ratio policy: stretch (keep_aspect_ratio_policy is 'not_larger'))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"supported resize transformation modes: half_pixel, pytorch_half_pixel, tf_half_pixel_for_nn, asymmetric, align_corners\" and cannot run: Resize 'resize.crop' (coordinate_transformation_mode is 'tf_crop_and_resize')"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"antialiasing is not supported\" and cannot run: Resize 'resize.antialias' (antialias is '1')"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"supported aspect ratio policy: stretch\" and cannot run: Resize 'resize.fit' (keep_aspect_ratio_policy is 'not_larger')"),
        ]) == [])
        let nearest = catalogue.operatorSet("tensorrt-onnx")?.checks.first { $0.id == "tensorrt.resize-nearest-mode" }
        #expect(nearest?.values == ["floor", "ceil", "round_prefer_floor", "round_prefer_ceil"] && nearest?.defaultValue == "round_prefer_floor")
    }

    @Test func tensorRTRefusesTheOutputsAttributesAndInputValuesItsMatrixRulesOut() {
        // Pool dilations other than one, MaxPool's Indices, an unsorted TopK and one with K 3840 or more, run-time
        // Unsqueeze axes and LayerNormalization's Mean output; the undilated MaxPool beside them passes.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦⟦⟦⟦⟦⟦tensorrt@10.8⟧⟧⟧⟧⟧⟧⟧}}\n", model: fixtures + "pool_topk_parts.onnx", [
            Expected(.operatorUnsupported, "6 operators cannot run: MaxPool 'pool.dilated' (dilations must be empty or all ones (dilations is [2, 2])); MaxPool 'pool.indices' (Indices output tensor unsupported (output 1 'idx' is used)); TopK 'topk.unsorted' (sorted must be 1 (sorted is '0')); TopK 'topk.large' (K input must be less than 3840 (input 1 'k3900' holds 3900)); Unsqueeze 'unsqueeze.runtime' (axes must be resolvable to a constant (input 1 'axes' is computed at run time)); and 1 more"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"dilations must be empty or all ones\" and cannot run: MaxPool 'pool.dilated' (dilations is [2, 2])"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"Indices output tensor unsupported\" and cannot run: MaxPool 'pool.indices' (output 1 'idx' is used)"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"sorted must be 1\" and cannot run: TopK 'topk.unsorted' (sorted is '0')"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"K input must be less than 3840\" and cannot run: TopK 'topk.large' (input 1 'k3900' holds 3900)"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"axes must be resolvable to a constant\" and cannot run: Unsqueeze 'unsqueeze.runtime' (input 1 'axes' is computed at run time)"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"only the first output Y is supported\" and cannot run: LayerNormalization 'norm.mean' (output 1 'mean' is used)"),
        ]) == [])
    }

    @Test func tensorRTWantsTheSameActivationsBothWaysAndIotaAxesBesideTensorScales() {
        // A bidirectional LSTM whose reverse pass has other activations, and a Resize with axes [2, 3] whose scales are
        // computed at run time, are refused; the same activations both ways, and constant scales, pass.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦⟦tensorrt@10.8⟧⟧⟧}}\n", model: fixtures + "bidirectional_axes.onnx", [
            Expected(.operatorUnsupported, "2 operators cannot run: LSTM 'lstm.mixed' (for bidirectional recurrences, activation functions must be the same for both the forward and reverse pass (activations is [Sigmoid, Tanh, Tanh, Sigmoid, Relu, Relu])); Resize 'resize.axes_runtime' (when scales is a tensor input, axes must be an iota vector of length rank(input) (axes is [2, 3] on a rank-4 input))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"for bidirectional recurrences, activation functions must be the same for both the forward and reverse pass\" and cannot run: LSTM 'lstm.mixed' (activations is [Sigmoid, Tanh, Tanh, Sigmoid, Relu, Relu])"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"when scales is a tensor input, axes must be an iota vector of length rank(input)\" and cannot run: Resize 'resize.axes_runtime' (axes is [2, 3] on a rank-4 input)"),
        ]) == [])
    }

    @Test func aSentenceOfARestrictionNoCheckEvaluatesIsSaidEvenWhenOthersAreChecked() {
        // STFT's restriction has two sentences: the constant frame_step and window are checked, "Input must be
        // real-valued" is not, and is what SW4020 says.
        let trt = catalogue.operatorSet("tensorrt-onnx")
        #expect(trt?.unchecked == [
            "Attention": "`q_num_heads` and `kv_num_heads` attributes are supported via being specified as the second dimension of `Q` and `K`/`V`'s shapes respectively.",
            "STFT": "Input must be real-valued.",
        ])
        #expect(Coverage.uncheckedRestrictions(trt!, names: ["STFT"]).map(\.text) == ["Input must be real-valued."])
        #expect(Coverage.uncheckedRestrictions(trt!, names: ["Resize"]).isEmpty)
        // QNN's hand-written parts: GRU's default activations, LpPool's rank-5 limit.
        #expect(catalogue.operatorSet("ort-qnn")?.unchecked["GRU"] == "default activations (sigmoid/tanh)")
        // An If's note is checked whole: one output per branch, of identical shape and type, and a condition of one
        // element (a one-element condition of rank 1, as exporters write it, is taken as scalar: the note does not
        // say otherwise, and no false fallback is reported).
        if let qnn = catalogue.operatorSet("ort-qnn") {
            #expect(Coverage.uncheckedRestrictions(qnn, names: ["If", "MatMul"]).isEmpty)
        }
    }

    @Test func aRestrictionLiftedInARuntimeReleaseBindsOnlyOlderPins() {
        // onnxruntime-qnn's table: Conv "3d supported since 1.18.0". A 3-D convolution pinned to 1.17 falls back to the
        // CPU; pinned to 1.18, or not pinned (the newest release), it runs on HTP, and the restriction is not said
        // to be unchecked.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.17, delegate: ⟦⟦qnn⟧⟧}}\n", model: fixtures + "conv3d.onnx", [
            Expected(.operatorsOnCPU, "1 of 1 operators (100% of MACs, 1 CPU partition) fall back from the qnn execution provider to the CPU"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"3d supported since 1.18.0\" and runs on the CPU: Conv 'conv3d' (input 'x' has rank 5)"),
        ]) == [])
        for pin in ["onnxruntime@1.18", "onnxruntime"] {
            #expect(targetIssues("targets: {a: {runtime: \(pin), delegate: qnn}}\n", model: fixtures + "conv3d.onnx", [
            ]) == [], "\(pin)")
        }
        let m = try? #require(ManifestFile(bytes: Array("targets: {a: {runtime: onnxruntime@1.20, delegate: qnn}}\n".utf8)).documents.first?.manifest)
        let d = m.map { TargetChecks.check(manifest: $0, model: try? Repo.model(fixtures + "conv3d.onnx"), catalogue: catalogue) } ?? []
        #expect(!d.contains { $0.code == .restrictionUnchecked })
    }

    @Test func aRestrictionOnOneAttributeValueBindsOnlyTheNodesWithIt() {
        // onnxruntime-qnn's Resize note binds tf_half_pixel_for_nn only: with it, nearest + floor runs on HTP and
        // linear falls back; Resizes with other transformation modes are not concerned.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦qnn⟧⟧}}\n", model: fixtures + "resize_tf_half_pixel.onnx", [
            Expected(.operatorsOnCPU, "1 of 2 operators"),
            Expected(.operatorConstraint, "falls outside the constraint \"tf_half_pixel_for_nn coordinate_transformation_mode: only mode \"nearest\" with nearest_mode \"floor\" on rank-4 input\" and runs on the CPU: Resize 'resize.tf_linear' (mode is 'linear')"),
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: qnn}}\n", model: fixtures + "resize_modes.onnx", []) == [])
    }

    @Test func anIfOnARunTimeConditionWhoseBranchesDisagreeIsRefusedByTensorRTAndLeftToTheCPUByQNN() {
        // PyTorch's export of `squeeze(dim)` on a dimension known at run time: then Squeeze (rank 2), else Identity
        // (rank 3). TensorRT builds an IIfConditional whose outputs must agree in rank and differ in name; QNN's HTP
        // wants identical shapes. The If on a stored condition imports one branch (TensorRT) and folds (onnxruntime).
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦tensorrt@10.8⟧⟧}}\n", model: fixtures + "if_branches.onnx", [
            Expected(.operatorUnsupported, "2 operators cannot run: If 'if.ranks' (output tensors of the two conditional branches must have the same rank and must have different names (output 0 has rank 2 in then_branch ('squeezed') and 3 in else_branch ('kept'); its condition depends on shapes alone: simplifying the graph at fixed input sizes (onnxsim) removes the If)); If 'if.same_name'"),
            Expected(.operatorConstraint, "2 nodes break the constraint \"output tensors of the two conditional branches must have the same rank and must have different names\" and cannot run: If 'if.ranks' (output 0 has rank 2 in then_branch ('squeezed') and 3 in else_branch ('kept'); its condition depends on shapes alone: simplifying the graph at fixed input sizes (onnxsim) removes the If); If 'if.same_name' (both branches output 'twice' as output 0"),
        ]) == [])
        // The file's batch is symbolic, so onnxruntime cannot fold the condition while loading it as it is; the If
        // reaches QNN (and the free batch is SW4012's).
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦⟦qnn⟧⟧⟧}}\n", model: fixtures + "if_branches.onnx", [
            Expected(.dynamicShapes, "the QNN execution provider needs static shapes, but x[0] 'N' is dynamic"),
            Expected(.operatorsOnCPU, "1 of 6 operators"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"identical shape+dtype; cond must be scalar bool\" and runs on the CPU: If 'if.ranks' (output 0 has rank 2 in then_branch ('squeezed') and 3 in else_branch ('kept'); its condition depends on shapes alone: giving every input size under `model.inputs` removes the If (convert writes them into the artifact, and ONNX Runtime folds the condition while loading))"),
        ]) == [])
        // With the sizes, QNN's artifact carries them: onnxruntime folds the condition and inlines the If (measured:
        // its basic-level graph of the artifact is Squeeze, Relu, Relu, Squeeze).
        #expect(targetIssues("model: {inputs: {x: [1, 3, 4]}}\ntargets: {a: {runtime: onnxruntime@1.20, delegate: qnn}}\n", model: fixtures + "if_branches.onnx", []) == [])
    }

    @Test func qnnsHTPTakesAQDQMatMulOfItsTypePairsOnlyAndAFloatOneInFP16() {
        // int8 × int8 (quantize_static with QInt8 activations) falls back; uint8 × uint8 and the float MatMul run.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦qnn⟧⟧}}\n", model: fixtures + "qdq_matmul_pairs.onnx", [
            Expected(.operatorsOnCPU, "1 of 9 operators"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"supported input data types on HTP backend: (uint8, uint8), (uint8, uint16), (uint16, uint8)\" and runs on the CPU: MatMul 'matmul.int8_int8' (the quantized inputs are (int8, int8))"),
        ]) == [])
    }

    @Test func qnnsHTPTakesNoEmptyShapeSliceAndOneOutputPerIfBranch() {
        // Shape with start 3, end 1 selects no dimension; an If with two outputs per branch; Shape from 1 runs on HTP.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦⟦qnn⟧⟧⟧}}\n", model: fixtures + "qnn_shape_if.onnx", [
            Expected(.operatorsOnCPU, "2 of 3 operators"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"empty-slice (end <= start) not supported\" and runs on the CPU: Shape 'shape.empty' (start 3, end 1 on a rank-4 input select no dimension)"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"single output per branch\" and runs on the CPU: If 'branch.two' (output 1 'o1' is used)"),
        ]) == [])
    }

    @Test func qnnsHTPTakesNoInitialStateNoNegativeIndexAndPerTensorScalesOnly() {
        // onnxruntime-qnn's notes: GRU with no initial hidden state, Gather with positive indices, QLinearMatMul with
        // scalar scales and zero points. Each node outside them falls back to the CPU (warnings); index 0 passes.
        #expect(targetIssues("model: {inputs: {a: [2, 3]}}\ntargets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦⟦⟦qnn⟧⟧⟧⟧}}\n",
                             model: fixtures + "qnn_restrictions.onnx", [
            Expected(.operatorsOnCPU, "3 of 4 operators (100% of MACs, 2 CPU partitions) fall back from the qnn execution provider to the CPU"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"fixed-length sequences (no sequence_lens); no clip; no initial hidden state from ONNX\" and runs on the CPU: GRU 'gru.h0' (input 5 'h0' is given)"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"only supports positive indices\" and runs on the CPU: Gather 'gather.last' (input 1 'last' holds -1)"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"per-tensor (scalar) scale/zero-point only\" and runs on the CPU: QLinearMatMul 'qmatmul.per_column' (input 'bs' has 2 elements)"),
        ]) == [])
    }

    @Test func cudaRunsANodeOnTheCPUWhereItsKernelsTakeNoneOfAnInputsElementType() {
        // cuda_types.onnx: Where between bool values beside Where between floats; the CUDA kernels' table (derived from
        // OperatorKernels.md) gives Where's data no bool, so that node runs on the CPU provider. The types are the
        // values' own, run-time inputs included (ONNXElementTypes), not only stored constants'.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime, delegate: ⟦⟦cuda⟧⟧}}\n", model: fixtures + "cuda_types.onnx", [
            Expected(.operatorsOnCPU, "1 of 2 operators"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"ONNX Runtime's CUDA kernels take input 1 as bfloat16, float16, float32, float64, int32, int64, uint8 only\" and runs on the CPU: Where 'where_bool' (input 1 'a' is bool)"),
        ]) == [])
    }

    @Test func nnapiTakesEqualSplitsAndATransposedComputedBCoreMLFloatPowScalarIndicesAndShapesFromTheStart() {
        // ep_restrictions.onnx: a Split into 1 and 3 (ONNX Runtime's NNAPI split builder takes equal splits only), a
        // Gemm of a computed B with transB 0 (NNAPI's table: "If input B is not constant, transB should be 1"); the
        // halves and the stored B pass.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦⟦⟦nnapi⟧⟧⟧⟧}}\n", model: fixtures + "ep_restrictions.onnx", [
            Expected(.operatorsOnCPU, "2 of 6 operators"),
            Expected(.deprecatedDelegate, "the NNAPI delegate is deprecated"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"number of splits must evenly divide split axis size\" and runs on the CPU: Split 'split.uneven' (the splits are [1, 3])"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"if input B is not constant, transB should be 1\" and runs on the CPU: Gemm 'gemm.computed_b' (input 1 'b' is computed at run time)"),
        ]) == [])
        // Core ML (NeuralNetwork): Pow by an int64 exponent ("only supports cases when both inputs are fp32"); Split is
        // not in its table at all, and a computed B is refused by its own note.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦⟦coreml⟧⟧⟧}}\n", model: fixtures + "ep_restrictions.onnx", [
            Expected(.operatorsOnCPU, "4 of 6 operators"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"input B should be constant\""),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"only supports cases when both inputs are fp32\" and runs on the CPU: Pow 'pow.int_exponent' (input 1 'two_int' is int64)"),
        ]) == [])
        // Scalar Gather indices and Shape from a start other than 0: Core ML's NeuralNetwork table rules both out.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦coreml⟧⟧}}\n", model: fixtures + "qnn_restrictions.onnx", [
            Expected(.operatorsOnCPU, "4 of 4 operators"),
            Expected(.operatorConstraint, "2 nodes fall outside the constraint \"input indices with scalar value is not supported\" and run on the CPU: Gather 'gather.last' (input 'last' has rank 0); Gather 'gather.first' (input 'first' has rank 0)"),
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦coreml⟧⟧}}\n", model: fixtures + "qnn_shape_if.onnx", [
            Expected(.operatorsOnCPU, "3 of 3 operators"),
            Expected(.operatorConstraint, "2 nodes fall outside the constraint \"attribute start with non-default value is not supported\" and run on the CPU: Shape 'shape.tail' (start is '1'); Shape 'shape.empty' (start is '3')"),
        ]) == [])
    }

    @Test func tensorRTBuildsLoopsOfKnownScanLengthAndSteadyCarriedShapesAndSaysWhatItCannotDecide() {
        // trt_loops.onnx (every input dimension fixed): a Loop whose trip count is a graph input with a scan output,
        // one whose carried value doubles its width, one keeping both rules, and an EyeLike on a fixed input.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦⟦tensorrt@10.8⟧⟧⟧}}\n", model: fixtures + "trt_loops.onnx", [
            Expected(.operatorUnsupported, "2 operators cannot run: Loop 'loop.runtime_trips' (scan output length cannot be dynamic (the trip count 'm' is computed at run time, and the Loop has 1 scan output)); Loop 'loop.growing'"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"scan output length cannot be dynamic\" and cannot run: Loop 'loop.runtime_trips'"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"the shape of Loop carried dependencies must be the same across all loop iterations\" and cannot run: Loop 'loop.growing' (carried value 0 enters as [1, 4] ('x') and leaves the body as [1, 8] ('b_next'))"),
        ]) == [])
        // A free batch: whether the EyeLike's input has static dimensions when the engine is built is said, not judged.
        #expect(targetIssues("targets: {a: {runtime: ⟦tensorrt@10.8⟧}}\n", model: fixtures + "eyelike_dynamic.onnx", [
            Expected(.operatorConstraint, "1 node may break the constraint \"input must have static dimensions\", which holds on a value computed at run time that Slipway cannot check: EyeLike 'eyelike.dynamic' (input 0 'x' is computed from inputs whose dimensions the file leaves free)"),
        ]) == [])
    }

    @Test func aCheckOnEveryOperatorLeavesEachOperatorsOwnSentencesUnchecked() throws {
        // Core ML's input-dimension check names every operator (`*`); it evaluates none of an operator's own notes, so
        // ML Program's Resize note ("too many permutations to describe") is said, not taken as checked.
        let set = try #require(catalogue.operatorSet("ort-coreml-mlprogram"))
        #expect(Coverage.uncheckedRestrictions(set, names: ["Resize"]).map(\.text).first?.hasPrefix("See [resize_op_builder.cc]") == true)
        #expect(Coverage.uncheckedRestrictions(set, names: ["Conv"]).isEmpty)
    }

    @Test func restrictionsNoCheckEvaluatesAreSaidOncePerTable() throws {
        // RandomNormalLike has a restriction in onnx-tensorrt's matrix that no check can evaluate ("`seed` value is
        // ignored by TensorRT"): information, not silence and not an error.
        let m = try #require(ManifestFile(bytes: Array("targets: {a: {runtime: tensorrt@10.8}}\n".utf8)).documents.first?.manifest)
        let d = TargetChecks.check(manifest: m, model: try Repo.model(fixtures + "random_seed.onnx"), catalogue: catalogue)
        let info = d.filter { $0.code == .restrictionUnchecked }
        #expect(info.map(\.severity) == [.information])
        #expect(info.map(\.message) == [
            "target 'a': 1 operator of this model has restrictions in the TensorRT ONNX parser (TensorRT 10) that Slipway does not check: RandomNormalLike (\"seed value is ignored by TensorRT\")",
        ])
        #expect(!d.contains { $0.severity == .error })
        // The encoder's LayerNormalization restriction ("Only the first output Y is supported") is a check now, which
        // its single-output nodes keep: nothing is said.
        let e = TargetChecks.check(manifest: m, model: try Repo.model("examples/transformer-server/models/encoder.onnx"), catalogue: catalogue)
        #expect(!e.contains { $0.code == .restrictionUnchecked || $0.severity == .error })
    }

    @Test func aZeroPointComputedAtRunTimeIsSaidToBeUnchecked() throws {
        // The importer takes a zero point that is no constant as a tensor: whether it is 0 is known only when the
        // model runs, so the check says so, as information, and raises no error.
        #expect(targetIssues("targets: {a: {runtime: ⟦tensorrt@10.8⟧}}\n", model: fixtures + "qdq_runtime_zero_point.onnx", [
            Expected(.operatorConstraint, "target 'a': 2 nodes may break the constraint \"zero point must be 0\", which holds on a value computed at run time that Slipway cannot check: QuantizeLinear 'quant' (input 2 'zp' is computed at run time); DequantizeLinear 'dequant' (input 2 'zp' is computed at run time)"),
        ]) == [])
        let m = try #require(ManifestFile(bytes: Array("targets: {a: {runtime: tensorrt@10.8}}\n".utf8)).documents.first?.manifest)
        let d = TargetChecks.check(manifest: m, model: try Repo.model(fixtures + "qdq_runtime_zero_point.onnx"), catalogue: catalogue)
        #expect(d.map(\.severity) == [.information])
    }

    @Test func tensorRTWantsAOneHotDepthKnownWhenTheEngineIsBuilt() {
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦tensorrt@10.8⟧⟧}}\n", model: fixtures + "onehot_depth.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: OneHot 'onehot.runtime' (depth must be a build-time constant (input 1 'n' is computed at run time))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"depth must be a build-time constant\" and cannot run: OneHot 'onehot.runtime' (input 1 'n' is computed at run time)"),
        ]) == [])
    }

    @Test func tensorRTImportsDropoutForInferenceAndLSTMSequenceFirstOnly() {
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦tensorrt@10.8⟧⟧}}\n", model: fixtures + "dropout_training.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Dropout 'drop' (training_mode must be false (input 2 'training' holds 1))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"training_mode must be false\" and cannot run: Dropout 'drop' (input 2 'training' holds 1)"),
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦tensorrt@10.8⟧⟧}}\n", model: fixtures + "lstm_batch_first.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: LSTM 'lstm' (layout must be 0 (sequence first) (layout is '1'))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"layout must be 0 (sequence first)\" and cannot run: LSTM 'lstm' (layout is '1')"),
        ]) == [])
    }

    @Test func tensorRTTakesATopKWhoseKIsATensor() {
        // onnx-tensorrt's 10.15 matrix asks only that K be below 3840 and `sorted` be 1 (no longer an initializer K), and
        // its importer passes a tensor K to the TopK layer: no constant is required, and a K computed at run time
        // cannot be compared with 3840 here.
        #expect(targetIssues("targets: {a: {runtime: tensorrt@10.8}}\n", model: fixtures + "topk_runtime_k.onnx", []) == [])
        let trt = catalogue.operatorSet("tensorrt-onnx")
        #expect(trt?.constraints["TopK"] == "`sorted` must be 1. `K` input must be less than 3840.")
        #expect(trt?.checks.filter { $0.operators.contains("TopK") }.map(\.kind) == [.attributeValues, .valueRange])
    }
}

@Suite struct GPUDelegateVersionSpec {
    @Test func aFullyConnectedNewerThanTheDelegateAcceptsRunsOnTheCPU() {
        // Dynamic-range quantization writes FULLY_CONNECTED version 12; the GPU delegate parses up to version 9.
        #expect(targetIssues("targets: {a: {runtime: litert@2.17, delegate: ⟦gpu⟧}}\n", model: "Tests/Fixtures/models/small_cnn_dynamic.tflite", [
            Expected(.operatorsOnCPU, "(version 12 is above the v9 the LiteRT GPU delegate accepts)")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: litert@2.16, delegate: gpu}}\n", model: "Tests/Fixtures/models/small_cnn_float.tflite", []) == [])
    }

    @Test func theGPUDelegateWantsConstantMeanAxes() {
        #expect(targetIssues("targets: {a: {runtime: litert@2.16, delegate: ⟦⟦gpu⟧⟧}}\n", model: fixtures + "runtime_axes.onnx", [
            Expected(.operatorsOnCPU, "1 of 1 operators"),
            Expected(.operatorConstraint, "\"the axes of MEAN must be a constant int32 tensor\" and runs on the CPU: ReduceMean 'pool.mean' (input 1 'axes' is computed at run time)"),
        ]) == [])
        // GlobalAveragePool lowers to MEAN over fixed axes.
        #expect(targetIssues("targets: {a: {runtime: litert@2.16, delegate: gpu}}\n", model: fixtures + "dynamic_batch.onnx", []) == [])
    }
}
