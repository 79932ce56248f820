import Foundation
import JSON
import Testing
import TestSupport

@testable import LanguageServer

/// SW6007 in an editor: a failed test recorded with `--layers` beside the artifact becomes a diagnostic on the
/// target's quantize weights whose quick fix is the engine's edit (adding the layer's weights to quantize.skip).
@Suite struct WorstLayerActionSpec {
    /// A project on disk: the record is found beside the artifact and its digests checked against the files.
    static func project() throws -> String {
        let folder = NSTemporaryDirectory() + "slipway-worst-layer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder + "/dist", withIntermediateDirectories: true)
        try Data("model\n".utf8).write(to: URL(fileURLWithPath: folder + "/m.onnx"))
        try Data("artifact\n".utf8).write(to: URL(fileURLWithPath: folder + "/dist/server.onnx"))
        // As `slipway test --layers` records a failed result (sha256 of the two files above).
        let record = """
            {"slipway_test_record": 1, "status": "failed", "runtime": "1.23.2", "metrics": {"sqnr_db": 9.4},
             "checks": [{"key": "sqnr_db", "limit": 30, "measured": 9.4, "passed": false}],
             "artifact_sha256": "5b3513f580c8397212ff2c8f459c199efc0c90e4354a5f3533adf0a3fff3a530",
             "model_sha256": "98ad61a25e3683b6adf2474b01bbe1c27de6aad2ce3a80ff4140fe473c14e691", "samples_sha256": "s",
             "worst_layers": [
               {"value": "c0", "node": "conv0", "op": "Conv", "sqnr_db": 10, "input_sqnr_db": null, "weights": ["conv0.weight"]},
               {"value": "fc", "node": "fc", "op": "Gemm", "sqnr_db": 9.4, "input_sqnr_db": 9.5, "weights": ["fc.weight"]}]}
            """
        try Data(record.utf8).write(to: URL(fileURLWithPath: folder + "/dist/server.onnx.test.json"))
        return folder
    }

    @Test func theQuickFixAddsTheLayersWeightsToTheTargetsSkipList() async throws {
        let folder = try Self.project()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let c = try await TestClient.initialized()
        let f = await c.open("""
            slipway: 1
            model: {path: m.onnx}
            targets:
              server:
                runtime: onnxruntime
                output: dist/server.onnx
                optimize:
                  quantize: {weights: ⟦int8⟧, skip: [head.weight]}
            """, uri: "file://\(folder)/w.slipway.yaml")
        let diagnostics = try await c.diagnostics(f.uri)
        let sw6007 = diagnostics.first { $0["code"] == "SW6007" }
        #expect(sw6007?["range"] == f.range(0))
        #expect(sw6007?["severity"] == 3)
        #expect(sw6007?["message"]?.stringValue?.hasPrefix("target server: in the last `slipway test` the quantized layer that lost the most is conv0 (Conv): 10 dB of its own") == true)
        let actions = try await c.request("textDocument/codeAction", [
            "textDocument": f.textDocument, "range": f.range(0), "context": ["diagnostics": [], "only": ["quickfix"]],
        ]).arrayValue ?? []
        let fix = actions.first { $0["title"] == "Keep conv0 in float (add 'conv0.weight' to this target's quantize.skip)" }
        #expect(fix?["kind"] == "quickfix")
        #expect(fix?["diagnostics"]?[0]?["code"] == "SW6007")
        // Line 7, after `head.weight` (column 50): the flow list grows in its own style.
        #expect(fix?["edit"]?["changes"]?[f.uri] == [[
            "range": ["start": ["line": 7, "character": 50], "end": ["line": 7, "character": 50]],
            "newText": ", \"conv0.weight\"",
        ]])
        let lenses = try await c.request("textDocument/codeLens", ["textDocument": f.textDocument]).arrayValue ?? []
        let titles = lenses.compactMap { $0["command"]?["title"]?.stringValue }
        #expect(titles.contains("test: failed · SQNR 9.4 dB · worst layer conv0 10 dB"))
    }
}
