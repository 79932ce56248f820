#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Hashing
import JSON
import Testing

@testable import Evaluation

/// The digest of a test's samples: one definition (the runner's, report.json's `samples.sha256`), read once.
@Suite struct SampleDigestSpec {
    static func samples() throws -> (folder: String, files: [String]) {
        let folder = NSTemporaryDirectory() + "slipway-sample-digest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files = ["a.npy", "b.npy"].map { folder + "/" + $0 }
        try Data("first".utf8).write(to: URL(fileURLWithPath: files[0]))
        try Data("second".utf8).write(to: URL(fileURLWithPath: files[1]))
        return (folder, files)
    }

    static func sha256(_ text: String) -> String {
        var h = SHA256()
        h.update(text)
        return h.finalize()
    }

    @Test func theDigestIsOneLineNameAndSHA256PerFileAsTheRunnerWritesIt() throws {
        let (folder, files) = try Self.samples()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = "a.npy \(Self.sha256("first"))\nb.npy \(Self.sha256("second"))\n"
        #expect(TestRecord.hashed(samples: files) == Self.sha256(lines))
        #expect(TestRecord.digest(samples: files) == Self.sha256(lines))
    }

    @Test func theRunnersDigestIsTakenWhileTheFilesKeepTheIdentitiesTheyHadBeforeItRead() throws {
        let (folder, files) = try Self.samples()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = files.compactMap(FileDigests.Identity.of)
        // A digest no file hashes to: taken as it is, it proves that no sample was read again.
        let runners = String(repeating: "ab", count: 32)
        #expect(TestRecord.digest(samples: files, read: (runners, before)) == runners)
        // A sample rewritten after the runner started: its identity moved, so its bytes are hashed.
        try Data("changed".utf8).write(to: URL(fileURLWithPath: files[1]))
        let lines = "a.npy \(Self.sha256("first"))\nb.npy \(Self.sha256("changed"))\n"
        #expect(TestRecord.digest(samples: files, read: (runners, before)) == Self.sha256(lines))
    }

    @Test func aRecordOfTheEarlierDigestIsReadButItsSamplesDigestIsNotCompared() throws {
        let old: JSONValue = ["slipway_test_record": 1, "status": "passed", "artifact_sha256": "a", "model_sha256": "m", "samples_sha256": "s"]
        #expect(TestRecord.parse(old)?.version == 1)
        let current = TestRecord(status: "passed", metrics: [:], runtime: nil, artifactSHA: "a", modelSHA: "m", samplesSHA: "s")
        #expect(current.json["slipway_test_record"]?.intValue == 2)
        #expect(TestRecord.parse(current.json)?.version == 2)
    }
}
