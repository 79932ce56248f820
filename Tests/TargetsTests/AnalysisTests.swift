import JSON
import ModelFormats
import Testing

@testable import Targets

/// Shape inference and MACs: totals agree with onnx-tool (recorded by scripts/make_target_fixtures.py in
/// Tests/Fixtures/targets/onnx_tool_macs.json, re-checked against the live tool by an integration test).
@Suite struct AnalysisSpec {
    static let reference: JSONValue = (try? JSONValue.parse(Repo.text("Tests/Fixtures/targets/onnx_tool_macs.json") ?? "")) ?? .null
    static let models: [String: String] = [
        "mobilenet_tiny.onnx": "examples/mobile-cnn/models/mobilenet_tiny.onnx",
        "encoder.onnx": "examples/transformer-server/models/encoder.onnx",
        "ds_cnn_kws.onnx": "examples/kws-mcu/models/ds_cnn_kws.onnx",
        "opset21.onnx": "Tests/Fixtures/targets/opset21.onnx",
        "erf_gelu.onnx": "Tests/Fixtures/targets/erf_gelu.onnx",
        "dynamic_batch.onnx": "Tests/Fixtures/targets/dynamic_batch.onnx",
        "batch2_conv.onnx": "Tests/Fixtures/targets/batch2_conv.onnx",
        "tile_mid.onnx": "Tests/Fixtures/targets/tile_mid.onnx",
        "slice_int64_max.onnx": "Tests/Fixtures/targets/slice_int64_max.onnx",
    ]

    @Test(arguments: models.keys.sorted())
    func macsAgreeWithOnnxToolWithinFivePercent(name: String) throws {
        let expected = try #require(Self.reference["macs"]?[name]?.intValue)
        var inputs: [String: [Int?]] = [:]
        for (k, v) in Self.reference["inputs"]?[name]?.objectValue?.entries ?? [] {
            inputs[k] = v.arrayValue?.map { $0.intValue }
        }
        let model = try Repo.model(try #require(Self.models[name]))
        let a = GraphAnalysis.analyze(model: model, inputs: inputs)
        #expect(a.unresolved.isEmpty, "unresolved: \(a.unresolved)")
        let ratio = Double(a.totalMACs) / Double(max(expected, 1))
        #expect(abs(ratio - 1) <= 0.05, "\(name): slipway \(a.totalMACs), onnx-tool \(expected)")
    }

    @Test func convolutionShapesFollowStridesAndPadding() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("examples/kws-mcu/models/ds_cnn_kws.onnx"))
        // 49x10 MFCC, 10x4 kernel, stride 2, pads 5 and 2 on each side: (49+10-10)/2+1 = 25, (10+4-4)/2+1 = 6.
        #expect(a.shapes["conv0_out"] == [1, 64, 25, 6])
        #expect(a.shapes["scores"] == [1, 12])
        #expect(a.assumedDimensions.isEmpty)
    }

    @Test func dynamicDimensionsComeFromTheManifestOrAreTakenAsOne() throws {
        let m = try Repo.model("examples/transformer-server/models/encoder.onnx")
        let fixed = GraphAnalysis.analyze(model: m, inputs: ["input_ids": [nil, 128]])
        #expect(fixed.shapes["hidden_states"] == [1, 128, 64])
        #expect(fixed.assumedDimensions == ["input_ids[0] (batch)"])
        let open = GraphAnalysis.analyze(model: m)
        #expect(open.shapes["hidden_states"] == [1, 1, 64])
    }

    @Test func peakActivationsAreTheLargestLiveSet() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/targets/dynamic_batch.onnx"), inputs: ["x": [1, 3, 16, 16]])
        // conv1's output (8x16x16) and relu1's output live together: 2 x 2048 elements.
        #expect(a.peakActivationElements == 2 * 8 * 16 * 16)
        #expect(a.parameterElements == 8 * 3 * 9 + 8 + 16 * 8 * 9 + 16 + 160)
    }

    @Test func skipPatternsAreShellGlobs() {
        #expect(Glob.matches("classifier.*", "classifier.weight"))
        #expect(!Glob.matches("classifier.*", "stem.weight"))
        #expect(Glob.matches("*.dw.?eight", "block0.dw.weight"))
    }
}
