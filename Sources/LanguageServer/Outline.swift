import Checking
import Diagnostics
import JSON
import YAMLSyntax

/// The document's structure for the editor: symbols (the deployment steps and each target), folding
/// ranges, selection ranges, and links from the model path to the model file.
enum Outline {
    static let maxSymbols = 5000

    static func roots(_ r: Features.Request) -> [YAMLNode] {
        r.analysis?.file?.stream.documents.compactMap(\.root) ?? []
    }

    // MARK: symbols

    static func symbols(_ r: Features.Request) -> JSONValue {
        guard r.analysis?.result != nil, let doc = r.document else { return [] }
        var count = 0
        let hierarchical = r.context.capabilities.hierarchicalSymbols
        var flat: [JSONValue] = []
        func symbol(_ p: YAMLPair, depth: Int, container: String?) -> JSONValue? {
            guard count < maxSymbols, let name = p.key.scalar?.text, !p.isMerged else { return nil }
            count += 1
            let range = p.key.range.union(p.value.range)
            let kind: Int
            switch p.value.value {
            case .mapping: kind = depth == 0 ? 2 : 19  // Module for a step, Object below
            case .sequence: kind = 18  // Array
            default: kind = 7  // Property
            }
            // Two levels: the steps, and each target or sub-step; deeper keys are noise in an outline.
            let children = depth < 1 ? (p.value.pairs ?? []).compactMap { symbol($0, depth: depth + 1, container: name) } : []
            if !hierarchical {
                flat.append([
                    "name": .string(name), "kind": .int(kind),
                    "location": ["uri": .string(doc.uri), "range": r.lspRange(range)],
                    "containerName": container.map { .string($0) } ?? .null,
                ])
                return nil
            }
            var o: JSONObject = [
                "name": .string(name), "kind": .int(kind), "range": r.lspRange(range), "selectionRange": r.lspRange(p.key.range),
            ]
            if let s = p.value.scalar { o["detail"] = .string(s.text) }
            if !children.isEmpty { o["children"] = .array(children) }
            return .object(o)
        }
        var out: [JSONValue] = []
        for root in roots(r) {
            for p in root.pairs ?? [] { if let s = symbol(p, depth: 0, container: nil) { out.append(s) } }
        }
        return .array(hierarchical ? out : flat)
    }

    // MARK: folding

    static func folding(_ r: Features.Request) -> JSONValue {
        guard r.analysis?.result != nil, let doc = r.document else { return [] }
        var out: [JSONValue] = []
        func visit(_ n: YAMLNode, from start: Int, depth: Int) {
            guard depth < 64, out.count < maxSymbols else { return }
            let first = doc.lineIndex.line(of: start)
            let last = doc.lineIndex.line(of: max(n.range.start, n.range.end - 1))
            switch n.value {
            case .mapping(let pairs):
                if last > first { out.append(["startLine": .int(first), "endLine": .int(last)]) }
                for p in pairs where !p.isMerged && p.value.aliasRange == nil { visit(p.value, from: p.key.range.start, depth: depth + 1) }
            case .sequence(let items):
                if last > first { out.append(["startLine": .int(first), "endLine": .int(last)]) }
                for i in items where i.aliasRange == nil { visit(i, from: i.range.start, depth: depth + 1) }
            case .scalar(let s) where s.style == .literal || s.style == .folded:
                if last > first { out.append(["startLine": .int(first), "endLine": .int(last)]) }
            default: break
            }
        }
        for root in roots(r) {
            for p in root.pairs ?? [] where !p.isMerged { visit(p.value, from: p.key.range.start, depth: 0) }
        }
        return .array(out)
    }

    // MARK: selection ranges

    static func selection(_ r: Features.Request) throws(ResponseError) -> JSONValue {
        guard let doc = r.document else { throw .invalidParams("the document is not open") }
        let positions = r.params["positions"]?.arrayValue ?? []
        return .array(positions.map { p -> JSONValue in
            let offset = LSP.offset(p, in: doc.lineIndex, unit: r.unit) ?? 0
            var chain: [ByteRange] = []
            if let root = r.yamlRoot(at: offset) {
                var current: YAMLNode? = root
                var depth = 0
                while let n = current, depth < 256 {
                    depth += 1
                    chain.append(n.range)
                    current = nil
                    if case .mapping(let pairs) = n.value {
                        for pr in pairs where !pr.isMerged {
                            if pr.key.range.touches(offset) || pr.value.range.touches(offset) {
                                chain.append(pr.key.range.union(pr.value.range))
                                if pr.key.range.touches(offset) { chain.append(pr.key.range) } else { current = pr.value }
                                break
                            }
                        }
                    } else if case .sequence(let items) = n.value {
                        current = items.first { $0.range.touches(offset) }
                    }
                }
            }
            if chain.isEmpty { chain = [.at(offset)] }
            // Innermost first, each with its parent; drop repeats.
            var result: JSONValue = .null
            var last: ByteRange?
            for range in chain where range != last {
                var o: JSONObject = ["range": r.lspRange(range)]
                if result != .null { o["parent"] = result }
                result = .object(o)
                last = range
            }
            return result
        })
    }

    // MARK: links

    static func links(_ r: Features.Request) -> JSONValue {
        guard let doc = r.document, let manifests = r.analysis?.file?.documents, let path = LSP.path(ofURI: doc.uri) else { return [] }
        var out: [JSONValue] = []
        for m in manifests {
            guard let p = m.manifest.model?.path else { continue }
            let full = PathUtil.normalize(PathUtil.join(PathUtil.directory(of: path), p.value))
            out.append(["range": r.lspRange(p.range), "target": .string(LSP.uri(ofPath: full)), "tooltip": "Open the model file"])
        }
        return .array(out)
    }
}
