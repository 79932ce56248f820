import ModelFormats

/// The element type of the values of an ONNX graph, as the operators' type rules fix it from the graph's declared
/// inputs, its constants and the nodes' attributes. A value whose producer's rule is not written here has none:
/// the checks that need it are not decided on a guess.
///
/// Why: a TFLite converter keeps an integer value's type (onnx2tf writes an int64 `input_ids` as an int64 tensor, and
/// the GATHER reading it gets int64 positions), so a kernel's element-type refusal (TFLite Micro's GATHER takes int32
/// positions only) is decided on an ONNX model before conversion from these types.
public enum ONNXElementTypes {
    /// Operators whose every output has the element type of input 0 (ONNX's type constraint `T` shared by input 0 and
    /// the outputs).
    static let sameAsInput0: Set<String> = [
        "Abs", "Acos", "Acosh", "Add", "Asin", "Asinh", "Atan", "Atanh", "AveragePool", "BatchNormalization",
        "Ceil", "Celu", "Clip", "Compress", "Concat", "Conv", "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace",
        "Div", "Dropout", "Einsum", "Elu", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "GatherElements",
        "GatherND", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "GroupNormalization", "GRU", "HardSigmoid",
        "HardSwish", "Hardmax", "Identity", "InstanceNormalization", "LRN", "LayerNormalization", "LeakyRelu", "Log",
        "LogSoftmax", "LpNormalization", "LSTM", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mish", "Mod", "Mul", "Neg",
        "Pad", "Pow", "PRelu", "Reciprocal", "RNN", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
        "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape", "Resize", "Round",
        "ScatterElements", "ScatterND", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Slice", "Softmax",
        "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tan", "Tanh",
        "ThresholdedRelu", "Tile", "Transpose", "Trilu", "Unsqueeze", "Upsample",
    ]
    static let boolean: Set<String> = [
        "And", "Equal", "Greater", "GreaterOrEqual", "IsInf", "IsNaN", "Less", "LessOrEqual", "Not", "Or", "Xor",
    ]
    static let int64: Set<String> = ["ArgMax", "ArgMin", "NonZero", "Shape", "Size"]

    /// value name → element type for the values of every graph whose type is fixed. A subgraph reads its enclosing
    /// graphs' values by name (ONNX names are unique across the nesting), and is read after its parent (the reader
    /// appends a subgraph after the graph that holds it), so one map serves every graph; an If's outputs are its
    /// branch's, typed in a later pass where the branch does not declare them (exporters often leave them undefined).
    public static func infer(_ model: Model) -> [String: DType] {
        guard model.format == .onnx else { return [:] }
        var types: [String: DType] = [:]
        for t in model.tensors { types[t.name] = t.dtype }
        // One pass per level of nesting at most: each types what the one before left to a branch.
        for _ in 0..<8 {
            let known = types.count
            for graph in model.graphs {
                for v in graph.inputs { if let t = v.dtype, types[v.name] == nil { types[v.name] = t } }
                for node in graph.nodes where Coverage.isDefaultDomain(node) {
                    guard let out = outputTypes(node, types: types, model: model) else { continue }
                    for (name, t) in zip(node.outputs, out) where !name.isEmpty && types[name] == nil {
                        if let t { types[name] = t }
                    }
                }
            }
            if types.count == known || model.graphs.count <= 1 { break }
        }
        return types
    }

    /// The element types of a node's outputs, in order (nil: not fixed here); nil when its rule is not written.
    static func outputTypes(_ node: Node, types: [String: DType], model: Model) -> [DType?]? {
        func input(_ i: Int) -> DType? { i < node.inputs.count && !node.inputs[i].isEmpty ? types[node.inputs[i]] : nil }
        let op = node.opType
        if op == "Constant" { return nil }  // its value is a tensor of the model, typed above
        if sameAsInput0.contains(op) { return Array(repeating: input(0), count: node.outputs.count) }
        if boolean.contains(op) { return [.bool] }
        if int64.contains(op) { return [.int64] }
        switch op {
        case "Cast":
            if case .int(let code)? = node.attributes["to"] { return [DType(onnxCode: code)] }
            return nil
        case "CastLike": return [input(1)]
        case "If":
            // The branches' declared outputs (each branch declares the same types).
            guard case .graph(let g)? = node.attributes["then_branch"], model.graphs.indices.contains(g) else { return nil }
            return model.graphs[g].outputs.map { $0.dtype ?? types[$0.name] }
        case "TopK": return [input(0), .int64]
        case "Unique": return [input(0), .int64, .int64, .int64]
        case "Where": return [input(1)]
        case "Range": return [input(0)]
        case "OneHot": return [input(2)]
        case "DequantizeLinear": return [input(1)]
        case "QuantizeLinear":
            if let z = input(2) { return [z] }
            if case .int(let code)? = node.attributes["output_dtype"], code != 0 { return [DType(onnxCode: code)] }
            return [.uint8]
        case "DynamicQuantizeLinear": return [.uint8, .float32, .uint8]
        case "MatMulInteger", "ConvInteger": return [.int32]
        case "ConstantOfShape":
            switch node.attributes["value"] {
            case nil: return [.float32]
            case .tensor(let i)?: return model.tensors.indices.contains(i) ? [model.tensors[i].dtype] : nil
            default: return nil
            }
        default: return nil
        }
    }
}
