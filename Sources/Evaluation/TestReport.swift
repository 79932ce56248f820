import Diagnostics
import JSON

/// `report.json` of `slipway test` (schema version 1, docs/test.md): what ran where, every metric, each
/// tolerance's verdict, latency, and provenance. The CLI's `--json` prints the same document.
public enum TestReport {
    public static let schemaVersion = 1

    static func number(_ v: Double?) -> JSONValue {
        guard let v, v.isFinite else { return .null }
        return .double((v * 1_000_000).rounded() / 1_000_000)
    }

    public static func json(_ run: TestRun, lineIndex: LineIndex?, toolVersion: String) -> JSONValue {
        func position(_ r: ByteRange) -> JSONValue {
            guard let lineIndex else { return .null }
            let p = lineIndex.position(of: r.start, unit: .scalars)
            return .object(["line": .int(p.line + 1), "column": .int(p.column + 1)])
        }
        let targets: [JSONValue] = run.targets.map { t in
            var o: JSONObject = ["target": .string(t.target), "status": .string(t.status.rawValue)]
            if let r = t.reason { o["reason"] = .string(r) }
            if let a = t.artifact { o["artifact"] = .string(a) }
            o["runtime"] = t.runtime.map { .string($0) } ?? .null
            o["original_runtime"] = t.originalRuntime.map { .string($0) } ?? .null
            if let p = t.provider { o["provider"] = .string(p) }
            if let n = t.providerNote { o["provider_note"] = .string(n) }
            o["outputs"] = .array(t.outputs.map { m in
                .object([
                    "output": .string(m.output), "samples": .int(m.samples), "cosine": number(m.cosineMean),
                    "cosine_min": number(m.cosineMin), "max_abs": number(m.maxAbs), "mean_abs": number(m.meanAbs),
                    "sqnr_db": number(m.sqnrDB), "identical": .bool(m.sqnrDB == nil), "top1": number(m.top1), "top5": number(m.top5),
                    "worst_samples": .array(m.worstSamples.map { .string(run.samples[safe: $0] ?? String($0)) }),
                    "error_histogram": .array(m.errorHistogram.map { .object(["le": number($0.edge), "count": .int($0.count)]) }),
                ])
            })
            o["tolerances"] = .array(t.tolerances.map { x in
                .object(["name": .string(x.name), "limit": number(x.limit), "measured": number(x.measured),
                         "passed": .bool(x.passed), "at": position(x.range)])
            })
            o["latency_ms"] = .object([
                "p50": number(t.latencyP50), "p95": number(t.latencyP95),
                "original_p50": number(t.originalLatencyP50), "original_p95": number(t.originalLatencyP95),
                "samples": .array(t.latencies.map { number($0) }),
            ])
            o["diagnostics"] = .array(t.diagnostics.map { d in
                .object(["code": .string(d.code.rawValue), "severity": .string(d.severity.rawValue), "message": .string(d.message), "at": position(d.range)])
            })
            return .object(o)
        }
        return .object([
            "slipway_test_report": .int(schemaVersion),
            "manifest": .string(run.manifest),
            "slipway": .string(toolVersion),
            "runtimes": .object(JSONObject(distinctEntries: run.runtimes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            "runner_peak_rss_kb": run.peakRSSKB.map { .int($0) } ?? .null,
            "samples": .array(run.samples.map { .string($0) }),
            "targets": .array(targets),
        ])
    }
}
