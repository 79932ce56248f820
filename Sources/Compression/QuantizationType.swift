/// Weight types the compression engine estimates. (The engine arrives with the Compression issue.)
public enum QuantizationType: String, Sendable, CaseIterable {
    case int8, uint8, int4, uint4, float16, bfloat16
}
