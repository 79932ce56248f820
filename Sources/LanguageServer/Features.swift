import Checking
import Diagnostics
import Isolation
import JSON
import YAMLSyntax

/// Request handlers. Each is a pure function of a snapshot (document, analysis, client context) to a
/// result, so it runs off the actor and can be tested without a transport.
enum Features {
    typealias Handler = @Sendable (Request) async -> Result<Reply, ResponseError>

    /// A result, and the notifications to send with it (a workspace check publishes diagnostics for files
    /// the editor has not opened).
    struct Reply: Sendable {
        var result: JSONValue
        var notifications: [JSONValue] = []
    }

    struct Context: Sendable {
        var unit: ColumnUnit
        var capabilities: ClientCapabilities
        var checker: ManifestChecker
        var workspaceFolders: [String]
        var settings: Settings
        /// Sends a message now (progress of a long command); results go through the reply.
        var send: @Sendable (JSONValue) -> Void = { _ in }
        /// Progress tokens the client may cancel (`window/workDoneProgress/cancel`).
        var progress: ProgressRegistry = ProgressRegistry()
    }

    struct Request: Sendable {
        var params: JSONValue
        var document: Document?
        var analysis: Analysis?
        var context: Context

        var unit: ColumnUnit { context.unit }

        /// The byte offset of `params.position` in the document.
        func offset() throws(ResponseError) -> Int {
            guard let doc = document, let o = LSP.offset(params["position"], in: doc.lineIndex, unit: unit) else {
                throw .invalidParams("a position in an open document is needed")
            }
            return o
        }

        func range(_ key: String = "range") throws(ResponseError) -> ByteRange {
            guard let doc = document, let r = params[key].flatMap({ LSP.byteRange($0, in: doc.lineIndex, unit: unit) }) else {
                throw .invalidParams("a range in an open document is needed")
            }
            return r
        }

        func lspRange(_ r: ByteRange) -> JSONValue {
            guard let doc = document else { return DiagnosticConversion.zeroRange }
            return LSP.range(r, in: doc.lineIndex, unit: unit)
        }

        /// The manifest document (`---` section) that holds `offset`.
        func yamlRoot(at offset: Int) -> YAMLNode? {
            analysis?.file?.stream.documents.last(where: { $0.range.start <= offset })?.root
                ?? analysis?.file?.stream.documents.first?.root
        }
    }

    /// Features may read a model from disk (hover, lenses, hints), so they run off the cooperative pool.
    static func handler(for method: String) -> Handler? {
        switch method {
        case "textDocument/hover": return { r in await OwnThread.run { wrap { () throws(ResponseError) in try Hover.hover(r) } } }
        case "textDocument/completion": return { r in await OwnThread.run { wrap { () throws(ResponseError) in try Completion.complete(r) } } }
        case "textDocument/codeAction": return { r in await OwnThread.run { wrap { () throws(ResponseError) in try CodeActions.actions(r) } } }
        case "codeAction/resolve": return { r in await OwnThread.run { .success(Reply(result: r.params)) } }
        case "textDocument/documentSymbol": return { r in await OwnThread.run { .success(Reply(result: Outline.symbols(r))) } }
        case "textDocument/foldingRange": return { r in await OwnThread.run { .success(Reply(result: Outline.folding(r))) } }
        case "textDocument/selectionRange": return { r in await OwnThread.run { wrap { () throws(ResponseError) in try Outline.selection(r) } } }
        case "textDocument/documentLink": return { r in await OwnThread.run { .success(Reply(result: Outline.links(r))) } }
        case "textDocument/codeLens": return { r in await OwnThread.run { .success(Reply(result: Lenses.codeLenses(r))) } }
        case "textDocument/inlayHint": return { r in await OwnThread.run { .success(Reply(result: InlayHints.hints(r))) } }
        case "textDocument/diagnostic": return { r in await OwnThread.run { .success(Reply(result: pullDiagnostics(r))) } }
        case "workspace/executeCommand": return { r in
            do throws(ResponseError) { return .success(try await Commands.execute(r)) } catch { return .failure(error) }
        }
        default: return nil
        }
    }

    static func wrap(_ body: () throws(ResponseError) -> JSONValue) -> Result<Reply, ResponseError> {
        do { return .success(Reply(result: try body())) } catch { return .failure(error) }
    }

    /// Results that hold positions are stale once the document changes; `null` and empty results are not.
    static func isPositional(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return false
        case .array(let a): return !a.isEmpty
        default: return true
        }
    }

    static func pullDiagnostics(_ r: Request) -> JSONValue {
        guard let doc = r.document, let a = r.analysis else { return ["kind": "full", "items": []] }
        return [
            "kind": "full", "resultId": .string("\(doc.version)"),
            "items": .array(DiagnosticConversion.lsp(a, doc, unit: r.unit, capabilities: r.context.capabilities, settings: r.context.settings)),
        ]
    }
}
