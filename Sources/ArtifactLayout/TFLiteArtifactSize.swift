import Compression
import ModelFormats

/// What a TFLite artifact stores besides the engine's codes and scales, so that an estimate predicts the size of
/// the file the native TFLite converter writes (the flatbuffer tables are part of the file).
public enum TFLiteArtifactSize {
    /// Per int8 tensor: a QuantizationParameters table with its vtable and two vector headers, a new Buffer
    /// table, and the alignment of the codes (`artifact_size.quantized_tensor_bytes`).
    public static var quantizedTensorBytes: Int { TFLiteRules.size.quantizedTensorBytes }
    /// Per float16 tensor: a second Tensor table (vtable, shape vector, name + "_fp16"), a DEQUANTIZE
    /// Operator (inputs and outputs vectors) and a new Buffer table, with their vector slots
    /// (`artifact_size.float16_tensor_bytes`).
    public static var float16TensorBytes: Int { TFLiteRules.size.float16TensorBytes }

    public static func overhead(_ r: CompressionReport, model: Model, weights: QuantizationType) -> Int {
        guard model.format == .tflite else { return 0 }
        var total = 0
        for t in r.tensors {
            if weights == .float16 {
                total += float16TensorBytes + (t.name.utf8.count + 5 + 3) / 4 * 4 + 4 * t.shape.count
            } else if weights.isInteger {
                // Zero points are int64 in TFLite, stored even for symmetric weights.
                // The engine counted a float32 scale per group; TFLite also stores an int64 zero point.
                let counted = t.schemes.first?.scales?.groups ?? 1
                var groups = counted
                let readers = Set(model.tensors.first(where: { $0.name == t.name })?.consumers.compactMap { c in
                    c.graph < model.graphs.count && c.node < model.graphs[c.graph].nodes.count
                        ? model.graphs[c.graph].nodes[c.node].opType : nil
                } ?? [])
                if groups == 1, !readers.isDisjoint(with: TFLiteRules.perChannelOnly) {
                    groups = max(t.shape.last ?? 1, 1)  // the per-tensor scale stored once per channel
                }
                total += quantizedTensorBytes + groups * TFLiteRules.bytesPerGroup - counted * 4
                // An operator without a hybrid kernel (GATHER) gets an int8 output tensor and a DEQUANTIZE.
                let int8Outputs = TFLiteRules.rules?.hybridOperators.filter { $0.value.int8OutputDequantizeVersion != nil }.keys
                if let ops = int8Outputs, !readers.isDisjoint(with: ops) {
                    total += float16TensorBytes + 12 + TFLiteRules.bytesPerGroup + (t.name.utf8.count + 5 + 3) / 4 * 4
                }
            }
        }
        return total
    }
}
