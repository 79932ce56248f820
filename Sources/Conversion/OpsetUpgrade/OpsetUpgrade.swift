import ArtifactLayout
import ModelFormats

/// Raising a model's ai.onnx opset by rewriting every node whose meaning changed between the two versions
/// (docs/opset-upgrade.md). Which versions changed comes from `OpsetChanges` (data); how each change is kept
/// is below. A change the table lists that has no rewrite here is refused, naming the operator: an operator
/// the table does not know of cannot pass unnoticed.
enum OpsetUpgrade {
    /// A node the upgrade cannot keep, and why.
    struct Refusal: Sendable { var op: String; var version: Int; var why: String }

    /// The node edits that make the model mean the same under opset `to`, or the refusals.
    static func plan(_ model: Model, from: Int, to: Int, names: inout NameTable)
        throws(ConversionError) -> (edits: [Int: NodeEdit], refusals: [Refusal])
    {
        let changes: OpsetChanges
        switch OpsetChanges.shared {
        case .success(let c): changes = c
        case .failure(let e): throw e
        }
        var edits: [Int: NodeEdit] = [:]
        var refusals: [Refusal] = []
        for g in model.graphs {
            for n in g.nodes where n.domain.isEmpty || n.domain == "ai.onnx" {
                let versions = changes.versions(of: n.opType, from: from, to: to)
                guard !versions.isEmpty else { continue }
                switch try rewrite(n, versions: versions, names: &names) {
                case .keep:
                    continue
                case .edit(let e):
                    guard let offset = n.sourceRange?.lowerBound else {
                        refusals.append(Refusal(op: n.opType, version: versions[0], why: "its node \(n.name) has no position in the file"))
                        continue
                    }
                    edits[offset] = e
                case .refuse(let v, let why):
                    refusals.append(Refusal(op: n.opType, version: v, why: why))
                }
            }
        }
        return (edits, refusals)
    }

    enum Outcome { case keep, edit(NodeEdit), refuse(Int, String) }

    static let reduceOperators: Set<String> = [
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp", "ReduceSumSquare",
    ]

    /// The rewrite for one node across all its changed versions. Each case names the versions it handles;
    /// any other version is refused.
    static func rewrite(_ n: Node, versions: [Int], names: inout NameTable) throws(ConversionError) -> Outcome {
        let base = n.name.isEmpty ? (n.outputs.first ?? n.opType) : n.name
        // The versions each rewrite below keeps; any other changed version of the operator is refused.
        let handled: Set<Int>
        switch n.opType {
        case "Squeeze", "Unsqueeze", "ReduceSum", "Softmax", "LogSoftmax", "Hardmax": handled = [13]
        case "Split": handled = [13, 18]
        case "Dropout": handled = [12]
        case "BatchNormalization": handled = [14]
        case _ where reduceOperators.contains(n.opType): handled = [18]
        default: handled = []
        }
        if let v = versions.first(where: { !handled.contains($0) }) {
            return .refuse(v, "no rewrite keeps its meaning across opset \(v)")
        }
        switch n.opType {
        case "Squeeze", "Unsqueeze", "Split",
             _ where reduceOperators.contains(n.opType):
            // An attribute that became the second input (axes; Split's split), an int64 tensor.
            let attribute = n.opType == "Split" ? "split" : "axes"
            var inputs = n.inputs
            var drop: Set<String> = [attribute]
            var ints: [(String, Int64)] = []
            var initializers: [[UInt8]] = []
            if n.opType == "Split" && !versions.contains(13) {
                // Already opset 13+: only 18's num_outputs matters.
            } else {
                switch n.attributes[attribute] {
                case .ints(let values)?:
                    let name = names.fresh("\(base)_\(attribute)")
                    initializers.append(ONNXEncode.tensor(name: name, dataType: 7, dims: [values.count],
                                                          raw: values.flatMap(IntegerRewrite.int64LE)))
                    inputs = [inputs.first ?? ""] + [name]
                case nil:
                    break  // every axis (Reduce*, Squeeze) or equal parts (Split): the new form's default too
                default:
                    return .refuse(versions[0], "its \(attribute) attribute is not a list of integers")
                }
            }
            if n.opType == "Unsqueeze", inputs.count < 2 {
                return .refuse(13, "node \(n.name) has no axes")
            }
            if n.opType == "Split", versions.contains(18), inputs.count < 2 || inputs[1].isEmpty {
                ints.append(("num_outputs", Int64(n.outputs.count)))
            }
            if n.opType == "Split" { drop.insert("num_outputs") }
            return .edit(node(n, inputs: inputs, ints: ints, drop: drop, initializers: initializers))
        case "Dropout":
            // ratio became an optional input; at inference Dropout is the identity either way, but keep it.
            guard case .float(let ratio)? = n.attributes["ratio"] else {
                return .edit(node(n, inputs: n.inputs, ints: [], drop: ["ratio"], initializers: []))
            }
            let name = names.fresh("\(base)_ratio")
            let t = ONNXEncode.tensor(name: name, dataType: 1, dims: [], raw: ONNXEncode.float32LE([ratio]))
            return .edit(node(n, inputs: [n.inputs.first ?? "", name], ints: [], drop: ["ratio"], initializers: [t]))
        case "BatchNormalization":
            // 14 dropped the training-only outputs (saved mean/var); an inference node has one output.
            return n.outputs.dropFirst().allSatisfy(\.isEmpty) ? .keep
                : .refuse(14, "node \(n.name) writes the training outputs (saved mean and variance) that opset 14 removed")
        case "Softmax", "LogSoftmax", "Hardmax":
            // Before 13 the input is coerced to 2-D at `axis` (default 1) and normalised over the second part;
            // from 13, over `axis` alone (default -1). Axis -1 means the same in both; any other is kept by
            // Flatten → op over the last axis → Reshape to the input's shape.
            var axis: Int64 = 1
            if let a = n.attributes["axis"] {
                guard case .int(let v) = a else { return .refuse(13, "its axis attribute is not an integer") }
                axis = v
            }
            if axis == -1 { return .edit(node(n, inputs: n.inputs, ints: [("axis", -1)], drop: ["axis"], initializers: [])) }
            guard let x = n.inputs.first, let y = n.outputs.first else { return .refuse(13, "node \(n.name) has no input or output") }
            let shape = names.fresh("\(base)_input_shape"), flat = names.fresh("\(base)_flattened")
            let inner = names.fresh("\(base)_2d")
            let nodes = [
                ONNXEncode.node(opType: "Shape", name: names.fresh("\(base)_shape"), inputs: [x], outputs: [shape], intAttributes: []),
                ONNXEncode.node(opType: "Flatten", name: names.fresh("\(base)_flatten"), inputs: [x], outputs: [flat],
                                intAttributes: [("axis", axis)]),
                ONNXEncode.node(opType: n.opType, name: n.name, inputs: [flat], outputs: [inner], intAttributes: [("axis", -1)]),
                ONNXEncode.node(opType: "Reshape", name: names.fresh("\(base)_reshape"), inputs: [inner, shape], outputs: [y],
                                intAttributes: []),
            ]
            return .edit(NodeEdit(initializers: [], nodes: nodes, copyAttributesInto: nil))
        default:
            return .refuse(versions[0], "no rewrite keeps its meaning across opset \(versions[0])")
        }
    }

    /// The node as it was (name, type, outputs, other attributes copied) with new inputs and int attributes.
    static func node(_ n: Node, inputs: [String], ints: [(String, Int64)], drop: Set<String>, initializers: [[UInt8]])
        -> NodeEdit
    {
        let encoded = ONNXEncode.node(opType: n.opType, name: n.name, inputs: inputs, outputs: n.outputs, intAttributes: ints)
        var e = NodeEdit(initializers: initializers, nodes: [encoded], copyAttributesInto: 0)
        e.dropAttributes = drop.union(ints.map(\.0))
        return e
    }
}
