import JSON
import ModelFormats

/// Shapes and costs over a Keras model's layer graph, in layer order (a config lists each layer after its
/// inputs). Shapes are the reader's (`KerasShapes`, Keras's own `compute_output_shape` rules), after the
/// manifest's input dimensions; a dimension Keras leaves as None (the batch) is taken as 1 and named in
/// `assumedDimensions`. MACs follow the ONNX walk's conventions: one per multiply-add of convolutions, Dense
/// and recurrent gates, the window per output of pooling, one per element for merges, normalisation and
/// activations; reshaping layers cost nothing. A layer class without a rule here is left out of the coverage.
struct KerasAnalyzer {
    let model: Model

    static let free: Set<String> = [
        "Flatten", "Reshape", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
        "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Masking", "Identity", "Embedding", "Permute",
        "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "Concatenate",
        "UpSampling1D", "UpSampling2D", "UpSampling3D",
    ]
    static let perElement: Set<String> = [
        "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU", "BatchNormalization",
        "LayerNormalization", "GroupNormalization", "UnitNormalization", "Normalization", "Rescaling",
    ]

    func run(overrides: [String: [Int?]]) -> GraphAnalysis {
        let layers = model.kerasLayers(fixing: overrides)
        var assumed: [String] = []
        var shapes: [String: [Int]] = [:]
        for l in layers {
            guard let dims = l.outputShape else { continue }
            shapes[l.name] = dims.enumerated().map { axis, d in
                if case .fixed(let n) = d { return n }
                if l.className == "InputLayer" { assumed.append("\(l.name)[\(axis)]") }
                return 1
            }
        }
        for t in model.tensors { shapes[t.name] = t.shape }
        let constants = Set(model.tensors.map(\.name))
        let byName = Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let nodes = model.graphs.first?.nodes ?? []
        var costs: [NodeCost] = []
        var unresolved: [String] = []
        var resolved: Set<Int> = []
        var total = 0
        for (i, node) in nodes.enumerated() {
            guard let layer = byName[node.name], let out = shapes[layer.name],
                  let inputs = Optional(layer.inbound.compactMap { shapes[$0] }), inputs.count == layer.inbound.count,
                  let macs = Self.macs(layer, inputs: inputs, output: out, weights: layer.weights.map { model.tensors[$0].shape })
            else {
                unresolved.append(node.name)
                continue
            }
            resolved.insert(i)
            total &+= macs
            costs.append(NodeCost(index: i, node: node, macs: macs, outputs: node.outputs, shapes: shapes, constants: constants))
        }
        let inputNames = model.inputs.map(\.name)
        let peak = GraphAnalysis.peakLiveElements(
            steps: nodes.map { ($0.inputs, $0.outputs) }, inputs: inputNames, outputs: model.outputs.map(\.name),
            shapes: shapes, constants: constants)
        let coverage = AnalysisCoverage.of(model: model, mainGraphNodes: nodes, isResolved: { resolved.contains($0) })
        return GraphAnalysis(
            nodes: costs, shapes: ValueShapes(shapes), unresolved: unresolved, assumedDimensions: assumed, totalMACs: total,
            parameterElements: model.parameterCount, peakActivationElements: peak, coverage: coverage)
    }

    static func volume(_ s: [Int]) -> Int { Shapes.volume(s) }

    static func window(_ c: JSONValue, _ key: String, rank: Int, default d: Int) -> Int {
        if let n = c[key]?.intValue { return (0..<rank).reduce(1) { p, _ in p &* max(n, 0) } }
        if let a = c[key]?.arrayValue { return a.reduce(1) { $0 &* max($1.intValue ?? d, 0) } }
        return (0..<rank).reduce(1) { p, _ in p &* d }
    }

    /// The layer's MACs for one run, or nil when no rule covers its class.
    static func macs(_ l: KerasLayer, inputs: [[Int]], output out: [Int], weights: [[Int]]) -> Int? {
        let c = l.config
        let cls = l.className
        let x = inputs.first ?? []
        let channelsFirst = c["data_format"]?.stringValue == "channels_first"
        func channels(_ s: [Int]) -> Int { s.isEmpty ? 0 : (channelsFirst ? (s.count > 1 ? s[1] : 0) : s[s.count - 1]) }
        let rank = max(out.count - 2, 0)
        if free.contains(cls) { return 0 }
        if perElement.contains(cls) { return volume(out) }
        switch cls {
        case "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum":
            return volume(out) &* max(inputs.count - 1, 1)
        case "Dense":
            return volume(out) &* (x.last ?? 0)
        case "Conv1D", "Conv2D", "Conv3D":
            let groups = max(c["groups"]?.intValue ?? 1, 1)
            return volume(out) &* window(c, "kernel_size", rank: rank, default: 1) &* (channels(x) / groups)
        case "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose":
            return volume(x) &* window(c, "kernel_size", rank: rank, default: 1) &* channels(out)
        case "DepthwiseConv1D", "DepthwiseConv2D":
            return volume(out) &* window(c, "kernel_size", rank: rank, default: 1)
        case "SeparableConv1D", "SeparableConv2D":
            let multiplier = max(c["depth_multiplier"]?.intValue ?? 1, 1)
            let positions = volume(out) / max(channels(out), 1)
            let depthwise = positions &* channels(x) &* multiplier &* window(c, "kernel_size", rank: rank, default: 1)
            return depthwise &+ volume(out) &* channels(x) &* multiplier
        case "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D":
            return volume(out) &* window(c, "pool_size", rank: rank, default: 2)
        case "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
             "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D":
            return volume(x)
        case "LSTM", "GRU", "SimpleRNN", "Bidirectional":
            // Each step multiplies the input by the kernel and the state by the recurrent kernel: the rank-2
            // weights' elements, once per batch row and time step.
            guard x.count == 3 else { return nil }
            let perStep = weights.filter { $0.count == 2 }.reduce(0) { $0 &+ volume($1) }
            return x[0] &* x[1] &* perStep
        case "MultiHeadAttention":
            // The query, key, value and output projections (the kernels' elements per position) and the two
            // products QKᵀ and AV over heads × key_dim, as self-attention over the query's length.
            guard x.count >= 3 else { return nil }
            let positions = volume(x) / max(x[x.count - 1], 1)
            let projections = weights.filter { $0.count >= 2 }.reduce(0) { $0 &+ volume($1) }
            let heads = c["num_heads"]?.intValue ?? 1
            let keyDim = c["key_dim"]?.intValue ?? 1
            let length = x.count >= 2 ? x[x.count - 2] : 1
            return positions &* projections &+ 2 &* positions &* length &* heads &* keyDim
        default:
            return nil
        }
    }
}
