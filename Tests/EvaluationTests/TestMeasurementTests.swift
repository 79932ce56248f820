import JSON
import Testing

@testable import Evaluation

/// A record's measurement is read back as it was written, so a reused run reports and judges the same figures.
@Suite("A recorded measurement")
struct TestMeasurementSpec {
    static let measured = TestMeasurement(
        outputs: [
            OutputMetrics(name: "logits", perSample: 10, samples: 2, cosineMin: 0.998, cosineMean: 0.999, maxAbs: 0.03, meanAbs: 0.004,
                          sqnrDB: 31.5, top1: 1, top5: 1, sampleMaxAbs: [0.03, 0.01], sampleCosine: [0.998, 1]),
            // Identical outputs: no noise, an infinite SQNR, which JSON cannot hold (written null, read back infinite).
            OutputMetrics(name: "exact", perSample: 1, samples: 2, cosineMin: 1, cosineMean: 1, maxAbs: 0, meanAbs: 0,
                          sqnrDB: .infinity, top1: nil, top5: nil, sampleMaxAbs: [0, 0], sampleCosine: [1, 1]),
        ],
        latencyMS: [1.25, 1.5], originalLatencyMS: [2, 2.5], peakRSSKB: 91_000, runtimeVersion: "1.23.0",
        originalRuntimeVersion: "1.23.0", delegate: "cuda", ranOn: "CPUExecutionProvider",
        placementNote: "CUDAExecutionProvider is not in this onnxruntime", integerMatmul: .exact, samplesSHA256: "ab12",
        layers: [LayerSQNR(value: "h", node: "conv0", op: "Conv", sqnrDB: 12.5, exact: false, inputSQNRDB: nil, weights: ["w0"]),
                 LayerSQNR(value: "If_0/then_branch/c", node: "conv1", op: "Conv", sqnrDB: 20.25, exact: false, inputSQNRDB: 12.5,
                           weights: ["then.w1"])],
        layersCoverage: LayerCoverage(measured: 2, leftOut: 3, reasons: [
            .init(reason: "no sample ran the branch that computes it", values: 3, examples: ["If_0/else_branch/c", "If_0/else_branch/r"]),
        ]))

    @Test func roundTrips() throws {
        let text = Self.measured.json.serialized()
        let back = try #require(TestMeasurement.parse(try JSONValue.parse(text)))
        #expect(back == Self.measured)
        #expect(back.outputs[1].sqnrDB == .infinity)
    }

    @Test("a record without one, or one missing a runtime version, is not reused")
    func incompleteIsNotReused() throws {
        #expect(TestMeasurement.parse(nil) == nil)
        #expect(TestMeasurement.parse(.null) == nil)
        var o = try #require(Self.measured.json.objectValue)
        o["original_runtime_version"] = nil
        #expect(TestMeasurement.parse(.object(o)) == nil)
    }

    @Test("restoring marks the target reused and keeps layers only when asked for")
    func restore() {
        var t = TargetTestResult(name: "t", status: .skipped)
        t.restore(Self.measured, layersAsked: false)
        #expect(t.reused && t.outputs == Self.measured.outputs && t.runtimeVersion == "1.23.0" && t.layers.isEmpty)
        #expect(t.latencyMS == [1.25, 1.5] && t.ranOn == "CPUExecutionProvider" && t.integerMatmul == .exact)
        #expect(t.layersCoverage == nil)
        t.restore(Self.measured, layersAsked: true)
        #expect(t.layers.map(\.node) == ["conv0", "conv1"])
        #expect(t.layersCoverage == Self.measured.layersCoverage)
    }

    @Test("a record measured before subgraph values were has layers but no coverage: --layers measures again")
    func layersWithoutCoverage() throws {
        var o = try #require(Self.measured.json.objectValue)
        o["layers_coverage"] = nil
        let back = try #require(TestMeasurement.parse(.object(o)))
        #expect(back.layers?.count == 2 && back.layersCoverage == nil)
    }
}
