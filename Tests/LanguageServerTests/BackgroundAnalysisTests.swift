import Checking
import Estimation
import Foundation
import JSON
import ModelFormats
import Synchronization
import Testing

@testable import LanguageServer

/// A disk whose model reads wait until the spec opens the gate: a cold, slow model, on demand.
final class GatedFileSystem: FileSystem {
    let disk = LocalFileSystem()
    let open = Mutex(false)
    let reads = Mutex(0)

    func kind(of path: String) -> FileKind { disk.kind(of: path) }
    func list(_ directory: String) -> [String] { disk.list(directory) }
    func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] { try disk.read(path, limit: limit) }
    func readModel(_ path: String) throws(ModelError) -> Model {
        while !open.withLock({ $0 }) { usleep(1_000) }
        reads.withLock { $0 += 1 }
        return try disk.readModel(path)
    }
}

/// The server never waits on model work: past its deadline, diagnostics come from the manifest alone
/// (published as `partial`, under work-done progress), hovers and lenses answer without the model's figures,
/// and when the model work ends the full diagnostics follow, the progress ends and lenses are refreshed.
@Suite("Model work in the background", .serialized)
struct BackgroundAnalysisSpec {
    static let capabilities: JSONValue = [
        "general": ["positionEncodings": ["utf-16"]],
        "window": ["workDoneProgress": true],
        "textDocument": ["hover": ["contentFormat": ["markdown"]]],
        "workspace": ["codeLens": ["refreshSupport": true]],
    ]

    /// A project folder on disk with the keyword spotter and a manifest whose size budget only the model can judge.
    static func project() throws -> (folder: String, uri: String, text: String) {
        let folder = NSTemporaryDirectory() + "slipway-background-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/models", withIntermediateDirectories: true)
        try Data(TestClient.kwsModel).write(to: URL(fileURLWithPath: folder + "/models/kws.onnx"))
        let text = """
            slipway: 1
            model:
              path: models/kws.onnx
            targets:
              server:
                runtime: onnxruntime
                optimize: {quantize: {weights: int8}}
                budget: {size_mb: 0.001}
                colour: blue
            """
        return (folder, "file://\(folder)/kws.slipway.yaml", text)
    }

    func codes(_ ds: [JSONValue]) -> Set<String> { Set(ds.compactMap { $0["code"]?.stringValue }) }

    @Test("past the deadline: partial diagnostics and progress at once, the full ones when the model is read")
    func partialThenFull() async throws {
        let p = try Self.project()
        defer { try? FileManager.default.removeItem(atPath: p.folder) }
        let gate = GatedFileSystem()
        let checker = ManifestChecker(fileSystem: ModelCachingFileSystem(gate), estimateCache: MemoryEstimateCache())
        let c = try await TestClient.initialized(capabilities: Self.capabilities, checker: checker, modelWorkDeadline: .zero)
        await c.notify("textDocument/didOpen", ["textDocument": ["uri": .string(p.uri), "languageId": "yaml", "version": 1, "text": .string(p.text)]])

        // The model is not read yet: the manifest's own findings (the unknown key), nothing the model decides.
        let partial = codes(try await c.diagnostics(p.uri, partial: true))
        #expect(partial.contains("SW2001"))
        #expect(!partial.contains("SW5101"))
        let create = try await c.mailbox.next { $0["method"] == "window/workDoneProgress/create" }
        let token = try #require(create["params"]?["token"])
        let begin = try await c.notification("$/progress") { $0["params"]?["token"] == token }
        #expect(begin["value"]?["kind"] == "begin")
        #expect(begin["value"]?["title"]?.stringValue == "Slipway: analysing models/kws.onnx")
        #expect(gate.reads.withLock { $0 } == 0)

        // Requests answer now, without the model.
        let hover = try await c.request("textDocument/hover", [
            "textDocument": ["uri": .string(p.uri)], "position": ["line": 2, "character": 12],
        ])
        #expect(hover["contents"]?["value"]?.stringValue?.contains("being read in the background") == true)
        let lenses = try await c.request("textDocument/codeLens", ["textDocument": ["uri": .string(p.uri)]])
        #expect(lenses.arrayValue?.first?["command"]?["title"] == "Inspect")

        // The model arrives: the full diagnostics, the end of the progress, and a lens refresh.
        gate.open.withLock { $0 = true }
        let full = codes(try await c.diagnostics(p.uri))
        #expect(full.isSuperset(of: partial))
        #expect(full.contains("SW5101"))
        let end = try await c.notification("$/progress") { $0["params"]?["token"] == token && $0["params"]?["value"]?["kind"] == "end" }
        #expect(end["value"]?["message"] == "model analysed")
        _ = try await c.mailbox.next { $0["method"] == "workspace/codeLens/refresh" }

        // From the caches now: the model's summary and the estimate's figures.
        let warm = try await c.request("textDocument/hover", [
            "textDocument": ["uri": .string(p.uri)], "position": ["line": 2, "character": 12],
        ])
        #expect(warm["contents"]?["value"]?.stringValue?.contains("ONNX") == true)
        let refreshed = try await c.request("textDocument/codeLens", ["textDocument": ["uri": .string(p.uri)]])
        let titles = refreshed.arrayValue?.compactMap { $0["command"]?["title"]?.stringValue } ?? []
        #expect(titles.contains { $0.hasPrefix("ONNX · ") && $0.contains("parameters") })
        #expect(titles.contains { $0.contains("dB") && $0.contains("over the size budget") })
    }

    @Test("within the deadline: one complete publish, no progress")
    func fastModelWorkPublishesOnce() async throws {
        let p = try Self.project()
        defer { try? FileManager.default.removeItem(atPath: p.folder) }
        let gate = GatedFileSystem()
        gate.open.withLock { $0 = true }
        let checker = ManifestChecker(fileSystem: ModelCachingFileSystem(gate), estimateCache: MemoryEstimateCache())
        let c = try await TestClient.initialized(capabilities: Self.capabilities, checker: checker, modelWorkDeadline: .seconds(600))
        await c.notify("textDocument/didOpen", ["textDocument": ["uri": .string(p.uri), "languageId": "yaml", "version": 1, "text": .string(p.text)]])
        let first = try await c.notification("textDocument/publishDiagnostics")
        #expect(first["partial"] == nil)
        let found = codes(first["diagnostics"]?.arrayValue ?? [])
        #expect(found.contains("SW5101"))
        #expect(c.mailbox.pending().allSatisfy { $0["method"] != "window/workDoneProgress/create" })
    }
}
