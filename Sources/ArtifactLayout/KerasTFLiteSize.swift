import Compression
import ModelFormats

/// The size of the .tflite TensorFlow's converter writes from a Keras model (the tflite-converter path), predicted
/// from the model's weights: the source file's own bytes (an HDF5 container, a zip) say nothing about it.
///
/// What the converter stores, per its post-training quantization rules:
/// - float32: every weight as is; a BatchNormalization's four vectors become two (a scale and an offset: MUL and
///   ADD), or, right after a convolution or dense layer without an activation (its only reader), fold into that
///   layer: its kernel is rescaled and the offset becomes the layer's bias (a new vector when the layer had none);
///   an Activation the converter fuses (relu, relu6, linear) after a layer that takes a fused activation leaves no
///   operator (`Fusion`);
/// - float16: every float weight at 2 bytes, plus a DEQUANTIZE tensor each;
/// - dynamic range (int8 weights, float activations): kernels with at least `minElementsForWeights` elements at 1
///   byte with per-channel scales, everything else float32;
/// - full integer: kernels at 1 byte, biases as int32, every tensor with quantization parameters, a QUANTIZE and a
///   DEQUANTIZE at each input and output unless the inputs and outputs are integer themselves (`quantize.io`).
/// The per-tensor and per-file constants were fitted on conversions of Keras 2 and 3 models (CNN, MLP,
/// depthwise-separable, 50–370 KB artifacts: within 2.5 % in every mode) by TensorFlow 2.19;
/// Tests/integration/test_keras_convert.py holds the predictions for the small fixtures (11–26 KB) to 5 %.
public enum KerasTFLiteSize {
    /// TensorFlow's `minimum_elements_for_weights` (quantization_config.h): smaller weights stay float32 under
    /// dynamic-range quantization (`dynamic_range.minimum_elements` in Schemas/conversion/tflite.json).
    public static var minElementsForWeights: Int { TFLiteRules.minimumElements }
    /// The byte model's tables (`artifact_size` in Schemas/conversion/tflite.json): the flatbuffer's fixed tables,
    /// a Tensor, a QuantizationParameters, an Operator.
    static var fileBytes: Int { TFLiteRules.size.fileBytes }
    static var tensorBytes: Int { TFLiteRules.size.tensorBytes }
    static var quantizedTensorBytes: Int { TFLiteRules.size.quantizedTensorBytes }
    static var operatorBytes: Int { TFLiteRules.size.operatorBytes }
    /// Per scale: a float32 scale and an int64 zero point.
    static var groupBytes: Int { TFLiteRules.bytesPerGroup }

    public enum Mode: Sendable, Equatable {
        case float32, float16, dynamicRange, fullInteger
    }

    /// The mode a target's settings select on this path.
    public static func mode(weights: String, activations: String) -> Mode {
        switch weights {
        case "float16": return .float16
        case "int8": return activations == "int8" || activations == "uint8" ? .fullInteger : .dynamicRange
        default: return .float32
        }
    }

    /// The weights dynamic-range quantization leaves in float32 (too small to be worth it).
    public static func keptFloat(_ t: ConstantTensor) -> Bool {
        t.shape.count < 2 || t.elementCount < minElementsForWeights
    }

    /// `operators`: how many builtins the converter writes for a layer (Keras 3's Flatten is four, with the
    /// constants its shape arithmetic reads); each beyond the first adds an operator, its output and a constant.
    /// `integerIO`: inputs and outputs of int8 or uint8 (inference_input_type), with no QUANTIZE or DEQUANTIZE.
    public static func predict(model: Model, mode: Mode, integerIO: Bool = false, operators: (Node) -> Int = { _ in 1 }) -> Int {
        let nodes = model.graphs.first?.nodes ?? []
        let fusion = Fusion(nodes)
        var bytes = fileBytes
        let written = nodes.count - fusion.foldedNorms.count - fusion.fusedActivations.count
        var tensors = written + model.inputs.count
        for (i, n) in nodes.enumerated() where !fusion.foldedNorms.contains(i) && !fusion.fusedActivations.contains(i) {
            let extra = max(operators(n) - 1, 0)
            tensors += 2 &* extra
            bytes += extra &* operatorBytes
        }
        // A folded normalisation's four vectors: a bias vector of its channels where the layer had none, else nothing.
        for i in fusion.newBiases {
            let channels = model.tensors.first { t in t.consumers.contains { $0.graph == 0 && $0.node == i } }?.elementCount ?? 0
            tensors += 1
            switch mode {
            case .float32, .dynamicRange: bytes += channels &* 4
            case .float16: bytes += channels &* 2; tensors += 1
            case .fullInteger: bytes += channels &* (4 + groupBytes) + quantizedTensorBytes
            }
        }
        for t in model.tensors where t.dtype.isFloatingPoint {
            if t.consumers.contains(where: { $0.graph == 0 && fusion.foldedNorms.contains($0.node) }) { continue }
            let readers = Set(t.consumers.compactMap { c in c.graph == 0 && c.node < nodes.count ? nodes[c.node].opType : nil })
            // Batch normalization: mean, variance, gamma and beta become one scale and one offset.
            let halved = readers.contains("BatchNormalization")
            let elements = halved ? (t.elementCount + 1) / 2 : t.elementCount
            tensors += 1
            // Output channels, where the scales go: the last axis (HWIO kernels, [in, out] matrices), except a
            // depthwise kernel [H, W, C, multiplier], whose outputs are C × multiplier.
            let depthwise = t.shape.count == 4 && (readers.contains("DepthwiseConv2D") || t.name.contains("depthwise"))
            let channels = max(depthwise ? t.shape[2] &* t.shape[3] : (t.shape.last ?? 1), 1)
            switch mode {
            case .float32:
                bytes += elements &* 4
            case .float16:
                bytes += elements &* 2
                tensors += 1
            case .dynamicRange:
                if keptFloat(t) || halved {
                    bytes += elements &* 4
                } else {
                    bytes += elements + quantizedTensorBytes + channels &* groupBytes
                }
            case .fullInteger:
                // Normalisation vectors in int8 with one scale.
                if t.shape.count < 2, halved {
                    bytes += elements + quantizedTensorBytes + groupBytes
                } else {
                    bytes += integerWeightBytes(elements: elements, channels: channels, kernel: t.shape.count >= 2)
                }
            }
        }
        if mode == .fullInteger {
            let (t, b) = integerActivations(model: model, written: written, integerIO: integerIO)
            tensors += t
            bytes += b
        }
        return bytes &+ tensors &* tensorBytes
    }

    /// A full-integer weight: a kernel (2-D and up) in int8 with a scale per output channel, a vector (a bias) in
    /// int32 with a scale per element (its input's times its kernel's).
    static func integerWeightBytes(elements: Int, channels: Int, kernel: Bool) -> Int {
        kernel ? elements &+ quantizedTensorBytes &+ channels &* groupBytes : elements &* (4 + groupBytes) &+ quantizedTensorBytes
    }

    /// Full integer's activations: every operator output and input quantized, and each input and output given a
    /// QUANTIZE or DEQUANTIZE (a tensor) unless they are integer themselves. Returns the tensors
    /// added and the bytes of the quantization parameters.
    static func integerActivations(model: Model, written: Int, integerIO: Bool) -> (tensors: Int, bytes: Int) {
        let io = integerIO ? 0 : model.inputs.count + model.outputs.count
        return (io, (written &+ model.inputs.count &+ io) &* (quantizedTensorBytes + groupBytes))
    }
}

extension KerasTFLiteSize {
    /// What TensorFlow's converter folds away from a Keras layer graph (its TFL optimize pass): a
    /// BatchNormalization that reads a convolution or dense layer with no activation of its own, and is that
    /// layer's only reader, becomes the layer's rescaled kernel and bias; an Activation of a kind TFLite fuses
    /// (relu, relu6; linear is nothing) that reads a layer taking a fused activation (or such a folded
    /// normalisation), and is its only reader, becomes that layer's fused_activation_function.
    struct Fusion {
        var foldedNorms: Set<Int> = []
        /// Folded normalisations whose layer had no bias: the converter writes one.
        var newBiases: Set<Int> = []
        var fusedActivations: Set<Int> = []

        static let foldsNorm: Set<String> = ["Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Dense"]
        static let takesActivation: Set<String> = foldsNorm.union(["Add", "Subtract", "Multiply"])
        static let fusable: Set<String> = ["relu", "relu6", "linear"]

        init(_ nodes: [Node]) {
            var producer: [String: Int] = [:]
            var readers: [String: Int] = [:]
            for (i, n) in nodes.enumerated() {
                for o in n.outputs { producer[o] = i }
                for v in n.inputs { readers[v, default: 0] += 1 }
            }
            func activation(_ n: Node) -> String {
                if case .string(let a)? = n.attributes["activation"] { return a }
                return "linear"
            }
            /// The single layer this one reads, when this is that layer's only reader.
            func soleSource(_ n: Node) -> Int? {
                guard let v = n.inputs.first, let p = producer[v], readers[v] == 1 else { return nil }
                return p
            }
            for (i, n) in nodes.enumerated() {
                switch n.opType {
                case "BatchNormalization":
                    guard let p = soleSource(n), Self.foldsNorm.contains(nodes[p].opType), activation(nodes[p]) == "linear" else { continue }
                    foldedNorms.insert(i)
                    if case .int(0)? = nodes[p].attributes["use_bias"] { newBiases.insert(i) }
                case "Activation", "ReLU":
                    let kind = n.opType == "ReLU" ? "relu" : activation(n)
                    guard Self.fusable.contains(kind), let p = soleSource(n) else { continue }
                    let base = foldedNorms.contains(p) ? soleSource(nodes[p]) : p
                    guard let b = base, Self.takesActivation.contains(nodes[b].opType), activation(nodes[b]) == "linear" else { continue }
                    fusedActivations.insert(i)
                default:
                    continue
                }
            }
        }
    }
}
