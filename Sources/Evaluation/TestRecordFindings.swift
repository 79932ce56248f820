import Diagnostics
import Manifest

/// What the last `slipway test` of each target says about the manifest as it stands, for `check` and the
/// server: a failed result (SW6004, on the target, with the tolerances that failed), a result that no longer
/// describes the artifact, model or samples (SW6005), and `monitor` thresholds that the measured figures already
/// breach (SW6006). Reads only the records beside the artifacts and hashes files (remembered by file identity):
/// no model is run or parsed, so it runs outside the isolated model work.
public enum TestRecordFindings {
    public struct Summary: Sendable, Equatable {
        public var record: TestRecord
        public var stale: [String]
    }

    /// Each target's last result, by target name (targets never tested have none).
    public static func summaries(manifest: Manifest, manifestPath: String) -> [String: Summary] {
        var out: [String: Summary] = [:]
        for t in manifest.targets {
            if let (record, stale) = TestRecord.last(target: t, manifest: manifest, manifestPath: manifestPath) {
                out[t.name.value] = Summary(record: record, stale: stale)
            }
        }
        return out
    }

    public static func diagnostics(manifest: Manifest, manifestPath: String) -> [Diagnostic] {
        diagnostics(manifest: manifest, summaries: summaries(manifest: manifest, manifestPath: manifestPath))
    }

    static func diagnostics(manifest: Manifest, summaries: [String: Summary]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for t in manifest.targets {
            guard let s = summaries[t.name.value] else { continue }
            let name = t.name.value
            if !s.stale.isEmpty {
                var d = Diagnostic(.lastTestStale, "target \(name): the last test result (\(s.record.status)) is stale: "
                    + s.stale.joined(separator: "; ") + "; run `slipway test`", at: t.name.range)
                d.targets = [name]
                out.append(d)
                continue
            }
            if s.record.status == "failed" {
                let failed = s.record.checks.filter { !$0.passed }.map { c in
                    "\(c.key) \(c.measured.map { format($0, digits: 6) } ?? "not measured") against \(format(c.limit))"
                }
                let what = failed.isEmpty ? "" : ": " + failed.joined(separator: ", ")
                var d = Diagnostic(.lastTestFailed, "target \(name): the last `slipway test` failed\(what) (deploy refuses it until a test passes)",
                                   at: t.name.range)
                d.targets = [name]
                out.append(d)
            }
            if let limit = manifest.monitor?.latencyP95MS, let p95 = s.record.metrics["latency_ms_p95"], p95 > limit.value {
                var d = Diagnostic(
                    .monitorBreachedByTest,
                    "monitor.latency_p95_ms \(format(limit.value)) is below the p95 latency \(format(p95, digits: 3)) ms that the last test "
                        + "of target \(name) measured on its host\(s.record.runtime.map { " (runtime \($0))" } ?? ""): the alert would fire from the start",
                    at: limit.range)
                d.targets = [name]
                out.append(d)
            }
        }
        return out
    }
}

extension TestRecordFindings.Summary {
    /// One line for a lens: "test: passed · cosine 0.9991 · top-1 99.2 % · p95 3.1 ms" (stale results say so).
    public var line: String {
        var parts = ["test: \(record.status)\(stale.isEmpty ? "" : " (stale)")"]
        let m = record.metrics
        if let c = m["cosine"] { parts.append("cosine \(format(c, digits: 5))") }
        if let s = m["sqnr_db"] { parts.append("SQNR \(format(s, digits: 1)) dB") }
        if let t = m["top1"] { parts.append("top-1 \(format(t * 100, digits: 1)) %") }
        if let p = m["latency_ms_p95"] { parts.append("p95 \(format(p, digits: 2)) ms") }
        return parts.joined(separator: " · ")
    }
}
