import Estimation
import Manifest
import ModelFormats
import Testing

/// A target onnx2tf and TensorFlow's converter make from an ONNX model is sized by that converter's rules
/// (ArtifactLayout's ONNXTFLiteSize), not by the ONNX file: the bundled keyword spotter (93,111 bytes of ONNX) is
/// 44,904 bytes as full-integer TFLite, the bundled classifier (66,389) 40,288 bytes with float16 weights
/// (onnx2tf 1.29.24, TensorFlow 2.19; Tests/integration/test_onnx_tflite.py converts them and compares).
@Suite struct ONNXTFLiteSizeSpecs {
    func sizes(_ targets: String, model: String) throws -> [String: Int] {
        let yaml = "slipway: 1\nmodel: {path: m.onnx}\ntargets:\n" + targets
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return TargetEstimation.run(manifest: m, model: try ModelReader.read(path: Repository.path(model)), cache: nil).sizes
    }

    @Test func fullIntegerAndFloat16AreTheConvertersFiles() throws {
        let kws = try sizes("""
              mcu: {runtime: tflite-micro, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}
              io: {runtime: tflite-micro, optimize: {quantize: {weights: int8, activations: int8, io: int8, calibration: c/}}}
            """, model: "examples/kws-mcu/models/ds_cnn_kws.onnx")
        // 9 Conv with their Relu fused, the Flatten before the Gemm gone, a PAD before the strided first Conv.
        #expect(kws == ["mcu": 45_436, "io": 45_112])
        #expect(abs(Double(kws["mcu"] ?? 0) / 44_904 - 1) < 0.02)
        let cnn = try sizes("  gpu: {runtime: litert, format: tflite, optimize: {quantize: {weights: float16}}}\n",
                            model: "examples/mobile-cnn/models/mobilenet_tiny.onnx")
        // The Clip bounds (ReLU6) are no tensors; each float16 weight has its DEQUANTIZE; the five PADs share one
        // paddings constant.
        #expect(cnn == ["gpu": 40_708])
        #expect(abs(Double(cnn["gpu"] ?? 0) / 40_288 - 1) < 0.02)
    }
}
