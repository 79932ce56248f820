import Dispatch

/// Which files `slipway check` looks at, and checking many of them on every core.
public enum Discovery {
    /// Manifest file names: `*.slipway.yaml`, `*.slipway.yml`, and `slipway.yaml`.
    public static func isManifestName(_ name: String) -> Bool {
        name == "slipway.yaml" || name == "slipway.yml" || name.hasSuffix(".slipway.yaml") || name.hasSuffix(".slipway.yml")
    }

    /// Folders skipped while walking: build output, dependencies and VCS state never hold manifests. Names
    /// starting with `.build` or `.venv` (`.build-release`, `.venv-convert`) are skipped too.
    static let skippedFolders: Set<String> = [".git", ".build", "node_modules", ".venv", "__pycache__", ".hg", ".svn"]
    static let skippedPrefixes = [".build", ".venv"]
    /// Kernel and device trees: endless, special files, and never a project (a workspace of `/`).
    static let systemFolders: Set<String> = ["/proc", "/sys", "/dev"]

    /// How far a walk may go. A folder argument or an editor's workspace may be `/` or a home folder: the
    /// walk stops at the first bound it meets and says which.
    public struct Limits: Sendable {
        public var maxDepth: Int
        /// Directory entries looked at, over the whole walk.
        public var maxEntries: Int
        /// Manifests found.
        public var maxFiles: Int
        public var maxDuration: Duration?
        /// Polled between entries: the walk stops, incomplete, once it is true.
        public var isCancelled: @Sendable () -> Bool

        public init(
            maxDepth: Int = 32, maxEntries: Int = 2_000_000, maxFiles: Int = 100_000, maxDuration: Duration? = nil,
            isCancelled: @escaping @Sendable () -> Bool = { false }
        ) {
            self.maxDepth = maxDepth
            self.maxEntries = maxEntries
            self.maxFiles = maxFiles
            self.maxDuration = maxDuration
            self.isCancelled = isCancelled
        }
    }

    public struct Expansion: Sendable {
        public var files: [String]
        /// Arguments that name nothing: each an error message for the user.
        public var errors: [String]
        /// The bound that stopped a walk early (depth, entries, files, time, cancellation), or nil when every
        /// folder was walked.
        public var incomplete: String?
    }

    /// Files are taken as given (whatever their name); folders are walked for manifest names, in sorted
    /// order, without following symbolic links or entering a folder twice (bind mounts), within `limits`.
    public static func expand(_ paths: [String], fileSystem: any FileSystem, limits: Limits = Limits()) -> Expansion {
        var walk = Walk(limits: limits, fileSystem: fileSystem)
        var errors: [String] = []
        for p in paths {
            switch fileSystem.kind(of: p) {
            case .file, .other: walk.files.append(p)
            case .directory: walk.visit(p, depth: 0)
            case .missing: errors.append("\(p): no such file or folder")
            }
        }
        return Expansion(files: walk.files, errors: errors, incomplete: walk.stopped ?? walk.tooDeep)
    }

    struct Walk {
        let limits: Limits
        let fileSystem: any FileSystem
        let deadline: ContinuousClock.Instant?
        var files: [String] = []
        var entries = 0
        /// A bound that ended the walk.
        var stopped: String?
        /// Folders past `maxDepth` are passed over; the walk goes on beside them.
        var tooDeep: String?
        /// (device, inode) of folders entered, so a bind mount of an ancestor is not a loop.
        var entered: Set<[UInt64]> = []

        init(limits: Limits, fileSystem: any FileSystem) {
            self.limits = limits
            self.fileSystem = fileSystem
            deadline = limits.maxDuration.map { ContinuousClock.now + $0 }
        }

        mutating func visit(_ dir: String, depth: Int) {
            guard stopped == nil else { return }
            guard depth < limits.maxDepth else {
                if tooDeep == nil { tooDeep = "folders deeper than \(limits.maxDepth) levels were not walked (\(dir))" }
                return
            }
            if let id = Discovery.identity(dir) {
                guard entered.insert(id).inserted else { return }
            }
            for name in fileSystem.list(dir) {
                if let reason = bound() {
                    stopped = reason
                    return
                }
                entries += 1
                let path = PathUtil.join(dir == "." ? "" : dir, name)
                if isManifestName(name), case .file = fileSystem.kind(of: path) {
                    files.append(path)
                } else if !Discovery.isSkipped(name: name, path: path), !isSymlink(path), fileSystem.kind(of: path) == .directory {
                    visit(path, depth: depth + 1)
                    if stopped != nil { return }
                }
            }
        }

        func bound() -> String? {
            if limits.isCancelled() { return "cancelled" }
            if entries >= limits.maxEntries { return "stopped after \(limits.maxEntries) entries" }
            if files.count >= limits.maxFiles { return "stopped after \(limits.maxFiles) manifests" }
            // The clock is read every 256 entries: cheap, and soon enough.
            if let deadline, entries % 256 == 0, ContinuousClock.now >= deadline {
                return "stopped after \(limits.maxDuration.map { "\($0)" } ?? "")"
            }
            return nil
        }
    }

    static func isSkipped(name: String, path: String) -> Bool {
        skippedFolders.contains(name) || skippedPrefixes.contains { name.hasPrefix($0) } || systemFolders.contains(path)
    }

    static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// A folder's (device, inode) on the disk; nil for paths only an in-memory file system knows.
    static func identity(_ path: String) -> [UInt64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [UInt64(truncatingIfNeeded: st.st_dev), UInt64(truncatingIfNeeded: st.st_ino)]
    }

    /// Checks every file, spread over the cores, results in the order of `files`.
    /// Files not checked because `isCancelled` turned true are left out.
    public static func checkAll(
        _ files: [String], checker: ManifestChecker, isCancelled: @escaping @Sendable () -> Bool = { false }
    ) -> [CheckResult] {
        let results = ResultSlots(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            if isCancelled() { return }
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
