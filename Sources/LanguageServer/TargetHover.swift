import CheckedMath
import Checking
import Manifest
import Planning
import Targets

/// Hover text from the target catalogue: what a runtime or device is, and the rules that apply, each with
/// its source, so the user can check the rule where it comes from.
enum TargetHover {
    static let catalogue: Catalogue? = try? Catalogue.embedded.get()

    /// `keys` is the cursor's key path; `value` the scalar under it.
    static func sections(keys: [String], value: String?, target: TargetSpec?, modelPath: String? = nil) -> [String] {
        guard let catalogue, keys.count >= 2, keys[0] == "targets" else { return [] }
        if keys.count == 3, keys[2] == "runtime", let value {
            let name = value.split(separator: "@").first.map(String.init) ?? value
            guard let rt = catalogue.runtime(name) else { return [] }
            return [runtimeText(rt, pinned: target?.runtime?.value.version, catalogue)]
        }
        if keys.count == 3, keys[2] == "device", let value, let d = catalogue.device(value) {
            return [deviceText(d, catalogue)]
        }
        if keys.count == 4, keys[2] == "tools" {
            return toolText(keys[3], catalogue)
        }
        if keys.count == 2, let target {
            // On the target's name: the path its artifact takes, its runtime and every rule that can apply to it.
            var out: [String] = []
            if let modelPath { out.append(conversionText(target, modelPath: modelPath, catalogue)) }
            if let rtName = target.runtime?.value.name, let rt = catalogue.runtime(rtName) {
                out.append(runtimeText(rt, pinned: target.runtime?.value.version, catalogue))
            }
            return out
        }
        return []
    }

    /// The plan's conversion path for the target (the one `check` and `convert` decide from), the model's format
    /// read from its file name: how the artifact is made, the opset an exporter writes, or why it cannot be.
    static func conversionText(_ t: TargetSpec, modelPath: String, _ c: Catalogue) -> String {
        let source = TargetPlan.sourceByName(modelPath)
        let plan = TargetPlan.make(target: t, source: source, runtimeMaxOpset: ManifestChecker.runtimeMaxOpset(t, catalogue: c))
        let from = source ?? "the model"
        var line: String
        switch plan.route {
        case .native?: line = "\(from) → \(plan.format) by Slipway's own converter"
        case .tool(let tool)?:
            let path = ConversionPaths.table.paths.first { $0.from == source && $0.to == plan.format && $0.via == tool }
            line = "\(from) → \(plan.format) by `\(tool)`" + (path?.then == "native" ? ", then Slipway's ONNX converter" : "")
            if let o = plan.exportOpset { line += ", exported at opset \(o)" }
        case .impossible?: line = "no conversion path from \(from) to \(plan.format)"
        case nil: line = "\(plan.format), by the converter the model's format takes"
        }
        var lines = ["**Conversion**: " + line]
        lines += plan.problems.map { "- ✗ \($0.message)" }
        return lines.joined(separator: "\n")
    }

    static func runtimeText(_ rt: Runtime, pinned: String?, _ c: Catalogue) -> String {
        var lines = ["**\(rt.title)** (`\(rt.name)`), runs \(rt.modelFormats.joined(separator: ", "))"]
        if let pinned {
            if let v = rt.version(pinned) {
                var facts: [String] = []
                if let o = v.maxOpset { facts.append("ONNX opset ≤ \(o)") }
                if let ir = v.maxIR { facts.append("IR ≤ \(ir)") }
                lines.append("Version \(pinned)" + (facts.isEmpty ? "" : ": " + facts.joined(separator: ", ")))
            } else {
                lines.append("Version \(pinned) is not in the catalogue.")
            }
        }
        if !rt.versions.isEmpty {
            lines.append("Known versions: " + rt.versions.map(\.version).joined(separator: ", "))
        }
        if !rt.delegates.isEmpty {
            lines.append("Delegates: " + rt.delegates.map { "`\($0.name)`" }.joined(separator: ", "))
        }
        let rules = c.rules.filter { $0.runtimes.contains(rt.name) }
        if !rules.isEmpty {
            lines.append("Rules:\n" + rules.prefix(12).map { "- \($0.text) — *\(c.cite($0.source))*" }.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n\n")
    }

    /// A pinned tool: what it is, and the known-bad combinations that involve it, each with its source.
    static func toolText(_ tool: String, _ c: Catalogue) -> [String] {
        var out: [String] = []
        if let d = Vocabulary.tools.first(where: { $0.0 == tool }) { out.append("`\(tool)`: \(d.1)") }
        let rules = c.toolRules.filter { r in
            r.tool == tool || (r.when.tools ?? []).contains(tool) || r.when.toolVersions[tool] != nil
        }
        if !rules.isEmpty {
            out.append("Known-bad combinations (SW4015):\n" + rules.map { "- \($0.rule.text) — *\(c.cite($0.rule.source))*" }.joined(separator: "\n"))
        }
        return out
    }

    static func deviceText(_ d: Device, _ c: Catalogue) -> String {
        var lines = ["**\(d.title)** (`\(d.name)`): \(d.isa)\(d.cpuFeatures.isEmpty ? "" : " with " + d.cpuFeatures.joined(separator: ", "))"]
        let figures = [d.memoryGB.map { "\(d.os == "none" ? "RAM" : "Memory") \(fmt($0)) GB" },
                       d.storageGB.map { "\(d.os == "none" ? "flash" : "storage") \(fmt($0)) GB" },
                       d.bandwidthGBps.map { "bandwidth \(fmt($0)) GB/s" }].compactMap { $0 }
        if !figures.isEmpty { lines.append(figures.joined(separator: ", ")) }
        for (proc, peaks) in d.peakTOPS.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            lines.append("Peak on \(proc.rawValue): " + peaks.sorted(by: { $0.key < $1.key }).map { "\($0.key) \(fmt($0.value)) TOPS" }.joined(separator: ", "))
        }
        lines.append(([d.source] + d.also).map { "*\(c.cite($0))*" }.joined(separator: "\n\n"))
        return lines.joined(separator: "\n\n")
    }

    static func fmt(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e9 ? String(Int(saturating: d)) : String(d)
    }

    /// Runtime names and aliases, and a runtime's versions after `name@`.
    static func runtimeCompletions(prefix: String) -> [(String, String)]? {
        guard let catalogue else { return nil }
        if let at = prefix.firstIndex(of: "@") {
            let name = String(prefix[..<at])
            guard let rt = catalogue.runtime(name) else { return [] }
            return rt.versions.reversed().map { ("\(name)@\($0.version)", rt.title + " " + $0.version) }
        }
        return catalogue.runtimes.flatMap { rt in [(rt.name, rt.title)] + rt.aliases.map { ($0, rt.title) } }
    }

    static func deviceCompletions() -> [(String, String)] {
        catalogue?.devices.map { ($0.name, $0.title) } ?? []
    }
}
