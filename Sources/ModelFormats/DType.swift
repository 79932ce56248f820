/// Element types across the formats, under one name each (`float32`, `bfloat16`, `int4`, ...).
/// Block-quantized ggml types keep their ggml identity, since their size is per block, not per element.
public enum DType: Hashable, Sendable {
    case float64, float32, float16, bfloat16
    case float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float8e8m0
    case float6e2m3, float6e3m2, float4e2m1
    case int64, int32, int16, int8, int4, int2
    case uint64, uint32, uint16, uint8, uint4
    case bool, string, complex64, complex128
    case resource, variant
    case ggml(GGMLType)

    /// Spelled out rather than reflected: names are asked for once per tensor, and reflection is slow.
    public var name: String {
        switch self {
        case .float64: return "float64"
        case .float32: return "float32"
        case .float16: return "float16"
        case .bfloat16: return "bfloat16"
        case .float8e4m3fn: return "float8e4m3fn"
        case .float8e4m3fnuz: return "float8e4m3fnuz"
        case .float8e5m2: return "float8e5m2"
        case .float8e5m2fnuz: return "float8e5m2fnuz"
        case .float8e8m0: return "float8e8m0"
        case .float6e2m3: return "float6e2m3"
        case .float6e3m2: return "float6e3m2"
        case .float4e2m1: return "float4e2m1"
        case .int64: return "int64"
        case .int32: return "int32"
        case .int16: return "int16"
        case .int8: return "int8"
        case .int4: return "int4"
        case .int2: return "int2"
        case .uint64: return "uint64"
        case .uint32: return "uint32"
        case .uint16: return "uint16"
        case .uint8: return "uint8"
        case .uint4: return "uint4"
        case .bool: return "bool"
        case .string: return "string"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .resource: return "resource"
        case .variant: return "variant"
        case .ggml(let t): return t.name.lowercased()
        }
    }

    /// Storage bits per element for fixed-width types; nil for strings, handles and ggml block types.
    public var bitsPerElement: Int? {
        switch self {
        case .float64, .int64, .uint64, .complex64: return 64
        case .complex128: return 128
        case .float32, .int32, .uint32: return 32
        case .float16, .bfloat16, .int16, .uint16: return 16
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float8e8m0, .int8, .uint8, .bool: return 8
        case .float6e2m3, .float6e3m2: return 6
        case .float4e2m1, .int4, .uint4: return 4
        case .int2: return 2
        case .string, .resource, .variant, .ggml: return nil
        }
    }

    /// Bytes needed to store `elements` values, rounding sub-byte types up to a whole byte; nil on overflow,
    /// for variable-size types, and for ggml types whose block does not divide the count.
    public func byteCount(elements: Int) -> Int? {
        if case .ggml(let t) = self {
            guard elements % t.blockSize == 0 else { return nil }
            let (n, o) = (elements / t.blockSize).multipliedReportingOverflow(by: t.bytesPerBlock)
            return o ? nil : n
        }
        guard let bits = bitsPerElement else { return nil }
        let (n, o) = elements.multipliedReportingOverflow(by: bits)
        return o ? nil : (n + 7) / 8
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz,
            .float8e8m0, .float6e2m3, .float6e3m2, .float4e2m1:
            return true
        default: return false
        }
    }

    /// Types that hold weights below 16 bits: integer codes, 8-bit-or-smaller floats, ggml blocks.
    public var isLowPrecision: Bool {
        switch self {
        case .int8, .uint8, .int4, .uint4, .int2, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz,
            .float8e8m0, .float6e2m3, .float6e3m2, .float4e2m1:
            return true
        case .ggml(let t): return t.plainDType == nil
        default: return false
        }
    }
}
