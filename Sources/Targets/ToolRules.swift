import Diagnostics
import JSON

/// A span of tool versions, as the catalogue writes it: `from` (≥), `above` (>), `below` (<), `through` (≤).
/// Missing bounds are open.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    public var from: VersionNumber?
    public var above: VersionNumber?
    public var below: VersionNumber?
    public var through: VersionNumber?

    /// nil when the object has no bound or a bound is not a dotted version (the loader reports it).
    init?(_ o: JSONObject) {
        func bound(_ key: String) -> VersionNumber?? {
            guard let v = o[key] else { return .some(nil) }
            guard let s = v.stringValue, let n = VersionNumber(s) else { return nil }
            return .some(n)
        }
        guard let from = bound("from"), let above = bound("above"), let below = bound("below"), let through = bound("through")
        else { return nil }
        guard from != nil || above != nil || below != nil || through != nil else { return nil }
        self.from = from
        self.above = above
        self.below = below
        self.through = through
    }

    public func contains(_ v: VersionNumber) -> Bool {
        if let from, v < from { return false }
        if let above, v <= above { return false }
        if let below, v >= below { return false }
        if let through, v > through { return false }
        return true
    }

    public var description: String {
        var parts: [String] = []
        if let from { parts.append("≥ \(from)") }
        if let above { parts.append("> \(above)") }
        if let below { parts.append("< \(below)") }
        if let through { parts.append("≤ \(through)") }
        return parts.joined(separator: ", ")
    }
}

/// A known-bad tool combination (diagnostic SW4015), decoded from a catalogue rule's `params`, so that the
/// combinations are data beside their sources and the check in TargetChecks stays generic.
///
/// `tool` is the pinned tool the diagnostic goes on. It fires when the pinned version is in `versions` and
/// every condition of `when` holds; or, instead of a range, `sameAsRuntime` (the tool must match the target's
/// runtime version, e.g. TensorRT engines) or `modelOpsetOf` (the model's opset must be one the pinned tool's
/// release of that runtime implements).
public struct ToolRule: Sendable {
    public struct Conditions: Sendable {
        public var weights: [String]?
        public var activations: [String]?
        public var runtimes: [String]?
        /// Tools that must also be pinned (any version).
        public var tools: [String]?
        /// Tools that must also be pinned, with a version in the range.
        public var toolVersions: [String: VersionRange]
        /// Pruning must be on (true) or off (false).
        public var prune: Bool?
        /// The target's delegate (`cpu` when it names none) is one of these.
        public var delegates: [String]? = nil
    }

    public var rule: Rule
    public var tool: String
    public var versions: VersionRange?
    public var when: Conditions
    public var sameAsRuntime: String?
    public var modelOpsetOf: String?
    /// The diagnostic's message; `{version}` is the pinned version.
    public var message: String
    /// A version to pin instead, when one is obviously good.
    public var fix: String?
    public var severity: Severity

    /// Why `params` is not a valid tool rule, or nil when it is.
    public static func problem(_ rule: Rule) -> String? {
        ToolRule(rule) == nil ? "a tool rule needs `tool`, `message`, and one of `versions`, `same_as_runtime`, `model_opset_of` (versions as dotted strings)" : nil
    }

    public init?(_ rule: Rule) {
        let p = rule.params
        guard let tool = p["tool"]?.stringValue, let message = p["message"]?.stringValue else { return nil }
        self.rule = rule
        self.tool = tool
        self.message = message
        self.fix = p["fix"]?.stringValue
        if let f = fix, VersionNumber(f) == nil { return nil }
        switch p["severity"]?.stringValue {
        case nil, "warning": severity = .warning
        case "error": severity = .error
        default: return nil
        }
        if let v = p["versions"] {
            guard let o = v.objectValue, let r = VersionRange(o) else { return nil }
            versions = r
        }
        sameAsRuntime = p["same_as_runtime"]?.stringValue
        modelOpsetOf = p["model_opset_of"]?.stringValue
        guard versions != nil || sameAsRuntime != nil || modelOpsetOf != nil else { return nil }

        let w = p["when"]?.objectValue ?? JSONObject()
        func list(_ key: String) -> [String]?? {
            guard let v = w[key] else { return .some(nil) }
            guard let a = v.arrayValue else { return nil }
            let s = a.compactMap(\.stringValue)
            return s.count == a.count ? .some(s) : nil
        }
        guard let weights = list("weights"), let activations = list("activations"), let runtimes = list("runtimes"),
            let tools = list("tools"), let delegates = list("delegates")
        else { return nil }
        var toolVersions: [String: VersionRange] = [:]
        for (k, v) in w["tool_versions"]?.objectValue?.entries ?? [] {
            guard let o = v.objectValue, let r = VersionRange(o) else { return nil }
            toolVersions[k] = r
        }
        let known: Set<String> = ["weights", "activations", "runtimes", "tools", "tool_versions", "prune", "delegates"]
        guard w.entries.allSatisfy({ known.contains($0.key) }) else { return nil }
        when = Conditions(
            weights: weights, activations: activations, runtimes: runtimes, tools: tools, toolVersions: toolVersions,
            prune: w["prune"]?.boolValue, delegates: delegates)
    }

    /// `template` with each `{key}` replaced by its value; unknown keys stay as written.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}"), let value = values[String(after[..<close])] else {
                out.append("{")
                rest = after
                continue
            }
            out += value
            rest = after[after.index(after: close)...]
        }
        return out + rest
    }

    /// The leading dotted number of a pinned version ("2.1.1+cu118" → 2.1.1, "1.16.0rc1" → 1.16.0), so that
    /// local and pre-release tags still meet the ranges; nil when it does not start with a digit.
    public static func number(_ pinned: String) -> VersionNumber? {
        var s = ""
        for c in pinned {
            if c.isASCII, c.isNumber || c == "." { s.append(c) } else { break }
        }
        while s.hasSuffix(".") { s.removeLast() }
        return VersionNumber(s)
    }
}

extension Catalogue {
    /// The rules that describe known-bad tool versions (SW4015), decoded.
    public var toolRules: [ToolRule] {
        rules.filter { $0.code == .knownBadToolVersion }.compactMap(ToolRule.init)
    }
}
