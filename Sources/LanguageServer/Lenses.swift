import Checking
import Diagnostics
import Estimation
import Evaluation
import JSON
import ModelFormats

/// Code lenses: on the model path, what the model is ("ONNX · 70,162 parameters · 66 KB") and an Inspect
/// command. (Per-target estimate lenses arrive with the Compression engine.)
enum Lenses {
    static func codeLenses(_ r: Features.Request) -> JSONValue {
        guard let doc = r.document, let manifests = r.analysis?.file?.documents, let path = LSP.path(ofURI: doc.uri) else { return [] }
        var out: [JSONValue] = []
        for m in manifests {
            guard let p = m.manifest.model?.path else { continue }
            let full = PathUtil.normalize(PathUtil.join(PathUtil.directory(of: path), p.value))
            let title: String
            switch r.context.checker.fileSystem.kind(of: full) {
            case .file:
                if let model = r.context.readyModel(full) {
                    title = "\(model.format.rawValue.uppercased()) · \(grouped(model.parameterCount)) parameters · \(bytes(model.fileSize)) · Inspect"
                } else {
                    title = "Inspect"
                }
            default: continue
            }
            out.append([
                "range": r.lspRange(p.range),
                "command": ["title": .string(title), "command": "slipway.inspect", "arguments": [.string(full)]],
            ])
        }
        // On each target: its estimate, and convert it (an artifact and its report, written atomically).
        let estimates = EstimateView(r)
        for m in manifests {
            let tests = TestRecordFindings.summaries(manifest: m.manifest, manifestPath: path)
            for t in m.manifest.targets where t.runtimeName != nil {
                if let row = estimates?.row(t.name.value) {
                    let summary = EstimateView.summary(row)
                    if !summary.isEmpty {
                        out.append([
                            "range": r.lspRange(t.name.range),
                            "command": ["title": .string(summary), "command": "slipway.estimate", "arguments": [.string(doc.uri), .string(t.name.value)]],
                        ])
                    }
                }
                out.append([
                    "range": r.lspRange(t.name.range),
                    "command": ["title": "▶ Convert", "command": "slipway.convert", "arguments": [.string(doc.uri), .string(t.name.value)]],
                ])
                // The last test's figures (or a Test command where the manifest has samples); either runs `slipway.test`.
                let tested = tests[t.name.value]
                if tested != nil || m.manifest.test?.samples != nil {
                    out.append([
                        "range": r.lspRange(t.name.range),
                        "command": ["title": .string(tested?.line ?? "▶ Test"), "command": "slipway.test", "arguments": [.string(doc.uri), .string(t.name.value)]],
                    ])
                }
            }
        }
        return .array(out)
    }

    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func bytes(_ n: Int) -> String {
        if n >= 10_000_000 { return "\(n / 1_000_000) MB" }
        if n >= 1_000_000 { return "\(Double(n / 100_000) / 10) MB" }
        if n >= 1_000 { return "\(n / 1_000) KB" }
        return "\(n) B"
    }
}

/// Inlay hints: after a `weights:` value (or a pruning-only target's criterion), what those settings do to the
/// model ("≈ 32 KB · 41.2 dB").
enum InlayHints {
    static func hints(_ r: Features.Request) -> JSONValue {
        guard let doc = r.document, let view = EstimateView(r) else { return [] }
        let range = (try? r.range()) ?? ByteRange(0, doc.bytes.count)
        var out: [JSONValue] = []
        for t in view.manifest.targets {
            // After `weights:`, or after the prune criterion of a target that only prunes.
            guard let w = t.optimize.quantize?.weights?.range ?? t.optimize.prune?.criterion?.range,
                w.end >= range.start, w.start <= range.end,
                let row = view.row(t.name.value), let after = row["size_bytes"]?.intValue
            else { continue }
            var label = "≈ \(EstimateTable.mbText(after))"
            if let db = row["sqnr_db_aggregate"]?.doubleValue { label += " · \(EstimateTable.dbText(db))" }
            if out.contains(where: { $0["position"] == LSP.position(w.end, in: doc.lineIndex, unit: r.unit) }) { continue }
            out.append([
                "position": LSP.position(w.end, in: doc.lineIndex, unit: r.unit), "label": .string(label),
                "paddingLeft": true, "tooltip": .string("Estimated for target '\(t.name.value)'"),
            ])
        }
        return .array(out)
    }
}
