#if canImport(Glibc)
import Glibc
#endif
import ModelFormats
import Testing

@testable import Conversion

@Suite("external data")
struct ExternalDataTests {
    /// Copies the external-data fixture (model and data file) into `dir` under `name`.
    func copyFixture(to dir: String, as name: String = "ext_data.onnx") throws {
        for file in ["ext_data.onnx", "ext_data.onnx.data"] {
            let bytes = try readFile(fixture(file), limit: 1 << 24)
            try SafeWriter.write(bytes, to: dir + "/" + (file == "ext_data.onnx" ? name : file))
        }
    }

    @Test("a source with external data converts to a model and <output>.data beside it, both in the report")
    func externalSource() async throws {
        let dir = temporaryFolder()
        try PathSafety.makeDirectories(dir + "/out")
        let out = dir + "/out/q.onnx"
        let r = try await Converter.convert(model: fixture("ext_data.onnx"), output: out,
                                            settings: ConversionSettings(weights: .int8))
        #expect(listing(dir + "/out") == ["q.onnx", "q.onnx.data", "q.onnx.report.json"])
        let data = try #require(r.json["output"]?["external_data"])
        #expect(data["location"]?.stringValue == "q.onnx.data")
        #expect(data["sha256"]?.stringValue == (try sha256(ofFile: out + ".data")))
        #expect(r.json["output"]?["sha256"]?.stringValue == (try sha256(ofFile: out)))
        let actions = Dictionary(uniqueKeysWithValues: (r.json["tensors"]?.arrayValue ?? []).compactMap { t in
            t["name"]?.stringValue.map { ($0, t["action"]?.stringValue ?? "") }
        })
        #expect(actions["w1"] == "quantized" && actions["w2"] == "quantized")
        // The written model reads back with its large tensors in the new data file, at aligned offsets.
        let model = try ModelReader.read(path: out)
        let w1 = try #require(model.tensors.first { $0.name == "w1_quantized" })
        guard case .external(let path, let offset, let length) = w1.storage else {
            Issue.record("w1 is not stored externally: \(w1.storage)")
            return
        }
        #expect(path.hasSuffix("/out/q.onnx.data") && offset % 64 == 0 && length == 64 * 32)
        // b1 (the Gemm bias, kept float32) moved from the source's data file to the new one, bytes unchanged.
        let source = try ModelReader.read(path: fixture("ext_data.onnx"))
        let b1Before = try source.withFloat32Values(of: try #require(source.tensors.first { $0.name == "b1" })) { Array($0) }
        let b1After = try model.withFloat32Values(of: try #require(model.tensors.first { $0.name == "b1" })) { Array($0) }
        #expect(b1Before == b1After)
        // Up to date checks both files; a changed data file is converted again.
        let again = try await Converter.convert(model: fixture("ext_data.onnx"), output: out,
                                                settings: ConversionSettings(weights: .int8))
        #expect(again.upToDate)
        try SafeWriter.write([0, 1, 2], to: out + ".data")
        let redone = try await Converter.convert(model: fixture("ext_data.onnx"), output: out,
                                                 settings: ConversionSettings(weights: .int8))
        #expect(!redone.upToDate)
    }

    @Test("an output over the threshold (2 GiB, lowered here) moves its tensors out; small ones stay inline")
    func largeOutput() async throws {
        let dir = temporaryFolder()
        let out = dir + "/m.onnx"
        let model = repoRoot + "/examples/mobile-cnn/models/mobilenet_tiny.onnx"
        var options = ConvertOptions()
        options.externalDataThreshold = 10_000
        let r = try await Converter.convert(model: model, output: out, settings: ConversionSettings(float16: true),
                                            options: options)
        #expect(r.json["output"]?["external_data"]?["location"]?.stringValue == "m.onnx.data")
        let written = try ModelReader.read(path: out)
        let external = written.tensors.filter { if case .external = $0.storage { return true } else { return false } }
        #expect(!external.isEmpty && external.allSatisfy { $0.storedBytes >= 1024 })
        #expect(written.tensors.contains { if case .file = $0.storage { return $0.storedBytes < 1024 } else { return false } })
        // Without the lowered threshold the same conversion stays one file.
        let inline = try await Converter.convert(model: model, output: dir + "/n.onnx", settings: ConversionSettings(float16: true))
        #expect(inline.json["output"]?["external_data"] == nil)
        #expect(PathSafety.fileSize(dir + "/n.onnx.data") == nil)
    }

    @Test("an artifact that becomes one file again removes the data file its earlier run wrote, and nothing else")
    func staleDataFileRemoved() async throws {
        let dir = temporaryFolder()
        let out = dir + "/m.onnx"
        let model = repoRoot + "/examples/mobile-cnn/models/mobilenet_tiny.onnx"
        var options = ConvertOptions()
        options.externalDataThreshold = 10_000
        _ = try await Converter.convert(model: model, output: out, settings: ConversionSettings(float16: true), options: options)
        #expect(listing(dir) == ["m.onnx", "m.onnx.data", "m.onnx.report.json"])
        // Same output, now under the threshold: one file, and the earlier run's data file goes with it.
        let inline = try await Converter.convert(model: model, output: out, settings: ConversionSettings(float16: true),
                                                 options: ConvertOptions(force: true))
        #expect(inline.json["output"]?["external_data"] == nil)
        #expect(listing(dir) == ["m.onnx", "m.onnx.report.json"])
        // A data file the user changed since is not Slipway's any more: it stays.
        options.force = true
        let split = try await Converter.convert(model: model, output: out, settings: ConversionSettings(float16: true),
                                                options: options)
        #expect(split.json["output"]?["external_data"] != nil)
        try SafeWriter.write([1, 2, 3], to: out + ".data")
        _ = try await Converter.convert(model: model, output: out, settings: ConversionSettings(float16: true),
                                        options: ConvertOptions(force: true))
        #expect(listing(dir) == ["m.onnx", "m.onnx.data", "m.onnx.report.json"])
    }

    @Test("the data file may not replace the source's own external data")
    func refusesToOverwriteSourceData() async throws {
        let dir = temporaryFolder()
        try copyFixture(to: dir, as: "source.onnx")  // still points at ext_data.onnx.data
        let before = try sha256(ofFile: dir + "/ext_data.onnx.data")
        await #expect(throws: ConversionError.self) {
            _ = try await Converter.convert(model: dir + "/source.onnx", output: dir + "/ext_data.onnx",
                                            settings: ConversionSettings(weights: .int8))
        }
        #expect(try sha256(ofFile: dir + "/ext_data.onnx.data") == before)
        #expect(listing(dir) == ["ext_data.onnx.data", "source.onnx"])
    }

    @Test("a cancelled pair write leaves neither file nor a temporary")
    func cancelled() async throws {
        let dir = temporaryFolder()
        let calls = Counter()
        await #expect(throws: ConversionError.self) {
            _ = try await Converter.convert(model: fixture("ext_data.onnx"), output: dir + "/q.onnx",
                                            settings: ConversionSettings(weights: .int8),
                                            cancellation: { calls.next() > 6 })
        }
        #expect(listing(dir).isEmpty)
    }
}

/// Counts calls across the cancellation closure's invocations.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = TestLock()
    func next() -> Int { lock.with { value += 1; return value } }
}

/// A mutex without Foundation.
final class TestLock: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func with<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return body()
    }
}
