import Checking
import Diagnostics
import JSON
import Manifest
import YAMLSyntax

/// Completion works on the text, not the tree: while a key is being typed the YAML is usually broken, so
/// the context (which mapping, which key) comes from indentation, the way a reader sees it.
enum Completion {
    struct Context: Equatable {
        /// Keys from the root to the mapping the cursor is in.
        var path: [String]
        /// Set when the cursor is after `key:` (completing a value).
        var valueOf: String?
        /// What is typed so far, and where it starts.
        var prefix: String
        var prefixStart: Int
        /// Keys already present in the mapping at `path` (not offered again).
        var siblings: [String]
        /// The cursor is in a list item (`- …`) of the list at `path`.
        var listItem = false
    }

    static func complete(_ r: Features.Request) throws(ResponseError) -> JSONValue {
        let offset = try r.offset()
        guard let doc = r.document, r.analysis?.result != nil else { return .null }
        guard let ctx = context(doc.lineIndex, offset) else { return ["isIncomplete": false, "items": []] }
        let items = ctx.listItem ? globItems(ctx, r, doc) : ctx.valueOf == nil ? keyItems(ctx, r) : valueItems(ctx, r, doc)
        return ["isIncomplete": false, "items": .array(items)]
    }

    // MARK: context from the text

    static func context(_ index: LineIndex, _ offset: Int) -> Context? {
        let line = index.line(of: offset)
        let lr = index.lineRange(line)
        let before = Array(index.bytes[lr.start..<min(offset, lr.end)])
        // Inside a flow mapping on this line: `budget: {size_mb: 4, |`
        if let brace = lastUnclosedBrace(before) {
            let outer = parseKeyLine(Array(before[..<brace]))
            let inner = Array(before[(brace + 1)...])
            let segStart = (inner.lastIndex(where: { $0 == UInt8(ascii: ",") }).map { $0 + 1 }) ?? 0
            let segment = Array(inner[segStart...])
            let base = lr.start + brace + 1 + segStart
            var path = blockPath(index, line: line, indent: indentation(before))
            if let k = outer.key { path.append(k) }
            let siblings = flowKeys(Array(inner[..<segStart]))
            return contextFromSegment(segment, base: base, path: path, siblings: siblings)
        }
        let indent = indentation(before)
        var path = blockPath(index, line: line, indent: indent)
        var body = Array(before[indent...])
        var bodyStart = lr.start + indent
        if body.starts(with: [UInt8(ascii: "-"), 0x20]) {
            body = Array(body.dropFirst(2))
            bodyStart += 2
            if case .array(let items, _, _)? = Cursor.schema(for: path)?.kind, case .string = items.kind {
                // An item of a list of strings (`skip:` globs): the whole item is the prefix.
                return Context(
                    path: path, valueOf: nil, prefix: String(decoding: body, as: UTF8.self), prefixStart: bodyStart,
                    siblings: [], listItem: true)
            }
            // A list item: `- key: value` inside a list of mappings.
            path.append("0")
        }
        let siblings = siblingKeys(index, line: line, indent: indent)
        return contextFromSegment(body, base: bodyStart, path: path, siblings: siblings)
    }

    static func contextFromSegment(_ seg: [UInt8], base: Int, path: [String], siblings: [String]) -> Context? {
        let lead = seg.prefix(while: { $0 == 0x20 }).count
        let s = Array(seg[lead...])
        if let colon = s.firstIndex(of: UInt8(ascii: ":")) {
            let key = String(decoding: s[..<colon], as: UTF8.self)
            guard isKeyText(key) else { return nil }
            var vStart = colon + 1
            while vStart < s.count, s[vStart] == 0x20 { vStart += 1 }
            var prefix = Array(s[vStart...])
            var quoteSkip = 0
            if let q = prefix.first, q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") {
                prefix.removeFirst()
                quoteSkip = 1
            }
            return Context(
                path: path, valueOf: key, prefix: String(decoding: prefix, as: UTF8.self),
                prefixStart: base + lead + vStart + quoteSkip, siblings: siblings)
        }
        let text = String(decoding: s, as: UTF8.self)
        guard text.isEmpty || isKeyText(text) else { return nil }
        return Context(path: path, valueOf: nil, prefix: text, prefixStart: base + lead, siblings: siblings)
    }

    static func isKeyText(_ s: String) -> Bool {
        s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
    }

    static func indentation(_ b: [UInt8]) -> Int { b.prefix(while: { $0 == 0x20 }).count }

    /// Keys of the enclosing block mappings: walk up to each line indented less, that ends in `key:`.
    static func blockPath(_ index: LineIndex, line: Int, indent: Int) -> [String] {
        var keys: [String] = []
        var limit = indent
        var l = line - 1
        while l >= 0, limit > 0 {
            let text = Array(index.bytes[index.lineRange(l).start..<index.lineRange(l).end])
            let ind = indentation(text)
            defer { l -= 1 }
            guard ind < text.count, text[ind] != UInt8(ascii: "#"), ind < limit else { continue }
            var body = Array(text[ind...])
            var itemShift = 0
            if body.starts(with: [UInt8(ascii: "-"), 0x20]) {
                body = Array(body.dropFirst(2))
                itemShift = 2
            }
            let parsed = parseKeyLine(body)
            if let k = parsed.key {
                if itemShift > 0 && ind + itemShift < limit {
                    // `- key:` opens a mapping inside a list item.
                    keys.append(k)
                    keys.append("0")
                } else if parsed.opensBlock {
                    keys.append(k)
                }
            } else if itemShift > 0 {
                keys.append("0")
            }
            limit = ind
        }
        return keys.reversed()
    }

    /// `key:` at the start of a (trimmed) line; `opensBlock` when nothing but a comment follows the colon.
    static func parseKeyLine(_ b: [UInt8]) -> (key: String?, opensBlock: Bool) {
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")) else { return (nil, false) }
        let key = String(decoding: b[..<colon], as: UTF8.self).trimmingSpaces()
        guard !key.isEmpty, isKeyText(key) || key.hasPrefix("\"") else { return (nil, false) }
        let rest = String(decoding: b[(colon + 1)...], as: UTF8.self).trimmingSpaces()
        return (key.trimmingQuotes(), rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix("&"))
    }

    /// Keys on other lines of the same block mapping (same indentation, not separated by a shallower line).
    static func siblingKeys(_ index: LineIndex, line: Int, indent: Int) -> [String] {
        var keys: [String] = []
        for dir in [-1, 1] {
            var l = line + dir
            while l >= 0, l < index.lineCount {
                let text = Array(index.bytes[index.lineRange(l).start..<index.lineRange(l).end])
                let ind = indentation(text)
                l += dir
                if ind >= text.count || text[ind] == UInt8(ascii: "#") { continue }
                if ind < indent { break }
                if ind == indent, let k = parseKeyLine(Array(text[ind...])).key { keys.append(k) }
            }
        }
        return keys
    }

    static func lastUnclosedBrace(_ b: [UInt8]) -> Int? {
        var depth = 0
        var i = b.count - 1
        var inQuote = false
        while i >= 0 {
            let c = b[i]
            if c == UInt8(ascii: "\"") { inQuote.toggle() }
            if !inQuote {
                if c == UInt8(ascii: "}") { depth += 1 }
                if c == UInt8(ascii: "{") {
                    if depth == 0 { return i }
                    depth -= 1
                }
            }
            i -= 1
        }
        return nil
    }

    static func flowKeys(_ b: [UInt8]) -> [String] {
        String(decoding: b, as: UTF8.self).split(separator: ",").compactMap { part in
            part.split(separator: ":", maxSplits: 1).first.map { String($0).trimmingSpaces() }
        }
    }

    // MARK: items

    static func keyItems(_ ctx: Context, _ r: Features.Request) -> [JSONValue] {
        guard let schema = Cursor.schema(for: ctx.path) else { return [] }
        if case .map(let values, _, _, _) = schema.kind {
            // A mapping of open-ended names (a target's `tools`): offer the names Slipway knows.
            return schema.knownKeys.filter { !ctx.siblings.contains($0.value) && $0.value.hasPrefix(ctx.prefix) }.enumerated().map { i, k in
                item(
                    label: k.value, kind: 10, detail: Hover.typeName(values), doc: k.description, insert: k.value + ": ",
                    format: 1, ctx: ctx, r: r, sort: i)
            }
        }
        let snippets = r.context.capabilities.snippets
        return schema.properties.filter { !ctx.siblings.contains($0.name) && $0.name.hasPrefix(ctx.prefix) }.enumerated().map { i, p in
            var insert = p.name + ": "
            var format = 1
            switch p.schema.kind {
            case .object, .map:
                let indent = String(repeating: " ", count: max(0, columnOf(ctx.prefixStart, r)) + 2)
                insert = snippets ? "\(p.name):\n\(indent)$0" : "\(p.name):\n\(indent)"
                format = snippets ? 2 : 1
            default: break
            }
            return item(
                label: p.name, kind: 10, detail: Hover.typeName(p.schema) + (p.required ? " (required)" : ""),
                doc: p.schema.description, insert: insert, format: format, ctx: ctx, r: r, sort: i)
        }
    }

    static func columnOf(_ offset: Int, _ r: Features.Request) -> Int {
        guard let doc = r.document else { return 0 }
        return doc.lineIndex.position(of: offset, unit: .utf8).column
    }

    static func valueItems(_ ctx: Context, _ r: Features.Request, _ doc: Document) -> [JSONValue] {
        guard let key = ctx.valueOf, let schema = Cursor.schema(for: ctx.path + [key]) else { return [] }
        var values: [(String, String)] = []
        switch schema.kind {
        case .string(let rule):
            switch rule.format {
            case .path?:
                return pathItems(ctx, r, doc, models: ctx.path == ["model"] && key == "path")
            case .runtime?:
                values = TargetHover.runtimeCompletions(prefix: ctx.prefix) ?? Vocabulary.runtimes.map { ($0.value, $0.description) }
            default:
                values = key == "device" && ctx.path.first == "targets" ? TargetHover.deviceCompletions() : rule.values.map { ($0.value, $0.description) }
            }
        case .boolean:
            values = [("true", "Yes."), ("false", "No.")]
        default:
            break
        }
        if schema.nullable { values.append(("null", "Turn this step off for this target.")) }
        return values.filter { $0.0.hasPrefix(ctx.prefix) }.enumerated().map { i, v in
            item(label: v.0, kind: 12, detail: nil, doc: v.1, insert: v.0, format: 1, ctx: ctx, r: r, sort: i)
        }
    }

    /// Tensor and node names of the manifest's model, for `skip` globs. Quoted: a glob's `*` would start a
    /// YAML alias.
    static func globItems(_ ctx: Context, _ r: Features.Request, _ doc: Document) -> [JSONValue] {
        guard ctx.path.last == "skip", let rel = r.analysis?.manifest?.model?.path?.value,
            let manifest = LSP.path(ofURI: doc.uri)
        else { return [] }
        let path = PathUtil.join(PathUtil.directory(of: manifest), rel)
        guard case .file = r.context.checker.fileSystem.kind(of: path),
            let model = r.context.readyModel(path)
        else { return [] }
        let typed = ctx.prefix.trimmingQuotes().replacingAll("\"", "")
        var names: [(String, String)] = model.tensors.filter { $0.shape.count >= 2 }.map {
            ($0.name, "\($0.dtype.name) \($0.shape.map(String.init).joined(separator: "×")) tensor")
        }
        for g in model.graphs { for n in g.nodes where !n.name.isEmpty { names.append((n.name, "\(n.opType) node")) } }
        var seen = Set<String>()
        return names.filter { seen.insert($0.0).inserted && $0.0.hasPrefix(typed) }.prefix(500).enumerated().map { i, n in
            item(label: n.0, kind: 6, detail: n.1, doc: nil, insert: JSONValue.string(n.0).serialized(), format: 1, ctx: ctx, r: r, sort: i)
        }
    }

    /// Files and folders next to the manifest for a path value; model files only, for `model.path`.
    static func pathItems(_ ctx: Context, _ r: Features.Request, _ doc: Document, models: Bool) -> [JSONValue] {
        guard let manifest = LSP.path(ofURI: doc.uri) else { return [] }
        let typedDir = ctx.prefix.contains("/") ? PathUtil.directory(of: ctx.prefix) : ""
        let dir = PathUtil.join(PathUtil.directory(of: manifest), typedDir.isEmpty ? "." : typedDir)
        let fs = r.context.checker.fileSystem
        let modelExtensions = [".onnx", ".tflite", ".safetensors", ".gguf"]
        var out: [JSONValue] = []
        for name in fs.list(dir) where !name.hasPrefix(".") {
            let full = PathUtil.join(dir, name)
            let isDir = fs.kind(of: full) == .directory
            if models && !isDir && !modelExtensions.contains(where: { name.hasSuffix($0) }) { continue }
            let value = (typedDir.isEmpty ? "" : typedDir + "/") + name + (isDir ? "/" : "")
            guard value.hasPrefix(ctx.prefix) else { continue }
            out.append(item(label: value, kind: isDir ? 19 : 17, detail: nil, doc: nil, insert: value, format: 1, ctx: ctx, r: r, sort: out.count))
            if out.count >= 200 { break }
        }
        return out
    }

    static func item(
        label: String, kind: Int, detail: String?, doc: String?, insert: String, format: Int, ctx: Context,
        r: Features.Request, sort: Int
    ) -> JSONValue {
        var o: JSONObject = ["label": .string(label), "kind": .int(kind)]
        if let detail { o["detail"] = .string(detail) }
        if let doc {
            o["documentation"] = r.context.capabilities.markdownCompletionDocs
                ? ["kind": "markdown", "value": .string(doc)] : .string(doc)
        }
        o["sortText"] = .string(String.sortKey(sort))
        o["insertTextFormat"] = .int(format)
        // Replace what was typed, so the edit is exact whatever the client's word rules.
        let end = ctx.prefixStart + ctx.prefix.utf8.count
        o["textEdit"] = ["range": r.lspRange(ByteRange(ctx.prefixStart, end)), "newText": .string(insert)]
        return .object(o)
    }
}

extension String {
    /// A sort key that keeps the schema's order: 0000, 0001, …
    static func sortKey(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: Swift.max(0, 4 - s.count)) + s
    }

    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }

    func trimmingQuotes() -> String {
        if count >= 2, (hasPrefix("\"") && hasSuffix("\"")) || (hasPrefix("'") && hasSuffix("'")) {
            return String(dropFirst().dropLast())
        }
        return self
    }
}
