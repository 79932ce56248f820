import JSON
import Testing

@testable import LanguageServer

/// Issue 17: integers from the client (versions, ids, lines, characters) are never trusted in arithmetic.
/// Each value below either works (positions clamp, as LSP asks) or is an error / a logged refusal; none
/// may trap, which would end this test process.
@Suite struct HostileNumberSpec {
    static let manifest = "slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\n"
    static let extremes: [JSONValue] = [.int(Int.max), .int(Int.min), .int(Int.max - 1), .int(-1), .double(1e300), .double(-1e300), .double(9.2e18)]

    @Test func aVersionOfInt64MaxThenAChangeWithoutAVersionIsRefusedNotATrap() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open(Self.manifest, version: Int.max)
        #expect(try await c.notification("textDocument/publishDiagnostics")["version"] == .int(Int.max))
        await c.notify("textDocument/didChange", ["textDocument": ["uri": .string(f.uri)], "contentChanges": [["text": "slipway: 1\n"]]])
        // The change was refused (it cannot be given a version); the server answers and keeps the text.
        let symbols = try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument])
        #expect(symbols.arrayValue?.map { $0["name"] } == ["slipway", "model", "targets"])
        // With a version the change applies.
        await c.notify("textDocument/didChange", ["textDocument": ["uri": .string(f.uri), "version": 5], "contentChanges": [["text": "slipway: 1\n"]]])
        let after = try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument])
        #expect(after.arrayValue?.map { $0["name"] } == ["slipway"])
    }

    @Test func aVersionOfInt64MinCountsUp() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open(Self.manifest, version: Int.min)
        await c.notify("textDocument/didChange", ["textDocument": ["uri": .string(f.uri)], "contentChanges": [["text": .string(Self.manifest)]]])
        let n = try await c.notification("textDocument/publishDiagnostics") { $0["params"]?["version"] == .int(Int.min + 1) }
        #expect(n["uri"] == .string(f.uri))
        #expect(try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument]).arrayValue?.count == 3)
    }

    @Test(arguments: ["utf-8", "utf-16"])
    func extremeLinesAndCharactersClampOrAreRefused(encoding: String) async throws {
        let c = try await TestClient.initialized(capabilities: ["general": ["positionEncodings": [.string(encoding)]]])
        let f = await c.open(Self.manifest)
        let before = try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument])
        for v in Self.extremes {
            for p: JSONValue in [["line": v, "character": 0], ["line": 0, "character": v], ["line": v, "character": v], ["line": 1, "character": v]] {
                let valid = p["line"]?.intValue.map { $0 >= 0 } == true && p["character"]?.intValue.map { $0 >= 0 } == true
                for method in ["textDocument/hover", "textDocument/completion"] {
                    do {
                        _ = try await c.request(method, ["textDocument": f.textDocument, "position": p])
                        #expect(valid, "\(method) \(p.serialized()) answered")
                    } catch let e as LSPError {
                        #expect(e.code == -32602 && !valid, "\(method) \(p.serialized()): \(e)")
                    }
                }
                let range: JSONValue = ["start": p, "end": p]
                for method in ["textDocument/codeAction", "textDocument/inlayHint"] {
                    do {
                        _ = try await c.request(method, ["textDocument": f.textDocument, "range": range, "context": ["diagnostics": []]])
                    } catch let e as LSPError {
                        #expect(e.code == -32602 && !valid, "\(method) \(range.serialized()): \(e)")
                    }
                }
                let sel = try await c.request("textDocument/selectionRange", ["textDocument": f.textDocument, "positions": [p]])
                #expect(sel.arrayValue?.count == 1)
                // An empty edit at a clamped position changes nothing; an invalid one is refused (logged).
                await c.notify("textDocument/didChange", [
                    "textDocument": ["uri": .string(f.uri), "version": 2], "contentChanges": [["range": ["start": p, "end": p], "text": ""]],
                ])
            }
        }
        // Still serving, and the text is unchanged.
        let symbols = try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument])
        #expect(symbols == before)
        #expect(symbols.arrayValue?.count == 5)
    }

    @Test func extremeRequestIDsAreEchoed() async throws {
        let c = try await TestClient.initialized()
        for id: JSONValue in [.int(Int.max), .int(Int.min), .double(1e300), .double(-0.0)] {
            await c.server.receive(Array(JSONValue.object(["jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": ["textDocument": ["uri": "file:///nope.yaml"], "position": ["line": 0, "character": 0]]]).serialized().utf8))
            let reply = try await c.mailbox.next { $0["error"] != nil && $0["method"] == nil && ($0["id"] == id || $0["id"] == .null || RequestID($0["id"]) == RequestID(id)) }
            #expect(reply["error"]?["code"]?.intValue.map { [-32602, -32600].contains($0) } == true, "\(id.serialized())")
        }
        await c.notify("$/cancelRequest", ["id": .int(Int.max)])
        await c.notify("$/cancelRequest", ["id": .double(1e300)])
        let f = await c.open(Self.manifest)
        #expect(try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument]).arrayValue?.count == 3)
    }
}
