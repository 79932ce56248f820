import ModelFormats

/// The figures of a torch.export graph (a `.pt2` ExportedProgram). torch records every value's shape, so
/// nothing is inferred here: each ATen call is costed from its recorded input and output shapes with the
/// conventions of the ONNX operator of the same meaning (docs/analysis.md). A call without a rule, or whose
/// output shape is symbolic, is left out and named in the coverage.
struct ATenAnalyzer {
    let model: Model

    /// Multiply-adds per output element of the element-wise calls (OpCost's weights).
    static let perOutputElement: [String: Int] = {
        var t: [String: Int] = [:]
        for op in ["add", "sub", "rsub", "mul", "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge",
                   "neg", "abs", "relu", "relu_", "masked_fill", "logical_and", "logical_or", "logical_not", "sign"] {
            t[op] = OpCost.add
        }
        for op in ["clamp", "clamp_min", "clamp_max", "hardtanh", "hardtanh_", "relu6", "leaky_relu"] { t[op] = 2 * OpCost.cmp }
        for op in ["div", "reciprocal", "floor_divide", "remainder", "fmod", "true_divide"] { t[op] = OpCost.div }
        // As ONNX Resize (linear): four neighbours blended, a multiply and an add each.
        for op in ["upsample_bilinear2d", "upsample_linear1d"] { t[op] = 4 * (OpCost.mul + OpCost.add) }
        t["cumsum"] = OpCost.add
        for op in ["sigmoid", "exp", "pow", "elu"] { t[op] = OpCost.exp }
        t["silu"] = OpCost.exp + OpCost.mul  // as its export: Sigmoid (exp) and Mul
        t["gelu"] = OpCost.exp + 2 * OpCost.mul
        t["tanh"] = OpCost.tanh
        t["log"] = OpCost.log
        t["sqrt"] = OpCost.sqrt
        t["rsqrt"] = OpCost.sqrt + OpCost.div
        t["softmax"] = OpCost.exp + OpCost.div
        t["_softmax"] = OpCost.exp + OpCost.div
        t["log_softmax"] = OpCost.exp + OpCost.div + OpCost.add + OpCost.log
        t["hardswish"] = 2 * OpCost.mul + OpCost.add + 2 * OpCost.cmp
        t["hardsigmoid"] = OpCost.mul + OpCost.add + 2 * OpCost.cmp
        // As ONNX BatchNormalization (inference): x - mean, / sqrt(var + eps), · scale + bias.
        for op in ["batch_norm", "_native_batch_norm_legit_no_training", "native_batch_norm"] {
            t[op] = OpCost.add + OpCost.sqrt + OpCost.div + OpCost.add + OpCost.mul
        }
        // As ONNX LayerNormalization's per-element part (the per-row statistics are small beside it).
        for op in ["layer_norm", "native_layer_norm", "group_norm", "native_group_norm", "instance_norm"] {
            t[op] = 3 * OpCost.mul + 4 * OpCost.add
        }
        // Layout, copies, indexing and type changes: no arithmetic.
        for op in ["view", "reshape", "_unsafe_view", "permute", "transpose", "t", "flatten", "unsqueeze", "squeeze",
                   "cat", "stack", "slice", "select", "expand", "contiguous", "clone", "to", "_to_copy", "detach",
                   "alias", "split", "split_with_sizes", "chunk", "unbind", "getitem", "dropout", "embedding",
                   "index", "index_select", "gather", "constant_pad_nd", "pad", "zeros", "zeros_like", "ones",
                   "ones_like", "full", "full_like", "arange", "lift_fresh_copy", "lift_fresh", "lift", "copy", "copy_", "repeat",
                   "pixel_shuffle", "upsample_nearest2d", "type_as", "sym_size", "scalar_tensor", "empty",
                   // TorchScript's spellings of the same layout calls.
                   "unflatten", "narrow", "view_as", "reshape_as", "expand_as", "unsafe_split", "unsafe_chunk",
                   "reflection_pad1d", "reflection_pad2d", "replication_pad1d", "replication_pad2d", "upsample_nearest1d",
                   "flip", "roll", "empty_like", "rand", "randn", "rand_like", "randn_like", "tensor", "fill", "zero"] {
            t[op] = 0
        }
        return t
    }()

    func run() -> GraphAnalysis {
        guard let g = model.graphs.first else {
            return GraphAnalysis(nodes: [], shapes: [:], unresolved: [], assumedDimensions: [], totalMACs: 0,
                                 parameterElements: 0, peakActivationElements: 0)
        }
        var shapes: [String: [Int]] = [:]
        var symbolic: Set<String> = []
        for t in g.tensorShapes {
            shapes[t.name] = t.shape
            if t.signature.contains(where: { $0 < 0 }) { symbolic.insert(t.name) }
        }
        var constants: Set<String> = []
        var parameters = 0
        for t in model.tensors {
            shapes[t.name] = t.shape
            constants.insert(t.name)
            parameters &+= t.elementCount
        }
        let assumed = model.inputs.flatMap { i in
            (i.shape ?? []).enumerated().compactMap { k, d -> String? in
                if case .named(let s) = d { return "\(i.name)[\(k)] (\(s))" }
                return nil
            }
        }
        var costs: [NodeCost] = []
        var unresolved: [String] = []
        var resolved: [Bool] = []
        for (i, n) in g.nodes.enumerated() {
            let ins = n.inputs.map { shapes[$0] }
            let outs = n.outputs.map { shapes[$0] }
            let known = n.outputs.allSatisfy { shapes[$0] != nil && !symbolic.contains($0) }
            let macs = known ? Self.macs(n, ins: ins, outs: outs) : nil
            resolved.append(macs != nil)
            if macs == nil { unresolved.append(n.name.isEmpty ? n.opType : n.name) }
            let ranks = (ins + outs).compactMap { $0?.count }
            costs.append(NodeCost(
                index: i, name: n.name, opType: n.opType, domain: n.domain, macs: macs ?? 0,
                parameterElements: n.inputs.filter { constants.contains($0) }.reduce(0) { $0 &+ Shapes.volume(shapes[$1] ?? []) },
                inputElements: ins.reduce(0) { $0 &+ Shapes.volume($1 ?? []) }, outputElements: outs.reduce(0) { $0 &+ Shapes.volume($1 ?? []) },
                outputShapes: outs, maxRank: ranks.max() ?? 0))
        }
        let coverage = AnalysisCoverage.of(model: model, mainGraphNodes: g.nodes, isResolved: { resolved[$0] }, subgraphsAnalysed: true)
        let peak = GraphAnalysis.peakLiveElements(
            steps: g.nodes.map { ($0.inputs, $0.outputs) }, inputs: model.inputs.map(\.name), outputs: model.outputs.map(\.name),
            shapes: shapes, constants: constants)
        return GraphAnalysis(
            nodes: costs, shapes: ValueShapes(shapes), unresolved: unresolved, assumedDimensions: assumed,
            totalMACs: costs.reduce(0) { $0 &+ $1.macs }, parameterElements: parameters, peakActivationElements: peak,
            coverage: coverage)
    }

    /// `aten.lstm.input`, `aten.gru.input`, `aten.rnn_tanh.input`: the input [seq, batch, in] (either order), the
    /// initial states, then the flat weights, per layer and direction w_ih [gates·H, in] and w_hh [gates·H, H]
    /// (the only rank-2 inputs) and their biases. Costed as ONNX's LSTM/GRU/RNN (ONNXShapeRules.recurrent): per
    /// step and direction, every gate's input and recurrent products plus the gates' elementwise work.
    static func recurrent(ins: [[Int]?]) -> Int? {
        guard let x = ins.first ?? nil, x.count == 3 else { return nil }
        let matrices = ins.dropFirst().compactMap { $0 }.filter { $0.count == 2 }
        guard !matrices.isEmpty, matrices.count % 2 == 0 else { return nil }
        let steps = x[0] &* x[1]
        var total = 0
        for k in stride(from: 0, to: matrices.count, by: 2) {
            let wih = matrices[k], whh = matrices[k + 1]
            let hidden = whh[1]
            guard hidden > 0, whh[0] % hidden == 0 else { return nil }
            let gates = whh[0] / hidden
            let products = wih[0] &* wih[1] &+ whh[0] &* whh[1]
            let elementwise = gates &* hidden &* (OpCost.exp + OpCost.div) &+ hidden &* (OpCost.tanh + 3 * OpCost.mul)
            total &+= steps &* (products &+ elementwise)
        }
        return total
    }

    /// `aten.conv2d.default` → `conv2d`.
    static func base(_ op: String) -> String {
        let parts = op.split(separator: ".")
        return parts.count >= 2 && parts[0] == "aten" ? String(parts[1]) : op
    }

    /// The call's multiply-adds, or nil when there is no rule for it (or a shape it needs is missing).
    static func macs(_ n: Node, ins: [[Int]?], outs: [[Int]?]) -> Int? {
        let out = outs.first.flatMap { $0 } ?? []
        let volume = Shapes.volume(out)
        func input(_ k: Int) -> [Int]? { k < ins.count ? ins[k] : nil }
        let hasBias = ins.count > 2 && ins[2] != nil
        switch base(n.opType) {
        case "conv1d", "conv2d", "conv3d", "convolution", "_convolution":
            // Weight [O, I/groups, k…]: each output takes I/groups · Πk multiply-adds, + a bias add.
            guard let w = input(1), w.count >= 2 else { return nil }
            return volume &* Shapes.volume(Array(w.dropFirst())) &+ (hasBias ? volume : 0)
        case "conv_transpose1d", "conv_transpose2d", "conv_transpose3d":
            // Weight [I, O/groups, k…]: each input element spreads over O/groups · Πk outputs.
            guard let x = input(0), let w = input(1), w.count >= 2 else { return nil }
            return Shapes.volume(x) &* Shapes.volume(Array(w.dropFirst())) &+ (hasBias ? volume : 0)
        case "linear":
            guard let w = input(1), w.count == 2 else { return nil }
            return volume &* w[1] &+ (hasBias ? volume : 0)
        case "mm", "matmul", "bmm":
            guard let a = input(0), let k = a.last else { return nil }
            return volume &* k
        case "addmm", "baddbmm", "addbmm":
            guard let a = input(1), let k = a.last else { return nil }
            return volume &* k &+ volume
        case "scaled_dot_product_attention", "_scaled_dot_product_flash_attention_for_cpu":
            // Q·Kᵀ over [.., L, E] × [.., S, E], softmax over the scores, then scores · V over [.., S, Ev].
            guard let q = input(0), let k = input(1), let v = input(2), q.count >= 2, k.count >= 2, let e = q.last,
                  let ev = v.last else { return nil }
            let scores = Shapes.volume(Array(q.dropLast())) &* k[k.count - 2]
            return scores &* e &+ scores &* (OpCost.exp + OpCost.div) &+ scores &* ev
        case "lstm", "gru", "rnn_tanh", "rnn_relu":
            return recurrent(ins: ins)
        case "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell":
            // One step of one layer: (input [B, in], the states, w_ih [gates·H, in], w_hh [gates·H, H], biases),
            // the recurrent rule over one step of B rows.
            guard let x = input(0), x.count == 2 else { return nil }
            let matrices = ins.dropFirst().compactMap { $0 }.filter { $0.count == 2 && $0[0] != x[0] }
            guard matrices.count == 2 else { return nil }
            return recurrent(ins: [[1, x[0], x[1]]] + matrices.map { Optional($0) })
        case "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
             "max_pool2d_with_indices":
            guard case .ints(let k)? = n.attributes["kernel_size"] else { return nil }
            return volume &* k.reduce(1) { $0 &* Int(truncatingIfNeeded: $1) }
        case "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool2d":
            guard let x = input(0) else { return nil }
            return Shapes.volume(x) &* OpCost.add &+ volume &* OpCost.div
        case "mean", "sum":
            // As ONNX's ReduceMean and ReduceSum: an add per input element (the mean's final scaling uncounted).
            guard let x = input(0) else { return nil }
            return Shapes.volume(x) &* OpCost.add
        case "amax", "amin", "max", "min", "argmax", "argmin":
            guard let x = input(0) else { return nil }
            return Shapes.volume(x) &* OpCost.cmp
        default:
            guard let per = perOutputElement[base(n.opType)] else { return nil }
            return volume &* per
        }
    }
}
