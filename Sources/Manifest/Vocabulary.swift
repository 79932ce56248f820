/// The words a manifest may use, each with the one-line meaning that becomes its hover and completion text.
/// (The Targets catalogue under Schemas/ will add versions, devices and rules; these are only the names.)
public enum Vocabulary {
    public static let runtimes: [(value: String, description: String)] = [
        ("onnxruntime", "ONNX Runtime: CPU, CUDA, TensorRT, Core ML, NNAPI and QNN execution providers."),
        ("litert", "LiteRT (formerly TensorFlow Lite): .tflite models on Android, iOS, Linux and microcontrollers."),
        ("tflite", "TensorFlow Lite, the former name of LiteRT."),
        ("tflite-micro", "LiteRT for Microcontrollers: int8 models in a static arena, no OS."),
        ("coreml", "Apple Core ML: .mlpackage (ML Program) or .mlmodel on iOS, macOS, watchOS, tvOS, visionOS."),
        ("tensorrt", "NVIDIA TensorRT: engines built for one TensorRT version and GPU compute capability."),
        ("openvino", "Intel OpenVINO on x86-64 CPUs, integrated GPUs and NPUs."),
        ("executorch", "PyTorch ExecuTorch: .pte programs on mobile and embedded devices."),
        ("llama.cpp", "llama.cpp (ggml): GGUF language models on CPUs and GPUs; implied for a GGUF target."),
        ("transformers", "Hugging Face Transformers on PyTorch: safetensors checkpoints; implied for a safetensors target."),
    ]

    /// Formats that only one runtime loads: a target of such a format may leave `runtime` out. Every other
    /// format runs in several runtimes (ONNX in onnxruntime and TensorRT, TFLite in LiteRT and TFLite Micro),
    /// and the target must name one.
    public static let impliedRuntimes: [String: String] = ["gguf": "llama.cpp", "safetensors": "transformers"]

    public static let weightTypes: [(String, String)] = [
        ("none", "Keep weights in their stored type."),
        ("float16", "IEEE half precision: half the size, ~3 decimal digits; values beyond ±65504 overflow."),
        ("bfloat16", "Brain float: float32's range with 8 bits of mantissa."),
        ("int8", "8-bit signed integers with a scale (and a zero point if asymmetric): a quarter of float32."),
        ("uint8", "8-bit unsigned integers with a scale and a zero point."),
        ("int4", "4-bit signed integers, two per byte; usually needs per-block scales to keep accuracy."),
        ("uint4", "4-bit unsigned integers, two per byte, with zero points."),
        ("float8-e4m3", "8-bit float, 4 exponent and 3 mantissa bits (FP8 E4M3): NVIDIA Ada and later."),
        ("float8-e5m2", "8-bit float, 5 exponent and 2 mantissa bits (FP8 E5M2): wider range, less precision."),
        ("nvfp4", "NVIDIA's 4-bit float (E2M1) with an FP8 scale per 16 values: Blackwell and later."),
    ]

    public static let activationTypes: [(String, String)] = [
        ("none", "Activations stay in float: weight-only quantization, no calibration data needed."),
        ("dynamic", "Activations quantized at run time to uint8 from their observed range (MatMulInteger/ConvInteger, as onnxruntime's quantize_dynamic writes); no calibration."),
        ("int8", "Static int8 activations: needs calibration samples to fix their ranges."),
        ("uint8", "Static uint8 activations: needs calibration samples to fix their ranges."),
        ("int16", "Static int16 activations (with int8 weights): Qualcomm HTP and TFLite 16x8 mode."),
        ("float16", "Activations computed in float16, as GPU delegates and the Neural Engine do."),
        ("float8-e4m3", "Static FP8 E4M3 activations (with calibration): NVIDIA Ada and later."),
        ("float8-e5m2", "Static FP8 E5M2 activations (with calibration): NVIDIA Ada and later."),
    ]

    public static let granularities: [(String, String)] = [
        ("per-tensor", "One scale for the whole tensor: smallest metadata, worst accuracy with outlier channels."),
        ("per-channel", "One scale per output channel: the usual choice for convolution and linear weights."),
        ("per-block:32", "One scale per block of N values along the reduction axis (N = 32 here): needed for int4."),
    ]

    public static let quantFormats: [(String, String)] = [
        ("qdq", "QuantizeLinear/DequantizeLinear pairs around float operators (ONNX Runtime's recommended form)."),
        ("qoperator", "Integer operators: QLinearConv and friends with static activations (slow with S8S8 on x86-64); with activations none or dynamic, MatMulInteger/ConvInteger (dynamic quantization)."),
    ]

    /// The element types of a fully integer model's inputs and outputs (TensorFlow's converter's
    /// inference_input_type / inference_output_type).
    public static let ioTypes: [(String, String)] = [
        ("float32", "Float inputs and outputs: the model quantizes its inputs and dequantizes its outputs itself (a QUANTIZE and a DEQUANTIZE at the edges)."),
        ("int8", "int8 inputs and outputs, with the scale and zero point stored in the model: the caller quantizes, as microcontroller and Edge TPU pipelines do."),
        ("uint8", "uint8 inputs and outputs (camera frames as they come), with the scale and zero point stored in the model."),
    ]

    public static let calibrationMethods: [(String, String)] = [
        ("minmax", "Ranges from the observed minimum and maximum."),
        ("entropy", "Ranges that minimise the KL divergence of the histogram (TensorRT's default)."),
        ("percentile", "Ranges clipped at a high percentile of the observed values."),
    ]

    public static let pruneScopes: [(String, String)] = [
        ("per-tensor", "Every tensor reaches the sparsity on its own."),
        ("global", "One threshold over all selected tensors: small-magnitude layers lose more."),
    ]

    public static let delegates: [(String, String)] = [
        ("cpu", "The runtime's default CPU kernels."),
        ("xnnpack", "XNNPACK CPU kernels (LiteRT's default on arm64 and x86-64)."),
        ("gpu", "The LiteRT GPU delegate (OpenCL/OpenGL/Metal): float16 compute, a fixed operator list."),
        ("nnapi", "Android NNAPI: deprecated from Android 15."),
        ("edgetpu", "Coral Edge TPU: fully int8, static shapes, at most 3-D tensors."),
        ("hexagon", "Qualcomm Hexagon DSP delegate."),
        ("qnn", "Qualcomm AI Engine Direct (QNN) execution provider or delegate."),
        ("cuda", "ONNX Runtime CUDA execution provider."),
        ("tensorrt", "ONNX Runtime TensorRT execution provider."),
        ("coreml", "ONNX Runtime Core ML execution provider (NeuralNetwork format, its default)."),
        ("coreml-mlprogram", "ONNX Runtime Core ML execution provider with ModelFormat=MLProgram."),
        ("dnnl", "oneDNN execution provider on x86-64."),
        ("openvino", "OpenVINO execution provider."),
        ("vitisai", "ONNX Runtime Vitis AI execution provider (AMD Ryzen AI, Versal)."),
    ]

    public static let computeUnits: [(String, String)] = [
        ("all", "CPU, GPU and Neural Engine, as Core ML decides."),
        ("cpu-only", "CPU only."),
        ("cpu-and-gpu", "CPU and GPU, never the Neural Engine."),
        ("cpu-and-ne", "CPU and the Neural Engine."),
    ]

    public static let outputFormats: [(String, String)] = [
        ("onnx", "ONNX protobuf (.onnx)."),
        ("tflite", "LiteRT/TFLite flatbuffer (.tflite)."),
        ("mlpackage", "Core ML ML Program package (.mlpackage), iOS 15 and later."),
        ("mlmodel", "Core ML neural network (.mlmodel), the pre-iOS 15 form."),
        ("engine", "TensorRT serialized engine (.engine / .plan)."),
        ("safetensors", "safetensors weights (.safetensors)."),
        ("gguf", "GGUF (llama.cpp) model (.gguf)."),
        ("pte", "ExecuTorch program (.pte)."),
    ]

    public static let deployLayouts: [(String, String)] = [
        ("plain", "The artifact, its report and provenance at the `deploy.to` path."),
        ("triton", "A Triton Inference Server model repository: <repository>/<model>/<version>/ with a generated config.pbtxt."),
        ("oci", "An OCI image layout (oci-layout, index.json, blobs/sha256/...) any registry client can push."),
    ]

    /// How `monitor.max_output_drift` compares an output's distribution in production with the test set's.
    /// `test.preprocess.layout`: where an image's channels go in the input.
    public static let imageLayouts: [(String, String)] = [
        ("nchw", "Channels first: [N, C, H, W] (PyTorch and ONNX exports)."),
        ("nhwc", "Channels last: [N, H, W, C] (TensorFlow and LiteRT)."),
    ]

    /// `test.preprocess.color`: the channel order an image is decoded to.
    public static let imageColors: [(String, String)] = [
        ("rgb", "Red, green, blue."),
        ("bgr", "Blue, green, red (OpenCV-trained models, Caffe)."),
        ("gray", "One luminance channel."),
    ]

    /// `test.preprocess.dtype`: the element type of raw `.bin` samples (little-endian).
    public static let rawDTypes: [(String, String)] = [
        ("float32", "32-bit IEEE floats."), ("float16", "16-bit IEEE floats."), ("int8", "Signed bytes."),
        ("uint8", "Unsigned bytes."), ("int16", "16-bit signed integers."), ("int32", "32-bit signed integers."),
        ("int64", "64-bit signed integers (token ids)."),
    ]

    public static let driftMeasures: [(String, String)] = [
        ("psi", "Population stability index over the test set's deciles (0.1: moderate shift, 0.25: large)."),
        ("jensen_shannon", "Jensen–Shannon distance (base 2, 0 to 1) between the binned distributions."),
    ]

    /// The metric roles `monitor.metrics` may rename, with the default names (Prometheus naming conventions:
    /// base units, `_total` counters, `_seconds` histograms).
    public static let monitorMetrics: [(String, String)] = [
        ("latency", "slipway_inference_duration_seconds (histogram: the `_bucket` series are read)"),
        ("requests", "slipway_inference_requests_total (counter)"),
        ("errors", "slipway_inference_errors_total (counter)"),
        ("drift", "slipway_output_drift (gauge, per output, written by the serving side or `slipway monitor check`)"),
    ]

    public static let modelFormats: [(String, String)] = [
        ("auto", "Detect the format from the file's bytes."),
        ("onnx", "ONNX protobuf."),
        ("tflite", "LiteRT/TFLite flatbuffer."),
        ("safetensors", "safetensors weights."),
        ("gguf", "GGUF (llama.cpp)."),
    ]

    /// Tools a target may pin in `tools`, by their package names. The catalogue's known-bad combinations
    /// (SW4015) are keyed by these names.
    public static let tools: [(String, String)] = [
        ("onnx", "The `onnx` Python package: reads, writes and checks ONNX models; its version decides the opsets and IR it writes."),
        ("onnxruntime", "ONNX Runtime used as a tool (quantization, optimization) by the conversion pipeline."),
        ("coremltools", "Apple coremltools: converts PyTorch and TensorFlow models to Core ML and compresses them."),
        ("torch", "PyTorch: the framework the model is exported or traced from."),
        ("tensorrt", "NVIDIA TensorRT used to build the engine; an engine runs only on the TensorRT version that built it."),
        ("onnx2tf", "onnx2tf: converts ONNX models to TensorFlow and LiteRT."),
        ("tensorflow", "TensorFlow: the LiteRT converter; from 2.16 its `tf.keras` is Keras 3."),
        ("keras", "Keras: 2.x is `tf.keras`; Keras 3 objects are rejected by TFMOT."),
        ("tensorflow-model-optimization", "TensorFlow Model Optimization Toolkit (TFMOT): pruning and quantization-aware training for Keras 2 models."),
        ("olive", "Microsoft Olive: ONNX optimization and quantization workflows."),
        ("nvidia-modelopt", "NVIDIA Model Optimizer (ModelOpt): PTQ and QAT for TensorRT."),
        ("executorch", "PyTorch ExecuTorch: exports .pte programs."),
        ("openvino", "Intel OpenVINO and NNCF used to convert and compress the model."),
        ("python", "The Python version of the target's `python:` interpreter, checked before an external converter runs."),
    ]

    public static let operatingSystems = ["ios", "ipados", "macos", "watchos", "tvos", "visionos", "android"]
}
