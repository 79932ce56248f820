import Diagnostics
import YAMLSyntax

/// Text edits of a manifest that follow the YAML around them (flow or block, the keys' indentation), for the
/// fixes of layers that cannot import each other: `Checking`'s TextFixes and `Evaluation`'s SW6007.
public enum ManifestEdits {
    /// `key: value` added to a mapping: before the closing brace of a flow mapping, or as a new line at the
    /// indentation of a block mapping's keys. Nil for an alias, an empty mapping or tabs in the indentation.
    public static func insert(_ key: String, _ value: String, into mapping: YAMLNode, text: [UInt8]) -> TextEdit? {
        guard mapping.aliasRange == nil, let last = mapping.pairs?.last(where: { !$0.isMerged }),
            mapping.range.start < text.count, last.value.range.end <= text.count
        else { return nil }
        if text[mapping.range.start] == UInt8(ascii: "{") {
            return TextEdit(range: .at(last.value.range.end), newText: ", \(key): \(value)")
        }
        var lineStart = last.key.range.start
        while lineStart > 0, text[lineStart - 1] != 0x0A { lineStart -= 1 }
        let indent = last.key.range.start - lineStart
        guard text[lineStart..<last.key.range.start].allSatisfy({ $0 == 0x20 }) else { return nil }
        var end = last.value.range.end
        while end < text.count, text[end] != 0x0A { end += 1 }
        let newline = end < text.count ? "" : "\n"
        return TextEdit(range: .at(min(end + 1, text.count)), newText: newline + String(repeating: " ", count: indent) + "\(key): \(value)\n")
    }

    /// `items` (YAML text each) appended to a sequence in its own style: `, x` before a flow sequence's `]`, or a
    /// `- x` line under the last item, as indented as its dash (after any comment on that line).
    public static func append(_ items: [String], to sequence: YAMLNode, text: [UInt8]) -> TextEdit? {
        guard !items.isEmpty, sequence.aliasRange == nil, let existing = sequence.items,
            sequence.range.start < text.count, sequence.range.end <= text.count
        else { return nil }
        if text[sequence.range.start] == UInt8(ascii: "[") {
            if let last = existing.last {
                return TextEdit(range: .at(last.range.end), newText: ", " + items.joined(separator: ", "))
            }
            return TextEdit(range: .at(sequence.range.start + 1), newText: items.joined(separator: ", "))
        }
        guard let last = existing.last, last.range.end <= text.count else { return nil }
        // The dash of the last item: its column is the sequence's indentation.
        var dash = last.range.start - 1
        while dash >= 0, text[dash] == 0x20 { dash -= 1 }
        guard dash >= 0, text[dash] == UInt8(ascii: "-") else { return nil }
        var lineStart = dash
        while lineStart > 0, text[lineStart - 1] != 0x0A { lineStart -= 1 }
        guard text[lineStart..<dash].allSatisfy({ $0 == 0x20 }) else { return nil }
        var end = last.range.end
        while end < text.count, text[end] != 0x0A { end += 1 }
        let indent = String(repeating: " ", count: dash - lineStart)
        return TextEdit(range: .at(end), newText: items.map { "\n" + indent + "- " + $0 }.joined())
    }

    /// Adds `names` to one target's `optimize.quantize.skip`, so that only that target changes: appended to the
    /// target's own list; else a `skip` key in the target's own `quantize` (with the entries it inherited, as a
    /// target's list replaces the manifest's); else `quantize: {skip: …}` in its `optimize`, else
    /// `optimize: {quantize: {skip: …}}` in the target. Each name is a glob matching exactly that name.
    public static func addToQuantizeSkip(_ names: [String], target: TargetSpec, manifest: Manifest, text: [UInt8]) -> TextEdit? {
        let inherited = (target.optimize.quantize?.skip ?? []).map(\.value)
        let fresh = names.filter { n in !inherited.contains(literalGlob(n)) }
        guard !fresh.isEmpty, let targetNode = node(of: target, in: manifest) else { return nil }
        let added = fresh.map { quoted(literalGlob($0)) }
        let list = "[" + (inherited.map(quoted) + added).joined(separator: ", ") + "]"
        guard let optimize = targetNode.pair("optimize") else {
            return insert("optimize", "{quantize: {skip: \(list)}}", into: targetNode, text: text)
        }
        guard optimize.value.pairs != nil else { return nil }
        guard let quantize = optimize.value.pair("quantize") else {
            return insert("quantize", "{skip: \(list)}", into: optimize.value, text: text)
        }
        guard quantize.value.pairs != nil else { return nil }
        guard let skip = quantize.value.pair("skip") else { return insert("skip", list, into: quantize.value, text: text) }
        return append(added, to: skip.value, text: text)
    }

    /// The target's mapping in the manifest's tree.
    static func node(of target: TargetSpec, in manifest: Manifest) -> YAMLNode? {
        guard let targets = manifest.root?["targets"]?.pairs else { return nil }
        return targets.first { !$0.isMerged && $0.key.reportRange == target.name.range && $0.value.pairs != nil }?.value
    }

    /// A `skip` glob that matches exactly `name`: `*`, `?` and `[` as one-character classes (which Python's fnmatch,
    /// used by the static quantization driver, reads alike), a backslash escaped.
    public static func literalGlob(_ name: String) -> String {
        var out = ""
        for c in name {
            switch c {
            case "*", "?", "[": out += "[\(c)]"
            case "\\": out += "\\\\"
            default: out.append(c)
            }
        }
        return out
    }

    /// A YAML double-quoted scalar (other control characters as `\xNN`, which YAML reads back): the one quoting
    /// of the YAML Slipway writes, fixes and generated alerting rules alike.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += "\\x" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}
