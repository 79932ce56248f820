/// A scalar's value under the YAML 1.2 core schema, the reading JSON-Schema tools (check-jsonschema,
/// yaml-language-server) share. YAML 1.1 readers (PyYAML, many CI tools) differ on `yes`/`on`, `0755` and
/// `1e3`; the manifest layer flags those where the difference bites.
public enum ResolvedScalar: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "the boolean \(b)"
        case .int(let i): return "the integer \(i)"
        case .float(let d): return "the number \(d)"
        case .string: return "a string"
        }
    }

    public var isNumber: Bool {
        switch self {
        case .int, .float: return true
        default: return false
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }
}

extension YAMLNode {
    /// The node's value under the core schema. Quoted and block scalars are strings; explicit tags win.
    public var resolved: ResolvedScalar {
        guard case .scalar(let s) = value else { return .string("") }
        return s.resolved
    }

    public static func resolve(_ s: YAMLScalar, tag: String?) -> ResolvedScalar {
        resolve(text: s.text, style: s.style, tag: tag)
    }

    static func resolve(text: String, style: ScalarStyle, tag: String?) -> ResolvedScalar {
        if let tag {
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:null": return .null
            case "tag:yaml.org,2002:bool": return resolvePlain(text).flatMapBool ?? .string(text)
            case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float":
                let r = resolvePlain(text)
                return r.isNumber ? r : .string(text)
            default: return .string(text)
            }
        }
        if style != .plain { return .string(text) }
        return resolvePlain(text)
    }

    static func resolvePlain(_ t: String) -> ResolvedScalar {
        // Keywords are at most 5 bytes and start with one of `~nNtTfF.+-`: skip the comparisons otherwise.
        let u = t.utf8
        if let f = u.first, u.count > 5 || !YAMLNode.mayStartKeyword(f) {
            return resolveNumber(t, first: f)
        }
        switch t {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        guard let first = t.utf8.first else { return .string(t) }
        return resolveNumber(t, first: first)
    }

    /// `~nNtTfF.+-`: the first bytes of the core schema's null, bool and special float spellings.
    static func mayStartKeyword(_ f: UInt8) -> Bool {
        switch f {
        case 0x7E, 0x6E, 0x4E, 0x74, 0x54, 0x66, 0x46, 0x2E, 0x2B, 0x2D: return true
        default: return false
        }
    }

    static func resolveNumber(_ t: String, first: UInt8) -> ResolvedScalar {
        // Cheap reject: every number starts with a digit, a sign or a dot.
        guard (first >= 0x30 && first <= 0x39) || first == 0x2B || first == 0x2D || first == 0x2E else {
            return .string(t)
        }
        if t.hasPrefix("0x"), let i = Int(t.dropFirst(2), radix: 16) { return .int(i) }
        if t.hasPrefix("0o"), let i = Int(t.dropFirst(2), radix: 8) { return .int(i) }
        if isDecimalInteger(t) { return Int(t).map { .int($0) } ?? (Double(t).map { .float($0) } ?? .string(t)) }
        if isCoreFloat(t), let d = Double(t) { return .float(d) }
        return .string(t)
    }

    /// `[-+]?[0-9]+`
    static func isDecimalInteger(_ t: String) -> Bool {
        var u = Substring(t).utf8[...]
        if let f = u.first, f == 0x2B || f == 0x2D { u = u.dropFirst() }
        return !u.isEmpty && u.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isCoreFloat(_ t: String) -> Bool {
        let b = Array(t.utf8)
        var i = 0
        func digits() -> Int {
            let s = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            return i - s
        }
        if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
        if i < b.count, b[i] == 0x2E {
            i += 1
            if digits() == 0 { return false }
        } else {
            if digits() == 0 { return false }
            if i < b.count, b[i] == 0x2E { i += 1; _ = digits() }
        }
        if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
            i += 1
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            if digits() == 0 { return false }
        }
        return i == b.count
    }
}

extension ResolvedScalar {
    fileprivate var flatMapBool: ResolvedScalar? { if case .bool = self { return self }; return nil }
}

/// YAML 1.1 readings that differ from 1.2 for a plain scalar.
public enum YAML11Trap: Sendable, Hashable {
    /// `yes`, `no`, `on`, `off`, `y`, `n` (any case): booleans in YAML 1.1, strings in 1.2.
    case boolean(Bool)
    /// `0755`: octal 493 in YAML 1.1, decimal 755 in 1.2.
    case octal(Int)
    /// `1e3`: a string in YAML 1.1 (which needs a dot), the number 1000 in 1.2.
    case exponentWithoutDot
    /// `1_000`, `1:30` (sexagesimal): numbers in 1.1, strings in 1.2.
    case yaml11OnlyNumber

    public static func detect(_ s: YAMLScalar) -> YAML11Trap? {
        guard s.style == .plain else { return nil }
        let t = s.text
        // Fast exit: every trap starts with one of these and is short.
        guard let f = t.utf8.first, t.utf8.count <= 32,
            (f >= 0x30 && f <= 0x39) || f == 0x2B || f == 0x2D || f == 0x2E || f == 0x79 || f == 0x59 || f == 0x6E
                || f == 0x4E || f == 0x6F || f == 0x4F
        else { return nil }
        // The YAML 1.1 bool type's exact spellings (https://yaml.org/type/bool.html).
        switch t {
        case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON": return .boolean(true)
        case "n", "N", "no", "No", "NO", "off", "Off", "OFF": return .boolean(false)
        default: break
        }
        let b = Array(t.utf8)
        if b.count > 1, b[0] == 0x30, b.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }), let v = Int(t, radix: 8) {
            return .octal(v)
        }
        if YAMLNode.isCoreFloat(t), !t.contains("."), t.contains(where: { $0 == "e" || $0 == "E" }) {
            return .exponentWithoutDot
        }
        if t.contains("_") || t.contains(":"), t.first?.isNumber == true,
            t.allSatisfy({ $0.isNumber || $0 == "_" || $0 == ":" || $0 == "." })
        {
            return .yaml11OnlyNumber
        }
        return nil
    }
}
