import Compression
import ModelFormats

/// The size of the .tflite onnx2tf and TensorFlow's converter write from an ONNX model (the onnx2tf paths: float32,
/// float16, dynamic range, and full integer calibrated on the manifest's samples), predicted from the ONNX graph and
/// its weights with the byte model of `KerasTFLiteSize` (the same converter writes both files).
///
/// How the ONNX graph maps to TFLite operators:
/// - what reads only constants is computed at conversion time and writes nothing: Constant nodes, Shape (the
///   manifest fixes the input shapes) and the arithmetic on its result, a bias reshaped to broadcast;
/// - an Add, Sub, Mul or Div of a constant that is the only reader of a convolution or matrix product folds into its
///   bias or kernel; HardSwish written out (x · Clip(x + 3, 0, 6) / 6, or x · HardSigmoid(x)) is one HARD_SWISH;
/// - an activation TFLite fuses (Relu; Clip to [0, 6] or [0, ∞); Tanh) that is the only reader of a layer that
///   takes a fused activation (Conv, ConvTranspose, Gemm, MatMul, Add, Sub, Mul) leaves no operator;
/// - a BatchNormalization that is the only reader of a convolution folds into its kernel and bias (a new bias vector
///   when the convolution had none);
/// - Identity, Dropout, and a Flatten or Reshape right before a Gemm or a MatMul of a constant matrix
///   (FULLY_CONNECTED flattens its input) write nothing; a strided, padded convolution or pool two (an explicit PAD first); every other node one.
/// Every graph counts (an If's branches and a Loop's body are TFLite subgraphs), except an If branch the fixed input
/// sizes and values never take (`notRun`: onnxsim inlines the branch taken). Weights are the float
/// initializers and Constant-node tensors: kernels (2-D and up) with their output channels
/// (Conv: axis 0; ConvTranspose: axis 1 × group; Gemm: by transB; MatMul: the last axis), vectors as biases.
/// Dynamic range: kernels of at least `KerasTFLiteSize.minElementsForWeights` elements in int8, a scale per output
/// channel (or one, per tensor). Measured against onnx2tf 1.29.24 + TensorFlow 2.19 on the bundled keyword spotter
/// and classifier, a Paddle-style fixture and three real exports (Tests/EstimationTests/ONNXTFLiteSizeSpecs.swift
/// and Tests/integration/test_onnx_tflite.py hold the figures).
public enum ONNXTFLiteSize {
    static let fusing: Set<String> = ["Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul"]
    static let vanishing: Set<String> = ["Identity", "Dropout"]

    /// Whether a branch onnxsim removes takes the tensor with it: it belongs to a graph never run, or only such
    /// graphs read it.
    public static func removed(_ t: ConstantTensor, notRun: Set<Int>) -> Bool {
        !notRun.isEmpty && (notRun.contains(t.graph) || (!t.consumers.isEmpty && t.consumers.allSatisfy { notRun.contains($0.graph) }))
    }

    /// `perTensor`: one weight scale per kernel (`granularity: per-tensor`) instead of one per output channel.
    /// `notRun`: the graphs (by index) of If branches the fixed input sizes and values never take: onnxsim, which
    /// onnx2tf runs at those sizes first, replaces each such If by the branch taken, so the other branch's nodes and
    /// weights are not in the file and the If writes no operator (`GraphAnalysis`' `graphsNotRun`).
    /// `inputShapes`: the input shapes the converter is given (the manifest's), over the file's.
    /// `recurrences`: what each recurrence becomes in this mode's conversion (by graph and node index), a WHILE loop per
    /// direction or, full integer, unrolled: the lowering `check` counts (Targets' `Coverage.loweredRecurrences`).
    public static func predict(model: Model, mode: KerasTFLiteSize.Mode, integerIO: Bool = false, perTensor: Bool = false,
                               notRun: Set<Int> = [], inputShapes: [String: [Int]] = [:],
                               recurrences: [Int: [Int: LoweredRecurrence]] = [:]) -> Int {
        predict(lower(model, notRun: notRun), mode: mode, integerIO: integerIO, perTensor: perTensor, inputShapes: inputShapes,
                recurrences: recurrences)
    }

    /// A recurrence as the conversion writes it: how many builtins it becomes (the node's own one among them), over
    /// how many steps of which sequence (unrolled, recurrences reading one sequence share its UNPACK).
    public struct LoweredRecurrence: Sendable, Equatable {
        public var builtins: Int
        public var steps: Int
        public var sequence: String
        /// Whether it has a bias other than zeros (TensorFlow folds a zero one away).
        public var biased: Bool
        public init(builtins: Int, steps: Int, sequence: String, biased: Bool) {
            self.builtins = builtins
            self.steps = steps
            self.sequence = sequence
            self.biased = biased
        }
    }

    /// The model's graphs as onnx2tf writes them, whatever the mode: what every target converted from one model with
    /// the same untaken branches (`notRun`) shares, computed once for all of them.
    public struct Lowered: Sendable {
        let model: Model
        let notRun: Set<Int>
        let graphs: [Graph]
        /// Constants by name, indexed once: the normalisations' channels and the Clips' bounds are looked up in it.
        let constants: [String: ConstantTensor]
    }

    /// Every graph of `model` as onnx2tf writes it (an If's branches and a Loop's body become TFLite subgraphs), the
    /// graphs in `notRun` empty and the Ifs they belong to inlined.
    public static func lower(_ model: Model, notRun: Set<Int> = []) -> Lowered {
        // Every graph: an If's branches and a Loop's body become TFLite subgraphs with their own operators.
        var constants: [String: ConstantTensor] = [:]
        for t in model.tensors where constants[t.name] == nil { constants[t.name] = t }
        var graphs = model.graphs.enumerated().map { g, graph in
            Graph(nodes: notRun.contains(g) ? [] : graph.nodes, model: model, constants: constants)
        }
        // An If whose untaken branch is gone is inlined: its taken branch's nodes are counted where they are.
        if !notRun.isEmpty {
            for g in graphs.indices {
                for (i, n) in graphs[g].nodes.enumerated() where n.opType == "If" {
                    let branches = ["then_branch", "else_branch"].compactMap { a -> Int? in
                        if case .graph(let b)? = n.attributes[a] { return b }
                        return nil
                    }
                    if branches.contains(where: notRun.contains) { graphs[g].gone.insert(i) }
                }
            }
        }
        return Lowered(model: model, notRun: notRun, graphs: graphs, constants: constants)
    }

    /// The size of the file `lowered`'s model converts to in `mode`.
    public static func predict(_ lowered: Lowered, mode: KerasTFLiteSize.Mode, integerIO: Bool = false, perTensor: Bool = false,
                               inputShapes: [String: [Int]] = [:], recurrences: [Int: [Int: LoweredRecurrence]] = [:]) -> Int {
        let (model, notRun, graphs, constants) = (lowered.model, lowered.notRun, lowered.graphs, lowered.constants)
        var written = graphs.reduce(0) { $0 + $1.written }
        var bytes = KerasTFLiteSize.fileBytes + written &* KerasTFLiteSize.operatorBytes
        // The converter stores equal constants once: one int32 [4, 2] paddings tensor per distinct padding.
        let paddings = Set(graphs.flatMap(\.padShapes)).count
        var tensors = written + model.inputs.count + paddings
        bytes += paddings &* 32
        // A recurrence: the builtins the lowering counts for it. As WHILE loops (one per direction, each with its
        // condition and body subgraphs, the body's constants, and the output TensorArray it fills); unrolled, for a
        // calibrated conversion, each builtin with its quantized output, and per sequence its UNPACK's names.
        for (gi, g) in graphs.enumerated() {
            var unpacked: Set<String> = []
            for (i, n) in g.nodes.enumerated() {
                guard let loop = TFLiteRules.size.loops[n.opType], let r = recurrences[gi]?[i] else { continue }
                let d = n.recurrenceDirections
                if mode == .fullInteger {
                    let s = min(max(r.steps, 1), 10_000)
                    bytes &+= r.builtins &* (TFLiteRules.size.unrolledOperatorBytes[n.opType] ?? 0)
                    // A biased cell's per-step int32 biases (each step's input has its own scale): hidden_size each.
                    if r.biased, case .int(let hidden)? = n.attributes["hidden_size"] {
                        let perStep = TFLiteRules.size.unrolledBiasTensors[n.opType] ?? 0
                        bytes &+= s &* d &* perStep &* Int(clamping: min(max(hidden, 0), 1 << 24)) &* 4
                    }
                    if unpacked.insert(r.sequence).inserted { bytes &+= s &* s &* TFLiteRules.size.unstackNameBytes }
                    continue
                }
                // The node's builtins beyond the one operator its graph counts for it, each writing a tensor; per
                // direction the condition's tensors and the body's constants (the node's weights, counted with the
                // model's, aside; the bias's only when it has one other than zeros: a zero one folds).
                let more = max(r.builtins &- 1, 0)
                let weights = n.inputs.dropFirst().filter { constants[$0] != nil }.count
                let constantsPerLoop = TFLiteRules.size.conditionTensors &+ loop.bodyConstantTensors &- weights
                    &- (r.biased ? 0 : loop.biasTensors)
                written &+= more
                bytes &+= more &* KerasTFLiteSize.operatorBytes &+ 2 &* TFLiteRules.size.subgraphBytes &* d
                tensors &+= more &+ max(constantsPerLoop, 0) &* d
                bytes &+= outputElements(n, model: model, producer: g.producer, inputShapes: inputShapes) &* 4
            }
        }
        // A folded normalisation gives a convolution without a bias one of the normalisation's channels.
        for channels in graphs.flatMap(\.newBiases) {
            tensors += 1
            switch mode {
            case .float32, .dynamicRange: bytes += channels &* 4
            case .float16: bytes += channels &* 2; tensors += 1
            case .fullInteger: bytes += integerWeightBytes(elements: channels, channels: channels, kernel: false, perTensor: perTensor)
            }
        }
        for t in model.tensors where t.dtype.isFloatingPoint && t.sharedWith == nil {
            if removed(t, notRun: notRun) { continue }
            let readers = t.consumers.compactMap { c -> (graph: Int, node: Int)? in
                c.graph < graphs.count && c.node < graphs[c.graph].nodes.count ? (c.graph, c.node) : nil
            }
            let readerOps = readers.map { graphs[$0.graph].nodes[$0.node] }
            // A Clip's bounds become the fused activation or the operator's own options, not tensors.
            if !readerOps.isEmpty, readerOps.allSatisfy({ $0.opType == "Clip" }) { continue }
            // A scalar only folded nodes read (a HardSwish's 3 and 6, shape arithmetic) is folded with them.
            if t.elementCount <= 1, !readers.isEmpty, readers.allSatisfy({ graphs[$0.graph].gone.contains($0.node) }) { continue }
            // A BatchNormalization's four vectors: folded into the convolution's bias, or one scale and one offset.
            let norm = readerOps.contains { $0.opType == "BatchNormalization" }
            if norm, readers.allSatisfy({ graphs[$0.graph].gone.contains($0.node) }) { continue }
            let elements = norm ? (t.elementCount + 1) / 2 : t.elementCount
            let kernel = t.shape.count >= 2
            tensors += 1
            switch mode {
            case .float32:
                bytes += elements &* 4
            case .dynamicRange:
                // Kernels of at least minElementsForWeights elements in int8 with a scale per output channel;
                // smaller ones, vectors and a normalisation's scale and offset stay float32.
                if KerasTFLiteSize.keptFloat(t) || norm {
                    bytes += elements &* 4
                } else {
                    bytes += elements &+ KerasTFLiteSize.quantizedTensorBytes
                        &+ (perTensor ? 1 : outputChannels(t, readers: readerOps)) &* KerasTFLiteSize.groupBytes
                }
            case .float16:
                // Each float16 weight is read through a DEQUANTIZE to float32 (an operator and its output).
                bytes += elements &* 2 &+ KerasTFLiteSize.operatorBytes
                tensors += 1
            case .fullInteger:
                if let r = readerOps.first, TFLiteRules.size.loops[r.opType] != nil, r.inputs.count > 3, r.inputs[3] == t.name {
                    // A recurrence's B (Wb then Rb per gate row): one int32 bias per gate row, their sum.
                    bytes += integerWeightBytes(elements: elements / 2, channels: elements / 2, kernel: false, perTensor: perTensor)
                    continue
                }
                let channels = kernel ? outputChannels(t, readers: readerOps) : elements
                bytes += integerWeightBytes(elements: elements, channels: channels, kernel: kernel, perTensor: perTensor)
            }
        }
        if mode == .fullInteger {
            let (t, b) = KerasTFLiteSize.integerActivations(model: model, written: written, integerIO: integerIO)
            tensors += t
            bytes += b
        }
        return bytes &+ tensors &* KerasTFLiteSize.tensorBytes
    }

    /// A recurrent node as onnx2tf writes it: a Keras RNN layer, which TensorFlow's converter lowers to a WHILE loop
    /// per direction with a condition subgraph (one LESS over `conditionTensors` tensors) and a body holding the cell's
    /// builtins and `bodyConstantTensors` tensors no builtin writes (the node's weights among them; the bias's
    /// `biasTensors` only with a bias other than zeros), filling a TensorArray: a float32 constant of steps × batch ×
    /// hidden; unrolled (the driver's `enable_rnn_unroll` for calibrated conversions: TensorFlow's calibrator crashes
    /// on the WHILE loop onnx2tf writes otherwise), each builtin with its quantized output and name, a biased GRU's
    /// per-step int32 biases, and per sequence the UNPACK giving each step's slice the joined names of all of them
    /// (`model/rnn/unstack;model/rnn/unstack1;…`): steps² × `unstackNameBytes`. The builtins, either way, are those the
    /// lowering `check` uses counts (`recurrences`); the figures, and what they were fitted on, are
    /// `artifact_size.recurrences` in Schemas/conversion/tflite.json (`TFLiteRules.size`).

    /// The elements of a recurrent node's TensorArray, steps × batch × hidden (× 2 when bidirectional), when its input
    /// X is a graph input of fixed shape or that transposed (torch.onnx.export's batch_first): 0 otherwise.
    static func outputElements(_ n: Node, model: Model, producer: (String) -> Node?, inputShapes: [String: [Int]] = [:]) -> Int {
        guard case .int(let hidden)? = n.attributes["hidden_size"],
              let (steps, batch) = sequence(n, model: model, producer: producer, inputShapes: inputShapes) else { return 0 }
        return steps &* batch &* Int(hidden) &* n.recurrenceDirections
    }

    /// A recurrent node's steps and batch, when its input X is a graph input of fixed shape or that transposed.
    static func sequence(_ n: Node, model: Model, producer: (String) -> Node?, inputShapes: [String: [Int]] = [:]) -> (steps: Int, batch: Int)? {
        guard let x = n.inputs.first else { return nil }
        var name = x
        var perm: [Int]? = nil
        if let p = producer(x), p.opType == "Transpose", case .ints(let ps)? = p.attributes["perm"], let i = p.inputs.first {
            name = i
            perm = ps.map { Int($0) }
        }
        var dims: [Int] = []
        if let given = inputShapes[name] {
            dims = given
        } else {
            guard let shape = model.inputs.first(where: { $0.name == name })?.shape else { return nil }
            for d in shape { guard case .fixed(let v) = d else { return nil }; dims.append(v) }
        }
        guard dims.count == 3 else { return nil }
        if let perm, perm.count == 3, perm.allSatisfy({ (0..<3).contains($0) }) { dims = perm.map { dims[$0] } }
        var layout = 0
        if case .int(let l)? = n.attributes["layout"] { layout = Int(l) }
        return layout == 0 ? (dims[0], dims[1]) : (dims[1], dims[0])
    }

    /// One ONNX graph as onnx2tf writes it: the nodes that leave no operator (`gone`), the explicit PADs it adds,
    /// and the channels of the bias each folded normalisation gives a convolution that had none.
    struct Graph: Sendable {
        var nodes: [Node]
        var gone: Set<Int> = []
        var pads = 0
        var newBiases: [Int] = []
        /// The `pads` of each convolution or pool that gets an explicit PAD.
        var padShapes: [[Int64]] = []
        /// The node (by index) that writes each value.
        var producerIndex: [String: Int] = [:]
        var written: Int { nodes.count - gone.count + pads }
        /// The node that writes `value`.
        func producer(_ value: String) -> Node? { producerIndex[value].map { nodes[$0] } }

        init(nodes: [Node], model: Model, constants: [String: ConstantTensor]) {
            self.nodes = nodes
            var producer: [String: Int] = [:]
            var readers: [String: [Int]] = [:]
            for (i, n) in nodes.enumerated() {
                for o in n.outputs where !o.isEmpty { producer[o] = i }
                for v in n.inputs where !v.isEmpty { readers[v, default: []].append(i) }
            }
            func soleProducer(_ n: Node) -> Int? {
                guard let v = n.inputs.first, let p = producer[v], readers[v]?.count == 1 else { return nil }
                return p
            }
            // Constant folding: the converter computes at conversion time what reads only constants — a Constant
            // node, a bias reshaped to broadcast, the shape arithmetic on the manifest's fixed input shapes (Shape,
            // then Slice, Cast, Concat …): such a node writes no operator.
            var constant = Set(constants.keys)
            for (i, n) in nodes.enumerated() {
                let ins = n.inputs.filter { !$0.isEmpty }
                guard n.opType == "Constant" || n.opType == "Shape" || (!ins.isEmpty && ins.allSatisfy(constant.contains))
                else { continue }
                gone.insert(i)
                for o in n.outputs where !o.isEmpty { constant.insert(o) }
            }
            func constantOperand(_ n: Node) -> Bool { n.inputs.count == 2 && n.inputs.contains(where: constant.contains) }
            func variableInput(_ n: Node) -> String? { n.inputs.first { !$0.isEmpty && !constant.contains($0) } }
            func soleProducerOfVariable(_ n: Node) -> Int? {
                guard let v = variableInput(n), let p = producer[v], readers[v]?.count == 1 else { return nil }
                return p
            }
            // HardSwish written out, x · Clip(x + 3, 0, 6) / 6 (or · 1/6, or x · HardSigmoid(x)): one HARD_SWISH.
            for (i, n) in nodes.enumerated() where (n.opType == "Div" || n.opType == "Mul") && constantOperand(n) && !gone.contains(i) {
                guard let m = soleProducerOfVariable(n), nodes[m].opType == "Mul", !constantOperand(nodes[m]) else { continue }
                let ins = nodes[m].inputs
                guard ins.count == 2, let gate = ins.firstIndex(where: { producer[$0].map { nodes[$0].opType == "Clip" } ?? false }),
                      let clip = producer[ins[gate]], readers[ins[gate]]?.count == 1,
                      let add = soleProducer(nodes[clip]), nodes[add].opType == "Add", constantOperand(nodes[add]),
                      variableInput(nodes[add]) == ins[1 - gate] else { continue }
                gone.formUnion([i, clip, add])
            }
            for n in nodes where n.opType == "Mul" && n.inputs.count == 2 {
                guard let g = n.inputs.firstIndex(where: { producer[$0].map { nodes[$0].opType == "HardSigmoid" } ?? false }),
                      let h = producer[n.inputs[g]], readers[n.inputs[g]]?.count == 1,
                      nodes[h].inputs.first == n.inputs[1 - g],
                      case .float(let alpha)? = nodes[h].attributes["alpha"], abs(alpha - 1.0 / 6) < 1e-3 else { continue }
                gone.insert(h)
            }
            // An Add, Sub, Mul or Div of a constant that is the only reader of a convolution or matrix product (or
            // of the normalisation folded into one) folds into its bias or kernel.
            let folding: Set<String> = ["Conv", "ConvTranspose", "Gemm", "MatMul"]
            func foldsInto(_ p: Int) -> Bool {
                if folding.contains(nodes[p].opType) { return true }
                guard nodes[p].opType == "BatchNormalization", let q = soleProducer(nodes[p]) else { return false }
                return nodes[q].opType == "Conv" || nodes[q].opType == "ConvTranspose"
            }
            for (i, n) in nodes.enumerated() where ["Add", "Sub", "Mul", "Div"].contains(n.opType) && !gone.contains(i) {
                guard constantOperand(n), let p = soleProducerOfVariable(n), foldsInto(p) else { continue }
                gone.insert(i)
            }
            for (i, n) in nodes.enumerated() where !gone.contains(i) {
                switch n.opType {
                case _ where vanishing.contains(n.opType):
                    gone.insert(i)
                case "Flatten", "Reshape":
                    // FULLY_CONNECTED flattens its input: a Gemm's, or a MatMul's of a constant 2-D matrix.
                    guard let out = n.outputs.first, let r = readers[out], r.count == 1 else { continue }
                    let reader = nodes[r[0]]
                    if reader.opType == "Gemm" || (reader.opType == "MatMul" && reader.inputs.count == 2
                        && constants[reader.inputs[1]]?.shape.count == 2) { gone.insert(i) }
                case "BatchNormalization":
                    guard let p = soleProducer(n), nodes[p].opType == "Conv" || nodes[p].opType == "ConvTranspose" else { continue }
                    gone.insert(i)
                    if nodes[p].inputs.count < 3 || nodes[p].inputs[2].isEmpty {
                        let scale = n.inputs.count > 1 ? n.inputs[1] : ""
                        newBiases.append(constants[scale]?.elementCount ?? 0)
                    }
                case "Relu", "Tanh", "Clip":
                    guard fusable(n, model: model, constants: constants), var p = soleProducer(n) else { continue }
                    // Through what folded into the layer before: its normalisation, its bias or scale.
                    while gone.contains(p), let q = soleProducerOfVariable(nodes[p]) { p = q }
                    if fusing.contains(nodes[p].opType), !gone.contains(p) { gone.insert(i) }
                default:
                    continue
                }
            }
            // A strided convolution or pool with padding: TFLite's SAME pads a stride-2 input at the end only, so
            // onnx2tf writes the ONNX padding as an explicit PAD before it (an operator, its paddings, its output).
            for n in nodes {
                guard n.opType == "Conv" || n.opType == "MaxPool" || n.opType == "AveragePool",
                      case .ints(let strides)? = n.attributes["strides"], strides.contains(where: { $0 > 1 }),
                      case .ints(let p)? = n.attributes["pads"], p.contains(where: { $0 > 0 }) else { continue }
                padShapes.append(p)
            }
            pads = padShapes.count
            producerIndex = producer
        }
    }

    /// Whether TFLite fuses the activation into the layer before: Relu and Tanh, and a Clip to [0, 6] (RELU6) or
    /// [0, ∞) (RELU), its bounds as attributes (before opset 11) or constant inputs.
    static func fusable(_ n: Node, model: Model, constants: [String: ConstantTensor]) -> Bool {
        guard n.opType == "Clip" else { return true }
        guard let (low, high) = model.clipBounds(n, constant: { constants[$0] }) else { return false }
        return low == 0 && (high == 6 || high == .infinity)
    }

    /// A full-integer weight (`KerasTFLiteSize.integerWeightBytes`); per tensor, a kernel has one scale and so has
    /// its int32 bias (its input's scale times the kernel's one), instead of one per channel.
    static func integerWeightBytes(elements: Int, channels: Int, kernel: Bool, perTensor: Bool) -> Int {
        guard perTensor else { return KerasTFLiteSize.integerWeightBytes(elements: elements, channels: channels, kernel: kernel) }
        return elements &* (kernel ? 1 : 4) &+ KerasTFLiteSize.quantizedTensorBytes &+ KerasTFLiteSize.groupBytes
    }

    /// The output channels a kernel's scales go to, by the operator that reads it.
    static func outputChannels(_ t: ConstantTensor, readers: [Node]) -> Int {
        guard let r = readers.first else { return max(t.shape.first ?? 1, 1) }
        switch r.opType {
        case "ConvTranspose":
            var group = 1
            if case .int(let g)? = r.attributes["group"] { group = Int(clamping: g) }
            return max(t.shape.count > 1 ? t.shape[1] &* max(group, 1) : 1, 1)
        case "Gemm":
            var transB = false
            if case .int(let v)? = r.attributes["transB"] { transB = v != 0 }
            return max(transB ? t.shape[0] : t.shape.last ?? 1, 1)
        case "MatMul":
            return max(t.shape.last ?? 1, 1)
        case "LSTM", "GRU", "RNN":
            // W and R, [directions, gates × hidden, ·]: a scale per gate row.
            return max(t.shape.count > 1 ? t.shape[1] : 1, 1)
        default:
            return max(t.shape.first ?? 1, 1)
        }
    }
}
