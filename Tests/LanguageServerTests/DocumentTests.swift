import Checking
import Diagnostics
import JSON
import Testing
import TestSupport

@testable import LanguageServer

/// Documents and diagnostics: exact ranges in the negotiated encoding, incremental edits applied in order,
/// stale results dropped, bursts coalesced, and nothing for YAML that is not a manifest.
@Suite struct DocumentSpec {
    static let wide = "slipway: 1\ndescription: \"名前 🚀 e\u{301}\"\nmodel: {path: models/kws.onnx, 名🚀: ⟦x⟧}\ntargets: {a: {runtime: litert}}\n"

    @Test func diagnosticsCarryVersionCodeAndUTF16Ranges() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel:\n  ⟦pth⟧: models/kws.onnx\ntargets: {a: {runtime: onnxruntime}}\n", version: 3)
        let n = try await c.notification("textDocument/publishDiagnostics")
        #expect(n["version"] == 3)
        let d = try #require(n["diagnostics"]?[0])
        #expect(d["code"] == "SW2001")
        #expect(d["severity"] == 1)
        #expect(d["range"] == f.range(0))
        #expect(d["codeDescription"]?["href"]?.stringValue?.hasSuffix("docs/diagnostics.md#sw2001") == true)
    }

    @Test func columnsAfterCJKEmojiAndCombiningMarksInUTF16AndUTF8() async throws {
        for (unit, enc) in [(ColumnUnit.utf16, "utf-16"), (.utf8, "utf-8")] {
            let c = try await TestClient.initialized(capabilities: ["general": ["positionEncodings": [.string(enc)]]])
            let m = MarkedText(DocumentSpec.wide)
            let f = await c.open(DocumentSpec.wide)
            let ds = try await c.diagnostics(f.uri)
            let key = ds.first { $0["code"] == "SW2001" }
            // The unknown key is '名🚀': its range must cover exactly those characters.
            let keyStart = Array(m.text.utf8).firstIndex(of: 0xE5).map { $0 } ?? 0
            let idx = LineIndex(m.text)
            let lineText = idx.lineText(2)
            #expect(lineText.contains("名🚀"))
            let p = idx.position(of: Array(m.text.utf8).lastIndex(of: 0xE5) ?? keyStart, unit: unit)
            #expect(key?["range"]?["start"] == ["line": .int(p.line), "character": .int(p.column)], "\(enc)")
        }
    }

    @Test func incrementalChangesApplyInOrderEachOnThePreviousText() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n")
        _ = try await c.diagnostics(f.uri, version: 1)
        // Two edits in one notification: the second's range is in the text the first produced.
        await c.notify("textDocument/didChange", [
            "textDocument": ["uri": .string(f.uri), "version": 2],
            "contentChanges": [
                ["range": ["start": ["line": 1, "character": 8], "end": ["line": 1, "character": 12]], "text": "pth"],  // path → pth
                ["range": ["start": ["line": 1, "character": 8], "end": ["line": 1, "character": 11]], "text": "paht"],  // pth → paht
            ],
        ])
        let ds = try await c.diagnostics(f.uri, version: 2)
        #expect(ds.count == 1)
        #expect(ds.first?["message"]?.stringValue?.contains("unknown key 'paht'") == true)
        #expect(ds.first?["range"] == ["start": ["line": 1, "character": 8], "end": ["line": 1, "character": 12]])
        // A change without a range replaces everything.
        await c.notify("textDocument/didChange", ["textDocument": ["uri": .string(f.uri), "version": 3], "contentChanges": [["text": "slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n"]]])
        #expect(try await c.diagnostics(f.uri, version: 3).isEmpty)
    }

    @Test func positionsPastTheEndOfALineClamp() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n")
        _ = try await c.diagnostics(f.uri, version: 1)
        await c.notify("textDocument/didChange", [
            "textDocument": ["uri": .string(f.uri), "version": 2],
            "contentChanges": [["range": ["start": ["line": 0, "character": 10], "end": ["line": 0, "character": 500]], "text": "  # ok"]],
        ])
        #expect(try await c.diagnostics(f.uri, version: 2).isEmpty)
    }

    @Test func yamlThatIsNoManifestGetsNothing() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("on:\n  push: {branches: [main]}\njobs: {build: {runs-on: ubuntu}}\n", uri: "file:///tmp/ci.yaml")
        #expect(try await c.diagnostics(f.uri).isEmpty)
        #expect(try await c.request("textDocument/hover", f.at("1️⃣")) == .null)
        // …but a YAML file whose first document has the version key is a manifest, whatever its name.
        let g = await c.open("slipway: 1\nmodel: {pth: m}\n", uri: "file:///tmp/deploy.yaml")
        #expect(try await c.diagnostics(g.uri).isEmpty == false)
    }

    @Test func aBurstOfChangesCostsAHandfulOfPassesAndEndsWithTheFreshResult() async throws {
        let c = try await TestClient.initialized()
        var text = "slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n"
        let f = await c.open(text)
        _ = try await c.diagnostics(f.uri, version: 1)
        for v in 2...1001 {
            let insertion = v % 2 == 0 ? "x" : "y"
            await c.notify("textDocument/didChange", [
                "textDocument": ["uri": .string(f.uri), "version": .int(v)],
                "contentChanges": [["range": ["start": ["line": 3, "character": 0], "end": ["line": 3, "character": 0]], "text": .string(insertion)]],
            ])
            text += insertion
        }
        let final = try await c.diagnostics(f.uri, version: 1001)
        let passes = await c.server.checkPasses(f.uri)
        #expect(passes <= 10, "\(passes) passes for 1000 changes")
        let fresh = ManifestChecker(fileSystem: OverlayFileSystem(memory: InMemoryFileSystem(binary: ["/tmp/slipway-tests/models/kws.onnx": TestClient.kwsModel]))).check(bytes: Array(text.utf8), path: "/tmp/slipway-tests/kws.slipway.yaml")
        #expect(final.compactMap { $0["code"]?.stringValue } == fresh.diagnostics.map(\.code.rawValue))
    }

    @Test func pullDiagnosticsWhenTheClientAsks() async throws {
        let c = try await TestClient.initialized(capabilities: ["textDocument": ["diagnostic": ["dynamicRegistration": false]]])
        let f = await c.open("slipway: 1\nmodel:\n  ⟦pth⟧: models/kws.onnx\ntargets: {a: {runtime: onnxruntime}}\n")
        let r = try await c.request("textDocument/diagnostic", ["textDocument": f.textDocument])
        #expect(r["kind"] == "full")
        #expect(r["items"]?[0]?["range"] == f.range(0))
        #expect(!c.mailbox.pending().contains { $0["method"] == "textDocument/publishDiagnostics" })
    }
}

@Suite struct WatchedFilesSpec {
    @Test func aChangedModelRefreshesDiagnosticsOfOpenManifests() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n")
        _ = try await c.diagnostics(f.uri, version: 1)
        await c.notify("workspace/didChangeWatchedFiles", ["changes": [["uri": "file:///tmp/slipway-tests/models/kws.onnx", "type": 2]]])
        // A fresh pass publishes again for the same version.
        _ = try await c.diagnostics(f.uri, version: 1)
        #expect(await c.server.checkPasses(f.uri) == 2)
    }
}

@Suite struct TargetDiagnosticsSpec {
    @Test func targetRulesComeWithTheirSourceAsRelatedInformation() async throws {
        let c = try await TestClient.initialized()
        // TFLite Micro runs only full int8: weight-only quantization is refused, with the rule's source.
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\noptimize: {quantize: {weights: int8}}\ntargets: {mcu: {runtime: tflite-micro}}\n")
        let ds = try await c.diagnostics(f.uri)
        let target = try #require(ds.first { $0["code"]?.stringValue?.hasPrefix("SW4") == true })
        let related = target["relatedInformation"]?.arrayValue ?? []
        #expect(related.contains { $0["location"]?["uri"]?.stringValue?.hasPrefix("http") == true })
    }
}
