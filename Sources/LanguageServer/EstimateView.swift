import Checking
import Diagnostics
import Estimation
import JSON
import Manifest
import ModelFormats
import Targets

/// Estimates for the editor: the per-target table (the same as `slipway estimate MANIFEST`), and short
/// summaries for lenses and inlay hints. Computed from the model through the checker's caches, so repeated
/// requests on an unchanged model and unchanged settings cost a lookup.
struct EstimateView {
    let manifest: Manifest
    let model: Model
    let table: JSONValue

    init?(_ r: Features.Request) {
        guard let manifest = r.analysis?.manifest, let rel = manifest.model?.path?.value, let doc = r.document,
            let docPath = LSP.path(ofURI: doc.uri), let catalogue = r.context.checker.catalogue
        else { return nil }
        let fs = r.context.checker.fileSystem
        let path = PathUtil.join(PathUtil.directory(of: docPath), rel)
        guard case .file = fs.kind(of: path), let model = r.context.readyModel(path) else { return nil }
        let estimation = TargetEstimation.run(manifest: manifest, model: model, cache: r.context.checker.estimateCache,
                                              cachedOnly: r.context.defersModelWork)
        self.manifest = manifest
        self.model = model
        table = EstimateTable.build(manifest: manifest, model: model, catalogue: catalogue, estimation: estimation)
    }

    func row(_ target: String) -> JSONValue? {
        table["targets"]?.arrayValue?.first { $0["target"]?.stringValue == target }
    }

    /// "93.1 KB → 32.2 KB · 41.2 dB · ~0.02 ms", the figures the issue's lens shows; a missed budget is flagged.
    static func summary(_ row: JSONValue) -> String {
        var parts: [String] = []
        if row["estimate_pending"]?.boolValue == true {
            parts.append("estimating the weights…")
        } else if let before = row["size_before_bytes"]?.intValue, let after = row["size_bytes"]?.intValue {
            parts.append("\(EstimateTable.mbText(before)) → \(EstimateTable.mbText(after))")
        }
        if let db = row["sqnr_db_aggregate"]?.doubleValue { parts.append(EstimateTable.dbText(db)) }
        let atLeast = TargetEstimates.atLeast(row)
        if let ms = row["latency_ms"]?.doubleValue { parts.append((atLeast.isEmpty ? "~" : atLeast) + EstimateTable.msText(ms)) }
        let missed = ["size", "memory", "latency"].filter { row["\($0)_budget"]?.stringValue == "missed" }
        if !missed.isEmpty { parts.append("over the \(missed.joined(separator: ", ")) budget") }
        let unconfirmed = ["memory", "latency"].filter { row["\($0)_budget"]?.stringValue == "unconfirmed" }
        if !unconfirmed.isEmpty { parts.append("\(unconfirmed.joined(separator: ", ")) budget unconfirmed (partial analysis)") }
        return parts.joined(separator: " · ")
    }

    /// The target's row as markdown for hovers.
    func markdown(_ target: String) -> String? {
        guard let row = row(target) else { return nil }
        var lines = ["**Estimate for \(target)**: \(EstimateView.summary(row))"]
        if let scheme = row["scheme"]?.stringValue { lines.append("Scheme: `\(scheme)`") }
        if let min = row["sqnr_db_min"]?.doubleValue { lines.append("Worst tensor SQNR: \(EstimateTable.dbText(min))") }
        let worst = (row["worst"]?.arrayValue ?? []).prefix(3).compactMap { w -> String? in
            guard let n = w["name"]?.stringValue, let d = w["sqnr_db"]?.doubleValue else { return nil }
            return "`\(n)` \(EstimateTable.dbText(d))"
        }
        if !worst.isEmpty { lines.append("Worst tensors: " + worst.joined(separator: ", ")) }
        let atLeast = TargetEstimates.atLeast(row)
        if let macs = row["macs"]?.intValue { lines.append("MACs: \(atLeast)\(Lenses.grouped(macs))") }
        if let peak = row["peak_activation_bytes"]?.intValue { lines.append("Peak activations: \(atLeast)\(EstimateTable.mbText(peak))") }
        let note = TargetEstimates.coverageNote(table["coverage"])
        if !note.isEmpty { lines.append("_\(note.dropLast())_") }
        return lines.joined(separator: "\n\n")
    }
}
