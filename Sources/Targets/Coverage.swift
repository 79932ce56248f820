import ModelFormats

/// How a target runs one operator of the model.
public enum OperatorStatus: String, Sendable, Hashable {
    /// On the delegate (or the runtime, when there is no delegate).
    case supported
    /// Removed or folded by the converter (BatchNormalization into Conv, Identity).
    case folded
    /// Supported by the runtime, but the delegate sends it (and, by its partitioning, maybe more) to the CPU.
    case cpuFallback
    /// The runtime cannot run it at all.
    case unsupported
    /// The catalogue has no entry for it: counted as supported, listed so that the gap is visible.
    case unknown
}

public struct OperatorFinding: Sendable, Hashable {
    public var node: Int
    public var name: String
    public var opType: String
    /// The TFLite builtins the node is (or lowers to), for LiteRT targets.
    public var builtins: [String]
    public var status: OperatorStatus
    public var reason: String
    /// The catalogue rule behind the status.
    public var rule: String?
}

/// Operator coverage of one model on one target.
public struct CoverageReport: Sendable {
    /// One entry per node of the main graph, in graph order.
    public var operators: [OperatorFinding]
    /// Nodes that run on the CPU instead of the delegate, whatever the reason (their own support, or the
    /// delegate's partitioning).
    public var cpuNodes: Set<Int>
    /// Contiguous runs of CPU nodes between delegated ones.
    public var cpuPartitions: Int
    public var cpuMACs: Int
    public var totalMACs: Int

    public var unsupported: [OperatorFinding] { operators.filter { $0.status == .unsupported } }
    /// Nodes the delegate itself refuses (the cause of the fallback, not every node it drags along).
    public var refused: [OperatorFinding] { operators.filter { $0.status == .cpuFallback } }
    public var unknown: [OperatorFinding] { operators.filter { $0.status == .unknown } }
    public var cpuShareOfMACs: Double { totalMACs > 0 ? Double(cpuMACs) / Double(totalMACs) : 0 }
}

public enum Coverage {
    /// Operator coverage of `model` on `runtime` (pinned at `version`) with `delegate`. `analysis` supplies
    /// MACs and shapes (for rank limits); without it, shares are by operator count.
    public static func check(
        model: Model, runtime: Runtime, version: String?, delegate: Delegate?, catalogue: Catalogue,
        analysis: GraphAnalysis?
    ) -> CoverageReport {
        let nodes = model.graphs.first?.nodes ?? []
        var findings: [OperatorFinding] = []
        let opSet = delegate?.operators.flatMap { catalogue.operatorSet($0) }
        let pinned = version.flatMap(VersionNumber.init)
        let isLiteRT = runtime.name == "litert" || runtime.name == "tflite-micro"
        var mainTensors: [String: ConstantTensor] = [:]
        for t in model.tensors where t.graph == 0 { mainTensors[t.name] = t }
        let constants = Set(mainTensors.keys)

        for (i, node) in nodes.enumerated() {
            var f = OperatorFinding(
                node: i, name: displayName(node, i), opType: node.opType, builtins: [],
                status: .supported, reason: "", rule: nil)
            switch (model.format, isLiteRT) {
            case (.onnx, false):
                if let domains = runtime.operatorDomains, !domains.contains(node.domain) {
                    f.status = .unsupported
                    f.reason = "domain '\(node.domain)' has no kernels"
                    f.rule = "ort.domains"
                }
            case (.onnx, true):
                switch lower(node, model: model, tensors: mainTensors, analysis: analysis, catalogue: catalogue) {
                case .none:
                    f.status = .unknown
                    f.reason = "not in the catalogue's ONNX-to-TFLite table"
                case .some(nil):
                    f.status = .unsupported
                    f.reason = "no TFLite builtin (needs Select TF ops or a custom operator)"
                    f.rule = "litert.builtin"
                case .some(.some(let builtins)):
                    f.builtins = builtins
                    if builtins.isEmpty { f.status = .folded }
                }
            case (.tflite, true):
                f.builtins = [node.opType]
                if node.builtinCode == nil || node.opType == "CUSTOM" {
                    f.status = .unsupported
                    f.reason = "custom operator '\(node.opType)' needs its kernel registered"
                    f.rule = "litert.builtin"
                } else if let pinned, let v = node.version, let need = catalogue.tfliteOpVersions[node.opType]?[v],
                    let needed = VersionNumber(need), pinned < needed
                {
                    f.status = .unsupported
                    f.reason = "version \(v) needs LiteRT \(need) or later"
                    f.rule = "litert.op-version"
                }
            default:
                break
            }

            if let opSet, f.status == .supported {
                let missing = f.builtins.filter { !opSet.contains($0) }
                if !missing.isEmpty {
                    f.status = .cpuFallback
                    f.reason = "\(missing.joined(separator: ", ")) not supported by the \(opSet.title)"
                    f.rule = delegate?.name == "edgetpu" ? "edgetpu.one-partition" : "litert.gpu-ops"
                } else if let maxRank = opSet.maxRank, let analysis, let bad = rankViolation(node, analysis, maxRank, constants: constants) {
                    f.status = .cpuFallback
                    f.reason = "tensor \(bad) has more than \(maxRank) dimensions larger than 1"
                    f.rule = "edgetpu.rank"
                }
            }
            findings.append(f)
        }

        // Which nodes end up on the CPU, by the delegate's partitioning.
        var cpu = Set<Int>()
        let refused = findings.filter { $0.status == .cpuFallback }.map(\.node)
        if delegate?.partitioning == .prefix, let first = refused.min() {
            for f in findings where f.node >= first && f.status != .unsupported { cpu.insert(f.node) }
        } else if delegate?.partitioning == .largest, !refused.isEmpty {
            // The largest run of delegable nodes stays on the delegate; everything else runs on the CPU.
            var best = 0..<0
            var start = 0
            for i in 0...nodes.count {
                let breaks = i == nodes.count || findings[i].status == .cpuFallback || findings[i].status == .unsupported
                if breaks {
                    if i - start > best.count { best = start..<i }
                    start = i + 1
                }
            }
            for f in findings where !best.contains(f.node) && f.status != .unsupported { cpu.insert(f.node) }
        } else {
            cpu = Set(refused)
        }
        var partitions = 0
        var previous = false
        for i in 0..<nodes.count {
            let on = cpu.contains(i) && findings[i].status != .folded
            if on && !previous { partitions += 1 }
            previous = on || (previous && findings[i].status == .folded)
        }
        let macs = analysis?.nodes.map(\.macs) ?? Array(repeating: 1, count: nodes.count)
        let total = macs.reduce(0, &+)
        let cpuMACs = cpu.reduce(0) { $0 &+ ($1 < macs.count ? macs[$1] : 0) }
        return CoverageReport(
            operators: findings, cpuNodes: cpu, cpuPartitions: partitions, cpuMACs: cpuMACs, totalMACs: total)
    }

    /// A node's name, or (TFLite nodes have none) the tensor it writes, or its position.
    static func displayName(_ node: Node, _ i: Int) -> String {
        if !node.name.isEmpty { return node.name }
        if let out = node.outputs.first(where: { !$0.isEmpty }) { return out }
        return "#\(i)"
    }

    /// The TFLite builtins an ONNX node becomes: `.none` when the table has no entry, `.some(nil)` when it
    /// says there is no builtin, `[]` when the converter folds the node away.
    static func lower(
        _ node: Node, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?, catalogue: Catalogue
    ) -> [String]?? {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return .some(nil) }
        guard let entry = catalogue.lowering[node.opType] else { return .none }
        guard let builtins = entry else { return .some(nil) }
        switch node.opType {
        case "Conv":
            // A convolution with one group per input channel is a depthwise convolution in TFLite.
            if case .int(let g)? = node.attributes["group"], g > 1,
                let w = node.inputs.count > 1 ? analysis?.shapes[node.inputs[1]] : nil, w.count >= 2, w[1] == 1
            {
                return .some(["DEPTHWISE_CONV_2D"])
            }
        case "Clip":
            if let (lo, hi) = clipBounds(node, model: model, tensors: tensors) {
                if lo == 0 && hi == 6 { return .some(["RELU6"]) }
                if lo == -1 && hi == 1 { return .some(["RELU_N1_TO_1"]) }
                if lo == 0 && hi == .infinity { return .some(["RELU"]) }
            }
        case "MatMul":
            if node.inputs.count > 1, tensors[node.inputs[1]]?.shape.count == 2 {
                return .some(["FULLY_CONNECTED"])
            }
        case "Resize":
            if case .string(let mode)? = node.attributes["mode"], mode == "nearest" { return .some(["RESIZE_NEAREST_NEIGHBOR"]) }
        default:
            break
        }
        return .some(builtins)
    }

    static func clipBounds(_ node: Node, model: Model, tensors: [String: ConstantTensor]) -> (Float, Float)? {
        if case .float(let lo)? = node.attributes["min"], case .float(let hi)? = node.attributes["max"] { return (lo, hi) }
        func scalar(_ i: Int) -> Float? {
            guard i < node.inputs.count, !node.inputs[i].isEmpty,
                let t = tensors[node.inputs[i]], t.elementCount == 1
            else { return nil }
            return try? model.withFloat32Values(of: t) { $0.first }
        }
        let lo = node.inputs.count > 1 && !node.inputs[1].isEmpty ? scalar(1) : -.infinity
        let hi = node.inputs.count > 2 && !node.inputs[2].isEmpty ? scalar(2) : .infinity
        guard let lo, let hi else { return nil }
        return (lo, hi)
    }

    /// The first activation of the node with more than `maxRank` dimensions larger than 1 (only the
    /// innermost `maxRank` dimensions may exceed 1). Weights are laid out by the compiler, not limited.
    static func rankViolation(_ node: Node, _ analysis: GraphAnalysis, _ maxRank: Int, constants: Set<String>) -> String? {
        for v in node.inputs + node.outputs where !v.isEmpty && !constants.contains(v) {
            guard let s = analysis.shapes[v], s.count > maxRank else { continue }
            if s.dropLast(maxRank).contains(where: { $0 > 1 }) { return "'\(v)' \(s)" }
        }
        return nil
    }
}
