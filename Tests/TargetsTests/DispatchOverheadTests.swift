import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// Latency has a fixed per-operator cost (Schemas/targets/devices.json `dispatch_overheads`), so a small model
/// does not read as free: serial CPU dispatch adds to every node's roofline time; asynchronous GPU launches
/// make a node cost at least the launch.
@Suite struct DispatchOverheadSpec {
    func rows(_ yaml: String, model: String) throws -> [JSONValue] {
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        let table = TargetEstimates.table(manifest: m, model: try Repo.model(model), catalogue: catalogue)
        return try #require(table["targets"]?.arrayValue)
    }

    @Test func everyFigureHasASourceAndMeasuredOnesSayHow() throws {
        #expect(!catalogue.dispatchOverheads.isEmpty)
        for d in catalogue.dispatchOverheads {
            #expect(catalogue.source(d.source) != nil)
            if d.source.id == "slipway-dispatch-bench" { #expect(d.measured?.contains("onnxruntime") == true || d.measured?.contains("litert") == true) }
        }
        #expect(catalogue.dispatchOverhead(runtime: "onnxruntime", processor: .cpu)?.runtime == "onnxruntime")
        #expect(catalogue.dispatchOverhead(runtime: "litert", processor: .gpu)?.runtime == nil)
    }

    @Test func eachOperatorAddsTheRuntimesCPUOverhead() throws {
        let yaml = """
            slipway: 1
            name: ops
            model: {path: m.tflite}
            targets:
              pi: {runtime: litert@2.16, device: raspberry-pi-5, format: tflite}
            """
        let row = try #require(try rows(yaml, model: "Tests/Fixtures/targets/tflite_ops.tflite").first)
        let nodes = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/targets/tflite_ops.tflite")).nodes.count
        let us = try #require(catalogue.dispatchOverhead(runtime: "litert", processor: .cpu)).microseconds
        let overhead = try #require(row["dispatch_overhead_ms"]?.doubleValue)
        #expect(abs(overhead - Double(nodes) * us / 1000) < 0.001)
        #expect(try #require(row["latency_ms"]?.doubleValue) >= overhead)
    }

    @Test func aGPUNodeCostsAtLeastItsLaunch() throws {
        let gpu = DispatchOverhead(runtime: nil, processor: .gpu, microseconds: 4, overlapsCompute: true, measured: nil,
                                   source: SourceRef(id: "x", section: ""))
        #expect(TargetEstimates.withOverhead(1e-6, gpu) == 4e-6)  // a 1 µs kernel waits for its 4 µs launch
        #expect(TargetEstimates.withOverhead(1e-3, gpu) == 1e-3)  // a 1 ms kernel hides it
        let cpu = DispatchOverhead(runtime: nil, processor: .cpu, microseconds: 4, overlapsCompute: false, measured: nil,
                                   source: SourceRef(id: "x", section: ""))
        #expect(TargetEstimates.withOverhead(1e-3, cpu) == 1e-3 + 4e-6)
        #expect(TargetEstimates.withOverhead(1e-3, nil) == 1e-3)
    }
}
