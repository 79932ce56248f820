import JSON
import Manifest
import Testing

@testable import Evaluation

/// What `slipway test` feeds the models besides the sample files, and which runtime runs the original.
@Suite struct TestFeedsSpec {
    static func manifest(_ model: String) throws -> Manifest {
        let yaml = "slipway: 1\nmodel:\n  path: m.pt\n  inputs:\n\(model)\ntargets: {server: {runtime: onnxruntime, format: onnx}}\ntest: {samples: s}\n"
        return try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
    }

    @Test func theFeedsNameTheShapesAndTheScalarValuesAndChangeWithThem() throws {
        let at16k = TestRecord.feeds(try Self.manifest("    x: [1, 1, 64]\n    sr: 16000"))
        let at8k = TestRecord.feeds(try Self.manifest("    x: [1, 1, 64]\n    sr: 8000"))
        #expect(at16k.contains("\"values\":{\"sr\":16000}"))
        #expect(at16k != at8k)
        #expect(at16k == TestRecord.feeds(try Self.manifest("    x: [1, 1, 64]\n    sr: 16000")))
        // A record keeps them through JSON; one written before them reads as fed nothing.
        var r = TestRecord(status: "passed", metrics: [:], runtime: "1.23.2", artifactSHA: "a", modelSHA: "m", samplesSHA: "s")
        r.feeds = at16k
        #expect(TestRecord.parse(try JSONValue.parse(bytes: Array(r.json.serialized().utf8)))?.feeds == at16k)
        #expect(TestRecord.parse(["slipway_test_record": 1, "status": "passed", "artifact_sha256": "a", "model_sha256": "m", "samples_sha256": "s"])?.feeds == "")
    }

    @Test func aPyTorchOriginalRunsInTorch() {
        #expect(TestRuntime.forModel(path: "models/vad.pt") == .torch)
        #expect(TestRuntime.forModel(path: "models/cnn.pt2") == .torch)
        #expect(TestRuntime.torch.runnerName == "torch")
        guard case .notRunHere(let why) = TestRuntime.forModel(path: "models/m.mlpackage") else {
            Issue.record("an mlpackage original has no runtime here")
            return
        }
        #expect(why.contains("not ONNX, TFLite, Keras or PyTorch"))
    }
}
