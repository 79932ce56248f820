import JSON
import ModelFormats

/// What one node costs: multiply-accumulates, the bytes of the constants it reads, and the elements of the
/// activations it reads and writes. Element counts, not bytes, so that a target's precision can be applied
/// later (the same model is float16 on one target and int8 on another).
public struct NodeCost: Sendable, Hashable {
    public var index: Int
    public var name: String
    public var opType: String
    public var domain: String
    public var macs: Int
    /// Stored elements of the constant inputs (weights, biases).
    public var parameterElements: Int
    public var inputElements: Int
    public var outputElements: Int
    /// Shapes of the outputs; nil where inference gave up.
    public var outputShapes: [[Int]?]
    /// The largest rank among the node's inputs and outputs (for delegates with a rank limit).
    public var maxRank: Int
}

extension NodeCost {
    /// A node's cost from the shapes inference found: constant inputs count as parameters, the others as
    /// activations read. `outputsAreConstant`: outputs computed once at load (TFLite's dequantized
    /// float16 weights) are no activation written per run.
    init(index: Int, node: Node, macs: Int, outputs: [String], shapes: [String: [Int]], constants: Set<String>,
         outputsAreConstant: Bool = false) {
        var params = 0
        var activationsIn = 0
        for v in node.inputs where !v.isEmpty {
            let n = shapes[v].map(Shapes.volume) ?? 0
            if constants.contains(v) { params &+= n } else { activationsIn &+= n }
        }
        let outShapes = outputs.map { shapes[$0] }
        let ranks = node.inputs.compactMap { shapes[$0]?.count } + outShapes.compactMap { $0?.count }
        self.init(
            index: index, name: node.name, opType: node.opType, domain: node.domain, macs: macs,
            parameterElements: params, inputElements: activationsIn,
            outputElements: outputsAreConstant ? 0 : outShapes.reduce(0) { $0 &+ ($1.map(Shapes.volume) ?? 0) },
            outputShapes: outShapes, maxRank: ranks.max() ?? 0)
    }
}

extension NodeCost {
    /// The same figures from shapes already at hand: `inputShapes` by input position (nil: unknown or omitted,
    /// so the node's own input list is not read again), `outputShapes` of the non-empty outputs.
    /// `inputIsConstant(i)`: whether input `i` is a stored constant (asked, not passed as an array: one fewer
    /// allocation per node). The node's names, not the node: an initializer's argument is a copy, and copying a
    /// node retains its operand lists, a cache miss each on a large graph.
    init(index: Int, name: String, opType: String, domain: String, macs: Int, inputShapes: [[Int]?], inputIsConstant: (Int) -> Bool,
         outputShapes: [[Int]?]) {
        var params = 0
        var activationsIn = 0
        var rank = 0
        for i in inputShapes.indices {
            guard let s = inputShapes[i] else { continue }
            rank = max(rank, s.count)
            let n = Shapes.volume(s)
            if inputIsConstant(i) { params &+= n } else { activationsIn &+= n }
        }
        var written = 0
        for s in outputShapes {
            guard let s else { continue }
            rank = max(rank, s.count)
            written &+= Shapes.volume(s)
        }
        self.init(
            index: index, name: name, opType: opType, domain: domain, macs: macs,
            parameterElements: params, inputElements: activationsIn, outputElements: written,
            outputShapes: outputShapes, maxRank: rank)
    }
}

/// Shape inference and costs over a model's main graph. MAC conventions follow onnx-tool (one MAC per
/// multiply-add in Conv/Gemm/MatMul, plus its per-element weights for element-wise operators: exp 32,
/// division 4, square root 24, comparisons 1), so that the counts can be checked against it.
public struct GraphAnalysis: Sendable {
    public var nodes: [NodeCost]
    /// Shapes of every value whose shape is known (graph inputs, constants, node outputs).
    public var shapes: ValueShapes
    /// Nodes whose output shapes could not be inferred (an operator without a rule here, or unknown inputs).
    public var unresolved: [String]
    /// Symbolic or unknown input dimensions that were taken as 1 because neither the model nor the caller fixed them.
    public var assumedDimensions: [String]
    /// The same dimensions by graph input, as axes (an ONNX graph's inputs of known rank; empty for other formats).
    public var freeInputAxes: [String: [Int]] = [:]
    /// The graph inputs of unknown rank (an ONNX graph's; each also in `assumedDimensions`).
    public var unknownRankInputs: Set<String> = []
    /// Where those dimensions reach (`freeAxes(of:model:)`); nil when there are none or the format is not walked so.
    var freeReach: FreeDimensionReach? = nil
    public var totalMACs: Int
    /// Elements of every stored constant.
    public var parameterElements: Int
    /// The largest sum of live activation elements at any step of a topological walk.
    public var peakActivationElements: Int

    public var totalFLOPs: Int { totalMACs &* 2 }

    /// MACs summed per operator type, sorted by operator name (operator names interned as value names are: one
    /// probe of a flat table per node).
    public var macsByOperator: [(op: String, macs: Int)] {
        var ops = NameIndex()
        var sums: [Int] = []
        var previous: (op: String, id: Int)? = nil
        for n in nodes {
            // Runs of one operator (a chain of Adds) cost a comparison, not a hash.
            let i = previous.flatMap { $0.op == n.opType ? $0.id : nil } ?? ops.intern(n.opType)
            previous = (n.opType, i)
            if i == sums.count { sums.append(0) }
            sums[i] &+= n.macs
        }
        return zip(ops.names, sums).map { (op: $0, macs: $1) }.sorted { $0.op < $1.op }
    }

    /// How much of the model the figures cover. Nodes in subgraphs (If/Loop/Scan bodies) count as not
    /// analysed until the analysis walks them; `Constant` nodes are data, not work, and do not count.
    public var coverage: AnalysisCoverage

    /// For a language model (GGUF, safetensors with config.json): the per-token figures (MACs are per token).
    public var transformer: TransformerFigures? = nil
    /// The scalar inputs the manifest's values fixed (`sr: 16000`): constants to the converters as to the
    /// analysis (onnx2tf gets them as initializers, and folds what they decide).
    public var boundInputs: Set<String> = []
    /// The model whose graph `nodes` index when it is not the analysed one: a TorchScript module's forward as
    /// evaluated at the manifest's input shapes (its archive stores code, not a graph). Coverage judges these nodes.
    public var graphModel: Model? = nil

    public init(
        nodes: [NodeCost], shapes: ValueShapes, unresolved: [String], assumedDimensions: [String], totalMACs: Int,
        parameterElements: Int, peakActivationElements: Int, coverage: AnalysisCoverage = .complete
    ) {
        self.nodes = nodes
        self.shapes = shapes
        self.unresolved = unresolved
        self.assumedDimensions = assumedDimensions
        self.totalMACs = totalMACs
        self.parameterElements = parameterElements
        self.peakActivationElements = peakActivationElements
        self.coverage = coverage
        self.coverage.freeDimensions = assumedDimensions.filter(AnalysisCoverage.isFreeBeyondBatch)
    }

    /// Analyses `model`'s main graph; `inputs` fixes dimensions by input name (nil entries stay as the model has them).
    /// `values` gives scalar inputs' values (`sr: 16000`): a TorchScript `forward`'s `int` parameters, an ONNX
    /// model's integer inputs of one element (so an If on them takes its branch); other formats do not use them
    /// (`InputChecks` says so). `contextLength` (the manifest's `model.context_length`) sizes a language model's KV
    /// cache and attention.
    public static func analyze(
        model: Model, inputs: [String: [Int?]] = [:], values: [String: Int] = [:], contextLength: Int? = nil
    ) -> GraphAnalysis {
        if let t = transformer(model: model, contextLength: contextLength) { return t }
        if model.format == .tflite {
            var t = TFLiteAnalyzer(model: model)
            return t.run(overrides: inputs)
        }
        if model.format == .keras { return KerasAnalyzer(model: model).run(overrides: inputs) }
        if model.format == .pytorch, !model.graphs.isEmpty { return ATenAnalyzer(model: model).run() }
        if model.format == .pytorch, let script = model.torchScriptGraph(inputs: inputs, scalars: values) {
            // TorchScript: forward evaluated at the manifest's input shapes, then costed as an ExportedProgram.
            var result = ATenAnalyzer(model: script.model).run()
            result.graphModel = script.model
            for m in script.missingInputs where !result.assumedDimensions.contains(m) { result.assumedDimensions.append(m) }
            result.coverage.freeDimensions = result.assumedDimensions.filter(AnalysisCoverage.isFreeBeyondBatch)
            return result
        }
        var a = Analyzer(model: model)
        var result = a.run(overrides: inputs, values: values)
        result.boundInputs = Set(model.inputs.filter { values[$0.name] != nil && Analyzer.takesValue($0) }.map(\.name))
        result.freeInputAxes = a.assumedAxes
        result.unknownRankInputs = a.unknownRank
        if !a.assumedAxes.isEmpty {
            var wider = inputs
            for (name, axes) in a.assumedAxes {
                guard let shape = result.shapes[name] else { continue }
                wider[name] = shape.enumerated().map { axes.contains($0.offset) ? FreeDimensionReach.sample : $0.element }
            }
            result.freeReach = FreeDimensionReach(wider: wider, values: values)
        }
        // Weights without a graph (a safetensors or GGUF file that is not a language model, a PyTorch state dict,
        // a TorchScript archive whose code is not read): nothing computes, so no figure is complete.
        if model.graphs.isEmpty { result.coverage.weightsOnly = true }
        return result
    }

    /// Liveness over steps in execution order (ONNX: topological; TFLite: operator order): a value is live
    /// from the step that makes it to the last step that reads it (graph inputs from the start, graph outputs
    /// to the end). Constants are weights, counted apart. Returns the largest sum of live elements.
    static func peakLiveElements(
        steps: [(inputs: [String], outputs: [String])], inputs: [String], outputs: [String], shapes: [String: [Int]],
        constants: Set<String>
    ) -> Int {
        // Names are interned once (one hash each); the walk itself runs over integer ids and flat arrays.
        var ids: [String: Int] = [:]
        ids.reserveCapacity(steps.count &* 2 &+ inputs.count)
        var size: [Int] = []  // elements of each id; -1: a constant or nameless, never live
        func id(_ v: String) -> Int {
            if let i = ids[v] { return i }
            let i = size.count
            ids[v] = i
            size.append(v.isEmpty || constants.contains(v) ? -1 : (shapes[v].map(Shapes.volume) ?? 0))
            return i
        }
        var operands = NodeOperands()
        operands.reserve(nodes: steps.count)
        for s in steps {
            for v in s.inputs { operands.ids.append(id(v)) }
            operands.outputStart.append(operands.ids.count)
            for v in s.outputs { operands.ids.append(id(v)) }
            operands.inputStart.append(operands.ids.count)
        }
        let outputIDs = outputs.map(id)
        let inputIDs = inputs.map(id)
        return peakLiveElements(steps: operands, inputs: inputIDs, outputs: outputIDs, size: size)
    }

    /// The same walk over value ids: `size[v]` is the elements of value `v`, -1 for a constant or a nameless
    /// value (never live).
    static func peakLiveElements(steps o: NodeOperands, inputs: [Int], outputs: [Int], size: [Int]) -> Int {
        var lastUse = [Int](repeating: -1, count: size.count)
        for i in 0..<o.count {
            for k in o.inputStart[i]..<o.outputStart[i] where size[o.ids[k]] >= 0 { lastUse[o.ids[k]] = i }
        }
        for v in outputs { lastUse[v] = o.count }
        // A running sum, so a 100k-node graph costs one pass.
        var live = [Bool](repeating: false, count: size.count)
        var sum = 0
        for v in inputs {
            if size[v] >= 0 && !live[v] {
                live[v] = true
                sum &+= size[v]
            }
        }
        var peak = sum
        for i in 0..<o.count {
            let ins = o.inputStart[i]..<o.outputStart[i], outs = o.outputStart[i]..<o.inputStart[i + 1]
            for k in outs {
                let v = o.ids[k]
                if size[v] >= 0 && !live[v] {
                    live[v] = true
                    sum &+= size[v]
                }
            }
            peak = max(peak, sum)
            for k in ins {
                let v = o.ids[k]
                if live[v] && lastUse[v] <= i {
                    live[v] = false
                    sum &-= size[v]
                }
            }
            for k in outs {
                let v = o.ids[k]
                if live[v] && lastUse[v] <= i {
                    live[v] = false
                    sum &-= size[v]
                }
            }
        }
        return peak
    }
}

/// The share of a model's nodes whose shapes and costs the analysis found. MACs, activation memory and
/// latency computed from a partial analysis are lower bounds, and every surface says so.
public struct AnalysisCoverage: Sendable, Hashable {
    public var nodesResolved: Int
    public var nodesTotal: Int
    /// Operators of the nodes left out, with how many of each (subgraph bodies as `<op> (in a subgraph)`).
    public var unresolvedOps: [String: Int]
    /// The first node left out in execution order, where the figures stop being complete.
    public var firstUnresolved: String?

    /// The model file holds weights and no graph the analysis reads: MACs, activation memory and latency
    /// are unknown, not zero.
    public var weightsOnly = false

    /// Input dimensions other than the leading (batch) one that neither the model nor `model.inputs` fixes, taken
    /// as 1 (`x[2] (height)`): an image detector with a free height and width is then analysed on a 1×1 image,
    /// so its MACs, activation memory and latency are lower bounds until the manifest gives the sizes.
    public var freeDimensions: [String] = []

    /// Ifs whose condition the analysis decided (`If 'name': then branch`): their other branch is not costed.
    public var branchesTaken: [String] = []
    /// The graphs (by index in `Model.graphs`) those other branches are, with every body nested in them: what a
    /// converter that folds the decided Ifs (onnxsim before onnx2tf) leaves out of the artifact.
    public var graphsNotRun: Set<Int> = []

    /// Whether an assumed dimension (`GraphAnalysis.assumedDimensions`' `name[axis] (symbol)` or `name: unknown
    /// rank`) is one the figures grow with: any axis but the leading one, a leading one whose symbol names a
    /// sequence or time axis, or an input of unknown rank.
    static func isFreeBeyondBatch(_ s: String) -> Bool {
        if s.hasSuffix(": unknown rank") { return true }
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "[") {
                var j = i + 1
                var axis = 0
                while j < b.count, b[j] >= 0x30, b[j] <= 0x39, axis < 1 << 20 { axis = axis * 10 + Int(b[j] - 0x30); j += 1 }
                if j > i + 1, j < b.count, b[j] == UInt8(ascii: "]") { return axis != 0 || namesSequence(String(decoding: b[(j + 1)...], as: UTF8.self)) }
            }
            i += 1
        }
        return false
    }

    /// Whether a leading axis's symbol (` (seq_len)`) names a sequence or time axis rather than the batch: a
    /// sequence-first model (an ONNX RNN's [seq, batch, features], a Keras time-major export) grows with it, so
    /// taking it as 1 is not the batch-of-one convention but a lower bound.
    static func namesSequence(_ rest: String) -> Bool {
        guard let open = rest.firstIndex(of: "("), let close = rest.lastIndex(of: ")"), open < close else { return false }
        let symbol = rest[rest.index(after: open)..<close].lowercased()
        if symbol == "t" || symbol == "s" { return true }
        let words = symbol.split(whereSeparator: { !$0.isLetter })
        return words.contains { w in
            ["seq", "sequence", "seqlen", "time", "times", "len", "length", "frame", "frames", "token", "tokens", "step", "steps"].contains(w)
        }
    }

    public static let complete = AnalysisCoverage(nodesResolved: 0, nodesTotal: 0, unresolvedOps: [:], firstUnresolved: nil)

    public var isComplete: Bool { nodesResolved >= nodesTotal && !weightsOnly && freeDimensions.isEmpty }

    /// "Unique ×1, Split ×12", most frequent first.
    public var unresolvedSummary: String {
        unresolvedOps.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(6)
            .map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            + (unresolvedOps.count > 6 ? ", …" : "")
    }

    /// "figures cover 2 of 3 nodes (left out: Unique ×1, from Unique 'dedup' on); MACs, activation memory and
    /// latency are lower bounds (≥)".
    public var sentence: String {
        if weightsOnly {
            return "the model file holds weights only, no graph Slipway reads; MACs, activation memory and latency are not estimated (≥ 0)"
        }
        var parts: [String] = []
        if nodesResolved < nodesTotal {
            parts.append("figures cover \(nodesResolved) of \(nodesTotal) nodes (left out: \(unresolvedSummary)"
                + (firstUnresolved.map { ", from \($0) on" } ?? "") + ")")
        }
        if !freeDimensions.isEmpty {
            let listed = freeDimensions.prefix(6).joined(separator: ", ") + (freeDimensions.count > 6 ? ", …" : "")
            parts.append("the free input dimension\(freeDimensions.count == 1 ? "" : "s") \(listed) \(freeDimensions.count == 1 ? "was" : "were") taken as 1 (give the sizes in model.inputs)")
        }
        return parts.joined(separator: "; ") + "; MACs, activation memory and latency are lower bounds (≥)"
    }

    /// For reports: `{nodes_resolved, nodes_total, unresolved_ops: {op: count}, complete}`.
    public var json: JSONValue {
        var ops = JSONObject()
        for (k, v) in unresolvedOps.sorted(by: { $0.key < $1.key }) { ops[k] = .int(v) }
        var o: JSONObject = [
            "nodes_resolved": .int(nodesResolved), "nodes_total": .int(nodesTotal), "unresolved_ops": .object(ops),
            "complete": .bool(isComplete),
        ]
        if weightsOnly { o["weights_only"] = true }
        if !freeDimensions.isEmpty { o["free_dimensions"] = .array(freeDimensions.map(JSONValue.string)) }
        if !branchesTaken.isEmpty { o["branches_taken"] = .array(branchesTaken.map(JSONValue.string)) }
        if let f = firstUnresolved { o["first_unresolved"] = .string(f) }
        return .object(o)
    }

    /// Counts the nodes of `model`: main-graph nodes by whether `resolved` says so, subgraph nodes as left out.
    static func of(model: Model, mainGraphNodes: [Node], isResolved: (Int) -> Bool, subgraphsAnalysed: Bool = false) -> AnalysisCoverage {
        var c = AnalysisCoverage(nodesResolved: 0, nodesTotal: 0, unresolvedOps: [:], firstUnresolved: nil)
        for (i, n) in mainGraphNodes.enumerated() where n.opType != "Constant" {
            c.nodesTotal += 1
            if isResolved(i) {
                c.nodesResolved += 1
            } else {
                c.unresolvedOps[n.opType, default: 0] += 1
                if c.firstUnresolved == nil { c.firstUnresolved = n.name.isEmpty ? "\(n.opType) #\(i)" : "\(n.opType) '\(n.name)'" }
            }
        }
        if !subgraphsAnalysed {
            for g in model.graphs.dropFirst() {
                for n in g.nodes where n.opType != "Constant" {
                    c.nodesTotal += 1
                    c.unresolvedOps["\(n.opType) (in a subgraph)", default: 0] += 1
                }
            }
        }
        return c
    }
}

/// Shape rules both model formats' analyses share.
enum Shapes {
    /// Elements of a shape (unknown, negative dimensions count as 0).
    static func volume(_ s: [Int]) -> Int { s.reduce(1) { $0 &* max($1, 0) } }

    /// NumPy broadcasting of the shapes, or nil when they do not broadcast.
    static func broadcast(_ shapes: [[Int]]) -> [Int]? {
        // Equal shapes (most element-wise nodes) broadcast to themselves: the first, shared, not rebuilt.
        if let first = shapes.first, shapes.allSatisfy({ $0 == first }) { return first }
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            for (j, d) in s.enumerated() {
                let k = rank - s.count + j
                if d == out[k] || d == 1 { continue }
                if out[k] == 1 { out[k] = d } else { return nil }
            }
        }
        return out
    }
}

/// onnx-tool's per-element weights (onnx_tool/node.py).
enum OpCost {
    static let add = 1, mul = 1, cmp = 1, div = 4, exp = 32, log = 43, sqrt = 24
    static let tanh = exp + 2 * add + div
}

struct Analyzer {
    let model: Model
    /// Every value name of every graph as a dense id (`ValueIDs`): the tables below are indexed by it.
    let ids: ValueIDs
    var shapes: [[Int]?]
    /// Small integer constants and folded shape arithmetic (Reshape targets, axes, sizes).
    var values: [[Int]?]
    /// Small float constants (Resize scales).
    var floats: [[Float]?]
    var isConstant: [Bool]
    var unresolved: [String] = []
    var assumed: [String] = []
    /// `assumed`'s dimensions of inputs of known rank, by input.
    var assumedAxes: [String: [Int]] = [:]
    var unknownRank: Set<String> = []
    var parameterElements = 0
    /// Subgraphs walked (for the coverage), and the ones being walked now (a body cannot contain itself).
    var walked: Set<Int> = []
    var walking: Set<Int> = []
    var tally = AnalysisCoverage(nodesResolved: 0, nodesTotal: 0, unresolvedOps: [:], firstUnresolved: nil)
    /// The input shapes array of the last node, kept for its capacity (one allocation fewer per node).
    var spareInputs: [[Int]?] = []

    init(model: Model) {
        self.model = model
        ids = ValueIDs(model: model)
        shapes = Array(repeating: nil, count: ids.count)
        values = Array(repeating: nil, count: ids.count)
        floats = Array(repeating: nil, count: ids.count)
        isConstant = Array(repeating: false, count: ids.count)
    }

    mutating func run(overrides: [String: [Int?]], values given: [String: Int] = [:]) -> GraphAnalysis {
        addInitializers(ofGraph: 0)
        for (k, input) in model.inputs.enumerated() where !isConstant[ids.modelInputs[k]] {
            // A scalar input's value seeds the shape arithmetic, as a constant's would (silero-vad's `sr`).
            if let v = given[input.name], Self.takesValue(input) { values[ids.modelInputs[k]] = [v] }
            guard let dims = input.shape else {
                assumed.append("\(input.name): unknown rank")
                unknownRank.insert(input.name)
                continue
            }
            let given = overrides[input.name]
            var shape: [Int] = []
            for (i, d) in dims.enumerated() {
                if let g = given, i < g.count, let v = g[i] {
                    shape.append(v)
                    continue
                }
                switch d {
                case .fixed(let n): shape.append(n)
                case .named(let s):
                    assumed.append("\(input.name)[\(i)] (\(s))")
                    assumedAxes[input.name, default: []].append(i)
                    shape.append(1)
                case .unknown:
                    assumed.append("\(input.name)[\(i)]")
                    assumedAxes[input.name, default: []].append(i)
                    shape.append(1)
                }
            }
            shapes[ids.modelInputs[k]] = shape
        }

        var costs: [NodeCost] = []
        let nodes = model.graphs.first?.nodes ?? []
        costs.reserveCapacity(nodes.count)
        for (i, node) in nodes.enumerated() { costs.append(step(node, index: i, graph: 0)) }
        // Bodies no node led the walk into (a Scan with unknown inputs, nesting past the bound) are left out.
        for (g, graph) in model.graphs.enumerated().dropFirst() where !walked.contains(g) {
            for n in graph.nodes where n.opType != "Constant" {
                tally.nodesTotal += 1
                tally.unresolvedOps["\(n.opType) (in a subgraph)", default: 0] += 1
            }
        }

        var size = [Int](repeating: -1, count: ids.count)
        for v in 1..<ids.count where !isConstant[v] { size[v] = shapes[v].map(Shapes.volume) ?? 0 }
        let peak = GraphAnalysis.peakLiveElements(
            steps: ids.operands.first ?? NodeOperands(), inputs: ids.modelInputs, outputs: ids.modelOutputs, size: size)

        return GraphAnalysis(
            nodes: costs, shapes: ValueShapes(index: ids.index, shapes: shapes), unresolved: unresolved, assumedDimensions: assumed,
            totalMACs: costs.reduce(0) { $0 &+ $1.macs }, parameterElements: parameterElements,
            peakActivationElements: peak, coverage: tally)
    }

    /// Whether an ONNX input takes a value from `model.inputs`: an integer (or bool) tensor of one element.
    static func takesValue(_ input: ValueInfo) -> Bool {
        let integers: Set<DType> = [.int64, .int32, .int16, .int8, .uint64, .uint32, .uint16, .uint8, .bool]
        guard let dtype = input.dtype, integers.contains(dtype), let dims = input.shape else { return false }
        return dims.allSatisfy { if case .fixed(1) = $0 { return true }; return false }
    }

    /// The stored constants of graph `g`: shapes, and the small integer and float values.
    mutating func addInitializers(ofGraph g: Int) {
        for (k, t) in model.tensors.enumerated() where t.graph == g {
            addConstant(t, as: ids.tensors[k])
        }
    }

    mutating func addConstant(_ t: ConstantTensor, as name: Int) {
        shapes[name] = t.shape
        isConstant[name] = true
        parameterElements &+= t.elementCount
        if let v = intValues(t) { values[name] = v }
        if t.elementCount <= Self.foldLimit, t.dtype.isFloatingPoint,
            let f = try? model.withFloat32Values(of: t, { Array($0) })
        {
            floats[name] = f
        }
    }

    /// One node of any graph: its constants, its shapes and cost, its folded values, and the coverage tally.
    /// Node `i` of graph `g` (`node`, the model's own).
    mutating func step(_ node: Node, index i: Int, graph g: Int) -> NodeCost {
        let args = ids.operands[g][i]
        let isConstantNode = node.opType == "Constant"
        // The reader registers a Constant node's value as a tensor of its graph (added with the initializers).
        if isConstantNode, !node.outputs.isEmpty, !isConstant[args.output(0)] {
            if case .tensor(let ti)? = node.attributes["value"], model.tensors.indices.contains(ti) {
                addConstant(model.tensors[ti], as: args.output(0))
            } else {
                _ = constantAttribute(node, args)
            }
        }
        let before = unresolved.count
        let c = cost(of: node, args, index: i)
        if !isConstantNode {
            tally.nodesTotal += 1
            if unresolved.count == before {
                tally.nodesResolved += 1
            } else {
                tally.unresolvedOps[node.opType, default: 0] += 1
                if tally.firstUnresolved == nil {
                    tally.firstUnresolved = node.name.isEmpty ? "\(node.opType) #\(i)" : "\(node.opType) '\(node.name)'"
                }
            }
        }
        return c
    }

    /// Small integer constants only (shapes, axes, slice bounds), read as integers: INT64_MAX stays exact.
    func intValues(_ t: ConstantTensor) -> [Int]? {
        guard t.elementCount <= 64, let v = (try? model.integerValues(of: t, limit: 64)) ?? nil else { return nil }
        return v.map { Int(truncatingIfNeeded: $0) }
    }

    static func volume(_ s: [Int]) -> Int { Shapes.volume(s) }

    func int(_ node: Node, _ name: String, _ d: Int) -> Int {
        if case .int(let v)? = node.attributes[name] { return Int(truncatingIfNeeded: v) }
        return d
    }
    func ints(_ node: Node, _ name: String) -> [Int]? {
        if case .ints(let v)? = node.attributes[name] { return v.map { Int(truncatingIfNeeded: $0) } }
        return nil
    }
    func float(_ node: Node, _ name: String) -> Float? {
        if case .float(let v)? = node.attributes[name] { return v }
        return nil
    }
    func string(_ node: Node, _ name: String) -> String? {
        if case .string(let v)? = node.attributes[name] { return v }
        return nil
    }

    func input(_ args: Operands, _ i: Int) -> [Int]? {
        guard i < args.inputs.count else { return nil }
        let v = args.input(i)
        return v == ValueIDs.empty ? nil : shapes[v]
    }

    static func axis(_ a: Int, rank: Int) -> Int? {
        let x = a < 0 ? a + rank : a
        return (0..<max(rank, 1)).contains(x) ? x : nil
    }

    /// ONNX Slice's output shape: negative bounds count from the end, then clamp to the dimension (to
    /// [0, d] going forward, [-1, d-1] going backward); nil for a zero step or an axis out of range.
    static func sliceShape(_ x: [Int], starts: [Int], ends: [Int], axes: [Int], steps: [Int]?) -> [Int]? {
        guard axes.count == starts.count, steps == nil || steps?.count == starts.count else { return nil }
        var shape = x
        for (i, a) in axes.enumerated() {
            guard let ax = axis(a, rank: x.count), ax < x.count else { return nil }
            let d = x[ax], step = steps?[i] ?? 1
            guard step != 0, d >= 0 else { return nil }
            var start = starts[i], end = ends[i]
            if start < 0 { start = start &+ d }  // start < 0 and d >= 0: no overflow
            if end < 0 { end = end &+ d }
            if step > 0 {
                start = min(max(start, 0), d)
                end = min(max(end, 0), d)
                shape[ax] = end > start ? (end - start - 1) / step + 1 : 0
            } else {
                start = min(max(start, 0), d - 1)
                end = min(max(end, -1), d - 1)
                // -step overflows for Int.min: any step that large takes one element at most.
                let magnitude = step == Int.min ? Int.max : -step
                shape[ax] = start > end ? (start - end - 1) / magnitude + 1 : 0
            }
        }
        return shape
    }

    /// The core element-wise operators and their per-element cost: `broadcast` over every input (times the
    /// inputs past the first when `perInput`), `unary` of the first input's shape. One lookup per node, where
    /// the switch in `cost` compares the name with each case in turn (a 100k-node graph is mostly these).
    enum Pointwise {
        case broadcast(Int, perInput: Bool)
        case unary(Int, ratio: Int)
    }

    static let pointwise: [String: Pointwise] = [
        "Add": .broadcast(OpCost.add, perInput: true),
        "Sub": .broadcast(OpCost.add, perInput: true),
        "Mul": .broadcast(OpCost.add, perInput: true),
        "Max": .broadcast(OpCost.add, perInput: true),
        "Mod": .broadcast(OpCost.add, perInput: true),
        "Ceil": .broadcast(OpCost.add, perInput: true),
        "Sum": .broadcast(OpCost.add, perInput: true),
        "Mean": .broadcast(OpCost.add, perInput: true),
        "Min": .broadcast(OpCost.cmp, perInput: true),
        "Neg": .broadcast(OpCost.cmp, perInput: true),
        "Abs": .broadcast(OpCost.cmp, perInput: true),
        "Div": .broadcast(OpCost.div, perInput: true),
        "Pow": .broadcast(OpCost.exp, perInput: true),
        "Equal": .broadcast(OpCost.cmp, perInput: false),
        "Less": .broadcast(OpCost.cmp, perInput: false),
        "Greater": .broadcast(OpCost.cmp, perInput: false),
        "LessOrEqual": .broadcast(OpCost.cmp, perInput: false),
        "GreaterOrEqual": .broadcast(OpCost.cmp, perInput: false),
        "And": .broadcast(OpCost.cmp, perInput: false),
        "Or": .broadcast(OpCost.cmp, perInput: false),
        "Xor": .broadcast(OpCost.cmp, perInput: false),
        "Where": .broadcast(OpCost.cmp, perInput: false),
        "Relu": .unary(OpCost.cmp, ratio: 1),
        "Sign": .unary(OpCost.cmp, ratio: 1),
        "Clip": .unary(OpCost.cmp * 2, ratio: 1),
        "LeakyRelu": .unary(OpCost.mul + OpCost.cmp, ratio: 1),
        "PRelu": .unary(OpCost.mul + OpCost.cmp, ratio: 1),
        "Sigmoid": .unary(OpCost.exp, ratio: 1),
        "Exp": .unary(OpCost.exp, ratio: 1),
        "Tanh": .unary(OpCost.tanh, ratio: 2),
        "Sqrt": .unary(OpCost.sqrt, ratio: 1),
        "Reciprocal": .unary(OpCost.div, ratio: 1),
        "Log": .unary(OpCost.log, ratio: 1),
        "Elu": .unary(OpCost.cmp + OpCost.exp + OpCost.add + OpCost.mul, ratio: 1),
        "HardSigmoid": .unary(OpCost.mul + OpCost.add + 2 * OpCost.cmp, ratio: 1),
        "HardSwish": .unary(2 * OpCost.mul + OpCost.add + 2 * OpCost.cmp, ratio: 1),
        "Gelu": .unary(OpCost.exp + 2 * OpCost.mul, ratio: 1),
        "Softmax": .unary(OpCost.exp + OpCost.div, ratio: 1),
        "LogSoftmax": .unary(OpCost.exp + OpCost.div + OpCost.add + OpCost.log, ratio: 1),
        "QuantizeLinear": .unary(OpCost.mul + OpCost.add, ratio: 1),
        "DequantizeLinear": .unary(OpCost.mul + OpCost.add, ratio: 1),
        "Erf": .unary(0, ratio: 1),
        "Identity": .unary(0, ratio: 1),
        "Dropout": .unary(0, ratio: 1),
        "Cast": .unary(0, ratio: 1),
        "Floor": .unary(0, ratio: 1),
        "Round": .unary(0, ratio: 1),
        "Not": .unary(0, ratio: 1),
        "IsNaN": .unary(0, ratio: 1),
        "BatchNormalization": .unary(OpCost.add + OpCost.sqrt + OpCost.div + OpCost.add + OpCost.mul, ratio: 1),
        "InstanceNormalization": .unary(OpCost.add + OpCost.mul + OpCost.add + OpCost.div, ratio: 1),
    ]

    mutating func cost(of node: Node, _ args: Operands, index: Int) -> NodeCost {
        var buffer = spareInputs
        spareInputs = []
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(args.inputs.count)
        var named = 0  // inputs not omitted
        for v in args.inputs {
            if v == ValueIDs.empty {
                buffer.append(nil)
            } else {
                buffer.append(shapes[v])
                named += 1
            }
        }
        let ins = buffer
        buffer = []
        var outs: [[Int]?] = []
        var macs = 0
        let op = node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"

        func elementwise(_ perElement: Int, ratio: Int = 1) {
            // Every operand's shape is needed: broadcasting the known ones alone would invent a shape.
            var first: [Int]?
            var known = 0, equal = true
            for case let s? in ins {
                if let f = first { equal = equal && s == f } else { first = s }
                known += 1
            }
            guard let first, known == named else { return }
            // Equal shapes (most element-wise nodes) are their own broadcast: the first, shared, no array built.
            guard let s = equal ? first : Shapes.broadcast(ins.compactMap { $0 }) else { return }
            outs = [s]
            macs = Self.volume(s) &* ratio &* perElement
        }
        func unary(_ perElement: Int, ratio: Int = 1) {
            guard let s = ins.first ?? nil else { return }
            outs = [s]
            macs = Self.volume(s) &* ratio &* perElement
        }

        if let p = Self.pointwise[op] {
            switch p {
            case .broadcast(let perElement, let perInput): elementwise(perElement, ratio: perInput ? max(1, args.inputs.count - 1) : 1)
            case .unary(let perElement, let ratio): unary(perElement, ratio: ratio)
            }
        } else {
            switch op {
            case "Conv", "ConvInteger", "QLinearConv":
                let xi = op == "QLinearConv" ? 0 : 0
                let wi = op == "QLinearConv" ? 3 : 1
                if let x = ins.indices.contains(xi) ? ins[xi] : nil, let w = ins.indices.contains(wi) ? ins[wi] : nil, x.count >= 3, w.count == x.count {
                    let spatial = x.count - 2
                    let strides = ints(node, "strides") ?? Array(repeating: 1, count: spatial)
                    let dil = ints(node, "dilations") ?? Array(repeating: 1, count: spatial)
                    let pads = ints(node, "pads") ?? Array(repeating: 0, count: spatial * 2)
                    let autoPad = string(node, "auto_pad") ?? "NOTSET"
                    var shape = [x[0], w[0]]
                    for d in 0..<spatial {
                        let s = d < strides.count ? max(strides[d], 1) : 1
                        let k = w[2 + d], dl = d < dil.count ? dil[d] : 1
                        switch autoPad {
                        case "SAME_UPPER", "SAME_LOWER": shape.append((x[2 + d] &+ s &- 1) / s)
                        case "VALID": shape.append((x[2 + d] &- (k &- 1) &* dl &- 1) / s &+ 1)
                        default:
                            let p = (d < pads.count ? pads[d] : 0) &+ (d + spatial < pads.count ? pads[d + spatial] : 0)
                            shape.append((x[2 + d] &+ p &- (k &- 1) &* dl &- 1) / s &+ 1)
                        }
                    }
                    outs = [shape]
                    let reduce = Self.volume(Array(w.dropFirst()))
                    macs = Self.volume(shape) &* reduce
                    let biasIndex = op == "QLinearConv" ? 8 : 2
                    if biasIndex < node.inputs.count, !node.inputs[biasIndex].isEmpty { macs &+= Self.volume(shape) }
                }
            case "ConvTranspose":
                if let x = ins.first ?? nil, ins.count > 1, let w = ins[1], x.count >= 3, w.count == x.count {
                    let spatial = x.count - 2
                    let group = int(node, "group", 1)
                    let strides = ints(node, "strides") ?? Array(repeating: 1, count: spatial)
                    let dil = ints(node, "dilations") ?? Array(repeating: 1, count: spatial)
                    let pads = ints(node, "pads") ?? Array(repeating: 0, count: spatial * 2)
                    let outPad = ints(node, "output_padding") ?? Array(repeating: 0, count: spatial)
                    var shape = [x[0], group &* w[1]]
                    for d in 0..<spatial {
                        let s = d < strides.count ? strides[d] : 1, dl = d < dil.count ? dil[d] : 1
                        let p = (d < pads.count ? pads[d] : 0) &+ (d + spatial < pads.count ? pads[d + spatial] : 0)
                        let op = d < outPad.count ? outPad[d] : 0
                        shape.append((x[2 + d] &- 1) &* s &- p &+ (w[2 + d] &- 1) &* dl &+ 1 &+ op)
                    }
                    let autoPad = string(node, "auto_pad") ?? "NOTSET"
                    if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                        // SAME: the output is the input times the stride (padding absorbs the kernel).
                        for d in 0..<spatial { shape[2 + d] = x[2 + d] &* (d < strides.count ? strides[d] : 1) &+ (d < outPad.count ? outPad[d] : 0) }
                    }
                    if let explicit = ints(node, "output_shape"), explicit.count == spatial { shape = [x[0], group &* w[1]] + explicit }
                    outs = [shape]
                    macs = Self.volume(shape) &* Self.volume(Array(w.dropFirst()))
                    if node.inputs.count > 2, !node.inputs[2].isEmpty { macs &+= Self.volume(shape) }
                }
            case "Gemm":
                if let a = ins.first ?? nil, ins.count > 1, let b = ins[1], a.count == 2, b.count == 2 {
                    let ta = int(node, "transA", 0) != 0, tb = int(node, "transB", 0) != 0
                    let m = ta ? a[1] : a[0], k = ta ? a[0] : a[1]
                    let n = tb ? b[0] : b[1]
                    outs = [[m, n]]
                    macs = m &* n &* k
                    if node.inputs.count > 2, !node.inputs[2].isEmpty { macs &+= m &* n }
                }
            case "MatMul", "MatMulInteger", "QLinearMatMul":
                let bi = op == "QLinearMatMul" ? 3 : 1
                if let a = ins.first ?? nil, ins.count > bi, let b = ins[bi], !a.isEmpty, !b.isEmpty {
                    let a2 = a.count == 1 ? [1] + a : a
                    let b2 = b.count == 1 ? b + [1] : b
                    let batch = Shapes.broadcast([Array(a2.dropLast(2)), Array(b2.dropLast(2))]) ?? Array(a2.dropLast(2))
                    var shape = batch + [a2[a2.count - 2], b2[b2.count - 1]]
                    if a.count == 1 { shape.remove(at: shape.count - 2) }
                    if b.count == 1 { shape.removeLast() }
                    outs = [shape]
                    macs = Self.volume(shape) &* b2[b2.count - 2]
                }
            case "LayerNormalization", "SimplifiedLayerNormalization":
                if let x = ins.first ?? nil, let ax = Self.axis(int(node, "axis", -1), rank: x.count) {
                    var reduced = x
                    if ax < reduced.count { reduced[ax] = 1 }
                    // Mean and InvStdDev (training outputs): every dimension from the axis on is reduced to 1.
                    let stats = x.enumerated().map { $0.offset >= ax ? 1 : $0.element }
                    outs = [x, stats, stats]
                    macs = Self.volume(x) &* (3 * OpCost.mul + 4 * OpCost.add)
                        &+ Self.volume(reduced) &* (OpCost.add + OpCost.sqrt + OpCost.div)
                }
            case "MaxPool", "AveragePool", "LpPool":
                if let x = ins.first ?? nil, x.count >= 3 {
                    let spatial = x.count - 2
                    let k = ints(node, "kernel_shape") ?? Array(repeating: 1, count: spatial)
                    let strides = ints(node, "strides") ?? Array(repeating: 1, count: spatial)
                    let dil = ints(node, "dilations") ?? Array(repeating: 1, count: spatial)
                    let pads = ints(node, "pads") ?? Array(repeating: 0, count: spatial * 2)
                    let ceil = int(node, "ceil_mode", 0) != 0
                    let autoPad = string(node, "auto_pad") ?? "NOTSET"
                    var shape = [x[0], x[1]]
                    for d in 0..<spatial {
                        let s = d < strides.count ? max(strides[d], 1) : 1
                        let kk = d < k.count ? k[d] : 1, dl = d < dil.count ? dil[d] : 1
                        switch autoPad {
                        case "SAME_UPPER", "SAME_LOWER": shape.append((x[2 + d] &+ s &- 1) / s)
                        case "VALID": shape.append((x[2 + d] &- (kk &- 1) &* dl &- 1) / s &+ 1)
                        default:
                            let p = (d < pads.count ? pads[d] : 0) &+ (d + spatial < pads.count ? pads[d + spatial] : 0)
                            let span = x[2 + d] &+ p &- (kk &- 1) &* dl &- 1
                            var n = (ceil ? (span &+ s &- 1) / s : span / s) &+ 1
                            // Ceil mode: the last window must start inside the input or its leading pad.
                            if ceil, (n &- 1) &* s >= x[2 + d] &+ (d < pads.count ? pads[d] : 0) { n &-= 1 }
                            shape.append(n)
                        }
                    }
                    outs = [shape]
                    macs = Self.volume(shape) &* (k.first ?? 1) &* (k.count > 1 ? k[1] : 1)
                }
            case "GlobalAveragePool", "GlobalMaxPool":
                if let x = ins.first ?? nil, x.count >= 2 {
                    let shape = [x[0], x[1]] + Array(repeating: 1, count: x.count - 2)
                    outs = [shape]
                    macs = op == "GlobalAveragePool" ? Self.volume(x) &* OpCost.add &+ Self.volume(shape) &* OpCost.div : 0
                }
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2", "ReduceSumSquare":
                if let x = ins.first ?? nil, let r = reduce(node, args, x, cost: op == "ReduceMean" || op == "ReduceSum" ? OpCost.add : 0) {
                    outs = r.outs
                    macs = r.macs
                }
            case "Flatten":
                // axis in [-r, r]: a negative one counts from the end of the input's rank, not the output's.
                if let x = ins.first ?? nil {
                    let a = int(node, "axis", 1)
                    let ax = a < 0 ? a &+ x.count : a
                    if (0...x.count).contains(ax) { outs = [[Self.volume(Array(x.prefix(ax))), Self.volume(Array(x.dropFirst(ax)))]] }
                }
            case "Reshape":
                if let x = ins.first ?? nil, node.inputs.count > 1, let target = values[args.input(1)] {
                    let allowZero = !node.reshapeCopiesZeros
                    var shape: [Int] = []
                    for (i, t) in target.enumerated() {
                        if t == 0 && !allowZero { shape.append(i < x.count ? x[i] : 0) } else { shape.append(t) }
                    }
                    // A target the input's elements cannot fill (rows of 5 from 24 values) has no shape: ONNX's
                    // inference fails on it too, and ONNX Runtime refuses the file it is in.
                    let volume = Self.volume(x)
                    if let m = shape.firstIndex(of: -1) {
                        let rest = shape.enumerated().filter { $0.offset != m }.reduce(1) { $0 &* $1.element }
                        if rest > 0, volume % rest == 0, !shape.enumerated().contains(where: { $0.offset != m && $0.element < 0 }) {
                            shape[m] = volume / rest
                            outs = [shape]
                        } else if rest == 0, volume == 0 {
                            shape[m] = 0
                            outs = [shape]
                        }
                    } else if !shape.contains(where: { $0 < 0 }), Self.volume(shape) == volume {
                        outs = [shape]
                    }
                }
            case "Transpose":
                if let x = ins.first ?? nil {
                    let perm = ints(node, "perm") ?? Array((0..<x.count).reversed())
                    if perm.count == x.count, perm.allSatisfy({ (0..<x.count).contains($0) }) { outs = [perm.map { x[$0] }] }
                }
            case "Squeeze":
                if let x = ins.first ?? nil {
                    var axes = ints(node, "axes")
                    // Opset 13: axes as an input; when its value is unknown, so is the shape.
                    let runtimeAxes = axes == nil && node.inputs.count > 1 && !node.inputs[1].isEmpty
                    if runtimeAxes { axes = values[args.input(1)] }
                    if let axes {
                        let set = Set(axes.compactMap { Self.axis($0, rank: x.count) })
                        outs = [x.enumerated().filter { !set.contains($0.offset) }.map(\.element)]
                    } else if !runtimeAxes {
                        outs = [x.filter { $0 != 1 }]
                    }
                }
            case "Unsqueeze":
                if let x = ins.first ?? nil {
                    var axes = ints(node, "axes")
                    if axes == nil, node.inputs.count > 1 { axes = values[args.input(1)] }
                    if let axes {
                        let rank = x.count + axes.count
                        let set = Set(axes.compactMap { Self.axis($0, rank: rank) })
                        var it = x.makeIterator()
                        outs = [(0..<rank).map { set.contains($0) ? 1 : (it.next() ?? 1) }]
                    }
                }
            case "Concat":
                if case let known = ins.compactMap({ $0 }), known.count == ins.count, let first = known.first, !first.isEmpty,
                    let ax = Self.axis(int(node, "axis", 0), rank: first.count), ax < first.count
                {
                    var shape = first
                    shape[ax] = known.reduce(0) { $0 &+ (ax < $1.count ? $1[ax] : 0) }
                    outs = [shape]
                }
            case "Gather":
                if let x = ins.first ?? nil, ins.count > 1, let idx = ins[1], let ax = Self.axis(int(node, "axis", 0), rank: x.count) {
                    outs = [Array(x.prefix(ax)) + idx + Array(x.dropFirst(ax + 1))]
                }
            case "Tile":
                if let x = ins.first ?? nil, node.inputs.count > 1, let reps = values[args.input(1)], reps.count == x.count {
                    outs = [zip(x, reps).map { $0 &* $1 }]
                }
            case "Expand":
                if let x = ins.first ?? nil, node.inputs.count > 1, let target = values[args.input(1)],
                    let s = Shapes.broadcast([x, target])
                {
                    outs = [s]
                }
            case "Slice":
                // Opset 10+: starts, ends, axes, steps as inputs; opset 1: attributes. PyTorch writes INT64_MAX for
                // an open end, so every bound is clamped before any arithmetic.
                if let x = ins.first ?? nil {
                    let fromInputs = node.inputs.count > 2
                    let starts = fromInputs ? values[args.input(1)] : ints(node, "starts")
                    let ends = fromInputs ? values[args.input(2)] : ints(node, "ends")
                    let axes = fromInputs ? (node.inputs.count > 3 && !node.inputs[3].isEmpty ? values[args.input(3)] : nil) : ints(node, "axes")
                    let steps = fromInputs && node.inputs.count > 4 && !node.inputs[4].isEmpty ? values[args.input(4)] : nil
                    let axesGiven = fromInputs ? (node.inputs.count <= 3 || node.inputs[3].isEmpty || axes != nil) : true
                    let stepsGiven = !fromInputs || node.inputs.count <= 4 || node.inputs[4].isEmpty || steps != nil
                    if let starts, let ends, starts.count == ends.count, axesGiven, stepsGiven,
                        let shape = Self.sliceShape(x, starts: starts, ends: ends, axes: axes ?? Array(0..<starts.count), steps: steps)
                    {
                        outs = [shape]
                    }
                }
            case "Shape":
                if let x = ins.first ?? nil { outs = [[shapeRange(node, rank: x.count).count]] }
            case "Constant":
                break
            case "If", "Loop", "Scan":
                if let r = controlFlow(node, args, op: op, ins: ins) {
                    outs = r.outs
                    macs = r.macs
                }
            default:
                if let r = extendedRule(node, args, op: op, ins: ins) {
                    outs = r.outs
                    macs = r.macs
                }
            }
        }

        fold(node, args, ins: ins)
        // A node is resolved when at least one output's shape is known (optional outputs may stay unknown).
        if !outs.contains(where: { $0 != nil }), node.opType != "Constant" {
            unresolved.append(node.name.isEmpty ? "\(node.opType) #\(index)" : node.name)
        }
        // Outputs by position: an omitted optional output ("") keeps its slot.
        for (i, o) in args.outputs.enumerated() where o != ValueIDs.empty && i < outs.count {
            if let s = outs[i] { shapes[o] = s }
        }
        // The shapes at hand, not looked up again (an output named twice reads what the loop above left); when
        // every output is named and inferred, that is `outs` itself.
        var outShapes: [[Int]?]
        if outs.count == args.outputs.count, !args.outputs.contains(ValueIDs.empty), !outs.contains(where: { $0 == nil }) {
            outShapes = outs
        } else {
            outShapes = []
            outShapes.reserveCapacity(args.outputs.count)
            for (i, o) in args.outputs.enumerated() where o != ValueIDs.empty {
                outShapes.append(i < outs.count && outs[i] != nil ? outs[i] : shapes[o])
            }
        }
        let constant = isConstant
        let c = NodeCost(index: index, name: node.name, opType: node.opType, domain: node.domain, macs: macs, inputShapes: ins,
                         inputIsConstant: { constant[args.input($0)] }, outputShapes: outShapes)
        spareInputs = ins
        return c
    }
}
