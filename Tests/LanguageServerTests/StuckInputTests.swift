#if canImport(Glibc)
import Glibc
#endif
import JSON
import Testing
import TestSupport

@testable import LanguageServer

/// Issue 17: input that would block (a FIFO as the model) or never end (a workspace of `/`) must leave the
/// server answering, and `shutdown`/`exit` must always be read.
@Suite struct StuckInputSpec {
    static func folderWithFIFO() -> String {
        var template = Array("/tmp/slipway-fifo-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { b in b.baseAddress.flatMap { mkdtemp($0) } }
        let dir = made.map { String(cString: $0) } ?? "/tmp"
        _ = mkfifo(dir + "/model.onnx", 0o644)
        return dir
    }

    func send(_ c: TestClient, id: Int, _ method: String, _ params: JSONValue) async {
        await c.server.receive(Array(JSONValue.object(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]).serialized().utf8))
    }

    @Test func twoHoversOnAFIFOModelAnswerAndShutdownAndExitStillWork() async throws {
        let dir = Self.folderWithFIFO()
        defer { _ = unlink(dir + "/model.onnx"); _ = rmdir(dir) }
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: 1️⃣model.onnx}\ntargets: {a: {runtime: litert}}\n", uri: "file://\(dir)/m.slipway.yaml")
        // Both hovers are sent before either is answered, then shutdown and exit.
        await send(c, id: 101, "textDocument/hover", f.at("1️⃣"))
        await send(c, id: 102, "textDocument/hover", f.at("1️⃣"))
        for id in [101, 102] {
            let reply = try await c.mailbox.next(timeout: .seconds(20)) { $0["id"] == .int(id) }
            let text = reply["result"]?["contents"]?["value"]?.stringValue ?? ""
            #expect(text.contains("Cannot read the model"), "\(text)")
            #expect(text.contains("\(dir)/model.onnx") && text.contains("FIFO"), "\(text)")
        }
        // The diagnostics name it too.
        let diags = try await c.diagnostics(f.uri)
        #expect(diags.contains { $0["message"]?.stringValue == "model path 'model.onnx' is not a regular file" })
        #expect(try await c.request("shutdown", .null) == .null)
        await c.notify("exit", .null)
        #expect(c.exit.value == 0)
    }

    @Test func aWorkspaceCheckOfTheRootIsCancelledPromptly() async throws {
        let c = try await TestClient.initialized(rootPath: "/")
        await send(c, id: 201, "workspace/executeCommand", ["command": "slipway.checkWorkspace"])
        try await Task.sleep(for: .milliseconds(200))
        let sent = ContinuousClock.now
        await c.notify("$/cancelRequest", ["id": 201])
        let reply = try await c.mailbox.next(timeout: .seconds(5)) { $0["id"] == 201 }
        #expect(reply["error"]?["code"] == -32800)
        #expect(ContinuousClock.now - sent < .seconds(2))
        // Still serving.
        let f = await c.open("slipway: 1\nmodel: {path: m.onnx}\ntargets: {a: {runtime: litert}}\n")
        #expect(try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument]).arrayValue?.count == 3)
    }
}
