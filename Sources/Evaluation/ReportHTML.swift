import CheckedMath
import JSON

/// `report.html`: the test run as one self-contained page (inline CSS and SVG, no script, no network), drawn from
/// the same object as `report.json`. Every figure shown carries its JSON path and exact value
/// (`data-path`, `data-value`), so a test can hold the page to the JSON.
public enum ReportHTML {
    public static func render(_ report: JSONValue) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>slipway test report</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:24px auto;max-width:1180px;padding:0 16px}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
            h3{font-size:15px;margin:16px 0 6px}.muted{color:#57606a}table{border-collapse:collapse;margin:6px 0}
            td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
            .passed{color:#1a7f37;font-weight:600}.failed,.error{color:#cf222e;font-weight:600}.skipped{color:#9a6700;font-weight:600}
            .plots{display:flex;flex-wrap:wrap;gap:24px}figure{margin:0}figcaption{font-size:12px;color:#57606a}
            code{font-size:12px;word-break:break-all}svg text{font:10px system-ui,sans-serif;fill:#57606a}
            @media print{body{margin:0;max-width:none}h2{break-after:avoid}.target{break-inside:avoid}}
            </style></head><body>

            """
        h += "<h1>slipway test</h1>\n<p class=\"muted\">Manifest <code>\(escape(report["manifest"]?.stringValue ?? ""))</code> · "
        h += "\(num(report["samples"]?["count"], path: "samples.count")) samples · exit \(num(report["exit"], path: "exit"))</p>\n"
        if let e = report["setup_error"]?.stringValue { h += "<p class=\"error\">\(escape(e))</p>\n" }
        h += "<p class=\"muted\">Original <code>\(escape(report["original"]?["path"]?.stringValue ?? "—"))</code> SHA-256 "
        h += "<code>\(escape(report["original"]?["sha256"]?.stringValue ?? "—"))</code> · samples SHA-256 "
        h += "<code>\(escape(report["samples"]?["sha256"]?.stringValue ?? "—"))</code></p>\n"
        h += "<h2>Summary</h2>\n<table><tr><th>Target</th><th>Status</th><th>Runtime</th><th>Tolerances</th></tr>\n"
        let targets = report["targets"]?.arrayValue ?? []
        for (i, t) in targets.enumerated() {
            let status = t["status"]?.stringValue ?? ""
            let tolerances = (t["tolerances"]?.arrayValue ?? []).enumerated().map { j, c in
                "\(escape(c["key"]?.stringValue ?? "")) \(c["passed"]?.boolValue == true ? "✓" : "✗") "
                    + num(c["measured"], path: "targets.\(i).tolerances.\(j).measured")
            }.joined(separator: "<br>")
            h += "<tr><td>\(escape(t["name"]?.stringValue ?? ""))</td><td class=\"\(escape(status))\">\(escape(status))</td>"
            h += "<td>\(escape(t["runtime"]?.stringValue ?? "—")) \(escape(t["runtime_version"]?.stringValue ?? ""))</td><td>\(tolerances)</td></tr>\n"
        }
        h += "</table>\n"
        for (i, t) in targets.enumerated() { h += target(t, index: i) }
        h += "<h2>Diagnostics</h2>\n"
        let diagnostics = report["diagnostics"]?.arrayValue ?? []
        if diagnostics.isEmpty { h += "<p class=\"muted\">None.</p>\n" }
        for d in diagnostics {
            h += "<p><code>\(escape(d["file"]?.stringValue ?? "")):\(d["line"]?.intValue ?? 0):\(d["column"]?.intValue ?? 0)</code> "
            h += "<span class=\"\(escape(d["severity"]?.stringValue ?? ""))\">\(escape(d["code"]?.stringValue ?? ""))</span> \(escape(d["message"]?.stringValue ?? ""))</p>\n"
        }
        h += "<p class=\"muted\">report.json schema version \(num(report["slipway_test"], path: "slipway_test")) (docs/test.md)</p>\n</body></html>\n"
        return h
    }

    static func target(_ t: JSONValue, index i: Int) -> String {
        let p = "targets.\(i)"
        var h = "<section class=\"target\"><h2>Target \(escape(t["name"]?.stringValue ?? ""))</h2>\n"
        if let r = t["reason"]?.stringValue { h += "<p>\(escape(r))</p>\n" }
        let checks = t["tolerances"]?.arrayValue ?? []
        if !checks.isEmpty {
            h += "<table><tr><th>Tolerance</th><th>Limit</th><th>Measured</th><th>Result</th></tr>\n"
            for (j, c) in checks.enumerated() {
                let ok = c["passed"]?.boolValue == true
                h += "<tr><td>\(escape(c["key"]?.stringValue ?? ""))</td><td>\(num(c["limit"], path: "\(p).tolerances.\(j).limit"))</td>"
                h += "<td>\(num(c["measured"], path: "\(p).tolerances.\(j).measured"))</td><td class=\"\(ok ? "passed" : "failed")\">\(ok ? "pass" : "fail")</td></tr>\n"
            }
            h += "</table>\n"
        }
        for (k, o) in (t["outputs"]?.arrayValue ?? []).enumerated() {
            let q = "\(p).outputs.\(k)"
            h += "<h3>Output \(escape(o["name"]?.stringValue ?? ""))</h3>\n<table><tr>"
            let keys = ["cosine_min", "cosine_mean", "max_abs", "mean_abs", "sqnr_db", "top1", "top5"]
            for key in keys { h += "<th>\(key)</th>" }
            h += "</tr><tr>"
            for key in keys { h += "<td>\(num(o[key], path: "\(q).\(key)"))</td>" }
            h += "</tr></table>\n<div class=\"plots\"><figure>"
            h += histogram((o["sample_max_abs"]?.arrayValue ?? []).compactMap(\.doubleValue), label: "largest absolute error per sample")
            h += "<figcaption>Largest absolute error per sample</figcaption></figure>"
            if let runs = t["latency_ms"]?["runs"]?.arrayValue?.compactMap(\.doubleValue), k == 0 {
                h += "<figure>" + histogram(runs, label: "host latency, ms") + "<figcaption>Artifact host latency per sample (ms): p50 "
                h += num(t["latency_ms"]?["p50"], path: "\(p).latency_ms.p50") + " · p95 " + num(t["latency_ms"]?["p95"], path: "\(p).latency_ms.p95")
                h += "</figcaption></figure>"
            }
            h += "</div>\n<table><tr><th>Worst samples</th><th>max_abs</th><th>cosine</th></tr>\n"
            for (w, s) in (o["worst_samples"]?.arrayValue ?? []).enumerated() {
                h += "<tr><td><code>\(escape(s["file"]?.stringValue ?? ""))</code></td><td>\(num(s["max_abs"], path: "\(q).worst_samples.\(w).max_abs"))</td>"
                h += "<td>\(num(s["cosine"], path: "\(q).worst_samples.\(w).cosine"))</td></tr>\n"
            }
            h += "</table>\n"
        }
        if let layers = t["layers"]?.arrayValue, !layers.isEmpty {
            h += "<h3>Per-layer SQNR</h3>\n" + coverage(t["layers_coverage"], path: "\(p).layers_coverage")
            h += layerBars(layers, path: "\(p).layers")
        }
        h += "<h3>Provenance</h3>\n<table>"
        h += "<tr><th>Artifact</th><td><code>\(escape(t["artifact"]?.stringValue ?? "—"))</code></td></tr>"
        h += "<tr><th>Artifact SHA-256</th><td><code>\(escape(t["artifact_sha256"]?.stringValue ?? "—"))</code></td></tr>"
        h += "<tr><th>Runtime</th><td>\(escape(t["runtime"]?.stringValue ?? "—")) \(escape(t["runtime_version"]?.stringValue ?? ""))</td></tr>"
        if let on = t["ran_on"]?.stringValue {
            h += "<tr><th>Ran on</th><td>\(escape(on))\(t["placement_note"]?.stringValue.map { " — " + escape($0) } ?? "")</td></tr>"
        }
        h += "<tr><th>Runner peak RSS (KiB)</th><td>\(num(t["peak_rss_kb"], path: "\(p).peak_rss_kb"))</td></tr>"
        h += "</table></section>\n"
        return h
    }

    /// How many of the original's float values the bars cover, and why the others are left out.
    static func coverage(_ c: JSONValue?, path: String) -> String {
        guard let c, c.objectValue != nil else { return "" }
        var s = "<p>\(num(c["measured"], path: "\(path).measured")) float values measured, "
        s += "\(num(c["left_out"], path: "\(path).left_out")) left out"
        let reasons = c["reasons"]?.arrayValue ?? []
        if reasons.isEmpty { return s + ".</p>\n" }
        s += ":</p>\n<ul>"
        for (k, r) in reasons.enumerated() {
            s += "<li>\(num(r["values"], path: "\(path).reasons.\(k).values")) \(escape(r["reason"]?.stringValue ?? ""))"
            let examples = (r["examples"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !examples.isEmpty { s += " (e.g. " + examples.map { "<code>\(escape($0))</code>" }.joined(separator: ", ") + ")" }
            s += "</li>"
        }
        return s + "</ul>\n"
    }

    /// The longest label that fits left of the bars.
    static let labelCharacters = 40

    /// A bar's label: the node as it is, or, when longer than the room left of the bars, its end (a subgraph
    /// value's path differs in its last parts) after an ellipsis; the whole name is the label's tooltip and in the
    /// table below.
    static func barLabel(_ node: String) -> String {
        node.count <= labelCharacters ? node : "…" + String(node.suffix(labelCharacters - 1))
    }

    /// One horizontal bar per value the artifact computes, in graph order, as long as its SQNR (dB; the lowest
    /// in red): where along the network the error grows. Exact values are drawn full and marked "=".
    static func layerBars(_ layers: [JSONValue], path: String) -> String {
        let rowHeight = 16.0, labelWidth = 260.0, barWidth = 380.0
        let values = layers.compactMap { $0["sqnr_db"]?.doubleValue }
        let top = max(values.max() ?? 1, 1)
        let worst = values.min()
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + 70))\" height=\"\(Int(Double(layers.count) * rowHeight + 4))\" role=\"img\" aria-label=\"per-layer SQNR, dB\">"
        for (k, l) in layers.enumerated() {
            let y = Double(k) * rowHeight
            let node = "\(l["node"]?.stringValue ?? "") (\(l["op"]?.stringValue ?? ""))"
            let db = l["sqnr_db"]?.doubleValue
            let width = db.map { max(1, min(barWidth, $0 / top * barWidth)) } ?? barWidth
            let colour = db != nil && db == worst ? "#cf222e" : "#0969da"
            s += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(fmt(y + 12))\" text-anchor=\"end\">\(escape(barLabel(node)))<title>\(escape(node))</title></text>"
            s += "<rect x=\"\(Int(labelWidth))\" y=\"\(fmt(y + 2))\" width=\"\(fmt(width))\" height=\"\(fmt(rowHeight - 4))\" fill=\"\(colour)\"><title>\(escape(node))</title></rect>"
            s += "<text x=\"\(fmt(labelWidth + width + 4))\" y=\"\(fmt(y + 12))\">\(db.map(short) ?? "=")</text>"
        }
        s += "</svg>\n<table><tr><th>Node</th><th>Op</th><th>SQNR (dB)</th></tr>\n"
        for (k, l) in layers.enumerated() {
            s += "<tr><td><code>\(escape(l["node"]?.stringValue ?? ""))</code></td><td>\(escape(l["op"]?.stringValue ?? ""))</td>"
            s += "<td>\(num(l["sqnr_db"], path: "\(path).\(k).sqnr_db"))</td></tr>\n"
        }
        return s + "</table>\n"
    }

    /// An inline SVG histogram of `values` in 20 bins.
    static func histogram(_ values: [Double], label: String) -> String {
        let w = 360.0, hgt = 140.0, bins = 20
        guard let lo = values.min(), let hi = values.max() else { return "<svg width=\"360\" height=\"20\"></svg>" }
        var counts = [Int](repeating: 0, count: bins)
        let span = hi - lo
        for v in values {
            let b = span > 0 ? min(bins - 1, max(0, Int(saturating: ((v - lo) / span * Double(bins)).rounded(.down)))) : 0
            counts[b] += 1
        }
        let top = Double(counts.max() ?? 1)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(hgt + 24))\" role=\"img\" aria-label=\"\(escape(label))\">"
        let bw = w / Double(bins)
        for (b, c) in counts.enumerated() {
            let bh = top > 0 ? Double(c) / top * hgt : 0
            s += "<rect x=\"\(fmt(Double(b) * bw + 1))\" y=\"\(fmt(hgt - bh))\" width=\"\(fmt(bw - 2))\" height=\"\(fmt(bh))\" fill=\"#0969da\"><title>\(c)</title></rect>"
        }
        s += "<line x1=\"0\" y1=\"\(Int(hgt))\" x2=\"\(Int(w))\" y2=\"\(Int(hgt))\" stroke=\"#57606a\"/>"
        s += "<text x=\"0\" y=\"\(Int(hgt + 14))\">\(escape(short(lo)))</text><text x=\"\(Int(w))\" y=\"\(Int(hgt + 14))\" text-anchor=\"end\">\(escape(short(hi)))</text></svg>"
        return s
    }

    static func num(_ v: JSONValue?, path: String) -> String {
        guard let v, !v.isNull else { return "<span data-path=\"\(path)\" data-value=\"null\">—</span>" }
        let exact = v.serialized()
        let shown = v.intValue.map(String.init) ?? v.doubleValue.map(short) ?? exact
        return "<span data-path=\"\(path)\" data-value=\"\(escape(exact))\">\(escape(shown))</span>"
    }

    static func short(_ d: Double) -> String {
        guard d.isFinite else { return "\(d)" }
        let a = abs(d)
        let digits = a >= 100 ? 1 : (a >= 1 ? 3 : 6)
        return format(d, digits: digits)
    }

    static func fmt(_ d: Double) -> String { format(d, digits: 2) }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
