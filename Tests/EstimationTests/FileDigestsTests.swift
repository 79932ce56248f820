import Estimation
import Foundation
import Testing
@testable import Hashing

/// File digests that persist between processes: a later process (a fresh `FileDigests` over the same disk
/// cache) finds a file's digest by its identity alone, and any write to the file, even one that puts its size
/// and modification time back, makes that identity new.
@Suite struct FileDigestsSpec {
    static func folder() throws -> String {
        let d = NSTemporaryDirectory() + "file-digests-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func write(_ path: String, byte: UInt8, count: Int) throws {
        try Data(repeating: byte, count: count).write(to: URL(fileURLWithPath: path))
    }

    static func sha256(_ path: String) throws -> String {
        var h = SHA256()
        h.update(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        return h.finalize()
    }

    static func store(_ dir: String) -> DiskEstimateCache {
        DiskEstimateCache(directory: dir + "/cache", maxEntries: 16, subfolder: "digests")
    }

    @Test func aLargeFilesDigestIsFoundByALaterProcessUntilTheFileIsWritten() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/model.bin"
        try Self.write(file, byte: 1, count: 1 << 20)
        let truth = try Self.sha256(file)

        let first = FileDigests(settle: 0)
        first.persist(in: Self.store(dir))
        #expect(first.sha256(ofFile: file)?.sha256 == truth)
        #expect(first.sha256(ofFile: file)?.size == 1 << 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/digests").count == 1)
        // A later process knows it without reading the file: its value is what the store holds.
        let later = FileDigests(settle: 0)
        later.persist(in: Self.store(dir))
        let identity = try #require(FileDigests.Identity.of(file))
        #expect(later.value(for: identity) == truth)

        // Rewritten in place with other bytes, then its modification time put back to the nanosecond: the
        // change time still moved, so the identity is new, and the digest is the new content's.
        usleep(20_000)
        try Self.write(file, byte: 2, count: 1 << 20)
        var times = [timespec(tv_sec: Int(identity.seconds), tv_nsec: Int(identity.nanoseconds)),
                     timespec(tv_sec: Int(identity.seconds), tv_nsec: Int(identity.nanoseconds))]
        try #require(utimensat(AT_FDCWD, file, &times, 0) == 0)
        let rewritten = try #require(FileDigests.Identity.of(file))
        #expect((rewritten.inode, rewritten.size, rewritten.seconds, rewritten.nanoseconds)
            == (identity.inode, identity.size, identity.seconds, identity.nanoseconds))
        #expect(rewritten != identity)
        let fresh = FileDigests(settle: 0)
        fresh.persist(in: Self.store(dir))
        #expect(fresh.value(for: rewritten) == nil)
        #expect(fresh.sha256(ofFile: file)?.sha256 == (try Self.sha256(file)))
        #expect(fresh.sha256(ofFile: file)?.sha256 != truth)
    }

    @Test func smallAndJustWrittenFilesAreRememberedInTheProcessOnly() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let small = dir + "/small.npy", large = dir + "/large.bin"
        try Self.write(small, byte: 1, count: 100)
        try Self.write(large, byte: 1, count: 1 << 20)

        let settled = FileDigests(settle: 0)
        settled.persist(in: Self.store(dir))
        #expect(settled.sha256(ofFile: small)?.sha256 == (try Self.sha256(small)))
        #expect(settled.value(for: try #require(FileDigests.Identity.of(small))) != nil)
        // Below a MiB, hashing costs what reading an entry costs: nothing is written.
        #expect(!FileManager.default.fileExists(atPath: dir + "/cache/digests"))

        // Changed within the settling time: a write later in the same clock tick would not show in the identity.
        let racy = FileDigests(settle: 3600)
        racy.persist(in: Self.store(dir))
        #expect(racy.sha256(ofFile: large)?.sha256 == (try Self.sha256(large)))
        #expect(racy.value(for: try #require(FileDigests.Identity.of(large))) != nil)
        #expect(!FileManager.default.fileExists(atPath: dir + "/cache/digests"))
    }

    @Test func aFileSetsDigestIsFoundByItsFilesNamesIdentitiesAndOrder() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = (0..<3).map { dir + "/s\($0).npy" }
        for (i, f) in files.enumerated() { try Self.write(f, byte: UInt8(i), count: 64) }
        let listing = try files.map { ($0, try #require(FileDigests.Identity.of($0))) }
        let digest = String(repeating: "0f", count: 32)

        let memo = FileDigests(settle: 0)
        memo.persist(in: Self.store(dir))
        var computed = 0
        #expect(memo.combined(listing) { computed += 1; return digest } == digest)
        #expect(memo.combined(listing) { computed += 1; return "" } == digest)
        #expect(computed == 1)
        #expect(memo.combined(Array(listing.reversed())) { "reversed" } == "reversed")
        #expect(memo.combined(Array(listing.prefix(2))) { "fewer" } == "fewer")
        try Self.write(files[1], byte: 9, count: 64)
        let changed = try files.map { ($0, try #require(FileDigests.Identity.of($0))) }
        #expect(memo.combined(changed) { "changed" } == "changed")
        // Without a store nothing is remembered across calls.
        #expect(FileDigests(settle: 0).combined(listing) { "computed" } == "computed")
    }

    @Test func anEntryThatIsNotADigestIsIgnored() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/model.bin"
        try Self.write(file, byte: 1, count: 1 << 20)
        let identity = try #require(FileDigests.Identity.of(file))
        Self.store(dir).storeDigest("not a digest", forKey: FileDigests.storeKey("file", identity.text))
        let memo = FileDigests(settle: 0)
        memo.persist(in: Self.store(dir))
        #expect(memo.value(for: identity) == nil)
        #expect(memo.sha256(ofFile: file)?.sha256 == (try Self.sha256(file)))
    }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #require(mkfifo(dir + "/fifo", 0o600) == 0)
        #expect(FileDigests(settle: 0).sha256(ofFile: dir + "/fifo") == nil)
        #expect(FileDigests.Identity.of(dir + "/fifo") == nil)
    }
}
