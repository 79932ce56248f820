import Checking
import Diagnostics
import JSON
import Synchronization
import Testing
import TestSupport

@testable import LanguageServer

/// An in-process editor for specs, in the style of sourcekit-lsp's TestSourceKitLSPClient: it talks to a
/// `Server` through its message functions (no framing), and waits for responses and notifications.
final class TestClient: Sendable {
    let server: Server
    let mailbox = Mailbox()
    let exit = ExitRecord()
    private let nextID = Mutex(1)

    /// A real model (the keyword spotter of examples/kws-mcu), for manifests that name `models/kws.onnx`.
    static let kwsModel: [UInt8] = {
        let path = Repository.root + "/examples/kws-mcu/models/ds_cnn_kws.onnx"
        return (try? LocalFileSystem().read(path, limit: 16 << 20)) ?? []
    }()

    static let vscodeLike: JSONValue = [
        "general": ["positionEncodings": ["utf-16"]],
        "textDocument": [
            "hover": ["contentFormat": ["markdown", "plaintext"]],
            "completion": ["completionItem": ["snippetSupport": true, "documentationFormat": ["markdown"]]],
            "codeAction": ["codeActionLiteralSupport": ["codeActionKind": ["valueSet": ["quickfix", "source"]]]],
            "documentSymbol": ["hierarchicalDocumentSymbolSupport": true],
            "publishDiagnostics": ["relatedInformation": true, "codeDescriptionSupport": true, "tagSupport": ["valueSet": [1, 2]]],
        ],
        "workspace": ["didChangeWatchedFiles": ["dynamicRegistration": true], "workspaceFolders": true],
    ]

    /// `modelWorkDeadline`: the specs wait for model work (deterministic answers) unless they test the
    /// deadline itself.
    init(capabilities: JSONValue? = TestClient.vscodeLike, checker: ManifestChecker? = nil,
         modelWorkDeadline: Duration = .seconds(600)) {
        let mailbox = self.mailbox
        let exit = self.exit
        // The fixtures' folder holds a model, in memory; everything else is the real disk.
        let fs = OverlayFileSystem(memory: InMemoryFileSystem(binary: ["/tmp/slipway-tests/models/kws.onnx": TestClient.kwsModel]))
        server = Server(
            checker: checker ?? ManifestChecker(fileSystem: fs),
            send: { m in mailbox.push(m) },
            onExit: { code in exit.record(code) }, modelWorkDeadline: modelWorkDeadline)
        _ = capabilities
    }

    /// A client that has completed `initialize` and `initialized`.
    static func initialized(capabilities: JSONValue = TestClient.vscodeLike, rootPath: String? = nil,
                            checker: ManifestChecker? = nil, modelWorkDeadline: Duration = .seconds(600)) async throws -> TestClient {
        let c = TestClient(checker: checker, modelWorkDeadline: modelWorkDeadline)
        var params: JSONObject = ["capabilities": capabilities]
        if let rootPath { params["workspaceFolders"] = [["uri": .string("file://" + rootPath), "name": "root"]] }
        _ = try await c.request("initialize", .object(params))
        await c.notify("initialized", [:])
        return c
    }

    func raw(_ text: String) async { await server.receive(Array(text.utf8)) }

    func notify(_ method: String, _ params: JSONValue) async {
        let message: JSONValue = ["jsonrpc": "2.0", "method": .string(method), "params": params]
        await server.receive(Array(message.serialized().utf8))
    }

    /// Sends a request and returns its result, or throws its error.
    func request(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        let id = nextID.withLock { n -> Int in defer { n += 1 }; return n }
        let message: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
        await server.receive(Array(message.serialized().utf8))
        let reply = try await mailbox.next { $0["id"] == .int(id) && $0["method"] == nil }
        if let error = reply["error"] { throw LSPError(code: error["code"]?.intValue ?? 0, message: error["message"]?.stringValue ?? "") }
        return reply["result"] ?? .null
    }

    func notification(_ method: String, where predicate: @escaping @Sendable (JSONValue) -> Bool = { _ in true }) async throws -> JSONValue {
        try await mailbox.next { $0["method"] == .string(method) && $0["id"] == nil && predicate($0) }["params"] ?? .null
    }

    /// Opens a document given with inline markers; returns the markers, in this document's coordinates.
    @discardableResult
    func open(_ marked: String, uri: String = "file:///tmp/slipway-tests/kws.slipway.yaml", version: Int = 1) async -> Fixture {
        let m = MarkedText(marked)
        await notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "yaml", "version": .int(version), "text": .string(m.text)]])
        return Fixture(marked: m, uri: uri)
    }

    /// The next complete diagnostics of `uri` (a partial publish, made while model work runs, is skipped).
    func diagnostics(_ uri: String, version: Int? = nil, partial: Bool = false) async throws -> [JSONValue] {
        try await notification("textDocument/publishDiagnostics") { n in
            n["params"]?["uri"] == .string(uri) && (version == nil || n["params"]?["version"] == .int(version ?? 0))
                && (n["params"]?["partial"] != nil) == partial
        }["diagnostics"]?.arrayValue ?? []
    }
}

/// The code the server asked to exit with, if it did.
final class ExitRecord: Sendable {
    private let code = Mutex<Int32?>(nil)
    func record(_ c: Int32) { code.withLock { $0 = c } }
    var value: Int32? { code.withLock { $0 } }
}

struct LSPError: Error, Equatable {
    var code: Int
    var message: String
}

/// A fixture's text with its markers as LSP positions (UTF-16) and ranges.
struct Fixture {
    let marked: MarkedText
    let uri: String
    var index: LineIndex { LineIndex(marked.text) }

    func position(_ marker: String, unit: ColumnUnit = .utf16) -> JSONValue {
        let p = index.position(of: marked[marker], unit: unit)
        return ["line": .int(p.line), "character": .int(p.column)]
    }

    func range(_ i: Int, unit: ColumnUnit = .utf16) -> JSONValue {
        let r = marked.ranges[i]
        let s = index.position(of: r.start, unit: unit), e = index.position(of: r.end, unit: unit)
        return ["start": ["line": .int(s.line), "character": .int(s.column)], "end": ["line": .int(e.line), "character": .int(e.column)]]
    }

    var textDocument: JSONValue { ["uri": .string(uri)] }
    func at(_ marker: String) -> JSONValue { ["textDocument": textDocument, "position": position(marker)] }
}

/// Messages from the server, in the order sent, and waiters for them. Pushes are synchronous (the server's
/// send closure calls `push` directly), so order is kept. A wait fails after a timeout instead of hanging.
final class Mailbox: Sendable {
    private struct State {
        var messages: [JSONValue] = []
        var waiters: [(id: Int, match: @Sendable (JSONValue) -> Bool, cont: CheckedContinuation<JSONValue, any Error>)] = []
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    struct Timeout: Error {}

    func push(_ m: JSONValue) {
        let waiter = state.withLock { s -> CheckedContinuation<JSONValue, any Error>? in
            if let i = s.waiters.firstIndex(where: { $0.match(m) }) { return s.waiters.remove(at: i).cont }
            s.messages.append(m)
            return nil
        }
        waiter?.resume(returning: m)
    }

    func next(timeout: Duration = .seconds(10), _ match: @escaping @Sendable (JSONValue) -> Bool) async throws -> JSONValue {
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expire(id)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { cont in
            let found = state.withLock { s -> JSONValue? in
                if let i = s.messages.firstIndex(where: match) { return s.messages.remove(at: i) }
                s.waiters.append((id, match, cont))
                return nil
            }
            if let found { cont.resume(returning: found) }
        }
    }

    private func expire(_ id: Int) {
        let cont = state.withLock { s -> CheckedContinuation<JSONValue, any Error>? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i).cont
        }
        cont?.resume(throwing: Timeout())
    }

    /// Everything received and not yet consumed (for "nothing else was sent" assertions).
    func pending() -> [JSONValue] { state.withLock { $0.messages } }
}
