import Compression

/// Which tensors of a graph a conversion writes in the new form: one policy, read by the ONNX converter (what
/// it writes) and the estimate (what it measures), so the estimated size is the artifact's.
public enum WeightSelection {
    /// ONNX: every float constant of at least two dimensions (one with float16: biases and norm scales lose
    /// little in float16, while per-channel integer scales would not pay for them), whatever reads it: a
    /// weight-only DequantizeLinear (or Cast) in front of any consumer computes the same operator. Known
    /// weight inputs give the channel and reduction axes; other consumers (a recurrent cell unrolled into
    /// MatMul behind a Transpose, Mul and Add operands) take the default ones.
    public static func onnx(float16: Bool, channelAxis: Int?, skip: [String] = []) -> TensorSelection {
        TensorSelection(skip: skip, minimumRank: float16 ? 1 : 2, channelAxisOverride: channelAxis, includeOtherConsumers: true)
    }
}
