import Diagnostics
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// Models come from users: whatever the reader accepts, shape inference, coverage and the checks must not
/// trap (seeded byte mutations of every fixture, checked against every runtime and delegate).
@Suite struct HostileModelSpec {
    static let fixtures = [
        "examples/kws-mcu/models/ds_cnn_kws.onnx", "Tests/Fixtures/targets/tile_mid.onnx",
        "Tests/Fixtures/targets/erf_gelu.onnx", "Tests/Fixtures/models/small_cnn_int8.tflite",
        "Tests/Fixtures/models/quantized_qdq.onnx", "Tests/Fixtures/targets/tflite_ops.tflite",
        "Tests/Fixtures/targets/slice_int64_max.onnx",
    ]

    /// PyTorch writes `x[:, 1:]` as a Slice whose end is INT64_MAX: the bounds are read as integers, clamped as
    /// ONNX says, and the shapes after the slice are known (the value once went through float32 and trapped).
    @Test func sliceBoundsAtTheInt64LimitsResolve() throws {
        let model = try Repo.model("Tests/Fixtures/targets/slice_int64_max.onnx")
        let a = GraphAnalysis.analyze(model: model)
        #expect(a.unresolved == [])
        #expect(a.shapes["tail"] == [1, 8, 16])
        #expect(a.shapes["rev"] == [1, 4, 16])
        #expect(a.shapes["y"] == [1, 4, 4])
        #expect(a.totalMACs == 256)
        let manifest = try #require(Self.manifest)
        #expect(!TargetChecks.check(manifest: manifest, model: model, catalogue: catalogue).isEmpty)
    }

    @Test func sliceShapeFollowsOnnxClamping() {
        let x = [10]
        let big = Int.max, small = Int.min
        #expect(Analyzer.sliceShape(x, starts: [1], ends: [big], axes: [0], steps: nil) == [9])
        #expect(Analyzer.sliceShape(x, starts: [-3], ends: [big], axes: [0], steps: nil) == [3])
        #expect(Analyzer.sliceShape(x, starts: [big], ends: [small], axes: [0], steps: [-1]) == [10])
        #expect(Analyzer.sliceShape(x, starts: [0], ends: [10], axes: [0], steps: [3]) == [4])
        #expect(Analyzer.sliceShape(x, starts: [9], ends: [0], axes: [0], steps: [small]) == [1])
        #expect(Analyzer.sliceShape(x, starts: [5], ends: [2], axes: [0], steps: [1]) == [0])
        #expect(Analyzer.sliceShape(x, starts: [0], ends: [5], axes: [0], steps: [0]) == nil)
        #expect(Analyzer.sliceShape(x, starts: [0], ends: [5], axes: [3], steps: nil) == nil)
        #expect(Analyzer.sliceShape([2, 6], starts: [small, 1], ends: [big, -1], axes: [0, -1], steps: nil) == [2, 4])
    }

    static let manifest: Manifest? = {
        var yaml = "model: {inputs: {x: [1, 3, 16, 16]}}\noptimize: {quantize: {weights: int8, activations: int8, calibration: c/}}\ntargets:\n"
        var n = 0
        for rt in catalogue.runtimes {
            for d in rt.delegates.map(\.name) + [""] {
                yaml += "  t\(n): {runtime: \(rt.name), device: android-phone\(d.isEmpty ? "" : ", delegate: \(d)"), budget: {size_mb: 1, memory_mb: 1, latency_ms: 1}}\n"
                n += 1
            }
        }
        return ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest
    }()

    @Test(arguments: fixtures)
    func mutatedModelsNeverTrapTheChecks(path: String) throws {
        let manifest = try #require(Self.manifest)
        let bytes = Repo.bytes(path)
        #expect(!bytes.isEmpty)
        var seed: UInt64 = 0x5eed
        var checked = 0
        for _ in 0..<150 {
            var mutated = bytes
            for _ in 0..<4 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let at = Int(truncatingIfNeeded: seed >> 33) % mutated.count
                mutated[at] = UInt8(truncatingIfNeeded: seed >> 17)
            }
            guard let model = try? ModelReader.read(bytes: mutated, path: path) else { continue }
            _ = TargetChecks.check(manifest: manifest, model: model, catalogue: catalogue)
            _ = TargetEstimates.table(manifest: manifest, model: model, catalogue: catalogue)
            checked += 1
        }
        #expect(checked > 0)
    }
}

