import JSON
import ModelFormats

/// Dispatch of the native converters by what the source file is (its first bytes, not its name).
public enum NativeConversion {
    public enum Kind: String, Sendable { case onnx, tflite, safetensors }

    public static func kind(_ path: String) -> Kind {
        guard let head = try? readFile(path, limit: 4096) else { return .onnx }
        switch ModelReader.format(ofHead: head, fileName: SafeWriter.lastComponent(path)) {
        case .tflite?: return .tflite
        case .safetensors?: return .safetensors
        // ONNX, and whatever else: the ONNX reader names what it finds.
        default: return .onnx
        }
    }

    public static func convert(path: String, kind: Kind, settings: ConversionSettings, layout: LayoutOptions = LayoutOptions())
        throws(ConversionError) -> ONNXConversion
    {
        if settings.float16Compute, kind != .onnx {
            throw ConversionError(.unsupported, "float16 compute (activations: float16, --float16-compute) rewrites ONNX graphs; \(path) is a \(kind) model (use float16 weights)")
        }
        switch kind {
        case .onnx: return try ONNXConverter.convert(path: path, settings: settings, layout: layout)
        case .tflite: return try TFLiteConverter.convert(path: path, settings: settings)
        case .safetensors: return try SafetensorsConverter.convert(path: path, settings: settings)
        }
    }

    /// Manifest targets the native converters make: the target's format and the model's kind agree.
    static func converts(format: String, modelPath: String) -> Bool {
        let k = kind(modelPath)
        return (format == "tflite" && k == .tflite) || (format == "safetensors" && k == .safetensors)
    }
}

extension NativeConversion.Kind {
    /// Part of the fingerprint: a different converter may write different bytes for the same settings.
    var fingerprintName: String { "native-" + rawValue }

    var toolName: String {
        switch self {
        case .onnx: return "native ONNX rewriter (in process)"
        case .tflite: return "native TFLite rewriter (in process)"
        case .safetensors: return "native safetensors rewriter (in process)"
        }
    }
}
