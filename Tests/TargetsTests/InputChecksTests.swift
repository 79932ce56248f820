import Diagnostics
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// `model.inputs` names and shapes are held to the model's own inputs.
@Suite struct InputChecksSpec {
    static func check(_ inputs: String, model path: String = "examples/kws-mcu/models/ds_cnn_kws.onnx") throws -> [Diagnostic] {
        let yaml = "slipway: 1\nmodel: {path: m.onnx, inputs: {\(inputs)}}\ntargets: {a: {runtime: onnxruntime}}\n"
        let manifest = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return InputChecks.check(manifest: manifest, model: try Repo.model(path))
    }

    @Test func aMisspeltNameIsAnErrorWithTheClosestAsAFix() throws {
        let ds = try Self.check("mfc: [1, 1, 49, 10]")
        #expect(ds.map(\.code) == [.modelInputUnknown])
        #expect(ds.first?.message == "the model has no input 'mfc'; did you mean 'mfcc'?; its inputs: 'mfcc'")
        #expect(ds.first?.fixes.first?.edits.first?.newText == "mfcc")
    }

    @Test func rankAndFixedDimensionsAreChecked() throws {
        let rank = try Self.check("mfcc: [1, 49, 10]")
        #expect(rank.map(\.code) == [.modelInputShape])
        #expect(rank.first?.message.contains("rank 4") == true)
        let fixed = try Self.check("mfcc: [1, 1, 50, 10]")
        #expect(fixed.map(\.message) == ["input 'mfcc': dimension 2 is fixed at 49 in the model ([1, 1, 49, 10]); the manifest gives 50"])
        #expect(fixed.first?.fixes.first?.edits.first?.newText == "49")
        #expect(try Self.check("mfcc: [1, 1, 49, 10]") == [])
    }

    @Test func symbolicModelDimensionsTakeAnyValue() throws {
        #expect(try Self.check("x: [8, 3, 16, 16]", model: "Tests/Fixtures/targets/dynamic_batch.onnx") == [])
    }
}
