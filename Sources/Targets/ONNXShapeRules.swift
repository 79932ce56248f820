import ModelFormats

/// Shape and cost rules for the ONNX operators beyond the core set in `GraphAnalysis.swift`: the forms exporters
/// write (attribute and input variants of Split, Pad, Resize, TopK…), recurrent layers, Einsum, and the
/// `com.microsoft` operators onnxruntime's optimizers emit. Costs follow onnx-tool's per-element weights
/// (`OpCost`); docs/rules.md states the conventions.
extension Analyzer {
    /// Elementwise operators with one output of the first input's shape, and their per-element cost.
    static let sameShapeUnary: [String: Int] = [
        "Softplus": OpCost.exp + OpCost.log + OpCost.add, "Softsign": OpCost.add + OpCost.div,
        "Selu": OpCost.cmp + OpCost.exp + 2 * OpCost.mul, "Celu": OpCost.cmp + OpCost.exp + OpCost.div + OpCost.mul,
        "ThresholdedRelu": OpCost.cmp, "Mish": OpCost.exp + OpCost.log + OpCost.tanh + OpCost.mul,
        "Sin": OpCost.exp, "Cos": OpCost.exp, "Tan": OpCost.exp, "Asin": OpCost.exp, "Acos": OpCost.exp,
        "Atan": OpCost.exp, "Sinh": OpCost.exp, "Cosh": OpCost.exp, "Asinh": OpCost.exp, "Acosh": OpCost.exp,
        "Atanh": OpCost.exp, "IsInf": OpCost.cmp, "Shrink": 2 * OpCost.cmp, "Hardmax": OpCost.cmp,
        "CastLike": 0, "BitwiseNot": OpCost.cmp, "Trilu": 0, "CumSum": OpCost.add, "EyeLike": 0,
        "RandomNormalLike": 0, "RandomUniformLike": 0, "Bernoulli": OpCost.cmp, "LpNormalization": OpCost.mul + OpCost.add + OpCost.sqrt,
        "MeanVarianceNormalization": 3 * OpCost.add + OpCost.sqrt + OpCost.div, "LRN": OpCost.mul + OpCost.add + OpCost.exp,
        "GroupNormalization": 2 * OpCost.add + OpCost.mul + OpCost.div, "RMSNormalization": 2 * OpCost.mul + OpCost.add,
        "ReverseSequence": 0, "Swish": OpCost.exp + OpCost.div + OpCost.mul, "ScatterND": 0, "ScatterElements": 0,
        "Scatter": 0, "com.microsoft.FastGelu": OpCost.tanh + 3 * OpCost.mul, "com.microsoft.BiasGelu": OpCost.exp + 3 * OpCost.mul,
        "com.microsoft.QuickGelu": OpCost.exp + OpCost.div + OpCost.mul, "com.microsoft.Gelu": OpCost.exp + 2 * OpCost.mul,
        "com.microsoft.SkipLayerNormalization": 4 * OpCost.mul + 5 * OpCost.add,
        "com.microsoft.SkipSimplifiedLayerNormalization": 3 * OpCost.mul + 3 * OpCost.add,
        "com.microsoft.SimplifiedLayerNormalization": 3 * OpCost.mul + 2 * OpCost.add,
        "com.microsoft.BiasAdd": OpCost.add, "com.microsoft.QLinearSigmoid": OpCost.exp,
        "com.microsoft.QLinearLeakyRelu": OpCost.mul + OpCost.cmp, "SimplifiedLayerNormalization": 3 * OpCost.mul + 2 * OpCost.add,
    ]

    /// Elementwise operators whose inputs broadcast, and their per-element cost.
    static let broadcastBinary: [String: Int] = [
        "BitwiseAnd": OpCost.cmp, "BitwiseOr": OpCost.cmp, "BitwiseXor": OpCost.cmp, "BitShift": OpCost.cmp,
        "com.microsoft.QLinearAdd": OpCost.add, "com.microsoft.QLinearMul": OpCost.mul,
    ]

    static let reductions: Set<String> = ["ReduceL1", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin"]

    /// The rule for `op` (its domain-qualified name), or nil when none applies or its inputs are unknown.
    mutating func extendedRule(_ node: Node, _ args: Operands, op: String, ins: [[Int]?]) -> (outs: [[Int]?], macs: Int)? {
        let x = ins.first ?? nil
        if let c = Self.sameShapeUnary[op], let x {
            return ([x] + Array(repeating: nil, count: max(0, node.outputs.count - 1)), Shapes.volume(x) &* c)
        }
        if let c = Self.broadcastBinary[op] {
            let operands = op.hasPrefix("com.microsoft.QLinear") ? [ins.first ?? nil, ins.count > 3 ? ins[3] : nil] : ins
            guard operands.allSatisfy({ $0 != nil }), let s = Shapes.broadcast(operands.compactMap { $0 }) else { return nil }
            return ([s], Shapes.volume(s) &* c)
        }
        if Self.reductions.contains(op), let x { return reduce(node, args, x, cost: op.hasPrefix("Arg") ? OpCost.cmp : OpCost.add + OpCost.exp) }
        switch op {
        case "Split":
            return split(node, args, x)
        case "Pad":
            guard let x else { return nil }
            let pads = ints(node, "pads") ?? value(args, 1)
            guard var p = pads else { return nil }
            if let axes = value(args, 3) {  // opset 18: pads for the named axes only
                var full = [Int](repeating: 0, count: 2 * x.count)
                guard p.count == 2 * axes.count else { return nil }
                for (i, a) in axes.enumerated() {
                    guard let ax = Self.axis(a, rank: x.count), ax < x.count else { return nil }
                    full[ax] = p[i]
                    full[ax + x.count] = p[i + axes.count]
                }
                p = full
            }
            guard p.count == 2 * x.count else { return nil }
            return ([x.indices.map { x[$0] &+ p[$0] &+ p[$0 + x.count] }], 0)
        case "Resize", "Upsample":
            return resize(node, args, x)
        case "ConstantOfShape":
            guard let dims = value(args, 0), dims.allSatisfy({ $0 >= 0 }) else { return nil }
            return ([dims], 0)
        case "Range":
            guard let s = value(args, 0)?.first, let l = value(args, 1)?.first, let d = value(args, 2)?.first,
                let n = Self.rangeCount(start: s, limit: l, delta: d)
            else { return nil }
            return ([[n]], n)
        case "TopK":
            guard let x, let ax = Self.axis(int(node, "axis", -1), rank: x.count), ax < x.count,
                let k = value(args, 1)?.first ?? (node.attributes["k"] != nil ? int(node, "k", 0) : nil), k >= 0
            else { return nil }
            var shape = x
            shape[ax] = k
            return ([shape, shape], Shapes.volume(x) &* OpCost.cmp)
        case "OneHot":
            guard let idx = ins.first ?? nil, let depth = value(args, 1)?.first, depth >= 0,
                let ax = Self.axis(int(node, "axis", -1), rank: idx.count + 1)
            else { return nil }
            var shape = idx
            shape.insert(depth, at: min(ax, shape.count))
            return ([shape], 0)
        case "DepthToSpace", "SpaceToDepth":
            guard let x, x.count == 4 else { return nil }
            let b = max(1, int(node, "blocksize", 1))
            if op == "DepthToSpace" { return ([[x[0], x[1] / (b &* b), x[2] &* b, x[3] &* b]], 0) }
            return ([[x[0], x[1] &* b &* b, x[2] / b, x[3] / b]], 0)
        case "GlobalLpPool":
            guard let x, x.count >= 2 else { return nil }
            return ([[x[0], x[1]] + Array(repeating: 1, count: x.count - 2)], Shapes.volume(x) &* (OpCost.mul + OpCost.add))
        case "GatherElements":
            guard ins.count > 1, let idx = ins[1] else { return nil }
            return ([idx], 0)
        case "GatherND":
            guard let x, ins.count > 1, let idx = ins[1], let last = idx.last else { return nil }
            let batch = int(node, "batch_dims", 0)
            guard batch >= 0, batch &+ last <= x.count else { return nil }
            return ([Array(idx.dropLast()) + Array(x.dropFirst(batch + last))], 0)
        case "Size":
            return ([[]], 0)
        case "GridSample":
            guard let x, x.count == 4, ins.count > 1, let g = ins[1], g.count == 4 else { return nil }
            let shape = [x[0], x[1], g[1], g[2]]
            return ([shape], Shapes.volume(shape) &* 4 &* (OpCost.mul + OpCost.add))
        case "RoiAlign":
            guard let x, x.count == 4, ins.count > 1, let rois = ins[1], let n = rois.first else { return nil }
            let shape = [n, x[1], int(node, "output_height", 1), int(node, "output_width", 1)]
            return ([shape], Shapes.volume(shape) &* max(1, int(node, "sampling_ratio", 2)) &* 4)
        case "RandomNormal", "RandomUniform":
            guard let s = ints(node, "shape") else { return nil }
            return ([s], 0)
        case "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss":
            // scores [N, C, d1…] and labels [N, d1…]: the loss per element with reduction "none", else a scalar.
            guard let x, x.count >= 2 else { return nil }
            let perElement = [x[0]] + Array(x.dropFirst(2))
            let loss = (string(node, "reduction") ?? "mean") == "none" ? perElement : []
            return ([loss, x], Shapes.volume(x) &* (op == "NegativeLogLikelihoodLoss" ? OpCost.add : OpCost.exp + OpCost.log + OpCost.add))
        case "Einsum":
            return einsum(node, ins)
        case "LSTM", "GRU", "RNN":
            return recurrent(node, op: op, ins: ins)
        case "com.microsoft.MatMulNBits":
            guard let a = x, let k = a.last else { return nil }
            let n = int(node, "N", 0)
            let shape = Array(a.dropLast()) + [n]
            return ([shape], Shapes.volume(shape) &* k)
        case "com.microsoft.Attention":
            // Input [B, S, hidden], packed QKV weights [hidden, 3·hidden]: the projection, QKᵀ and the weighted sum.
            guard let a = x, a.count == 3, ins.count > 1, let w = ins[1], w.count == 2 else { return nil }
            let (b, s, h) = (a[0], a[1], a[2])
            let hidden = w[1] / 3
            let projection = b &* s &* h &* w[1]
            let scores = b &* s &* s &* hidden &* 2
            return ([[b, s, hidden]], projection &+ scores &+ b &* s &* s &* (OpCost.exp + OpCost.div))
        case "com.microsoft.DynamicQuantizeMatMul", "com.microsoft.MatMulIntegerToFloat":
            guard let a = x, ins.count > 1, let b = ins[1], a.count >= 2, b.count == 2 else { return nil }
            let shape = Array(a.dropLast()) + [b[1]]
            return ([shape], Shapes.volume(shape) &* b[0])
        case "DynamicQuantizeLinear":
            guard let x else { return nil }
            return ([x, [], []], Shapes.volume(x) &* (OpCost.cmp * 2 + OpCost.mul + OpCost.add))
        case "com.microsoft.QGemm":
            guard let a = x, ins.count > 3, let b = ins[3], a.count == 2, b.count == 2 else { return nil }
            let ta = int(node, "transA", 0) != 0, tb = int(node, "transB", 0) != 0
            let m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], n = tb ? b[0] : b[1]
            return ([[m, n]], m &* n &* k)
        default:
            return nil
        }
    }

    /// Reductions: axes from the attribute (before opset 18) or the second input (18, and ReduceSum from 13);
    /// an axes input whose value is unknown leaves the shape unknown rather than guessing. No axes reduce
    /// everything, unless `noop_with_empty_axes`.
    func reduce(_ node: Node, _ args: Operands, _ x: [Int], cost: Int) -> (outs: [[Int]?], macs: Int)? {
        let isArg = node.opType.hasPrefix("Arg")
        var axes: [Int]? = isArg ? [int(node, "axis", 0)] : ints(node, "axes")
        if axes == nil, !isArg, node.inputs.count > 1, !node.inputs[1].isEmpty {
            guard let v = value(args, 1) else { return nil }
            axes = v
        }
        if axes?.isEmpty == true || axes == nil, int(node, "noop_with_empty_axes", 0) != 0 { return ([x], 0) }
        if axes?.isEmpty == true { axes = nil }
        let keep = int(node, "keepdims", 1) != 0
        var set = Set<Int>()
        for a in axes ?? Array(0..<x.count) {
            guard let ax = Self.axis(a, rank: x.count), ax < max(x.count, 1) else { return nil }
            set.insert(ax)
        }
        var shape: [Int] = []
        for (i, d) in x.enumerated() {
            if set.contains(i) { if keep { shape.append(1) } } else { shape.append(d) }
        }
        return ([shape], Shapes.volume(x) &* cost)
    }

    /// Split: sizes from the `split` attribute (opset < 13) or input (13+), else `num_outputs` (18) or the
    /// number of outputs, equal parts with a smaller last one.
    func split(_ node: Node, _ args: Operands, _ x: [Int]?) -> (outs: [[Int]?], macs: Int)? {
        guard let x, let ax = Self.axis(int(node, "axis", 0), rank: x.count), ax < x.count else { return nil }
        let n = node.outputs.count
        guard n > 0 else { return nil }
        var sizes = ints(node, "split") ?? value(args, 1)
        if sizes == nil, node.inputs.count > 1, !node.inputs[1].isEmpty { return nil }  // sizes known only at run time
        if sizes == nil {
            let parts = node.attributes["num_outputs"] != nil ? max(1, int(node, "num_outputs", n)) : n
            let d = x[ax]
            let chunk = (d &+ parts &- 1) / parts
            // Opset 18: ceil-sized parts, the last one smaller; before it the dimension must divide evenly.
            sizes = (0..<parts).map { i in max(0, min(chunk, d &- i &* chunk)) }
        }
        guard let sizes, sizes.count == n, sizes.allSatisfy({ $0 >= 0 }) else { return nil }
        return (sizes.map { s -> [Int]? in
            var shape = x
            shape[ax] = s
            return shape
        }, 0)
    }

    /// Resize (opset 10: X, scales; 11+: X, roi, scales, sizes; 18: axes) and Upsample (7: scales attribute;
    /// 9: scales input). Output = sizes, else floor(dim × scale).
    func resize(_ node: Node, _ args: Operands, _ x: [Int]?) -> (outs: [[Int]?], macs: Int)? {
        guard let x else { return nil }
        let axes = ints(node, "axes").map { $0.compactMap { Self.axis($0, rank: x.count) } } ?? Array(0..<x.count)
        var shape = x
        if node.opType == "Resize", node.inputs.count > 3, let sizes = value(args, 3) {
            guard sizes.count == axes.count else { return nil }
            for (i, a) in axes.enumerated() where a < shape.count { shape[a] = sizes[i] }
        } else {
            let scaleIndex = node.opType == "Upsample" ? 1 : (node.inputs.count == 2 ? 1 : 2)
            let scales: [Float]?
            if case .floats(let f)? = node.attributes["scales"] { scales = f } else { scales = floatValue(args, scaleIndex) }
            guard let scales, scales.count == axes.count else { return nil }
            for (i, a) in axes.enumerated() where a < shape.count {
                let scaled = (Double(x[a]) * Double(scales[i])).rounded(.down)
                guard scaled.isFinite, scaled >= 0, scaled < 1e15 else { return nil }
                shape[a] = Int(saturating: scaled)
            }
        }
        let mode = string(node, "mode") ?? "nearest"
        // onnx-tool counts interpolation per output element: nearest picks, linear blends 2^k neighbours.
        let perElement = mode == "nearest" ? 0 : (mode == "cubic" ? 16 : 4) * (OpCost.mul + OpCost.add)
        return ([shape], Shapes.volume(shape) &* perElement)
    }

    /// Einsum with an explicit output (`ij,jk->ik`, no ellipsis): the output's dimensions by letter, and one
    /// MAC per point of the space of every letter.
    func einsum(_ node: Node, _ ins: [[Int]?]) -> (outs: [[Int]?], macs: Int)? {
        guard let eq = string(node, "equation")?.filter({ $0 != " " }), !eq.contains(".") else { return nil }
        let sides = eq.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard sides.count == 2, sides[1].hasPrefix(">") else { return nil }
        let operands = sides[0].split(separator: ",", omittingEmptySubsequences: false)
        guard operands.count == ins.count else { return nil }
        var size: [Character: Int] = [:]
        for (term, shape) in zip(operands, ins) {
            guard let shape, shape.count == term.count else { return nil }
            for (c, d) in zip(term, shape) {
                if let seen = size[c], seen != d, seen != 1, d != 1 { return nil }
                size[c] = max(size[c] ?? d, d)
            }
        }
        var out: [Int] = []
        for c in sides[1].dropFirst() {
            guard let d = size[c] else { return nil }
            out.append(d)
        }
        guard let space = Shapes.checkedVolume(Array(size.values)) else { return nil }
        return ([out], space)
    }

    /// LSTM (4 gates), GRU (3) and RNN (1): per step and direction, the input and recurrent matrix products
    /// of every gate plus the gates' elementwise work; outputs Y [seq, dirs, batch, hidden], Y_h (and Y_c).
    func recurrent(_ node: Node, op: String, ins: [[Int]?]) -> (outs: [[Int]?], macs: Int)? {
        guard let x = ins.first ?? nil, x.count == 3, ins.count > 2, let w = ins[1], let r = ins[2], w.count == 3, r.count == 3 else {
            return nil
        }
        let layout = int(node, "layout", 0)
        let (seq, batch, input) = layout == 0 ? (x[0], x[1], x[2]) : (x[1], x[0], x[2])
        let dirs = w[0]
        let hidden = node.attributes["hidden_size"] != nil ? int(node, "hidden_size", 0) : r[2]
        let gates = op == "LSTM" ? 4 : (op == "GRU" ? 3 : 1)
        let matmuls = gates &* hidden &* (input &+ hidden)
        // Sigmoid/tanh per gate and the state update: onnx-tool's exp-based weights.
        let elementwise = gates &* hidden &* (OpCost.exp + OpCost.div) &+ hidden &* (OpCost.tanh + 3 * OpCost.mul)
        let macs = seq &* batch &* dirs &* (matmuls &+ elementwise)
        let y = layout == 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden]
        let state = layout == 0 ? [dirs, batch, hidden] : [batch, dirs, hidden]
        return ([y, state, state], macs)
    }
}
