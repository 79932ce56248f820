import JSON

/// A log of inferences as JSON Lines, one object per inference:
/// `{"target": "server", "ts": 1764720000.5, "latency_ms": 3.2, "error": false, "outputs": {"logits": [0.1, 0.7]}}`.
/// Every field is optional; what a threshold needs and the log lacks is reported as unknown, never guessed.
public struct InferenceLog: Sendable {
    public struct Series: Sendable {
        public var count = 0
        public var errors = 0
        public var latenciesMS: [Double] = []
        public var firstTS: Double?
        public var lastTS: Double?
        /// Output values by output name, flattened.
        public var outputs: [String: [Double]] = [:]
    }

    /// By `target` ("" when a record names none).
    public var targets: [String: Series] = [:]
    public var records = 0

    public static func parse(_ bytes: [UInt8], limitRecords: Int = 50_000_000) -> Result<InferenceLog, MonitorError> {
        var log = InferenceLog()
        var lineNo = 0
        var i = 0
        let n = bytes.count
        var failure: MonitorError?
        var slots: [String: Int] = [:]
        var series: [Series] = []
        bytes.withUnsafeBufferPointer { all in
            while i < n {
                lineNo += 1
                var end = i
                while end < n && all[end] != 10 { end += 1 }
                let start = i
                i = end + 1
                var blank = true
                for k in start..<end where all[k] != 32 && all[k] != 9 && all[k] != 13 { blank = false; break }
                if blank { continue }
                guard log.records < limitRecords else {
                    failure = MonitorError(.source, "more than \(limitRecords) records")
                    return
                }
                let value: JSONValue
                do throws(JSONParseError) {
                    value = try JSONValue.parse(bytes: UnsafeBufferPointer(rebasing: all[start..<end]), maxDepth: 8)
                } catch {
                    failure = MonitorError(.source, "line \(lineNo): \(error)")
                    return
                }
                guard case .object(let o) = value else {
                    failure = MonitorError(.source, "line \(lineNo): expected a JSON object per line")
                    return
                }
                log.records += 1
                let target = o["target"]?.stringValue ?? ""
                // Mutated in place: a copy of the series per record would make the log quadratic.
                let slot: Int
                if let k = slots[target] { slot = k } else {
                    slot = series.count
                    slots[target] = slot
                    series.append(Series())
                }
                series[slot].count += 1
                if o["error"]?.boolValue == true { series[slot].errors += 1 }
                if let l = o["latency_ms"]?.doubleValue, l.isFinite { series[slot].latenciesMS.append(l) }
                if let t = o["ts"]?.doubleValue, t.isFinite {
                    series[slot].firstTS = min(series[slot].firstTS ?? t, t)
                    series[slot].lastTS = max(series[slot].lastTS ?? t, t)
                }
                if case .object(let outs)? = o["outputs"] {
                    for (name, v) in outs.entries {
                        switch v {
                        case .array(let items):
                            for x in items { if let d = x.doubleValue { series[slot].outputs[name, default: []].append(d) } }
                        default:
                            if let d = v.doubleValue { series[slot].outputs[name, default: []].append(d) }
                        }
                    }
                }
            }
        }
        if let failure { return .failure(failure) }
        for (target, slot) in slots { log.targets[target] = series[slot] }
        return .success(log)
    }
}
