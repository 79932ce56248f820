import JSON

/// Diagnostics across the worker boundary (the analysis of a model runs in a child process, see
/// `Isolation`): every field, so that what the server publishes is what an in-process check would have made.
/// Decoding is strict: an entry that does not decode is dropped, never guessed.
extension Diagnostic {
    public var wireJSON: JSONValue {
        var o: JSONObject = [
            "code": .string(code.rawValue), "severity": .string(severity.rawValue), "message": .string(message),
            "range": Self.rangeJSON(range),
        ]
        if !related.isEmpty {
            o["related"] = .array(related.map { r in
                var x: JSONObject = ["message": .string(r.message)]
                if let f = r.file { x["file"] = .string(f) }
                if let range = r.range { x["range"] = Self.rangeJSON(range) }
                return .object(x)
            })
        }
        if !fixes.isEmpty {
            o["fixes"] = .array(fixes.map { f in
                .object([
                    "title": .string(f.title), "preferred": .bool(f.isPreferred),
                    "edits": .array(f.edits.map { .object(["range": Self.rangeJSON($0.range), "text": .string($0.newText)]) }),
                ])
            })
        }
        if !tags.isEmpty { o["tags"] = .array(tags.map { .string($0.rawValue) }) }
        if !targets.isEmpty { o["targets"] = .array(targets.map { .string($0) }) }
        return .object(o)
    }

    public init?(wireJSON j: JSONValue) {
        guard let code = j["code"]?.stringValue.flatMap(DiagnosticCode.init(rawValue:)),
            let severity = j["severity"]?.stringValue.flatMap(Severity.init(rawValue:)),
            let message = j["message"]?.stringValue, let range = Self.range(j["range"])
        else { return nil }
        var related: [RelatedLocation] = []
        for r in j["related"]?.arrayValue ?? [] {
            guard let m = r["message"]?.stringValue else { return nil }
            related.append(RelatedLocation(file: r["file"]?.stringValue, range: Self.range(r["range"]), message: m))
        }
        var fixes: [Fix] = []
        for f in j["fixes"]?.arrayValue ?? [] {
            guard let title = f["title"]?.stringValue else { return nil }
            var edits: [TextEdit] = []
            for e in f["edits"]?.arrayValue ?? [] {
                guard let r = Self.range(e["range"]), let t = e["text"]?.stringValue else { return nil }
                edits.append(TextEdit(range: r, newText: t))
            }
            fixes.append(Fix(title: title, edits: edits, isPreferred: f["preferred"]?.boolValue ?? false))
        }
        let tags = (j["tags"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(DiagnosticTag.init(rawValue:)) }
        self.init(code, message, at: range, severity: severity, related: related, fixes: fixes, tags: tags)
        targets = (j["targets"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func rangeJSON(_ r: ByteRange) -> JSONValue { .array([.int(r.start), .int(r.end)]) }

    static func range(_ j: JSONValue?) -> ByteRange? {
        guard let a = j?.arrayValue, a.count == 2, let s = a[0].intValue, let e = a[1].intValue, s >= 0, e >= s else {
            return nil
        }
        return ByteRange(s, e)
    }
}
