#if canImport(Glibc)
import Glibc
#endif
import Compression
import Estimation
import JSON
import ModelFormats
import Testing

/// The results cache: a hit returns what was computed, anything it cannot trust is recomputed.
@Suite(.serialized) struct CacheSpecs {
    let weights: [(name: String, shape: [Int], values: [Float])] = [("w", [4, 8], (0..<32).map { Float($0) * 0.1 - 1.3 })]

    @Test func aSecondEstimateIsAHitWithTheSameFigures() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir + "/cache"); removeTree(dir) }
        writeFile(dir + "/m.safetensors", safetensors(weights))
        let cache = DiskEstimateCache(directory: dir + "/cache")
        let model = try ModelReader.read(path: dir + "/m.safetensors")
        let first = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: cache)
        let second = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: cache)
        #expect(!first.fromCache && second.fromCache)
        #expect(first.json == second.json)
        #expect(listDirectory(dir + "/cache/estimates").count == 1)
        // Other settings are another entry.
        let other = try ModelEstimator.estimate(model, settings: EstimateSettings(weights: .int4), cache: cache)
        #expect(!other.fromCache && other.scheme.hasPrefix("int4"))
    }

    @Test func aChangedFileIsAMiss() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir + "/cache"); removeTree(dir) }
        let path = dir + "/m.safetensors"
        writeFile(path, safetensors(weights))
        let cache = DiskEstimateCache(directory: dir + "/cache")
        _ = try ModelEstimator.estimate(try ModelReader.read(path: path), settings: EstimateSettings(), cache: cache)
        // Same size and names, other values.
        writeFile(path, safetensors([("w", [4, 8], (0..<32).map { Float($0) * 0.2 - 3 })]))
        let after = try ModelEstimator.estimate(try ModelReader.read(path: path), settings: EstimateSettings(), cache: cache)
        #expect(!after.fromCache)
        let fresh = try ModelEstimator.estimate(try ModelReader.read(path: path), settings: EstimateSettings(), cache: nil)
        #expect(after.json == fresh.json)
    }

    @Test(arguments: ["not json at all", #"{"format":"slipway-estimate-cache","version":1,"key":"another","result":{}}"#,
                      #"{"format":"slipway-estimate-cache","version":1}"#, ""])
    func aCorruptOrForeignEntryIsRebuilt(garbage: String) throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir + "/cache"); removeTree(dir) }
        writeFile(dir + "/m.safetensors", safetensors(weights))
        let cache = DiskEstimateCache(directory: dir + "/cache")
        let model = try ModelReader.read(path: dir + "/m.safetensors")
        let first = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: cache)
        let entry = try #require(listDirectory(dir + "/cache/estimates").first)
        writeFile(dir + "/cache/estimates/" + entry, Array(garbage.utf8))
        let rebuilt = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: cache)
        #expect(!rebuilt.fromCache && rebuilt.json == first.json)
        let again = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: cache)
        #expect(again.fromCache)
    }

    @Test func theFolderKeepsAtMostItsBound() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir + "/cache"); removeTree(dir) }
        writeFile(dir + "/m.safetensors", safetensors(weights))
        let cache = DiskEstimateCache(directory: dir + "/cache", maxEntries: 2)
        let model = try ModelReader.read(path: dir + "/m.safetensors")
        for t in [QuantizationType.int8, .uint8, .int4, .float16] {
            _ = try ModelEstimator.estimate(model, settings: EstimateSettings(weights: t), cache: cache)
        }
        #expect(listDirectory(dir + "/cache/estimates").count == 2)
    }

    /// Issue 17: the folder may be shared. Eviction removes only this cache's entries (its subfolder, its
    /// name pattern, its header), never another program's JSON, even one named like an entry.
    @Test func evictionNeverDeletesFilesItDidNotWrite() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        let folder = dir + "/cache", entries = folder + "/estimates"
        writeFile(dir + "/m.safetensors", safetensors(weights))
        _ = mkdir(folder, 0o755)
        _ = mkdir(entries, 0o755)
        for i in 0..<250 { writeFile(folder + "/foreign-\(i).json", Array(#"{"owner":"someone else"}"#.utf8)) }
        for i in 0..<50 { writeFile(entries + "/other-\(i).json", Array("{}".utf8)) }
        // Named like entries, but not ours.
        let lookalike = "estimate-" + String(repeating: "ab", count: 32) + ".json"
        writeFile(entries + "/" + lookalike, Array(#"{"format":"another-tool"}"#.utf8))
        writeFile(folder + "/.tmp-1-2", [1])
        let cache = DiskEstimateCache(directory: folder, maxEntries: 2)
        let model = try ModelReader.read(path: dir + "/m.safetensors")
        for t in [QuantizationType.int8, .uint8, .int4, .float16] {
            _ = try ModelEstimator.estimate(model, settings: EstimateSettings(weights: t), cache: cache)
        }
        let ours = listDirectory(entries).filter { $0.hasPrefix("estimate-") && $0 != lookalike }
        #expect(ours.count == 2)
        #expect(listDirectory(folder).filter { $0.hasSuffix(".json") }.count == 250)
        #expect(listDirectory(folder).contains(".tmp-1-2"))
        #expect(listDirectory(entries).filter { $0.hasPrefix("other-") }.count == 50)
        #expect(listDirectory(entries).contains(lookalike))
        // Our entries start with the header eviction checks.
        let fd = open(entries + "/" + (ours.first ?? ""), O_RDONLY)
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 35)
        _ = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        #expect(String(decoding: head, as: UTF8.self) == #"{"format":"slipway-estimate-cache","#)
    }

    /// A model that is not a file on disk (an editor buffer, an in-memory tree) has no identity: nothing is
    /// looked up or stored.
    @Test func withoutAnIdentityNothingIsCached() throws {
        let model = try ModelReader.read(bytes: safetensors(weights), path: "nowhere/m.safetensors")
        let memory = MemoryEstimateCache()
        _ = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: memory)
        #expect(memory.count == 0)
        let counting = CountingCache(identity: "fixed")
        _ = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: counting)
        let hit = try ModelEstimator.estimate(model, settings: EstimateSettings(), cache: counting)
        #expect(counting.stores == 1 && hit.fromCache)
    }

    @Test func theDefaultFolderFollowsTheEnvironment() {
        #expect(DiskEstimateCache.defaultDirectory(environment: ["SLIPWAY_CACHE_DIR": "/c", "HOME": "/h"]) == "/c")
        #expect(DiskEstimateCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/x/slipway")
        #expect(DiskEstimateCache.defaultDirectory(environment: ["HOME": "/h"]) == "/h/.cache/slipway")
        #expect(DiskEstimateCache.defaultDirectory(environment: [:]) == nil)
    }
}
