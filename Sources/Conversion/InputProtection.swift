#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ModelFormats

/// "A conversion never touches its source": no file a conversion writes may be a file it reads. Decided before
/// anything is written, over every output (the artifact, its `.data`, its report, its log, its lock) and every
/// input (the model, each external-data file it names, the manifest), by path, by symbolic link and by
/// (device, inode).
enum InputProtection {
    /// Every file a conversion to `output` may create or replace.
    static func outputs(for output: String) -> [String] {
        [output, output + ".data", Converter.reportPath(for: output), ExternalConverter.logPath(for: output),
         OutputLock.path(for: output)]
    }

    /// The files a conversion of `source` reads: the model, the external-data files an ONNX model names, and
    /// the manifest.
    static func inputs(source: String, manifestPath: String?) -> [String] {
        var out = [source]
        if NativeConversion.kind(source) == .onnx, let model = try? ModelReader.read(path: source) {
            var seen = Set<String>()
            for t in model.tensors {
                if case .external(let p, _, _) = t.storage, seen.insert(p).inserted { out.append(p) }
            }
        }
        if let manifestPath { out.append(manifestPath) }
        return out
    }

    /// Throws `.unsafe` when one of `outputs` is one of `inputs`.
    static func refuse(outputs: [String], inputs: [String]) throws(ConversionError) {
        for input in inputs {
            for dest in outputs where isSameFile(dest, input) {
                throw ConversionError(.unsafe, "refusing to write \(dest): it is the input \(input), which this conversion reads (the source model, its external data and the manifest are never overwritten)")
            }
        }
    }

    /// True when writing `dest` would change `input`: the same path as text, the same file through links, or
    /// the same inode (a hard link).
    static func isSameFile(_ dest: String, _ input: String) -> Bool {
        if Containment.normalize(dest) == Containment.normalize(input) { return true }
        if PathSafety.sameFile(dest, input) { return true }
        guard let real = PathSafety.realPath(input) else { return false }
        return PathSafety.resolvedDestination(dest) == real
    }
}
