import Checking
import TestSupport

/// The project layout the doc examples and most specs assume. The models are real (read by the target
/// checks): `models/kws.onnx` is the DS-CNN keyword spotter of examples/kws-mcu, and every fixture under
/// Tests/Fixtures/targets/ is there as `models/<name>` for examples that need a particular model.
let projectFiles: InMemoryFileSystem = {
    var binary: [String: [UInt8]] = [:]
    let kws = kwsModel
    binary["models/kws.onnx"] = kws
    binary["models/other.onnx"] = kws
    binary["models/mobilenet_tiny.onnx"] = Repository.bytes("examples/mobile-cnn/models/mobilenet_tiny.onnx") ?? []
    binary["models/encoder.onnx"] = Repository.bytes("examples/transformer-server/models/encoder.onnx") ?? []
    binary["models/quantized_qdq.onnx"] = Repository.bytes("Tests/Fixtures/models/quantized_qdq.onnx") ?? []
    binary["models/small_cnn_float.tflite"] = Repository.bytes("Tests/Fixtures/models/small_cnn_float.tflite") ?? []
    binary["models/small_cnn_int8.tflite"] = Repository.bytes("Tests/Fixtures/models/small_cnn_int8.tflite") ?? []
    // A TorchScript module, for the examples whose target is a Core ML package (coremltools reads no ONNX).
    binary["models/cnn.pt"] = Repository.bytes("Tests/Fixtures/models/pytorch/torchscript.pt") ?? []
    for name in TargetFixtures.names {
        binary["models/\(name)"] = Repository.bytes("Tests/Fixtures/targets/\(name)") ?? []
    }
    binary["models/concatenation_7d.tflite"] = Repository.bytes("Tests/Fixtures/targets/xnnpack_ranks/concatenation_7d.tflite") ?? []
    binary["models/nan_weights.onnx"] = Repository.bytes("Tests/Fixtures/estimate/nan_weights.onnx") ?? []
    binary["models/pruned_cnn.onnx"] = Repository.bytes("Tests/Fixtures/estimate/pruned_cnn.onnx") ?? []
    binary["models/broken.onnx"] = Array("not a model, just text".utf8)
    return InMemoryFileSystem(binary: binary, folders: ["data/calib", "data/test"])
}()

/// The DS-CNN keyword spotter of examples/kws-mcu, a real ONNX model the target checks can read.
let kwsModel: [UInt8] = Repository.bytes("examples/kws-mcu/models/ds_cnn_kws.onnx") ?? []

/// The models scripts/make_target_fixtures.py writes.
enum TargetFixtures {
    static let names = [
        "opset21.onnx", "custom_domain.onnx", "erf_gelu.onnx", "dynamic_batch.onnx", "batch2_conv.onnx",
        "tile_mid.onnx", "expand_mid.onnx", "cnn_softmax.onnx", "dilated_conv.onnx", "runtime_b.onnx", "unique.onnx", "maxpool1d.onnx", "batch_mean.onnx", "wide_softmax.onnx", "runtime_axes.onnx", "random_seed.onnx", "topk_scores.onnx", "clip_bounds.onnx", "free_sizes_conv.onnx",
        "gguf_new_types.gguf", "gguf_q4_0_4_4.gguf",
    ]
}
