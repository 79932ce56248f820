/// One sample of the Prometheus text exposition format
/// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
public struct Sample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
}

/// A bounded reader of the text exposition format: comments and `# TYPE`/`# HELP` skipped, label values
/// unescaped, `NaN`/`+Inf`/`-Inf` understood, timestamps ignored. A malformed line is an error naming its
/// line number, never a crash.
public enum Exposition {
    public static func parse(_ bytes: [UInt8], limitSamples: Int = 5_000_000) -> Result<[Sample], MonitorError> {
        var out: [Sample] = []
        var lineNo = 0
        var i = 0
        let n = bytes.count
        while i < n {
            lineNo += 1
            var end = i
            while end < n && bytes[end] != 10 { end += 1 }
            let line = bytes[i..<end]
            i = end + 1
            var p = line.startIndex
            while p < line.endIndex && (line[p] == 32 || line[p] == 9) { p += 1 }
            if p == line.endIndex || line[p] == 35 { continue }  // blank or '#'
            guard out.count < limitSamples else {
                return .failure(MonitorError(.source, "more than \(limitSamples) samples; read a smaller scrape"))
            }
            switch sample(line[p...]) {
            case .success(let s): out.append(s)
            case .failure(let why): return .failure(MonitorError(.source, "line \(lineNo): \(why.text)"))
            }
        }
        return .success(out)
    }

    static func isNameByte(_ b: UInt8, first: Bool) -> Bool {
        (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 || b == 58 || (!first && b >= 48 && b <= 57)
    }

    static func sample(_ s: ArraySlice<UInt8>) -> Result<Sample, LineProblem> {
        var p = s.startIndex
        let start = p
        while p < s.endIndex && isNameByte(s[p], first: p == start) { p += 1 }
        guard p > start else { return .failure(LineProblem("expected a metric name")) }
        let name = String(decoding: s[start..<p], as: UTF8.self)
        var labels: [String: String] = [:]
        if p < s.endIndex && s[p] == 123 {  // '{'
            p += 1
            while true {
                while p < s.endIndex && (s[p] == 32 || s[p] == 44) { p += 1 }
                guard p < s.endIndex else { return .failure(LineProblem("unterminated label set")) }
                if s[p] == 125 { p += 1; break }  // '}'
                let ls = p
                while p < s.endIndex && isNameByte(s[p], first: p == ls) && s[p] != 58 { p += 1 }
                guard p > ls else { return .failure(LineProblem("expected a label name")) }
                let label = String(decoding: s[ls..<p], as: UTF8.self)
                while p < s.endIndex && s[p] == 32 { p += 1 }
                guard p < s.endIndex, s[p] == 61 else { return .failure(LineProblem("expected = after label \(label)")) }
                p += 1
                while p < s.endIndex && s[p] == 32 { p += 1 }
                guard p < s.endIndex, s[p] == 34 else { return .failure(LineProblem("expected a quoted value for label \(label)")) }
                p += 1
                var value: [UInt8] = []
                var closed = false
                while p < s.endIndex {
                    let b = s[p]
                    if b == 92 {  // backslash
                        p += 1
                        guard p < s.endIndex else { break }
                        switch s[p] {
                        case 110: value.append(10)
                        case 92: value.append(92)
                        case 34: value.append(34)
                        default: value.append(92); value.append(s[p])
                        }
                    } else if b == 34 {
                        closed = true
                        p += 1
                        break
                    } else {
                        value.append(b)
                    }
                    p += 1
                }
                guard closed else { return .failure(LineProblem("unterminated value for label \(label)")) }
                labels[label] = String(decoding: value, as: UTF8.self)
            }
        }
        while p < s.endIndex && (s[p] == 32 || s[p] == 9) { p += 1 }
        let vs = p
        while p < s.endIndex && s[p] != 32 && s[p] != 9 && s[p] != 13 { p += 1 }
        let text = String(decoding: s[vs..<p], as: UTF8.self)
        let value: Double
        switch text {
        case "+Inf", "Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(text) else { return .failure(LineProblem("\(name): \(text.isEmpty ? "no value" : "value \(text) is not a number")")) }
            value = v
        }
        return .success(Sample(name: name, labels: labels, value: value))
    }
}

/// Why one line of a scrape is not a sample.
struct LineProblem: Error {
    var text: String
    init(_ text: String) { self.text = text }
}
