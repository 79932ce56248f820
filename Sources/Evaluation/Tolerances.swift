import CheckedMath
import Diagnostics
import Manifest

/// `test.tolerance` against the measured figures: a check per tolerance the manifest states, and a diagnostic
/// on the tolerance's value for each that fails, with the measured value.
enum Tolerances {
    static func judge(_ test: TestSpec, outputs: [OutputMetrics], latencyMS: [Double], target: String)
        -> (checks: [ToleranceCheck], diagnostics: [Diagnostic])
    {
        var checks: [ToleranceCheck] = []
        var diagnostics: [Diagnostic] = []
        func add(_ key: String, _ limit: Located<Double>?, measured: Double?, atLeast: Bool, text: (Double) -> String) {
            guard let limit else { return }
            let passed = measured.map { atLeast ? $0 >= limit.value : $0 <= limit.value } ?? false
            checks.append(ToleranceCheck(key: key, limit: limit.value, measured: measured, passed: passed))
            guard !passed else { return }
            let message: String
            if let m = measured {
                message = "target \(target): \(text(m)) is \(atLeast ? "below" : "above") the tolerance \(key): \(format(limit.value))"
            } else {
                message = "target \(target): \(key) cannot be measured: no output is classifier-shaped (one row of scores per sample)"
            }
            diagnostics.append(Diagnostic(.testToleranceFailed, message, at: limit.range))
        }
        let worstCosine = outputs.map(\.cosineMin).min()
        add("cosine", test.cosine, measured: worstCosine, atLeast: true) { "the lowest cosine similarity \(format($0, digits: 6))\(worst(outputs, by: \.cosineMin, lowest: true))" }
        add("max_abs", test.maxAbs, measured: outputs.map(\.maxAbs).max(), atLeast: false) { "the largest absolute error \(format($0, digits: 6))\(worst(outputs, by: \.maxAbs, lowest: false))" }
        let top1 = outputs.compactMap(\.top1).min()
        add("top1", test.top1, measured: top1, atLeast: true) { v in
            let n = outputs.first?.samples ?? 0
            return "top-1 agreement \(format(v, digits: 4)) (\(Int(roundingSaturating: v * Double(n))) of \(n) samples)"
        }
        add("sqnr_db", test.sqnrDB, measured: outputs.map(\.sqnrDB).min(), atLeast: true) { "SQNR \(format($0, digits: 2)) dB" }
        add("latency_ms_p95", test.latencyMSP95, measured: percentile(latencyMS, 0.95), atLeast: false) { "host latency p95 \(format($0, digits: 3)) ms" }
        return (checks, diagnostics)
    }

    static func worst(_ outputs: [OutputMetrics], by key: KeyPath<OutputMetrics, Double>, lowest: Bool) -> String {
        guard outputs.count > 1, let o = (lowest ? outputs.min { $0[keyPath: key] < $1[keyPath: key] } : outputs.max { $0[keyPath: key] < $1[keyPath: key] })
        else { return "" }
        return " (output \(o.name))"
    }
}

/// A figure for messages: up to `digits` decimals, trailing zeros dropped.
func format(_ v: Double, digits: Int = 6) -> String {
    guard v.isFinite else { return v > 0 ? "inf" : (v < 0 ? "-inf" : "nan") }
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    var s = "\(r)"
    if s.contains("e") { return "\(v)" }
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}
