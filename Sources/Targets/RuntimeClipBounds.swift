import ModelFormats

/// A Clip whose bound is computed at run time (librosa's `power_to_db(top_db=80)`: the lower bound is the
/// spectrogram's maximum less 80 dB), as onnx2tf converts it. Its Clip.py writes a bound only when it is a
/// constant, or the upper one when the lower is not: a run-time lower bound is dropped (MINIMUM with the upper
/// bound alone) and, when the upper bound is absent, nothing is written (KeyError 'tf_node', the conversion fails);
/// a run-time upper bound over a constant lower one is dropped (MAXIMUM, or RELU at 0). What computed the dropped
/// bound is then read by nothing, and TensorFlow's converter prunes it. Measured with onnx2tf 1.29.24 and
/// TensorFlow 2.19: Tests/Fixtures/targets/clip_bounds.onnx, clip_open_bound.onnx, and oww-melspectrogram, whose
/// artifact keeps MINIMUM(x, 1e10) of its final Clip and none of its REDUCE_MAX and SUBs.
extension Coverage {
    /// The Clips of one graph with a bound computed at run time, by node index: what each becomes, and why.
    struct ClipBoundLowering {
        /// The builtins of each such Clip, and an empty list for each node only a dropped bound read.
        var lowered: [Int: [String]] = [:]
        /// Each Clip whose artifact computes otherwise: which bound onnx2tf drops.
        var deviations: [Int: String] = [:]
        /// Each Clip onnx2tf cannot convert.
        var refusals: [Int: (rule: String, reason: String)] = [:]
    }

    static let clipOpenBoundRule = "litert.onnx-clip-open-bound"

    static func runtimeClipBounds(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> ClipBoundLowering {
        var out = ClipBoundLowering()
        func given(_ n: Node, _ k: Int) -> String? { n.inputs.count > k && !n.inputs[k].isEmpty ? n.inputs[k] : nil }
        let clips = nodes.indices.filter { i in
            nodes[i].opType == "Clip" && isDefaultDomain(nodes[i])
                && [1, 2].contains { k in given(nodes[i], k).map { tensors[$0] == nil } ?? false }
        }
        guard !clips.isEmpty else { return out }
        // What onnxsim leaves constant at the manifest's sizes and values: initializers, Constant nodes, the bound
        // inputs, and whatever is computed from them alone.
        var constants = Set(tensors.keys).union(analysis?.boundInputs ?? [])
        for n in nodes where n.opType == "Constant" { constants.formUnion(n.outputs) }
        let folded = constantFolded(nodes, constants: constants, model: model, analysis: analysis, manifestSized: true)
        for i in folded { constants.formUnion(nodes[i].outputs) }
        func runtime(_ v: String?) -> Bool { v.map { !constants.contains($0) } ?? false }

        var droppedValues: [String] = []
        for i in clips where !folded.contains(i) {
            let n = nodes[i]
            let (low, high) = (given(n, 1), given(n, 2))
            if let low, runtime(low) {
                guard high != nil else {
                    out.refusals[i] = (clipOpenBoundRule, "its lower bound is computed at run time and it has no upper bound, for which Clip.py writes no TensorFlow operation")
                    continue
                }
                out.lowered[i] = ["MINIMUM"]
                out.deviations[i] = "onnx2tf drops its lower bound '\(low)', computed at run time: the artifact clamps from above only"
                droppedValues.append(low)
            } else if let high, runtime(high), let low {
                out.lowered[i] = [scalar(low, model: model, tensors: tensors) == 0 ? "RELU" : "MAXIMUM"]
                out.deviations[i] = "onnx2tf drops its upper bound '\(high)', computed at run time: the artifact clamps from below only"
                droppedValues.append(high)
            }
        }
        for i in deadProducers(of: droppedValues, nodes, links) where out.lowered[i] == nil { out.lowered[i] = [] }
        return out
    }

    /// The nodes left with no reader once `values` lose one reader each (a dropped bound's read): followed back
    /// through their inputs, short of the graph's outputs and of control flow.
    static func deadProducers(of values: [String], _ nodes: [Node], _ links: NodeLinks) -> Set<Int> {
        var remaining = links.readCount
        var dead: Set<Int> = []
        var work = values
        for v in values { remaining[v, default: 1] -= 1 }
        while let v = work.popLast() {
            guard let p = links.producer[v], !dead.contains(p), !["If", "Loop", "Scan"].contains(nodes[p].opType) else { continue }
            let outputs = nodes[p].outputs.filter { !$0.isEmpty }
            guard outputs.allSatisfy({ (remaining[$0] ?? 0) <= 0 && !links.graphOutputs.contains($0) }) else { continue }
            dead.insert(p)
            for u in nodes[p].inputs where !u.isEmpty {
                remaining[u, default: 1] -= 1
                work.append(u)
            }
        }
        return dead
    }
}
