import Testing
@testable import ModelFormats

@Test func formatNamesAreTheJSONContract() {
    #expect(ModelFormat.allCases.map(\.rawValue) == ["onnx", "tflite", "safetensors", "gguf"])
}
