import Checking
import Diagnostics
import JSON
import ModelFormats

/// `workspace/executeCommand`: Inspect a model, check every manifest of the workspace.
enum Commands {
    static func execute(_ r: Features.Request) throws(ResponseError) -> Features.Reply {
        let args = r.params["arguments"]?.arrayValue ?? []
        switch r.params["command"]?.stringValue {
        case "slipway.inspect":
            guard let path = args.first?.stringValue else { throw .invalidParams("slipway.inspect needs the model's path") }
            do {
                return Features.Reply(result: try ModelReader.read(path: path).inspectionJSON())
            } catch {
                throw ResponseError(.requestFailed, error.description)
            }
        case "slipway.checkWorkspace":
            return checkWorkspace(r)
        case let other:
            throw .invalidParams("unknown command '\(other ?? "")'; known: \(ServerCapabilities.commands.joined(separator: ", "))")
        }
    }

    /// Checks every manifest below the workspace folders and publishes their diagnostics.
    static func checkWorkspace(_ r: Features.Request) -> Features.Reply {
        let fs = r.context.checker.fileSystem
        let files = Discovery.expand(r.context.workspaceFolders, fileSystem: fs).files
        let results = Discovery.checkAll(files, checker: r.context.checker)
        var notifications: [JSONValue] = []
        var errors = 0, warnings = 0
        for res in results {
            errors += res.errorCount
            warnings += res.warningCount
            let doc = Document(uri: LSP.uri(ofPath: res.path), version: 0, languageID: "yaml", text: String(decoding: res.lineIndex.bytes, as: UTF8.self))
            let diags = res.diagnostics.map { DiagnosticConversion.lsp($0, doc, unit: r.unit, capabilities: r.context.capabilities) }
            notifications.append(Outgoing.notification("textDocument/publishDiagnostics", ["uri": .string(doc.uri), "diagnostics": .array(diags)]))
        }
        let message = "Slipway checked \(results.count) manifest\(results.count == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
        notifications.append(Outgoing.notification("window/showMessage", ["type": .int(errors > 0 ? 2 : 3), "message": .string(message)]))
        return Features.Reply(
            result: ["files": .int(results.count), "errors": .int(errors), "warnings": .int(warnings)], notifications: notifications)
    }
}
