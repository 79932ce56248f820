import Diagnostics
import JSON

/// What the client said it can do; the server offers and sends only what it can use.
struct ClientCapabilities: Sendable {
    let raw: JSONValue

    init(_ raw: JSONValue) { self.raw = raw }

    var positionEncodings: [String] {
        raw["general"]?["positionEncodings"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
    var pullDiagnostics: Bool { raw["textDocument"]?["diagnostic"] != nil }
    var diagnosticRefresh: Bool { raw["workspace"]?["diagnostics"]?["refreshSupport"]?.boolValue == true }
    var codeLensRefresh: Bool { raw["workspace"]?["codeLens"]?["refreshSupport"]?.boolValue == true }
    var inlayHints: Bool { raw["textDocument"]?["inlayHint"] != nil }
    var snippets: Bool {
        raw["textDocument"]?["completion"]?["completionItem"]?["snippetSupport"]?.boolValue == true
    }
    var markdownHover: Bool {
        raw["textDocument"]?["hover"]?["contentFormat"]?.arrayValue?.contains("markdown") ?? false
    }
    var markdownCompletionDocs: Bool {
        raw["textDocument"]?["completion"]?["completionItem"]?["documentationFormat"]?.arrayValue?.contains("markdown") ?? false
    }
    var codeActionLiterals: Bool { raw["textDocument"]?["codeAction"]?["codeActionLiteralSupport"] != nil }
    var codeActionResolve: Bool {
        raw["textDocument"]?["codeAction"]?["resolveSupport"]?["properties"]?.arrayValue?.contains("edit") ?? false
    }
    var hierarchicalSymbols: Bool {
        raw["textDocument"]?["documentSymbol"]?["hierarchicalDocumentSymbolSupport"]?.boolValue == true
    }
    var relatedInformation: Bool {
        raw["textDocument"]?["publishDiagnostics"]?["relatedInformation"]?.boolValue == true
    }
    var diagnosticTags: [Int] {
        raw["textDocument"]?["publishDiagnostics"]?["tagSupport"]?["valueSet"]?.arrayValue?.compactMap(\.intValue) ?? []
    }
    var codeDescription: Bool {
        raw["textDocument"]?["publishDiagnostics"]?["codeDescriptionSupport"]?.boolValue == true
            || raw["textDocument"]?["diagnostic"] != nil
    }
    var watchedFilesDynamicRegistration: Bool {
        raw["workspace"]?["didChangeWatchedFiles"]?["dynamicRegistration"]?.boolValue == true
    }
    var configuration: Bool { raw["workspace"]?["configuration"]?.boolValue == true }
    var workDoneProgress: Bool { raw["window"]?["workDoneProgress"]?.boolValue == true }
    var workspaceFolders: Bool { raw["workspace"]?["workspaceFolders"]?.boolValue == true }
    var foldingLineOnly: Bool { raw["textDocument"]?["foldingRange"]?["lineFoldingOnly"]?.boolValue == true }
    var documentChanges: Bool { raw["workspace"]?["workspaceEdit"]?["documentChanges"]?.boolValue == true }
}

enum ServerCapabilities {
    static let commands = ["slipway.checkWorkspace", "slipway.inspect", "slipway.convert", "slipway.estimate", "slipway.test"]
    static let watchedGlobs = ["**/*.{onnx,tflite,safetensors,gguf}", "**/*.slipway.{yaml,yml}", "**/slipway.yaml"]

    static func make(for client: ClientCapabilities, unit: ColumnUnit) -> JSONObject {
        var caps: JSONObject = [
            "positionEncoding": .string(unit.rawValue),
            "textDocumentSync": ["openClose": true, "change": 2, "save": ["includeText": false]],
            "hoverProvider": true,
            "completionProvider": ["triggerCharacters": [":", " ", "-", "/", "@"], "resolveProvider": false],
            "codeActionProvider": client.codeActionLiterals
                ? [
                    "codeActionKinds": ["quickfix", "source.fixAll.slipway", "refactor.rewrite"],
                    "resolveProvider": .bool(client.codeActionResolve),
                ]
                : true,
            "documentSymbolProvider": true,
            "codeLensProvider": ["resolveProvider": false],
            "documentLinkProvider": ["resolveProvider": false],
            "foldingRangeProvider": true,
            "selectionRangeProvider": true,
            "executeCommandProvider": ["commands": .array(commands.map { .string($0) })],
        ]
        if client.pullDiagnostics {
            caps["diagnosticProvider"] = ["identifier": "slipway", "interFileDependencies": true, "workspaceDiagnostics": false]
        }
        if client.inlayHints { caps["inlayHintProvider"] = ["resolveProvider": false] }
        if client.workspaceFolders {
            caps["workspace"] = ["workspaceFolders": ["supported": true, "changeNotifications": true]]
        }
        return caps
    }
}
