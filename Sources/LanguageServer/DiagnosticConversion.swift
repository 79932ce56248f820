import Checking
import Diagnostics
import JSON

/// Engine diagnostics as LSP diagnostics, in the negotiated encoding, with only the fields the client reads.
enum DiagnosticConversion {
    static func lsp(
        _ analysis: Analysis, _ doc: Document, unit: ColumnUnit, capabilities: ClientCapabilities, settings: Settings
    ) -> [JSONValue] {
        guard let result = analysis.result else { return [] }
        return result.diagnostics.filter { !settings.ignore.contains($0.code.rawValue) }.map { lsp($0, doc, unit: unit, capabilities: capabilities) }
    }

    static func severity(_ s: Severity) -> Int {
        switch s {
        case .error: 1
        case .warning: 2
        case .information: 3
        case .hint: 4
        }
    }

    static func lsp(_ d: Diagnostic, _ doc: Document, unit: ColumnUnit, capabilities: ClientCapabilities) -> JSONValue {
        var o: JSONObject = [
            "range": LSP.range(d.range, in: doc.lineIndex, unit: unit),
            "severity": .int(severity(d.severity)),
            "code": .string(d.code.rawValue),
            "source": "slipway",
            "message": .string(d.message),
        ]
        if capabilities.codeDescription { o["codeDescription"] = ["href": .string(d.code.documentationURL)] }
        let tags = d.tags.map { $0 == .unnecessary ? 1 : 2 }.filter { capabilities.diagnosticTags.contains($0) }
        if !tags.isEmpty { o["tags"] = .array(tags.map { .int($0) }) }
        if capabilities.relatedInformation, !d.related.isEmpty {
            o["relatedInformation"] = .array(d.related.compactMap { rel in
                if let file = rel.file {
                    // A rule's source is a URL; anything else is a path relative to the manifest.
                    let folder = PathUtil.directory(of: LSP.path(ofURI: doc.uri) ?? "")
                    let uri = file.contains("://") ? file : LSP.uri(ofPath: PathUtil.normalize(PathUtil.join(folder, file)))
                    return ["location": ["uri": .string(uri), "range": zeroRange], "message": .string(rel.message)]
                }
                guard let r = rel.range else { return nil }
                return [
                    "location": ["uri": .string(doc.uri), "range": LSP.range(r, in: doc.lineIndex, unit: unit)],
                    "message": .string(rel.message),
                ]
            })
        }
        return .object(o)
    }

    static let zeroRange: JSONValue = [
        "start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0],
    ]
}
