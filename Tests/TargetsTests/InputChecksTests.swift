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

    /// A TorchScript archive keeps its inputs in its code, which is not read: the manifest's names are the ones the
    /// exporter traces with, not an error. An ExportedProgram lists its inputs, and is held to them.
    @Test func aModelThatListsNoInputsTakesTheManifests() throws {
        #expect(try Self.check("x: [1, 3, 8, 8]", model: "Tests/Fixtures/models/pytorch/torchscript.pt") == [])
        #expect(try Self.check("x: [1, 3, 8, 8]", model: "Tests/Fixtures/models/pytorch/exported.pt2") == [])
        let wrong = try Self.check("input: [1, 3, 8, 8]", model: "Tests/Fixtures/models/pytorch/exported.pt2")
        #expect(wrong.map(\.message) == ["the model has no input 'input'; its inputs: 'x'"])
    }
}

/// Microcontrollers keep weights in flash and activations in RAM: each is checked against its own capacity
/// and budget (a model whose weights fill the RAM but fit the flash is not "too large").
@Suite struct MicrocontrollerMemorySpec {
    static func diagnostics(_ budget: String, device: String = "stm32h7") throws -> [Diagnostic] {
        let yaml = "slipway: 1\nmodel: {path: m.onnx}\ntargets:\n  mcu: {runtime: tflite-micro, device: \(device), budget: {\(budget)}}\n"
        let manifest = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return TargetChecks.check(manifest: manifest, model: try Repo.model("examples/kws-mcu/models/ds_cnn_kws.onnx"), catalogue: catalogue)
            .filter { $0.code == .memoryOverBudget }
    }

    @Test func ramIsTheArenaAndFlashTheWeights() throws {
        let manifest = try #require(ManifestFile(bytes: Array("slipway: 1\nmodel: {path: m.onnx}\ntargets:\n  mcu: {runtime: tflite-micro, device: stm32h7}\n".utf8)).documents.first?.manifest)
        let model = try Repo.model("examples/kws-mcu/models/ds_cnn_kws.onnx")
        let table = TargetEstimates.table(manifest: manifest, model: model, catalogue: catalogue)
        let row = try #require(table["targets"]?[0])
        #expect(row["memory_kind"] == .string("ram"))
        #expect(row["memory_bytes"] == row["peak_activation_bytes"])
        let flash = try #require(row["flash_bytes"]?.intValue)
        #expect(flash > 0)
        #expect(flash + (row["peak_activation_bytes"]?.intValue ?? 0) > 0)
    }

    @Test func flashAndRamBudgetsAreJudgedApart() throws {
        // A tiny flash budget misses on the weights; a generous RAM budget holds for the arena alone.
        let flash = try Self.diagnostics("flash_mb: 0.001, memory_mb: 1")
        #expect(flash.count == 1)
        #expect(flash.first?.message.contains("flash budget") == true)
        #expect(try Self.diagnostics("flash_mb: 2, memory_mb: 1") == [])
    }

    @Test func aFlashBudgetOffAMicrocontrollerIsAWarning() throws {
        let ds = try Self.diagnostics("flash_mb: 2", device: "x86-64-avx2")
        #expect(ds.map(\.severity) == [.warning])
        #expect(ds.first?.message.contains("use memory_mb") == true)
    }
}
