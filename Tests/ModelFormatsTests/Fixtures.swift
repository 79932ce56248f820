import Testing

@testable import ModelFormats

/// The committed fixtures (made by scripts/make_model_fixtures.py with the producer libraries).
enum Fixtures {
    static let directory: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(2).joined(separator: "/") + "/Fixtures/models"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    static func read(_ name: String) throws -> Model { try ModelReader.read(path: path(name)) }

    static func bytes(_ name: String) throws -> [UInt8] {
        let file = try MappedFile(path: path(name))
        return Array(file.bytes)
    }

    /// Every model fixture that reads successfully as it is.
    static let readable = [
        "small_cnn.onnx", "typed_fields.onnx", "quantized_qdq.onnx", "external_data.onnx",
        "small_cnn_float.tflite", "small_cnn_int8.tflite", "small_cnn_float16.tflite", "small_cnn_dynamic.tflite",
        "control_flow.tflite", "buffer_offsets.tflite", "all_dtypes.safetensors", "small.gguf", "small_v2.gguf",
    ]
}

extension Model {
    func tensor(_ name: String) -> ConstantTensor? { tensors.first { $0.name == name } }

    func floats(_ name: String) throws -> [Float] {
        guard let t = tensor(name) else { return [] }
        return try withFloat32Values(of: t) { Array($0) }
    }
}
