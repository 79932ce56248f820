import Checking
import Diagnostics
import Manifest

/// fuzz-manifest: YAML text → `ManifestFile` (parser, validator, decoder) → `ManifestChecker` (path checks,
/// target checks against the catalogue, estimates on the project's model, suppressions) over an in-memory
/// project; every diagnostic through the `LineIndex`; the first fix applied and the result checked again.
/// Returns the invariants it found broken (empty when all hold). It never traps, on any input.
@discardableResult
public func fuzzManifest(_ data: [UInt8]) -> [String] {
    let checker = ManifestChecker(fileSystem: FuzzSupport.project, estimateCache: nil)
    let path = "/fuzz/project/fuzz.slipway.yaml"
    let result = checker.check(bytes: data, path: path)
    var problems = rangeProblems(result, count: data.count)
    if let fix = result.diagnostics.lazy.flatMap(\.fixes).first, let fixed = apply(fix.edits, to: data) {
        problems += rangeProblems(checker.check(bytes: fixed, path: path), count: fixed.count).map { "after fix '\(fix.title)': \($0)" }
    }
    return problems
}

/// Diagnostics and their edits must lie inside the text, and every offset must convert to a position.
func rangeProblems(_ result: CheckResult, count: Int) -> [String] {
    var problems: [String] = []
    let index = result.lineIndex
    func valid(_ r: ByteRange) -> Bool { r.start >= 0 && r.start <= r.end && r.end <= count }
    for d in result.diagnostics {
        if !valid(d.range) { problems.append("\(d.code.rawValue) range \(d.range) outside \(count) bytes") }
        for e in d.fixes.flatMap(\.edits) where !valid(e.range) {
            problems.append("\(d.code.rawValue) fix edit \(e.range) outside \(count) bytes")
        }
        for unit in [ColumnUnit.utf16, .utf8] {
            let p = index.position(of: d.range.start, unit: unit)
            if d.range.start >= 0, d.range.start <= count, index.offset(of: p, unit: unit) > count {
                problems.append("\(d.code.rawValue): \(p) maps past the text")
            }
        }
    }
    return problems
}

/// The text with `edits` applied, or nil when they overlap.
func apply(_ edits: [TextEdit], to text: [UInt8]) -> [UInt8]? {
    let sorted = edits.sorted { $0.range.start > $1.range.start }
    var out = text
    var limit = text.count
    for e in sorted {
        guard e.range.start >= 0, e.range.start <= e.range.end, e.range.end <= limit else { return nil }
        out.replaceSubrange(e.range.start..<e.range.end, with: Array(e.newText.utf8))
        limit = e.range.start
    }
    return out
}
