import JSON
import Testing

@testable import LanguageServer

@Suite struct LifecycleSpec {
    @Test func requestsBeforeInitializeAreRefusedAndNotificationsDropped() async throws {
        let c = TestClient()
        await #expect(throws: LSPError(code: -32002, message: "the server is not initialized: send 'initialize' first")) {
            try await c.request("textDocument/hover", ["textDocument": ["uri": "file:///x"], "position": ["line": 0, "character": 0]])
        }
        await c.notify("textDocument/didOpen", ["textDocument": ["uri": "file:///a.slipway.yaml", "version": 1, "text": "x: 1"]])
        #expect(c.mailbox.pending().isEmpty)
    }

    @Test func initializeNegotiatesTheEncodingAndAnswersWithServerInfo() async throws {
        let c = TestClient()
        let r = try await c.request("initialize", ["capabilities": ["general": ["positionEncodings": ["utf-8", "utf-16"]]]])
        #expect(r["capabilities"]?["positionEncoding"] == "utf-8")
        #expect(r["serverInfo"]?["name"] == "slipway")
        #expect(r["capabilities"]?["textDocumentSync"]?["change"] == 2)
        // Pull diagnostics are offered only to clients that support them.
        #expect(r["capabilities"]?["diagnosticProvider"] == nil)
        let d = TestClient()
        let r2 = try await d.request("initialize", ["capabilities": ["textDocument": ["diagnostic": [:]]]])
        #expect(r2["capabilities"]?["positionEncoding"] == "utf-16")
        #expect(r2["capabilities"]?["diagnosticProvider"]?["identifier"] == "slipway")
    }

    @Test func initializedRegistersFileWatchersWhenDynamicRegistrationIsSupported() async throws {
        let c = try await TestClient.initialized()
        let reg = try await c.mailbox.next { $0["method"] == "client/registerCapability" }
        #expect(reg["params"]?["registrations"]?[0]?["method"] == "workspace/didChangeWatchedFiles")
        let plain = try await TestClient.initialized(capabilities: [:])
        try await Task.sleep(for: .milliseconds(20))
        #expect(!plain.mailbox.pending().contains { $0["method"] == "client/registerCapability" })
    }

    @Test func shutdownDoesNotExitAndExitCodeDependsOnIt() async throws {
        let c = try await TestClient.initialized()
        #expect(try await c.request("shutdown", .null) == .null)
        #expect(c.exit.value == nil)
        await #expect(throws: LSPError.self) { try await c.request("textDocument/documentSymbol", ["textDocument": ["uri": "file:///x"]]) }
        await c.notify("exit", .null)
        #expect(c.exit.value == 0)

        let d = try await TestClient.initialized()
        await d.notify("exit", .null)
        #expect(d.exit.value == 1)
    }

    @Test func protocolErrorsGetTheRightCodesAndTheServerGoesOn() async throws {
        let c = try await TestClient.initialized()
        await c.raw("{not json")
        #expect(try await c.mailbox.next { $0["error"]?["code"] == -32700 }["id"] == .null)
        await c.raw(#"{"jsonrpc":"2.0","id":7}"#)
        #expect(try await c.mailbox.next { $0["id"] == 7 }["error"]?["code"] == -32600)
        await c.raw(#"[1,2]"#)
        #expect(try await c.mailbox.next { $0["error"]?["code"] == -32600 && $0["id"] == .null } != .null)
        await #expect(throws: LSPError.self) { try await c.request("no/such/method", [:]) }
        // Unknown notifications get no reply.
        await c.notify("no/such/notification", [:])
        await c.notify("$/setTrace", ["value": "verbose"])
        // And the server still works.
        let f = await c.open("slipway: 1\n")
        _ = try await c.diagnostics(f.uri)
        #expect(try await c.request("shutdown", .null) == .null)
    }

    @Test func requestsForClosedDocumentsAreErrorsNotCrashes() async throws {
        let c = try await TestClient.initialized()
        await #expect(throws: LSPError.self) {
            try await c.request("textDocument/hover", ["textDocument": ["uri": "file:///never-opened.slipway.yaml"], "position": ["line": 0, "character": 0]])
        }
        await c.notify("textDocument/didChange", ["textDocument": ["uri": "file:///never-opened.slipway.yaml", "version": 2], "contentChanges": [["text": "x"]]])
        let f = await c.open("slipway: 1\n")
        await c.notify("textDocument/didClose", ["textDocument": f.textDocument])
        #expect(try await c.diagnostics(f.uri).isEmpty)
        await #expect(throws: LSPError.self) { try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument]) }
    }

    @Test func cancellingAFinishedOrUnknownRequestIsQuiet() async throws {
        let c = try await TestClient.initialized()
        await c.notify("$/cancelRequest", ["id": 999])
        _ = try await c.request("shutdown", .null)
        #expect(!c.mailbox.pending().contains { $0["id"] == 999 })
    }
}

@Suite struct ConfigurationSpec {
    @Test func settingsArePulledAndIgnoredCodesHidden() async throws {
        let c = try await TestClient.initialized(capabilities: ["workspace": ["configuration": true]])
        let ask = try await c.mailbox.next { $0["method"] == "workspace/configuration" }
        #expect(ask["params"]?["items"]?[0]?["section"] == "slipway")
        let f = await c.open("slipway: 1\nname: no\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n")
        #expect(try await c.diagnostics(f.uri).compactMap { $0["code"]?.stringValue } == ["SW2007"])
        // The client answers: hide SW2007. Open documents are checked again.
        let answer: JSONValue = ["jsonrpc": "2.0", "id": ask["id"] ?? .null, "result": [["ignore": ["sw2007"]]]]
        await c.raw(answer.serialized())
        #expect(try await c.diagnostics(f.uri).isEmpty)
    }

    @Test func pushedSettingsWorkForClientsThatDoNotPull() async throws {
        let c = try await TestClient.initialized(capabilities: [:])
        let f = await c.open("slipway: 1\nname: no\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n")
        #expect(try await c.diagnostics(f.uri).count == 1)
        await c.notify("workspace/didChangeConfiguration", ["settings": ["slipway": ["ignore": ["SW2007"]]]])
        #expect(try await c.diagnostics(f.uri).isEmpty)
    }
}
