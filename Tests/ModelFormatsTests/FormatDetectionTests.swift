import Testing

@testable import ModelFormats

@Test func formatNamesAreTheJSONContract() {
    #expect(ModelFormat.allCases.map(\.rawValue) == ["onnx", "tflite", "safetensors", "gguf", "keras", "pytorch"])
}

@Test(arguments: [
    ("small_cnn.onnx", ModelFormat.onnx), ("small_cnn_int8.tflite", .tflite),
    ("all_dtypes.safetensors", .safetensors), ("small.gguf", .gguf),
])
func formatsAreDetectedFromTheBytes(name: String, format: ModelFormat) throws {
    let bytes = try Fixtures.bytes(name)
    // The file name says nothing: detection sees only the bytes.
    let detected = bytes.withUnsafeBytes { FormatDetection.detect($0, fileName: "model.bin") }
    #expect(detected == .supported(format))
}

@Test func filesSlipwayDoesNotReadAreNamedWithTheWayToConvert() throws {
    let cases: [([UInt8], String, String)] = [
        ([0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E], "x", "PyTorch"),
        (Array("ftrt".utf8) + [UInt8](repeating: 1, count: 16), "x", "TensorRT"),
        ([0x01, 0x02, 0x03], "model.engine", "TensorRT"),
        // Core ML: specificationVersion (field 1), then a neuralNetwork (field 500).
        ([0x08, 0x04, 0xA2, 0x1F, 0x00], "x", "Core ML"),
    ]
    for (bytes, name, words) in cases {
        let file = try MappedFile(copying: bytes, path: name)
        #expect {
            try ModelReader.read(file: file)
        } throws: { error in
            let e = error as? ModelError
            return e?.kind == .unsupportedFormat && (e?.description.contains(words) ?? false) && (e?.description.contains(name) ?? false)
        }
    }
}

@Test func zipArchivesAreToldApartByTheirEntries() throws {
    // A minimal zip with one stored entry named "archive/data.pkl", as torch.save writes.
    let name = Array("archive/data.pkl".utf8)
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16) }
    let local = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 22) + le16(name.count) + le16(0) + name
    let central = [0x50, 0x4B, 0x01, 0x02] + [UInt8](repeating: 0, count: 24) + le16(name.count) + le16(0) + le16(0)
        + [UInt8](repeating: 0, count: 8) + le32(0) + name
    let end = [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(1) + le16(1) + le32(central.count) + le32(local.count) + le16(0)
    let file = try MappedFile(copying: local + central + end, path: "model.pt")
    #expect(ModelReader.format(ofHead: Array(local.prefix(4)), fileName: "model.pt") == nil)  // told by its entries
    #expect(throws: ModelError.self) { try ModelReader.read(file: file) }
    do { _ = try ModelReader.read(file: file) } catch { #expect(error.description.contains("a PyTorch archive")) }
}

@Test func anEmptyFileAndADirectoryAreClearErrors() throws {
    #expect {
        try ModelReader.read(path: Fixtures.directory)
    } throws: { ($0 as? ModelError)?.description.contains("is a directory") ?? false }
    #expect {
        try MappedFile(copying: [], path: "empty.onnx")
    } throws: { ($0 as? ModelError)?.description == "empty.onnx: is empty (0 bytes)" }
    #expect {
        try ModelReader.read(path: "/nonexistent/model.onnx")
    } throws: { ($0 as? ModelError)?.kind == .io }
}
