import Checking

/// A file tree in memory for specs: paths map to contents; folders are implied by the paths under them.
struct InMemoryFileSystem: FileSystem {
    var files: [String: [UInt8]]
    var folders: Set<String>

    init(files: [String: String] = [:], folders: [String] = []) {
        self.files = files.mapValues { Array($0.utf8) }
        var all = Set(folders.map { PathUtil.normalize($0) })
        for path in Array(files.keys) + folders {
            var d = PathUtil.directory(of: path)
            while d != "." && d != "/" && !d.isEmpty {
                all.insert(d)
                d = PathUtil.directory(of: d)
            }
        }
        self.folders = all
    }

    func kind(of path: String) -> FileKind {
        let p = PathUtil.normalize(path)
        if let f = files[p] { return .file(size: f.count) }
        if folders.contains(p) || p == "." { return .directory }
        return .missing
    }

    func list(_ directory: String) -> [String] {
        let d = PathUtil.normalize(directory)
        let prefix = d == "." ? "" : d + "/"
        var names = Set<String>()
        for p in Array(files.keys) + Array(folders) where p.hasPrefix(prefix) && p != d {
            if let first = p.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(first)) }
        }
        return names.sorted()
    }

    func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        let p = PathUtil.normalize(path)
        if folders.contains(p) { throw FileError(path: path, reason: .isDirectory) }
        guard let f = files[p] else { throw FileError(path: path, reason: .notFound) }
        if f.count > limit { throw FileError(path: path, reason: .tooLarge(size: f.count, limit: limit)) }
        return f
    }
}

/// The project layout the doc examples and most specs assume.
let projectFiles = InMemoryFileSystem(
    files: ["models/kws.onnx": "onnx", "models/other.onnx": "onnx"], folders: ["data/calib", "data/test"])
