import Diagnostics
import Manifest

/// `convert` builds only what `check` passes: a target with error diagnostics is refused, with the list,
/// unless the caller forces it (the CLI's `--force`, the server command's `force` argument).
public enum ConvertGate {
    /// The errors that stop `target`: those that name it, and those that name no target (the manifest or the
    /// model as a whole). `allowOutsideProject`: the caller granted writing outside the manifest's folder.
    public static func blockers(_ diagnostics: [Diagnostic], target: String, allowOutsideProject: Bool = false) -> [Diagnostic] {
        diagnostics.filter { d in
            d.severity == .error && (d.targets.isEmpty || d.targets.contains(target))
                && !(allowOutsideProject && d.code == .pathEscapesProject)
                // Check cannot read the model (a PyTorch file for Core ML): the converter reads it, and says
                // so itself when it cannot.
                && d.code != .modelUnreadable
        }
    }

    /// "check reports 2 errors: kws.slipway.yaml:7:18: SW4018 …; …" — each with its place in the manifest.
    public static func refusal(_ blockers: [Diagnostic], path: String, lineIndex: LineIndex) -> String {
        let list = Diagnostic.sortedForOutput(blockers).map { d -> String in
            let p = lineIndex.position(of: d.range.start, unit: .scalars)
            return "\(path):\(p.line + 1):\(p.column + 1): \(d.code.rawValue) \(d.message)"
        }
        return "not converted: check reports \(blockers.count) error\(blockers.count == 1 ? "" : "s") for it: "
            + list.joined(separator: "; ") + " (fix them, or convert anyway with --force)"
    }
}
