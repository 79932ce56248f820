import CheckedMath
import JSON

/// `report.html`: one self-contained page (styles and SVG inline, no script, no network) drawn from the very
/// `report.json` document, so the two cannot disagree. Every number on the page carries a `data-key` naming
/// its place in report.json, for the browser test to compare.
public enum TestReportHTML {
    static func esc(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }

    static func num(_ v: JSONValue?) -> String {
        guard let d = v?.doubleValue else { return "—" }
        return "\(d)"
    }

    public static func page(_ report: JSONValue) -> String {
        var h = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>slipway test — \(esc(report["manifest"]?.stringValue ?? ""))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1b1f24;padding:0 16px}
            h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
            table{border-collapse:collapse;margin:8px 0;width:100%}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
            th{background:#f6f8fa}.passed{color:#1a7f37;font-weight:600}.failed,.error{color:#cf222e;font-weight:600}.skipped{color:#9a6700;font-weight:600}
            .muted{color:#57606a}svg{background:#fff;border:1px solid #d0d7de}
            @media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}
            </style></head><body>
            <h1>slipway test: \(esc(report["manifest"]?.stringValue ?? ""))</h1>
            <p class="muted">Slipway \(esc(report["slipway"]?.stringValue ?? "")) · runtimes: \(esc((report["runtimes"]?.objectValue?.entries ?? []).map { $0.value.stringValue ?? "" }.joined(separator: ", "))) · \((report["samples"]?.arrayValue ?? []).count) samples · runner peak RSS <span data-key="runner_peak_rss_kb">\(num(report["runner_peak_rss_kb"]))</span> kB</p>
            <h2>Summary</h2><table><tr><th>Target</th><th>Status</th><th>Runtime</th><th>Tolerances</th><th>p95 latency (ms)</th></tr>
            """
        let targets = report["targets"]?.arrayValue ?? []
        for (i, t) in targets.enumerated() {
            let status = t["status"]?.stringValue ?? ""
            let tol = (t["tolerances"]?.arrayValue ?? []).map { x in
                "\(esc(x["name"]?.stringValue ?? "")) <span data-key=\"targets.\(i).tolerances.\(x["name"]?.stringValue ?? "").measured\">\(num(x["measured"]))</span> \(x["passed"]?.boolValue == true ? "✓" : "✗") (limit \(num(x["limit"])))"
            }.joined(separator: "<br>")
            h += "<tr><td>\(esc(t["target"]?.stringValue ?? ""))</td><td class=\"\(status)\" data-key=\"targets.\(i).status\">\(status)</td><td>\(esc(t["runtime"]?.stringValue ?? "—"))\(t["provider"]?.stringValue.map { "<br><span class=muted>\(esc($0))</span>" } ?? "")</td><td>\(tol.isEmpty ? esc(t["reason"]?.stringValue ?? "—") : tol)</td><td data-key=\"targets.\(i).latency_ms.p95\">\(num(t["latency_ms"]?["p95"]))</td></tr>\n"
        }
        h += "</table>\n"
        for (i, t) in targets.enumerated() {
            h += "<h2>\(esc(t["target"]?.stringValue ?? ""))</h2>\n"
            if let r = t["reason"]?.stringValue { h += "<p>\(esc(r))</p>\n" }
            if let n = t["provider_note"]?.stringValue { h += "<p class=muted>\(esc(n))</p>\n" }
            let outs = t["outputs"]?.arrayValue ?? []
            if !outs.isEmpty {
                h += "<table><tr><th>Output</th><th>cosine (mean / min)</th><th>max |Δ|</th><th>mean |Δ|</th><th>SQNR dB</th><th>top-1</th><th>top-5</th><th>worst samples</th></tr>\n"
                for (k, o) in outs.enumerated() {
                    let key = "targets.\(i).outputs.\(k)"
                    h += "<tr><td>\(esc(o["output"]?.stringValue ?? ""))</td><td><span data-key=\"\(key).cosine\">\(num(o["cosine"]))</span> / \(num(o["cosine_min"]))</td><td data-key=\"\(key).max_abs\">\(num(o["max_abs"]))</td><td>\(num(o["mean_abs"]))</td><td data-key=\"\(key).sqnr_db\">\(o["identical"]?.boolValue == true ? "identical" : num(o["sqnr_db"]))</td><td data-key=\"\(key).top1\">\(num(o["top1"]))</td><td>\(num(o["top5"]))</td><td>\((o["worst_samples"]?.arrayValue ?? []).compactMap(\.stringValue).map { esc(String($0.split(separator: "/").last ?? "")) }.joined(separator: ", "))</td></tr>\n"
                }
                h += "</table>\n"
                for o in outs {
                    h += "<p>Absolute error of <b>\(esc(o["output"]?.stringValue ?? ""))</b>, all values:</p>" + bars((o["error_histogram"]?.arrayValue ?? []).map { ($0["le"]?.doubleValue ?? 0, Double($0["count"]?.intValue ?? 0)) }, xLabel: "|original − artifact| ≤")
                }
            }
            let lat = (t["latency_ms"]?["samples"]?.arrayValue ?? []).compactMap(\.doubleValue)
            if !lat.isEmpty {
                h += "<p>Host latency per sample (ms): p50 \(num(t["latency_ms"]?["p50"])), p95 \(num(t["latency_ms"]?["p95"])); the original: p50 \(num(t["latency_ms"]?["original_p50"])), p95 \(num(t["latency_ms"]?["original_p95"])).</p>" + latencyHistogram(lat)
            }
        }
        h += "</body></html>\n"
        return h
    }

    /// A bar chart as inline SVG: one bar per (upper edge, count).
    static func bars(_ bins: [(Double, Double)], xLabel: String) -> String {
        guard let top = bins.map(\.1).max(), top > 0 else { return "" }
        let w = 640.0, hgt = 160.0, bw = w / Double(max(bins.count, 1))
        var s = "<svg width=\"\(Int(saturating: w) + 60)\" height=\"\(Int(saturating: hgt) + 40)\" viewBox=\"0 0 \(Int(saturating: w) + 60) \(Int(saturating: hgt) + 40)\" role=\"img\" aria-label=\"\(esc(xLabel))\">"
        for (i, b) in bins.enumerated() {
            let bh = b.1 / top * hgt
            s += "<rect x=\"\(50 + Double(i) * bw + 1)\" y=\"\(10 + hgt - bh)\" width=\"\(max(bw - 2, 1))\" height=\"\(bh)\" fill=\"#0969da\"><title>≤ \(b.0): \(Int(saturating: b.1))</title></rect>"
        }
        s += "<text x=\"50\" y=\"\(hgt + 30)\" font-size=\"11\">0</text><text x=\"\(50 + w - 80)\" y=\"\(hgt + 30)\" font-size=\"11\">\(esc(xLabel)) \(bins.last.map { String(format4($0.0)) } ?? "")</text>"
        s += "<text x=\"4\" y=\"18\" font-size=\"11\">\(Int(saturating: top))</text></svg>\n"
        return s
    }

    static func latencyHistogram(_ v: [Double]) -> String {
        guard let lo = v.min(), let hi = v.max() else { return "" }
        let n = 20, span = max(hi - lo, 1e-9)
        var counts = [Double](repeating: 0, count: n)
        for x in v { counts[min(n - 1, max(0, Int(saturating: ((x - lo) / span * Double(n)).rounded(.down))))] += 1 }
        return bars((0..<n).map { (lo + span * Double($0 + 1) / Double(n), counts[$0]) }, xLabel: "ms ≤")
    }

    static func format4(_ v: Double) -> String { "\((v * 10_000).rounded() / 10_000)" }
}

