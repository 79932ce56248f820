import Checking

/// A file tree in memory for specs: paths map to contents; folders are implied by the paths under them.
public struct InMemoryFileSystem: FileSystem {
    public var files: [String: [UInt8]]
    public var folders: Set<String>

    public init(files: [String: String] = [:], binary: [String: [UInt8]] = [:], folders: [String] = []) {
        self.files = files.mapValues { Array($0.utf8) }.merging(binary) { _, b in b }
        var all = Set(folders.map { PathUtil.normalize($0) })
        for path in Array(files.keys) + Array(binary.keys) + folders {
            var d = PathUtil.directory(of: path)
            while d != "." && d != "/" && !d.isEmpty {
                all.insert(d)
                d = PathUtil.directory(of: d)
            }
        }
        self.folders = all
    }

    public func kind(of path: String) -> FileKind {
        let p = PathUtil.normalize(path)
        if let f = files[p] { return .file(size: f.count) }
        if folders.contains(p) || p == "." { return .directory }
        return .missing
    }

    public func list(_ directory: String) -> [String] {
        let d = PathUtil.normalize(directory)
        let prefix = d == "." ? "" : d + "/"
        var names = Set<String>()
        for p in Array(files.keys) + Array(folders) where p.hasPrefix(prefix) && p != d {
            if let first = p.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(first)) }
        }
        return names.sorted()
    }

    public func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        let p = PathUtil.normalize(path)
        if folders.contains(p) { throw FileError(path: path, reason: .isDirectory) }
        guard let f = files[p] else { throw FileError(path: path, reason: .notFound) }
        if f.count > limit { throw FileError(path: path, reason: .tooLarge(size: f.count, limit: limit)) }
        return f
    }
}

/// Memory first, then the disk: specs that need a few invented files next to real ones.
public struct OverlayFileSystem: FileSystem {
    public let memory: InMemoryFileSystem
    public let disk: any FileSystem

    public init(memory: InMemoryFileSystem, disk: any FileSystem = LocalFileSystem()) {
        self.memory = memory
        self.disk = disk
    }

    public func kind(of path: String) -> FileKind {
        let k = memory.kind(of: path)
        return k == .missing ? disk.kind(of: path) : k
    }

    public func list(_ directory: String) -> [String] {
        Array(Set(memory.list(directory) + disk.list(directory))).sorted()
    }

    public func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        if case .file = memory.kind(of: path) { return try memory.read(path, limit: limit) }
        return try disk.read(path, limit: limit)
    }
}
