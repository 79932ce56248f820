import Conversion
import Diagnostics
import Hashing
import JSON
import Manifest

/// The last failed conversion of each target, for `check` and the server (SW4022): an external converter's failure
/// recorded beside the artifact (`ConversionFailures`) is an error on the target while the model and the settings are
/// the ones it failed on — `convert` would fail the same way, and says so through `ConvertGate` before running it.
/// Reads only the records and digests files (remembered by file identity): no model is parsed, no tool run.
enum ConversionFailureFindings {
    static func diagnostics(manifest: Manifest, manifestPath: String) -> [Diagnostic] {
        let folder = SafeWriter.directory(of: manifestPath)
        guard let modelRel = manifest.model?.path?.value else { return [] }
        let modelPath = Containment.destination(modelRel, folder: folder)
        var out: [Diagnostic] = []
        for t in manifest.targets {
            let artifact = Containment.destination(Converter.outputPath(target: t, manifest: manifest, modelPath: modelPath), folder: folder)
            guard let bytes = PathSafety.contents(ConversionFailures.path(for: artifact), limit: 1 << 20),
                  let json = try? JSONValue.parse(bytes: bytes), let r = ConversionFailures.Record(json),
                  r.target == t.name.value else { continue }
            // Still what the converter failed on: the same source, the same converter and settings as `convert`
            // would plan them now (the converter's own version is not compared: `--force` tries again).
            guard FileDigests.shared.sha256(ofFile: modelPath)?.sha256 == r.sourceSHA,
                  let plan = try? ExternalConverter.plan(target: t, manifest: manifest, modelPath: modelPath,
                                                         manifestFolder: folder, python: "python3"),
                  plan.tool.name == r.converter, plan.settings == r.settings
            else { continue }
            // The log as the manifest's folder sees it (the record keeps the path `convert` was given).
            let log = r.log.hasPrefix(folder + "/") ? String(r.log.dropFirst(folder.count + 1)) : r.log
            var d = Diagnostic(
                .lastConversionFailed,
                "target \(t.name.value): the last `slipway convert` of it failed with this model and these settings: \(r.reason) (its log is \(log)); change what it failed on, or try again with `slipway convert --force` once the converter changed",
                at: t.name.range)
            d.targets = [t.name.value]
            out.append(d)
        }
        return out
    }
}
