import Manifest

/// Where a model runs for `slipway test`: a real runtime this host has, or the reason it cannot run here.
public enum TestRuntime: Sendable, Hashable {
    case onnxruntime, litert, tfliteMicro
    /// A Keras original (.h5, .keras), run by TensorFlow in the converter's environment: the reference of its
    /// TFLite and ONNX artifacts.
    case keras
    /// A PyTorch original (a TorchScript module, an ExportedProgram), run by torch in the converter's environment:
    /// the reference of the ONNX artifact `torch.onnx.export` made from it.
    case torch
    case notRunHere(String)

    /// The name the runner script takes (`scripts/runners/run_models.py`).
    public var runnerName: String? {
        switch self {
        case .onnxruntime: "onnxruntime"
        case .litert: "litert"
        case .tfliteMicro: "tflite-micro"
        case .keras: "keras"
        case .torch: "torch"
        case .notRunHere: nil
        }
    }

    /// The runtime of a target's artifact, from its format (or the artifact's extension) and runtime.
    public static func forTarget(_ target: TargetSpec, artifactPath: String) -> TestRuntime {
        let runtime = target.runtimeName?.lowercased() ?? ""
        let format = target.format?.value.lowercased() ?? extensionOf(artifactPath)
        switch format {
        case "onnx": return .onnxruntime
        case "tflite": return runtime == "tflite-micro" ? .tfliteMicro : .litert
        case "mlpackage", "mlmodel", "mlmodelc":
            return .notRunHere("Core ML runs only on Apple platforms (macOS, iOS); this host cannot load an \(format)")
        case "engine", "plan", "trt":
            return .notRunHere("a TensorRT engine runs only on an NVIDIA GPU with the TensorRT version that built it")
        default:
            if runtime.hasPrefix("coreml") { return .notRunHere("Core ML runs only on Apple platforms (macOS, iOS)") }
            if runtime.hasPrefix("tensorrt") { return .notRunHere("TensorRT needs an NVIDIA GPU") }
            return .notRunHere("no runtime here runs the format \(format.isEmpty ? "(unknown)" : format)")
        }
    }

    /// The runtime of the original model, from its file name.
    public static func forModel(path: String) -> TestRuntime {
        switch extensionOf(path) {
        case "onnx": .onnxruntime
        case "tflite": .litert
        case "h5", "hdf5", "keras": .keras
        case "pt", "pth", "pt2": .torch
        default: .notRunHere("the original model \(path) is not ONNX, TFLite, Keras or PyTorch, the formats `slipway test` runs as the reference")
        }
    }

    static func extensionOf(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }
}
