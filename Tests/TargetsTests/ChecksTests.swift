import Diagnostics
import JSON
import Manifest
@testable import ModelFormats
import TestSupport
import Testing

@testable import Targets

/// Fixture in, diagnostics out: a manifest with `⟦…⟧` around the ranges the diagnostics go on, the model
/// it is checked with, and the expected codes with a fragment of each message. Each check has a failing
/// fixture and a passing one (expected: nothing).
func targetIssues(_ marked: String, model path: String?, _ expected: [Expected]) -> [String] {
    let fixture = MarkedText(marked)
    guard let manifest = ManifestFile(bytes: Array(fixture.text.utf8)).documents.first?.manifest else { return ["no manifest"] }
    let model = path.flatMap { try? Repo.model($0) }
    if path != nil && model == nil { return ["model \(path ?? "") could not be read"] }
    // SW4020 (restrictions no check evaluates) has its own specs: the others expect it only when they list it.
    let all = TargetChecks.check(manifest: manifest, model: model, catalogue: catalogue)
    let asked = expected.contains { $0.code == .restrictionUnchecked }
    return mismatches(asked ? all : all.filter { $0.code != .restrictionUnchecked }, fixture, expected)
}

let kws = "examples/kws-mcu/models/ds_cnn_kws.onnx"
let fixtures = "Tests/Fixtures/targets/"

@Suite struct VersionSpec {
    @Test func opsetAndIRNewerThanThePinnedOnnxRuntime() {
        #expect(targetIssues("targets: {s: {runtime: ⟦⟦onnxruntime@1.16⟧⟧}}\n", model: fixtures + "opset21.onnx", [
            Expected(.opsetUnsupported, "opset 21, but ONNX Runtime 1.16 implements opsets 7–19; ONNX Runtime 1.18 or later runs it"),
            Expected(.irVersionUnsupported, "IR version is 10, but ONNX Runtime 1.16 reads up to IR 9; use 1.18 or later"),
        ]) == [])
        #expect(targetIssues("targets: {s: {runtime: onnxruntime@1.20}}\n", model: fixtures + "opset21.onnx", []) == [])
    }

    @Test func theOpsetFixOffersTheOldestRuntimeThatRunsTheModel() throws {
        let m = try #require(ManifestFile(bytes: Array("targets: {s: {runtime: onnxruntime@1.17}}\n".utf8)).documents.first?.manifest)
        let d = TargetChecks.check(manifest: m, model: try Repo.model(fixtures + "opset21.onnx"), catalogue: catalogue)
        #expect(d.first { $0.code == .opsetUnsupported }?.fixes.first?.edits.first?.newText == "onnxruntime@1.18")
        #expect(d.first?.related.first?.file == "https://onnxruntime.ai/docs/reference/compatibility.html")
    }

    @Test func anUnknownVersionIsSaidAndItsChecksSkipped() {
        #expect(targetIssues("targets: {s: {runtime: ⟦onnxruntime@1.99⟧}}\n", model: fixtures + "opset21.onnx", [
            Expected(.unknownRuntimeVersion, "ONNX Runtime 1.99 is not in the catalogue (it knows 1.5–1.32)")
        ]) == [])
    }

    @Test func tfliteOperatorVersionsNeedAMinimumLiteRT() {
        // The int8 fixture's operators are the int8 versions (CONV_2D v3, FULLY_CONNECTED v4, ...): TF Lite 1.14.
        let issues = targetIssues("targets: {s: {runtime: ⟦litert@1.13⟧}}\n", model: "Tests/Fixtures/models/small_cnn_int8.tflite", [
            Expected(.operatorUnsupported, "6 operators cannot run: CONV_2D 'functional_1/conv_1/Relu")
        ])
        #expect(issues == [])
        #expect(targetIssues("targets: {s: {runtime: litert@2.16}}\n", model: "Tests/Fixtures/models/small_cnn_int8.tflite", []) == [])
    }
}

@Suite struct OperatorCoverageSpec {
    @Test func aDomainWithoutKernelsCannotRunOnOnnxRuntime() {
        #expect(targetIssues("targets: {s: {runtime: ⟦onnxruntime@1.20⟧}}\n", model: fixtures + "custom_domain.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: FancyNorm 'fancy' (domain 'com.example' has no kernels)")
        ]) == [])
        #expect(targetIssues("targets: {s: {runtime: onnxruntime@1.20}}\n", model: kws, []) == [])
    }

    @Test func erfHasNoTFLiteBuiltin() {
        #expect(targetIssues("targets: {a: {runtime: ⟦litert@2.16⟧}}\n", model: fixtures + "erf_gelu.onnx", [
            Expected(.operatorUnsupported, "Erf 'gelu.erf' (no TFLite builtin")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: litert@2.16}}\n", model: kws, []) == [])
    }

    @Test func anIfOnAShapeIsFoldedAwayAndAnIfOnAnInputIsBothBranchesAndASelect() throws {
        // onnx2tf simplifies with onnxsim at the fixed shapes first: the If on Equal(Gather(Shape(relu), 1), 8) is
        // replaced by its branch (akiki-vad's two Ifs, which convert); the one on the bool input `flag` stays an If,
        // which onnx2tf writes as both branches and a select per output (If.py; measured: the artifact holds
        // LOGISTIC, TANH and SELECT_V2).
        #expect(targetIssues("targets: {a: {runtime: litert@2.16}}\n", model: fixtures + "shape_if.onnx", []) == [])
        let (report, builtins) = try liteRTLowering(fixtures + "shape_if.onnx")
        #expect(builtins("runtime.flag") == [["LOGISTIC", "TANH", "SELECT_V2"]])
        #expect(report.operators.first { $0.name == "runtime.flag" }?.status == .supported)
    }

    @Test func anIfWhoseBranchesDifferInShapeCannotBeSelected() {
        // PyTorch's squeeze(dim) export: a rank-2 and a rank-3 branch, which no select can pick between.
        #expect(targetIssues("targets: {a: {runtime: ⟦litert@2.16⟧}}\n", model: fixtures + "if_branches.onnx", [
            Expected(.operatorUnsupported, "which needs each output's shape to be the same in both branches")
        ]) == [])
    }

    @Test func anIfOnAScalarInputTheManifestFixesIsFoldedAwayAsTheDriverFoldsIt() throws {
        // `mode: 1` under model.inputs: the converter writes the input as an initializer and inlines the branch it
        // selects, so the If on Equal(mode, 1) is no node of the artifact; without the value it is both branches.
        #expect(targetIssues("model: {inputs: {mode: 1}}\ntargets: {a: {runtime: litert@2.16}}\n", model: fixtures + "if_on_scalar.onnx", []) == [])
        #expect(targetIssues("targets: {a: {runtime: litert@2.16}}\n", model: fixtures + "if_on_scalar.onnx", []) == [])
        let (_, builtins) = try liteRTLowering(fixtures + "if_on_scalar.onnx")
        #expect(builtins("by_mode") == [["RELU", "NEG", "SELECT_V2"]])
    }

    @Test func aFoldedIfIsTheBuiltinsOfTheBranchItTakes() throws {
        let m = try Repo.model(fixtures + "if_on_scalar.onnx")
        let rt = try #require(catalogue.runtime("litert"))
        for (mode, branch) in [(1, ["RELU"]), (0, ["NEG"])] {
            let a = GraphAnalysis.analyze(model: m, inputs: ["x": [1, 8]], values: ["mode": mode])
            let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: a)
            let byName = Dictionary(uniqueKeysWithValues: r.operators.map { ($0.name, ($0.builtins, $0.status)) })
            // Equal(mode, 1) on the manifest's value is computed before conversion; the If is its branch's nodes.
            #expect(byName["is_one"]?.1 == .folded)
            #expect(byName["by_mode"]?.0 == branch && byName["by_mode"]?.1 == .supported)
        }
    }

    @Test func whatOnnxRuntimeFoldsWhileLoadingIsNeverOfferedToAProvider() {
        // Shape → Gather → Unsqueeze → Concat feeding a Reshape, and a ConstantOfShape on a constant: onnxruntime's
        // constant folding computes them before partitioning. With the input's shape fixed in the file, nothing is
        // left for Core ML's NeuralNetwork table to refuse (it has no Unsqueeze, no ConstantOfShape).
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: coreml}}\n", model: fixtures + "folded_by_ort.onnx", []) == [])
        // Five nodes fold (Shape, Gather, Unsqueeze, Concat, ConstantOfShape); the Reshape and the Add run.
        let m = try? Repo.model(fixtures + "folded_by_ort.onnx")
        #expect(m.map { Coverage.constantFolded($0.graphs[0].nodes, constants: Set($0.tensors.map(\.name)), model: $0,
                                                analysis: GraphAnalysis.analyze(model: $0)).count } == 5)
        // A symbolic batch in the file: the Shape is not folded (the manifest's sizes are not in the file onnxruntime
        // loads), so its arithmetic reaches the provider — a Gather of a scalar index, which Core ML's NeuralNetwork
        // table rules out, and an Unsqueeze it lacks; the ConstantOfShape on a constant still folds.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20, delegate: ⟦⟦coreml⟧⟧}}\n", model: fixtures + "folded_by_ort_dynamic.onnx", [
            Expected(.operatorsOnCPU, "2 of 6 operators (0% of MACs, 1 CPU partition) fall back from the coreml execution provider to the CPU, because ONNX Runtime runs each node the provider does not take on the CPU execution provider: Gather 'n' (input indices with scalar value is not supported (input 'zero' has rank 0)); Unsqueeze 'n1'"),
            Expected(.operatorConstraint, "1 node falls outside the constraint \"input indices with scalar value is not supported\" and runs on the CPU: Gather 'n' (input 'zero' has rank 0)"),
        ]) == [])
        // For a static-shape provider `convert` writes the manifest's sizes into the artifact: onnxruntime folds
        // the Shape there too. Without the sizes nothing is written, and the Shape stays.
        let dynamic = try? Repo.model(fixtures + "folded_by_ort_dynamic.onnx")
        func folded(_ inputs: [String: [Int?]], manifestSized: Bool) -> Int? {
            dynamic.map { Coverage.constantFolded($0.graphs[0].nodes, constants: Set($0.tensors.map(\.name)), model: $0,
                                                  analysis: GraphAnalysis.analyze(model: $0, inputs: inputs),
                                                  manifestSized: manifestSized).count }
        }
        #expect(folded(["x": [2, 3, 4, 4]], manifestSized: true) == 5)
        #expect(folded(["x": [2, 3, 4, 4]], manifestSized: false) == 1)
        #expect(folded([:], manifestSized: true) == 1)
    }

    @Test func aBranchTheManifestsValuesNeverTakeMustStillHaveShapesAtTheSizesAStaticShapeArtifactCarries() {
        // value_branch.onnx: with `mode: 1` the If takes its rows-of-4 branch; the other reshapes 24 values into rows
        // of 5. QNN's artifact carries x [2, 12], and ONNX Runtime shape-checks both branches when it loads it
        // (measured: "Graph attribute inferencing failed: Node (fives.reshape)"): said on the delegate.
        #expect(targetIssues("model: {inputs: {x: [2, 12], mode: 1}}\ntargets: {a: {runtime: onnxruntime@1.20, delegate: ⟦qnn⟧}}\n", model: fixtures + "value_branch.onnx", [
            Expected(.dynamicShapes, "at the sizes under `model.inputs`, Slipway infers no shape for Reshape 'fives.reshape' in the else_branch of If 'by_mode', a branch `mode: 1` never takes"),
        ]) == [])
        // Rows of 4 and 5 both fit 40 values; a provider that takes the file's free batch is not concerned.
        #expect(targetIssues("model: {inputs: {x: [10, 12], mode: 1}}\ntargets: {a: {runtime: onnxruntime@1.20, delegate: qnn}}\n", model: fixtures + "value_branch.onnx", []) == [])
        #expect(targetIssues("model: {inputs: {x: [2, 12], mode: 1}}\ntargets: {a: {runtime: onnxruntime@1.20}}\n", model: fixtures + "value_branch.onnx", []) == [])
    }

    @Test func theGPUDelegateKeepsItsLargestPartition() {
        #expect(targetIssues("targets: {a: {runtime: litert@2.16, delegate: gpu}}\n", model: fixtures + "dynamic_batch.onnx", []) == [])
        // model_builder.cc parses TILE: the Tile in the middle stays on the GPU.
        #expect(targetIssues("targets: {a: {runtime: litert@2.16, delegate: gpu}}\n", model: fixtures + "tile_mid.onnx", []) == [])
    }

    @Test func theEdgeTPURunsEverythingAfterTheFirstUnsupportedOperatorOnTheCPU() throws {
        let m = try Repo.model(fixtures + "tile_mid.onnx")
        let rt = try #require(catalogue.runtime("litert"))
        let r = Coverage.check(
            model: m, runtime: rt, version: "2.16", delegate: rt.delegate("edgetpu"), catalogue: catalogue,
            analysis: GraphAnalysis.analyze(model: m))
        #expect(r.refused.map(\.name) == ["tile"])
        #expect(r.cpuNodes == Set(2...7))
        #expect(r.cpuPartitions == 1)
        #expect(r.cpuShareOfMACs > 0.5)
    }

    @Test func edgeTPUTensorsHaveAtMostThreeDimensionsLargerThanOne() {
        let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"
        #expect(targetIssues(q + "targets: {c: {runtime: litert@2.16, delegate: ⟦edgetpu⟧}}\n", model: fixtures + "batch2_conv.onnx", [
            Expected(.operatorsOnCPU, "has more than 3 dimensions larger than 1")
        ]) == [])
        #expect(targetIssues(q + "model: {inputs: {x: [1, 3, 16, 16]}}\ntargets: {c: {runtime: litert@2.16, delegate: edgetpu}}\n",
                             model: fixtures + "dynamic_batch.onnx", []) == [])
    }

    @Test func convolutionsLowerToDepthwiseWhenGroupsEqualChannels() throws {
        let m = try Repo.model("examples/mobile-cnn/models/mobilenet_tiny.onnx")
        let rt = try #require(catalogue.runtime("litert"))
        let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: rt.delegate("gpu"), catalogue: catalogue,
                               analysis: GraphAnalysis.analyze(model: m))
        let byName = Dictionary(uniqueKeysWithValues: r.operators.map { ($0.name, $0.builtins) })
        // Strided by 2 with pads of 1: onnx2tf pads explicitly (the artifact holds 5 PADs before its 5 depthwise
        // convolutions), and the RELU6 after a convolution is its fused activation.
        #expect(byName["block0.dw"] == ["PAD", "DEPTHWISE_CONV_2D"])
        #expect(byName["block0.pw"] == ["CONV_2D"])
        #expect(byName["stem.relu6"] == [])
        #expect(r.cpuNodes.isEmpty)
    }

    @Test func aOneHotEncodingIsOneBuiltinAsTensorFlowsOptimizerRewritesIt() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "one_hot_bytes.onnx")
        // Compared with 0 … 15 after a reshape to a last dimension of 1, then a table without a bias: a lookup.
        #expect(lowered("onehot.reshape", "onehot.expand", "onehot.equal", "onehot.cast", "onehot.embed")
                == [["RESHAPE"], [], ["EMBEDDING_LOOKUP"], [], ["RESHAPE"]])
        // The same with a bias after the table: ONE_HOT, and the table and bias a FULLY_CONNECTED.
        #expect(lowered("biased.reshape", "biased.equal", "biased.cast", "biased.embed")
                == [[], ["ONE_HOT"], [], ["FULLY_CONNECTED"]])
        // Compared with 1 … 16: no one-hot, each node its own builtin; an Expand that widens is a MUL by ones.
        #expect(lowered("shifted.reshape", "shifted.equal", "shifted.cast", "widen.expand")
                == [["RESHAPE"], ["EQUAL"], ["CAST"], ["MUL"]])
        // What the artifact holds (onnx2tf 1.29.24, TensorFlow 2.19), builtin by builtin.
        #expect(r.builtinCounts == ["RESHAPE": 3, "FULLY_CONNECTED": 2, "CAST": 1, "EMBEDDING_LOOKUP": 1, "EQUAL": 1, "MUL": 1,
                           "ONE_HOT": 1])
        let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"
        #expect(targetIssues(q + "targets: {m: {runtime: ⟦tflite-micro⟧}}\n", model: fixtures + "one_hot_bytes.onnx", [
            Expected(.operatorUnsupported,
                     "1 operator cannot run: Equal → ONE_HOT 'biased.equal' (ONE_HOT not in the LiteRT for Microcontrollers op resolver)")
        ]) == [])
    }

    @Test func theConverterRewritesPaddingHardSwishActivationsBiasesAndReciprocalRoots() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "converter_rewrites.onnx")
        // Strided, padded by 1 on each side: not TensorFlow's SAME, so onnx2tf pads first; unstrided, it is SAME.
        #expect(lowered("down", "same") == [["PAD", "CONV_2D"], ["CONV_2D"]])
        #expect(lowered("hs.shift", "hs.clip", "hs.gate", "hs.scale") == [[], [], [], ["HARD_SWISH"]])
        #expect(lowered("relu", "flatten", "fc", "fc.bias") == [[], [], ["FULLY_CONNECTED"], []])
        #expect(lowered("norm.square", "norm.sqrt", "norm.divide") == [["MUL"], ["RSQRT"], ["MUL"]])
        // The artifact (onnx2tf 1.29.24, TensorFlow 2.19), builtin by builtin.
        #expect(r.builtinCounts == ["MEAN": 3, "CONV_2D": 2, "MUL": 2, "ADD": 1, "FULLY_CONNECTED": 1, "HARD_SWISH": 1, "PAD": 1,
                           "RSQRT": 1, "SUB": 1])
    }

    /// What TensorFlow's converter makes of onnx2tf's convolutions (conv_forms.onnx, measured: onnx2tf 1.29.24,
    /// TensorFlow 2.19): a PAD whose amounts are SAME padding's folds into the convolution, a depthwise convolution
    /// strided 2×1 is a grouped CONV_2D, a bias added apart through a Reshape and a hard sigmoid's scale and shift
    /// fold into the convolution before them, and a hard swish is HARD_SWISH only with scalar constants.
    @Test func theConverterFoldsSamePadsBiasesAndHardSigmoidsAndFusesScalarHardSwishes() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "conv_forms.onnx")
        #expect(lowered("same.odd", "pad.even", "dw.rowstride") == [["CONV_2D"], ["PAD", "CONV_2D"], ["CONV_2D"]])
        #expect(lowered("se.conv", "bias.reshape", "se.bias", "se.gate", "se.scale") == [["CONV_2D"], [], [], ["RELU_0_TO_1"], ["MUL"]])
        #expect(lowered("scalar.shift", "scalar.clip", "scalar.gate", "scalar.scale") == [[], [], [], ["HARD_SWISH"]])
        #expect(lowered("one.shift", "one.clip", "one.gate", "one.scale") == [["ADD"], [], ["MUL"], ["MUL"]])
        // The artifact, builtin by builtin.
        #expect(r.builtinCounts == ["CONV_2D": 6, "MUL": 3, "ADD": 1, "HARD_SWISH": 1, "PAD": 1, "RELU_0_TO_1": 1])
    }

    /// A depthwise convolution after an affine block (x · a + b, b not a scalar: PaddleOCR v4's LearnableAffineBlock)
    /// is a grouped CONV_2D, as onnx2tf holds the sum channels-first; after a scaling alone it stays depthwise, and a
    /// division of a convolution's output by a constant folds into it (affine_forms.onnx, measured: onnx2tf 1.29.24,
    /// TensorFlow 2.19; the 13 such convolutions of ppocrv4-det and of ppocrv4-rec).
    @Test func aDepthwiseConvolutionAfterAnAffineBlockIsAGroupedConvolution() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "affine_forms.onnx")
        #expect(lowered("affine.dw", "affine4.dw", "scale.dw") == [["CONV_2D"], ["CONV_2D"], ["DEPTHWISE_CONV_2D"]])
        #expect(lowered("before", "scale.only", "affine.scale", "affine.shift") == [[], [], ["MUL"], ["ADD"]])
        #expect(r.builtinCounts == ["ADD": 2, "CONV_2D": 3, "DEPTHWISE_CONV_2D": 1, "MUL": 2])
    }

    /// A Slice that keeps every element (jax2tf's `[..., 0:1]` of a one-wide axis, every axis named) is nothing: the
    /// driver makes it an Identity before onnx2tf, which mapped its axis to the channels-last tensor's channels and
    /// wrote a file that ran and was wrong (whole_axis_slice.onnx, magika's form; measured: onnx2tf 1.29.24).
    @Test func aSliceThatKeepsEveryElementIsNothing() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "whole_axis_slice.onnx")
        #expect(lowered("slice.last", "squeeze", "conv") == [[], ["RESHAPE"], ["CONV_2D"]])
        #expect(r.builtinCounts["STRIDED_SLICE"] == nil)
    }

    /// Reductions that keep dimensions of size 1, a cast to the input's own type, and x − 0, x + 0, x · 1, x / 1
    /// are nothing in the artifact; a reduction that drops its dimension stays a MEAN, also of one element (a
    /// REDUCE_MAX), unless reshaped back (nop_forms.onnx, measured).
    @Test func reductionsOverOnesCastsToTheSameTypeAndIdentitiesAreNothing() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "nop_forms.onnx")
        #expect(lowered("mean.k0", "mean.k1", "max.k1", "min.k1", "sum.k1", "cast.same") == [["MEAN"], [], [], [], [], []])
        #expect(lowered("max.one", "minus.zero", "plus.zero", "times.one", "over.one") == [["REDUCE_MAX"], [], [], [], []])
        // Unsqueezed back to the kept dimensions: one SUM; over a dimension of size 1, nothing.
        #expect(lowered("sum.back", "unsqueeze.kept", "mean.back", "unsqueeze.back") == [["SUM"], [], [], []])
        #expect(r.builtinCounts == ["ABS": 1, "CEIL": 1, "COS": 1, "ELU": 1, "EXP": 1, "FLOOR": 1, "LOG": 1, "LOGISTIC": 1, "MEAN": 2,
                                    "NEG": 1, "REDUCE_MAX": 1, "RELU": 1, "ROUND": 1, "SIN": 1, "SQRT": 1, "SUM": 1, "TANH": 1])
    }

    /// A transformer export's idioms (transformer_forms.onnx, measured as maskseq-transformer holds them): a lookup
    /// by run-time ids wraps negative ids first, constant embeddings added in turn are one ADD, a Reshape merging
    /// leading dimensions before Gemms and one putting a leading 1 back before a residual Add are nothing, one merging
    /// the last dimension too stays a RESHAPE.
    @Test func aTransformersLookupsAndReshapesAreWhatTheConverterWrites() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "transformer_forms.onnx")
        #expect(lowered("embed", "embed.position", "embed.token_type") == [["LESS", "CAST", "MUL", "ADD", "GATHER"], [], ["ADD"]])
        #expect(lowered("rows", "q", "split.heads", "merge.heads", "unflatten", "residual") == [[], ["FULLY_CONNECTED"], ["RESHAPE"], ["RESHAPE"], [], ["ADD"]])
        #expect(r.builtinCounts == ["ADD": 4, "FULLY_CONNECTED": 3, "RESHAPE": 2, "CAST": 1, "GATHER": 1, "LESS": 1, "MUL": 1, "TRANSPOSE": 1])
    }

    /// A scaling by one number that only a convolution or a FULLY_CONNECTED reads folds into its weights; one per
    /// channel, or read twice, stays a MUL (mul_folds.onnx, measured: the artifact's two MULs are those).
    @Test func aScalingByOneNumberFoldsIntoTheConvolutionOrFullyConnectedAfterIt() throws {
        let (r, lowered) = try liteRTLowering(fixtures + "mul_folds.onnx")
        #expect(lowered("mul.one", "mul.scalar", "mul.before.fc", "flatten", "fc") == [[], [], [], [], ["FULLY_CONNECTED"]])
        #expect(lowered("mul.channel", "mul.two.readers") == [["MUL"], ["MUL"]])
        #expect(r.builtinCounts["MUL"] == 2 && r.builtinCounts["CONV_2D"] == 4 && r.builtinCounts["DEPTHWISE_CONV_2D"] == 1)
    }

    @Test func aRecurrenceIsAWhileLoopInFloatAndUnrolledInFullInteger() throws {
        let rt = try #require(catalogue.runtime("litert"))
        let m = try Repo.model("Tests/Fixtures/estimate/lstm_classifier.onnx")
        let a = GraphAnalysis.analyze(model: m)
        let float = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: a)
        let int8 = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: a,
                                  loweredActivations: "int8")
        let cell = { (r: CoverageReport) in
            try #require(r.operators.first { $0.opType == "LSTM" }).builtins.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        // What onnx2tf 1.29.24 wrote for the fixture at 50 steps: a WHILE loop, LESS its condition, the cell its
        // body, and the output's TRANSPOSE back to time-major …
        #expect(try cell(float) == ["WHILE": 1, "LESS": 1, "FULLY_CONNECTED": 2, "ADD": 8, "SPLIT": 1, "LOGISTIC": 3, "TANH": 2,
                                    "MUL": 3, "GATHER": 1, "SLICE": 2, "RESHAPE": 3, "CONCATENATION": 3, "TRANSPOSE": 1])
        // … and, calibrated, one cell per step between an UNPACK and a PACK, the first step's work on the zero
        // state folded away (ADD 50 × 6 − 3 …).
        #expect(try cell(int8) == ["UNPACK": 1, "PACK": 1, "FULLY_CONNECTED": 99, "ADD": 297, "SPLIT": 50, "LOGISTIC": 149,
                                   "TANH": 100, "MUL": 149, "TRANSPOSE": 1])
        // The batch-first Transpose before it cancels the recurrence's own.
        #expect(float.operators.first { $0.opType == "Transpose" }?.builtins == [])
        #expect(float.unknown.isEmpty && int8.unknown.isEmpty)
    }

    /// recurrent_forms.onnx: a bidirectional LSTM given its states, a GRU from zero, a bidirectional RNN from a zero
    /// initializer, over one sequence. Its artifacts (onnx2tf 1.29.24, TensorFlow 2.19) hold exactly these builtins,
    /// the quantizations of the full-integer one aside: two WHILE loops per bidirectional node, the sequence reversed
    /// once for both, each direction's given state sliced; unrolled, one UNPACK for the three.
    @Test func recurrencesCountAsTheirArtifactsInEveryDirectionAndState() throws {
        let m = try Repo.model(fixtures + "recurrent_forms.onnx")
        let rt = try #require(catalogue.runtime("litert"))
        let a = GraphAnalysis.analyze(model: m)
        let float = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: a)
        #expect(float.builtinCounts == ["ADD": 33, "CONCATENATION": 18, "FULLY_CONNECTED": 14, "GATHER": 5, "LESS": 5,
                                        "LOGISTIC": 8, "MUL": 9, "RESHAPE": 24, "REVERSE_V2": 3, "SLICE": 10, "SPLIT": 2,
                                        "STRIDED_SLICE": 4, "SUB": 1, "TANH": 7, "TRANSPOSE": 3, "WHILE": 5])
        let int8 = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: a,
                                  loweredActivations: "int8")
        #expect(int8.builtinCounts == ["ADD": 223, "CONCATENATION": 3, "FULLY_CONNECTED": 135, "LOGISTIC": 80, "MUL": 89,
                                       "PACK": 5, "RESHAPE": 9, "REVERSE_V2": 2, "SPLIT": 20, "STRIDED_SLICE": 4, "SUB": 10,
                                       "TANH": 70, "TRANSPOSE": 3, "UNPACK": 1])
    }

    /// recurrent_step.onnx: a streaming GRU of one step (akiki-vad's form). Every transpose of the step axis moves a
    /// dimension of size 1, so the converter writes RESHAPEs and none cancels; unrolled, one step has no PACK. As
    /// akiki-vad's artifact holds them, count for count (scripts/verdict_sweep.py --builtins akiki-vad). This
    /// fixture's own artifact merges its adjacent RESHAPEs (5 where 8 are predicted; TensorFlow Lite's
    /// RemoveAdjacentReshape), akiki-vad's do not: which chains merge is not modelled.
    @Test func aRecurrenceOfOneStepIsReshapedNotTransposed() throws {
        let m = try Repo.model(fixtures + "recurrent_step.onnx")
        let rt = try #require(catalogue.runtime("litert"))
        let a = GraphAnalysis.analyze(model: m)
        let float = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: a)
        let lowered = Dictionary(uniqueKeysWithValues: float.operators.map { ($0.name, $0.builtins) })
        #expect(lowered["time.major"] == ["RESHAPE"] && lowered["batch.first"] == ["RESHAPE"])
        #expect(lowered["gru"]?.filter { $0 == "RESHAPE" }.count == 4 && lowered["gru"]?.contains("TRANSPOSE") == false)
        var counts = float.builtinCounts
        counts["RESHAPE"] = nil
        #expect(counts == ["ADD": 9, "CONCATENATION": 3, "FULLY_CONNECTED": 6, "GATHER": 1, "LESS": 1, "LOGISTIC": 2, "MUL": 3,
                           "RELU": 2, "SLICE": 2, "STRIDED_SLICE": 1, "SUB": 1, "TANH": 1, "WHILE": 1])
        let int8 = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: a,
                                  loweredActivations: "int8")
        var unrolled = int8.builtinCounts
        unrolled["RESHAPE"] = nil
        #expect(unrolled == ["ADD": 7, "FULLY_CONNECTED": 6, "LOGISTIC": 2, "MUL": 3, "RELU": 2, "STRIDED_SLICE": 1, "SUB": 1,
                             "TANH": 1, "UNPACK": 1])
    }

    @Test func onnx2tfConvertsAStridedDilatedConvolutionOnlyWhenItIsDepthwise() throws {
        // TensorFlow's convolution refuses a stride above 1 with a dilation above 1 (measured: onnx2tf 1.29.24 fails
        // on dilated_conv.onnx and converts the other two).
        #expect(targetIssues("targets: {a: {runtime: ⟦litert@2.16⟧}}\n", model: fixtures + "dilated_conv.onnx", [
            Expected(.operatorUnsupported, "Conv 'conv2' (onnx2tf cannot convert it: strides 2×2 with dilations 2×1: TensorFlow's convolution refuses a stride above 1 with a dilation above 1)")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: litert@2.16}}\n", model: fixtures + "dilated_unstrided.onnx", []) == [])
        #expect(targetIssues("targets: {a: {runtime: litert@2.16}}\n", model: fixtures + "dilated_depthwise.onnx", []) == [])
        let (report, _) = try liteRTLowering(fixtures + "dilated_conv.onnx")
        #expect(report.operators.first { $0.name == "conv2" }?.rule == "litert.onnx-strided-dilation")
    }

    @Test func onnx2tfConvertsNoTransposedConvolutionWhileTheBatchIsFree() throws {
        // Measured (onnx2tf 1.29.24): with its sizes fixed ConvTranspose.py hands the batch's name to TensorFlow as a
        // size; with them free the per-channel Add after it is broadcast along the wrong axis, and a ConvTranspose
        // with no such Add converts. The whole shape under model.inputs converts every form.
        #expect(targetIssues("targets: {a: {runtime: ⟦litert@2.16⟧}}\n", model: fixtures + "convtranspose_batch.onnx", [
            Expected(.operatorUnsupported, "ConvTranspose 'up' (onnx2tf cannot convert it: its batch is free ('x's first dimension) while its sizes are fixed, and onnx2tf's ConvTranspose.py then passes the batch's name as a size to TensorFlow's transposed convolution, which raises; give 'x' its whole shape, batch included, under model.inputs)")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert⟧⟧}}\n", model: fixtures + "convtranspose_sizes.onnx", [
            Expected(.operatorUnsupported, "ConvTranspose 'up.biased' (onnx2tf cannot convert it: its batch and sizes are free ('x'), and onnx2tf then broadcasts the per-channel Add 'bias' after it along the wrong axis, which raises (\"Dimensions must be equal\"); give 'x' its whole shape, batch included, under model.inputs)"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w' are free, and onnx2tf builds and checks its file with them at 1")
        ]) == [])
        let (report, _) = try liteRTLowering(fixtures + "convtranspose_sizes.onnx")
        #expect(report.operators.filter { $0.status == .unsupported }.map(\.name) == ["up.biased"])
        #expect(report.operators.first { $0.name == "up.biased" }?.rule == "litert.onnx-convtranspose-batch")
        #expect(targetIssues("model: {inputs: {x: [1, 8, 16, 16]}}\ntargets: {a: {runtime: litert@2.16}}\n",
                             model: fixtures + "convtranspose_batch.onnx", []) == [])
    }

    @Test func aConvTransposesMislaidOutputIsFollowedThroughArithmeticWithRunTimeValues() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json: ConvTranspose_Add_self_Add, _Mul_self_Add,
        // _Add_runtime_Add): the output added to itself keeps the wrong layout, and the per-channel Add after fails.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert⟧⟧}}\n", model: fixtures + "convtranspose_twice.onnx", [
            Expected(.operatorUnsupported, "ConvTranspose 'up' (onnx2tf cannot convert it: its batch and sizes are free ('x'), and onnx2tf then broadcasts the per-channel Add 'bias' after it along the wrong axis, which raises (\"Dimensions must be equal\"); give 'x' its whole shape, batch included, under model.inputs)"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w' are free, and onnx2tf builds and checks its file with them at 1")
        ]) == [])
    }

    @Test func onnx2tfConvertsNoConstantExpandedToAShapeWhoseBatchAloneIsFree() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json: Shape_Expand*): Expand.py permutes Shape.py's
        // channel-last shape once more; a [1] constant has no dimensions to permute.
        #expect(targetIssues("targets: {a: {runtime: ⟦litert@2.16⟧}}\n", model: fixtures + "expand_shape.onnx", [
            Expected(.operatorUnsupported, "Expand 'expand.channel' (onnx2tf cannot convert it: it expands the constant 'b' to the Shape of 'x', whose batch alone is free, and onnx2tf's Expand.py permutes that shape, already channel-last, once more, so the expanded dimensions disagree and the conversion raises (\"operands don't have broadcast-compatible shapes\"); give 'x' its whole shape, batch included, under model.inputs)")
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [1, 4, 8, 8]}}\ntargets: {a: {runtime: litert@2.16}}\n",
                             model: fixtures + "expand_shape.onnx", []) == [])
    }

    @Test func onnx2tfConvertsNoConstantExpandedToAShapeConcatenatedFromTheFreeBatch() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json: Expand_const_*; lstm_classifier.onnx with its batch
        // free): Expand.py permutes any run-time shape of rank-3 data; a [1] constant has no dimensions to permute.
        #expect(targetIssues("targets: {a: {runtime: ⟦litert⟧}}\n", model: fixtures + "expand_concat.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Expand 'expand.rows' (onnx2tf cannot convert it: it expands the constant 'b' to a shape computed at run time from free input dimensions, and onnx2tf's Expand.py permutes that shape to channel-last as if the constant were laid out so: the expanded dimensions are the wrong ones, and the conversion raises (\"operands don't have broadcast-compatible shapes\") or the file fails when run at other sizes than the 1 it sampled; give 'x' its whole shape, batch included, under model.inputs)")
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [2, 4, 16]}}\ntargets: {a: {runtime: litert}}\n",
                             model: fixtures + "expand_concat.onnx", []) == [])
    }

    @Test func aSliceToInt64MaxOverAFreeAxisIsWrittenOneElementShort() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json: Slice free; the file's STRIDED_SLICE end is -1): over
        // the fixed channels the end is replaced by the size, a Slice of every element is dropped by the driver, and a
        // reversal (ends INT64_MIN) has its end masked.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert⟧⟧}}\n", model: fixtures + "slice_open_end.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Slice 'rows' (onnx2tf cannot convert it: it slices 'x' to the end of its axis 2 with an end past int32, and free input dimensions reach that axis: onnx2tf leaves such an end as it is where the axis's size is free, and TensorFlow Lite's STRIDED_SLICE holds it as int32, where it is -1, so the file stops one element short at every size; give 'x' its whole shape under model.inputs)"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w' are free, and onnx2tf builds and checks its file with them at 1"),
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [batch, 4, 8, w]}}\ntargets: {a: {runtime: ⟦litert⟧}}\n", model: fixtures + "slice_open_end.onnx", [
            Expected(.convertedAtSampledSizes, "x[3] 'w' is free, and onnx2tf builds and checks its file with it at 1"),
        ]) == [])
    }

    @Test func aPerChannelConstantOnAnInputTheDriverKeepsChannelsFirstIsLaidChannelsLast() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json: Mul_Add_affine, Add_affine, Relu_Add_affine): each
        // fails when run with the sizes free; [1, 1, 1, 1] reads the same in either layout.
        let why = { (v: String, k: String) in
            "it combines '\(v)', which keeps the channels-first layout of the input 'x' (no spatial operator reads it, so Slipway's driver keeps its shape), with the constant '\(k)' [1, 4, 1, 1], which onnx2tf lays channels-last ([1, 1, 1, 4]); with the sizes free nothing shows the mismatch, and the file fails when run or broadcasts otherwise; give 'x' its whole shape under model.inputs"
        }
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert⟧⟧}}\n", model: fixtures + "kept_affine.onnx", [
            Expected(.operatorUnsupported, "2 operators cannot run: Mul 'scale' (onnx2tf cannot convert it: \(why("x", "a"))); Add 'shift' (onnx2tf cannot convert it: \(why("m", "b")))"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w' are free, and onnx2tf builds and checks its file with them at 1"),
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [batch, 4, 8, 8]}}\ntargets: {a: {runtime: litert}}\n",
                             model: fixtures + "kept_affine.onnx", []) == [])
    }

    @Test func theSpatialOperatorsAreTheDriversOwn() throws {
        // onnx_tflite.py's SPATIAL decides which inputs keep their shape; the check reads the same set.
        let driver = try #require(Repo.text("scripts/converters/onnx_tflite.py"))
        let start = try #require(driver.range(of: "SPATIAL = {"))
        let body = driver[start.upperBound...].prefix { $0 != "}" }
        let names = Set(body.split(separator: ",").map { String($0.filter { !" \n\t\"".contains($0) }) }.filter { !$0.isEmpty })
        #expect(names == Coverage.spatialOperators)
    }

    @Test func aTransposedConvolutionsFusedBiasFixesItsFileAtTheSampledSizes() {
        // Measured (onnx2tf 1.29.24, each file run at other sizes, free_batch_measured.json: ConvTranspose_Add batch1,
        // _Add_C11, _one_channel_Add): the fused TRANSPOSE_CONV keeps the output shape of sizes 1.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert⟧⟧}}\n", model: fixtures + "convtranspose_free_sizes.onnx", [
            Expected(.operatorUnsupported, "ConvTranspose 'up' (onnx2tf cannot convert it: its sizes are free and the Add 'bias' of a constant after it becomes its bias, so the file onnx2tf writes fixes its output at the sizes it sampled (1) and fails when run at any other; give 'x' its whole shape under model.inputs)"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w' are free, and onnx2tf builds and checks its file with them at 1")
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [1, 8, 16, 16]}}\ntargets: {a: {runtime: litert}}\n",
                             model: fixtures + "convtranspose_free_sizes.onnx", []) == [])
    }

    @Test func aReshapeByAShapeHoldingZeroIsWrittenForTheSampledSizes() {
        // Measured (onnx2tf 1.29.24, each file run at other sizes, free_batch_measured.json: Reshape_keep_batch,
        // Reshape_zero_keep, Reshape_rows): Reshape.py replaces a shape holding 0 by the ONNX output shape.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert⟧⟧}}\n", model: fixtures + "reshape_free.onnx", [
            Expected(.operatorUnsupported, "Reshape 'flatten.zero' (onnx2tf cannot convert it: its shape holds 0 and -1 and free input sizes reach it: onnx2tf's Reshape.py then takes the ONNX output shape, which it has at the sizes it sampled (1), so the file fails when run at any other (\"num_input_elements != num_output_elements\"); give 'x' its whole shape under model.inputs)"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w' are free, and onnx2tf builds and checks its file with them at 1")
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [1, 4, 8, 8]}}\ntargets: {a: {runtime: litert}}\n",
                             model: fixtures + "reshape_free.onnx", []) == [])
    }

    @Test func aConstantThatWidensAValueBroadcastToARunTimeShapeIsTransposedByOnnx2tf() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json Expand_runtime_*; magika with its batch free): the
        // constant [1, 1, 9] widens the broadcast [n, 16, 1]; [9] does not, and converts.
        #expect(targetIssues("targets: {a: {runtime: ⟦litert⟧}}\n", model: fixtures + "expand_runtime.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Equal 'onehot.widen' (onnx2tf cannot convert it: it combines 'e', which the Expand 'broadcast' broadcasts to a shape computed at run time from free input dimensions, with the constant 'ids3' [1, 1, 9], which widens its dimension 2 of size 1: TensorFlow knows that dimension as unknown, and onnx2tf's layout workaround transposes the constant, so the conversion raises (\"Dimensions must be equal\"); give 'bytes' its whole shape, batch included, under model.inputs)"),
        ]) == [])
        #expect(targetIssues("model: {inputs: {bytes: [2, 16]}}\ntargets: {a: {runtime: litert}}\n",
                             model: fixtures + "expand_runtime.onnx", []) == [])
    }

    @Test func aReshapeByARunTimeShapeHoldingZeroReachesTensorFlowAsASize() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json Tokens_*; ppocrv4-rec's SVTR neck): 'image' holds 0,
        // 'tokens' (the batch sliced from the Shape, -1, 4) does not and runs.
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert⟧⟧}}\n", model: fixtures + "reshape_runtime.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Reshape 'image' (onnx2tf cannot convert it: its shape is computed at run time and holds 0, and free input dimensions reach its output: onnx2tf's Reshape.py hands such a shape to TensorFlow's reshape as it is, which reads the 0 as a size, so the file fails when run (\"num_input_elements != num_output_elements\") or computes otherwise; give 'x' its whole shape, batch included, under model.inputs)"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w' are free, and onnx2tf builds and checks its file with them at 1"),
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [1, 4, 8, 8]}}\ntargets: {a: {runtime: litert}}\n",
                             model: fixtures + "reshape_runtime.onnx", []) == [])
    }

    @Test func freeInputDimensionsAreFollowedToTheValuesTheyReach() throws {
        let model = try Repo.model(fixtures + "convtranspose_sizes.onnx")
        let a = GraphAnalysis.analyze(model: model)
        #expect(a.freeInputAxes == ["x": [0, 2, 3]])
        #expect(a.freeAxes(of: "u", model: model) == [0, 2, 3])
        #expect(a.freeAxes(of: "c", model: model) == [])
        #expect(a.freeAxes(of: "no such value", model: model) == nil)
        // The manifest's sizes fix them: only the batch stays free, and nothing is when it is fixed too.
        let sized = GraphAnalysis.analyze(model: model, inputs: ["x": [nil, 8, 16, 16]])
        #expect(sized.freeInputAxes == ["x": [0]])
        #expect(sized.freeAxes(of: "y", model: model) == [0])
        let fixed = GraphAnalysis.analyze(model: model, inputs: ["x": [1, 8, 16, 16]])
        #expect(fixed.freeInputAxes.isEmpty && fixed.freeAxes(of: "y", model: model) == [])
    }

    @Test func onnx2tfConvertsNoTileThatAnOddNumberOfFreeDimensionsReach() {
        // Measured (onnx2tf 1.29.24, free_batch_measured.json): Tile.py's trial products agree only when an even
        // number of the output's dimensions are free and 1 at its sample sizes ('tile.even': n and t).
        #expect(targetIssues("targets: {a: {runtime: ⟦⟦litert@2.16⟧⟧}}\n", model: fixtures + "tile_free.onnx", [
            Expected(.operatorUnsupported, "Tile 'tile.free' (onnx2tf cannot convert it: free input dimensions reach its output (dimensions 0, 2, 3), and onnx2tf's Tile.py then finds no order of its multiples whose trial output agrees with the ONNX output's shape, and raises; give the inputs' whole shapes under model.inputs)"),
            Expected(.convertedAtSampledSizes, "x[2] 'h', x[3] 'w', s[2] 't' are free")
        ]) == [])
        #expect(targetIssues("model: {inputs: {x: [1, 4, 8, 8]}}\ntargets: {a: {runtime: ⟦litert@2.16⟧}}\n",
                             model: fixtures + "tile_free.onnx", [
            Expected(.convertedAtSampledSizes, "s[2] 't' is free, and onnx2tf builds and checks its file with it at 1")
        ]) == [])
    }

    @Test func aClipBoundComputedAtRunTimeIsDroppedByOnnx2tfAndSaidSo() throws {
        // Measured (onnx2tf 1.29.24, TensorFlow 2.19): clip_bounds.onnx converts to MINIMUM, MAXIMUM, MAXIMUM, MINIMUM
        // and nothing else (the run-time bounds and what computed them are gone); clip_open_bound.onnx fails.
        #expect(targetIssues("targets: {a: {runtime: ⟦litert@2.16⟧}}\n", model: fixtures + "clip_bounds.onnx", [
            Expected(.conversionDeviates, "2 nodes will compute otherwise once converted: Clip 'clip.top_db' (onnx2tf drops its lower bound 'floor', computed at run time: the artifact clamps from above only); Clip 'clip.ceiling' (onnx2tf drops its upper bound 'ceiling', computed at run time: the artifact clamps from below only)")
        ]) == [])
        let (report, _) = try liteRTLowering(fixtures + "clip_bounds.onnx")
        #expect(report.builtinCounts == ["MAXIMUM": 2, "MINIMUM": 2])
        #expect(report.operators.filter { $0.status == .folded }.map(\.name) == ["top", "floor", "bottom", "ceiling"])
        #expect(targetIssues("targets: {a: {runtime: ⟦litert@2.16⟧}}\n", model: fixtures + "clip_open_bound.onnx", [
            Expected(.operatorUnsupported, "Clip 'clip.open' (onnx2tf cannot convert it: its lower bound is computed at run time and it has no upper bound, for which Clip.py writes no TensorFlow operation)")
        ]) == [])
        // ONNX Runtime runs the Clip as it is: nothing to say.
        #expect(targetIssues("targets: {a: {runtime: onnxruntime@1.20}}\n", model: fixtures + "clip_bounds.onnx", []) == [])
    }

    @Test func anOperatorTheTableLacksTakesWhatOnnx2tfWroteForItsNodeTests() {
        // Measured (scripts/catalogue/derive_onnx_lowering.py): builtins, Select TF ops, or inconclusive.
        #expect(catalogue.lowering["Mod"] == .some(["FLOOR_MOD"]))
        #expect(catalogue.loweringNotes["Mod"] == "measured on ONNX's node test test_mod_broadcast")
        #expect(catalogue.lowering["Softsign"] == .some(nil))
        // onnx2tf failed on every Range node test: that says nothing of Range, which stays unknown (said, not judged).
        #expect(catalogue.lowering["Range"] == nil)
    }

    @Test func theLoweringFollowsTheAttributesOnnx2tfLowersBy() throws {
        func node(_ op: String, _ attributes: [String: AttributeValue]) -> Node {
            Node(name: "n", opType: op, domain: "", version: nil, builtinCode: nil, inputs: ["x"], outputs: ["y"], attributes: attributes)
        }
        let m = try Repo.model(kws)
        func lowered(_ n: Node) -> [String]?? { Coverage.lower(n, model: m, tensors: [:], analysis: nil, catalogue: catalogue) }
        #expect(lowered(node("Resize", ["mode": .string("cubic")])) == .some(nil))
        #expect(lowered(node("Resize", ["mode": .string("linear")])) == .some(["RESIZE_BILINEAR"]))
        #expect(lowered(node("Elu", ["alpha": .float(2)]))??.count == 10)
        #expect(lowered(node("Elu", [:])) == .some(["ELU"]))
        #expect(lowered(node("DepthToSpace", ["mode": .string("CRD")])) == .some(["RESHAPE", "TRANSPOSE", "RESHAPE"]))
        #expect(lowered(node("ArgMax", [:])) == .some(["ARG_MAX", "RESHAPE"]))
        #expect(lowered(node("ArgMin", ["keepdims": .int(0)])) == .some(["ARG_MIN"]))
        #expect(lowered(node("TopK", ["largest": .int(0)])) == .some(["NEG", "TOPK_V2", "CAST", "NEG"]))
        #expect(lowered(node("TopK", [:])) == .some(["TOPK_V2", "CAST"]))
    }

    @Test func aBatchNormalizationOfAConvolutionFoldsIntoIt() throws {
        // Its statistics constants: TensorFlow's converter folds it into the convolution's weights (on its own it
        // is a MUL and an ADD, as onnx2tf writes test_batchnorm_epsilon).
        let (_, builtins) = try liteRTLowering("Tests/Fixtures/estimate/paddle_style.onnx")
        #expect(builtins("BatchNormalization@0", "BatchNormalization@2") == [[], []])
        #expect(catalogue.lowering["BatchNormalization"] == .some(["MUL", "ADD"]))
    }

    @Test func anExpandThatChangesNoShapeIsGoneBeforeConversion() {
        // onnxsim removes it (the artifact has CONV_2D ×2, PAD, MEAN, FULLY_CONNECTED): nothing falls back.
        #expect(targetIssues("targets: {a: {runtime: litert@2.16, delegate: gpu}}\n", model: fixtures + "expand_mid.onnx", []) == [])
    }
}

/// A fixture's coverage on LiteRT (CPU) and the builtins named nodes lower to, in the order asked.
func liteRTLowering(_ path: String) throws -> (CoverageReport, (String...) -> [[String]?]) {
    let m = try Repo.model(path)
    let rt = try #require(catalogue.runtime("litert"))
    let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue,
                           analysis: GraphAnalysis.analyze(model: m))
    let byName = Dictionary(uniqueKeysWithValues: r.operators.map { ($0.name, $0.builtins) })
    return (r, { names in names.map { byName[$0] } })
}

@Suite struct QuantizationSpec {
    @Test func theEdgeTPUNeedsAFullyInt8Model() {
        #expect(targetIssues("targets: {c: {runtime: litert@2.16, delegate: ⟦edgetpu⟧}}\n", model: kws, [
            Expected(.quantizationUnsupported, "only fully int8 models, but weights are none and activations none")
        ]) == [])
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: data/}}
            targets: {c: {runtime: litert@2.16, delegate: edgetpu}}

            """, model: kws, []) == [])
    }

    @Test func aFullIntegerTFLiteModelNeedsNoQuantizeStepButStaticShapes() {
        #expect(targetIssues("targets: {c: {runtime: litert@2.16, delegate: ⟦edgetpu⟧}}\n", model: "Tests/Fixtures/models/small_cnn_int8.tflite", [
            Expected(.dynamicShapes, "the Edge TPU needs static shapes, but serving_default_image:0[0] is dynamic")
        ]) == [])
        #expect(targetIssues("""
            model: {inputs: {"serving_default_image:0": [1, 8, 8, 3]}}
            targets: {c: {runtime: litert@2.16, delegate: edgetpu}}

            """, model: "Tests/Fixtures/models/small_cnn_int8.tflite", []) == [])
    }

    @Test func coreMLCompressionNeedsItsOS() throws {
        let failing = "optimize: {quantize: {weights: int4, granularity: \"per-block:32\"}}\ntargets: {i: {runtime: coreml, minimum_os: ⟦ios17⟧}}\n"
        #expect(targetIssues(failing, model: kws, [
            Expected(.minimumOSTooOld, "Core ML supports int4 weights from ios18, but minimum_os is ios17")
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {i: {runtime: coreml, minimum_os: ios16}}\n", model: kws, []) == [])
        #expect(targetIssues("targets: {i: {runtime: coreml, format: mlpackage, minimum_os: ⟦ios14⟧}}\n", model: kws, [
            Expected(.minimumOSTooOld, "ML Program packages need ios15 or later")
        ]) == [])
        let m = try #require(ManifestFile(bytes: Array(MarkedText(failing).text.utf8)).documents.first?.manifest)
        let fix = TargetChecks.check(manifest: m, model: nil, catalogue: catalogue).first?.fixes.first
        #expect(fix?.title == "Raise minimum_os to ios18")
    }

    @Test func int8OnTheGPUInOnnxRuntimeNeedsSymmetricActivations() {
        let base = "targets: {g: {runtime: onnxruntime@1.20, delegate: tensorrt, device: nvidia-t4}}\n"
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: int8, symmetric: ⟦false⟧, calibration: c/}}\n" + base, model: kws, [
            Expected(.quantizationUnsupported, "int8 on the GPU needs symmetric (S8S8) quantization")
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: int8, symmetric: true, calibration: c/}}\n" + base, model: kws, []) == [])
    }

    @Test func reduceRangeOnAVX2WithoutVNNI() {
        #expect(targetIssues("optimize: {quantize: {weights: ⟦int8⟧, activations: dynamic}}\ntargets: {s: {runtime: onnxruntime@1.20, device: x86-64-avx2}}\n", model: kws, [
            Expected(.quantizationSlow, "U8S8 on x86-64-avx2 (AVX2 without VNNI) can saturate")
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: dynamic}}\ntargets: {s: {runtime: onnxruntime@1.20, device: x86-64-avx512-vnni}}\n", model: kws, []) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: dynamic, reduce_range: true}}\ntargets: {s: {runtime: onnxruntime@1.20, device: x86-64-avx2}}\n", model: kws, []) == [])
        // Weight-only int8 dequantizes before the float MatMul: no integer matmul runs, nothing saturates.
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {s: {runtime: onnxruntime@1.20, device: x86-64-avx2}}\n", model: kws, []) == [])
    }

    @Test func s8s8QOperatorIsSlowOnX86() {
        let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/, format: "
        #expect(targetIssues(q + "⟦qoperator⟧}}\ntargets: {s: {runtime: onnxruntime@1.20, device: x86-64-avx512-vnni}}\n", model: kws, [
            Expected(.quantizationSlow, "S8S8 in QOperator format is slow on x86-64")
        ]) == [])
        #expect(targetIssues(q + "qdq}}\ntargets: {s: {runtime: onnxruntime@1.20, device: x86-64-avx512-vnni}}\n", model: kws, []) == [])
    }

    @Test func staticActivationsNeedCalibrationData() {
        #expect(targetIssues("optimize: {quantize: {weights: int8, activations: ⟦int8⟧}}\ntargets: {m: {runtime: tflite-micro}}\n", model: kws, [
            Expected(.calibrationMissing, "int8 activations need calibration data")
        ]) == [])
    }

    @Test func quantizingAQuantizedModelIsFlagged() {
        #expect(targetIssues("optimize: {quantize: {weights: ⟦int8⟧}}\ntargets: {s: {runtime: onnxruntime@1.20}}\n",
                             model: "Tests/Fixtures/models/quantized_qdq.onnx", [
            Expected(.alreadyQuantized, "already quantized")
        ]) == [])
    }

    @Test func int4AndSparsityNeedAmpere() {
        let base = "targets: {g: {runtime: tensorrt@10.8, device: nvidia-t4}}\n"
        #expect(targetIssues("optimize: {quantize: {weights: ⟦int4⟧}, prune: {pattern: ⟦\"2:4\"⟧}}\n" + base, model: kws, [
            Expected(.quantizationUnsupported, "int4 needs an NVIDIA Ampere GPU or later; nvidia-t4 is Turing"),
            Expected(.quantizationUnsupported, "2:4 sparsity is accelerated only from Ampere"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int4}, prune: {pattern: \"2:4\"}}\ntargets: {g: {runtime: tensorrt@10.8, device: nvidia-a100}}\n",
                             model: kws, []) == [])
    }
}

@Suite struct TargetSpecSpec {
    @Test func devicesAndDelegatesMustBeKnown() {
        #expect(targetIssues("targets: {p: {runtime: litert, device: ⟦raspbery-pi-5⟧, delegate: ⟦cuda⟧}}\n", model: kws, [
            Expected(.unknownDevice, "did you mean 'raspberry-pi-5'?"),
            Expected(.delegateUnavailable, "LiteRT (TensorFlow Lite) has no 'cuda' delegate"),
        ]) == [])
        #expect(targetIssues("targets: {p: {runtime: litert, device: rpi5, delegate: xnnpack}}\n", model: kws, []) == [])
    }

    @Test func nnapiIsDeprecated() {
        #expect(targetIssues("targets: {a: {runtime: litert, delegate: ⟦nnapi⟧}}\n", model: kws, [
            Expected(.deprecatedDelegate, "deprecated from Android 15")
        ]) == [])
    }

    @Test func microcontrollersNeedStaticShapes() {
        let q = "optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\n"
        #expect(targetIssues(q + "targets: {m: {runtime: ⟦tflite-micro⟧}}\n", model: fixtures + "dynamic_batch.onnx", [
            Expected(.dynamicShapes, "x[0] 'batch' is dynamic")
        ]) == [])
    }

    @Test func targetsInheritingOneOptimizeAreToldOnce() {
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: ⟦int8⟧}}
            targets: {a: {runtime: litert}, b: {runtime: onnxruntime}}

            """, model: kws, [Expected(.calibrationMissing, "targets 'a', 'b': int8 activations need calibration data")]) == [])
    }
}

@Suite struct BudgetSpec {
    @Test func sizeMemoryAndLatencyAgainstTheBudget() {
        #expect(targetIssues("targets: {m: {runtime: ⟦tflite-micro⟧, device: stm32h7, budget: {size_mb: ⟦0.05⟧, memory_mb: ⟦0.05⟧, latency_ms: ⟦1⟧}}}\n", model: kws, [
            Expected(.quantizationUnsupported, "expects full-integer int8 models"),
            Expected(.sizeOverBudget, "over the 0.05 MB budget"),
            Expected(.memoryOverBudget, "over the 0.05 MB budget"),
            Expected(.latencyOverBudget, "on stm32h7 (float32 on the cpu) is over the 1.0 ms budget"),
        ]) == [])
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}
            targets: {m: {runtime: tflite-micro, device: stm32h7, budget: {size_mb: 0.05, memory_mb: 0.25, latency_ms: 10}}}

            """, model: kws, []) == [])
    }

    @Test func theCallerMaySupplyTheSizeAfterOptimization() throws {
        let m = try #require(ManifestFile(bytes: Array("targets: {m: {runtime: litert, budget: {size_mb: 1}}}\n".utf8)).documents.first?.manifest)
        let model = try Repo.model(kws)
        #expect(TargetChecks.check(manifest: m, model: model, catalogue: catalogue).isEmpty)
        let d = TargetChecks.check(manifest: m, model: model, catalogue: catalogue, sizeBytes: ["m": 3_000_000])
        #expect(d.map(\.code) == [.sizeOverBudget])
    }

    @Test func sizeEstimateQuantizesWeightMatricesAndKeepsSkippedTensors() throws {
        let model = try Repo.model("examples/mobile-cnn/models/mobilenet_tiny.onnx")
        func size(_ yaml: String) throws -> Int {
            let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
            return TargetEstimates.sizeBytes(model: model, target: try #require(m.targets.first))
        }
        let float = try size("targets: {a: {runtime: litert}}\n")
        let int8 = try size("optimize: {quantize: {weights: int8}}\ntargets: {a: {runtime: litert}}\n")
        let skipped = try size("optimize: {quantize: {weights: int8, skip: [\"classifier.*\"]}}\ntargets: {a: {runtime: litert}}\n")
        #expect(abs(float - model.fileSize) < 64)
        #expect(Double(int8) < Double(float) * 0.4)  // int8 weights, per-channel scales, float biases
        #expect(skipped - int8 > 640 * 3 - 64)  // the 10x64 classifier stays float32
    }
}

@Suite struct EstimateTableSpec {
    @Test func oneRowPerTargetWithBudgetsMetOrNot() throws {
        let text = Repo.text("examples/mobile-cnn/mobile-cnn.slipway.yaml") ?? ""
        let m = try #require(ManifestFile(bytes: Array(text.utf8)).documents.first?.manifest)
        let model = try Repo.model("examples/mobile-cnn/models/mobilenet_tiny.onnx")
        let table = TargetEstimates.table(manifest: m, model: model, catalogue: catalogue)
        let rows = try #require(table["targets"]?.arrayValue)
        #expect(rows.map { $0["target"]?.stringValue } == ["android", "ios"])
        #expect(rows[0]["device"] == "android-phone")
        #expect(rows[0]["precision"] == "float16")
        #expect(rows[0]["size_budget_met"] == true)
        #expect(rows[0]["latency_budget_met"] == true)
        #expect(rows[1]["memory_budget_met"] == .null)
        #expect(rows[0]["macs"]?.intValue == GraphAnalysis.analyze(model: model, inputs: ["image": [1, 3, 96, 96]]).totalMACs)
        let rendered = TargetEstimates.text(table)
        #expect(rendered.hasPrefix("target"))
        #expect(rendered.contains("size ok"))
    }
}
