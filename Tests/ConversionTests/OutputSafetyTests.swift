#if canImport(Glibc)
import Glibc
#endif
import Hashing
import JSON
import Manifest
import Testing

@testable import Conversion

/// Issue 17's "nothing is lost or escapes", one reported case per test: each failed before its fix.
@Suite("Output safety: containment, inputs, reports, locks, temporaries, report and artifact as a unit")
struct OutputSafetyTests {
    let int8 = ConversionSettings(weights: .int8)

    func manifest(_ text: String) throws -> Manifest {
        try #require(ManifestFile(text).documents.first?.manifest)
    }

    /// A project folder inside a fresh parent, with the gemm fixture as its model.
    func project() throws -> (parent: String, project: String) {
        let parent = temporaryFolder()
        let project = parent + "/proj"
        try PathSafety.makeDirectories(project)
        try copyFile(fixture("opset11_gemm.onnx"), project + "/m.onnx")
        return (parent, project)
    }

    // MARK: 1. Containment on the normalised path

    @Test("containment is decided on the path as text first: a missing folder followed by .. climbs out")
    func lexicalContainment() throws {
        let (_, proj) = try project()
        let cases: [(String, Bool)] = [
            ("nosuchdir/../../x.onnx", false), ("dist/../../x.onnx", false), ("../x.onnx", false), (".", false),
            ("/etc/x.onnx", false), ("dist/x.onnx", true), ("nosuchdir/../x.onnx", true), ("./a/./b/../m.onnx", true),
        ]
        for (rel, inside) in cases {
            #expect(Containment.isInside(rel, folder: proj, resolve: Containment.disk) == inside, "\(rel)")
        }
        // An absolute path inside the folder is inside; a link inside the project that leads out is not.
        #expect(Containment.isInside(proj + "/dist/x.onnx", folder: proj, resolve: Containment.disk))
        symlink("/tmp", proj + "/out")
        #expect(!Containment.isInside("out/x.onnx", folder: proj, resolve: Containment.disk))
        // A dangling link cannot be followed to check where it leads: refused.
        symlink(proj + "/gone/deeper", proj + "/dangling")
        #expect(!Containment.isInside("dangling/x.onnx", folder: proj, resolve: Containment.disk))
        // Without a resolver (an in-memory tree) the text alone decides.
        #expect(Containment.isInside("out/x.onnx", folder: proj, resolve: nil))
        #expect(!Containment.isInside("nosuchdir/../../x.onnx", folder: proj, resolve: nil))
    }

    @Test("output, deploy.to and deploy.version cannot climb out; nothing is created on the way", arguments: [
        ("targets: {a: {runtime: onnxruntime, format: onnx, output: nosuchdir/../../x.onnx}}", "targets.a.output"),
        ("targets: {a: {runtime: onnxruntime, format: onnx}}\ndeploy: {to: \"dist/../../x.{ext}\"}", "deploy.to"),
        ("targets: {a: {runtime: onnxruntime, format: onnx}}\ndeploy: {to: \"dist/{version}/x.{ext}\", version: ../../../v}", "deploy.version"),
    ])
    func escapesAreRefused(targets: String, key: String) async throws {
        let (parent, proj) = try project()
        let m = try manifest("slipway: 1\nmodel: {path: m.onnx}\noptimize: {quantize: {weights: int8}}\n" + targets + "\n")
        let target = try #require(m.targets.first)
        let escape = try #require(Containment.escape(target: target, manifest: m, folder: proj, resolve: Containment.disk))
        #expect(escape.key == key)
        do {
            _ = try await Converter.convert(target: target, manifest: m, manifestPath: proj + "/a.slipway.yaml")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .unsafe)
            #expect(error.message.contains("from \(key)") && error.message.contains("--allow-outside-project"))
        }
        #expect(listing(proj) == ["m.onnx"])
        #expect(listing(parent) == ["proj"])
    }

    @Test("--allow-outside-project writes where the normalised path says, not through a link's parent")
    func allowedOutsideWritesTheNormalisedPath() async throws {
        let (parent, proj) = try project()
        let m = try manifest("slipway: 1\nmodel: {path: m.onnx}\noptimize: {quantize: {weights: int8}}\ntargets: {a: {runtime: onnxruntime, format: onnx, output: nosuchdir/../../x.onnx}}\n")
        let target = try #require(m.targets.first)
        let r = try await Converter.convert(target: target, manifest: m, manifestPath: proj + "/a.slipway.yaml",
                                            options: ConvertOptions(allowOutsideProject: true))
        #expect(r.outputPath == parent + "/x.onnx")
        #expect(listing(parent) == ["proj", "x.onnx", "x.onnx.report.json"])
        #expect(listing(proj) == ["m.onnx"])
    }

    // MARK: 2. No output is a file the source reads

    @Test("an output that is the source's external data (or the source) is refused, and both stay intact", arguments: [
        "ext_data.onnx.data", "ext_data.onnx", "sub/../ext_data.onnx.data",
    ])
    func externalDataIsNeverAnOutput(name: String) async throws {
        let dir = temporaryFolder()
        for f in ["ext_data.onnx", "ext_data.onnx.data"] { try copyFile(fixture(f), dir + "/" + f) }
        let before = try sha256(ofFile: dir + "/ext_data.onnx.data")
        await #expect(throws: ConversionError.self) {
            _ = try await Converter.convert(model: dir + "/ext_data.onnx", output: dir + "/" + name, settings: int8)
        }
        #expect(try sha256(ofFile: dir + "/ext_data.onnx.data") == before)
        #expect(listing(dir) == ["ext_data.onnx", "ext_data.onnx.data"])
    }

    @Test("the external data is recognised through a symbolic link and a hard link too")
    func externalDataByLinkAndInode() async throws {
        let dir = temporaryFolder()
        for f in ["ext_data.onnx", "ext_data.onnx.data"] { try copyFile(fixture(f), dir + "/" + f) }
        symlink(dir + "/ext_data.onnx.data", dir + "/soft.bin")
        link(dir + "/ext_data.onnx.data", dir + "/hard.bin")
        // A report named like the data file (x.report.json == the data) is refused as well.
        symlink(dir + "/ext_data.onnx.data", dir + "/r.onnx.report.json")
        for out in ["soft.bin", "hard.bin", "sub/../ext_data.onnx.data", "r.onnx"] {
            do {
                _ = try await Converter.convert(model: dir + "/ext_data.onnx", output: dir + "/" + out, settings: int8)
                Issue.record("expected a refusal for \(out)")
            } catch {
                #expect(error.kind == .unsafe, "\(out)")
                #expect(error.message.contains("ext_data.onnx.data"), "\(out)")
            }
        }
        #expect(try sha256(ofFile: dir + "/ext_data.onnx.data") == (try sha256(ofFile: fixture("ext_data.onnx.data"))))
    }

    // MARK: 3. A conversion deletes only files it wrote

    @Test("a report naming another file as the old external data does not get it deleted")
    func forgedReportDeletesNothing() async throws {
        let parent = temporaryFolder()
        let dir = parent + "/out"
        try PathSafety.makeDirectories(dir)
        let victims = [parent + "/victim.bin", dir + "/other.data", dir + "/q.onnx.data.bak"]
        for v in victims { try SafeWriter.write(Array("keep me".utf8), to: v) }
        let sha = try sha256(ofFile: victims[0])
        for victim in victims {
            // The report of a previous external-data run, edited to name the victim with its true SHA-256.
            let forged = JSONValue.object([
                "output": .object([
                    "path": .string(dir + "/q.onnx"), "sha256": "0",
                    "external_data": .object(["path": .string(victim), "location": .string(SafeWriter.lastComponent(victim)),
                                              "sha256": .string(sha), "bytes": 7]),
                ]),
            ])
            try SafeWriter.write(Array(forged.serialized().utf8), to: dir + "/q.onnx.report.json")
            _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: dir + "/q.onnx", settings: int8)
            #expect(PathSafety.fileSize(victim) == 7, "\(victim)")
        }
        // The data file this converter did write for q.onnx, with its recorded SHA-256, is still removed.
        let r = try await Converter.convert(model: fixture("ext_data.onnx"), output: dir + "/q.onnx", settings: int8)
        #expect(r.json["output"]?["external_data"] != nil)
        _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: dir + "/q.onnx", settings: int8)
        #expect(listing(dir) == ["other.data", "q.onnx", "q.onnx.data.bak", "q.onnx.report.json"])
    }

    // MARK: 4. One writer per artifact

    @Test("a conversion waits for the lock of its artifact and names the PID holding it")
    func lockedOutput() async throws {
        let dir = temporaryFolder()
        let out = dir + "/m.onnx"
        let held = try OutputLock.acquire(for: out, timeout: .seconds(1), cancellation: { false })
        #expect(try readFile(out + ".slipway-lock", limit: 32) == Array("\(getpid())\n".utf8))
        var options = ConvertOptions()
        options.lockTimeout = .milliseconds(200)
        do {
            _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: int8, options: options)
            Issue.record("expected the lock to hold it off")
        } catch {
            #expect(error.message.hasPrefix("\(out) is locked by PID \(getpid()), which is converting to it"))
        }
        #expect(listing(dir) == ["m.onnx.slipway-lock"])
        held.release()
        let r = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: int8, options: options)
        #expect(!r.upToDate)
        // Released locks leave no file.
        #expect(listing(dir) == ["m.onnx", "m.onnx.report.json"])
    }

    @Test("a link planted at the lock's name is not written through")
    func lockIsNotALink() throws {
        let dir = temporaryFolder()
        try SafeWriter.write(Array("precious".utf8), to: dir + "/precious")
        symlink(dir + "/precious", dir + "/m.onnx.slipway-lock")
        #expect(throws: ConversionError.self) {
            _ = try OutputLock.acquire(for: dir + "/m.onnx", timeout: .seconds(1), cancellation: { false })
        }
        #expect(try readFile(dir + "/precious", limit: 32) == Array("precious".utf8))
    }

    // MARK: 5. Temporaries of dead writers

    @Test("temporaries carry the writer's PID; only this tool's names whose writer is gone are swept")
    func staleTemporaries() throws {
        let dir = temporaryFolder()
        // No process has a PID above the kernel's pid_max (at most 2^22): kill(pid, 0) answers ESRCH.
        let dead: Int32 = 2_000_000_000
        let live = getppid()
        let tmp = SafeWriter.lastComponent(SafeWriter.temporaryPath(for: dir + "/m.onnx"))
        #expect(tmp.hasPrefix(".m.onnx.slipway-tmp-\(getpid())-") && tmp.count == ".m.onnx.slipway-tmp-\(getpid())-".count + 8)
        #expect(StaleTemporaries.writerPID(ofName: tmp)?.pid == getpid())
        let files = [
            ".m.onnx.slipway-tmp-\(dead)-0123abcd",  // removed
            ".m.onnx.report.json.slipway-tmp-\(dead)-ffffffff",  // removed
            ".m.onnx.slipway-tmp-\(live)-0123abcd",  // its writer runs: kept
            ".m.onnx.slipway-tmp-\(dead)-0123ABCD",  // not the exact form: kept
            ".m.onnx.slipway-tmp-\(dead)-0123abc",
            "m.onnx.slipway-tmp-\(dead)-0123abcd",
            ".slipway-tmp-\(dead)-0123abcd",
            ".m.onnx.slipway-tmp-x\(dead)-0123abcd",
            "notes.txt",
        ]
        for f in files { try SafeWriter.write([1], to: dir + "/" + f) }
        // A link with a matching name is not a temporary this tool wrote: kept (and its target untouched).
        symlink(dir + "/notes.txt", dir + "/.l.onnx.slipway-tmp-\(dead)-00000000")
        // An external converter's work folder of a dead writer goes with its contents.
        try PathSafety.makeDirectories(dir + "/.m.tflite.slipway-work-\(dead)-Ab12Cd/sub")
        try SafeWriter.write([1], to: dir + "/.m.tflite.slipway-work-\(dead)-Ab12Cd/sub/f")
        let removed = StaleTemporaries.sweep(folder: dir)
        #expect(removed == [".m.onnx.report.json.slipway-tmp-\(dead)-ffffffff", ".m.onnx.slipway-tmp-\(dead)-0123abcd",
                            ".m.tflite.slipway-work-\(dead)-Ab12Cd"])
        #expect(listing(dir) == (files.dropFirst(2) + [".l.onnx.slipway-tmp-\(dead)-00000000"]).sorted())
    }

    @Test("a conversion sweeps its destination folder before writing")
    func conversionSweeps() async throws {
        let dir = temporaryFolder()
        let stale = ".m.onnx.slipway-tmp-2000000000-00c0ffee"
        try SafeWriter.write(Array(repeating: 7, count: 4096), to: dir + "/" + stale)
        _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: dir + "/m.onnx", settings: int8)
        #expect(listing(dir) == ["m.onnx", "m.onnx.report.json"])
    }

    // MARK: 7. Artifact and report land together

    @Test("a report that cannot be written leaves no new artifact: the previous pair stays as it was")
    func reportFailureKeepsThePair() async throws {
        let dir = temporaryFolder()
        // A real write failure at the report, and only there: the report's temporary name is 12 bytes longer than
        // the artifact's, so an artifact name whose temporary is exactly NAME_MAX (255) bytes long makes the
        // report's temporary fail with ENAMETOOLONG after the artifact has been staged.
        let pid = String(getpid())
        let nameLength = 255 - ".".count - ".slipway-tmp-".count - pid.count - "-".count - 8
        let name = String(repeating: "a", count: nameLength - ".onnx".count) + ".onnx"
        let out = dir + "/" + name
        do {
            _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: int8)
            Issue.record("expected the report's write to fail")
        } catch {
            #expect(error.kind == .io && error.message.contains(".report.json.slipway-tmp-"))
        }
        // Not an artifact without its report: nothing at all.
        #expect(listing(dir).isEmpty)
        // With a previous artifact and report in place, both survive unchanged.
        try SafeWriter.write(Array("old artifact".utf8), to: out)
        let oldReport = Array("{\"output\": {\"sha256\": \"\(SHA256Hex.of("old artifact"))\"}}\n".utf8)
        let fd = open(out + ".report.json", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        _ = oldReport.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        await #expect(throws: ConversionError.self) {
            _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: int8)
        }
        #expect(try readFile(out, limit: 64) == Array("old artifact".utf8))
        #expect(try readFile(out + ".report.json", limit: 256) == oldReport)
        #expect(listing(dir) == [name, name + ".report.json"])
    }

    @Test("staged files are renamed in order and a failed rename removes the temporaries not yet renamed")
    func commitOrder() throws {
        let dir = temporaryFolder()
        let a = try SafeWriter.stage(Array("a".utf8), to: dir + "/a")
        let c = try SafeWriter.stage(Array("c".utf8), to: dir + "/c")
        #expect(listing(dir).count == 2 && listing(dir).allSatisfy { $0.contains(".slipway-tmp-") })
        // The second rename fails (its temporary does not exist): a stays renamed, c's temporary is removed.
        #expect(throws: ConversionError.self) {
            try SafeWriter.commit([a, StagedFile(temporary: dir + "/nope", path: dir + "/b", sha256: ""), c])
        }
        #expect(listing(dir) == ["a"])
    }
}

/// The SHA-256 of a string, hex (for hand-made reports).
enum SHA256Hex {
    static func of(_ s: String) -> String {
        var h = SHA256()
        h.update(Array(s.utf8))
        return h.finalize()
    }
}

/// Scratch files (a runner's job, a converter's driver) in a folder Slipway made: written whole, replaced in
/// place, never through a link, with no temporary beside them.
@Suite("Scratch files")
struct ScratchFileTests {
    @Test("a scratch file holds what was written, a second write replaces it, and nothing else is left")
    func writesAndReplaces() throws {
        let dir = temporaryFolder()
        try SafeWriter.scratch(Array("first, longer".utf8), to: dir + "/job.json")
        try SafeWriter.scratch(Array("second".utf8), to: dir + "/job.json")
        #expect(try readFile(dir + "/job.json", limit: 1 << 10) == Array("second".utf8))
        #expect(listing(dir) == ["job.json"])
    }

    @Test("a link planted at a scratch file's name is not written through")
    func refusesALink() throws {
        let dir = temporaryFolder()
        try SafeWriter.write(Array("keep".utf8), to: dir + "/target")
        symlink(dir + "/target", dir + "/job.json")
        #expect(throws: ConversionError.self) { try SafeWriter.scratch(Array("x".utf8), to: dir + "/job.json") }
        #expect(try readFile(dir + "/target", limit: 1 << 10) == Array("keep".utf8))
    }
}
