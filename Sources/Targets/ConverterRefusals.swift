import ModelFormats

/// ONNX nodes whose operator has a TFLite lowering but which onnx2tf, or the TensorFlow call it lowers them
/// through, refuses as they are: `convert` fails on them, so `check` says so on the node (one verdict).
/// Measured against onnx2tf 1.29.24 with TensorFlow 2.19.
extension Coverage {
    /// Why onnx2tf cannot convert `node` (with the rule that says so), or nil when nothing here refuses it.
    static func converterRefusal(
        _ node: Node, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> (rule: String, reason: String)? {
        guard isDefaultDomain(node) else { return nil }
        // Pow.py compares a constant exponent with 2, then 3, through `np.squeeze(e) == 2` in an `and`: for a 1-D
        // exponent of more than one element that is an array's truth value, which raises (measured: the node test
        // test_pow_types_float32_int32's [1, 2, 3]; a 7-D Pow by a [2] exponent, measure_rank_above_6.py).
        if node.opType == "Pow", node.inputs.count > 1, let e = tensors[node.inputs[1]], e.shape.count == 1, e.elementCount > 1 {
            return ("litert.onnx-pow-exponent", "its exponent '\(node.inputs[1])' is a constant of \(e.elementCount) elements, whose comparison with 2 in onnx2tf's Pow.py raises (\"The truth value of an array with more than one element is ambiguous\")")
        }
        if node.opType == "Conv", let detail = stridedDilation(node, analysis: analysis) {
            return ("litert.onnx-strided-dilation", "\(detail): TensorFlow's convolution refuses a stride above 1 with a dilation above 1")
        }
        // onnx2tf builds an LSTM's Keras initial state from initial_h, then initial_c (zeros when only it is absent):
        // without initial_h the layer gets one state or none and refuses ("initial_state ... not compatible with
        // cell.state_size"; LSTM.py; measured: recurrent_stateless.onnx). PyTorch's export always writes both.
        if node.opType == "LSTM", !(node.inputs.count > 5 && !node.inputs[5].isEmpty) {
            return ("litert.onnx-lstm-states", "it has no initial_h, and onnx2tf then gives its Keras LSTM layer an initial state the layer refuses")
        }
        return nil
    }

    /// The ConvTransposes onnx2tf cannot convert while the batch is free — a leading dimension of a graph input of
    /// the node's input rank that neither the file nor the manifest fixes —, by node index, with why.
    /// ConvTranspose.py computes tf.nn.conv*_transpose's output shape from the ONNX output's shape when every spatial
    /// dimension is known: with the batch a symbol there the call raises ("Expected int32 passed to parameter
    /// 'input_sizes' … got 'n'"). With a spatial dimension free too it runs the node in onnxruntime to estimate the
    /// shape and converts it; but an Add, Sub, Mul or Div of a constant [1, C, 1, 1] on its output, directly or
    /// through activations (`perChannelArithmetic`; Paddle's exporter writes the bias so), is then broadcast along the
    /// wrong axis, and the conversion raises ("Dimensions must be equal, but are 16 and 24"). Measured with onnx2tf
    /// 1.29.24 through the driver on one-node forms with a free batch (sizes fixed: every form fails; sizes free: the
    /// four operators directly, and the Add after any of nine unary activations, fail; after a Conv or a
    /// BatchNormalization, by a [C, 1, 1] or a scalar constant, by a value computed at run time, or with no such
    /// node they convert; a batch of 1 converts every form, and with a constant Add fused as its bias the file fails
    /// when run at other sizes: `fixedBiasAtFreeSizes`) and on ppocrv4-det; the whole shape under `model.inputs`
    /// (which the driver writes into the model) converts.
    static func freeBatchTransposeConvolutions(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.assumedDimensions.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for (i, node) in nodes.enumerated() where node.opType == "ConvTranspose" && isDefaultDomain(node) {
            guard let x = node.inputs.first, !x.isEmpty, let rank = analysis.shapes[x]?.count, rank >= 3 else { continue }
            // The graph inputs of the node's rank whose batch is free, and whether any of their other dimensions is.
            let free = model.inputs.filter { ($0.shape?.count ?? -1) == rank }.compactMap { input -> (name: String, sized: Bool)? in
                let axes = analysis.freeInputAxes[input.name] ?? []
                return axes.contains(0) ? (input.name, !axes.contains { $0 >= 2 }) : nil
            }
            guard let first = free.first else {
                if let r = fixedBiasAtFreeSizes(i, nodes, links, model: model, tensors: tensors, analysis: analysis) { refused[i] = r }
                continue
            }
            let fix = "give '\(first.name)' its whole shape, batch included, under model.inputs"
            if free.contains(where: \.sized) {
                refused[i] = ("litert.onnx-convtranspose-batch", "its batch is free ('\(first.name)'s first dimension) while its sizes are fixed, and onnx2tf's ConvTranspose.py then passes the batch's name as a size to TensorFlow's transposed convolution, which raises; \(fix)")
            } else if let after = perChannelArithmetic(after: i, nodes, links, tensors: tensors) {
                refused[i] = ("litert.onnx-convtranspose-batch", "its batch and sizes are free ('\(first.name)'), and onnx2tf then broadcasts the per-channel \(after.opType) '\(after.name)' after it along the wrong axis, which raises (\"Dimensions must be equal\"); \(fix)")
            } else if let r = fixedBiasAtFreeSizes(i, nodes, links, model: model, tensors: tensors, analysis: analysis) {
                refused[i] = r
            }
        }
        return refused
    }

    /// Why the file onnx2tf writes for ConvTranspose `c` fails when run, or nil: free input dimensions reach its
    /// sizes and its only reader is an Add of a constant of rank 3 or more, which TensorFlow's converter fuses into
    /// the TRANSPOSE_CONV as its bias; the fused node's output shape is then the one onnx2tf sampled (sizes 1), and
    /// at any other size the kernel refuses it ("computed_input_height != SizeOfDimension(input, 1)"). Measured with
    /// onnx2tf 1.29.24 through the driver, each file run by `slipway test` at other sizes (free_batch_measured.json):
    /// an Add of a [1, C, 1, 1] (a batch of 1), [C, 1, 1] or [1, 1, 1, 1] constant fails; of a [1] constant, of a
    /// run-time value, a BatchNormalization or nothing after it runs.
    static func fixedBiasAtFreeSizes(
        _ c: Int, _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis
    ) -> (rule: String, reason: String)? {
        guard let x = nodes[c].inputs.first, let free = analysis.freeAxes(of: x, model: model), free.contains(where: { $0 >= 2 }),
              let y = nodes[c].outputs.first, !y.isEmpty, !links.graphOutputs.contains(y), let readers = links.readers[y],
              readers.count == 1, nodes[readers[0]].opType == "Add", isDefaultDomain(nodes[readers[0]]), nodes[readers[0]].inputs.count == 2
        else { return nil }
        let add = nodes[readers[0]]
        let other = add.inputs[0] == y ? add.inputs[1] : add.inputs[0]
        guard let t = tensors[other], t.shape.count >= 3 else { return nil }
        let input = model.inputs.first { analysis.freeInputAxes[$0.name] != nil }?.name ?? x
        return ("litert.onnx-convtranspose-sizes", "its sizes are free and the Add '\(add.name)' of a constant after it becomes its bias, so the file onnx2tf writes fixes its output at the sizes it sampled (1) and fails when run at any other; give '\(input)' its whole shape under model.inputs")
    }

    /// The first node that combines node `c`'s output, directly or through `unaryElementwise` operators and Adds,
    /// Subs, Muls or Divs with values computed at run time, with a constant [1, C, 1, 1] (C > 1) by Add, Sub, Mul or
    /// Div; nil when none does. Measured: the output added to itself, multiplied by itself, or added to a resized
    /// input, then such an Add, fails (ConvTranspose_Add_self_Add, _Mul_self_Add, _Add_runtime_Add).
    static func perChannelArithmetic(after c: Int, _ nodes: [Node], _ links: NodeLinks, tensors: [String: ConstantTensor]) -> Node? {
        var frontier = nodes[c].outputs.filter { !$0.isEmpty }
        var visited = 0
        while let v = frontier.popLast(), visited < 64 {
            visited += 1
            for r in links.readers[v] ?? [] where isDefaultDomain(nodes[r]) {
                let n = nodes[r]
                if ["Add", "Sub", "Mul", "Div"].contains(n.opType), n.inputs.count == 2 {
                    let other = n.inputs[0] == v ? n.inputs[1] : n.inputs[0]
                    if let t = tensors[other] {
                        if let channels = perChannel(t), channels > 1 { return n }
                    } else if let o = n.outputs.first, !o.isEmpty {
                        // With a value computed at run time (itself included) the result keeps the mis-laid shape.
                        frontier.append(o)
                    }
                } else if unaryElementwise.contains(n.opType), n.inputs.first == v, let o = n.outputs.first, !o.isEmpty {
                    frontier.append(o)
                }
            }
        }
        return nil
    }

    /// The Expands onnx2tf cannot convert because they expand a constant of rank 3 or more to a shape computed at
    /// run time from free input dimensions, by node index, with why. onnxsim cannot fold such a shape, and Expand.py
    /// permutes a run-time shape to channel-last whenever its data's rank is above 2, as it would a shape of data it
    /// holds channel-last — a constant it does not: the expanded tensor's dimensions are the wrong ones, and its
    /// multiplication, or what reads it, raises ("operands don't have broadcast-compatible shapes"), or the file
    /// fails when run at other sizes than the 1 onnx2tf sampled. The Shape of a value is such a shape (Shape.py gives
    /// the channel-last tensor's, which Expand.py permutes once more); so is a Concat of a batch sliced from one and
    /// constants (a hand-written recurrence's zero states [1, batch, hidden]). Measured with onnx2tf 1.29.24 through
    /// the driver, each file run by `slipway test` (free_batch_measured.json): constants [1, C, 1, 1], [C, 1, 1],
    /// [1, 1, 1, 1] and [1, C, H, W] expanded to the Shape of the input or of a Conv's output, read by an Add, a Mul or
    /// nothing, fail both ways (a batch of 1 with free sizes too; Shape_Expand*); [1, 1, C] expanded to Concat(the
    /// batch, [4, C]) and added raises, and as an LSTM's initial states the file fails when run at batch 2
    /// (Expand_const_*; lstm_classifier.onnx with its batch free: "Given shapes, [1,64,2] and [1,1,64], are not
    /// broadcastable"); a [1] constant converts and runs.
    static func expandsToFreeShapes(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.freeInputAxes.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for (i, node) in nodes.enumerated() where node.opType == "Expand" && isDefaultDomain(node) && node.inputs.count == 2 {
            guard let data = tensors[node.inputs[0]], data.shape.count > 2, tensors[node.inputs[1]] == nil,
                  let p = links.producer[node.inputs[1]], let out = node.outputs.first, !out.isEmpty
            else { continue }
            let input = model.inputs.first { analysis.freeInputAxes[$0.name] != nil }?.name ?? node.inputs[0]
            let fix = "give '\(input)' its whole shape, batch included, under model.inputs"
            if nodes[p].opType == "Shape", isDefaultDomain(nodes[p]), nodes[p].attributes["start"] == nil,
               nodes[p].attributes["end"] == nil, let v = nodes[p].inputs.first, !v.isEmpty {
                guard let rank = analysis.shapes[v]?.count, rank >= 3, let free = analysis.freeAxes(of: v, model: model), !free.isEmpty
                else { continue }
                let outcome = free == [0]
                    ? "whose batch alone is free, and onnx2tf's Expand.py permutes that shape, already channel-last, once more, so the expanded dimensions disagree and the conversion raises (\"operands don't have broadcast-compatible shapes\")"
                    : "whose sizes are free, and onnx2tf's Expand.py permutes that shape, already channel-last, once more: the file it writes fails when run at other sizes than the 1 it sampled"
                refused[i] = ("litert.onnx-expand-shape", "it expands the constant '\(node.inputs[0])' to the Shape of '\(v)', \(outcome); \(fix)")
            } else {
                guard let free = analysis.freeAxes(of: out, model: model), !free.isEmpty else { continue }
                refused[i] = ("litert.onnx-expand-shape", "it expands the constant '\(node.inputs[0])' to a shape computed at run time from free input dimensions, and onnx2tf's Expand.py permutes that shape to channel-last as if the constant were laid out so: the expanded dimensions are the wrong ones, and the conversion raises (\"operands don't have broadcast-compatible shapes\") or the file fails when run at other sizes than the 1 it sampled; \(fix)")
            }
        }
        return refused
    }

    /// The two-input elementwise nodes onnx2tf cannot convert because they combine a value an Expand broadcast to a
    /// shape computed at run time from free input dimensions with a constant of the same rank (3 or more) that widens
    /// one of its dimensions of size 1, by node index, with why. onnxsim cannot fold that shape; TensorFlow then knows
    /// the expanded tensor's dimensions of size 1 as unknown ([?, 2048, ?]), and the layout workaround every such
    /// operator of onnx2tf runs (common_functions.py, shape_unmatched_special_avoidance_workaround) transposes the
    /// constant to channel-first ([1, 1, 257] to [1, 257, 1]): the operator raises ("Dimensions must be equal, but
    /// are 2048 and 257"). jax2tf writes one_hot so (magika). Measured with onnx2tf 1.29.24 through the driver, the
    /// batch free (free_batch_measured.json, Expand_runtime_*): an Add, a Mul or an Equal with [1, 1, 9] after
    /// [n, 256, 1], an Add with [1, 9, 1] after [n, 1, 256] fail; constants that widen nothing ([1, 1, 64], [1, 4, 1],
    /// [1, 1, 1], [64] after [n, 4, 64]; [1, 1, 1] after [n, 256, 1]) convert, and so does the Equal without the
    /// Expand; on magika with its batch free (its batch under model.inputs converts).
    static func runtimeExpandBroadcasts(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.freeInputAxes.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for (i, node) in nodes.enumerated()
        where layoutAlignedBinary.contains(node.opType) && isDefaultDomain(node) && node.inputs.count == 2 {
            for (k, v) in node.inputs.enumerated() {
                guard let p = links.producer[v], nodes[p].opType == "Expand", isDefaultDomain(nodes[p]), nodes[p].inputs.count == 2,
                      tensors[nodes[p].inputs[1]] == nil, let shape = analysis.shapes[v], shape.count >= 3,
                      let c = tensors[node.inputs[1 - k]], c.shape.count == shape.count,
                      let free = analysis.freeAxes(of: v, model: model), !free.isEmpty,
                      let axis = shape.indices.first(where: { !free.contains($0) && shape[$0] == 1 && c.shape[$0] > 1 })
                else { continue }
                let input = model.inputs.first { analysis.freeInputAxes[$0.name] != nil }?.name ?? v
                let expand = nodes[p].name.isEmpty ? "an Expand" : "the Expand '\(nodes[p].name)'"
                refused[i] = ("litert.onnx-expand-runtime-broadcast", "it combines '\(v)', which \(expand) broadcasts to a shape computed at run time from free input dimensions, with the constant '\(node.inputs[1 - k])' \(c.shape), which widens its dimension \(axis) of size 1: TensorFlow knows that dimension as unknown, and onnx2tf's layout workaround transposes the constant, so the conversion raises (\"Dimensions must be equal\"); give '\(input)' its whole shape, batch included, under model.inputs")
                break
            }
        }
        return refused
    }

    /// The two-input operators whose onnx2tf conversion aligns its inputs' layouts by
    /// `shape_unmatched_special_avoidance_workaround` (grepped over onnx2tf 1.29.24's ops/).
    static let layoutAlignedBinary: Set<String> = [
        "Add", "And", "Div", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Mod", "Mul", "Or", "Sub", "Xor",
    ]

    /// The Reshapes by a constant shape holding 0 (copy the input's dimension) and -1 that free input dimensions
    /// other than the batch reach, by node index, with why: onnx2tf's Reshape.py replaces a shape holding 0 by the
    /// ONNX output shape, which it has at the sizes it samples (1), and the file fails when run at any other
    /// ("num_input_elements != num_output_elements"). Measured with onnx2tf 1.29.24 through the driver, each file
    /// run by `slipway test` (free_batch_measured.json): [0, -1], [0, 0, -1] and [0, C, -1] fail with the sizes free
    /// and run with the batch alone free; [-1, C] runs either way.
    static func freeSizeReshapes(
        _ nodes: [Node], model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.freeInputAxes.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for (i, node) in nodes.enumerated() where node.opType == "Reshape" && isDefaultDomain(node) && node.inputs.count == 2 {
            guard let target = tensors[node.inputs[1]], target.shape.count == 1, target.elementCount <= 16,
                  let dims = try? model.withFloat32Values(of: target, { Array($0) }), dims.contains(0), dims.contains(-1),
                  node.reshapeCopiesZeros,
                  let free = analysis.freeAxes(of: node.inputs[0], model: model), free.contains(where: { $0 >= 1 })
            else { continue }
            let input = model.inputs.first { analysis.freeInputAxes[$0.name] != nil }?.name ?? node.inputs[0]
            refused[i] = ("litert.onnx-reshape-free", "its shape holds 0 and -1 and free input sizes reach it: onnx2tf's Reshape.py then takes the ONNX output shape, which it has at the sizes it sampled (1), so the file fails when run at any other (\"num_input_elements != num_output_elements\"); give '\(input)' its whole shape under model.inputs")
        }
        return refused
    }

    /// The Reshapes onnx2tf converts into a file that fails when run because their shape, computed at run time, holds
    /// a 0 (ONNX's "copy this dimension") and free input dimensions reach their output, by node index, with why.
    /// Reshape.py replaces a 0 only in a constant shape; one computed at run time reaches tf.reshape as it is when the
    /// ONNX output shape has symbols, and TensorFlow reads the 0 as a size. Measured with onnx2tf 1.29.24 through the
    /// driver, each file run by `slipway test` (free_batch_measured.json, Tokens_*): a vision transformer's tokens
    /// put back into an image by a Reshape to Concat([0], the input's sizes sliced from its Shape, [C]) fail when run
    /// with the batch free, the sizes free or both ("num_input_elements != num_output_elements (480 != 0)", or
    /// computing otherwise), whatever follows; the tokens' own Reshape to Concat(the batch sliced from the Shape,
    /// [-1], [C]), holding no 0, runs. PaddleOCR's SVTR neck writes the first (ppocrv4-rec's p2o.Reshape.79).
    static func runtimeZeroReshapes(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.freeInputAxes.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for (i, node) in nodes.enumerated() where node.opType == "Reshape" && isDefaultDomain(node) && node.inputs.count == 2 {
            guard tensors[node.inputs[1]] == nil,
                  node.reshapeCopiesZeros,
                  let concat = links.producer[pastCasts(node.inputs[1], nodes, links, tensors)], nodes[concat].opType == "Concat",
                  nodes[concat].inputs.contains(where: { v in
                      guard let c = tensors[pastCasts(v, nodes, links, tensors)], c.elementCount <= 16,
                            let values = try? model.withFloat32Values(of: c, { Array($0) }) else { return false }
                      return values.contains(0)
                  }),
                  let out = node.outputs.first, let free = analysis.freeAxes(of: out, model: model), !free.isEmpty
            else { continue }
            let input = model.inputs.first { analysis.freeInputAxes[$0.name] != nil }?.name ?? node.inputs[0]
            refused[i] = ("litert.onnx-reshape-runtime-zero", "its shape is computed at run time and holds 0, and free input dimensions reach its output: onnx2tf's Reshape.py hands such a shape to TensorFlow's reshape as it is, which reads the 0 as a size, so the file fails when run (\"num_input_elements != num_output_elements\") or computes otherwise; give '\(input)' its whole shape, batch included, under model.inputs")
        }
        return refused
    }

    /// The Slices whose file onnx2tf writes one element short, by node index, with why: an end past int32 (torch's
    /// INT64_MAX for `x[:, :, 1:]`) on an axis free input dimensions reach. onnx2tf's Slice.py replaces such an end by
    /// the axis's size where TensorFlow knows it (`replace_max_values_negative_values`), and leaves it where the axis
    /// is free; TensorFlow Lite's STRIDED_SLICE then holds its ends as int32, where INT64_MAX is -1, so the slice
    /// stops before the last element at every size. Measured with onnx2tf 1.29.24 through the driver
    /// (free_batch_measured.json `Slice`: the end of axis 2 stored as -1, y [2, 4, 62, 64] for [2, 4, 63, 64]); with
    /// the axis fixed the end is its size and the file is right. A Slice the driver drops (every element kept) is not
    /// one.
    static func openEndSlices(
        _ nodes: [Node], model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.freeInputAxes.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for (i, node) in nodes.enumerated() where node.opType == "Slice" && isDefaultDomain(node) {
            guard let x = node.inputs.first, !x.isEmpty, let rank = analysis.shapes[x]?.count,
                  !Coverage.slicesNothing(node, model: model, tensors: tensors, analysis: analysis)
            else { continue }
            func ints(_ k: Int, _ attribute: String) -> [Int64]? {
                if node.inputs.count > k, !node.inputs[k].isEmpty {
                    guard let t = tensors[node.inputs[k]] else { return nil }
                    return try? model.integerValues(of: t, limit: 64)
                }
                if case .ints(let v)? = node.attributes[attribute] { return v }
                return nil
            }
            guard let ends = ints(2, "ends") else { continue }
            let axes = ints(3, "axes") ?? (0..<Int64(ends.count)).map { $0 }
            // A negative step's open end is INT64_MIN, which Slice.py's end mask covers: a reversal over a free height
            // (starts -1, ends INT64_MIN, steps -1) measured exact.
            if node.inputs.count > 4, !node.inputs[4].isEmpty {
                guard let steps = ints(4, ""), steps.allSatisfy({ $0 > 0 }) else { continue }
            }
            guard axes.count == ends.count, let free = analysis.freeAxes(of: x, model: model), !free.isEmpty else { continue }
            let open = zip(axes, ends).compactMap { a, e -> Int? in
                let axis = a < 0 ? Int(a) + rank : Int(a)
                return e > Int64(Int32.max) && free.contains(axis) ? axis : nil
            }
            guard let axis = open.first else { continue }
            let input = model.inputs.first { analysis.freeInputAxes[$0.name] != nil }?.name ?? x
            refused[i] = ("litert.onnx-slice-open-end", "it slices '\(x)' to the end of its axis \(axis) with an end past int32, and free input dimensions reach that axis: onnx2tf leaves such an end as it is where the axis's size is free, and TensorFlow Lite's STRIDED_SLICE holds it as int32, where it is -1, so the file stops one element short at every size; give '\(input)' its whole shape under model.inputs")
        }
        return refused
    }

    /// The operators from which Slipway's driver tells an image input from another: a graph input of rank 4 or more
    /// that reaches none of them keeps its shape through onnx2tf (onnx_tflite.py's SPATIAL, held equal to this by a
    /// test; keep_shape_absolutely_input_names).
    static let spatialOperators: Set<String> = [
        "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "DeformConv", "AveragePool", "MaxPool", "LpPool",
        "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxUnpool", "Resize", "Upsample", "BatchNormalization",
        "InstanceNormalization", "LRN", "DepthToSpace", "SpaceToDepth", "GridSample", "RoiAlign", "MaxRoiPool",
    ]

    /// The values the driver's kept-shape inputs reach (the inputs included): graph inputs of rank 4 or more from
    /// which no spatial operator is reachable, and everything computed from them.
    static func keptLayoutValues(_ nodes: [Node], _ links: NodeLinks, model: Model) -> Set<String> {
        func reach(_ start: String) -> (values: Set<String>, spatial: Bool) {
            var seen: Set<String> = [start], todo = [start]
            while let v = todo.popLast() {
                for r in links.readers[v] ?? [] {
                    if spatialOperators.contains(nodes[r].opType) { return (seen, true) }
                    for o in nodes[r].outputs where !o.isEmpty && seen.insert(o).inserted { todo.append(o) }
                }
            }
            return (seen, false)
        }
        var kept: Set<String> = []
        for input in model.inputs where (input.shape?.count ?? 0) >= 4 && links.readers[input.name] != nil {
            let r = reach(input.name)
            if !r.spatial { kept.formUnion(r.values) }
        }
        return kept
    }

    /// The elementwise nodes whose constant onnx2tf lays channels-last on a value the driver keeps channels-first,
    /// where free sizes hide the mismatch, by node index, with why. onnx2tf transposes a constant of rank 3 or more
    /// as it would for an image it moved channels-last; the input kept in its shape is not, and a mismatch that the
    /// known sizes show ([n, 4, 8, 8] against [1, 1, 1, 4]) its layout workaround undoes, one that free sizes hide
    /// ([n, 4, ?, ?]) it does not. Measured with onnx2tf 1.29.24 through the driver, each file run by `slipway test`
    /// at other sizes (free_batch_measured.json: Add_affine, Relu_Add_affine, Mul_Add_affine): a per-channel
    /// [1, C, 1, 1] constant added or multiplied on such an input, directly or after a Relu or a Mul, fails when run
    /// with the sizes free ("XNNPack delegate failed to reshape runtime"; "Given shapes, [2,4,64,64] and [1,1,1,4],
    /// are not broadcastable") and runs with them fixed; a [C, 1, 1] constant (a lower rank) runs either way.
    static func keptLayoutConstants(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.freeInputAxes.isEmpty else { return [:] }
        let kept = keptLayoutValues(nodes, links, model: model)
        guard !kept.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for (i, node) in nodes.enumerated()
        where layoutAlignedBinary.contains(node.opType) && isDefaultDomain(node) && node.inputs.count == 2 {
            for (v, k) in [(node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])] {
                guard kept.contains(v), let c = tensors[k], let rank = analysis.shapes[v]?.count, c.shape.count == rank,
                      (3...5).contains(rank) else { continue }
                let laid = [c.shape[0]] + c.shape[2...] + [c.shape[1]]
                guard laid != c.shape, let free = analysis.freeAxes(of: v, model: model),
                      free.contains(where: { $0 >= 1 && laid[$0] != 1 }) else { continue }
                let input = model.inputs.first { kept.contains($0.name) && analysis.freeInputAxes[$0.name] != nil }?.name ?? v
                refused[i] = ("litert.onnx-kept-layout-constant", "it combines '\(v)', which keeps the channels-first layout of the input '\(input)' (no spatial operator reads it, so Slipway's driver keeps its shape), with the constant '\(k)' \(c.shape), which onnx2tf lays channels-last (\(laid)); with the sizes free nothing shows the mismatch, and the file fails when run or broadcasts otherwise; give '\(input)' its whole shape under model.inputs")
                break
            }
        }
        return refused
    }

    /// The MatMuls by a constant that read a 1-D convolution's frames unsqueezed to 4-D while free input dimensions
    /// reach their length, by node index, with why: a spectrogram's front end (oww-melspectrogram: the STFT as a Conv
    /// [n, bins, T], unsqueezed to [n, 1, bins, T], transposed to [n, 1, T, bins], squared, times the mel filters).
    /// onnx2tf holds the unsqueezed frames with the source's axes in another order ([n, T, bins, 1]), which the known
    /// sizes let it undo before the MatMul and the length sampled at 1 does not: the file's FULLY_CONNECTED reads
    /// the length where the bins are and fails when run at any other length. Measured with onnx2tf 1.29.24 through
    /// the driver, each file run by `slipway test` (free_batch_measured.json, the Conv1d forms on audio [n, s]): the
    /// MatMul after Unsqueeze and Transpose, directly or after a Mul, fails when run with the length free and runs
    /// with it fixed; the frames unsqueezed or transposed without a MatMul, and a Transpose before the Unsqueeze, run.
    static func unsqueezedFrameProducts(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.freeInputAxes.isEmpty else { return [:] }
        let carriers = unaryElementwise.union(layoutAlignedBinary).union(["Transpose", "Pow"])
        var refused: [Int: (rule: String, reason: String)] = [:]
        for conv in nodes where conv.opType == "Conv" && isDefaultDomain(conv) {
            guard let frames = conv.outputs.first, !frames.isEmpty, analysis.shapes[frames]?.count == 3,
                  let free = analysis.freeAxes(of: frames, model: model), free.contains(2) else { continue }
            for u in links.readers[frames] ?? [] where nodes[u].opType == "Unsqueeze" && isDefaultDomain(nodes[u]) {
                guard let start = nodes[u].outputs.first, !start.isEmpty, analysis.shapes[start]?.count == 4 else { continue }
                var seen: Set<String> = [start], todo = [start]
                while let v = todo.popLast() {
                    for r in links.readers[v] ?? [] {
                        let node = nodes[r]
                        if node.opType == "MatMul", isDefaultDomain(node), node.inputs.count == 2, node.inputs[0] == v,
                           tensors[node.inputs[1]] != nil, refused[r] == nil {
                            let input = model.inputs.first { analysis.freeInputAxes[$0.name] != nil }?.name ?? frames
                            refused[r] = ("litert.onnx-unsqueezed-frames", "it multiplies '\(v)' by the constant '\(node.inputs[1])', and '\(v)' comes from the 1-D convolution's output '\(frames)' unsqueezed to 4-D ('\(start)'), whose length free input dimensions reach: onnx2tf holds the unsqueezed value with its axes in another order than the source's and, with the length sampled at 1, multiplies along the length where the source multiplies along the channels, so the file fails when run at any other length; give '\(input)' its whole shape under model.inputs")
                            continue
                        }
                        guard carriers.contains(node.opType), isDefaultDomain(node) else { continue }
                        for o in node.outputs where !o.isEmpty && seen.insert(o).inserted { todo.append(o) }
                    }
                }
            }
        }
        return refused
    }

    /// The value `value` is a Cast or Identity of, followed back to the constant, graph input or other node's output
    /// it comes from (at most 8 steps): where a shape or a constant a node reads is made.
    static func pastCasts(
        _ value: String, _ nodes: [Node], _ links: NodeLinks, _ tensors: [String: ConstantTensor]
    ) -> String {
        var v = value
        for _ in 0..<8 {
            guard tensors[v] == nil, let p = links.producer[v], ["Cast", "Identity"].contains(nodes[p].opType),
                  let next = nodes[p].inputs.first
            else { return v }
            v = next
        }
        return v
    }

    /// C, for a constant shaped [1, C, 1, 1]: one value per channel of an NCHW tensor, as exporters write a bias.
    static func perChannel(_ t: ConstantTensor) -> Int? {
        t.shape.count == 4 && t.shape[0] == 1 && t.shape[2] == 1 && t.shape[3] == 1 ? t.shape[1] : nil
    }

    /// The one-input elementwise operators (a Clip's bounds aside) a ConvTranspose's output passes through to the
    /// per-channel arithmetic onnx2tf then mis-broadcasts: onnx2tf writes each as one TensorFlow operation on the
    /// tensor it was given. Measured: Relu, Sigmoid, LeakyRelu, Tanh, Clip, Elu, Abs, Softplus and Neg (see
    /// `freeBatchTransposeConvolutions`); the others are of the same kind. A BatchNormalization or a Conv stops it.
    static let unaryElementwise: Set<String> = [
        "Relu", "Sigmoid", "LeakyRelu", "Tanh", "Clip", "Elu", "Abs", "Softplus", "Neg", "HardSigmoid", "HardSwish", "Selu",
        "Celu", "Mish", "Gelu", "ThresholdedRelu", "Softsign", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Floor",
        "Ceil", "Round", "Sign", "Sin", "Cos", "Identity",
    ]

    /// The Tiles with constant multiples onnx2tf cannot convert because free input dimensions reach their output, by
    /// node index, with why. Tile.py searches the order of the multiples by building a trial TILE on sample data (every
    /// free input dimension 1, its dummy inference's sizes) and comparing the product of its output's dimensions with
    /// the product of the ONNX output's, in which each free dimension counts −1; when no order agrees it keeps the
    /// identity order of the 1-D multiples, [0], and TensorFlow refuses the rank ("Shape must be rank 4 but is rank
    /// 1"). The products agree only when an even number of the output's dimensions are free and those are 1 at the
    /// sample sizes. Which output dimensions are free: `GraphAnalysis.freeAxes(of:model:)`. Measured with onnx2tf
    /// 1.29.24 through the driver (free_batch_measured.json: a 4-D Tile with its batch, its sizes or both free fails;
    /// a 3-D one with its batch and its last dimension free converts, and its file's Reshape fails when run at other
    /// sizes than 1; with the batch alone free it fails).
    static func freeTiles(
        _ nodes: [Node], model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: (rule: String, reason: String)] {
        guard let analysis, !analysis.assumedDimensions.isEmpty else { return [:] }
        var refused: [Int: (rule: String, reason: String)] = [:]
        for i in nodes.indices where nodes[i].opType == "Tile" && isDefaultDomain(nodes[i]) && nodes[i].inputs.count > 1
            && tensors[nodes[i].inputs[1]] != nil {
            guard let y = nodes[i].outputs.first, !y.isEmpty, let at1 = analysis.shapes[y],
                  let free = analysis.freeAxes(of: y, model: model), !free.isEmpty else { continue }
            let sampled = free.reduce(1) { $0.multipliedReportingOverflow(by: at1[$1]).partialValue }
            guard free.count % 2 == 1 || sampled != 1 else { continue }
            let listed = free.map(String.init).joined(separator: ", ")
            refused[i] = ("litert.onnx-tile-free", "free input dimensions reach its output (dimension\(free.count == 1 ? "" : "s") \(listed)), and onnx2tf's Tile.py then finds no order of its multiples whose trial output agrees with the ONNX output's shape, and raises; give the inputs' whole shapes under model.inputs")
        }
        return refused
    }

    /// The first upper rank bound of TensorFlow's converter's op definitions (the derived `tflite-converter` set,
    /// from tfl_ops.td) that the data input of a node lowered to `builtins` exceeds, where the bound binds it
    /// (`rankBindsLowered`), with that rank: the converter cannot write the builtin, and writes a Select TF op
    /// instead (a 6-D Pad: FlexPad).
    static func converterRankBound(
        _ node: Node, builtins: [String], analysis: GraphAnalysis?, catalogue: Catalogue
    ) -> (check: OperatorCheck, rank: Int)? {
        guard let set = catalogue.operatorSets.first(where: { $0.id == "tflite-converter" }),
              let x = node.inputs.first, !x.isEmpty, let shape = analysis?.shapes[x] else { return nil }
        let own = ownBuiltins(node, analysis: analysis, catalogue: catalogue)
        for c in set.checks where c.kind == .rank && rankBindsLowered(c, builtins: builtins, own: own) {
            let rank = c.rank(of: shape)
            if let hi = c.max, rank > hi { return (c, rank) }
        }
        return nil
    }

    /// The builtins the table lowers `node`'s operator to, which onnx2tf writes at the node's rank: where it
    /// rewrites the operator at that rank (`loweringRankRewrittenAbove`), only those of the rewrite that keep it
    /// (`loweringRankRewrittenKeeps`).
    static func ownBuiltins(_ node: Node, analysis: GraphAnalysis?, catalogue: Catalogue) -> Set<String> {
        if let above = catalogue.loweringRankRewrittenAbove[node.opType], let x = node.inputs.first,
           let rank = analysis?.shapes[x]?.count, rank > above { return catalogue.loweringRankRewrittenKeeps[node.opType] ?? [] }
        // A Split of given sizes is a STRIDED_SLICE per part, each reading the node's data (`lower`).
        if sizedSplit(node, analysis: analysis) { return ["STRIDED_SLICE"] }
        return Set((catalogue.lowering[node.opType] ?? nil) ?? [])
    }

    /// The builtins that carry an ONNX node's tensors at its rank above 6-D, as measured on 7-D one-node models
    /// (`rank_above_6_measured`): a Concat's CONCATENATION, the 7-D Transpose's CONCATENATION, GATHER and RESHAPEs;
    /// of a Softmax only the RESHAPEs around the 2-D SOFTMAX onnx2tf flattens it to. None for an operator not measured.
    static func rankKeepingBuiltins(_ node: Node, analysis: GraphAnalysis?, catalogue: Catalogue) -> Set<String> {
        catalogue.loweringRankKeptAbove6[node.opType] ?? []
    }

    /// The Select TF ops onnx2tf's file has for `node` when its data input is above 6-D and every 7-D form of its
    /// operator measured converted so (Softplus: FlexSoftplus; EXP, ADD and LOG at 6-D), with that rank; nil otherwise.
    static func flexAbove6(_ node: Node, analysis: GraphAnalysis?, catalogue: Catalogue) -> (ops: [String], rank: Int)? {
        guard let ops = catalogue.loweringFlexAbove6[node.opType], let x = node.inputs.first, !x.isEmpty,
              let rank = analysis?.shapes[x]?.count, rank > 6 else { return nil }
        return (ops, rank)
    }

    /// Whether a `rank` check binds a node lowered to `builtins` (`own`: those its operator's table gives, not ones
    /// onnx2tf adds around it): by the upper bound on its data input (input 0) only, where every builtin the check
    /// concerns is the operator's own. onnx2tf keeps an operator's rank or raises it (a 1-D convolution's input becomes
    /// 4-D), never lowers it, so a lower bound says nothing.
    static func rankBindsLowered(_ c: OperatorCheck, builtins: [String], own: Set<String>) -> Bool {
        let concerned = builtins.filter { c.operators.contains($0) }
        return c.outputs.isEmpty && c.input == 0 && c.max != nil && !concerned.isEmpty && concerned.allSatisfy(own.contains)
    }

    /// A convolution with a stride above 1 and a dilation above 1 that onnx2tf does not write as a depthwise
    /// convolution (Conv.py: input rank 4, group above 1 and equal to the input channels, equal strides; that one it
    /// strides by slicing). Every other form goes through tf.nn.convolution or a Keras convolution layer, which
    /// refuse the pair. Nil when the node is not refused, or when whether it is depthwise is not known.
    static func stridedDilation(_ node: Node, analysis: GraphAnalysis?) -> String? {
        guard let (strides, dilations) = stridedAndDilated(node) else { return nil }
        var group: Int64 = 1
        if case .int(let g)? = node.attributes["group"] { group = g }
        if group != 1 {
            // Depthwise: one input channel per group, i.e. weights shaped [M, 1, kH, kW].
            guard node.inputs.count > 1, let w = analysis?.shapes[node.inputs[1]], w.count >= 2 else { return nil }
            let depthwise = w.count == 4 && w[1] == 1 && Set(strides).count == 1
            if depthwise { return nil }
        }
        let list = { (xs: [Int64]) in xs.map(String.init).joined(separator: "×") }
        return "strides \(list(strides)) with dilations \(list(dilations))\(group == 1 ? "" : " in a grouped, not depthwise, convolution")"
    }

    /// A convolution's strides and dilations when some stride and some dilation are above 1.
    static func stridedAndDilated(_ node: Node) -> (strides: [Int64], dilations: [Int64])? {
        guard case .ints(let dilations)? = node.attributes["dilations"], dilations.contains(where: { $0 > 1 }),
              case .ints(let strides)? = node.attributes["strides"], strides.contains(where: { $0 > 1 })
        else { return nil }
        return (strides, dilations)
    }
}
