import Checking
import Conversion
import FlatBuffers
import Foundation
import ModelFormats
import ProtobufWire
import Testing

@testable import FuzzEntries

/// Every committed fuzz input (Tests/Fixtures/fuzz/<target>/: crash-* regressions and seed-* seeds) and every
/// model fixture its target reads goes through the same entry the fuzzer calls: no trap, no broken invariant.
/// A crash the fuzzer finds is committed there and stays fixed through these tests.
@Suite struct FuzzRegressionTests {
    static let root = FuzzSupport.root

    /// The committed inputs of `target`, plus the fixtures under Tests/Fixtures with one of `extensions`.
    static func inputs(_ target: String, extensions: [String] = []) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        let own = root + "/Tests/Fixtures/fuzz/" + target
        for name in (try? fm.contentsOfDirectory(atPath: own)) ?? [] { out.append(own + "/" + name) }
        if !extensions.isEmpty, let walk = fm.enumerator(atPath: root + "/Tests/Fixtures") {
            for case let rel as String in walk where extensions.contains((rel as NSString).pathExtension) {
                out.append(root + "/Tests/Fixtures/" + rel)
            }
        }
        return out.sorted()
    }

    static func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    static func replay(_ target: FuzzTarget, _ paths: [String], minimum: Int) {
        #expect(paths.count >= minimum, "fewer inputs than expected for \(target.name)")
        for p in paths {
            #expect(target.run(bytes(p)) == [], "\(p)")
        }
    }

    @Test func manifestInputs() {
        Self.replay(FuzzTargets.manifest, Self.inputs("manifest", extensions: ["yaml"]), minimum: 2)
    }

    @Test func framingInputs() async {
        let paths = Self.inputs("framing")
        #expect(paths.count >= 3)
        // Other suites' synchronous replays can hold both threads of the cooperative pool for ~30 s.
        for p in paths { #expect(await fuzzFraming(Self.bytes(p), busyLimit: .seconds(180)) == [], "\(p)") }
    }

    @Test func onnxInputs() { Self.replay(FuzzTargets.onnx, Self.inputs("onnx", extensions: ["onnx"]), minimum: 20) }
    @Test func tfliteInputs() { Self.replay(FuzzTargets.tflite, Self.inputs("tflite", extensions: ["tflite"]), minimum: 10) }
    @Test func safetensorsInputs() {
        Self.replay(FuzzTargets.safetensors, Self.inputs("safetensors", extensions: ["safetensors"]), minimum: 3)
    }
    @Test func kerasInputs() { Self.replay(FuzzTargets.keras, Self.inputs("keras", extensions: ["h5", "keras"]), minimum: 3) }
    @Test func pytorchInputs() { Self.replay(FuzzTargets.pytorch, Self.inputs("pytorch", extensions: ["pt", "pth", "pt2"]), minimum: 5) }
    @Test func torchscriptInputs() { Self.replay(FuzzTargets.torchscript, Self.inputs("torchscript"), minimum: 3) }
    @Test func ggufInputs() { Self.replay(FuzzTargets.gguf, Self.inputs("gguf", extensions: ["gguf"]), minimum: 2) }
    @Test func convertInputs() {
        Self.replay(FuzzTargets.convert, Self.inputs("convert", extensions: ["onnx", "tflite", "safetensors"]), minimum: 30)
    }

    /// The convert entry reaches the converters: each fixture model's kind converts with its first setting.
    @Test func convertEntryConvertsTheFixtures() throws {
        #expect(ConvertScratch.settings[.onnx]?.count == 8)
        #expect(ConvertScratch.settings[.tflite]?.count == 3)
        #expect(ConvertScratch.settings[.safetensors]?.count == 3)
        for (file, kind) in [("models/small_cnn.onnx", NativeConversion.Kind.onnx), ("models/small_cnn_float.tflite", .tflite),
                             ("conversion/mlp.safetensors", .safetensors)] {
            let path = Self.root + "/Tests/Fixtures/" + file
            #expect(NativeConversion.kind(path) == kind)
            let settings = try #require(ConvertScratch.settings[kind]?.first)
            let conversion = try NativeConversion.convert(path: path, kind: kind, settings: settings)
            #expect(conversion.output.count > 0, "\(file)")
        }
        // The sized setting writes its batch into small_cnn's input x [batch, 1, 8, 8] (the rest are the file's).
        let path = Self.root + "/Tests/Fixtures/models/small_cnn.onnx"
        let sized = try #require(ConvertScratch.settings[.onnx]?.last)
        let out = Self.root + "/.build/fuzz-sized-\(getpid()).onnx"
        let c = try NativeConversion.convert(path: path, kind: .onnx, settings: sized)
        _ = try SafeWriter.write(c.output, source: c.source.bytes, to: out)
        defer { unlink(out) }
        #expect(try ModelReader.read(path: out).inputs.first?.shape == [.fixed(2), .fixed(1), .fixed(8), .fixed(8)])
    }

    /// The pipeline's manifest must itself be valid, or the model targets would test less than they claim.
    @Test func modelPipelineManifestHasNoErrors() throws {
        let file = ManifestCheckFree.errors(ModelPipeline.text)
        #expect(file == [])
        #expect(ModelPipeline.manifest?.targets.map(\.name.value) == ["mcu", "android", "server", "sparse"])
    }
}

enum ManifestCheckFree {
    /// Error codes of a manifest's own checks (no model: the path is not in the in-memory project).
    static func errors(_ text: [UInt8]) -> [String] {
        let r = ManifestChecker(fileSystem: FuzzSupport.project, estimateCache: nil).check(bytes: text, path: "/fuzz/project/m.slipway.yaml")
        return r.diagnostics.filter { $0.severity == .error && $0.code.rawValue != "SW3001" }.map { "\($0.code.rawValue): \($0.message)" }
    }
}

@Suite struct MutatorTests {
    static let onnx = FuzzRegressionTests.bytes(FuzzSupport.root + "/Tests/Fixtures/models/small_cnn.onnx")
    static let tflite = FuzzRegressionTests.bytes(FuzzSupport.root + "/Tests/Fixtures/models/small_cnn_float.tflite")

    @Test func protobufTreeWritesTheSameBytesBack() throws {
        let fields = try #require(ProtobufMutator.parse(Self.onnx[...], depth: 0))
        var out: [UInt8] = []
        ProtobufMutator.serialize(fields, into: &out)
        #expect(out == Self.onnx)
        #expect(ProtobufMutator.countSites(fields) > 50)
    }

    @Test func protobufMutationsChangeTheModelAndMostStayWellFramed() throws {
        var changed = 0, framed = 0
        for seed in UInt64(0)..<200 {
            let out = try #require(ProtobufMutator.mutate(Self.onnx, seed: seed))
            if out != Self.onnx { changed += 1 }
            if ProtobufMutator.parse(out[...], depth: 0) != nil { framed += 1 }
            #expect(ProtobufMutator.mutate(Self.onnx, seed: seed) == out, "seed \(seed) is not deterministic")
        }
        #expect(changed >= 180)
        // Only the lying length prefixes break the framing on purpose.
        #expect(framed >= 150)
    }

    @Test func protobufMutatorRefusesWhatIsNotWireData() {
        #expect(ProtobufMutator.mutate(Array("slipway: 1\n".utf8), seed: 1) == nil)
        #expect(ProtobufMutator.mutate([], seed: 1) == nil)
    }

    @Test func flatbufferMutationsKeepTheSizeAndTouchFewBytes() throws {
        var walker = FlatBufferMutator.Walker(bytes: Self.tflite)
        walker.walkRoot()
        #expect(walker.sites.count > 100)
        for seed in UInt64(0)..<100 {
            let out = try #require(FlatBufferMutator.mutate(Self.tflite, seed: seed))
            #expect(out.count == Self.tflite.count)
            let differing = zip(out, Self.tflite).filter { $0 != $1 }.count
            #expect(differing <= 24, "seed \(seed) changed \(differing) bytes")
        }
        #expect(FlatBufferMutator.mutate(Self.onnx, seed: 1) == nil)
    }

    static let h5 = FuzzRegressionTests.bytes(FuzzSupport.root + "/Tests/Fixtures/keras/small_cnn_latest.h5")

    @Test func hdf5ResealingMakesABrokenChecksumWhole() throws {
        // seed-latest-bad-checksum has one object header byte changed: the walk stops at its checksum. Resealed,
        // the file walks to its end: the mutator's changes get past checksums to the checks behind them.
        var bytes = FuzzRegressionTests.bytes(FuzzSupport.root + "/Tests/Fixtures/fuzz/keras/seed-latest-bad-checksum")
        let before = HDF5Checksums.structures(bytes)
        for s in before { HDF5Checksums.reseal(&bytes, s) }
        let after = HDF5Checksums.structures(bytes)
        #expect(after.count > before.count)
        #expect(after == HDF5Checksums.structures(Self.h5))
        // The walk meets every checksummed structure of the file: the superblock, 30 object headers, 9
        // continuation chunks, the link heap's header and direct block, the name index's header and leaf.
        #expect(after.count == 1 + 30 + 9 + 2 + 2)
    }

    @Test func hdf5MutationsChangeFieldsInsideChecksummedStructures() throws {
        // Nil when the edge value drawn is the field's own (libFuzzer's own mutation runs instead).
        var changed = 0
        for seed in UInt64(0)..<60 {
            guard let out = HDF5Mutator.mutate(Self.h5, seed: seed) else { continue }
            changed += 1
            #expect(out.count == Self.h5.count)
            #expect(zip(out, Self.h5).filter { $0 != $1 }.count <= 3 * (8 + 4), "seed \(seed)")
            #expect(HDF5Mutator.mutate(Self.h5, seed: seed) == out, "seed \(seed) is not deterministic")
            #expect(fuzzKeras(out) == [], "seed \(seed)")
        }
        #expect(changed >= 50)
        // Not an HDF5 image (a .keras zip, version 1 files with no checksums left to fix): libFuzzer's own.
        #expect(HDF5Mutator.mutate(Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 60), seed: 1) == nil)
        #expect(HDF5Mutator.mutate(FuzzRegressionTests.bytes(FuzzSupport.root + "/Tests/Fixtures/keras/small_cnn.h5"), seed: 1) == nil)
    }

    @Test func interestingValuesHoldTheExtremes() {
        #expect(InterestingValues.int64.contains(.max))
        #expect(InterestingValues.int64.contains(.min))
        #expect(InterestingValues.int64.contains(-1))
        #expect(InterestingValues.int64.contains(0))
    }
}
