/// Suppression comments, read from the raw text (libyaml drops comments):
///
///     # slipway-ignore: SW2003            suppresses those codes on the next line
///     # slipway-ignore: SW2003, SW2001
///     # slipway-ignore-file: SW2007       suppresses the codes anywhere in the file
///
/// A comment may follow content on its line (`key: 1  # slipway-ignore: SW2003` does *not* apply to the
/// same line: "the line before" is the rule, so that a suppression never hides on a long line).
public struct Suppressions: Sendable {
    public struct Comment: Sendable, Hashable {
        public var codes: [DiagnosticCode]
        public var unknownCodes: [String]
        /// The line the comment sits on (zero-based).
        public var line: Int
        public var range: ByteRange
        public var fileWide: Bool
    }

    public private(set) var comments: [Comment] = []

    public init(index: LineIndex) {
        for line in 0..<index.lineCount {
            let r = index.lineRange(line)
            guard let hash = Suppressions.commentStart(index.bytes, r) else { continue }
            let text = String(decoding: index.bytes[hash..<r.end], as: UTF8.self)
            guard let parsed = Suppressions.parse(text) else { continue }
            comments.append(
                Comment(
                    codes: parsed.codes, unknownCodes: parsed.unknown, line: line,
                    range: ByteRange(hash, r.end), fileWide: parsed.fileWide))
        }
    }

    /// Offset of a `#` that starts a YAML comment on this line: at the start, or after whitespace, and
    /// outside quotes (a rough but safe reading: a `#` inside a quoted scalar is not a comment).
    static func commentStart(_ bytes: [UInt8], _ r: ByteRange) -> Int? {
        var inSingle = false, inDouble = false
        var prevBlank = true
        var i = r.start
        while i < r.end {
            let c = bytes[i]
            if c == UInt8(ascii: "'") && !inDouble { inSingle.toggle() }
            else if c == UInt8(ascii: "\"") && !inSingle { inDouble.toggle() }
            else if c == UInt8(ascii: "#") && !inSingle && !inDouble && prevBlank { return i }
            prevBlank = c == 0x20 || c == 0x09
            i += 1
        }
        return nil
    }

    static func parse(_ comment: String) -> (codes: [DiagnosticCode], unknown: [String], fileWide: Bool)? {
        var body = comment.dropFirst().drop(while: { $0 == " " || $0 == "\t" })
        let fileWide: Bool
        if body.hasPrefix("slipway-ignore-file:") {
            fileWide = true
            body = body.dropFirst("slipway-ignore-file:".count)
        } else if body.hasPrefix("slipway-ignore:") {
            fileWide = false
            body = body.dropFirst("slipway-ignore:".count)
        } else {
            return nil
        }
        var codes: [DiagnosticCode] = []
        var unknown: [String] = []
        for word in body.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
            if word.hasPrefix("#") { break }  // a trailing explanation: `# slipway-ignore: SW2003 # why`
            if let c = DiagnosticCode(rawValue: String(word).uppercased()) {
                codes.append(c)
            } else {
                unknown.append(String(word))
            }
        }
        return (codes, unknown, fileWide)
    }

    /// Removes suppressed diagnostics, and reports suppression comments that suppressed nothing or name
    /// codes that do not exist.
    public func apply(to diagnostics: [Diagnostic], index: LineIndex) -> [Diagnostic] {
        if comments.isEmpty { return diagnostics }
        var used = Set<Int>()
        var kept: [Diagnostic] = []
        // By the line each comment governs, so that n diagnostics and n comments cost n lookups, not n².
        var byLine: [Int: [Int]] = [:]
        var fileWide: [Int] = []
        for (i, c) in comments.enumerated() {
            if c.fileWide { fileWide.append(i) } else { byLine[c.line + 1, default: []].append(i) }
        }
        for d in diagnostics {
            let line = index.line(of: d.range.start)
            var suppressed = false
            for i in fileWide + (byLine[line] ?? []) where comments[i].codes.contains(d.code) {
                used.insert(i)
                suppressed = true
            }
            if !suppressed { kept.append(d) }
        }
        for (i, c) in comments.enumerated() {
            if !c.unknownCodes.isEmpty {
                let valid = "codes look like SW2003; see docs/diagnostics.md"
                kept.append(
                    Diagnostic(
                        .unusedSuppression,
                        "unknown diagnostic code \(c.unknownCodes.map { "'\($0)'" }.joined(separator: ", ")) in suppression comment; \(valid)",
                        at: c.range))
            } else if !used.contains(i) {
                let codes = c.codes.map(\.rawValue).joined(separator: ", ")
                kept.append(
                    Diagnostic(
                        .unusedSuppression,
                        c.fileWide
                            ? "'slipway-ignore-file: \(codes)' suppresses nothing in this file"
                            : "'slipway-ignore: \(codes)' suppresses nothing on the next line",
                        at: c.range,
                        fixes: [Fix(title: "Remove the unused suppression comment", edits: [TextEdit(range: c.range, newText: "")])],
                        tags: [.unnecessary]))
            }
        }
        return kept
    }
}
