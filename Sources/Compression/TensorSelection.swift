/// How a constant tensor is used: the operator that reads it and at which input.
public struct OperatorUse: Sendable, Hashable {
    /// ONNX op type (`Conv`, `Gemm`, `MatMul`, …) or TFLite builtin name (`CONV_2D`, `FULLY_CONNECTED`, …).
    public var operatorType: String
    public var inputIndex: Int
    /// Gemm's `transB` attribute (default 0).
    public var transB: Bool

    public init(_ operatorType: String, input: Int, transB: Bool = false) {
        self.operatorType = operatorType
        self.inputIndex = input
        self.transB = transB
    }
}

/// What the policy needs to know about a tensor, from any model format.
public struct TensorCandidate: Sendable, Hashable {
    public var name: String
    /// Stored element type: ONNX, safetensors (`F32`, `BF16`, `I8`) and TFLite spellings are understood.
    public var dtype: String
    public var shape: [Int]
    /// Empty for formats without a graph (safetensors).
    public var consumers: [OperatorUse]

    public init(name: String, dtype: String, shape: [Int], consumers: [OperatorUse] = []) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.consumers = consumers
    }
}

public enum SelectionDecision: Sendable, Hashable {
    /// Axes nil when unknown (the engine then uses axis 0 for channels and the last axis for reduction, as
    /// for a [out, in] matrix); `note` says why an axis was not derived from the consumers.
    case compress(channelAxis: Int?, reductionAxis: Int?, note: String?)
    case skip(SkipReason)

    public var isCompressed: Bool { if case .compress = self { return true }; return false }
}

/// Which tensors are compressed, and along which axes.
public struct TensorSelection: Sendable, Hashable {
    public var skip: [Glob]
    /// Tensors with fewer dimensions (biases, norm scales) are left out.
    public var minimumRank: Int
    /// `--channel-axis`: used for every tensor (negative counts from the end).
    public var channelAxisOverride: Int?
    /// Tensors read by operators other than the known weight inputs (Mul, Add, …): measured with the default
    /// axes when true, left out as not-a-weight when false.
    public var includeOtherConsumers: Bool

    public init(skip: [String] = [], minimumRank: Int = 2, channelAxisOverride: Int? = nil,
                includeOtherConsumers: Bool = true) {
        self.skip = skip.map(Glob.init)
        self.minimumRank = minimumRank
        self.channelAxisOverride = channelAxisOverride
        self.includeOtherConsumers = includeOtherConsumers
    }

    enum DTypeClass { case float, quantized, other }

    static func classify(_ dtype: String) -> DTypeClass {
        switch dtype.lowercased() {
        case "float", "float32", "f32", "float16", "f16", "half", "bfloat16", "bf16", "float64", "f64", "double":
            return .float
        case "int8", "i8", "uint8", "u8", "int4", "i4", "uint4", "u4", "float8e4m3fn", "float8e5m2", "f8_e4m3",
             "f8_e5m2", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q8_k":
            return .quantized
        default:
            return .other
        }
    }

    public func decide(_ c: TensorCandidate) -> SelectionDecision {
        switch Self.classify(c.dtype) {
        case .quantized: return .skip(.alreadyQuantized(dtype: c.dtype))
        case .other: return .skip(.notFloat(dtype: c.dtype))
        case .float: break
        }
        if let g = skip.first(where: { $0.matches(c.name) }) { return .skip(.matchedSkipPattern(g.pattern)) }
        let rank = c.shape.count
        if rank < minimumRank { return .skip(.rankBelowMinimum(rank: rank, minimum: minimumRank)) }
        var axes: (channel: Int?, reduction: Int?)? = nil
        var note: String?
        if c.consumers.isEmpty {
            note = "no consumer known"
        } else {
            var known: [(Int?, Int?)] = []
            for use in c.consumers { if let a = Self.axes(for: use, rank: rank) { known.append(a) } }
            if known.isEmpty {
                guard includeOtherConsumers else { return .skip(.notAWeight) }
                note = "consumed by \(c.consumers.map(\.operatorType).joined(separator: ", ")), not a known weight input"
            } else if known.allSatisfy({ $0 == known[0] }) {
                axes = (known[0].0, known[0].1)
            } else {
                note = "consumers disagree on the axes"
            }
        }
        var channel = axes?.channel
        if let o = channelAxisOverride {
            let v = o < 0 ? o + rank : o
            if v >= 0 && v < rank { channel = v; note = nil } else {
                note = "channel axis \(o) is out of range for rank \(rank)"
            }
        }
        return .compress(channelAxis: channel, reductionAxis: axes?.reduction, note: note)
    }

    /// The output-channel axis and the reduction axis of a weight input, or nil if `use` is not one.
    public static func axes(for use: OperatorUse, rank: Int) -> (channel: Int?, reduction: Int?)? {
        guard rank >= 1 else { return nil }
        switch (use.operatorType, use.inputIndex) {
        case ("Conv", 1): return (0, rank >= 2 ? 1 : nil)
        case ("ConvTranspose", 1): return (rank >= 2 ? 1 : nil, 0)
        case ("Gemm", 1):
            guard rank == 2 else { return nil }
            return use.transB ? (0, 1) : (1, 0)
        case ("MatMul", 1), ("BATCH_MATMUL", 1):
            return (rank - 1, rank >= 2 ? rank - 2 : nil)
        case ("Gather", 0), ("EMBEDDING_LOOKUP", 1):
            return (0, rank >= 2 ? rank - 1 : nil)
        case ("CONV_2D", 1), ("TRANSPOSE_CONV", 1), ("CONV_3D", 1):
            return (0, rank - 1)
        case ("FULLY_CONNECTED", 1):
            return (0, rank >= 2 ? 1 : nil)
        case ("LSTM", 1), ("LSTM", 2), ("GRU", 1), ("GRU", 2), ("RNN", 1), ("RNN", 2):
            // W and R: [num_directions, gates · hidden, input or hidden]; each gate row sums over the last axis.
            guard rank == 3 else { return nil }
            return (1, 2)
        case ("Attention", 1):
            // com.microsoft Attention: the packed QKV projection [input_hidden, 3 · hidden], read as x · W.
            guard rank == 2 else { return nil }
            return (1, 0)
        case ("UNIDIRECTIONAL_SEQUENCE_LSTM", 1...8), ("UNIDIRECTIONAL_SEQUENCE_RNN", 1...2),
             ("BIDIRECTIONAL_SEQUENCE_LSTM", 1...8):
            // TFLite gate weights are [units, input]: one output unit per row, as FULLY_CONNECTED.
            guard rank == 2 else { return nil }
            return (0, 1)
        // Keras layers (`keras.<class>`, input = the weight's place in `layer.weights`): kernels are stored
        // channel-last, HWIO for convolutions and [in, out] for Dense and the recurrent layers' kernels.
        case ("keras.Dense", 0), ("keras.Conv1D", 0), ("keras.Conv2D", 0), ("keras.Conv3D", 0),
             ("keras.SeparableConv1D", 1), ("keras.SeparableConv2D", 1),
             ("keras.LSTM", 0...1), ("keras.GRU", 0...1), ("keras.SimpleRNN", 0...1):
            guard rank >= 2 else { return nil }
            return (rank - 1, rank - 2)
        case ("keras.Bidirectional", _):
            // forward then backward [kernel, recurrent_kernel, bias]: each kernel [in or units, gates · units].
            guard rank == 2 else { return nil }
            return (1, 0)
        case ("keras.Conv1DTranspose", 0), ("keras.Conv2DTranspose", 0), ("keras.Conv3DTranspose", 0):
            // [*kernel, out, in]
            guard rank >= 2 else { return nil }
            return (rank - 2, rank - 1)
        case ("keras.DepthwiseConv1D", 0), ("keras.DepthwiseConv2D", 0), ("keras.SeparableConv1D", 0), ("keras.SeparableConv2D", 0):
            // [*kernel, in, multiplier]: each input channel's filters sum over their own window only.
            guard rank >= 2 else { return nil }
            return (rank - 2, nil)
        case ("keras.Embedding", 0):
            return (0, rank >= 2 ? rank - 1 : nil)
        case ("DEPTHWISE_CONV_2D", 1):
            // [1, H, W, C·multiplier]: each output channel sums over its own H × W window only.
            return (rank >= 4 ? 3 : rank - 1, nil)
        default:
            return nil
        }
    }
}
