/// The ggml tensor types a GGUF file can hold, with the block layout that fixes their storage size:
/// `blockSize` elements are stored in `bytesPerBlock` bytes (gguf-py's GGML_QUANT_SIZES; a TargetsTests spec holds
/// them to the sizes scripts/catalogue/derive_llamacpp.py derives into the catalogue). The ARM-repacked Q4_0 types
/// (31–33) are read although llama.cpp has removed them, so that a check can say which release last loaded them; the
/// repacked IQ4_NL ones (36–38) came and went between two releases, with no size in any gguf-py, and stay unknown.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case q4_0_4_4 = 31, q4_0_4_8 = 32, q4_0_8_8 = 33
    case tq1_0 = 34, tq2_0 = 35
    case mxfp4 = 39, nvfp4 = 40, q1_0 = 41, q2_0 = 42

    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: return 32
        case .q4_0_4_4, .q4_0_4_8, .q4_0_8_8: return 32
        case .nvfp4, .q2_0: return 64
        case .q1_0: return 128
        default: return 256
        }
    }

    public var bytesPerBlock: Int {
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .f64, .i64: return 8
        case .i8: return 1
        case .q4_0, .iq4_nl, .q4_0_4_4, .q4_0_4_8, .q4_0_8_8: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q8_1: return 36
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        case .q8_K: return 292
        case .iq2_xxs: return 66
        case .iq2_xs: return 74
        case .iq3_xxs: return 98
        case .iq1_s: return 50
        case .iq3_s: return 110
        case .iq2_s: return 82
        case .iq4_xs: return 136
        case .iq1_m: return 56
        case .tq1_0: return 54
        case .tq2_0: return 66
        case .mxfp4: return 17
        case .nvfp4: return 36
        case .q1_0, .q2_0: return 18
        }
    }

    /// gguf-py's spelling (`Q4_K`, `IQ2_XXS`, `BF16`).
    public var name: String { "\(self)".uppercased() }

    /// The ggml type a GGUF tensor of `dtype` was stored as (the reader keeps plain types as their `DType`).
    public init?(_ dtype: DType) {
        switch dtype {
        case .ggml(let t): self = t
        case .float32: self = .f32
        case .float16: self = .f16
        case .bfloat16: self = .bf16
        case .float64: self = .f64
        case .int8: self = .i8
        case .int16: self = .i16
        case .int32: self = .i32
        case .int64: self = .i64
        default: return nil
        }
    }

    /// The plain element type this ggml type stores, when it is not block-quantized.
    var plainDType: DType? {
        switch self {
        case .f32: return .float32
        case .f16: return .float16
        case .bf16: return .bfloat16
        case .f64: return .float64
        case .i8: return .int8
        case .i16: return .int16
        case .i32: return .int32
        case .i64: return .int64
        default: return nil
        }
    }
}
