extension ModelReader {
    /// Reads a model from bytes already in memory (an editor's buffer, a test's in-memory file system),
    /// named `path` in errors. ONNX external data is still looked up beside `path` on disk.
    public static func read(bytes: [UInt8], path: String) throws(ModelError) -> Model {
        try read(file: try MappedFile(copying: bytes, path: path))
    }
}
