#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ModelFormats

/// The samples of `test.samples`: the folder's `.npy` and `.npz` files, images, WAV and raw `.bin` files, in name
/// order (one sample per file; a `.npz` holds one array per input, by name; the others are decoded by the runner
/// as `test.preprocess` says).
enum SampleFiles {
    static let limit = 1_000_000
    static let arrays = [".npy", ".npz"]
    static let decoded = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".wav", ".bin"]

    /// Whether the runner needs the input's shape to read the file (everything but .npy/.npz).
    static func needsShape(_ path: String) -> Bool { !arrays.contains { path.hasSuffix($0) } }

    static func list(_ folder: String) -> Result<[String], SampleListError> {
        guard let dir = opendir(folder) else {
            return .failure(SampleListError("the folder cannot be opened (\(String(cString: strerror(errno))))"))
        }
        defer { closedir(dir) }
        var names: [String] = []
        var others = 0
        while let entry = readdir(dir) {
            let n = DirectoryEntry.name(entry)
            if n.hasPrefix(".") { continue }
            let lower = n.lowercased()
            if (arrays + decoded).contains(where: { lower.hasSuffix($0) }) { names.append(n) } else { others += 1 }
            if names.count > limit { return .failure(SampleListError("holds more than \(limit) samples")) }
        }
        if names.isEmpty {
            return .failure(SampleListError("holds no sample (.npy, .npz, images, .wav or .bin)\(others > 0 ? "; \(others) other files" : "")"))
        }
        return .success(names.sorted().map { "\(folder)/\($0)" })
    }
}

struct SampleListError: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}
