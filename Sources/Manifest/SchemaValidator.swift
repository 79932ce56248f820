import Diagnostics
import JSON
import YAMLSyntax

/// Validates a YAML tree against a `Schema`. It never throws: every problem is a diagnostic with the
/// offending value, what would be valid, and a fix when one is obvious. Invalid nodes (left by a syntax
/// error) are skipped, since the syntax diagnostic already covers them.
public struct SchemaValidator {
    public private(set) var diagnostics: [Diagnostic] = []
    let bytes: [UInt8]
    /// Key comparisons made by the objects' key tables so far: linear in the keys (see `KeyRanges`).
    private(set) var keyComparisons = 0

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// `path` names the node in messages (`targets.android.budget`); `keyRange` is the range of the key
    /// that holds it, where "missing key" diagnostics go.
    public mutating func validate(_ node: YAMLNode, against schema: Schema, path: [String], keyRange: ByteRange?) {
        if node.isInvalid { return }
        if schema.nullable, node.scalar != nil, node.resolved == .null { return }
        switch schema.kind {
        case .object(let props, let exclusive, let requireOneOf):
            validateObject(node, schema, props, exclusive, requireOneOf, path: path, keyRange: keyRange)
        case .map(let values, let keyPattern, let keyDescription, let minEntries):
            guard let pairs = mapping(node, path: path) else { return }
            for p in pairs where !p.isMerged || true {
                guard let k = keyText(p.key, path: path) else { continue }
                if k.hasPrefix("x-") { continue }
                if !Regex.matches(keyPattern, k) {
                    add(.invalidFormat, "'\(k)' is not a valid name in '\(display(path))': expected \(keyDescription)", p.key.reportRange)
                } else if !schema.knownKeys.isEmpty, !schema.knownKeys.contains(where: { $0.value == k }) {
                    let known = schema.knownKeys.map(\.value)
                    var message = "'\(k)' is not a name Slipway knows in '\(display(path))', so no checks apply to it"
                    var fixes: [Fix] = []
                    if let sug = Suggest.closest(to: k, among: known) {
                        message += "; did you mean '\(sug)'?"
                        fixes.append(valueFix(p.key, sug))
                    }
                    message += " Known: \(known.joined(separator: ", "))"
                    diagnostics.append(Diagnostic(.unknownKey, message, at: p.key.reportRange, severity: .warning, fixes: fixes.filter { !$0.edits.isEmpty }))
                }
                validate(p.value, against: values, path: path + [k], keyRange: p.key.reportRange)
            }
            if pairs.count < minEntries {
                add(.missingRequiredKey, "'\(display(path))' needs at least \(minEntries) entr\(minEntries == 1 ? "y" : "ies"): \(keyDescription)", keyRange ?? node.reportRange)
            }
        case .array(let items, let minItems, let maxItems):
            guard let list = node.items else {
                wrongType(node, expected: "a list", path: path)
                return
            }
            for (i, item) in list.enumerated() { validate(item, against: items, path: path + ["\(i)"], keyRange: nil) }
            if list.count < minItems {
                add(.outOfRange, "'\(display(path))' has \(list.count) item\(list.count == 1 ? "" : "s"); at least \(minItems) needed", node.reportRange)
            }
            if let maxItems, list.count > maxItems {
                add(.outOfRange, "'\(display(path))' has \(list.count) items; at most \(maxItems) allowed", node.reportRange)
            }
        case .string(let rule):
            validateString(node, rule, path: path)
        case .integer(let min, let max):
            validateNumber(node, integer: true, min: min.map(Double.init), max: max.map(Double.init), exMin: false, exMax: false, path: path)
        case .number(let min, let max, let exMax, let exMin):
            validateNumber(node, integer: false, min: min, max: max, exMin: exMin, exMax: exMax, path: path)
        case .boolean:
            validateBoolean(node, path: path)
        case .anyOf(let options):
            var fitting: [SchemaValidator] = []
            for o in options {
                var trial = SchemaValidator(bytes: bytes)
                trial.validate(node, against: o, path: path, keyRange: keyRange)
                if !trial.diagnostics.contains(where: { $0.severity == .error }) {
                    diagnostics += trial.diagnostics
                    return
                }
                if Self.fits(node, o) { fitting.append(trial) }
            }
            // A list (or mapping) where only one form is a list (or mapping): that form's own findings, at the
            // item that is wrong, say more than "expected a shape or a value".
            if fitting.count == 1 {
                diagnostics += fitting[0].diagnostics
                return
            }
            add(.wrongType, "'\(display(path))' is \(describe(node)); expected \(options.map { lowerFirst($0.description.hasSuffix(".") ? String($0.description.dropLast()) : $0.description) }.joined(separator: " or "))", node.reportRange)
        }
    }

    /// Whether `node` has the structure `s` is for: a list for an array, a mapping for an object or a map.
    static func fits(_ node: YAMLNode, _ s: Schema) -> Bool {
        switch s.kind {
        case .array: return node.items != nil
        case .object, .map: return node.pairs != nil
        default: return false
        }
    }

    // MARK: objects

    mutating func validateObject(
        _ node: YAMLNode, _ schema: Schema, _ props: [Property], _ exclusive: [[String]], _ requireOneOf: [String]?,
        path: [String], keyRange: ByteRange?
    ) {
        guard let pairs = mapping(node, path: path) else { return }
        let present = KeyRanges()
        var suggested: [String] = []
        for p in pairs {
            guard let k = keyText(p.key, path: path) else { continue }
            present[k] = p.key.reportRange
            if let prop = props.first(where: { $0.name == k }) {
                validate(p.value, against: prop.schema, path: path + [k], keyRange: p.key.reportRange)
                continue
            }
            if k.hasPrefix("x-") { continue }
            let valid = props.map(\.name)
            var message = "unknown key '\(k)' in \(path.isEmpty ? "the manifest" : "'\(display(path))'")"
            var fixes: [Fix] = []
            if let s = Suggest.closest(to: k, among: valid.filter { present[$0] == nil || $0 == k }) {
                message += "; did you mean '\(s)'?"
                suggested.append(s)
                if !p.isMerged {
                    fixes.append(Fix(title: "Change '\(k)' to '\(s)'", edits: [TextEdit(range: p.key.range, newText: s)], isPreferred: true))
                }
            } else {
                message += "; valid keys: \(valid.joined(separator: ", "))"
            }
            add(.unknownKey, message, p.key.reportRange, fixes: fixes)
        }
        defer { keyComparisons += present.comparisons }
        let anchor = keyRange ?? pairs.first?.key.reportRange ?? node.reportRange
        // A required key that a typo stands for is reported once, as the typo.
        for prop in props where prop.required && present[prop.name] == nil && !suggested.contains(prop.name) {
            let example = prop.schema.examples.first ?? prop.schema.defaultValue
            add(
                .missingRequiredKey,
                "missing required key '\(prop.name)' in \(path.isEmpty ? "the manifest" : "'\(display(path))'"): \(lowerFirst(prop.schema.description))",
                anchor, fixes: insertKeyFix(prop.name, example: example, in: node).map { [$0] } ?? [])
        }
        for group in exclusive {
            let set = group.filter { present[$0] != nil }
            if set.count > 1, let second = present[set[1]] {
                add(
                    .conflictingKeys,
                    "'\(display(path))' sets \(set.map { "'\($0)'" }.joined(separator: " and ")); use only one of \(group.map { "'\($0)'" }.joined(separator: ", "))",
                    second, related: set.dropLast(set.count - 1).compactMap { k in present[k].map { RelatedLocation(range: $0, message: "'\(k)' is set here") } })
            }
        }
        if let one = requireOneOf, !one.contains(where: { present[$0] != nil }) {
            add(.missingRequiredKey, "'\(display(path))' needs one of \(one.map { "'\($0)'" }.joined(separator: ", "))", anchor)
        }
    }

    /// Inserts `key: example` as the first line of a block mapping, at its indentation.
    func insertKeyFix(_ key: String, example: JSONValue?, in node: YAMLNode) -> Fix? {
        guard let first = node.pairs?.first(where: { !$0.isMerged }), node.aliasRange == nil else { return nil }
        var lineStart = first.key.range.start
        while lineStart > 0, bytes[lineStart - 1] != 0x0A, bytes[lineStart - 1] != 0x0D { lineStart -= 1 }
        let indent = bytes[lineStart..<first.key.range.start]
        guard indent.allSatisfy({ $0 == 0x20 }) else { return nil }  // flow mapping or `- key:` item
        let value = example.map(Self.yamlInline) ?? ""
        let text = String(repeating: " ", count: indent.count) + key + ":" + (value.isEmpty ? "" : " " + value) + "\n"
        return Fix(title: "Add '\(key)'", edits: [TextEdit(range: .at(lineStart), newText: text)])
    }

    static func yamlInline(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .array(let a): return "[" + a.map(yamlInline).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.entries.map { "\($0.key): \(yamlInline($0.value))" }.joined(separator: ", ") + "}"
        default: return v.serialized()
        }
    }

    mutating func mapping(_ node: YAMLNode, path: [String]) -> [YAMLPair]? {
        if let p = node.pairs { return p }
        wrongType(node, expected: "a mapping of keys to values", path: path)
        return nil
    }

    mutating func keyText(_ key: YAMLNode, path: [String]) -> String? {
        if key.isInvalid { return nil }
        guard let s = key.scalar else {
            add(.wrongType, "keys in '\(display(path))' must be plain names, not \(key.kindDescription)", key.reportRange)
            return nil
        }
        return s.text
    }

    // MARK: scalars

    mutating func validateString(_ node: YAMLNode, _ rule: StringRule, path: [String]) {
        guard let s = node.scalar else {
            wrongType(node, expected: "a string", path: path)
            return
        }
        let resolved = node.resolved
        guard case .string = resolved else {
            var message = "'\(display(path))' is \(resolved.description) ('\(s.text)'); expected a string"
            if resolved.isNumber { message += ": '\(s.text)' is read as a number, so quote it" }
            if case .bool = resolved { message += "; quote it to mean the word" }
            add(.wrongType, message, node.reportRange, fixes: quoteFix(node))
            return
        }
        let before = diagnostics.count
        defer {
            // A YAML 1.1 boolean spelling matters only for a value that is otherwise valid.
            if diagnostics.count == before, let trap = YAML11Trap.detect(s), case .boolean(let b) = trap {
                add(
                    .yaml11Boolean,
                    "'\(s.text)' in '\(display(path))' is a string in YAML 1.2 but the boolean \(b) to YAML 1.1 tools (PyYAML, older CI); quote it",
                    node.reportRange, fixes: quoteFix(node))
            }
        }
        let text = s.text
        if text.count < rule.minLength {
            add(.invalidFormat, "'\(display(path))' must not be empty", node.reportRange)
            return
        }
        if let format = rule.format, let problem = FormatCheck.check(format, text, rule: rule) {
            add(problem.code, "'\(display(path))': \(problem.message)", node.reportRange, fixes: problem.replacement.map { [valueFix(node, $0)] } ?? [])
            return
        }
        if rule.format == nil, !rule.values.isEmpty, !rule.values.contains(where: { $0.value == text }) {
            let valid = rule.values.map(\.value)
            var message = "'\(text)' is not a valid value for '\(display(path))'"
            var fixes: [Fix] = []
            if let sug = Suggest.closest(to: text, among: valid) {
                message += "; did you mean '\(sug)'?"
                fixes.append(valueFix(node, sug))
            } else {
                message += "."
            }
            message += " Valid values: \(valid.joined(separator: ", "))"
            add(.invalidEnumValue, message, node.reportRange, fixes: fixes)
            return
        }
        if rule.format == nil, let pattern = rule.pattern, !Regex.matches(pattern, text) {
            add(.invalidFormat, "'\(text)' is not a valid '\(display(path))': it must match \(pattern)", node.reportRange)
        }
    }

    mutating func validateNumber(
        _ node: YAMLNode, integer: Bool, min: Double?, max: Double?, exMin: Bool, exMax: Bool, path: [String]
    ) {
        guard let s = node.scalar else {
            wrongType(node, expected: integer ? "an integer" : "a number", path: path)
            return
        }
        let resolved = node.resolved
        var value: Double
        switch resolved {
        case .int(let i): value = Double(i)
        case .float(let d):
            if integer {
                add(.wrongType, "'\(display(path))' is \(resolved.description); expected an integer", node.reportRange,
                    fixes: d.isFinite && d == d.rounded() && abs(d) < 1e15 ? [valueFix(node, String(Int(d)))] : [])
                return
            }
            value = d
        case .string(let t):
            var message = "'\(display(path))' is a string ('\(t)'); expected \(integer ? "an integer" : "a number")"
            var fixes: [Fix] = []
            let unquoted = YAMLNode.resolve(YAMLScalar(text: t, style: .plain), tag: nil)
            if s.style.isQuoted, unquoted.isNumber, !(integer && { if case .float = unquoted { return true }; return false }()) {
                message += "; remove the quotes"
                fixes.append(valueFix(node, t))
            }
            add(.wrongType, message, node.reportRange, fixes: fixes)
            return
        default:
            add(.wrongType, "'\(display(path))' is \(resolved.description); expected \(integer ? "an integer" : "a number")", node.reportRange)
            return
        }
        if !value.isFinite {
            add(.outOfRange, "'\(display(path))' is \(s.text); expected a finite number", node.reportRange)
            return
        }
        switch YAML11Trap.detect(s) {
        case .octal(let v):
            add(.yaml11Number, "'\(s.text)' in '\(display(path))' is \(Int(value)) in YAML 1.2 but octal \(v) to YAML 1.1 tools; write \(Int(value))", node.reportRange,
                fixes: [valueFix(node, String(Int(value)))])
        case .exponentWithoutDot:
            let fixed = Self.dottedExponent(s.text)
            add(.yaml11Number, "'\(s.text)' in '\(display(path))' is the number \(JSONValue.double(value).serialized()) in YAML 1.2 but a string to YAML 1.1 tools; write \(fixed)", node.reportRange,
                fixes: [valueFix(node, fixed)])
        default: break
        }
        let shown = s.text
        if let min, exMin ? value <= min : value < min {
            add(.outOfRange, "'\(display(path))' is \(shown); it must be \(exMin ? "greater than" : "at least") \(Self.num(min))\(rangeHint(min, max, exMin, exMax))", node.reportRange)
        } else if let max, exMax ? value >= max : value > max {
            add(.outOfRange, "'\(display(path))' is \(shown); it must be \(exMax ? "less than" : "at most") \(Self.num(max))\(rangeHint(min, max, exMin, exMax))", node.reportRange)
        }
    }

    func rangeHint(_ min: Double?, _ max: Double?, _ exMin: Bool, _ exMax: Bool) -> String {
        guard let min, let max else { return "" }
        return " (valid: \(Self.num(min)) \(exMin ? "<" : "≤") value \(exMax ? "<" : "≤") \(Self.num(max)))"
    }

    static func num(_ d: Double) -> String { JSONValue.double(d).serialized() }

    /// `1e3` → `1.0e+3`, which both YAML versions read as a number.
    static func dottedExponent(_ t: String) -> String {
        guard let e = t.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return t }
        let mantissa = t[..<e]
        var exp = t[t.index(after: e)...]
        var sign = "+"
        if let f = exp.first, f == "+" || f == "-" {
            sign = String(f)
            exp = exp.dropFirst()
        }
        return "\(mantissa).0e\(sign)\(exp)"
    }

    mutating func validateBoolean(_ node: YAMLNode, path: [String]) {
        guard let s = node.scalar else {
            wrongType(node, expected: "true or false", path: path)
            return
        }
        if case .bool = node.resolved { return }
        if case .boolean(let b) = YAML11Trap.detect(s) {
            add(.wrongType, "'\(display(path))' is '\(s.text)', a string in YAML 1.2 (a boolean only in YAML 1.1); write \(b)", node.reportRange,
                fixes: [valueFix(node, b ? "true" : "false")])
            return
        }
        add(.wrongType, "'\(display(path))' is \(describe(node)); expected true or false", node.reportRange)
    }

    // MARK: helpers

    mutating func wrongType(_ node: YAMLNode, expected: String, path: [String]) {
        add(.wrongType, "'\(display(path))' is \(describe(node)); expected \(expected)", node.reportRange)
    }

    func describe(_ node: YAMLNode) -> String {
        guard let s = node.scalar else { return node.kindDescription }
        switch node.resolved {
        case .string(let t): return "the string '\(t)'"
        case .null: return s.text.isEmpty ? "empty" : "null"
        default: return "\(node.resolved.description)"
        }
    }

    func quoteFix(_ node: YAMLNode) -> [Fix] {
        guard let s = node.scalar, node.aliasRange == nil else { return [] }
        let quoted = JSONValue.string(s.text).serialized()
        return [Fix(title: "Quote as \(quoted)", edits: [TextEdit(range: node.range, newText: quoted)], isPreferred: true)]
    }

    func valueFix(_ node: YAMLNode, _ text: String) -> Fix {
        Fix(title: "Change to '\(text)'", edits: node.aliasRange == nil ? [TextEdit(range: node.range, newText: text)] : [], isPreferred: true)
    }

    mutating func add(_ code: DiagnosticCode, _ message: String, _ range: ByteRange, fixes: [Fix] = [], related: [RelatedLocation] = []) {
        diagnostics.append(Diagnostic(code, message, at: range, related: related, fixes: fixes.filter { !$0.edits.isEmpty }))
    }

    func display(_ path: [String]) -> String { path.isEmpty ? "manifest" : path.joined(separator: ".") }
}

/// Keys seen in one mapping, with their ranges. Hashed, not a list: a mapping of n unknown keys looks each
/// one up several times, and a linear list made `check` quadratic (issue 17: 80,000 keys took 62 s).
/// A class so that lookups can count themselves (`comparisons`, for the specs that hold validation linear).
final class KeyRanges {
    private var entries: [String: ByteRange] = [:]
    /// Key comparisons made: one per lookup or store, as a hashed table makes them.
    private(set) var comparisons = 0
    subscript(key: String) -> ByteRange? {
        get {
            comparisons += 1
            return entries[key]
        }
        set {
            comparisons += 1
            guard let newValue else { return }
            entries[key] = newValue
        }
    }
}

private func lowerFirst(_ s: String) -> String {
    guard let f = s.first else { return s }
    return f.lowercased() + s.dropFirst()
}
