#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The samples of `test.samples`: the folder's `.npy` and `.npz` files, in name order (one sample per file;
/// a `.npz` holds one array per input, by name).
enum SampleFiles {
    static let limit = 1_000_000

    static func list(_ folder: String) -> Result<[String], SampleListError> {
        guard let dir = opendir(folder) else {
            return .failure(SampleListError("the folder cannot be opened (\(String(cString: strerror(errno))))"))
        }
        defer { closedir(dir) }
        var names: [String] = []
        var others = 0
        while let entry = readdir(dir) {
            let n = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n.hasPrefix(".") { continue }
            if n.hasSuffix(".npy") || n.hasSuffix(".npz") { names.append(n) } else { others += 1 }
            if names.count > limit { return .failure(SampleListError("holds more than \(limit) samples")) }
        }
        if names.isEmpty {
            return .failure(SampleListError("holds no .npy or .npz sample\(others > 0 ? " (\(others) other files: images, WAV and raw .bin samples are not read yet)" : "")"))
        }
        return .success(names.sorted().map { "\(folder)/\($0)" })
    }
}

struct SampleListError: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}
