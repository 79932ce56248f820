import Diagnostics

/// Checks of structured strings (`litert@2.16`, `per-block:32`, `2:4`, `ios17`, globs, path templates),
/// with messages that say what part is wrong and a replacement when one is likely.
enum FormatCheck {
    struct Problem {
        var code: DiagnosticCode
        var message: String
        var replacement: String?
    }

    static func check(_ format: StringFormat, _ text: String, rule: StringRule) -> Problem? {
        switch format {
        case .runtime: return runtime(text)
        case .granularity: return granularity(text)
        case .nmPattern: return nmPattern(text)
        case .osVersion: return osVersion(text)
        case .glob: return glob(text)
        case .pathTemplate: return pathTemplate(text)
        case .path: return text.contains("\0") ? Problem(code: .invalidFormat, message: "a path cannot contain NUL") : nil
        }
    }

    static func runtime(_ text: String) -> Problem? {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts.first ?? "")
        let names = Vocabulary.runtimes.map(\.value)
        if !names.contains(name) {
            let sug = Suggest.closest(to: name, among: names)
            let version = parts.count > 1 ? "@" + parts[1] : ""
            return Problem(
                code: .invalidEnumValue,
                message: "unknown runtime '\(name)'\(sug.map { "; did you mean '\($0)'?" } ?? ".") Valid runtimes: \(names.joined(separator: ", ")), each optionally with @version",
                replacement: sug.map { $0 + version })
        }
        if parts.count > 1 {
            let v = parts[1]
            let comps = v.split(separator: ".", omittingEmptySubsequences: false)
            if v.isEmpty || comps.count > 3 || !comps.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) {
                return Problem(
                    code: .invalidFormat,
                    message: "'\(v)' is not a version; write the runtime as '\(name)' or '\(name)@MAJOR[.MINOR[.PATCH]]', e.g. '\(name)@1.20'")
            }
        }
        return nil
    }

    static func granularity(_ text: String) -> Problem? {
        if text == "per-tensor" || text == "per-channel" { return nil }
        if text.hasPrefix("per-block:") {
            let n = text.dropFirst("per-block:".count)
            if let v = Int(n), v > 0, n.allSatisfy(\.isASCIIDigit) { return nil }
            return Problem(code: .invalidFormat, message: "'\(n)' is not a block size; write 'per-block:N' with N a positive integer, e.g. 'per-block:32'")
        }
        let forms = ["per-tensor", "per-channel", "per-block"]
        let sug = Suggest.closest(to: text, among: forms)
        return Problem(
            code: .invalidEnumValue,
            message: "'\(text)' is not a granularity\(sug.map { "; did you mean '\($0 == "per-block" ? "per-block:32" : $0)'?" } ?? ".") Valid: per-tensor, per-channel, per-block:N",
            replacement: sug.map { $0 == "per-block" ? "per-block:32" : $0 })
    }

    static func nmPattern(_ text: String) -> Problem? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]), n > 0, m > 0 else {
            return Problem(code: .invalidFormat, message: "'\(text)' is not an N:M pattern; write it as N:M in quotes, e.g. \"2:4\"")
        }
        if n >= m {
            return Problem(code: .invalidFormat, message: "'\(text)' would keep \(n) non-zero weights in every \(m), pruning nothing; N (kept) must be less than M, e.g. \"2:4\"")
        }
        return nil
    }

    static func osVersion(_ text: String) -> Problem? {
        let name = String(decoding: text.utf8.prefix(while: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }), as: UTF8.self).lowercased()
        let version = text.utf8.dropFirst(name.utf8.count)
        let oses = Vocabulary.operatingSystems
        guard oses.contains(name) else {
            let sug = Suggest.closest(to: name, among: oses)
            return Problem(
                code: .invalidFormat,
                message: "'\(text)' names no known OS\(sug.map { "; did you mean '\($0)\(String(decoding: version, as: UTF8.self))'?" } ?? ".") Write the OS and its major version, e.g. ios17, macos14, android14 (OS: \(oses.joined(separator: ", ")))",
                replacement: sug.map { $0 + String(decoding: version, as: UTF8.self) })
        }
        let comps = version.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if version.isEmpty || comps.count > 2 || !comps.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) {
            return Problem(code: .invalidFormat, message: "'\(text)' needs a version after the OS name, e.g. '\(name)17'")
        }
        if text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
            return Problem(code: .invalidFormat, message: "'\(text)' must be lower case", replacement: text.lowercased())
        }
        return nil
    }

    static func glob(_ text: String) -> Problem? {
        var depth = 0
        for c in text {
            if c == "[" { depth += 1 } else if c == "]" { depth = max(0, depth - 1) }
        }
        return depth == 0 ? nil : Problem(code: .invalidFormat, message: "glob '\(text)' has an unclosed '['")
    }

    static let placeholders = ["target", "name", "version", "ext"]

    static func pathTemplate(_ text: String) -> Problem? {
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                return Problem(code: .invalidFormat, message: "'\(text)' has an unclosed '{'")
            }
            let name = String(rest[rest.index(after: open)..<close])
            if !placeholders.contains(name) {
                return Problem(
                    code: .invalidFormat,
                    message: "unknown placeholder '{\(name)}' in '\(text)'; valid: \(placeholders.map { "{\($0)}" }.joined(separator: ", "))")
            }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
