import CheckedMath
import Compression
import Diagnostics
import Manifest
import Targets

/// The Compression engine's findings for a target, as diagnostics on the manifest: on the target's effective
/// `granularity` (else its `weights`) value, with fixes where the remedy is a value to write.
public enum EstimateDiagnostics {
    /// `text` is the manifest's bytes, used only to shape the `skip` fix like the surrounding YAML (flow or
    /// block); without it that fix is not offered. `modelPath` names the model in the related information.
    public static func diagnostics(
        target: TargetSpec, result: EstimateResult, text: [UInt8]? = nil, modelPath: String? = nil
    ) -> [Diagnostic] {
        let prefix = "target '\(target.name.value)': "
        let sparse = alreadySparse(target: target, result: result, prefix: prefix, modelPath: modelPath)
        guard let q = target.optimize.quantize, let weights = q.weights else { return sparse }
        var out: [Diagnostic] = sparse
        // For 4-bit weights the per-block advice supersedes "per-channel would be better": say the better one.
        let blocks = result.findings.contains { $0.kind == .int4NeedsPerBlock }
        for f in result.findings {
            let related = f.tensors.prefix(5).map { name -> RelatedLocation in
                let db = result.worst.first { $0.name == name }.map { " (\(format($0.sqnrDB)))" } ?? ""
                return RelatedLocation(file: modelPath, message: "tensor '\(name)'\(db)")
            }
            switch f.kind {
            case .betterScheme, .int4NeedsPerBlock:
                if f.kind == .betterScheme && blocks { continue }
                guard let alt = f.alternative.flatMap(manifestGranularity), let from = f.fromDB, let to = f.toDB else {
                    continue
                }
                let at = q.granularity?.range ?? weights.range
                let title = "Use \(alt) scales"
                let fixes: [Fix]
                if let g = q.granularity {
                    fixes = [Fix(title: title, edits: [TextEdit(range: g.range, newText: alt)], isPreferred: true)]
                } else if let text, let edit = insertion(after: weights, key: "granularity", value: alt, text: text) {
                    fixes = [Fix(title: title, edits: [edit], isPreferred: true)]
                } else {
                    fixes = []
                }
                let code: DiagnosticCode = f.kind == .int4NeedsPerBlock ? .int4NeedsPerBlock : .betterGranularity
                let what = code == .int4NeedsPerBlock
                    ? "\(weights.value) with \(q.granularity?.value.description ?? "per-channel") scales loses too much"
                    : "\(q.granularity?.value.description ?? "these") scales lose accuracy"
                out.append(Diagnostic(
                    code, prefix + "\(what): the worst tensor '\(f.tensors.first ?? "?")' is at \(format(from)); \(alt) "
                        + "scales would raise it to \(format(to))",
                    at: at, related: related, fixes: fixes))
            case .keepInFloat:
                // Every tensor of a 4-bit model sits near 20 dB; the finding is news only when a few tensors
                // dominate the error: keeping them in float must raise the aggregate by the engine's margin.
                guard let from = f.fromDB, let to = f.toDB, to - from >= minimumGainDB else { continue }
                let names = f.tensors.map { "'\($0)'" }.joined(separator: ", ")
                var message = prefix + "\(f.tensors.count == 1 ? "tensor" : "tensors") \(names) lose the most with "
                    + "\(f.scheme ?? weights.value) (worst \(result.sqnrDBMin.map(format) ?? "?"))"
                if let to = f.toDB {
                    message += "; keeping \(f.tensors.count == 1 ? "it" : "them") in float raises the aggregate SQNR "
                        + "from \(result.sqnrDBAggregate.map(format) ?? "?") to \(format(to))"
                }
                let fix = text.flatMap { skipFix(q: q, weights: weights, names: f.tensors, text: $0) }
                out.append(Diagnostic(.tensorsLoseMost, message, at: weights.range, related: related,
                                      fixes: fix.map { [$0] } ?? []))
            case .nonFiniteValues:
                out.append(Diagnostic(
                    .nonFiniteWeights,
                    prefix + "tensor '\(f.tensors.first ?? "?")' holds \(count(f.value)) NaN or infinite values: "
                        + "they cannot be quantized and are left out of the figures; fix the model before converting it",
                    at: weights.range, related: related))
            case .alreadySparse, .alreadyQuantized:
                // Already quantized is SW4011 (the Targets layer); already sparse is said above, for pruning targets.
                continue
            }
        }
        return out
    }

    /// SW5005: a target prunes tensors whose stored values are already mostly zeros (a pruned checkpoint):
    /// pruning again either changes nothing or cuts into what the first pruning kept. On the prune criterion.
    static func alreadySparse(target: TargetSpec, result: EstimateResult, prefix: String, modelPath: String?)
        -> [Diagnostic]
    {
        guard let criterion = target.optimize.prune?.criterion else { return [] }
        let findings = result.findings.filter { $0.kind == .alreadySparse && !$0.tensors.isEmpty }
        guard !findings.isEmpty else { return [] }
        let names = findings.flatMap(\.tensors)
        let percents = findings.map { f in f.value.map { "\(Int(roundingSaturating: $0 * 100))%" } ?? "mostly" }
        let listed = zip(names, percents).prefix(3).map { "'\($0)' (\($1) zeros)" }.joined(separator: ", ")
            + (names.count > 3 ? " and \(names.count - 3) more" : "")
        var what = "prunes again"
        if case .sparsity(let s) = criterion.value {
            what = "pruning to \(Int(roundingSaturating: s * 100))% sparsity \(findings.allSatisfy { ($0.value ?? 0) >= s } ? "changes nothing there" : "cuts into the values the first pruning kept")"
        }
        let related = names.prefix(5).map { RelatedLocation(file: modelPath, message: "tensor '\($0)'") }
        return [Diagnostic(
            .alreadySparse,
            prefix + "\(names.count == 1 ? "tensor" : "tensors") \(listed) \(names.count == 1 ? "is" : "are") already "
                + "sparse (a pruned checkpoint?): \(what); list \(names.count == 1 ? "it" : "them") in prune.skip, or "
                + "prune the dense model",
            at: criterion.range, related: related)]
    }

    /// SW5003 is reported when keeping the named tensors in float raises the aggregate SQNR by this much.
    public static let minimumGainDB = 3.0

    /// Diagnostics of several targets, said once per place (the Targets layer's rule, shared).
    public static func merged(_ ds: [Diagnostic]) -> [Diagnostic] { TargetChecks.mergedAcrossTargets(ds) }

    /// `int4-sym-per-block-32` → `per-block:32`; `int8-sym-per-channel` → `per-channel`.
    static func manifestGranularity(_ label: String) -> String? {
        let parts = label.split(separator: "-")
        if let i = parts.firstIndex(of: "block"), i > 0, parts[i - 1] == "per", i + 1 < parts.count,
            let n = Int(parts[i + 1]) {
            return "per-block:\(n)"
        }
        if label.contains("per-channel") { return "per-channel" }
        if label.contains("per-tensor") { return "per-tensor" }
        return nil
    }

    /// A count read back from JSON (a cache entry may hold anything): never a trapping conversion.
    static func count(_ v: Double?) -> String {
        guard let v, v.isFinite, abs(v) < 1e15 else { return "some" }
        return String(Int(v))
    }

    static func format(_ db: Double) -> String {
        "\((db * 10).rounded() / 10) dB"
    }

    /// Adds `names` to the `skip` list, in the list's own style; or adds a `skip` key next to `weights`.
    static func skipFix(q: QuantizeSpec, weights: Located<String>, names: [String], text: [UInt8]) -> Fix? {
        // Written as globs that match exactly each name (a `[` in a tensor name would otherwise open a class).
        let fresh = names.filter { n in !q.skip.contains { $0.value == ManifestEdits.literalGlob(n) } }
        guard !fresh.isEmpty else { return nil }
        let quoted = fresh.map { ManifestEdits.quoted(ManifestEdits.literalGlob($0)) }
        let title = "Keep \(fresh.count == 1 ? "it" : "them") in float (add to skip)"
        if let last = q.skip.last {
            let end = min(last.range.end, text.count)
            guard let start = q.skip.first?.range.start, start <= text.count else { return nil }
            // Flow list: `[a, b]`; block list: `- a` lines.
            var i = start - 1
            while i >= 0, text[i] == UInt8(ascii: " ") || text[i] == UInt8(ascii: "\t") { i -= 1 }
            if i >= 0, text[i] == UInt8(ascii: "[") || text[i] == UInt8(ascii: ",") {
                return Fix(title: title, edits: [TextEdit(range: ByteRange(end, end), newText: ", " + quoted.joined(separator: ", "))])
            }
            guard i >= 0, text[i] == UInt8(ascii: "-") else { return nil }
            let indent = column(of: i, in: text)
            let lines = quoted.map { "\n" + String(repeating: " ", count: indent) + "- " + $0 }.joined()
            return Fix(title: title, edits: [TextEdit(range: ByteRange(end, end), newText: lines)])
        }
        let list = "[" + quoted.joined(separator: ", ") + "]"
        return insertion(after: weights, key: "skip", value: list, text: text).map { Fix(title: title, edits: [$0]) }
    }

    /// An edit adding `key: value` to the mapping that holds `weights`: `, key: value` in a flow mapping, a
    /// line as indented as `weights` in a block mapping.
    static func insertion(after weights: Located<String>, key: String, value: String, text: [UInt8]) -> TextEdit? {
        let at = weights.range.start
        guard at <= text.count, weights.range.end <= text.count else { return nil }
        var i = at - 1
        while i >= 0, text[i] != UInt8(ascii: "\n"), text[i] != UInt8(ascii: "{"), text[i] != UInt8(ascii: ",") { i -= 1 }
        if i >= 0, text[i] == UInt8(ascii: "{") || text[i] == UInt8(ascii: ",") {
            let end = weights.range.end
            return TextEdit(range: ByteRange(end, end), newText: ", \(key): \(value)")
        }
        var lineStart = at
        while lineStart > 0, text[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        var indent = 0
        while lineStart + indent < text.count, text[lineStart + indent] == UInt8(ascii: " ") { indent += 1 }
        var lineEnd = weights.range.end
        while lineEnd < text.count, text[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        return TextEdit(range: ByteRange(lineEnd, lineEnd),
                        newText: "\n" + String(repeating: " ", count: indent) + "\(key): \(value)")
    }

    static func column(of offset: Int, in text: [UInt8]) -> Int {
        var s = offset
        while s > 0, text[s - 1] != UInt8(ascii: "\n") { s -= 1 }
        return offset - s
    }
}
