import Dispatch

/// Which files `slipway check` looks at, and checking many of them on every core.
public enum Discovery {
    /// Manifest file names: `*.slipway.yaml`, `*.slipway.yml`, and `slipway.yaml`.
    public static func isManifestName(_ name: String) -> Bool {
        name == "slipway.yaml" || name == "slipway.yml" || name.hasSuffix(".slipway.yaml") || name.hasSuffix(".slipway.yml")
    }

    /// Folders skipped while walking: build output, dependencies and VCS state never hold manifests.
    static let skippedFolders: Set<String> = [".git", ".build", "node_modules", ".venv", "__pycache__", ".hg", ".svn"]

    public struct Expansion: Sendable {
        public var files: [String]
        /// Arguments that name nothing: each an error message for the user.
        public var errors: [String]
    }

    /// Files are taken as given (whatever their name); folders are walked for manifest names, in sorted
    /// order, without following symbolic links, to a bounded depth.
    public static func expand(_ paths: [String], fileSystem: any FileSystem) -> Expansion {
        var files: [String] = []
        var errors: [String] = []
        for p in paths {
            switch fileSystem.kind(of: p) {
            case .file, .other: files.append(p)
            case .directory: walk(p, depth: 0, fileSystem: fileSystem, into: &files)
            case .missing: errors.append("\(p): no such file or folder")
            }
        }
        return Expansion(files: files, errors: errors)
    }

    static func walk(_ dir: String, depth: Int, fileSystem: any FileSystem, into files: inout [String]) {
        guard depth < 32 else { return }
        for name in fileSystem.list(dir) {
            let path = PathUtil.join(dir == "." ? "" : dir, name)
            if isManifestName(name), case .file = fileSystem.kind(of: path) {
                files.append(path)
            } else if !skippedFolders.contains(name), !isSymlink(path), fileSystem.kind(of: path) == .directory {
                walk(path, depth: depth + 1, fileSystem: fileSystem, into: &files)
            }
        }
    }

    static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// Checks every file, spread over the cores, results in the order of `files`.
    public static func checkAll(_ files: [String], checker: ManifestChecker) -> [CheckResult] {
        let results = ResultSlots(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            results.set(i, checker.check(path: files[i]))
        }
        return results.values
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Slots written once each from concurrent workers.
private final class ResultSlots: Sendable {
    private let slots: Mutex<[CheckResult?]>
    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ r: CheckResult) { slots.withLock { $0[i] = r } }
    var values: [CheckResult] { slots.withLock { $0.compactMap { $0 } } }
}
