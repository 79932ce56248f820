import Diagnostics

/// An expected diagnostic: its code and a fragment of its message. Paired in order with the `⟦…⟧` ranges
/// of a fixture, so a test reads as "this text, these diagnostics here".
public struct Expected: Sendable, CustomStringConvertible {
    public var code: DiagnosticCode
    public var fragment: String
    public init(_ code: DiagnosticCode, _ fragment: String = "") {
        self.code = code
        self.fragment = fragment
    }
    public var description: String { "\(code.rawValue) \"\(fragment)\"" }
}

/// Compares diagnostics with a fixture's ranges and expectations; returns the mismatches (empty = pass).
public func mismatches(_ diagnostics: [Diagnostic], _ fixture: MarkedText, _ expected: [Expected]) -> [String] {
    let got = Diagnostic.sortedForOutput(diagnostics)
    var problems: [String] = []
    if got.count != expected.count || fixture.ranges.count != expected.count {
        problems.append(
            "expected \(expected.count) diagnostics at \(fixture.ranges.count) ranges, got \(got.count):\n"
                + got.map { "  \($0.code.rawValue) \($0.range) \($0.message)" }.joined(separator: "\n"))
        return problems
    }
    for (i, (d, e)) in zip(got, expected).enumerated() {
        if d.code != e.code { problems.append("#\(i): code \(d.code.rawValue), expected \(e.code.rawValue): \(d.message)") }
        if !e.fragment.isEmpty && !d.message.contains(e.fragment) {
            problems.append("#\(i): message '\(d.message)' lacks '\(e.fragment)'")
        }
        if d.range != fixture.ranges[i] {
            problems.append("#\(i) \(d.code.rawValue): range \(d.range), expected \(fixture.ranges[i]): \(d.message)")
        }
    }
    return problems
}
