import Checking
import Diagnostics
import JSON
import Manifest
import ModelFormats
import Monitoring
import YAMLSyntax

/// Hover: the schema's description of a key (and of the chosen value); on the model path, the model's summary.
enum Hover {
    static func hover(_ r: Features.Request) throws(ResponseError) -> JSONValue {
        let offset = try r.offset()
        guard r.analysis?.result != nil, let root = r.yamlRoot(at: offset), let cur = Cursor.locate(root, offset) else {
            return .null
        }
        var sections: [String] = []
        let path = cur.keys.filter { Int($0) == nil }.joined(separator: ".")
        if let schema = Cursor.schema(for: cur.keys) {
            sections.append("**\(path.isEmpty ? "manifest" : path)** · \(typeName(schema))\n\n\(schema.description)")
            if !cur.isOnKey, let s = cur.node.scalar, let described = valueDescription(schema, s.text) {
                sections.append("`\(s.text)`: \(described)")
            } else if cur.isOnKey, case .string(let rule) = schema.kind, !rule.values.isEmpty {
                sections.append(rule.values.map { "- `\($0.value)`: \($0.description)" }.joined(separator: "\n"))
            }
            if let d = schema.defaultValue { sections.append("Default: `\(d.serialized())`") }
        } else if cur.isOnKey, let parent = Cursor.schema(for: Array(cur.keys.dropLast())), !parent.properties.isEmpty {
            // An unknown key: say what the mapping takes instead.
            let parentPath = cur.keys.dropLast().filter { Int($0) == nil }.joined(separator: ".")
            sections.append(
                "`\(cur.keys.last ?? "")` is not a key of **\(parentPath.isEmpty ? "the manifest" : parentPath)**. Valid keys:\n\n"
                    + parent.properties.map { "- `\($0.name)`: \($0.schema.description)" }.joined(separator: "\n"))
        }
        if cur.keys.first == "targets" {
            let target = cur.keys.count >= 2 ? r.analysis?.manifest?.target(named: cur.keys[1]) : nil
            sections += TargetHover.sections(keys: cur.keys, value: cur.isOnKey ? nil : cur.node.scalar?.text, target: target,
                                             modelPath: r.analysis?.manifest?.model?.path?.value)
            // On a target's name or its optimization: what its settings do to this model.
            if cur.keys.count == 2 || (cur.keys.count >= 3 && cur.keys[2] == "optimize"), let md = EstimateView(r)?.markdown(cur.keys[1]) {
                sections.append(md)
            }
        } else if cur.keys.first == "optimize", let view = EstimateView(r) {
            sections += view.manifest.targets.compactMap { view.markdown($0.name.value) }
        }
        if cur.keys.first == "monitor", cur.keys.count <= 2, let manifest = r.analysis?.manifest {
            // What `slipway monitor rules` will write from these thresholds, as they stand in the buffer.
            switch MonitorThresholds.from(manifest: manifest) {
            case .success(let t):
                sections.append("Alerting rules (`slipway monitor rules`):\n\n```yaml\n\(AlertRules.yaml(t, source: "this manifest"))```")
            case .failure(let e):
                sections.append("No alerting rules yet: \(e.message)")
            }
        }
        if cur.keys == ["model", "path"], !cur.isOnKey, let s = cur.node.scalar, let doc = r.document {
            sections.append(modelSummary(s.text, manifestURI: doc.uri, context: r.context))
        }
        guard !sections.isEmpty else { return .null }
        let range = cur.isOnKey ? (cur.keyNode?.range ?? cur.node.range) : cur.node.range
        let text = sections.joined(separator: "\n\n---\n\n")
        let contents: JSONValue = r.context.capabilities.markdownHover
            ? ["kind": "markdown", "value": .string(text)]
            : ["kind": "plaintext", "value": .string(text.replacingAll("**", "").replacingAll("`", ""))]
        return ["contents": contents, "range": r.lspRange(range)]
    }

    static func typeName(_ s: Schema) -> String {
        switch s.kind {
        case .object: return "mapping"
        case .map: return "mapping of names"
        case .array: return "list"
        case .string(let rule):
            if let f = rule.format {
                switch f {
                case .runtime: return "runtime[@version]"
                case .granularity: return "per-tensor | per-channel | per-block:N"
                case .nmPattern: return "\"N:M\""
                case .osVersion: return "OS and version"
                case .path: return "path"
                case .glob: return "glob"
                case .pathTemplate: return "path template"
                }
            }
            return rule.values.isEmpty ? "string" : rule.values.map(\.value).joined(separator: " | ")
        case .integer: return "integer"
        case .number: return "number"
        case .boolean: return "true | false"
        case .anyOf: return "one of several forms"
        }
    }

    static func valueDescription(_ schema: Schema, _ value: String) -> String? {
        guard case .string(let rule) = schema.kind else { return nil }
        if rule.format == .runtime {
            let name = value.split(separator: "@").first.map(String.init) ?? value
            return Vocabulary.runtimes.first { $0.value == name }?.description
        }
        if rule.format == .granularity, value.hasPrefix("per-block:") {
            return rule.values.first { $0.value.hasPrefix("per-block") }?.description
        }
        return rule.values.first { $0.value == value }?.description
    }

    /// The model's summary (format, parameters, size, operators, inputs and outputs), read in place.
    static func modelSummary(_ relative: String, manifestURI: String, context: Features.Context) -> String {
        guard let manifestPath = LSP.path(ofURI: manifestURI) else { return "" }
        let path = PathUtil.join(PathUtil.directory(of: manifestPath), relative)
        if context.defersModelWork {
            guard case .file = context.checker.fileSystem.kind(of: path) else { return "Cannot read the model: no file at \(path)" }
            guard let model = context.readyModel(path) else {
                return "The model is being read in the background; hover again when the diagnostics refresh."
            }
            return "```text\n" + model.textSummary(largest: 5) + "\n```"
        }
        do {
            let model = try context.checker.fileSystem.readModel(path)
            return "```text\n" + model.textSummary(largest: 5) + "\n```"
        } catch {
            return "Cannot read the model: \(error.description)"
        }
    }
}
