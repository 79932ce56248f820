import JSON

/// What the TFLite converter's dynamic-range mode (`Optimize.DEFAULT`) and float16 mode write, shared by the
/// native TFLite converter and the estimate, so that an estimate describes the artifact the conversion
/// writes. The rules are data with their sources: `Schemas/conversion/tflite.json`, embedded in the binary.
public enum TFLiteRules {
    public struct HybridOperator: Sendable, Hashable {
        /// The axis TFLite's kernel reads per-channel scales along (quantized_dimension).
        public var channelAxis: Int
        /// Operator-code versions of the hybrid kernel (op_version.cc).
        public var versionPerTensor: Int32
        public var versionPerChannel: Int32
        /// The minimum TFLite runtime of those versions (runtime_version.cc), for `min_runtime_version`.
        public var runtimePerTensor: String?
        public var runtimePerChannel: String?
        /// The hybrid kernel reads one scale per channel only: a per-tensor scale is stored per channel.
        public var perChannelOnly: Bool
        /// The converter writes one scale for the tensor: per-channel settings fall back to per tensor.
        public var perTensorOnly: Bool
        /// The weight's input index (1 for the kernels, 0 for GATHER's table).
        public var input: Int
        /// No hybrid kernel: the operator's output becomes int8 with the weight's scale, and a DEQUANTIZE
        /// (of this version) after it gives consumers float32 again.
        public var int8OutputDequantizeVersion: Int32?
        public var int8OutputDequantizeRuntime: String?
        /// The converter sets `asymmetric_quantize_inputs`: the options table type and that field's id.
        public var asymmetricQuantizeInputs: OptionField?
    }

    /// A boolean field of an operator's builtin options table.
    public struct OptionField: Sendable, Hashable {
        public var optionsType: UInt8
        public var field: Int
    }

    public struct Rules: Sendable {
        /// Weights with fewer elements stay float32.
        public var minimumElements: Int
        public var hybridOperators: [String: HybridOperator]
        public var dequantizeFloat16Version: Int32
        public var dequantizeFloat16Runtime: String?
        /// The byte model of a written .tflite beside its weights (`artifact_size`).
        public var size: SizeModel
    }

    /// What a .tflite stores beside its weights and scales, in bytes per table, fitted on measured artifacts
    /// (`artifact_size` in the file says on which).
    public struct SizeModel: Sendable, Equatable {
        public var fileBytes: Int
        public var tensorBytes: Int
        public var quantizedTensorBytes: Int
        public var float16TensorBytes: Int
        public var operatorBytes: Int
        public var subgraphBytes: Int
        /// An ONNX recurrence's WHILE loop per direction, by operator (LSTM, GRU, RNN).
        public var loops: [String: Loop]
        public var conditionTensors: Int
        /// Each builtin of a recurrence a full-integer conversion unrolls (the builtins are the lowering's count),
        /// by recurrence (LSTM, GRU, RNN: their cells' names differ in length): the operator, its quantized output
        /// and the output's name.
        public var unrolledOperatorBytes: [String: Int]
        /// A biased cell's int32 bias tensors per step and direction (hidden_size each), by recurrence.
        public var unrolledBiasTensors: [String: Int]
        /// Per step squared and sequence: the UNPACK of the sequence gives each step's slice the joined names of all.
        public var unstackNameBytes: Int

        public struct Loop: Sendable, Equatable {
            /// The body's tensors no operator writes (its inputs, the weights, constants): its operators are the
            /// lowering's (`onnx_to_tflite.operators`), each writing one.
            public var bodyConstantTensors: Int
            /// Of those, the bias's, which a recurrence without one (or with a zero one, folded) does not have.
            public var biasTensors: Int
        }

        /// Nothing but the weights: never used while a test keeps the embedded rules readable.
        public static let unreadable = SizeModel(
            fileBytes: 0, tensorBytes: 0, quantizedTensorBytes: 0, float16TensorBytes: 0, operatorBytes: 0, subgraphBytes: 0,
            loops: [:], conditionTensors: 0, unrolledOperatorBytes: [:], unrolledBiasTensors: [:], unstackNameBytes: 0)
    }

    /// Orders runtime versions ("2.17.0") as TFLite's CompareRuntimeVersion does: numerically, part by part,
    /// a prefix first.
    public static func runtime(_ a: String, isBelow b: String) -> Bool {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
        for (u, v) in zip(x, y) where u != v { return u < v }
        return x.count < y.count
    }

    /// The embedded rules, or why they do not read (a test keeps them readable and equal to the file).
    public static let loaded: Result<Rules, TFLiteRulesError> = parse(EmbeddedTFLiteRules.text)

    public static var rules: Rules? { try? loaded.get() }

    /// The byte model, read once.
    public static let size: SizeModel = rules?.size ?? .unreadable

    /// Without readable rules nothing qualifies: quantizing less is safe, guessing a kernel is not.
    public static var minimumElements: Int { rules?.minimumElements ?? Int.max }

    public static var hybridOperators: Set<String> { Set(rules?.hybridOperators.keys.map { $0 } ?? []) }

    public static var perChannelOnly: Set<String> {
        Set(rules?.hybridOperators.filter { $0.value.perChannelOnly }.map(\.key) ?? [])
    }

    public static var perTensorOnly: Set<String> {
        Set(rules?.hybridOperators.filter { $0.value.perTensorOnly }.map(\.key) ?? [])
    }

    /// True when every reader of the tensor takes it as its weight input (1 for the hybrid kernels, 0 for
    /// GATHER's table): an int8 tensor read anywhere else would have no kernel.
    public static func isHybridWeight(_ uses: [OperatorUse]) -> Bool {
        let ops = rules?.hybridOperators ?? [:]
        return !uses.isEmpty && uses.allSatisfy { u in ops[u.operatorType].map { $0.input == u.inputIndex } ?? false }
    }

    /// Bytes TFLite stores per quantization group besides the codes: a float32 scale and an int64 zero
    /// point (schema.fbs QuantizationParameters), also for symmetric weights.
    public static let bytesPerGroup = 12

    static func parse(_ text: String) -> Result<Rules, TFLiteRulesError> {
        guard let root = try? JSONValue.parse(text) else { return .failure(TFLiteRulesError(message: "not valid JSON")) }
        guard let dr = root["dynamic_range"], let minimum = dr["minimum_elements"]?.intValue,
              case .object(let ops)? = dr["hybrid_operators"],
              let dq = root["float16"]?["dequantize_version"]?.intValue
        else { return .failure(TFLiteRulesError(message: "dynamic_range.minimum_elements, hybrid_operators or float16.dequantize_version is missing")) }
        guard let size = parseSize(root["artifact_size"]) else {
            return .failure(TFLiteRulesError(message: "artifact_size needs every byte count, and each recurrence's loop and unrolled step"))
        }
        var hybrid: [String: HybridOperator] = [:]
        for (name, o) in ops.entries {
            guard let axis = o["channel_axis"]?.intValue, let t = o["version_per_tensor"]?.intValue,
                  let c = o["version_per_channel"]?.intValue
            else { return .failure(TFLiteRulesError(message: "hybrid_operators.\(name) needs channel_axis and both versions")) }
            hybrid[name] = HybridOperator(
                channelAxis: axis, versionPerTensor: Int32(clamping: t), versionPerChannel: Int32(clamping: c),
                runtimePerTensor: o["runtime_per_tensor"]?.stringValue, runtimePerChannel: o["runtime_per_channel"]?.stringValue,
                perChannelOnly: o["per_channel_only"]?.boolValue ?? false,
                perTensorOnly: o["per_tensor_only"]?.boolValue ?? false,
                input: o["input"]?.intValue ?? 1,
                int8OutputDequantizeVersion: o["int8_output"]?["dequantize_version"]?.intValue.map { Int32(clamping: $0) },
                int8OutputDequantizeRuntime: o["int8_output"]?["dequantize_runtime"]?.stringValue,
                asymmetricQuantizeInputs: o["asymmetric_quantize_inputs"].flatMap { a in
                    guard let t = a["options_type"]?.intValue, let f = a["field"]?.intValue,
                          let type = UInt8(exactly: t), f >= 0, f < 64 else { return nil }
                    return OptionField(optionsType: type, field: f)
                })
        }
        return .success(Rules(minimumElements: minimum, hybridOperators: hybrid, dequantizeFloat16Version: Int32(clamping: dq),
                              dequantizeFloat16Runtime: root["float16"]?["dequantize_runtime"]?.stringValue, size: size))
    }

    static func parseSize(_ a: JSONValue?) -> SizeModel? {
        guard let a, let r = a["recurrences"],
              let file = a["file_bytes"]?.intValue, let tensor = a["tensor_bytes"]?.intValue,
              let quantized = a["quantized_tensor_bytes"]?.intValue, let half = a["float16_tensor_bytes"]?.intValue,
              let op = a["operator_bytes"]?.intValue, let subgraph = a["subgraph_bytes"]?.intValue,
              case .object(let loopTable)? = r["loops"],
              let condition = r["condition_tensors"]?.intValue,
              let names = r["unstack_name_bytes"]?.intValue else { return nil }
        func counts(_ table: JSONValue?) -> [String: Int]? {
            guard case .object(let o)? = table else { return nil }
            var out: [String: Int] = [:]
            for (name, v) in o.entries {
                guard let b = v.intValue else { return nil }
                out[name] = b
            }
            return out
        }
        guard let unrolled = counts(r["unrolled_operator_bytes"]), let biases = counts(r["unrolled_bias_tensors"]) else { return nil }
        var loops: [String: SizeModel.Loop] = [:]
        for (name, l) in loopTable.entries {
            guard let t = l["body_constant_tensors"]?.intValue, let b = l["bias_tensors"]?.intValue else { return nil }
            loops[name] = SizeModel.Loop(bodyConstantTensors: t, biasTensors: b)
        }
        return SizeModel(fileBytes: file, tensorBytes: tensor, quantizedTensorBytes: quantized, float16TensorBytes: half,
                         operatorBytes: op, subgraphBytes: subgraph, loops: loops, conditionTensors: condition,
                         unrolledOperatorBytes: unrolled, unrolledBiasTensors: biases,
                         unstackNameBytes: names)
    }
}

public struct TFLiteRulesError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { "Schemas/conversion/tflite.json: \(message)" }
}
