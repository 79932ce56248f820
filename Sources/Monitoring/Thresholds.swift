import Diagnostics
import Manifest

/// What production is watched against, from the manifest's `monitor:`: each threshold with the PromQL
/// expression of the value it bounds. The same expression is written into the alerting rules and queried by
/// `monitor check`, so an alert fires exactly when `monitor check` reports a breach.
public struct MonitorThresholds: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case latencyP95 = "latency_p95_ms"
        case errorRate = "error_rate"
        case throughput = "min_throughput_rps"
        case drift = "max_output_drift"
    }

    public struct Threshold: Sendable {
        public var kind: Kind
        /// The limit in the manifest's unit (milliseconds for latency).
        public var limit: Double
        /// The limit in the metric's base unit (seconds for latency), as the expressions compare it.
        public var baseLimit: Double
        /// Breached above the limit (latency, errors, drift) or below it (throughput).
        public var breachedAbove: Bool
        /// The observed value per `target`, in base units.
        public var query: String
        public var alert: String
        /// The manifest value's range, where findings point.
        public var range: ByteRange
    }

    public var model: String
    public var window: String
    public var driftMeasure: String
    public var metrics: [String: String]
    /// Label matchers selecting the model's series, sorted by label.
    public var selector: [(String, String)]
    /// Labels the alerts carry, sorted by label.
    public var labels: [(String, String)]
    public var thresholds: [Threshold]

    /// Prometheus's default metric names (base units, `_total` counters, `_seconds` histograms).
    public static let defaultMetrics = [
        "latency": "slipway_inference_duration_seconds", "requests": "slipway_inference_requests_total",
        "errors": "slipway_inference_errors_total", "drift": "slipway_output_drift",
    ]

    public static func from(manifest: Manifest) -> Result<MonitorThresholds, MonitorError> {
        guard let spec = manifest.monitor else {
            return .failure(MonitorError(.manifest, "the manifest has no `monitor:` section; add thresholds such as `latency_p95_ms: 15`"))
        }
        let name = manifest.name?.value ?? "model"
        let window = spec.window?.value ?? "5m"
        guard isDuration(window) else {
            return .failure(MonitorError(.manifest, "monitor.window \(window) is not a Prometheus duration; write a number and a unit: ms, s, m, h, d, w or y (e.g. 5m)"))
        }
        var metrics = defaultMetrics
        for (k, v) in spec.metrics { metrics[k] = v.value }
        for (role, metric) in metrics where !isMetricName(metric) {
            return .failure(MonitorError(.manifest, "monitor.metrics.\(role) \(metric) is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"))
        }
        let selector = spec.selector.isEmpty ? [("model", name)] : spec.selector.map { ($0.key, $0.value.value) }.sorted { $0.0 < $1.0 }
        for (label, _) in selector + spec.labels.map({ ($0.key, $0.value.value) }) where !isLabelName(label) {
            return .failure(MonitorError(.manifest, "monitor: \(label) is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"))
        }
        let sel = "{" + selector.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
        let m = metrics
        var ts: [Threshold] = []
        if let v = spec.latencyP95MS {
            ts.append(Threshold(
                kind: .latencyP95, limit: v.value, baseLimit: v.value / 1000, breachedAbove: true,
                query: "histogram_quantile(0.95, sum by (target, le) (rate(\(m["latency"] ?? "")_bucket\(sel)[\(window)])))",
                alert: "SlipwayLatencyP95High", range: v.range))
        }
        if let v = spec.errorRate {
            ts.append(Threshold(
                kind: .errorRate, limit: v.value, baseLimit: v.value, breachedAbove: true,
                query: "sum by (target) (rate(\(m["errors"] ?? "")\(sel)[\(window)])) / sum by (target) (rate(\(m["requests"] ?? "")\(sel)[\(window)]))",
                alert: "SlipwayErrorRateHigh", range: v.range))
        }
        if let v = spec.minThroughputRPS {
            ts.append(Threshold(
                kind: .throughput, limit: v.value, baseLimit: v.value, breachedAbove: false,
                query: "sum by (target) (rate(\(m["requests"] ?? "")\(sel)[\(window)]))",
                alert: "SlipwayThroughputLow", range: v.range))
        }
        if let v = spec.maxOutputDrift {
            ts.append(Threshold(
                kind: .drift, limit: v.value, baseLimit: v.value, breachedAbove: true,
                query: "max by (target) (\(m["drift"] ?? "")\(sel))",
                alert: "SlipwayOutputDrift", range: v.range))
        }
        if ts.isEmpty {
            return .failure(MonitorError(.manifest, "monitor: names no threshold; add latency_p95_ms, error_rate, min_throughput_rps or max_output_drift"))
        }
        return .success(MonitorThresholds(
            model: name, window: window, driftMeasure: spec.driftMeasure?.value ?? "psi", metrics: metrics,
            selector: selector, labels: spec.labels.map { ($0.key, $0.value.value) }.sorted { $0.0 < $1.0 }, thresholds: ts))
    }

    /// `[0-9]+` then one of Prometheus's duration units.
    static func isDuration(_ s: String) -> Bool {
        for unit in ["ms", "s", "m", "h", "d", "w", "y"] where s.hasSuffix(unit) {
            let digits = s.dropLast(unit.count)
            if !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
        }
        return false
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.isASCII, f.properties.isAlphabetic || f == "_" || f == ":" else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.isASCII, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    /// A PromQL string literal's content.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// A number as PromQL and YAML both read it, shortest form.
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return "\(v)"
    }
}
