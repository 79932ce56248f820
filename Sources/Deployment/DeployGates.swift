import Diagnostics
import Manifest

/// Which targets `check` forbids to ship: an error inside a target's node blocks that target; an error
/// anywhere else in the manifest (the model, the shared `optimize`) blocks every target. Each reason is the
/// diagnostic as `check` prints it, with its `file:line:col`.
public enum DeployGates {
    public static func blockers(
        diagnostics: [Diagnostic], manifest: Manifest, path: String, lineIndex: LineIndex
    ) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for d in Diagnostic.sortedForOutput(diagnostics) where d.severity == .error {
            let p = lineIndex.position(of: d.range.start, unit: .scalars)
            let text = "\(path):\(p.line + 1):\(p.column + 1): error[\(d.code.rawValue)]: \(d.message)"
            let owners = manifest.targets.filter { $0.range.contains(d.range.start) }
            for t in owners.isEmpty ? manifest.targets : owners { out[t.name.value, default: []].append(text) }
        }
        return out
    }
}
