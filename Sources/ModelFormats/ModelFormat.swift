/// The model file formats Slipway reads in place. (The readers arrive with the Model formats issue.)
public enum ModelFormat: String, Sendable, CaseIterable {
    case onnx, tflite, safetensors, gguf, keras, pytorch
}
