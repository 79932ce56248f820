#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The entry point: maps a file, tells its format from its bytes, and reads it into a `Model`.
public enum ModelReader {
    public static func read(path: String) throws(ModelError) -> Model {
        if isDirectory(path) { throw directoryError(path) }
        var model = try read(file: try MappedFile(path: path))
        if model.format == .safetensors {
            model.metadata.merge(SidecarConfig.metadata(besideModelAt: path)) { stored, _ in stored }
        }
        return model
    }

    /// The format a file's first bytes say, by the same detection `read` uses; nil for anything Slipway does
    /// not read. Enough for TFLite, safetensors and GGUF from a few bytes (ONNX is told by its first fields).
    public static func format(ofHead head: [UInt8], fileName: String) -> ModelFormat? {
        head.withUnsafeBytes { b in
            if case .supported(let f) = FormatDetection.detect(b, fileName: fileName) { return f }
            return nil
        }
    }

    /// Reads an already mapped file.
    public static func read(file: MappedFile) throws(ModelError) -> Model {
        var model = try readFormat(file: file)
        model.markSharedStorage()
        return model
    }

    static func readFormat(file: MappedFile) throws(ModelError) -> Model {
        let path = file.path
        let name = path.split(separator: "/").last.map(String.init) ?? path
        switch FormatDetection.detect(file.bytes, fileName: name) {
        case .supported(.onnx):
            var reader = ONNXReader(file: file)
            return try reader.read()
        case .supported(.tflite):
            var reader = TFLiteReader(file: file)
            return try reader.read()
        case .supported(.safetensors):
            return try SafetensorsReader(file: file).read()
        case .supported(.gguf):
            var reader = GGUFReader(file: file)
            return try reader.read()
        case .supported(.keras):
            // The same format in two containers: HDF5 (.h5) and Keras 3's zip (.keras).
            if FormatDetection.starts(file.bytes, at: 0, with: [0x50, 0x4B, 0x03, 0x04]) {
                return try KerasArchiveReader(file: file).read()
            }
            return try KerasH5Reader(file: file).read()
        case .supported(.pytorch):
            return try PyTorchReader(file: file).read()
        case .unsupported(let what, let hint):
            throw ModelError(.unsupportedFormat, file: path, "is \(what), which Slipway does not read: \(hint)")
        case .unknown:
            let head = file.bytes.prefix(8).map { b in
                let h = String(b, radix: 16)
                return h.count == 1 ? "0" + h : h
            }.joined(separator: " ")
            throw ModelError(
                .unsupportedFormat, file: path,
                "is not a model format Slipway recognises (ONNX, TFLite, safetensors, GGUF, Keras, PyTorch); it starts with \(head)")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func directoryError(_ path: String) -> ModelError {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        func exists(_ child: String) -> Bool { access(trimmed + "/" + child, F_OK) == 0 }
        let detected: DetectedFormat?
        if trimmed.lowercased().hasSuffix(".mlpackage") || exists("Manifest.json") {
            detected = UnsupportedFormat.coreML
        } else if exists("saved_model.pb") {
            detected = UnsupportedFormat.savedModel
        } else {
            detected = nil
        }
        if case .unsupported(let what, let hint)? = detected {
            return ModelError(.unsupportedFormat, file: path, "is \(what), which Slipway does not read: \(hint)")
        }
        return ModelError(.io, file: path, "is a directory, not a model file")
    }
}
