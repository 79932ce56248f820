import Diagnostics
import JSON

/// Code actions: the engine's fixes for the diagnostics under the cursor, suppression comments, and
/// `source.fixAll.slipway` (every preferred fix at once).
enum CodeActions {
    static func actions(_ r: Features.Request) throws(ResponseError) -> JSONValue {
        let range = try r.range()
        guard let doc = r.document, let result = r.analysis?.result else { return [] }
        let only = r.params["context"]?["only"]?.arrayValue?.compactMap(\.stringValue)
        func wanted(_ kind: String) -> Bool {
            guard let only else { return true }
            return only.contains { kind == $0 || kind.hasPrefix($0 + ".") }
        }
        var out: [JSONValue] = []
        let here = result.diagnostics.filter { overlaps($0.range, range) }
        if wanted("quickfix") {
            for d in here {
                let lspDiag = DiagnosticConversion.lsp(d, doc, unit: r.unit, capabilities: r.context.capabilities)
                for fix in d.fixes {
                    out.append(action(fix.title, "quickfix", edits: fix.edits, r, diagnostics: [lspDiag], preferred: fix.isPreferred))
                }
                if d.code != .unusedSuppression {
                    out.append(
                        action("Suppress \(d.code.rawValue) on this line", "quickfix", edits: [suppressLine(d, doc)], r, diagnostics: [lspDiag]))
                    out.append(
                        action("Suppress \(d.code.rawValue) in this file", "quickfix", edits: [suppressFile(d.code, doc)], r, diagnostics: [lspDiag]))
                }
            }
        }
        if wanted("source.fixAll.slipway") {
            let edits = fixAll(result.diagnostics)
            if !edits.isEmpty { out.append(action("Fix all Slipway problems with an obvious fix", "source.fixAll.slipway", edits: edits, r)) }
        }
        return .array(out)
    }

    static func overlaps(_ a: ByteRange, _ b: ByteRange) -> Bool {
        a.start <= b.end && b.start <= a.end
    }

    /// Preferred fixes whose edits do not overlap an earlier one's.
    static func fixAll(_ ds: [Diagnostic]) -> [TextEdit] {
        var taken: [ByteRange] = []
        var edits: [TextEdit] = []
        for d in ds {
            guard let fix = d.fixes.first(where: \.isPreferred) else { continue }
            if fix.edits.contains(where: { e in taken.contains { overlaps($0, e.range) } }) { continue }
            edits += fix.edits
            taken += fix.edits.map(\.range)
        }
        return edits
    }

    /// `# slipway-ignore: CODE` on its own line above, at the line's indentation.
    static func suppressLine(_ d: Diagnostic, _ doc: Document) -> TextEdit {
        let line = doc.lineIndex.line(of: d.range.start)
        let lr = doc.lineIndex.lineRange(line)
        let indent = doc.bytes[lr.start..<lr.end].prefix(while: { $0 == 0x20 || $0 == 0x09 })
        return TextEdit(range: .at(lr.start), newText: String(decoding: indent, as: UTF8.self) + "# slipway-ignore: \(d.code.rawValue)\n")
    }

    static func suppressFile(_ code: DiagnosticCode, _ doc: Document) -> TextEdit {
        // After a leading modeline or comment block, so `# yaml-language-server:` stays first.
        var line = 0
        while line < doc.lineIndex.lineCount, doc.lineIndex.lineText(line).hasPrefix("#") { line += 1 }
        let at = line < doc.lineIndex.lineCount ? doc.lineIndex.lineRange(line).start : doc.bytes.count
        return TextEdit(range: .at(at), newText: "# slipway-ignore-file: \(code.rawValue)\n")
    }

    static func action(
        _ title: String, _ kind: String, edits: [TextEdit], _ r: Features.Request, diagnostics: [JSONValue] = [],
        preferred: Bool = false
    ) -> JSONValue {
        guard let doc = r.document else { return .null }
        let lspEdits: [JSONValue] = edits.map { ["range": r.lspRange($0.range), "newText": .string($0.newText)] }
        let edit: JSONValue = r.context.capabilities.documentChanges
            ? ["documentChanges": [["textDocument": ["uri": .string(doc.uri), "version": .int(doc.version)], "edits": .array(lspEdits)]]]
            : ["changes": .object([doc.uri: .array(lspEdits)])]
        var o: JSONObject = ["title": .string(title), "kind": .string(kind), "edit": edit]
        if !diagnostics.isEmpty { o["diagnostics"] = .array(diagnostics) }
        if preferred { o["isPreferred"] = true }
        return .object(o)
    }
}

extension JSONValue {
    static func object(_ d: [String: JSONValue]) -> JSONValue {
        var o = JSONObject()
        for (k, v) in d.sorted(by: { $0.key < $1.key }) { o[k] = v }
        return .object(o)
    }
}
