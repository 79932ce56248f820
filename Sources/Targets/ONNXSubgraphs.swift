import ModelFormats

/// If, Loop and Scan: their bodies are walked in the enclosing scope (outer values are visible inside), to
/// any depth. An If whose condition the shape arithmetic knows costs the branch it takes; otherwise its larger branch; a Loop its body times the trip count (from a constant or the
/// manifest's inputs through the shape arithmetic; unknown: one iteration, said in `assumedDimensions`); a Scan
/// its body times the scanned length. Body nodes count in the coverage like main-graph nodes.
extension Analyzer {
    struct BodyResult {
        var macs = 0
        var outputs: [[Int]?] = []
    }

    /// Walks graph `g` with its inputs bound to `inputs` (shape per input, in order).
    mutating func walkBody(_ g: Int, inputs: [[Int]?]) -> BodyResult? {
        guard model.graphs.indices.contains(g), g != 0, !walking.contains(g), walking.count < Self.maxNesting else { return nil }
        walking.insert(g)
        defer { walking.remove(g) }
        walked.insert(g)
        let graph = model.graphs[g]
        addInitializers(ofGraph: g)
        for (i, input) in ids.graphInputs[g].enumerated() where i < inputs.count {
            if let s = inputs[i] { shapes[input] = s }
        }
        var result = BodyResult()
        for (i, node) in graph.nodes.enumerated() {
            let c = step(node, index: i, graph: g)
            result.macs &+= c.macs
        }
        result.outputs = ids.graphOutputs[g].map { shapes[$0] }
        return result
    }

    /// A branch that never runs, and every body nested in it: not costed, and not "left out" either.
    mutating func markNotRun(_ g: Int) {
        var skipped: Set<Int> = [g]
        var grew = true
        while grew {
            grew = false
            for (i, graph) in model.graphs.enumerated() where !skipped.contains(i) {
                if let p = graph.parent?.graph, skipped.contains(p) {
                    skipped.insert(i)
                    grew = true
                }
            }
        }
        walked.formUnion(skipped)
        tally.graphsNotRun.formUnion(skipped)
    }

    /// Nesting deeper than this is left out (and counted so): a bound on the walk of a hostile model.
    static let maxNesting = 64

    mutating func controlFlow(_ node: Node, _ args: Operands, op: String, ins: [[Int]?]) -> (outs: [[Int]?], macs: Int)? {
        switch op {
        case "If":
            guard case .graph(let thenG)? = node.attributes["then_branch"], case .graph(let elseG)? = node.attributes["else_branch"] else {
                return nil
            }
            // A condition the shape arithmetic decides (exporters' `if x.dim() == 1`) selects its branch: the
            // other one never runs, so it is neither costed nor counted.
            if let cond = value(args, 0)?.first {
                let (taken, skipped) = cond != 0 ? (thenG, elseG) : (elseG, thenG)
                tally.branchesTaken.append("If \(node.name.isEmpty ? "#\(tally.branchesTaken.count)" : "'\(node.name)'"): \(cond != 0 ? "then" : "else") branch")
                markNotRun(skipped)
                guard let r = walkBody(taken, inputs: []) else { return nil }
                return (Array(r.outputs.prefix(node.outputs.count)), r.macs)
            }
            let a = walkBody(thenG, inputs: [])
            let b = walkBody(elseG, inputs: [])
            guard a != nil || b != nil else { return nil }
            let macs = max(a?.macs ?? 0, b?.macs ?? 0)
            // Branch outputs may differ in shape; where they do, the larger is kept (memory is an upper figure).
            let n = node.outputs.count
            var outs: [[Int]?] = []
            for i in 0..<n {
                let x = a.flatMap { i < $0.outputs.count ? $0.outputs[i] : nil }
                let y = b.flatMap { i < $0.outputs.count ? $0.outputs[i] : nil }
                switch (x, y) {
                case (let p?, let q?): outs.append(Shapes.volume(p) >= Shapes.volume(q) ? p : q)
                default: outs.append(x ?? y)
                }
            }
            return (outs, macs)
        case "Loop":
            guard case .graph(let body)? = node.attributes["body"] else { return nil }
            let carried = node.inputs.count > 2 ? Array(ins[2...]) : []
            let trip = value(args, 0)?.first
            if trip == nil {
                assumed.append("Loop '\(node.name.isEmpty ? "#" : node.name)': trip count unknown, one iteration counted")
            }
            guard let r = walkBody(body, inputs: [[], []] + carried) else { return nil }
            let iterations = max(0, trip ?? 1)
            // Body outputs: cond, the carried values, then per-iteration scan outputs stacked on a new axis 0.
            var outs: [[Int]?] = Array(r.outputs.dropFirst().prefix(carried.count))
            for s in r.outputs.dropFirst(1 + carried.count) { outs.append(trip == nil ? nil : s.map { [iterations] + $0 }) }
            return (outs, r.macs &* iterations)
        case "Scan":
            // Opset 8's Scan has a batch axis and sequence lengths; only the opset 9+ form is walked.
            guard case .graph(let body)? = node.attributes["body"], (node.version ?? 9) >= 9,
                node.attributes["scan_input_axes"] == nil || ints(node, "scan_input_axes")?.allSatisfy({ $0 == 0 }) == true
            else { return nil }
            let scanInputs = max(0, int(node, "num_scan_inputs", 0))
            guard scanInputs <= ins.count else { return nil }
            let states = Array(ins.prefix(ins.count - scanInputs))
            let scanned = Array(ins.suffix(scanInputs))
            guard let length = scanned.first??.first else { return nil }
            let slices: [[Int]?] = scanned.map { $0.map { Array($0.dropFirst()) } }
            guard let r = walkBody(body, inputs: states + slices) else { return nil }
            var outs: [[Int]?] = Array(r.outputs.prefix(states.count))
            for s in r.outputs.dropFirst(states.count) { outs.append(s.map { [length] + $0 }) }
            return (outs, r.macs &* max(0, length))
        default:
            return nil
        }
    }
}
