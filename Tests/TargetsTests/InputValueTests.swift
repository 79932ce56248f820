import Diagnostics
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// A scalar input's value under `model.inputs` (`sr: 16000`): the TorchScript evaluator binds it to `forward`'s
/// `int` parameter, the ONNX shape arithmetic takes it as the input's value (an If on it takes its branch), and
/// an input that is not a scalar refuses it.
@Suite struct InputValueAnalysisSpec {
    static let rate = "Tests/Fixtures/models/pytorch/scripted_rate.pt"

    /// scripted_rate.pt: `forward(x, sr: int)` runs Conv1d(1→8, k5) when sr == 16000, else Conv1d(1→4, k3); then relu.
    @Test func aTorchScriptIntParameterTakesTheValueAndItsBranchIsCosted() throws {
        let model = try Repo.model(Self.rate)
        let wide = GraphAnalysis.analyze(model: model, inputs: ["x": [1, 1, 16]], values: ["sr": 16000])
        #expect(wide.coverage.isComplete)
        // 8 channels × 12 outputs × 5 taps, + a bias per output; relu per output.
        #expect(wide.totalMACs == 8 * 12 * 5 + 96 + 96)
        let narrow = GraphAnalysis.analyze(model: model, inputs: ["x": [1, 1, 16]], values: ["sr": 8000])
        #expect(narrow.coverage.isComplete)
        #expect(narrow.totalMACs == 4 * 14 * 3 + 56 + 56)
        // Without the value both branches are named as left out, not guessed.
        let open = GraphAnalysis.analyze(model: model, inputs: ["x": [1, 1, 16]])
        #expect(!open.coverage.isComplete)
        #expect(open.coverage.unresolvedOps["conv1d (in an if on a value not known before the run)"] == 2)
    }

    @Test func aFloatOrBoolParameterTakesAnIntegerWhenTrivial() {
        #expect(Model.torchScriptArgument(16000, type: "int") == .int)
        #expect(Model.torchScriptArgument(2, type: "float") == .float)
        #expect(Model.torchScriptArgument(1, type: "bool") == .bool)
        #expect(Model.torchScriptArgument(2, type: "bool") == nil)
        #expect(Model.torchScriptArgument(1, type: "Tensor") == nil)
        #expect(Model.torchScriptArgument(1, type: "List[int]") == nil)
    }

    /// shape_if.onnx: `If 'runtime.flag'` on the bool input `flag` (then: 521 MACs in all, else: 873).
    @Test func anONNXScalarInputSeedsTheShapeArithmeticSoItsIfTakesOneBranch() throws {
        let model = try Repo.model("Tests/Fixtures/targets/shape_if.onnx")
        let then = GraphAnalysis.analyze(model: model, values: ["flag": 1])
        #expect(then.totalMACs == 521)
        #expect(then.coverage.branchesTaken == ["If 'check.width': then branch", "If 'runtime.flag': then branch"])
        let other = GraphAnalysis.analyze(model: model, values: ["flag": 0])
        #expect(other.totalMACs == 873)
        #expect(other.coverage.branchesTaken.last == "If 'runtime.flag': else branch")
        // Unknown: the larger branch, and the coverage does not claim a branch was taken.
        let open = GraphAnalysis.analyze(model: model)
        #expect(open.totalMACs == 873)
        #expect(open.coverage.branchesTaken == ["If 'check.width': then branch"])
        #expect(open.coverage.json["branches_taken"]?.arrayValue?.count == 1)
    }
}

/// `model.inputs` values are held to the model's inputs as shapes are.
@Suite struct InputValueChecksSpec {
    static func check(_ inputs: String, model path: String) throws -> [Diagnostic] {
        let yaml = "slipway: 1\nmodel: {path: m, inputs: {\(inputs)}}\ntargets: {a: {runtime: onnxruntime}}\n"
        let manifest = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return InputChecks.check(manifest: manifest, model: try Repo.model(path))
    }

    @Test func aValueForATensorOfManyElementsIsAnErrorNamingItsShape() throws {
        let ds = try Self.check("mfcc: 16000", model: "examples/kws-mcu/models/ds_cnn_kws.onnx")
        #expect(ds.map(\.code) == [.modelInputValue])
        #expect(ds.first?.severity == .error)
        #expect(ds.first?.message == "input 'mfcc' is a tensor of shape [1, 1, 49, 10] (490 elements) in the model; the manifest gives it the value 16000, which only a scalar input takes: give its shape as a list")
    }

    @Test func aValueForAnUnknownNameKeepsTheDidYouMean() throws {
        let ds = try Self.check("flg: 1", model: "Tests/Fixtures/targets/shape_if.onnx")
        #expect(ds.map(\.code) == [.modelInputUnknown])
        #expect(ds.first?.message.hasPrefix("the model has no input 'flg'; did you mean 'flag'?") == true)
        #expect(ds.first?.fixes.first?.edits.first?.newText == "flag")
    }

    @Test func aValueForAnONNXScalarIntegerIsTaken() throws {
        #expect(try Self.check("flag: 1", model: "Tests/Fixtures/targets/shape_if.onnx") == [])
    }

    @Test func torchScriptValuesBindScalarParametersOnly() throws {
        #expect(try Self.check("x: [1, 1, 16], sr: 16000", model: InputValueAnalysisSpec.rate) == [])
        let tensor = try Self.check("x: 16000", model: InputValueAnalysisSpec.rate)
        #expect(tensor.map(\.code) == [.modelInputValue])
        #expect(tensor.first?.message == "input 'x' is a Tensor parameter of the TorchScript forward; the manifest gives it the value 16000, which only an int, float or bool parameter takes: give its shape as a list")
        let typo = try Self.check("rs: 16000", model: InputValueAnalysisSpec.rate)
        #expect(typo.map(\.code) == [.modelInputUnknown])
        #expect(typo.first?.message == "the model has no input 'rs'; did you mean 'sr'?; its inputs: 'x', 'sr'")
    }

    @Test func aValueNoAnalysisTakesIsSaidNotIgnored() throws {
        let ds = try Self.check("sr: 16000", model: "Tests/Fixtures/models/pytorch/state_dict.pt")
        #expect(ds.map(\.code) == [.modelInputValue])
        #expect(ds.first?.severity == .information)
        #expect(ds.first?.message == "the value 16000 of input 'sr' is not used by the analysis: the model lists no inputs")
    }
}
