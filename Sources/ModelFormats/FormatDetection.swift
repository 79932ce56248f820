import ProtobufWire

/// What the first bytes of a file say it is. Detection never trusts the file name; the name only
/// sharpens the message for files that carry no signature of their own.
enum DetectedFormat: Equatable {
    case supported(ModelFormat)
    /// A known format Slipway does not read, with the way to get to one it does.
    case unsupported(name: String, hint: String)
    case unknown
}

enum UnsupportedFormat {
    static let pytorch = DetectedFormat.unsupported(
        name: "a PyTorch pickle in the format before torch 1.6 (not a zip archive)",
        hint: "load it in torch and save it again with torch.save (a zip archive), or save its state dict with safetensors.torch.save_file")
    static let coreML = DetectedFormat.unsupported(
        name: "a Core ML model (.mlmodel/.mlpackage)",
        hint: "Core ML is a conversion target only; inspect the ONNX or TFLite model it was converted from")
    static let tensorRT = DetectedFormat.unsupported(
        name: "a TensorRT engine",
        hint: "engines are bound to one GPU and TensorRT version; inspect the ONNX model the engine was built from")
    static let savedModel = DetectedFormat.unsupported(
        name: "a TensorFlow SavedModel directory",
        hint: "convert it with tf.lite.TFLiteConverter.from_saved_model (to .tflite) or tf2onnx (to .onnx)")
}

enum FormatDetection {
    static func detect(_ b: UnsafeRawBufferPointer, fileName: String) -> DetectedFormat {
        if starts(b, at: 0, with: [0x47, 0x47, 0x55, 0x46]) { return .supported(.gguf) }  // "GGUF"
        if starts(b, at: 4, with: Array("TFL3".utf8)) { return .supported(.tflite) }
        // HDF5's signature may follow a user block of 512, 1024, 2048... bytes.
        for offset in [0, 512, 1024, 2048] where starts(b, at: offset, with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .supported(.keras)
        }
        if starts(b, at: 0, with: [0x50, 0x4B, 0x03, 0x04]) { return zipArchive(b) }
        // A bare pickle (PROTO opcode then protocol 2...5) is how torch.save wrote files before 1.6.
        if b.count >= 2, b[0] == 0x80, (2...5).contains(b[1]) { return UnsupportedFormat.pytorch }
        if starts(b, at: 0, with: Array("ftrt".utf8)) || starts(b, at: 0, with: Array("ptrt".utf8)) {
            return UnsupportedFormat.tensorRT
        }
        if isSafetensors(b) { return .supported(.safetensors) }
        switch protobufTopLevel(b) {
        case .onnx: return .supported(.onnx)
        case .coreML: return UnsupportedFormat.coreML
        case .none:
            break
        }
        let lower = fileName.lowercased()
        if lower.hasSuffix(".engine") || lower.hasSuffix(".plan") || lower.hasSuffix(".trt") {
            return UnsupportedFormat.tensorRT
        }
        if lower.hasSuffix(".mlmodel") { return UnsupportedFormat.coreML }
        return .unknown
    }

    static func starts(_ b: UnsafeRawBufferPointer, at offset: Int, with sig: [UInt8]) -> Bool {
        guard b.count >= offset + sig.count else { return false }
        for (i, s) in sig.enumerated() where b[offset + i] != s { return false }
        return true
    }

    /// safetensors: a little-endian u64 header length, then a JSON object. The length is not checked here,
    /// so that a file lying about it is reported by the reader as a bad `header_size`, not as unknown.
    static func isSafetensors(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= 10 else { return false }
        let n = UInt64(littleEndian: b.loadUnaligned(as: UInt64.self))
        let next = b[9]
        let opensObject = next == UInt8(ascii: "\"") || next == UInt8(ascii: "}") || next == 0x20 || next == 0x0A
        return n >= 2 && b[8] == UInt8(ascii: "{") && opensObject
    }

    enum ProtobufKind { case onnx, coreML }

    /// Both ONNX and Core ML are bare protobuf. A well-formed top level with a `graph` (field 7) is ONNX;
    /// Core ML keeps its model in fields numbered 200 and up.
    static func protobufTopLevel(_ b: UnsafeRawBufferPointer) -> ProtobufKind? {
        var r = ProtoReader(b)
        var sawGraph = false
        var sawCoreML = false
        var startsWithIRVersion: Bool?
        do {
            while let f = try r.next() {
                if startsWithIRVersion == nil { startsWithIRVersion = f.number == 1 && f.wireType == .varint }
                if f.number == 7, f.wireType == .lengthDelimited { sawGraph = true }
                if f.number >= 200 { sawCoreML = true }
            }
        } catch {
            // A file cut short still reads as ONNX if it began like one, so that the reader names the broken field.
            return startsWithIRVersion == true ? .onnx : nil
        }
        if sawCoreML { return .coreML }
        if sawGraph { return .onnx }
        return nil
    }

    /// Names from a zip's central directory tell PyTorch, Keras 3 and zipped Core ML packages apart.
    static func zipArchive(_ b: UnsafeRawBufferPointer) -> DetectedFormat {
        let names = ZipDirectory.entryNames(b, limit: 4096)
        if names.contains(where: { $0.hasSuffix("data.pkl") || $0.hasSuffix("serialized_exported_program.json") }) {
            return .supported(.pytorch)
        }
        if names.contains(where: { $0.hasSuffix("constants.pkl") }) { return UnsupportedFormat.pytorch }
        if names.contains(where: { $0 == "config.json" || $0.hasSuffix("model.weights.h5") }) {
            return .supported(.keras)
        }
        if names.contains(where: { $0.hasSuffix("Manifest.json") || $0.contains("com.apple.CoreML") }) {
            return UnsupportedFormat.coreML
        }
        return .unsupported(name: "a zip archive that holds no model format Slipway reads", hint: "unpack it and inspect the model file inside")
    }
}

/// The entry names of a zip archive, read from its central directory with every offset checked.
enum ZipDirectory {
    static func entryNames(_ b: UnsafeRawBufferPointer, limit: Int) -> [String] {
        // The end-of-central-directory record is in the last 22 + 65535 bytes.
        guard b.count >= 22 else { return [] }
        var eocd = -1
        var i = b.count - 22
        let floor = max(0, b.count - 22 - 65_535)
        while i >= floor {
            if b[i] == 0x50, b[i + 1] == 0x4B, b[i + 2] == 0x05, b[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { return [] }
        let entries = Int(u16(b, eocd + 10))
        var p = Int(u32(b, eocd + 16))
        var names: [String] = []
        for _ in 0..<min(entries, limit) {
            guard p >= 0, p + 46 <= b.count, u32(b, p) == 0x0201_4B50 else { break }
            let nameLength = Int(u16(b, p + 28))
            let extra = Int(u16(b, p + 30))
            let comment = Int(u16(b, p + 32))
            guard p + 46 + nameLength <= b.count else { break }
            names.append(String(decoding: b[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self))
            p += 46 + nameLength + extra + comment
        }
        return names
    }

    static func u16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }
    static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
}
