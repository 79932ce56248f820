import Checking
import Diagnostics
import Foundation
import Isolation
import JSON
import ModelFormats
import Testing

/// The supervisor against real processes: a worker that answers, one that dies by a signal, one that hangs.
/// (`sh` stands in for the worker where the test needs a process that crashes on purpose; the real worker
/// is exercised end to end by Tests/integration/test_isolation.py.)
@Suite struct WorkerPoolSpec {
    /// Echoes one frame back per request, as many times as asked: `cat` returns the request bytes unchanged.
    static let echo = ["/bin/cat"]
    /// Reads the request, then dies of SIGILL — what a Swift trap does to a process.
    static let trapping = ["/bin/sh", "-c", "head -c 1 >/dev/null; kill -ILL $$"]

    @Test func aReplyComesBackAndTheWorkerIsReused() throws {
        let pool = WorkerPool(command: Self.echo)
        defer { pool.shutdown() }
        let request = WorkerFrame(header: .object(["op": .string("ping")]), payload: [0, 255, 10])
        for _ in 0..<3 {
            let reply = try pool.call(request).get()
            #expect(reply == request)
        }
        #expect(pool.starts == 1)
        #expect(pool.pids.count == 1)
    }

    @Test func aPrestartedWorkerServesTheFirstCall() throws {
        let pool = WorkerPool(command: Self.echo)
        defer { pool.shutdown() }
        pool.prestart()
        pool.prestart()
        #expect(pool.starts == 1)
        let started = try #require(pool.pids.first)
        let request = WorkerFrame(header: .object(["op": .string("ping")]))
        #expect(try pool.call(request).get() == request)
        #expect(pool.starts == 1)
        #expect(pool.pids == [started])
    }

    /// A worker started ahead of need that nothing asked for is killed at shutdown, not waited for: a check
    /// without model work must not wait for a worker to finish starting. (`sleep` would ignore its stdin.)
    @Test func anUnusedPrestartedWorkerIsKilledAtShutdown() {
        let pool = WorkerPool(command: ["/bin/sh", "-c", "sleep 30"])
        pool.prestart()
        let pids = pool.pids
        #expect(pids.count == 1)
        let started = Date()
        pool.shutdown()
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(pids.allSatisfy { kill($0, 0) != 0 })
        if case .success = pool.call(WorkerFrame(header: .null)) { Issue.record("a shut-down pool answered") }
    }

    @Test func aWorkerKilledWhileIdleIsReplacedWithoutFailingTheNextCall() throws {
        let pool = WorkerPool(command: Self.echo)
        defer { pool.shutdown() }
        let request = WorkerFrame(header: .object(["n": .int(1)]))
        _ = try pool.call(request).get()
        let first = try #require(pool.pids.first)
        kill(first, SIGKILL)
        usleep(50_000)
        #expect(try pool.call(request).get() == request)
        #expect(pool.starts == 2)
        #expect(pool.pids != [first])
    }

    @Test func aTrappingWorkerIsAFailureNamingTheSignalAndIsReplaced() {
        let pool = WorkerPool(command: Self.trapping, restartLimit: 10)
        defer { pool.shutdown() }
        let request = WorkerFrame(header: .object(["op": .string("targetChecks")]))
        for attempt in 1...3 {
            guard case .failure(let f) = pool.call(request) else {
                Issue.record("a crashed worker gave a reply")
                return
            }
            #expect(f.kind == .crashed)
            #expect(f.reason.contains("signal 4"), "\(f.reason)")
            #expect(pool.starts == attempt)
        }
        #expect(pool.pids == [])
    }

    @Test func restartsAreRateLimited() {
        let pool = WorkerPool(command: Self.trapping, restartLimit: 2, restartWindow: 600)
        defer { pool.shutdown() }
        let request = WorkerFrame(header: .null)
        _ = pool.call(request)
        _ = pool.call(request)
        guard case .failure(let f) = pool.call(request) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(f.kind == .unavailable)
        #expect(f.reason.contains("crashed 2 times"))
        #expect(pool.starts == 2)
    }

    @Test func aHangingWorkerIsStoppedAtTheTimeout() {
        let pool = WorkerPool(command: ["/bin/sh", "-c", "sleep 30"], timeout: 0.3)
        defer { pool.shutdown() }
        let started = Date()
        guard case .failure(let f) = pool.call(WorkerFrame(header: .null)) else {
            Issue.record("expected a timeout")
            return
        }
        #expect(f.kind == .timedOut)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(pool.pids == [])
    }

    @Test func aMissingProgramIsUnavailableNotACrash() {
        let pool = WorkerPool(command: ["/nonexistent/slipway"])
        guard case .failure(let f) = pool.call(WorkerFrame(header: .null)) else {
            Issue.record("expected a failure")
            return
        }
        // posix_spawn reports a missing program either at once or as the child's exit status 127.
        #expect(f.kind == .unavailable || f.reason.contains("status 127"), "\(f)")
    }

    @Test func framesRoundTripAndLyingLengthsAreRefused() {
        let frame = WorkerFrame(header: .object(["a": .array([.int(1), .string("é")])]), payload: Array(repeating: 7, count: 1000))
        var bytes = frame.encoded()
        var at = 0
        let read: (inout [UInt8]) -> Bool = { buf in
            guard at + buf.count <= bytes.count else { return false }
            buf = Array(bytes[at..<at + buf.count])
            at += buf.count
            return true
        }
        #expect(WorkerFrame.read(read) == frame)
        bytes = [0xff, 0xff, 0xff, 0x7f] + bytes
        at = 0
        #expect(WorkerFrame.read(read) == nil)
    }
}

/// An isolated check: the manifest's own diagnostics are computed here; the model's are the worker's, and a
/// worker that dies becomes one SW3005 on the model path, with the check marked incomplete.
@Suite struct IsolatedCheckSpec {
    static let manifest = """
        slipway: 1
        name: m
        model:
          path: m.onnx
        targets:
          cpu: {runtime: onnxruntime, budget: {size_mb: 0.0001}}
          bad: {runtme: x}

        """

    @Test func aCrashingWorkerCostsOneDiagnosticOnTheModelPath() throws {
        let pool = WorkerPool(command: WorkerPoolSpec.trapping, restartLimit: 10)
        defer { pool.shutdown() }
        let checker = ManifestChecker(isolation: pool)
        let result = checker.check(bytes: Array(Self.manifest.utf8), path: "/tmp/nowhere/a.slipway.yaml")
        let crash = try #require(result.diagnostics.first { $0.code == .modelUnreadable })
        #expect(crash.message.contains("'m.onnx'"))
        #expect(crash.message.contains("signal 4"))
        let text = Array(Self.manifest.utf8)
        #expect(String(decoding: text[crash.range.start..<crash.range.end], as: UTF8.self) == "m.onnx")
        #expect(result.workerFailure?.contains("signal 4") == true)
        // The manifest's own findings are still there.
        #expect(result.diagnostics.contains { $0.code == .unknownKey })
    }

    @Test func aManifestWithoutTargetsNeverStartsAWorker() {
        let pool = WorkerPool(command: WorkerPoolSpec.trapping)
        defer { pool.shutdown() }
        let result = ManifestChecker(isolation: pool).check(bytes: Array("slipway: 1\nname: m\n".utf8), path: "/tmp/a.slipway.yaml")
        #expect(pool.starts == 0)
        #expect(result.workerFailure == nil)
    }

    @Test func theWorkerServiceAnswersWhatAnInProcessCheckFinds() throws {
        let folder = NSTemporaryDirectory() + "slipway-isolation-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/targets/slice_int64_max.onnx")
        try FileManager.default.copyItem(atPath: here.path, toPath: folder + "/m.onnx")
        let text = Array(Self.manifest.utf8)
        let path = folder + "/a.slipway.yaml"
        let local = ManifestChecker(estimateCache: nil)
        let service = WorkerService(checker: local)
        let reply = service.handle(WorkerFrame(header: .object(["op": .string("targetChecks"), "path": .string(path)]), payload: text))
        let docs = try #require(reply.header["documents"]?.arrayValue)
        let decoded = docs.map { ($0.arrayValue ?? []).compactMap(Diagnostic.init(wireJSON:)) }
        let inHere = local.targetDiagnostics(bytes: text, path: path)
        #expect(decoded == inHere.documents)
        #expect(decoded.count == 1)
        #expect(decoded[0].map(\.code) == [.sizeOverBudget])
        // The reply names the files the result comes from, as the memo of `check` keys on them.
        let inputs = try #require(reply.header["inputs"]?.objectValue)
        #expect(inputs.keys == [folder + "/m.onnx"])
        #expect(inputs[folder + "/m.onnx"]?.stringValue == inHere.inputs?[folder + "/m.onnx"])
        #expect(inputs[folder + "/m.onnx"]?.stringValue?.hasPrefix("file ") == true)
    }
}

/// In-process model work in the server (hover, lenses, commands) only touches a model a worker survived.
@Suite struct ModelClearanceSpec {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/targets/slice_int64_max.onnx").path

    @Test func aModelThatCrashedAWorkerIsNotReadInProcess() {
        let pool = WorkerPool(command: WorkerPoolSpec.trapping, restartLimit: 10)
        defer { pool.shutdown() }
        let fs = ModelCachingFileSystem(clearance: ModelClearance(pool: pool))
        #expect(throws: ModelError.self) { try fs.readModel(Self.model) }
        do {
            _ = try fs.readModel(Self.model)
        } catch {
            #expect(error.message.contains("not read in the server"))
            #expect(error.message.contains("signal 4"))
        }
        // The verdict is kept for this file identity: no second worker was started for it.
        #expect(pool.starts == 1)
        #expect(fs.cachedCount == 0)
    }

    @Test func aModelAWorkerSurvivedIsReadAndCached() throws {
        let pool = WorkerPool(command: WorkerPoolSpec.echo)
        defer { pool.shutdown() }
        let fs = ModelCachingFileSystem(clearance: ModelClearance(pool: pool))
        let model = try fs.readModel(Self.model)
        #expect(model.graphs.first?.nodes.count == 3)
        _ = try fs.readModel(Self.model)
        #expect(pool.starts == 1)
        #expect(fs.cachedCount == 1)
    }
}
