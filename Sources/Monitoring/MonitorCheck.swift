import Diagnostics

/// One threshold judged for one target.
public struct ThresholdOutcome: Sendable, Equatable {
    public var kind: MonitorThresholds.Kind
    /// The series' `target` label ("" when the source has none).
    public var target: String
    /// In the manifest's unit (milliseconds for latency); nil when the source cannot tell.
    public var observed: Double?
    public var limit: Double
    public var breached: Bool
    /// Why the value is unknown, or how it was obtained when that matters.
    public var note: String?
    /// The manifest value the threshold came from.
    public var range: ByteRange
}

/// `monitor check`: the thresholds judged now against a live Prometheus (the very expressions of the
/// alerting rules), a scrape in the text exposition format, or a JSON Lines inference log.
public enum MonitorCheck {
    public enum Source: Sendable, Equatable {
        case prometheus(String)
        case exposition(String)
        case log(String)

        public static func of(_ s: String) -> Source {
            if s.hasPrefix("http://") || s.hasPrefix("https://") { return .prometheus(s) }
            if s.hasSuffix(".jsonl") || s.hasSuffix(".ndjson") || s.hasSuffix(".json") { return .log(s) }
            return .exposition(s)
        }
    }

    public static func evaluate(
        _ t: MonitorThresholds, source: Source, read: (String) -> [UInt8]?, baseline: [UInt8]? = nil
    ) -> Result<[ThresholdOutcome], MonitorError> {
        switch source {
        case .prometheus(let url): return live(t, url: url)
        case .exposition(let path):
            guard let bytes = read(path) else { return .failure(MonitorError(.source, "\(path): cannot read it")) }
            switch Exposition.parse(bytes) {
            case .failure(let e): return .failure(MonitorError(.source, "\(path): \(e.message)"))
            case .success(let samples): return .success(scrape(t, samples))
            }
        case .log(let path):
            guard let bytes = read(path) else { return .failure(MonitorError(.source, "\(path): cannot read it")) }
            let log: InferenceLog
            switch InferenceLog.parse(bytes) {
            case .failure(let e): return .failure(MonitorError(.source, "\(path): \(e.message)"))
            case .success(let l): log = l
            }
            var reference: InferenceLog?
            if let baseline {
                switch InferenceLog.parse(baseline) {
                case .failure(let e): return .failure(MonitorError(.source, "the baseline: \(e.message)"))
                case .success(let l): reference = l
                }
            }
            return .success(logged(t, log, baseline: reference))
        }
    }

    static func judge(_ th: MonitorThresholds.Threshold, target: String, observed: Double?, note: String? = nil) -> ThresholdOutcome {
        guard let v = observed, !v.isNaN else {
            return ThresholdOutcome(kind: th.kind, target: target, observed: nil, limit: th.limit, breached: false,
                                    note: note ?? "no value (no traffic in the window?)", range: th.range)
        }
        let breached = th.breachedAbove ? v > th.limit : v < th.limit
        return ThresholdOutcome(kind: th.kind, target: target, observed: v, limit: th.limit, breached: breached, note: note, range: th.range)
    }

    /// Base unit → the manifest's unit.
    static func manifestUnit(_ kind: MonitorThresholds.Kind, _ v: Double) -> Double {
        kind == .latencyP95 ? v * 1000 : v
    }

    static func live(_ t: MonitorThresholds, url: String) -> Result<[ThresholdOutcome], MonitorError> {
        let endpoint: PrometheusHTTP.Endpoint
        switch PrometheusHTTP.endpoint(url) {
        case .failure(let e): return .failure(e)
        case .success(let e): endpoint = e
        }
        var out: [ThresholdOutcome] = []
        for th in t.thresholds {
            switch PrometheusHTTP.query(endpoint, th.query) {
            case .failure(let e): return .failure(e)
            case .success(let series):
                if series.isEmpty {
                    out.append(judge(th, target: "", observed: nil, note: "no series match \(th.query)"))
                }
                for (labels, v) in series.sorted(by: { ($0.0["target"] ?? "") < ($1.0["target"] ?? "") }) {
                    out.append(judge(th, target: labels["target"] ?? "", observed: manifestUnit(th.kind, v)))
                }
            }
        }
        return .success(out)
    }

    static func scrape(_ t: MonitorThresholds, _ samples: [Sample]) -> [ThresholdOutcome] {
        let mine = samples.filter { s in t.selector.allSatisfy { s.labels[$0.0] == $0.1 } }
        func byTarget(_ name: String) -> [String: [Sample]] {
            Dictionary(grouping: mine.filter { $0.name == name }, by: { $0.labels["target"] ?? "" })
        }
        var out: [ThresholdOutcome] = []
        for th in t.thresholds {
            switch th.kind {
            case .latencyP95:
                let groups = byTarget((t.metrics["latency"] ?? "") + "_bucket")
                if groups.isEmpty { out.append(judge(th, target: "", observed: nil, note: "no \(t.metrics["latency"] ?? "")_bucket series in the scrape")) }
                for (target, ss) in groups.sorted(by: { $0.key < $1.key }) {
                    var byLE: [Double: Double] = [:]
                    for s in ss {
                        guard let leText = s.labels["le"] else { continue }
                        let le = leText == "+Inf" ? Double.infinity : (Double(leText) ?? .nan)
                        if !le.isNaN { byLE[le, default: 0] += s.value }
                    }
                    let q = Quantiles.histogram(0.95, buckets: byLE.map { ($0.key, $0.value) })
                    out.append(judge(th, target: target, observed: q.map { $0 * 1000 },
                                     note: "over all observations since the histogram started (a scrape has no window)"))
                }
            case .errorRate:
                let req = byTarget(t.metrics["requests"] ?? ""), err = byTarget(t.metrics["errors"] ?? "")
                if req.isEmpty { out.append(judge(th, target: "", observed: nil, note: "no \(t.metrics["requests"] ?? "") series in the scrape")) }
                for (target, ss) in req.sorted(by: { $0.key < $1.key }) {
                    let total = ss.reduce(0) { $0 + $1.value }
                    let errors = (err[target] ?? []).reduce(0) { $0 + $1.value }
                    out.append(judge(th, target: target, observed: total > 0 ? errors / total : nil,
                                     note: "counters since they started (a scrape has no window)"))
                }
            case .throughput:
                out.append(judge(th, target: "", observed: nil,
                                 note: "one scrape has no rate: check against Prometheus (--source http://…) or an inference log with timestamps"))
            case .drift:
                let groups = byTarget(t.metrics["drift"] ?? "")
                if groups.isEmpty { out.append(judge(th, target: "", observed: nil, note: "no \(t.metrics["drift"] ?? "") series in the scrape")) }
                for (target, ss) in groups.sorted(by: { $0.key < $1.key }) {
                    out.append(judge(th, target: target, observed: ss.map(\.value).max()))
                }
            }
        }
        return out
    }

    static func logged(_ t: MonitorThresholds, _ log: InferenceLog, baseline: InferenceLog?) -> [ThresholdOutcome] {
        var out: [ThresholdOutcome] = []
        var reference: [String: [Double]] = [:]
        for s in baseline?.targets.values.map({ $0 }) ?? [] {
            for (name, v) in s.outputs { reference[name, default: []].append(contentsOf: v) }
        }
        for th in t.thresholds {
            if log.targets.isEmpty { out.append(judge(th, target: "", observed: nil, note: "the log holds no records")) }
            for (target, s) in log.targets.sorted(by: { $0.key < $1.key }) {
                switch th.kind {
                case .latencyP95:
                    out.append(judge(th, target: target, observed: Quantiles.linear(0.95, sorted: s.latenciesMS.sorted()),
                                     note: s.latenciesMS.isEmpty ? "no latency_ms in the log" : nil))
                case .errorRate:
                    out.append(judge(th, target: target, observed: s.count > 0 ? Double(s.errors) / Double(s.count) : nil))
                case .throughput:
                    if let a = s.firstTS, let b = s.lastTS, b > a {
                        out.append(judge(th, target: target, observed: Double(s.count - 1) / (b - a)))
                    } else {
                        out.append(judge(th, target: target, observed: nil, note: "the log has no two distinct ts values to measure a rate"))
                    }
                case .drift:
                    guard baseline != nil else {
                        out.append(judge(th, target: target, observed: nil, note: "drift needs a reference: pass --baseline FILE (the test set's outputs, same format)"))
                        continue
                    }
                    var worst: Double?
                    var worstName = ""
                    for (name, values) in s.outputs.sorted(by: { $0.key < $1.key }) {
                        guard let ref = reference[name] else { continue }
                        let d = t.driftMeasure == "jensen_shannon"
                            ? Drift.jensenShannon(reference: ref, observed: values) : Drift.psi(reference: ref, observed: values)
                        if let d, d > (worst ?? -1) { worst = d; worstName = name }
                    }
                    out.append(judge(th, target: target, observed: worst,
                                     note: worst == nil ? "no output in the log is also in the baseline" : "\(t.driftMeasure) of output \(worstName)"))
                }
            }
        }
        return out
    }
}
