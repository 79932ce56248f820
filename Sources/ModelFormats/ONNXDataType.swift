/// ONNX `TensorProto.DataType` codes.
enum ONNXDataType {
    static func dtype(_ code: Int64) -> DType? {
        switch code {
        case 1: return .float32
        case 2: return .uint8
        case 3: return .int8
        case 4: return .uint16
        case 5: return .int16
        case 6: return .int32
        case 7: return .int64
        case 8: return .string
        case 9: return .bool
        case 10: return .float16
        case 11: return .float64
        case 12: return .uint32
        case 13: return .uint64
        case 14: return .complex64
        case 15: return .complex128
        case 16: return .bfloat16
        case 17: return .float8e4m3fn
        case 18: return .float8e4m3fnuz
        case 19: return .float8e5m2
        case 20: return .float8e5m2fnuz
        case 21: return .uint4
        case 22: return .int4
        case 23: return .float4e2m1
        default: return nil
        }
    }
}

extension DType {
    /// The element type of an ONNX `TensorProto.DataType` code (a Cast's `to`, a QuantizeLinear's `output_dtype`).
    public init?(onnxCode code: Int64) {
        guard let t = ONNXDataType.dtype(code) else { return nil }
        self = t
    }
}
