import Estimation
import Manifest
import ModelFormats
import Testing

/// A target TensorFlow's converter makes from a Keras model is sized by that converter's rules (ArtifactLayout's
/// KerasTFLiteSize), not by the .h5's own bytes: small_cnn_keras2.h5 is 52,608 bytes, and TensorFlow 2.19 writes
/// 25,912 bytes float, 15,756 float16 and 10,736 dynamic-range (Tests/integration/test_keras_convert.py holds
/// the predictions to the artifacts).
@Suite struct KerasTFLiteSizeSpecs {
    func sizes(_ targets: String, model: String = "Tests/Fixtures/keras/small_cnn_keras2.h5") throws -> [String: Int] {
        let yaml = "slipway: 1\nmodel: {path: m.h5}\ntargets:\n" + targets
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return TargetEstimation.run(manifest: m, model: try ModelReader.read(path: Repository.path(model)), cache: nil).sizes
    }

    @Test func everyModeIsPredictedFromTheConverterNotTheSourceFile() throws {
        let s = try sizes("""
              f: {runtime: litert}
              h: {runtime: litert, optimize: {quantize: {weights: float16}}}
              d: {runtime: litert, optimize: {quantize: {weights: int8}}}
              i: {runtime: litert, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}
            """)
        // By the rules: weights 5,594 floats (batch norm's four vectors as two), 24 tensors at 110 bytes, …
        #expect(s == ["f": 26_048, "h": 16_290, "d": 10_848, "i": 11_640])
        for (name, artifact) in [("f", 25_912), ("h", 15_756), ("d", 10_736), ("i", 11_536)] {
            #expect(abs(Double(s[name] ?? 0) / Double(artifact) - 1) < 0.05, "\(name)")
        }
    }
}
