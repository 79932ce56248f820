import Manifest
import Monitoring

/// `monitor check`'s readers on arbitrary bytes: the same input as a Prometheus scrape and as a JSON Lines
/// inference log (and as its own drift baseline), judged against every kind of threshold. Nothing may trap,
/// every threshold gets an outcome, and no observed value may be NaN (unknown is nil, never NaN).
public func fuzzMonitor(_ data: [UInt8]) -> [String] {
    let file = ManifestFile(bytes: Array("""
        slipway: 1
        name: fuzz
        model: {path: m.onnx}
        targets: {t: {runtime: onnxruntime, format: onnx}}
        monitor: {latency_p95_ms: 10, error_rate: 0.01, min_throughput_rps: 1, max_output_drift: 0.1, drift_measure: jensen_shannon}

        """.utf8))
    guard let manifest = file.documents.first?.manifest, case .success(let t) = MonitorThresholds.from(manifest: manifest) else {
        return ["the fuzz manifest's thresholds did not build"]
    }
    var problems: [String] = []
    for source in [MonitorCheck.Source.exposition("in"), .log("in.jsonl")] {
        guard case .success(let outcomes) = MonitorCheck.evaluate(t, source: source, read: { _ in data }, baseline: data) else { continue }
        for kind in MonitorThresholds.Kind.allCases where !outcomes.contains(where: { $0.kind == kind }) {
            problems.append("\(source): no outcome for \(kind.rawValue)")
        }
        for o in outcomes where o.observed?.isNaN == true {
            problems.append("\(source): \(o.kind.rawValue) observed NaN")
        }
    }
    return problems
}
