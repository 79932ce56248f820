import Compression
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

    /// `text` is the manifest's bytes, for SW6007's fix (shaped like the YAML around it); without it no fix is offered.
    public static func diagnostics(manifest: Manifest, manifestPath: String, text: [UInt8]? = nil) -> [Diagnostic] {
        diagnostics(manifest: manifest, summaries: summaries(manifest: manifest, manifestPath: manifestPath), text: text)
    }

    static func diagnostics(manifest: Manifest, summaries: [String: Summary], text: [UInt8]? = nil) -> [Diagnostic] {
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
                if let w = worstLayer(t, s.record, manifest: manifest, text: text) { out.append(w) }
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
            // The artifact's outputs against the original's on the test samples, by the monitor's measure: a
            // baseline of the original's outputs (what `monitor check --baseline` takes) is breached from the start.
            let measure = manifest.monitor?.driftMeasure?.value ?? "psi"
            if let limit = manifest.monitor?.maxOutputDrift, let drift = s.record.metrics[measure == "psi" ? "drift_psi" : "drift_jensen_shannon"],
               drift > limit.value {
                var d = Diagnostic(
                    .monitorBreachedByTest,
                    "monitor.max_output_drift \(format(limit.value)) is below the drift \(format(drift, digits: 3)) (\(measure == "psi" ? "PSI" : "Jensen–Shannon distance")) "
                        + "between the outputs of target \(name) and the original's on the last test's samples: against a baseline of the original's outputs, the alert would fire from the start",
                    at: limit.range)
                d.targets = [name]
                out.append(d)
            }
        }
        return out
    }
}

extension TestRecordFindings {
    /// SW6007: the quantized layer that lost the most in a failed test measured with `--layers` (the record's
    /// first `worstLayers` entry: the lowest SQNR of its own), with the fix that keeps its weights in float. On the
    /// `weights` value of the target's quantize settings (else its name). None when the target's `quantize.skip`
    /// already keeps those weights in float: the artifact predates the edit, and the next test measures again.
    static func worstLayer(_ t: TargetSpec, _ record: TestRecord, manifest: Manifest, text: [UInt8]?) -> Diagnostic? {
        let skip = (t.optimize.quantize?.skip ?? []).map { Glob($0.value) }
        let open = record.worstLayers.filter { l in l.weights.contains { w in !skip.contains { $0.matches(w) } } }
        guard let worst = record.worstLayers.first, open.first == worst else { return nil }
        let name = t.name.value
        let weights = worst.weights.filter { w in !skip.contains { $0.matches(w) } }
        let listed = weights.map { "'\($0)'" }.joined(separator: ", ")
        func db(_ v: Double?) -> String { v.map { "\(format($0, digits: 1)) dB" } ?? "exact" }
        var message = "target \(name): in the last `slipway test` the quantized layer that lost the most is \(worst.node) (\(worst.op)): "
            + "\(db(worst.ownSQNRDB)) of its own (its output \(db(worst.sqnrDB)), its inputs \(db(worst.inputSQNRDB))); "
            + "keep \(weights.count == 1 ? "its weight" : "its weights") \(listed) in float with optimize.quantize.skip"
        let next = open.dropFirst().prefix(2)
        if !next.isEmpty {
            message += "; next: " + next.map { "\($0.node) (\($0.op)) \(db($0.ownSQNRDB))" }.joined(separator: ", ")
        }
        let edit = text.flatMap { ManifestEdits.addToQuantizeSkip(weights, target: t, manifest: manifest, text: $0) }
        let fix = edit.map { Fix(title: "Keep \(worst.node) in float (add \(listed) to this target's quantize.skip)", edits: [$0]) }
        var d = Diagnostic(.lastTestWorstLayer, message, at: t.optimize.quantize?.weights?.range ?? t.name.range,
                           fixes: fix.map { [$0] } ?? [])
        d.targets = [name]
        return d
    }
}

extension TestRecordFindings.Summary {
    /// One line for a lens: "test: passed · cosine 0.9991 · top-1 99.2 % · p95 3.1 ms" (stale results say so; a
    /// failed one measured with `--layers` ends with the quantized layer that lost the most, as SW6007 names it).
    public var line: String {
        var parts = ["test: \(record.status)\(stale.isEmpty ? "" : " (stale)")"]
        let m = record.metrics
        if let c = m["cosine"] { parts.append("cosine \(format(c, digits: 5))") }
        if let s = m["sqnr_db"] { parts.append("SQNR \(format(s, digits: 1)) dB") }
        if let t = m["top1"] { parts.append("top-1 \(format(t * 100, digits: 1)) %") }
        if let p = m["latency_ms_p95"] { parts.append("p95 \(format(p, digits: 2)) ms") }
        if record.status == "failed", stale.isEmpty, let w = record.worstLayers.first, let own = w.ownSQNRDB {
            parts.append("worst layer \(w.node) \(format(own, digits: 1)) dB")
        }
        return parts.joined(separator: " · ")
    }
}
