#if canImport(Glibc)
import Glibc
#endif
import Diagnostics
import Estimation
import ModelFormats
import Synchronization
import Testing

@testable import Checking

/// `check` remembers the model half of a manifest's check between runs, and uses it only while the manifest
/// text and every file the result came from are as they were.
@Suite struct TargetCheckMemoSpec {
    /// Counts the models read, so a test can tell a remembered result from a computed one.
    final class CountingFileSystem: FileSystem {
        let base = LocalFileSystem()
        let reads = Mutex(0)
        func kind(of path: String) -> FileKind { base.kind(of: path) }
        func list(_ directory: String) -> [String] { base.list(directory) }
        func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] { try base.read(path, limit: limit) }
        func readModel(_ path: String) throws(ModelError) -> Model {
            reads.withLock { $0 += 1 }
            return try base.readModel(path)
        }
        var count: Int { reads.withLock { $0 } }
    }

    static let manifest = """
        slipway: 1
        name: kws
        model:
          path: m.onnx
        targets:
          board:
            runtime: tflite-micro
            format: tflite
            budget: {size_mb: 0.01}
        """

    struct Project {
        let dir: String
        init(_ name: String) throws {
            dir = "/tmp/slipway-memo-\(name)-\(getpid())"
            mkdir(dir, 0o755)
            try copy(Repository.root + "/examples/kws-mcu/models/ds_cnn_kws.onnx", to: dir + "/m.onnx")
        }
        var manifestPath: String { dir + "/kws.slipway.yaml" }
        func copy(_ source: String, to path: String) throws {
            write(try LocalFileSystem().read(source, limit: 1 << 26), to: path)
        }
        func write(_ bytes: [UInt8], to path: String) {
            unlink(path)  // a new inode, as an editor's save or a converter's rename makes
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        func remove() {
            for f in ["m.onnx", "m.safetensors", "config.json", "kws.slipway.yaml"] { unlink(dir + "/" + f) }
            rmdir(dir)
        }
    }

    static func checker(_ fs: CountingFileSystem, _ store: MemoryEstimateCache, engine: String = "test-engine") -> ManifestChecker {
        ManifestChecker(fileSystem: fs, estimateCache: nil,
                        memo: TargetCheckMemo(store: store, engine: engine, settle: 0))
    }

    @Test func anUnchangedManifestAndModelAreNotCheckedAgain() throws {
        let p = try Project("same")
        defer { p.remove() }
        let text = Array(Self.manifest.utf8)
        let store = MemoryEstimateCache()
        let fs = CountingFileSystem()
        let first = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 1)
        #expect(first.diagnostics.map(\.code).contains(.sizeOverBudget))
        // A later run (a new checker, as a new process): the same diagnostics, the model not read.
        let again = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 1)
        #expect(again.diagnostics == first.diagnostics)
        // Another build of slipway (other rules) does not trust the entry.
        _ = Self.checker(fs, store, engine: "another-build").check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 2)
    }

    @Test func anyChangeToTheManifestOrTheModelIsCheckedAgain() throws {
        let p = try Project("changed")
        defer { p.remove() }
        let text = Array(Self.manifest.utf8)
        let store = MemoryEstimateCache()
        let fs = CountingFileSystem()
        _ = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 1)
        // Another text (the budget raised): another key.
        let raised = Array(Self.manifest.split(separator: "0.01", omittingEmptySubsequences: false).joined(separator: "5").utf8)
        let relaxed = Self.checker(fs, store).check(bytes: raised, path: p.manifestPath)
        #expect(fs.count == 2)
        #expect(!relaxed.diagnostics.map(\.code).contains(.sizeOverBudget))
        // The same text at another path: another key.
        _ = Self.checker(fs, store).check(bytes: text, path: p.dir + "/other.slipway.yaml")
        #expect(fs.count == 3)
        // The model rewritten with the same bytes: a new identity, so the remembered result is not used.
        try p.copy(p.dir + "/m.onnx", to: p.dir + "/m2.onnx")
        rename(p.dir + "/m2.onnx", p.dir + "/m.onnx")
        _ = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 4)
        _ = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 4)
        // The model removed: the check says so instead of repeating the remembered diagnostics.
        unlink(p.dir + "/m.onnx")
        let missing = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(!missing.diagnostics.map(\.code).contains(.sizeOverBudget))
        #expect(missing.diagnostics.map(\.code).contains(.modelNotFound))
    }

    @Test func aSafetensorsResultDependsOnTheConfigBesideIt() throws {
        let p = try Project("sidecar")
        defer { p.remove() }
        try p.copy(Repository.root + "/Tests/Fixtures/estimate/weights.safetensors", to: p.dir + "/m.safetensors")
        let text = Array("""
            slipway: 1
            name: lm
            model:
              path: m.safetensors
            targets:
              server:
                runtime: onnxruntime
                format: onnx
            """.utf8)
        let half = ManifestChecker(estimateCache: nil).targetDiagnostics(bytes: text, path: p.manifestPath)
        let inputs = try #require(half.inputs)
        #expect(inputs[p.dir + "/config.json"] == "absent")
        #expect(inputs[p.dir + "/m.safetensors"]?.hasPrefix("file ") == true)
        let store = MemoryEstimateCache()
        let fs = CountingFileSystem()
        _ = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        _ = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 1)
        // A config.json appears beside the weights (the architecture an LM estimate needs): checked again.
        p.write(Array(#"{"num_hidden_layers": 2}"#.utf8), to: p.dir + "/config.json")
        _ = Self.checker(fs, store).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 2)
    }

    @Test func aFileChangedWithinTheSettleTimeIsNotRemembered() throws {
        let p = try Project("settle")
        defer { p.remove() }
        let text = Array(Self.manifest.utf8)
        let store = MemoryEstimateCache()
        let fs = CountingFileSystem()
        let memo = TargetCheckMemo(store: store, engine: "test-engine", settle: 3600)
        let checker = ManifestChecker(fileSystem: fs, estimateCache: nil, memo: memo)
        _ = checker.check(bytes: text, path: p.manifestPath)
        _ = ManifestChecker(fileSystem: fs, estimateCache: nil, memo: memo).check(bytes: text, path: p.manifestPath)
        #expect(fs.count == 2)
    }

    @Test func aManifestWithoutTargetsNeedsNoModelWork() throws {
        let p = try Project("needs")
        defer { p.remove() }
        let store = MemoryEstimateCache()
        let fs = CountingFileSystem()
        p.write(Array("slipway: 1\nname: x\nmodel:\n  path: m.onnx\n".utf8), to: p.manifestPath)
        #expect(!Self.checker(fs, store).needsModelWork(path: p.manifestPath))
        p.write(Array(Self.manifest.utf8), to: p.manifestPath)
        #expect(Self.checker(fs, store).needsModelWork(path: p.manifestPath))
        _ = Self.checker(fs, store).check(path: p.manifestPath)
        #expect(!Self.checker(fs, store).needsModelWork(path: p.manifestPath))
    }
}
