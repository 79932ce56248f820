#if canImport(Glibc)
import CheckedMath
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON

/// A target that prunes without quantizing: the weights stay in their type and the converter writes them dense
/// (zeros in place), so the size is the dense one, as written; what a sparse encoding would take (for a
/// compressed download, a sparse runtime) is `bytes_sparse` beside it. The error is what pruning removes. The engine measured a placeholder scheme beside the pruning; this
/// rewrites the result so that its size and SQNR are the pruning's alone (and the placeholder's figures and
/// advice are gone).
enum PruneOnly {
    /// SQNR of zeroing part of a tensor: the error is the removed values, so SNR = Σx² / Σ removed x² =
    /// 1 / (1 − energy retained). Nil (exact) when nothing is removed.
    static func sqnrDB(energyRetained e: Double?) -> Double? {
        guard let e, e.isFinite else { return nil }
        let removed = 1 - e
        guard removed > 0 else { return nil }
        return 10 * log10(1 / removed)
    }

    /// (energy retained, sparsity) of `pruning` (a tensor's or the model's JSON) for the setting.
    static func figures(_ p: JSONValue?, _ setting: PruneSetting) -> (energy: Double?, sparsity: Double)? {
        guard let p else { return nil }
        switch setting {
        case .sparsity:
            // A tensor's own cut; the model's figure of every tensor cut with its own threshold.
            let o = p["per_tensor"] ?? p
            guard let s = o["sparsity"]?.doubleValue else { return nil }
            return (o["energy_retained"]?.doubleValue, s)
        case .threshold:
            guard let g = p["at_given_threshold"] ?? p["given"], let s = g["sparsity"]?.doubleValue else { return nil }
            return (g["energy_retained"]?.doubleValue, s)
        case .pattern(let n, let m):
            guard let first = p["nm"]?.arrayValue?.first else { return nil }
            return (first["energy_kept"]?.doubleValue, Double(n) / Double(max(m, 1)))
        }
    }

    static func label(_ setting: PruneSetting) -> String {
        switch setting {
        case .sparsity(let s): return "pruned-sparsity-\(s)"
        case .threshold(let t): return "pruned-threshold-\(t)"
        case .pattern(let n, let m): return "pruned-\(n):\(m)"
        }
    }

    /// Rewrites the engine's result `root` (tensors, total, findings) for a pruning-only setting.
    static func rewrite(_ root: inout JSONObject, settings: EstimateSettings) {
        guard !settings.quantize, let setting = settings.pruning else { return }
        var worst: [(String, Double)] = []
        var before = 0
        var after = 0
        var sparse = 0
        var exact = 0
        if case .array(let tensors)? = root["tensors"] {
            root["tensors"] = .array(tensors.map { t in
                guard case .object(var o) = t else { return t }
                let elements = o["elements"]?.intValue ?? 0
                let dense = o["bytes_before"]?.intValue ?? 0
                let f = figures(o["pruning"], setting)
                // Sparse storage: the smaller of a bitmask (one bit per element plus the kept values) and the
                // dense tensor; CSR when the engine sized this very cut (the sparsity criterion).
                let width = elements > 0 ? Double(dense) / Double(elements) : 0
                let kept = Double(elements) * (1 - (f?.sparsity ?? 0))
                var size = min(dense, (elements + 7) / 8 + Int(saturating: (kept * width).rounded(.up)))
                if case .sparsity = setting, let csr = o["pruning"]?["bytes"]?["csr"]?.intValue { size = min(size, csr) }
                let db = sqnrDB(energyRetained: f?.energy)
                if let db, let name = o["name"]?.stringValue { worst.append((name, db)) } else { exact += 1 }
                before &+= dense
                after &+= dense
                sparse &+= size
                for k in ["scale", "zero_point", "mse", "max_abs_error", "clipped_fraction", "schemes", "fallback"] {
                    o[k] = nil
                }
                o["sqnr_db"] = db.map { .double($0) } ?? .null
                o["bytes_after"] = .int(dense)
                o["bytes_sparse"] = .int(size)
                return .object(o)
            })
        }
        worst.sort { $0.1 < $1.1 }
        if case .object(var total)? = root["total"] {
            total["scheme"] = .string(label(setting))
            let model = figures(root["pruning"], setting)
            total["sqnr_db_aggregate"] = sqnrDB(energyRetained: model?.energy).map { .double($0) } ?? .null
            total["sqnr_db_weighted"] = nil
            total["sqnr_db_min"] = worst.first.map { .double($0.1) } ?? .null
            total["tensors_exact"] = .int(exact)
            total["bytes_before"] = .int(before)
            total["bytes_after"] = .int(after)
            total["bytes_sparse"] = .int(sparse)
            total["worst"] = .array(worst.prefix(3).map { ["name": .string($0.0), "sqnr_db": .double($0.1)] })
            root["total"] = .object(total)
        }
        root["schemes"] = nil
        // The placeholder scheme's advice does not apply; what the values themselves say still does.
        if case .array(let fs)? = root["findings"] {
            root["findings"] = .array(fs.filter { f in
                ["already_sparse", "non_finite_values"].contains(f["kind"]?.stringValue ?? "")
            })
        }
    }
}
