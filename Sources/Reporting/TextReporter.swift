import Checking
import Diagnostics

/// Compiler-style text: `path:line:col: error[SW2001]: message`, the source line, the range underlined,
/// fixes and related locations, then a summary. Colour only when asked (a TTY without NO_COLOR).
public struct TextReporter: Sendable {
    public var color: Bool
    public init(color: Bool) { self.color = color }

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    public func render(_ results: [CheckResult]) -> String {
        var out = ""
        var errors = 0, warnings = 0, files = 0
        for r in results {
            if !r.diagnostics.isEmpty { files += 1 }
            for d in r.diagnostics {
                out += render(d, in: r)
                if d.severity == .error { errors += 1 } else if d.severity == .warning { warnings += 1 }
            }
        }
        let checked = "\(results.count) file\(results.count == 1 ? "" : "s") checked"
        if errors == 0 && warnings == 0 {
            out += paint("✓", "32") + " \(checked), no problems\n"
        } else {
            out += "\(checked): \(plural(errors, "error")), \(plural(warnings, "warning")) in \(plural(files, "file"))\n"
        }
        return out
    }

    func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    public func render(_ d: Diagnostic, in r: CheckResult) -> String {
        let c = CLIRange(d.range, in: r.lineIndex)
        let (label, tint): (String, String)
        switch d.severity {
        case .error: (label, tint) = ("error", "1;31")
        case .warning: (label, tint) = ("warning", "1;33")
        case .information: (label, tint) = ("info", "1;36")
        case .hint: (label, tint) = ("hint", "1;36")
        }
        var out = paint("\(r.path):\(c.line):\(c.column):", "1") + " " + paint("\(label)[\(d.code.rawValue)]", tint) + ": " + d.message + "\n"
        if r.lineIndex.count > 0 {
            out += snippet(d.range, index: r.lineIndex, tint: tint)
        }
        for rel in d.related {
            if let rr = rel.range, rel.file == nil {
                let rc = CLIRange(rr, in: r.lineIndex)
                out += "  " + paint("note:", "1") + " \(rel.message) at \(r.path):\(rc.line):\(rc.column)\n"
            } else {
                out += "  " + paint("note:", "1") + " \(rel.message)\(rel.file.map { " (\($0))" } ?? "")\n"
            }
        }
        for f in d.fixes { out += "  " + paint("fix:", "1;32") + " \(f.title)\n" }
        return out
    }

    /// The diagnostic's first line with carets under its range (tabs shown as spaces, wide characters as two
    /// columns, so the carets line up in a terminal).
    func snippet(_ range: ByteRange, index: LineIndex, tint: String) -> String {
        let line = index.line(of: range.start)
        let lr = index.lineRange(line)
        let bytes = Array(index.bytes[lr.start..<lr.end])
        // Very long lines (minified YAML) are cut around the range.
        let text = String(decoding: bytes, as: UTF8.self)
        var shown = ""
        var pre = 0, width = 0
        var offset = lr.start
        for ch in text.unicodeScalars {
            let w: Int
            let rendered: String
            if ch == "\t" { rendered = "    "; w = 4 } else if ch.value < 0x20 || ch.value == 0x2028 || ch.value == 0x2029 { rendered = " "; w = 1 } else { rendered = String(ch); w = TextReporter.displayWidth(ch) }
            if offset < range.start { pre += w } else if offset < max(range.end, range.start + 1) { width += w }
            shown += rendered
            offset += String(ch).utf8.count
            if shown.count > 400 { shown += "…"; break }
        }
        let lineNo = String(line + 1)
        let gutter = String(repeating: " ", count: lineNo.count)
        let carets = String(repeating: "^", count: max(1, width))
        return paint("\(gutter) |", "34") + "\n" + paint("\(lineNo) |", "34") + " \(shown)\n"
            + paint("\(gutter) |", "34") + " " + String(repeating: " ", count: pre) + paint(carets, tint) + "\n"
    }

    /// Terminal columns of a scalar: 0 for combining marks, 2 for East Asian wide and emoji, else 1.
    static func displayWidth(_ u: Unicode.Scalar) -> Int {
        let v = u.value
        if u.properties.generalCategory == .nonspacingMark || u.properties.generalCategory == .enclosingMark || v == 0x200D { return 0 }
        if (0xFE00...0xFE0F).contains(v) { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
        {
            return 2
        }
        return 1
    }
}
