import Diagnostics
import Manifest
import ModelFormats
import TestSupport
import Testing

@testable import Targets

let derived = "Tests/Fixtures/catalogue/"

/// The tables scripts/catalogue/derive_tflite.py derives from LiteRT's and TFLite Micro's sources, and the model's
/// own declarations, on the models scripts/catalogue/make_catalogue_fixtures.py writes with TensorFlow's converter.
@Suite struct DerivedTablesSpec {
    @Test func resourceVariablesNeedLiteRT26() {
        #expect(targetIssues("targets: {t: {runtime: ⟦litert@1.15⟧}}\n", model: derived + "variables.tflite", [
            Expected(.operatorUnsupported, "5 operators cannot run: CALL_ONCE '#0' (version 1 needs LiteRT 2.5.0 or later); VAR_HANDLE 'total' (version 1 needs LiteRT 2.6.0 or later); READ_VARIABLE 'AssignAddVariableOp' (version 1 needs LiteRT 2.6.0 or later); ASSIGN_VARIABLE '#4' (version 1 needs LiteRT 2.6.0 or later); READ_VARIABLE 'Read/ReadVariableOp' (version 1 needs LiteRT 2.6.0 or later)"),
        ]) == [])
        #expect(targetIssues("targets: {t: {runtime: litert@2.6}}\n", model: derived + "variables.tflite", []) == [])
    }

    @Test func theModelsOwnMinRuntimeVersionIsARequirement() {
        #expect(targetIssues("targets: {t: {runtime: ⟦litert@2.6⟧}}\n", model: derived + "declares_2_9.tflite", [
            Expected(.operatorUnsupported, "the model declares min_runtime_version 2.9.0 (its newest operator version needs it), but the target pins LiteRT 2.6; use litert@2.9.0 or later"),
        ]) == [])
        #expect(targetIssues("targets: {t: {runtime: litert@2.9}}\n", model: derived + "declares_2_9.tflite", []) == [])
    }

    @Test func theRuntimeVersionTableCoversEveryBuiltinTheSourceLists() throws {
        #expect(catalogue.tfliteOpVersions.count == 173)
        #expect(catalogue.tfliteOpVersions["VAR_HANDLE"] == [1: "2.6.0"])
        #expect(catalogue.tfliteOpVersions["FULLY_CONNECTED"]?[12] == "2.17.0")
        let src = try #require(catalogue.source(catalogue.tfliteOpVersionsSource))
        #expect(src.url.hasPrefix("https://github.com/google-ai-edge/LiteRT/blob/f67457790c9c2ab67347d6fe53270e8d3df20868/"))
    }

    @Test func tfliteMicroRunsAttentionOperatorsInItsResolver() throws {
        let micro = try #require(catalogue.operatorSets.first { $0.id == "tflite-micro" })
        for op in ["BATCH_MATMUL", "DIV", "SQUARED_DIFFERENCE", "SELECT_V2", "REVERSE_V2", "EMBEDDING_LOOKUP"] {
            #expect(micro.contains(op), "\(op)")
        }
        #expect(micro.operators.count == 100)
        // The full-integer model's operators are all in the resolver: no SW4004.
        let m = try Repo.model(derived + "attention_int8.tflite")
        let rt = try #require(catalogue.runtime("tflite-micro"))
        let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: nil)
        #expect(r.refused.map(\.name) == [])
        // Its DIV runs in float between a DEQUANTIZE and a QUANTIZE; the model is still full integer: no SW4008.
        #expect(targetIssues("targets: {t: {runtime: tflite-micro}}\n", model: derived + "attention_int8.tflite", []) == [])
    }

    /// elementwise.cc's prepare functions take LOG, SIN, COS, SQRT and SQUARE in float32 only, ABS also in int8 and
    /// int16, RSQRT in int8: a full-integer model's int8 LOG cannot run (the interpreter: "input->type !=
    /// expected_type (INT8 != FLOAT32)"; test_onnx_tflite.py proves it on oww-melspectrogram).
    @Test func tfliteMicroTakesItsElementwiseMathInFloatOnly() throws {
        let micro = try #require(catalogue.operatorSets.first { $0.id == "tflite-micro" })
        let byID = Dictionary(micro.checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let float = try #require(byID["tflm.input0-float32"])
        #expect(float.kind == .tensorTypes && float.input == 0 && float.values == ["float32"])
        #expect(float.operators == ["COS", "LOG", "SIN", "SQRT", "SQUARE"])
        #expect(byID["tflm.input0-float32-int8-int16"]?.operators == ["ABS"])
        #expect(byID["tflm.input0-float32-int8"]?.operators == ["RSQRT"])
        #expect(float.source.id == "tflm-elementwise")
    }

    /// The reference kernels' own refusals (derive_tflite.py's kernel_checks, read from each Register_X()'s Prepare
    /// and Eval): GATHER takes int32 positions only, DEQUANTIZE int8, int16 or uint8 — not the float16 weights of a
    /// float16-quantized file (the interpreter on face-detection-short: "input->type == kTfLiteInt8 || ... was not
    /// true"). An ONNX model's int64 ids stay int64 through onnx2tf, so its GATHER is refused before conversion;
    /// test_onnx_tflite.py runs both embedding fixtures in the tflite-micro interpreter.
    @Test func tfliteMicroGathersByInt32PositionsAndDequantizesIntegersOnly() throws {
        let micro = try #require(catalogue.operatorSets.first { $0.id == "tflite-micro" })
        let byID = Dictionary(micro.checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let positions = try #require(byID["tflm.kernel-input1-int32"])
        #expect(positions.kind == .tensorTypes && positions.input == 1 && positions.values == ["int32"])
        #expect(positions.operators == ["GATHER", "GATHER_ND"])
        #expect(positions.source.id == "tflm-kernels")
        #expect(byID["tflm.kernel-input0-int16-int8-uint8"]?.operators == ["DEQUANTIZE"])
        #expect(byID["tflm.kernel-input0-bool"]?.operators == ["SELECT_V2"])
        let why = "LiteRT for Microcontrollers' kernel takes input 1 as int32 only"
        #expect(targetIssues("targets: {t: {runtime: ⟦⟦⟦tflite-micro⟧⟧⟧}}\n", model: fixtures + "embedding_int64.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Gather → LESS+CAST+MUL+ADD+GATHER 'embed' (\(why) (input 1 'input_ids' is int64, which the converter keeps))"),
            Expected(.operatorConstraint, "1 node breaks the constraint \"\(why)\" and cannot run: Gather 'embed' (input 1 'input_ids' is int64, which the converter keeps)"),
            Expected(.quantizationUnsupported, "expects full-integer int8 models"),
        ]) == [])
        #expect(targetIssues("targets: {t: {runtime: ⟦tflite-micro⟧}}\n", model: fixtures + "embedding_int32.onnx", [
            Expected(.quantizationUnsupported, "expects full-integer int8 models"),
        ]) == [])
        let m = try Repo.model("Tests/Fixtures/models/small_cnn_float16.tflite")
        let rt = try #require(catalogue.runtime("tflite-micro"))
        let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: nil)
        #expect(r.unsupported.map(\.opType) == Array(repeating: "DEQUANTIZE", count: 5))
        #expect(r.unsupported.first?.detail == "input 0 'functional_1/depthwise_1/depthwise' is float16")
    }

    /// The reference kernels' rank bounds (derive_tflite.py's rank_refusals): TRANSPOSE takes up to 5 dimensions,
    /// STRIDED_SLICE up to 4 (its StridedSliceContext's `dims <= kMaxDim`), read on a TFLite file's own builtins;
    /// test_tflm_verdict.py runs the four TFLite fixtures in the tflite-micro interpreter, which refuses exactly the two.
    @Test func tfliteMicroBoundsTheRanksItsKernelsTake() throws {
        let micro = try #require(catalogue.operatorSets.first { $0.id == "tflite-micro" })
        let byID = Dictionary(micro.checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let five = try #require(byID["tflm.kernel-rank-input0-max5"])
        #expect(five.kind == .rank && five.input == 0 && five.min == nil && five.max == 5)
        #expect(five.operators == ["BROADCAST_TO", "PAD", "PADV2", "TRANSPOSE"])
        #expect(byID["tflm.kernel-rank-input0-max4"]?.operators == ["L2_NORMALIZATION", "STRIDED_SLICE"])
        #expect(byID["tflm.kernel-rank-input0-4"]?.operators.contains("RESIZE_NEAREST_NEIGHBOR") == true)
        let rt = try #require(catalogue.runtime("tflite-micro"))
        // A fixture's refused nodes and why: a TFLite file's own builtins, or an ONNX node lowered to the builtin,
        // judged on the upper bound of its data input, which onnx2tf keeps (test_onnx_tflite.py converts these and
        // runs the files in the interpreter).
        func refused(_ file: String) throws -> [String] {
            let m = try Repo.model("Tests/Fixtures/targets/tflm_ranks/\(file)")
            let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue,
                                   analysis: GraphAnalysis.analyze(model: m))
            return r.unsupported.map { "\($0.opType): \($0.detail ?? "")" }
        }
        #expect(try refused("transpose_6d.tflite") == ["TRANSPOSE: input 'x' has rank 6"])
        #expect(try refused("strided_slice_5d.tflite") == ["STRIDED_SLICE: input 'x' has rank 5"])
        #expect(try refused("transpose_5d.tflite") == [])
        #expect(try refused("strided_slice_4d.tflite") == [])
        #expect(try refused("transpose_6d.onnx") == ["Transpose: input 'x' has rank 6, which the converter keeps"])
        #expect(try refused("slice_5d.onnx") == ["Slice: input 'x' has rank 5, which the converter keeps"])
        #expect(try refused("transpose_5d.onnx") == [])
    }

    /// TensorFlow's converter writes a builtin only for the ranks its TFL op definition allows (derive_tflite.py's
    /// converter_rank_checks, from tfl_ops.td: PAD up to 5): a 6-D ONNX Pad, which onnx2tf keeps 6-D, becomes a Select
    /// TF op (FlexPad) that LiteRT runs only with the Flex delegate — refused for every TFLite runtime;
    /// test_onnx_tflite.py converts it and runs the file in LiteRT and TFLite Micro.
    @Test func theConvertersRankBoundsRefuseALoweredNodeBeforeConversion() throws {
        let set = try #require(catalogue.operatorSets.first { $0.id == "tflite-converter" })
        let pad = try #require(set.checks.first { $0.kind == .rank && $0.input == 0 && $0.operators.contains("PAD") })
        #expect(pad.max == 5 && pad.min == nil && pad.source.id == "tfl-ops")
        let m = try Repo.model("Tests/Fixtures/targets/tflm_ranks/pad_6d.onnx")
        for name in ["litert", "tflite-micro"] {
            let rt = try #require(catalogue.runtime(name))
            let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue,
                                   analysis: GraphAnalysis.analyze(model: m))
            #expect(r.unsupported.map(\.rule) == ["litert.converter-rank"])
            #expect(r.unsupported.first?.reason == "TensorFlow's converter writes the builtin for input 0 of rank up to 5 only (input 'x' has rank 6, which onnx2tf keeps): it writes a Select TF op instead, which LiteRT runs only with the Flex delegate")
        }
    }

    /// The bounds are the converter's that runs here (the pinned TensorFlow's), read from tfl_ops.td as LiteRT
    /// imported it: SLICE and STRIDED_SLICE up to 5 (LiteRT HEAD allows 6; TensorFlow 2.19 writes FlexStridedSlice
    /// for onnx2tf's 6-D slice, which LiteRT refuses — test_onnx_tflite.py, test_converter_ranks.py).
    @Test func aSixDimensionalSliceIsRefusedAsThePinnedConverterRefusesIt() throws {
        let set = try #require(catalogue.operatorSets.first { $0.id == "tflite-converter" })
        for op in ["SLICE", "STRIDED_SLICE"] {
            #expect(set.checks.first { $0.kind == .rank && $0.operators.contains(op) }?.max == 5, "\(op)")
        }
        #expect(try #require(catalogue.sources["tfl-ops"]).url.contains("/91b3dc4d697fec85c82fe5055a1292e8f44377b1/tflite/converter/ir/tfl_ops.td"))
        let rt = try #require(catalogue.runtime("litert"))
        for (file, rule) in [("slice_6d.onnx", ["litert.converter-rank"]), ("slice_5d.onnx", [])] {
            let m = try Repo.model("Tests/Fixtures/targets/tflm_ranks/" + file)
            let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue,
                                   analysis: GraphAnalysis.analyze(model: m))
            #expect(r.unsupported.map(\.rule) == rule, "\(file)")
        }
    }

    /// TFLite Micro's kernels take some inputs only as constant tensors (derive_tflite.py reads each top-level
    /// TF_LITE_ENSURE of IsConstantTensor): a TRANSPOSE's perm, a SPLIT's axis (its input 0) given at run time is
    /// refused, as the interpreter refuses it (test_tflm_verdict.py). The indices are the builtin's own, so the
    /// check binds no ONNX node lowered to it: an ONNX Split's input 0 is its data.
    @Test func tfliteMicroRefusesRunTimeInputsItsKernelsTakeAsConstantsOnly() throws {
        let micro = try #require(catalogue.operatorSets.first { $0.id == "tflite-micro" })
        let split = try #require(micro.checks.first { $0.kind == .constantInputs && $0.operators.contains("SPLIT") })
        #expect(split.inputs == [0] && !split.bindsLowered)
        #expect(micro.checks.first { $0.kind == .constantInputs && $0.operators.contains("STRIDED_SLICE") }?.inputs == [1, 2, 3])
        let rt = try #require(catalogue.runtime("tflite-micro"))
        for (file, refused) in [("transpose_runtime_perm.tflite", ["TRANSPOSE: input 1 'perm' is computed at run time"]),
                                ("split_runtime_axis.tflite", ["SPLIT: input 0 'axis' is computed at run time"]),
                                ("split_constant_axis.tflite", []), ("split.onnx", [])] {
            let m = try Repo.model("Tests/Fixtures/targets/tflm_ranks/" + file)
            let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue,
                                   analysis: GraphAnalysis.analyze(model: m))
            #expect(r.unsupported.map { "\($0.opType): \($0.detail ?? "")" } == refused, "\(file)")
        }
    }

    /// TensorFlow's converter bounds TRANSPOSE's effective rank, the dimensions other than 1 (at most 6); onnx2tf
    /// never hands it a Transpose above 6-D (its "flexing deterrence" writes RESHAPEs, a GATHER and lower-rank
    /// TRANSPOSEs: `rank_rewritten_above`), so a 7-D ONNX Transpose is no converter refusal.
    @Test func transposesEffectiveRankIsBoundedWhereTheConverterSeesIt() throws {
        let set = try #require(catalogue.operatorSets.first { $0.id == "tflite-converter" })
        let transpose = try #require(set.checks.first { $0.operators.contains("TRANSPOSE") })
        #expect(transpose.max == 6 && transpose.squeezed)
        #expect(transpose.rank(of: [2, 3, 1, 2, 2, 2, 2]) == 6 && transpose.rank(of: [2, 3, 2, 2, 2, 2, 2]) == 7)
        #expect(transpose.rankWords(7) == "7 dimensions other than 1")
        #expect(catalogue.loweringRankRewrittenAbove == ["Transpose": 6])
        let rt = try #require(catalogue.runtime("litert"))
        let m = try Repo.model("Tests/Fixtures/targets/tflm_ranks/transpose_7d.onnx")
        let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue,
                               analysis: GraphAnalysis.analyze(model: m))
        #expect(r.unsupported.isEmpty)
    }

    /// XNNPACK takes a CONCATENATION whatever its rank (VisitConcatenationNode bounds none) and then fails to define
    /// a 7-D tensor (XNN_MAX_TENSOR_DIMS is 6): LiteRT refuses the model, with the delegate named or applied by default,
    /// and runs it on the builtin kernels (`delegate: cpu`); a 7-D ADD, whose rank VisitBinaryNode bounds, falls back.
    /// The rewrite onnx2tf writes for a 7-D Transpose ends in such a CONCATENATION.
    @Test func xnnpackRefusesTheModelForATensorAboveSixDimensionsOfANodeItTakes() throws {
        let set = try #require(catalogue.operatorSets.first { $0.id == "litert-xnnpack" })
        let defined = try #require(set.checks.first { $0.refusesModel })
        #expect(defined.kind == .tensorRanks && defined.max == 6 && defined.operators.contains("CONCATENATION"))
        #expect(!defined.operators.contains("ADD") && !set.contains("EXPAND_DIMS"))
        let rt = try #require(catalogue.runtime("litert"))
        #expect(rt.defaultDelegate?.name == "xnnpack")
        func verdict(_ file: String, _ delegate: String?) throws -> [String] {
            let m = try Repo.model(file)
            let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: rt.delegate(delegate ?? "cpu"), catalogue: catalogue,
                                   analysis: GraphAnalysis.analyze(model: m), appliedByDefault: delegate == nil ? rt.defaultDelegate : nil)
            return r.operators.filter { $0.status != .supported && $0.status != .folded }.map { "\($0.opType): \($0.status) \($0.rule ?? "")" }
        }
        let ranks = "Tests/Fixtures/targets/xnnpack_ranks/"
        #expect(try verdict(ranks + "concatenation_7d.tflite", nil) == ["CONCATENATION: unsupported litert.xnnpack-prepare"])
        #expect(try verdict(ranks + "concatenation_7d.tflite", "xnnpack") == ["CONCATENATION: unsupported litert.xnnpack-prepare"])
        #expect(try verdict(ranks + "concatenation_7d.tflite", "cpu").isEmpty)
        #expect(try verdict(ranks + "concatenation_6d.tflite", "xnnpack").isEmpty)
        // An int32 CONCATENATION XNNPACK refuses by its type first: the builtin kernels run it, whatever its rank.
        #expect(try verdict(ranks + "concatenation_7d_int32.tflite", nil).isEmpty)
        #expect(try verdict(ranks + "concatenation_7d_int32.tflite", "xnnpack") == ["CONCATENATION: cpuFallback litert.xnnpack-ops"])
        #expect(try verdict(ranks + "add_7d.tflite", "xnnpack") == ["ADD: cpuFallback litert.xnnpack-ops"])
        #expect(try verdict(ranks + "add_7d.tflite", nil).isEmpty)
        #expect(try verdict("Tests/Fixtures/targets/tflm_ranks/transpose_7d.onnx", nil) == ["Transpose: unsupported litert.xnnpack-prepare"])
        // A lowered node binds only where onnx2tf was measured to keep the rank: a 7-D Concat, not a 7-D Softmax (a
        // 2-D SOFTMAX between RESHAPEs in the file).
        #expect(try verdict("Tests/Fixtures/targets/tflm_ranks/concat_7d.onnx", nil) == ["Concat: unsupported litert.xnnpack-prepare"])
        #expect(try verdict("Tests/Fixtures/targets/tflm_ranks/softmax_7d.onnx", nil).isEmpty)
    }

    /// Which builtins of onnx2tf's file keep an ONNX node's rank above 6-D, and which operators it writes as Select TF
    /// ops there, are measured per operator on one-node 7-D models (measure_rank_above_6.py, which also runs each file
    /// in ai-edge-litert: test_rank_above_6.py holds `check` to it). An operator not measured keeps nothing.
    @Test func aboveSixDimensionsTheMeasuredLoweringDecides() throws {
        #expect(catalogue.loweringRankKeptAbove6["Concat"] == ["CONCATENATION"])
        #expect(catalogue.loweringRankKeptAbove6["ReduceSum"] == ["SUM"])
        #expect(catalogue.loweringRankKeptAbove6["MatMul"] == ["FULLY_CONNECTED"])
        // A 7-D Softmax is a 2-D SOFTMAX between RESHAPEs; the 7-D Transpose's rewrite keeps three of its builtins.
        #expect(catalogue.loweringRankKeptAbove6["Softmax"] == ["RESHAPE"])
        #expect(catalogue.loweringRankKeptAbove6["Transpose"] == ["CONCATENATION", "GATHER", "RESHAPE"])
        #expect(catalogue.loweringRankKeptAbove6["Gelu"] == nil)
        // EXP, ADD and LOG up to 6-D, FlexSoftplus above; a MatMul by a constant converts at 7-D, so the batched
        // one's FlexBatchMatMulV2 does not make the operator a Select TF op there (BATCH_MATMUL's bound says it).
        #expect(catalogue.loweringFlexAbove6["Softplus"] == ["FlexSoftplus"])
        #expect(catalogue.loweringFlexAbove6["MatMul"] == nil)
        let rule = try #require(catalogue.rule("litert.onnx-above-6d"))
        #expect(rule.code == .operatorUnsupported && catalogue.source(rule.source)?.url.contains("onnx2tf") == true)
    }

    @Test func tfliteMicroRefusesHybridQuantization() {
        #expect(targetIssues("targets: {t: {runtime: ⟦tflite-micro⟧}}\n", model: derived + "attention_hybrid.tflite", [
            Expected(.quantizationUnsupported, "the model is dynamic-range (hybrid) quantized: int8 weights with float activations, which LiteRT for Microcontrollers refuses (no hybrid kernels); quantize activations to int8 too, with calibration data"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: ⟦int8⟧}}\ntargets: {t: {runtime: tflite-micro}}\n", model: nil, [
            Expected(.quantizationUnsupported, "the manifest asks for int8 weights with float activations, which LiteRT for Microcontrollers refuses (no hybrid kernels); quantize activations to int8 too, with calibration data"),
        ]) == [])
    }

    @Test func theGPUDelegateParsesSplitAndTile() throws {
        let gpu = try #require(catalogue.operatorSets.first { $0.id == "litert-gpu" })
        #expect(gpu.contains("SPLIT") && gpu.contains("TILE") && gpu.contains("GELU"))
        #expect(gpu.operators.count == 80)
        #expect(gpu.maxVersions["RESHAPE"] == 1)
        #expect(gpu.maxVersions["MUL"] == 3)
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: gpu}}\n", model: derived + "split_tile.tflite", []) == [])
    }

    /// scripts/catalogue/derive_xnnpack.py: Subgraph::VisitNode's cases and each Visit function's checks. TILE is not
    /// one of them: it runs on the builtin kernels, said as information (the same processor), not a warning.
    @Test func theXNNPACKDelegateLeavesTileToTheBuiltinKernels() throws {
        let x = try #require(catalogue.operatorSets.first { $0.id == "litert-xnnpack" })
        #expect(x.operators.count == 57)  // EXPAND_DIMS left out: its Visit function returns kTfLiteError first
        #expect(x.contains("SPLIT") && x.contains("DENSIFY") && !x.contains("TILE") && !x.contains("GATHER"))
        let lite = try #require(catalogue.runtime("litert"))
        let delegate = try #require(lite.delegate("xnnpack"))
        #expect(delegate.operators == "litert-xnnpack" && delegate.partitioning == .perNode)
        #expect(try #require(catalogue.source(delegate.source)).url.contains("/f67457790c9c2ab67347d6fe53270e8d3df20868/tflite/delegates/xnnpack/xnnpack_delegate.cc"))
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: ⟦xnnpack⟧}}\n", model: derived + "split_tile.tflite", [
            Expected(.operatorsOnCPU, "1 of 3 operators (0% of MACs, 1 builtin-kernel partition) fall back from the xnnpack delegate to the builtin CPU kernels, because the delegate takes every node it supports, in as many partitions as needed, and LiteRT runs the others on its builtin kernels: TILE"),
        ]) == [])
        let fixture = MarkedText("targets: {t: {runtime: litert, delegate: xnnpack}}\n")
        let manifest = try #require(ManifestFile(bytes: Array(fixture.text.utf8)).documents.first?.manifest)
        let diagnostics = TargetChecks.check(manifest: manifest, model: try Repo.model(derived + "split_tile.tflite"), catalogue: catalogue)
        #expect(diagnostics.map(\.severity) == [.information])
    }

    /// A tensor type a Visit function does not check in (int8 SOFTMAX: CheckTensorFloatType) falls back by a
    /// `tensor_types` constraint, named with its source.
    @Test func theXNNPACKDelegateRefusesAnInt8Softmax() {
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: ⟦⟦xnnpack⟧⟧}}\n", model: "Tests/Fixtures/models/small_cnn_int8.tflite", [
            Expected(.operatorsOnCPU, "fall back from the xnnpack delegate to the builtin CPU kernels"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"XNNPACK takes input 0 as float16, float32 only\" and runs on the builtin CPU kernels: SOFTMAX"),
        ]) == [])
    }
}

/// Quantization forms each runtime takes, by format where the format decides.
@Suite struct QuantizationFormSpec {
    @Test func coreMLInt8WeightsOnANeuralNetworkNeedIOS12NotIOS16() {
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {i: {runtime: coreml, format: mlmodel, minimum_os: ios14}}\n", model: kws, []) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {i: {runtime: coreml, format: mlmodel, minimum_os: ⟦ios11⟧}}\n", model: kws, [
            Expected(.minimumOSTooOld, "Core ML supports int8 weights from ios12, but minimum_os is ios11"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {i: {runtime: coreml, format: mlpackage, minimum_os: ⟦ios15⟧}}\n", model: kws, [
            Expected(.minimumOSTooOld, "Core ML supports int8 weights from ios16, but minimum_os is ios15"),
        ]) == [])
    }
}

/// NVIDIA precisions and TensorRT's quantization scheme; OS minimums of ONNX Runtime's Core ML EP and LiteRT's NNAPI delegate.
@Suite struct PrecisionAndOSSpec {
    @Test func bfloat16NeedsAmpereAndFP8NeedsAda() {
        #expect(targetIssues("optimize: {quantize: {weights: ⟦bfloat16⟧}}\ntargets: {g: {runtime: tensorrt@10.8, device: nvidia-t4}}\n", model: nil, [
            Expected(.quantizationUnsupported, "bfloat16 needs an NVIDIA Ampere GPU or later; nvidia-t4 is Turing"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: bfloat16}}\ntargets: {g: {runtime: tensorrt@10.8, device: nvidia-a100}}\n", model: nil, []) == [])
        #expect(targetIssues("optimize: {quantize: {weights: ⟦float8-e4m3⟧}}\ntargets: {g: {runtime: tensorrt@10.8, device: nvidia-a100}}\n", model: nil, [
            Expected(.quantizationUnsupported, "float8 needs an NVIDIA Ada GPU or later; nvidia-a100 is Ampere"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: float8-e4m3}}\ntargets: {g: {runtime: tensorrt@10.8, device: nvidia-h100}}\n", model: nil, []) == [])
        #expect(targetIssues("optimize: {quantize: {weights: ⟦nvfp4⟧}}\ntargets: {g: {runtime: tensorrt@10.8, device: nvidia-h100}}\n", model: nil, [
            Expected(.quantizationUnsupported, "float4 needs an NVIDIA Blackwell GPU or later; nvidia-h100 is Hopper"),
        ]) == [])
    }

    @Test func tensorRTQuantizesSymmetricallyToSignedTypes() {
        #expect(targetIssues("optimize: {quantize: {weights: ⟦int8⟧, activations: uint8, calibration: c/}}\ntargets: {g: {runtime: tensorrt@10.8}}\n", model: nil, [
            Expected(.quantizationUnsupported, "TensorRT quantizes symmetrically to signed types, but the manifest asks for uint8 activations; use int8 (or int4) with symmetric: true"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: int8, symmetric: ⟦false⟧, calibration: c/}}\ntargets: {g: {runtime: tensorrt@10.8}}\n", model: nil, [
            Expected(.quantizationUnsupported, "but the manifest asks for asymmetric quantization (symmetric: false)"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: int8, symmetric: true, calibration: c/}}\ntargets: {g: {runtime: tensorrt@10.8}}\n", model: nil, []) == [])
    }

    @Test func theCUDAExecutionProviderTakesS8S8Only() {
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: uint8, symmetric: ⟦true⟧, calibration: c/}}\ntargets: {g: {runtime: onnxruntime@1.23, delegate: cuda}}\n", model: nil, [
            Expected(.quantizationUnsupported, "int8 on the GPU needs symmetric (S8S8) quantization; set `symmetric: true` and int8 activations"),
        ]) == [])
    }

    @Test func coreMLExecutionProviderNeedsIOS13AndMLProgramIOS15() {
        #expect(targetIssues("targets: {i: {runtime: onnxruntime@1.23, delegate: coreml, minimum_os: ⟦ios12⟧}}\n", model: nil, [
            Expected(.minimumOSTooOld, "the coreml execution provider needs ios 13 or later, but minimum_os is ios12"),
        ]) == [])
        #expect(targetIssues("targets: {i: {runtime: onnxruntime@1.23, delegate: coreml-mlprogram, minimum_os: ⟦ios14⟧}}\n", model: nil, [
            Expected(.minimumOSTooOld, "the coreml-mlprogram execution provider needs ios 15 or later, but minimum_os is ios14"),
        ]) == [])
        #expect(targetIssues("targets: {m: {runtime: onnxruntime@1.23, delegate: coreml, minimum_os: ⟦macos10.14⟧}}\n", model: nil, [
            Expected(.minimumOSTooOld, "needs macos 10.15 or later"),
        ]) == [])
        #expect(targetIssues("targets: {m: {runtime: onnxruntime@1.23, delegate: coreml, minimum_os: macos10.15}}\n", model: nil, []) == [])
    }

    @Test func liteRTsNNAPIDelegateNeedsAndroid81() {
        #expect(targetIssues("targets: {a: {runtime: litert@2.16, delegate: ⟦nnapi⟧, minimum_os: ⟦android8⟧}}\n", model: nil, [
            Expected(.deprecatedDelegate, "deprecated"),
            Expected(.minimumOSTooOld, "LiteRT's NNAPI delegate needs Android 8.1 or later, but minimum_os is android8"),
        ]) == [])
    }
}
