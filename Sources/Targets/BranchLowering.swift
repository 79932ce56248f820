import ModelFormats

/// What an ONNX If becomes in TFLite through onnxsim and onnx2tf: a decided one is the branch it takes (onnxsim
/// inlines it), an undecided one both branches and a select per output (onnx2tf's If.py).
extension Coverage {
    /// The builtins of the branch a decided If takes (the one the analysis costed), its own Ifs within; the first
    /// operator with no builtin, the first the table does not know, and the first onnx2tf refuses.
    static func takenBranchLowering(
        _ node: Node, model: Model, analysis: GraphAnalysis?, catalogue: Catalogue, fullInteger: Bool, depth: Int = 0,
        outer: [String: ConstantTensor]? = nil, types: [String: DType] = [:]
    ) -> BranchLowering {
        guard depth < 16, let g = takenBranch(node, model: model, analysis: analysis) else { return BranchLowering() }
        return branchLowering(graph: g, model: model, analysis: analysis, catalogue: catalogue, fullInteger: fullInteger,
                              depth: depth, outer: outer, types: types)
    }

    /// An If the fixed sizes and values do not decide: onnx2tf converts both branches and picks each output with a
    /// select (If.py: both branches' nodes, then a switch per output; measured: test_if is a SELECT_V2), which
    /// needs an output's shape to be the same in both branches. Nil when a pair's shapes differ or are not known
    /// (PyTorch's `squeeze(dim)` export: ranks 2 and 3); refused when a branch reads an enclosing graph's initializer.
    static func bothBranchesLowering(
        _ node: Node, model: Model, analysis: GraphAnalysis?, catalogue: Catalogue, fullInteger: Bool, depth: Int = 0,
        outer: [String: ConstantTensor]? = nil, types: [String: DType] = [:]
    ) -> BranchLowering? {
        guard depth < 16, case .graph(let t)? = node.attributes["then_branch"], case .graph(let e)? = node.attributes["else_branch"],
              model.graphs.indices.contains(t), model.graphs.indices.contains(e),
              model.graphs[t].outputs.count == model.graphs[e].outputs.count
        else { return nil }
        for (a, b) in zip(model.graphs[t].outputs, model.graphs[e].outputs) {
            guard let sa = analysis?.shapes[a.name], let sb = analysis?.shapes[b.name], sa == sb else { return nil }
        }
        // onnx2tf converts a branch's nodes against the values converted so far, where the initializers of the
        // graphs around it are not (KeyError; measured: oww-hey-jarvis's verifier, whose weights are the main graph's).
        for g in [t, e] {
            let own = Set(model.tensors.filter { $0.graph == g }.map(\.name))
            let enclosing = Set(model.tensors.filter { $0.graph != g }.map(\.name)).subtracting(own)
            if let read = model.graphs[g].nodes.lazy.flatMap(\.inputs).first(where: { enclosing.contains($0) }) {
                var refused = BranchLowering()
                refused.refused = ("litert.onnx-if-branches", "a node reading '\(read)', an initializer of the graph around the If, which onnx2tf does not give a branch")
                return refused
            }
        }
        var out = branchLowering(graph: t, model: model, analysis: analysis, catalogue: catalogue, fullInteger: fullInteger,
                                 depth: depth, outer: outer, types: types)
        out.merge(branchLowering(graph: e, model: model, analysis: analysis, catalogue: catalogue, fullInteger: fullInteger,
                                 depth: depth, outer: outer, types: types))
        out.builtins += Array(repeating: "SELECT_V2", count: model.graphs[t].outputs.count)
        return out
    }

    /// The builtins of branch graph `g`, folded as onnxsim folds it, its Ifs lowered within.
    static func branchLowering(
        graph g: Int, model: Model, analysis: GraphAnalysis?, catalogue: Catalogue, fullInteger: Bool, depth: Int,
        outer: [String: ConstantTensor]?, types: [String: DType]
    ) -> BranchLowering {
        // A branch reads the constants of the graphs around it too (silero-vad's Pow exponent is the main graph's).
        var tensors = outer ?? {
            var main: [String: ConstantTensor] = [:]
            for t in model.tensors where t.graph == 0 { main[t.name] = t }
            return main
        }()
        for t in model.tensors where t.graph == g { tensors[t.name] = t }
        let nodes = model.graphs[g].nodes
        let fused = converterFusions(nodes, links: NodeLinks(nodes, outputs: Set(model.graphs[g].outputs.map(\.name))), model: model,
                                     tensors: tensors, analysis: analysis, catalogue: catalogue, fullInteger: fullInteger)
        // onnxsim folds inside the branch as outside: what constants, the manifest's values and fixed shapes decide.
        var constants = Set(tensors.keys).union(analysis?.boundInputs ?? [])
        for n in nodes where n.opType == "Constant" { constants.formUnion(n.outputs) }
        let folded = constantFolded(nodes, constants: constants, model: model, analysis: analysis, manifestSized: true)
        var out = BranchLowering()
        for (i, n) in nodes.enumerated() where !folded.contains(i) || n.opType == "If" {
            if n.opType == "If", isDefaultDomain(n) {
                if takenBranch(n, model: model, analysis: analysis) != nil {
                    out.merge(takenBranchLowering(n, model: model, analysis: analysis, catalogue: catalogue,
                                                  fullInteger: fullInteger, depth: depth + 1, outer: tensors, types: types))
                } else if let both = bothBranchesLowering(n, model: model, analysis: analysis, catalogue: catalogue,
                                                          fullInteger: fullInteger, depth: depth + 1, outer: tensors, types: types) {
                    out.merge(both)
                } else {
                    out.noBuiltin = out.noBuiltin ?? "an If '\(displayName(n, i))' whose branches' outputs differ in shape"
                }
                continue
            }
            if let refusal = fused.refusals[i] ?? converterRefusal(n, tensors: tensors, analysis: analysis) {
                out.refused = out.refused ?? (refusal.rule, "\(n.opType) '\(displayName(n, i))', which onnx2tf cannot convert: \(refusal.reason)")
                continue
            }
            if let d = fused.deviations[i] { out.deviations.append("\(n.opType) '\(displayName(n, i))': \(d)") }
            switch fused[i].map({ .some(.some($0)) })
                ?? lower(n, model: model, tensors: tensors, analysis: analysis, catalogue: catalogue, fullInteger: fullInteger,
                         types: types) {
            case .none: out.unknown = out.unknown ?? "\(n.opType) '\(displayName(n, i))'"
            case .some(nil): out.noBuiltin = out.noBuiltin ?? "\(n.opType) '\(displayName(n, i))'"
            case .some(.some(let b)): out.builtins += b
            }
        }
        return out
    }

    /// What a branch becomes: its builtins, and the first node that has none, that no table knows, or that onnx2tf
    /// refuses.
    struct BranchLowering {
        var builtins: [String] = []
        var noBuiltin: String?
        var unknown: String?
        var refused: (rule: String, what: String)?
        /// The nodes whose artifact computes otherwise, each with how.
        var deviations: [String] = []

        /// Judges the If `f` is about by what its branches hold (`holder`: which of them, in the reason).
        func judge(_ f: inout OperatorFinding, holder: String) {
            f.builtins = builtins
            if !deviations.isEmpty { f.deviation = "\(holder) holds \(deviations.joined(separator: "; "))" }
            if let (rule, what) = refused {
                f.status = .unsupported
                f.reason = "\(holder) holds \(what)"
                f.rule = rule
            } else if let op = noBuiltin {
                f.status = .unsupported
                f.reason = "\(holder) holds \(op), which has no TFLite builtin (needs Select TF ops or a custom operator)"
                f.rule = "litert.builtin"
            } else if let op = unknown {
                f.status = .unknown
                f.reason = "\(holder) holds \(op), which is not in the catalogue's ONNX-to-TFLite table"
            } else if builtins.isEmpty {
                f.status = .folded
            }
        }

        /// Another branch's lowering after this one's: its builtins added, this one's first findings kept.
        mutating func merge(_ other: BranchLowering) {
            builtins += other.builtins
            noBuiltin = noBuiltin ?? other.noBuiltin
            unknown = unknown ?? other.unknown
            refused = refused ?? other.refused
            deviations += other.deviations
        }
    }

    /// The graph of the one branch of an If the analysis costed (it decided the condition), if it decided it.
    static func takenBranch(_ node: Node, model: Model, analysis: GraphAnalysis?) -> Int? {
        let notRun = analysis?.coverage.graphsNotRun ?? []
        let run = ["then_branch", "else_branch"].compactMap { key -> Int? in
            if case .graph(let g)? = node.attributes[key], model.graphs.indices.contains(g), !notRun.contains(g) { return g }
            return nil
        }
        return run.count == 1 ? run[0] : nil
    }
}
