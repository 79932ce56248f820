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
    ]

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

