import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// TFLite graphs get the same shapes, MACs and peak memory as ONNX ones. The reference is
/// scripts/tflite_reference.py (shapes from the LiteRT interpreter after resizing its inputs, counts in numpy),
/// recorded in Tests/Fixtures/targets/tflite_reference.json and re-checked against the live interpreter by
/// Tests/integration/test_targets.py.
@Suite struct TFLiteAnalysisSpec {
    static let reference: JSONValue = (try? JSONValue.parse(Repo.text("Tests/Fixtures/targets/tflite_reference.json") ?? "")) ?? .null
    static var cases: [String] { (reference["cases"]?.objectValue?.entries ?? []).map(\.0) }

    @Test(arguments: cases)
    func countsAgreeWithTheInterpreterReference(name: String) throws {
        let c = try #require(Self.reference["cases"]?[name])
        var inputs: [String: [Int?]] = [:]
        for (k, v) in c["inputs"]?.objectValue?.entries ?? [] { inputs[k] = v.arrayValue?.map { $0.intValue } }
        let a = GraphAnalysis.analyze(model: try Repo.model(try #require(c["model"]?.stringValue)), inputs: inputs)
        #expect(a.unresolved.isEmpty, "unresolved: \(a.unresolved)")
        #expect(a.totalMACs == c["macs"]?.intValue)
        #expect(a.parameterElements == c["parameter_elements"]?.intValue)
        #expect(a.peakActivationElements == c["peak_activation_elements"]?.intValue)
    }

    @Test func dynamicBatchComesFromTheManifestThroughComputedReshapes() throws {
        let m = try Repo.model("Tests/Fixtures/targets/tflite_ops.tflite")
        let open = GraphAnalysis.analyze(model: m)
        #expect(open.assumedDimensions == ["serving_default_image:0[0]"])
        // The signature key names the input as the manifest does; the batch reaches the Dense layers through
        // SHAPE → STRIDED_SLICE → PACK → RESHAPE, whose stored placeholder is [1, 1].
        let four = GraphAnalysis.analyze(model: m, inputs: ["image": [4, 16, 16, 3]])
        #expect(four.assumedDimensions.isEmpty)
        let fc = try #require(four.nodes.first { $0.opType == "FULLY_CONNECTED" })
        #expect(fc.outputShapes == [[4 * 64, 8]])
        #expect(four.totalMACs == 4 * open.totalMACs)
    }

    @Test func convolutionAndPoolingShapesFollowTheirOptions() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/targets/tflite_ops.tflite"))
        let shape = { (op: String) in a.nodes.first { $0.opType == op }?.outputShapes.first ?? nil }
        #expect(shape("CONV_2D") == [1, 8, 8, 8])  // 16x16, 3x3 SAME, stride 2
        #expect(shape("AVERAGE_POOL_2D") == [1, 4, 4, 8])
        #expect(shape("TRANSPOSE_CONV") == [1, 8, 8, 4])
        #expect(shape("BATCH_MATMUL") == [1, 64, 64])
        // 8x8x8 outputs, a 3x3x3 kernel, a bias and a fused RELU6 (a clip: 2 per element).
        let conv = try #require(a.nodes.first { $0.opType == "CONV_2D" })
        #expect(conv.macs == 512 * 27 + 512 + 2 * 512)
    }

    @Test func float16WeightsAreExpandedOnceNotPerRun() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/small_cnn_float16.tflite"))
        let dequantize = a.nodes.filter { $0.opType == "DEQUANTIZE" }
        #expect(!dequantize.isEmpty)
        #expect(dequantize.allSatisfy { $0.macs == 0 && $0.outputElements == 0 })
    }
}

/// A manifest whose model is a .tflite gets the same per-target row and budget checks as an ONNX one.
@Suite struct TFLiteBudgetSpec {
    static let model = "Tests/Fixtures/targets/tflite_ops.tflite"

    @Test func theRowHasMACsPeakMemoryAndLatencyAtTheManifestsBatch() throws {
        let m = try #require(ManifestFile(bytes: Array("""
            model: {path: ops.tflite, inputs: {image: [4, 16, 16, 3]}}
            targets: {pi: {runtime: litert@2.16, device: raspberry-pi-5, delegate: xnnpack, budget: {memory_mb: 1}}}
            """.utf8)).documents.first?.manifest)
        let model = try Repo.model(Self.model)
        let row = try #require(TargetEstimates.table(manifest: m, model: model, catalogue: catalogue)["targets"]?.arrayValue?.first)
        let a = GraphAnalysis.analyze(model: model, inputs: ["image": [4, 16, 16, 3]])
        #expect(row["macs"]?.intValue == a.totalMACs)
        #expect(row["peak_activation_bytes"]?.intValue == 4 * a.peakActivationElements)
        #expect((row["latency_ms"]?.doubleValue ?? 0) > 0)
        #expect(row["memory_budget_met"] == true)
    }

    @Test func budgetsAreCheckedOnTFLiteModels() throws {
        let m = try #require(ManifestFile(bytes: Array("""
            model: {path: ops.tflite, inputs: {image: [64, 16, 16, 3]}}
            targets: {pi: {runtime: litert@2.16, device: raspberry-pi-5, budget: {memory_mb: 0.5, latency_ms: 0.0001}}}
            """.utf8)).documents.first?.manifest)
        let codes = TargetChecks.check(manifest: m, model: try Repo.model(Self.model), catalogue: catalogue).map(\.code)
        #expect(codes.contains(.memoryOverBudget))
        #expect(codes.contains(.latencyOverBudget))
    }
}
