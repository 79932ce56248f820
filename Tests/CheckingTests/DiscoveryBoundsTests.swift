#if canImport(Glibc)
import Glibc
#endif
import Checking
import Synchronization
import Testing

/// Issue 17: a folder walk (`slipway check DIR`, the server's workspace check) ends, whatever the folder:
/// bounded in depth, entries, manifests and time, stopped by cancellation, and blind to /proc, /sys, /dev,
/// build and dependency folders and symbolic links.
@Suite(.serialized) struct DiscoveryBoundsSpec {
    static func makeTemporaryFolder() -> String {
        var template = Array("/tmp/slipway-walk-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { b in b.baseAddress.flatMap { mkdtemp($0) } }
        return made.map { String(cString: $0) } ?? "/tmp"
    }

    static func touch(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 { close(fd) }
    }

    static func remove(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR {
            for name in LocalFileSystem().list(path) { remove(path + "/" + name) }
            _ = rmdir(path)
        } else {
            _ = unlink(path)
        }
    }

    @Test func aDeepTreeIsWalkedToTheDepthBoundAndSaysSo() {
        let root = Self.makeTemporaryFolder()
        defer { Self.remove(root) }
        var dir = root
        for level in 1...40 {
            dir += "/d\(level)"
            _ = mkdir(dir, 0o755)
            if level == 5 || level == 38 { Self.touch(dir + "/slipway.yaml") }
        }
        let e = Discovery.expand([root], fileSystem: LocalFileSystem())
        #expect(e.files == [root + "/d1/d2/d3/d4/d5/slipway.yaml"])
        #expect(e.incomplete?.hasPrefix("folders deeper than 32 levels were not walked") == true)
    }

    @Test func aWideTreeStopsAtTheEntryAndFileBounds() {
        let root = Self.makeTemporaryFolder()
        defer { Self.remove(root) }
        for i in 0..<600 {
            _ = mkdir(root + "/p\(i)", 0o755)
            Self.touch(root + "/p\(i)/slipway.yaml")
        }
        let byEntries = Discovery.expand([root], fileSystem: LocalFileSystem(), limits: Discovery.Limits(maxEntries: 500))
        #expect(byEntries.incomplete == "stopped after 500 entries")
        #expect(byEntries.files.count == 250)  // each project is two entries: its folder and its manifest
        let byFiles = Discovery.expand([root], fileSystem: LocalFileSystem(), limits: Discovery.Limits(maxFiles: 100))
        #expect(byFiles.incomplete == "stopped after 100 manifests")
        #expect(byFiles.files.count == 100)
        let whole = Discovery.expand([root], fileSystem: LocalFileSystem())
        #expect(whole.incomplete == nil)
        #expect(whole.files.count == 600)
    }

    @Test func cancellationStopsTheWalk() {
        let root = Self.makeTemporaryFolder()
        defer { Self.remove(root) }
        for i in 0..<50 { _ = mkdir(root + "/p\(i)", 0o755); Self.touch(root + "/p\(i)/slipway.yaml") }
        let polls = Mutex(0)
        let e = Discovery.expand(
            [root], fileSystem: LocalFileSystem(),
            limits: Discovery.Limits(isCancelled: { polls.withLock { n in n += 1; return n > 20 } }))
        #expect(e.incomplete == "cancelled")
        #expect(e.files.count == 10)
    }

    @Test func linksBuildAndDependencyFoldersAreNotEntered() {
        let root = Self.makeTemporaryFolder()
        defer { Self.remove(root) }
        for folder in ["src", ".build-release", ".venv-convert", "node_modules", ".git", ".build", ".venv"] {
            _ = mkdir(root + "/" + folder, 0o755)
            Self.touch(root + "/" + folder + "/slipway.yaml")
        }
        // A loop through a symbolic link, and a link to the whole file system.
        _ = symlink(root, root + "/src/loop")
        _ = symlink("/", root + "/src/everything")
        let e = Discovery.expand([root], fileSystem: LocalFileSystem())
        #expect(e.files == [root + "/src/slipway.yaml"])
        #expect(e.incomplete == nil)
    }

    /// readdir packs each name in a record only as long as it needs: the last record of a full 32 KiB buffer ends
    /// at the buffer's end, and copying a whole `d_name` out of it read past the buffer (AddressSanitizer caught
    /// it in the walk of the root). 2,000 names of 6 characters make 32-byte records, so the first buffer is full.
    @Test func aFolderThatFillsReaddirsBufferListsEveryName() {
        let root = Self.makeTemporaryFolder()
        defer { Self.remove(root) }
        let names = (10_000..<12_000).map { "f\($0)" }
        for name in names { Self.touch(root + "/" + name) }
        let listed = LocalFileSystem().list(root)
        #expect(listed.count == 2_000)
        #expect(listed == names)
    }

    @Test func aWalkOfTheRootReturnsWithinItsBoundsAndSkipsSystemFolders() {
        let e = Discovery.expand(["/"], fileSystem: LocalFileSystem(), limits: Discovery.Limits(maxEntries: 20_000, maxDuration: .seconds(5)))
        #expect(e.incomplete != nil, "a bound is hit and marked")
        #expect(!e.files.contains { $0.hasPrefix("/proc/") || $0.hasPrefix("/sys/") || $0.hasPrefix("/dev/") })
    }
}
