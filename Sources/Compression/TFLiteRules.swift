/// What the TFLite converter's dynamic-range mode (`Optimize.DEFAULT`) quantizes, shared by the native TFLite
/// converter and the estimate, so that an estimate describes the artifact the conversion writes.
public enum TFLiteRules {
    /// The converter's default `min_elements`: smaller weights stay float32.
    public static let minimumElements = 1024

    /// Operators with hybrid kernels (float activations, int8 weights at input 1), per channel and per tensor
    /// (tensorflow/lite/tools/versioning/op_version.cc).
    public static let hybridOperators: Set<String> = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"]

    /// True when every reader of the tensor takes it as the weight of a hybrid kernel: an int8 tensor read
    /// anywhere else would have no kernel.
    public static func isHybridWeight(_ uses: [OperatorUse]) -> Bool {
        !uses.isEmpty && uses.allSatisfy { hybridOperators.contains($0.operatorType) && $0.inputIndex == 1 }
    }

    /// Hybrid kernels that read one scale per output channel whatever the tensor says (TFLite's depthwise
    /// hybrid kernel is per channel only): a per-tensor scale is stored once per channel for them.
    public static let perChannelOnly: Set<String> = ["DEPTHWISE_CONV_2D"]

    /// Bytes TFLite stores per quantization group besides the codes: a float32 scale and an int64 zero
    /// point (schema.fbs QuantizationParameters), also for symmetric weights.
    public static let bytesPerGroup = 12
}
