import ModelFormats

/// How onnx2tf writes an ONNX recurrence (LSTM, GRU, RNN) in TFLite builtins beyond the lowering table's one WHILE
/// loop per direction, measured (`onnx_to_tflite.recurrences`): the cell once per step when a full-integer conversion
/// unrolls it, what a second direction adds, what an initial state given at run time adds. Counts by builtin. What
/// reads the sequence is shared by the recurrences reading one sequence (TensorFlow merges equal computations).
public struct RecurrentLowering: Sendable {
    public struct Cell: Sendable {
        /// One direction's builtins per step, unrolled.
        public var step: [String: Int]
        /// What TensorFlow's constant folding removes from the first step when the state starts at zero.
        public var zeroStateSaves: [String: Int]
        /// Without a bias, what it folds instead.
        public var noBias: NoBias? = nil
    }

    /// A recurrence without a bias (none, or a zero one; the driver gives one without a zero bias, which onnx2tf
    /// needs): TensorFlow folds its bias additions (x + 0) from the loop per direction, from each unrolled step, and
    /// the zero state's first step saves `zeroStateSaves` instead of the biased cell's.
    public struct NoBias: Sendable {
        public var loopSaves: [String: Int]
        public var stepSaves: [String: Int]
        public var zeroStateSaves: [String: Int]
    }

    /// What the counts were measured on.
    public var measured = ""
    public var cells: [String: Cell] = [:]
    /// Each node, either form: the TRANSPOSE of its output back to time-major, which a Transpose reading the output
    /// (directly or through a Squeeze) cancels.
    public var perNode: [String: Int] = [:]
    /// Unrolled, once per sequence (its UNPACK) and once per direction (the PACK of its outputs).
    public var unrolledPerSequence: [String: Int] = [:]
    public var unrolledPerDirection: [String: Int] = [:]
    /// A bidirectional node's reversal and join, as WHILE loops (and the sequence's reversal, once per sequence)
    /// and unrolled.
    public var bidirectionalLoop: [String: Int] = [:]
    public var bidirectionalLoopPerSequence: [String: Int] = [:]
    public var bidirectionalUnrolled: [String: Int] = [:]
    /// Per initial-state input given at run time, per direction: its direction's slice.
    public var givenState: [String: Int] = [:]
    /// A sequence of one step (a streaming model's): the node's transposition is a RESHAPE (it moves a dimension of
    /// size 1), so are the Transposes of the step axis before and after it, none cancelling; unrolled, no PACK.
    public var oneStepNode: [String: Int] = [:]
    public var oneStepDirection: [String: Int] = [:]
    public var oneStepTranspose: [String] = []

    public init() {}
}

extension Coverage {
    /// The builtins each recurrence of `nodes` becomes, by node index, and nothing for a batch-first Transpose
    /// (perm [1, 0, 2]) that only recurrences read (and Shapes): onnx2tf's recurrence moves its input batch-major
    /// itself, and the two transposes cancel. Per direction the lowering table's WHILE loop, or unrolled in a full-integer
    /// conversion; the states, the directions and the readers decide the rest (`RecurrentLowering`; measured on
    /// PyTorch's batch-first exports and Tests/Fixtures/targets/recurrent_forms.onnx).
    static func recurrences(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?,
        catalogue: Catalogue, fullInteger: Bool
    ) -> [Int: [String]] {
        let r = catalogue.recurrences
        let recurrent = recurrentOperators
        var out: [Int: [String]] = [:]
        // Sequences already unpacked (unrolled) or reversed (a bidirectional loop) by an earlier recurrence.
        var unpacked: Set<String> = [], reversed: Set<String> = []
        for (i, n) in nodes.enumerated() where recurrent.contains(n.opType) && isDefaultDomain(n) {
            guard case .some(.some(let loop)) = catalogue.lowering[n.opType], let x = n.inputs.first else { continue }
            let directions = n.recurrenceDirections
            // initial_h (and LSTM's initial_c): zero when absent or a zero constant (PyTorch expands zeros to the
            // batch), given when computed at run time.
            let states = n.inputs.count > 5 ? Array(n.inputs[5...].prefix(n.opType == "LSTM" ? 2 : 1)) : []
            let kinds = states.map { stateKind($0, nodes, links, model: model, tensors: tensors, analysis: analysis) }
            var counts: [String: Int] = [:]
            func add(_ c: [String: Int], times: Int = 1) { for (k, v) in c { counts[k, default: 0] &+= v &* times } }
            let length = sequenceLength(n, analysis: analysis)
            let oneStep = length == 1
            let noBias = isBiasless(n, model: model, tensors: tensors) ? r.cells[n.opType]?.noBias : nil
            if fullInteger, let cell = r.cells[n.opType] {
                // Capped: a file may claim any length, and 10,000 steps are already ~10⁵ builtins.
                let steps = min(max(length ?? 1, 1), 10_000)
                add(cell.step, times: steps &* directions)
                if let noBias { add(noBias.stepSaves.mapValues { -$0 }, times: steps &* directions) }
                if kinds.allSatisfy({ $0 == .zero }) {
                    add((noBias?.zeroStateSaves ?? cell.zeroStateSaves).mapValues { -$0 }, times: directions)
                }
                if unpacked.insert(x).inserted { add(r.unrolledPerSequence) }
                add(oneStep ? r.oneStepDirection : r.unrolledPerDirection, times: directions)
                if directions == 2 { add(r.bidirectionalUnrolled) }
            } else {
                for b in loop { counts[b, default: 0] &+= directions }
                if let noBias { add(noBias.loopSaves.mapValues { -$0 }, times: directions) }
                if directions == 2 {
                    add(r.bidirectionalLoop)
                    if reversed.insert(x).inserted { add(r.bidirectionalLoopPerSequence) }
                }
            }
            add(r.givenState, times: directions &* kinds.filter { $0 == .given }.count)
            let back = transposedBack(n, nodes, links)
            let batchFirst = links.producer[x].map { t in
                nodes[t].opType == "Transpose" && isDefaultDomain(nodes[t]) && nodes[t].attributes["perm"] == .ints([1, 0, 2])
            } ?? false
            if oneStep {
                add(r.oneStepNode)
            } else if back == nil, !batchFirst, directions == 1, let s = squeezedOut(n, nodes, links) {
                // Time-major in and out, one direction (a batch_first=False export): neither the transposition back
                // nor the Squeeze of the direction axis is written (measured: nn.LSTM, nn.GRU and nn.RNN exports).
                out[s] = []
            } else if back == nil {
                add(r.perNode)
            }
            out[i] = counts.keys.sorted().flatMap { k in Array(repeating: k, count: max(counts[k] ?? 0, 0)) }
            if oneStep, let t = back { out[t] = r.oneStepTranspose }
            // The batch-first Transpose before it.
            if batchFirst, let t = links.producer[x], !links.graphOutputs.contains(x),
               // A Shape reading it too (PyTorch's zero state takes the batch from it) is folded at fixed shapes.
               links.readers[x]?.allSatisfy({
                   nodes[$0].opType == "Shape" || recurrent.contains(nodes[$0].opType) && nodes[$0].inputs.first == x
               }) == true
            {
                out[t] = oneStep ? r.oneStepTranspose : []
            }
        }
        return out
    }

    /// A recurrence without a bias B, or with a constant one of zeros (measured the same: TensorFlow folds x + 0).
    static func isBiasless(_ n: Node, model: Model, tensors: [String: ConstantTensor]) -> Bool {
        guard n.inputs.count > 3, !n.inputs[3].isEmpty else { return true }
        guard let b = tensors[n.inputs[3]], b.elementCount <= 1 << 20 else { return false }
        return (try? model.withFloat32Values(of: b) { $0.allSatisfy { $0 == 0 } }) ?? false
    }

    /// The Squeeze that alone reads the recurrence's output Y.
    static func squeezedOut(_ n: Node, _ nodes: [Node], _ links: NodeLinks) -> Int? {
        guard let y = n.outputs.first, !y.isEmpty, !links.graphOutputs.contains(y), let r = links.readers[y], r.count == 1,
              nodes[r[0]].opType == "Squeeze" else { return nil }
        return r[0]
    }

    /// The Transpose that alone reads the recurrence's output Y, directly or through a Squeeze only it reads.
    static func transposedBack(_ n: Node, _ nodes: [Node], _ links: NodeLinks) -> Int? {
        guard let y = n.outputs.first, !y.isEmpty, !links.graphOutputs.contains(y), let r = links.readers[y], r.count == 1 else {
            return nil
        }
        let reader = nodes[r[0]]
        if reader.opType == "Transpose" { return r[0] }
        guard reader.opType == "Squeeze", let s = reader.outputs.first, !links.graphOutputs.contains(s),
              let after = links.readers[s], after.count == 1, nodes[after[0]].opType == "Transpose" else { return nil }
        return after[0]
    }

    enum RecurrentState { case zero, constant, given }

    static func stateKind(
        _ v: String, _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor],
        analysis: GraphAnalysis?
    ) -> RecurrentState {
        if v.isEmpty { return .zero }
        func zeros(_ name: String) -> Bool? {
            guard let t = tensors[name] else { return nil }
            return (try? model.withFloat32Values(of: t) { $0.allSatisfy { $0 == 0 } }) ?? false
        }
        if let z = zeros(v) { return z ? .zero : .constant }
        if analysis?.boundInputs.contains(v) == true { return .constant }
        guard let p = links.producer[v] else { return .given }
        let maker = nodes[p]
        switch maker.opType {
        case "Expand":
            // Zeros expanded to a shape: onnxsim folds it when the shape is fixed (PyTorch's zero state).
            if let z = maker.inputs.first.flatMap(zeros) { return z ? .zero : .constant }
        case "ConstantOfShape":
            switch maker.attributes["value"] {
            case nil: return .zero
            case .integers(let v)?: return v.allSatisfy { $0 == 0 } ? .zero : .constant
            default: return .constant
            }
        default: break
        }
        return .given
    }

    /// The number of steps: the sequence input's first dimension, its second in batch-major layout (`layout` 1).
    static func sequenceLength(_ n: Node, analysis: GraphAnalysis?) -> Int? {
        guard let x = n.inputs.first, let shape = analysis?.shapes[x], shape.count == 3 else { return nil }
        let batchMajor: Bool
        if case .int(1)? = n.attributes["layout"] { batchMajor = true } else { batchMajor = false }
        let d = shape[batchMajor ? 1 : 0]
        return d > 0 ? d : nil
    }
}

extension Coverage {
    /// The ONNX recurrences, which onnx2tf writes as Keras RNN layers.
    public static let recurrentOperators: Set<String> = ["LSTM", "GRU", "RNN"]

    /// The builtins each recurrence becomes, by graph and node index: per direction a WHILE loop, or unrolled in a
    /// full-integer conversion; with its steps, its sequence (the value it reads) and whether it has a bias other than
    /// zeros. The lowering `check` counts (`recurrences`), which the artifact's size model prices (`ONNXTFLiteSize`).
    /// Every graph holding one: a branch reads the constants of the main graph too.
    public static func loweredRecurrences(model: Model, analysis: GraphAnalysis?, catalogue: Catalogue, fullInteger: Bool)
        -> [Int: [Int: (builtins: [String], steps: Int, sequence: String, biased: Bool)]]
    {
        let recurrent = recurrentOperators
        var main: [String: ConstantTensor] = [:]
        for t in model.tensors where t.graph == 0 { main[t.name] = t }
        var out: [Int: [Int: (builtins: [String], steps: Int, sequence: String, biased: Bool)]] = [:]
        for (g, graph) in model.graphs.enumerated() where graph.nodes.contains(where: { recurrent.contains($0.opType) }) {
            var tensors = main
            if g > 0 { for t in model.tensors where t.graph == g { tensors[t.name] = t } }
            let outputs = g == 0 ? Set(model.outputs.map(\.name)) : Set(graph.outputs.map(\.name))
            let lowered = recurrences(graph.nodes, NodeLinks(graph.nodes, outputs: outputs), model: model, tensors: tensors,
                                      analysis: analysis, catalogue: catalogue, fullInteger: fullInteger)
            for (i, b) in lowered where graph.nodes.indices.contains(i) && recurrent.contains(graph.nodes[i].opType) {
                let n = graph.nodes[i]
                out[g, default: [:]][i] = (b, sequenceLength(n, analysis: analysis) ?? 1, n.inputs.first ?? "",
                                           !isBiasless(n, model: model, tensors: tensors))
            }
        }
        return out
    }
}
