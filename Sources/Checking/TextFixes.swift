import Diagnostics
import Manifest
import ModelFormats
import Targets
import YAMLSyntax

/// Fixes that need the manifest's text and the model together, added to the Targets layer's diagnostics
/// here (Targets sees neither the text nor the YAML tree): "add calibration data" for SW4010, "fix the
/// dynamic inputs" for SW4012, and `delegate: cpu` for a LiteRT target XNNPACK, applied by default, fails (SW4004).
enum TextFixes {
    static func add(_ ds: [Diagnostic], manifest m: Manifest, model: Model?, text: [UInt8]) -> [Diagnostic] {
        ds.map { d in
            guard d.fixes.isEmpty else { return d }
            var d = d
            switch d.code {
            case .calibrationMissing:
                if let edit = calibration(at: d.range, root: m.root, text: text) {
                    d.fixes = [Fix(title: "Add calibration data (calibration: data/calib/)", edits: [edit])]
                }
            case .operatorUnsupported where d.message.contains(Coverage.builtinKernelsWayOut):
                // XNNPACK, applied by default, refuses the model: the builtin kernels alone run it.
                if let root = m.root, let mapping = mapping(holdingValueAt: d.range, in: root, depth: 0),
                   let edit = insert("delegate", "cpu", into: mapping, text: text)
                {
                    d.fixes = [Fix(title: Coverage.builtinKernelsFixTitle, edits: [edit], isPreferred: true)]
                }
            case .dynamicShapes:
                if let model, let edit = staticInputs(model, manifest: m, text: text) {
                    d.fixes = [Fix(title: "Fix the dynamic input dimensions to 1 under model.inputs", edits: [edit])]
                }
            default: break
            }
            return d
        }
    }

    /// Inserts `calibration:` into the mapping that holds the `activations` value at `range`.
    static func calibration(at range: ByteRange, root: YAMLNode?, text: [UInt8]) -> TextEdit? {
        guard let root, let mapping = mapping(holdingValueAt: range, in: root, depth: 0) else { return nil }
        return insert("calibration", "data/calib/", into: mapping, text: text)
    }

    /// Inserts `inputs:` under `model` with each input's shape, dynamic dimensions set to 1.
    static func staticInputs(_ model: Model, manifest m: Manifest, text: [UInt8]) -> TextEdit? {
        // No `inputs:` key yet: a manifest that gives only values (`sr: 16000`) has one, and a second would be a duplicate.
        guard m.model.map({ $0.inputs.isEmpty && $0.inputValues.isEmpty }) ?? false, let modelNode = m.root?["model"], modelNode.pairs != nil else { return nil }
        let shapes: [String] = model.inputs.compactMap { input in
            guard let dims = input.shape else { return nil }
            let ds = dims.map { d -> String in
                if case .fixed(let n) = d { return String(n) }
                return "1"
            }
            let name = input.name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." } ? input.name : "\"\(input.name)\""
            return "\(name): [\(ds.joined(separator: ", "))]"
        }
        guard !shapes.isEmpty else { return nil }
        return insert("inputs", "{\(shapes.joined(separator: ", "))}", into: modelNode, text: text)
    }

    static func mapping(holdingValueAt range: ByteRange, in node: YAMLNode, depth: Int) -> YAMLNode? {
        guard depth < 64 else { return nil }
        if let pairs = node.pairs {
            if pairs.contains(where: { !$0.isMerged && $0.value.range == range }) { return node }
            for p in pairs where !p.isMerged && p.value.range.start <= range.start && range.end <= p.value.range.end {
                if let m = mapping(holdingValueAt: range, in: p.value, depth: depth + 1) { return m }
            }
        }
        for item in node.items ?? [] where item.range.start <= range.start && range.end <= item.range.end {
            if let m = mapping(holdingValueAt: range, in: item, depth: depth + 1) { return m }
        }
        return nil
    }

    static func insert(_ key: String, _ value: String, into mapping: YAMLNode, text: [UInt8]) -> TextEdit? {
        ManifestEdits.insert(key, value, into: mapping, text: text)
    }
}
