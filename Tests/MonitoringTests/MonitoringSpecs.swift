import Manifest
#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import Monitoring

private func thresholds(_ monitor: String, name: String = "enc") -> Result<MonitorThresholds, MonitorError> {
    let text = "slipway: 1\nname: \(name)\nmodel: {path: m.onnx}\ntargets: {t: {runtime: onnxruntime, format: onnx}}\nmonitor:\n\(monitor)\n"
    guard let m = ManifestFile(bytes: Array(text.utf8)).documents.first?.manifest else {
        return .failure(MonitorError(.manifest, "no manifest"))
    }
    return MonitorThresholds.from(manifest: m)
}

@Suite struct ThresholdSpecs {
    @Test func eachThresholdBecomesOneExpressionOverTheWindowAndSelector() throws {
        let t = try thresholds("  latency_p95_ms: 12\n  error_rate: 0.01\n  min_throughput_rps: 5\n  max_output_drift: 0.2\n  window: 30s").get()
        #expect(t.thresholds.map(\.kind) == [.latencyP95, .errorRate, .throughput, .drift])
        #expect(t.thresholds[0].query == #"histogram_quantile(0.95, sum by (target, le) (rate(slipway_inference_duration_seconds_bucket{model="enc"}[30s])))"#)
        #expect(t.thresholds[0].baseLimit == 0.012)
        #expect(t.thresholds[1].query == #"sum by (target) (rate(slipway_inference_errors_total{model="enc"}[30s])) / sum by (target) (rate(slipway_inference_requests_total{model="enc"}[30s]))"#)
        #expect(t.thresholds[2].breachedAbove == false)
        #expect(t.thresholds[3].query == #"max by (target) (slipway_output_drift{model="enc"})"#)
    }

    @Test func metricNamesAndSelectorAreTheManifests() throws {
        let t = try thresholds("  error_rate: 0.5\n  metrics: {requests: http_requests_total, errors: http_errors_total}\n  selector: {job: api, model: \"a\\\"b\"}").get()
        #expect(t.thresholds[0].query == #"sum by (target) (rate(http_errors_total{job="api",model="a\"b"}[5m])) / sum by (target) (rate(http_requests_total{job="api",model="a\"b"}[5m]))"#)
    }

    @Test func invalidWindowsAndEmptySectionsAreRefusedWithWhatIsValid() {
        guard case .failure(let e) = thresholds("  latency_p95_ms: 3\n  window: 5 min") else { Issue.record("accepted"); return }
        #expect(e.message == "monitor.window 5 min is not a Prometheus duration; write a number and a unit: ms, s, m, h, d, w or y (e.g. 5m)")
        guard case .failure(let f) = thresholds("  window: 5m") else { Issue.record("accepted"); return }
        #expect(f.message.hasPrefix("monitor: names no threshold"))
    }

    @Test func rulesAreStableYAMLWithTheAlertsLabels() throws {
        let t = try thresholds("  min_throughput_rps: 2.5\n  labels: {severity: page}").get()
        let y = AlertRules.yaml(t, source: "x.slipway.yaml")
        #expect(y.contains(#"expr: "sum by (target) (rate(slipway_inference_requests_total{model=\"enc\"}[5m])) < 2.5""#))
        #expect(y.contains("          severity: \"page\"\n          slipway_model: \"enc\"\n"))
        #expect(y == AlertRules.yaml(t, source: "x.slipway.yaml"))
    }
}

@Suite struct ExpositionSpecs {
    @Test func samplesWithEscapedLabelsSpecialValuesAndTimestamps() throws {
        let text = """
            # TYPE x counter
            x_total{a="q\\"uote",b="back\\\\slash",c="new\\nline"} 3 1764720000000
            y +Inf
            z{} NaN

            """
        let s = try Exposition.parse(Array(text.utf8)).get()
        #expect(s.count == 3)
        #expect(s[0].labels == ["a": "q\"uote", "b": "back\\slash", "c": "new\nline"])
        #expect(s[0].value == 3)
        #expect(s[1].value == .infinity)
        #expect(s[2].value.isNaN)
    }

    @Test func aMalformedLineIsNamedByNumber() {
        guard case .failure(let e) = Exposition.parse(Array("ok 1\nbad{a=1} 2\n".utf8)) else { Issue.record("accepted"); return }
        #expect(e.message == "line 2: expected a quoted value for label a")
    }
}

@Suite struct QuantileSpecs {
    @Test func histogramQuantileInterpolatesAsPrometheus() {
        // 100 observations: 90 ≤ 5 ms, 5 in (5, 10], 5 in (10, 25]: rank 95 closes the second bucket.
        let b: [(le: Double, count: Double)] = [(0.005, 90), (0.01, 95), (0.025, 100), (.infinity, 100)]
        #expect(Quantiles.histogram(0.95, buckets: b) == 0.01)
        #expect(Quantiles.histogram(0.5, buckets: b) == 0.005 * 50 / 90)
        // Past the last finite bucket: its bound, as Prometheus answers.
        #expect(Quantiles.histogram(0.99, buckets: [(0.01, 50), (.infinity, 100)]) == 0.01)
        #expect(Quantiles.histogram(0.95, buckets: [(.infinity, 0)]) == nil)
    }

    @Test func linearQuantileIsNumpys() {
        #expect(Quantiles.linear(0.95, sorted: [1, 2, 3, 4, 5]) == 4.8)
        #expect(Quantiles.linear(0.5, sorted: [7]) == 7)
    }
}

@Suite struct DriftSpecs {
    @Test func identicalDistributionsHaveNoDriftAndDisjointOnesTheMost() throws {
        let ref = (0..<1000).map { Double($0) }
        #expect(try #require(Drift.psi(reference: ref, observed: ref)) < 1e-12)
        #expect(try #require(Drift.jensenShannon(reference: ref, observed: ref)) < 1e-6)
        // Everything above the reference's top decile: the last bin holds all of it (p), a tenth of the
        // reference is in each bin (q); the distance computed here independently of Drift.
        let shifted = (0..<1000).map { Double($0) + 5000 }
        let p = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1.0], q = [Double](repeating: 0.1, count: 10)
        var js = 0.0
        for (a, b) in zip(p, q) {
            let m = (a + b) / 2
            if a > 0 { js += a * log2(a / m) / 2 }
            if b > 0 { js += b * log2(b / m) / 2 }
        }
        #expect(abs(try #require(Drift.jensenShannon(reference: ref, observed: shifted)) - js.squareRoot()) < 1e-12)
        #expect(Drift.psi(reference: [], observed: ref) == nil)
    }
}

@Suite struct InferenceLogSpecs {
    @Test func recordsAreGroupedByTargetAndJudged() throws {
        let lines = (0..<20).map { i in
            #"{"target": "\#(i % 2 == 0 ? "a" : "b")", "ts": \#(100 + i), "latency_ms": \#(i), "error": \#(i == 3), "outputs": {"y": [\#(i), 1]}}"#
        }.joined(separator: "\n")
        let t = try thresholds("  latency_p95_ms: 15\n  error_rate: 0.05\n  min_throughput_rps: 1").get()
        let out = try MonitorCheck.evaluate(t, source: .log("x.jsonl"), read: { _ in Array(lines.utf8) }).get()
        let b = out.filter { $0.target == "b" }
        // b holds 1, 3, …, 19: p95 (numpy linear) 18.1; one error in ten; ten records over 18 s.
        #expect(b.map(\.kind) == [.latencyP95, .errorRate, .throughput])
        #expect(abs((b[0].observed ?? 0) - 18.1) < 1e-9 && b[0].breached)
        #expect(b[1].observed == 0.1 && b[1].breached)
        #expect(b[2].observed == 0.5 && b[2].breached)
        #expect(out.first { $0.target == "a" && $0.kind == .errorRate }?.observed == 0)
    }
}
