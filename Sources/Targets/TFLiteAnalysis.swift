import ModelFormats

/// Shapes and costs over a TFLite model's main subgraph, in operator order (the order the interpreter runs).
///
/// A static tensor's shape is the one the converter stored. A tensor with dynamic dimensions (`shape_signature`
/// -1) is inferred forward from the inputs, whose dynamic dimensions take the manifest's `inputs`: the file's
/// placeholders (usually 1) say nothing about the shapes at run time (a Dense over a dynamic batch stores
/// `[1, 1]`). Small integer tensors (`SHAPE` → `STRIDED_SLICE` → `PACK` → `RESHAPE`) are evaluated so that
/// reshapes to computed shapes resolve. A dynamic tensor no rule covers takes the input's value at the same
/// axis (the batch), else its stored placeholder.
///
/// MAC conventions match the ONNX walk (onnx-tool's): one per multiply-add of CONV_2D, DEPTHWISE_CONV_2D,
/// FULLY_CONNECTED, BATCH_MATMUL, plus one per output for a bias; the kernel window per output of pooling; the
/// per-element weights of `OpCost` for element-wise operators and fused activations (RELU 1, RELU6 2, as ONNX's
/// Relu and Clip). TRANSPOSE_CONV counts its real multiply-adds: every input element times the kernel's
/// output channels and window.
struct TFLiteAnalyzer {
    let model: Model
    let nodes: [Node]
    let graphInputs: [ValueInfo]
    let graphOutputs: [ValueInfo]
    let tensorShapes: [TensorShape]
    var shapes: [String: [Int]] = [:]
    var values: [String: [Int]] = [:]
    var constantNames: Set<String> = []
    var unresolved: [String] = []
    var assumed: [String] = []
    var stored: [String: TensorShape] = [:]
    /// Dynamic input dimensions by axis, for dynamic tensors no rule covers; nil where inputs disagree.
    var byAxis: [Int: Int?] = [:]

    /// The subgraph analysed (0: the main one; control flow analyses the ones it calls).
    let graph: Int
    /// Subgraphs being analysed up the call chain: a subgraph cannot call itself into an endless walk.
    var callers: Set<Int> = []
    /// What the called subgraphs add: their nodes' coverage, and the init subgraphs CALL_ONCE runs before the
    /// first inference (no per-run cost, not counted).
    var called = AnalysisCoverage(nodesResolved: 0, nodesTotal: 0, unresolvedOps: [:], firstUnresolved: nil)

    init(model: Model, graph: Int = 0) {
        self.model = model
        self.graph = model.graphs.indices.contains(graph) ? graph : 0
        let g = model.graphs.indices.contains(graph) ? model.graphs[graph] : model.graphs.first
        nodes = g?.nodes ?? []
        graphInputs = g?.inputs ?? []
        graphOutputs = g?.outputs ?? []
        tensorShapes = g?.tensorShapes ?? []
    }

    /// The analysis of subgraph `g` as called from here (its stored shapes; no manifest overrides), or nil when it
    /// is not a subgraph or the call would recurse.
    func analyseCalled(_ g: Int) -> GraphAnalysis? {
        guard g > 0, model.graphs.indices.contains(g), g != graph, !callers.contains(g), callers.count < 32 else { return nil }
        var sub = TFLiteAnalyzer(model: model, graph: g)
        sub.callers = callers.union([graph])
        return sub.run(overrides: [:])
    }

    mutating func addCalled(_ a: GraphAnalysis) {
        called.nodesTotal += a.coverage.nodesTotal
        called.nodesResolved += a.coverage.nodesResolved
        for (k, v) in a.coverage.unresolvedOps { called.unresolvedOps["\(k) (in a subgraph)", default: 0] += v }
        if called.firstUnresolved == nil { called.firstUnresolved = a.coverage.firstUnresolved }
    }

    static func volume(_ s: [Int]) -> Int { Shapes.volume(s) }

    mutating func run(overrides: [String: [Int?]]) -> GraphAnalysis {
        for t in tensorShapes where stored[t.name] == nil { stored[t.name] = t }
        var parameterElements = 0
        for t in model.tensors where t.graph == graph {
            shapes[t.name] = t.shape
            constantNames.insert(t.name)
            parameterElements &+= t.elementCount
            if t.elementCount <= 64, let v = (try? model.integerValues(of: t, limit: 64)) ?? nil {
                values[t.name] = v.map { Int(truncatingIfNeeded: $0) }
            }
        }
        // The manifest names inputs by tensor or by signature key (`image` for `serving_default_image:0`).
        var given = overrides
        for sig in model.signatures where sig.subgraph == 0 {
            for (key, tensor) in sig.inputs where given[tensor] == nil {
                if let v = overrides[key] { given[tensor] = v }
            }
        }
        for input in graphInputs where !constantNames.contains(input.name) {
            let placeholder = stored[input.name]?.shape ?? []
            guard let dims = input.shape else { continue }
            var shape: [Int] = []
            for (i, d) in dims.enumerated() {
                switch d {
                case .fixed(let n): shape.append(n)
                case .named, .unknown:
                    let v: Int
                    if let g = given[input.name], i < g.count, let x = g[i] {
                        v = x
                    } else {
                        v = max(i < placeholder.count ? placeholder[i] : 1, 1)
                        assumed.append("\(input.name)[\(i)]")
                    }
                    shape.append(v)
                    if let seen = byAxis[i] { if seen != v { byAxis[i] = .some(nil) } } else { byAxis[i] = v }
                }
            }
            shapes[input.name] = shape
        }

        var costs: [NodeCost] = []
        var resolved: [Bool] = []
        for (i, node) in nodes.enumerated() {
            let before = unresolved.count
            var c = cost(of: node, index: i)
            c.macs &+= controlFlowMACs(node)
            costs.append(c)
            resolved.append(unresolved.count == before)
        }
        let peak = GraphAnalysis.peakLiveElements(
            steps: nodes.map { ($0.inputs, $0.outputs) }, inputs: graphInputs.map(\.name),
            outputs: graphOutputs.map(\.name), shapes: shapes, constants: constantNames)
        return GraphAnalysis(
            nodes: costs, shapes: ValueShapes(shapes), unresolved: unresolved, assumedDimensions: assumed,
            totalMACs: costs.reduce(0) { $0 &+ $1.macs }, parameterElements: parameterElements,
            peakActivationElements: peak,
            // Called subgraphs (IF, WHILE) are walked and counted; other signatures' subgraphs are not this run.
            coverage: Self.merged(.of(model: model, mainGraphNodes: nodes, isResolved: { $0 < resolved.count && resolved[$0] },
                                      subgraphsAnalysed: true), called))
    }

    static func merged(_ a: AnalysisCoverage, _ b: AnalysisCoverage) -> AnalysisCoverage {
        var c = a
        c.nodesTotal += b.nodesTotal
        c.nodesResolved += b.nodesResolved
        for (k, v) in b.unresolvedOps { c.unresolvedOps[k, default: 0] += v }
        if c.firstUnresolved == nil { c.firstUnresolved = b.firstUnresolved }
        return c
    }

    /// IF costs its larger branch; WHILE its condition and body once each (the trip count is data: said in
    /// `assumedDimensions`); CALL_ONCE nothing per run (its init subgraph runs before the first inference).
    mutating func controlFlowMACs(_ node: Node) -> Int {
        switch node.opType {
        case "IF":
            let branches = ["then_subgraph_index", "else_subgraph_index"].compactMap { analyseCalled(int(node, $0, -1)) }
            for b in branches { addCalled(b) }
            return branches.map(\.totalMACs).max() ?? 0
        case "CALL":
            guard let sub = analyseCalled(int(node, "subgraph", -1)) else { return 0 }
            addCalled(sub)
            return sub.totalMACs
        case "WHILE":
            let parts = ["cond_subgraph_index", "body_subgraph_index"].compactMap { analyseCalled(int(node, $0, -1)) }
            for p in parts { addCalled(p) }
            assumed.append("WHILE '\(node.name)': trip count unknown, one iteration counted")
            return parts.reduce(0) { $0 &+ $1.totalMACs }
        default:
            return 0
        }
    }

    func int(_ node: Node, _ name: String, _ d: Int = 0) -> Int {
        if case .int(let v)? = node.attributes[name] { return Int(truncatingIfNeeded: v) }
        return d
    }
    func string(_ node: Node, _ name: String) -> String? {
        if case .string(let v)? = node.attributes[name] { return v }
        return nil
    }
    func input(_ node: Node, _ i: Int) -> [Int]? {
        guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
        return shapes[node.inputs[i]]
    }
    func value(_ node: Node, _ i: Int) -> [Int]? {
        guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
        return values[node.inputs[i]]
    }
    static func axis(_ a: Int, rank: Int) -> Int? {
        let x = a < 0 ? a + rank : a
        return (0..<max(rank, 1)).contains(x) ? x : nil
    }
    static func window(_ size: Int, _ k: Int, _ stride: Int, _ dilation: Int, same: Bool) -> Int {
        let s = max(stride, 1)
        if same { return (size &+ s &- 1) / s }
        return max(0, (size &- (k &- 1) &* max(dilation, 1) &- 1) / s &+ 1)
    }

    /// The output shape an operator's rule gives, and the small integer value it computes (nil: no rule).
    func infer(_ node: Node) -> (shape: [Int]?, value: [Int]?) {
        let x = input(node, 0)
        switch node.opType {
        case "CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D":
            guard let x, x.count == 4 else { return (nil, nil) }
            let pool = node.opType.hasSuffix("POOL_2D")
            let w = input(node, 1) ?? []
            let kh = pool ? int(node, "filter_height", 1) : (w.count == 4 ? w[1] : 1)
            let kw = pool ? int(node, "filter_width", 1) : (w.count == 4 ? w[2] : 1)
            let channels = pool ? x[3] : (w.count == 4 ? (node.opType == "CONV_2D" ? w[0] : w[3]) : x[3])
            let same = string(node, "padding") == "SAME"
            return ([x[0], Self.window(x[1], kh, int(node, "stride_h", 1), int(node, "dilation_h_factor", 1), same: same),
                     Self.window(x[2], kw, int(node, "stride_w", 1), int(node, "dilation_w_factor", 1), same: same), channels], nil)
        case "TRANSPOSE_CONV":
            if let out = value(node, 0), out.count == 4 { return (out, nil) }
            guard let x = input(node, 2), x.count == 4, let w = input(node, 1), w.count == 4 else { return (nil, nil) }
            let same = string(node, "padding") == "SAME"
            let sh = max(int(node, "stride_h", 1), 1), sw = max(int(node, "stride_w", 1), 1)
            return ([x[0], same ? x[1] &* sh : (x[1] &- 1) &* sh &+ w[1], same ? x[2] &* sw : (x[2] &- 1) &* sw &+ w[2], w[0]], nil)
        case "FULLY_CONNECTED":
            guard let x, let w = input(node, 1), w.count == 2, w[1] > 0 else { return (nil, nil) }
            if int(node, "keep_num_dims") != 0 { return (Array(x.dropLast()) + [w[0]], nil) }
            return ([Self.volume(x) / w[1], w[0]], nil)
        case "BATCH_MATMUL":
            guard let a = x, let b = input(node, 1), a.count >= 2, b.count >= 2 else { return (nil, nil) }
            let m = int(node, "adj_x") != 0 ? a[a.count - 1] : a[a.count - 2]
            let n = int(node, "adj_y") != 0 ? b[b.count - 2] : b[b.count - 1]
            guard let batch = Shapes.broadcast([Array(a.dropLast(2)), Array(b.dropLast(2))]) else { return (nil, nil) }
            return (batch + [m, n], nil)
        case "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY":
            guard let x, let axes = value(node, 1) else { return (nil, nil) }
            let set = Set(axes.compactMap { Self.axis($0, rank: x.count) })
            let keep = int(node, "keep_dims") != 0
            var shape: [Int] = []
            for (i, d) in x.enumerated() { if set.contains(i) { if keep { shape.append(1) } } else { shape.append(d) } }
            var v: [Int]?
            if node.opType == "REDUCE_PROD", let xv = value(node, 0), x.count <= 1 { v = [xv.reduce(1, &*)] }
            return (shape, v)
        case "RESHAPE":
            guard let x else { return (nil, nil) }
            guard var target = value(node, 1) else { return (nil, nil) }
            if let m = target.firstIndex(of: -1) {
                let rest = target.enumerated().filter { $0.offset != m }.reduce(1) { $0 &* $1.element }
                target[m] = rest > 0 ? Self.volume(x) / rest : 0
            }
            return (target, value(node, 0))
        case "SQUEEZE", "EXPAND_DIMS":
            return (nil, nil)
        case "CONCATENATION":
            let ins = node.inputs.indices.map { input(node, $0) }
            let known = ins.compactMap { $0 }
            guard known.count == ins.count, let first = known.first, let ax = Self.axis(int(node, "axis"), rank: first.count),
                ax < first.count
            else { return (nil, nil) }
            var shape = first
            shape[ax] = known.reduce(0) { $0 &+ (ax < $1.count ? $1[ax] : 0) }
            let vs = node.inputs.indices.map { value(node, $0) }
            let v: [Int]? = first.count == 1 && vs.allSatisfy({ $0 != nil }) ? vs.flatMap { $0 ?? [] } : nil
            return (shape, v)
        case "SHAPE":
            guard let x else { return (nil, nil) }
            return ([x.count], x)
        case "PACK":
            let ins = node.inputs.indices.map { input(node, $0) }
            guard let first = ins.first ?? nil, ins.allSatisfy({ $0 == first }),
                let ax = Self.axis(int(node, "axis"), rank: first.count + 1)
            else { return (nil, nil) }
            var shape = first
            shape.insert(ins.count, at: ax)
            let vs = node.inputs.indices.map { value(node, $0) }
            let v: [Int]? = first.isEmpty && vs.allSatisfy({ $0?.count == 1 }) ? vs.flatMap { $0 ?? [] } : nil
            return (shape, v)
        case "GATHER":
            guard let x, let idx = input(node, 1), let ax = Self.axis(int(node, "axis"), rank: x.count) else { return (nil, nil) }
            var v: [Int]?
            if x.count == 1, let xv = value(node, 0), let iv = value(node, 1) {
                let picked = iv.compactMap { i -> Int? in
                    let j = i < 0 ? i + xv.count : i
                    return xv.indices.contains(j) ? xv[j] : nil
                }
                if picked.count == iv.count { v = picked }
            }
            return (Array(x.prefix(ax)) + idx + Array(x.dropFirst(ax + 1)), v)
        case "STRIDED_SLICE":
            // 1-D integer slices (of a SHAPE) only, stride 1, with the begin/end/shrink masks.
            guard let x, x.count == 1, let b = value(node, 1), let e = value(node, 2), b.count == 1, e.count == 1 else {
                return (nil, nil)
            }
            let strides = value(node, 3) ?? [1]
            guard strides == [1] else { return (nil, nil) }
            let n = x[0]
            var lo = int(node, "begin_mask") & 1 != 0 ? 0 : b[0]
            var hi = int(node, "end_mask") & 1 != 0 ? n : e[0]
            if lo < 0 { lo += n }
            if hi < 0 { hi += n }
            lo = min(max(lo, 0), n)
            hi = min(max(hi, lo), n)
            let shrink = int(node, "shrink_axis_mask") & 1 != 0
            if shrink { hi = min(lo + 1, n) }
            // The stored length of a 1-D tensor may disagree with its value in a hostile file: slice the value.
            let v = value(node, 0).map { xv in Array(xv[min(lo, xv.count)..<min(max(hi, lo), xv.count)]) }
            return (shrink ? [] : [hi - lo], v)
        case "CAST":
            return (x, value(node, 0))
        case "TRANSPOSE":
            guard let x, let perm = value(node, 1), perm.count == x.count, perm.allSatisfy({ x.indices.contains($0) }) else {
                return (nil, nil)
            }
            return (perm.map { x[$0] }, nil)
        default:
            if Self.binary.keys.contains(node.opType) {
                let ins = node.inputs.indices.compactMap { input(node, $0) }
                guard ins.count == node.inputs.count, let s = Shapes.broadcast(ins) else { return (nil, nil) }
                return (s, nil)
            }
            if Self.unary.keys.contains(node.opType) || Self.sameShape.contains(node.opType) { return (x, nil) }
            return (nil, nil)
        }
    }

    /// Element-wise binary operators and their per-element cost.
    static let binary: [String: Int] = [
        "ADD": OpCost.add, "SUB": OpCost.add, "MUL": OpCost.mul, "MAXIMUM": OpCost.add, "MINIMUM": OpCost.cmp,
        "DIV": OpCost.div, "FLOOR_DIV": OpCost.div, "POW": OpCost.exp, "SQUARED_DIFFERENCE": OpCost.add + OpCost.mul,
        "EQUAL": OpCost.cmp, "NOT_EQUAL": OpCost.cmp, "LESS": OpCost.cmp, "LESS_EQUAL": OpCost.cmp, "GREATER": OpCost.cmp,
        "GREATER_EQUAL": OpCost.cmp, "LOGICAL_AND": OpCost.cmp, "LOGICAL_OR": OpCost.cmp, "SELECT": OpCost.cmp,
        "SELECT_V2": OpCost.cmp, "PRELU": OpCost.mul + OpCost.cmp, "ADD_N": OpCost.add,
        "FLOOR_MOD": OpCost.div + OpCost.mul + OpCost.add, "ATAN2": OpCost.exp + OpCost.div, "BITWISE_XOR": OpCost.cmp,
        "RIGHT_SHIFT": OpCost.cmp,
        // StableHLO's element-wise operators, as their TFLite counterparts.
        "STABLEHLO_ADD": OpCost.add, "STABLEHLO_SUBTRACT": OpCost.add, "STABLEHLO_MULTIPLY": OpCost.mul,
        "STABLEHLO_DIVIDE": OpCost.div, "STABLEHLO_MAXIMUM": OpCost.add, "STABLEHLO_MINIMUM": OpCost.cmp,
        "STABLEHLO_POWER": OpCost.exp, "STABLEHLO_REMAINDER": OpCost.div + OpCost.mul + OpCost.add, "STABLEHLO_AND": OpCost.cmp,
        "STABLEHLO_OR": OpCost.cmp, "STABLEHLO_COMPARE": OpCost.cmp, "STABLEHLO_SHIFT_LEFT": OpCost.cmp,
        "STABLEHLO_SELECT": OpCost.cmp, "STABLEHLO_CLAMP": 2 * OpCost.cmp,
    ]
    /// Element-wise unary operators and their per-element cost.
    static let unary: [String: Int] = [
        "RELU": OpCost.cmp, "RELU_N1_TO_1": 2 * OpCost.cmp, "RELU_0_TO_1": 2 * OpCost.cmp, "RELU6": 2 * OpCost.cmp,
        "LEAKY_RELU": OpCost.mul + OpCost.cmp, "LOGISTIC": OpCost.exp, "EXP": OpCost.exp, "TANH": 2 * OpCost.tanh,
        "SQRT": OpCost.sqrt, "RSQRT": OpCost.sqrt + OpCost.div, "LOG": OpCost.log, "ABS": OpCost.cmp, "NEG": OpCost.cmp,
        "ELU": OpCost.cmp + OpCost.exp + OpCost.add + OpCost.mul, "HARD_SWISH": 2 * OpCost.mul + OpCost.add + 2 * OpCost.cmp,
        "GELU": OpCost.exp + 2 * OpCost.mul, "SOFTMAX": OpCost.exp + OpCost.div,
        "LOG_SOFTMAX": OpCost.exp + OpCost.div + OpCost.add + OpCost.log, "QUANTIZE": OpCost.mul + OpCost.add,
        "DEQUANTIZE": OpCost.mul + OpCost.add, "SQUARE": OpCost.mul, "L2_NORMALIZATION": OpCost.mul + OpCost.add + OpCost.sqrt,
        "FLOOR": 0, "CEIL": 0, "ROUND": 0, "SIN": OpCost.exp, "COS": OpCost.exp, "SIGN": OpCost.cmp,
        "LOCAL_RESPONSE_NORMALIZATION": OpCost.mul + OpCost.add + OpCost.exp,
        "COMPLEX_ABS": 2 * OpCost.mul + OpCost.add + OpCost.sqrt, "FAKE_QUANT": OpCost.mul + OpCost.add + 2 * OpCost.cmp,
        "CUMSUM": OpCost.add,
        "STABLEHLO_LOGISTIC": OpCost.exp, "STABLEHLO_ABS": OpCost.cmp, "STABLEHLO_COSINE": OpCost.exp,
        "STABLEHLO_EXPONENTIAL": OpCost.exp, "STABLEHLO_FLOOR": 0, "STABLEHLO_LOG": OpCost.log, "STABLEHLO_NEGATE": OpCost.cmp,
        "STABLEHLO_RSQRT": OpCost.sqrt + OpCost.div, "STABLEHLO_TANH": 2 * OpCost.tanh, "STABLEHLO_CBRT": OpCost.exp + OpCost.log,
    ]
    /// Operators whose work is per output element but whose first input is not shaped like the output
    /// (random generators read a shape).
    static let perOutput: [String: Int] = [
        "RANDOM_UNIFORM": OpCost.mul + OpCost.add, "RANDOM_STANDARD_NORMAL": OpCost.log + OpCost.sqrt + OpCost.exp + OpCost.mul,
        "MULTINOMIAL": OpCost.exp + OpCost.log + OpCost.cmp, "EMBEDDING_LOOKUP_SPARSE": OpCost.add + OpCost.mul,
        "STABLEHLO_RNG_BIT_GENERATOR": OpCost.mul + OpCost.add,
    ]
    /// Operators whose work is per element of their first input: scans, segment reductions, selections.
    static let perInput: [String: Int] = [
        "TOPK_V2": OpCost.cmp, "UNIQUE": OpCost.cmp, "WHERE": OpCost.cmp, "BUCKETIZE": OpCost.cmp, "SEGMENT_SUM": OpCost.add,
        "UNSORTED_SEGMENT_SUM": OpCost.add, "UNSORTED_SEGMENT_PROD": OpCost.mul, "UNSORTED_SEGMENT_MAX": OpCost.cmp,
        "UNSORTED_SEGMENT_MIN": OpCost.cmp, "REDUCE_WINDOW": OpCost.add, "STABLEHLO_REDUCE_WINDOW": OpCost.add,
        "STABLEHLO_REDUCE": OpCost.add,
    ]
    /// Operators that keep their first input's shape and cost nothing here.
    static let sameShape: Set<String> = ["ZEROS_LIKE", "ONES_LIKE", "LOGICAL_NOT", "REVERSE_V2", "IDENTITY"]
    /// Data movement and shape arithmetic: shapes only, no multiply-adds.
    static let free: Set<String> = [
        "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "CONCATENATION", "TRANSPOSE", "GATHER", "GATHER_ND", "PAD", "PADV2",
        "MIRROR_PAD", "SLICE", "STRIDED_SLICE", "SHAPE", "PACK", "UNPACK", "SPLIT", "SPLIT_V", "CAST", "TILE",
        "BROADCAST_TO", "REDUCE_PROD", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_ANY", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE",
        "FILL", "RANGE", "ZEROS_LIKE", "ONES_LIKE", "REVERSE_V2", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR",
        "ARG_MAX", "ARG_MIN", "LOGICAL_NOT", "IDENTITY", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "SCATTER_ND",
        // Densified once at load; resource variables; control flow (the called subgraphs carry the cost).
        "DENSIFY", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "IF", "WHILE", "CALL",
        // Lookups, tables, layout and type changes: reads and writes, no arithmetic.
        "EMBEDDING_LOOKUP", "HASHTABLE_LOOKUP", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "SPARSE_TO_DENSE", "ONE_HOT", "RANK",
        "REVERSE_SEQUENCE", "MATRIX_DIAG", "MATRIX_SET_DIAG", "IMAG", "REAL", "HASHTABLE", "HASHTABLE_FIND",
        "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "BROADCAST_ARGS", "DYNAMIC_UPDATE_SLICE", "BITCAST", "DILATE",
        "STABLEHLO_RESHAPE", "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_SLICE", "STABLEHLO_CONVERT",
        "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD", "STABLEHLO_IOTA", "STABLEHLO_GATHER",
        "STABLEHLO_TRANSPOSE",
        // Not an operator: the marker the schema keeps for codes above 127.
        "PLACEHOLDER_FOR_GREATER_OP_CODES",
    ]
    /// Operators with a rule of their own in `cost(of:index:)` (the tables above cover the rest).
    static let explicitRules: Set<String> = [
        "CONV_2D", "DEPTHWISE_CONV_2D", "CONV_3D", "TRANSPOSE_CONV", "FULLY_CONNECTED", "BATCH_MATMUL", "AVERAGE_POOL_2D",
        "MAX_POOL_2D", "L2_POOL_2D", "MEAN", "SUM", "CONV_3D_TRANSPOSE", "RFFT2D", "NON_MAX_SUPPRESSION_V4",
        "NON_MAX_SUPPRESSION_V5", "LSH_PROJECTION", "STABLEHLO_SCATTER", "STABLEHLO_SORT",
    ]
    /// Recurrent operators: their gates' activations are counted by the rule, not as a fused activation.
    static let recurrent: Set<String> = [
        "LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "RNN", "UNIDIRECTIONAL_SEQUENCE_RNN",
        "BIDIRECTIONAL_SEQUENCE_RNN", "SVDF",
    ]

    mutating func cost(of node: Node, index: Int) -> NodeCost {
        let label = "\(node.opType) #\(index)"
        let (rule, value) = infer(node)
        let outputs = node.outputs.filter { !$0.isEmpty }
        for (i, o) in outputs.enumerated() {
            let s = stored[o]
            let shape: [Int]?
            if let s, !s.signature.contains(-1) {
                shape = s.shape  // static: what the converter computed
            } else if i == 0, let rule {
                shape = rule
            } else if let s {
                // Dynamic with no rule: the inputs' dynamic value at the same axis (the batch), else the placeholder.
                shape = s.signature.enumerated().map { j, d in d >= 0 ? d : ((byAxis[j] ?? nil) ?? max(s.shape.indices.contains(j) ? s.shape[j] : 1, 1)) }
            } else {
                shape = nil
            }
            if let shape { shapes[o] = shape }
        }
        // Shape arithmetic only: small values (a chain of CONCATENATIONs must not grow them without bound).
        if let value, value.count <= 64, let o = outputs.first { values[o] = value }
        // A dequantized constant (float16 weights) is a weight the runtime expands once when it loads the
        // model: neither an activation nor a per-run cost.
        var loadTime = false
        if node.opType == "DEQUANTIZE" || node.opType == "DENSIFY", let i = node.inputs.first, constantNames.contains(i),
            let o = outputs.first
        {
            constantNames.insert(o)
            loadTime = true
        }

        let out = outputs.first.flatMap { shapes[$0] } ?? []
        let outVolume = Self.volume(out)
        let hasBias = node.inputs.count > 2 && !node.inputs[2].isEmpty
        var macs = 0
        switch loadTime ? "" : node.opType {
        case "": break
        case "CONV_2D":
            if let w = input(node, 1), w.count == 4 { macs = outVolume &* w[1] &* w[2] &* w[3] }
            if hasBias { macs &+= outVolume }
        case "DEPTHWISE_CONV_2D":
            if let w = input(node, 1), w.count == 4 { macs = outVolume &* w[1] &* w[2] }
            if hasBias { macs &+= outVolume }
        case "CONV_3D":
            if let w = input(node, 1), w.count == 5 { macs = outVolume &* w[0] &* w[1] &* w[2] &* w[3] }
            if hasBias { macs &+= outVolume }
        case "TRANSPOSE_CONV":
            if let x = input(node, 2), let w = input(node, 1), w.count == 4 { macs = Self.volume(x) &* w[0] &* w[1] &* w[2] }
            if node.inputs.count > 3, !node.inputs[3].isEmpty { macs &+= outVolume }
        case "FULLY_CONNECTED":
            if let w = input(node, 1), w.count == 2 { macs = outVolume &* w[1] }
            if hasBias { macs &+= outVolume }
        case "BATCH_MATMUL":
            if let a = input(node, 0), a.count >= 2 {
                macs = outVolume &* (int(node, "adj_x") != 0 ? a[a.count - 2] : a[a.count - 1])
            }
        case "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D":
            macs = outVolume &* int(node, "filter_height", 1) &* int(node, "filter_width", 1)
        case "MEAN", "SUM":
            macs = (input(node, 0).map(Self.volume) ?? 0) &* OpCost.add
        case "CONV_3D_TRANSPOSE":
            // Inputs: output shape, filter [D, H, W, out, in], input, bias: every input element times the window
            // and the output channels.
            if let x = input(node, 2), let w = input(node, 1), w.count == 5 { macs = Self.volume(x) &* w[0] &* w[1] &* w[2] &* w[3] }
            if node.inputs.count > 3, !node.inputs[3].isEmpty { macs &+= outVolume }
        case "LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "RNN", "UNIDIRECTIONAL_SEQUENCE_RNN",
            "BIDIRECTIONAL_SEQUENCE_RNN", "SVDF":
            macs = recurrentMACs(node)
        case "RFFT2D":
            // A real 2-D FFT of the last two axes: 2.5 N log2 N multiply-adds per transform of N points.
            if let x = input(node, 0), x.count >= 2 {
                let n = max(x[x.count - 1] &* x[x.count - 2], 1)
                let log2n = Int.bitWidth - n.leadingZeroBitCount
                macs = Self.volume(x) &* log2n &* 5 / 2
            }
        case "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5":
            // Every pair of the N boxes may be compared (an IoU: about 4 multiply-adds and a comparison).
            if let b = input(node, 0), let n = b.first { macs = n &* n &* (4 &* OpCost.mul &+ OpCost.cmp) }
        case "LSH_PROJECTION":
            // Each hash function of the [functions, bits] table hashes every input row.
            if let h = input(node, 0), let x = input(node, 1), let rows = x.first { macs = Self.volume(h) &* rows }
        case "STABLEHLO_SCATTER":
            macs = (input(node, 2).map(Self.volume) ?? 0) &* OpCost.add
        case "STABLEHLO_SORT":
            if let x = input(node, 0), let last = x.last, last > 1 {
                macs = Self.volume(x) &* (Int.bitWidth - last.leadingZeroBitCount) &* OpCost.cmp
            }
        default:
            if let c = Self.perOutput[node.opType] {
                macs = outVolume &* c
                break
            }
            if let c = Self.perInput[node.opType] {
                macs = (input(node, 0).map(Self.volume) ?? 0) &* c
                break
            }
            if let c = Self.binary[node.opType] {
                macs = outVolume &* c
            } else if let c = Self.unary[node.opType] {
                macs = outVolume &* c
            } else if !Self.free.contains(node.opType) && !Self.sameShape.contains(node.opType) {
                unresolved.append("\(label) (no cost rule)")
            }
        }
        switch Self.recurrent.contains(node.opType) ? 0 : int(node, "fused_activation_function") {
        case 1: macs &+= outVolume &* OpCost.cmp  // RELU
        case 2, 3: macs &+= outVolume &* 2 &* OpCost.cmp  // RELU_N1_TO_1, RELU6: a clip
        case 4: macs &+= outVolume &* 2 &* OpCost.tanh
        default: break
        }
        if outputs.contains(where: { shapes[$0] == nil }) { unresolved.append(label) }

        return NodeCost(index: index, node: node, macs: macs, outputs: outputs, shapes: shapes, constants: constantNames,
                        outputsAreConstant: outputs.contains(where: { constantNames.contains($0) }))
    }

    /// Recurrent layers, by their weight inputs (TFLite's kernels' input order): per step and batch row, every
    /// input and recurrent weight matrix and the projection once, plus, for LSTMs, each gate's sigmoid and the
    /// cell update (the ONNX rule's convention). Steps × batch is the input's volume over its last axis.
    func recurrentMACs(_ node: Node) -> Int {
        guard let x = input(node, 0), let features = x.last, features > 0 else { return 0 }
        let rows = Self.volume(x) / features  // time × batch (or batch alone for the single-step operators)
        func weights(_ idx: [Int]) -> Int { idx.reduce(0) { $0 &+ (input(node, $1).map(Self.volume) ?? 0) } }
        func lstm(_ gatesIn: [Int], _ gatesRec: [Int], projection: Int) -> Int {
            let cells = gatesRec.compactMap { input(node, $0)?.first }.first ?? 0
            let gates = gatesIn.filter { input(node, $0) != nil }.count
            let elementwise = gates &* cells &* (OpCost.exp + OpCost.div) &+ cells &* (OpCost.tanh + 3 * OpCost.mul)
            return rows &* (weights(gatesIn + gatesRec + [projection]) &+ elementwise)
        }
        switch node.opType {
        case "LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM":
            return lstm([1, 2, 3, 4], [5, 6, 7, 8], projection: 16)
        case "BIDIRECTIONAL_SEQUENCE_LSTM":
            return lstm([1, 2, 3, 4], [5, 6, 7, 8], projection: 16) &+ lstm([18, 19, 20, 21], [22, 23, 24, 25], projection: 33)
        case "RNN", "UNIDIRECTIONAL_SEQUENCE_RNN":
            let units = input(node, 1)?.first ?? 0
            return rows &* (weights([1, 2]) &+ units)
        case "BIDIRECTIONAL_SEQUENCE_RNN":
            let fw = input(node, 1)?.first ?? 0, bw = input(node, 5)?.first ?? 0
            return rows &* (weights([1, 2, 5, 6]) &+ fw &+ bw)
        case "SVDF":
            // Feature weights [filters, input] on the input, time weights [filters, memory] on the state.
            let filters = input(node, 1)?.first ?? 0
            return rows &* (weights([1, 2]) &+ filters)
        default:
            return 0
        }
    }
}
