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
    /// The operator-set constraint the node fails, when that is the reason.
    public var check: OperatorCheck? = nil
    /// Why the node fails `check` ("input 'x' has rank 5").
    public var detail: String = ""
    /// Constraints of the operator sets the node may break, that hold on a value known only when the model runs
    /// (a zero point computed by the graph), with why; the node counts as supported, and the checks say so.
    public var undecided: [UndecidedCheck] = []
    /// Restrictions the operator sets state for the node's operator that no check evaluates (the set's id and
    /// the restriction's text): the node counts as supported, and the checks say that this was not checked.
    public var unchecked: [UncheckedRestriction] = []
    /// How the converted node computes otherwise than the model's (a bound the converter drops), when it does.
    public var deviation: String? = nil
}

/// A restriction an operator set states for an operator (its `constraints`) that no check of the set covers.
public struct UncheckedRestriction: Sendable, Hashable {
    public var set: String
    public var setTitle: String
    public var source: SourceRef
    public var text: String
}

/// A constraint a node may break, on a value known only when the model runs, and why it is not known.
public struct UndecidedCheck: Sendable, Hashable {
    public var check: OperatorCheck
    public var detail: String
    /// Why Slipway cannot decide it, said after the constraint.
    public var cause = "which holds on a value computed at run time that Slipway cannot check"
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
    /// Nodes refused for a constraint of the operator set, in graph order.
    public var constrained: [OperatorFinding] { operators.filter { $0.check != nil } }
    /// Nodes with a constraint that only the running model decides, in graph order.
    public var undecided: [OperatorFinding] { operators.filter { !$0.undecided.isEmpty } }
    /// No node runs on the CPU and every node was judged: what a calibration of the delegate's processor needs.
    public var runsWhole: Bool { cpuNodes.isEmpty && unknown.isEmpty }
    public var cpuShareOfMACs: Double { totalMACs > 0 ? Double(cpuMACs) / Double(totalMACs) : 0 }
    /// How many of each builtin the nodes lower to: what a converted file holds (a model of another format).
    public var builtinCounts: [String: Int] { operators.flatMap(\.builtins).reduce(into: [:]) { $0[$1, default: 0] += 1 } }
}

public enum Coverage {
    /// Operator coverage of `model` on `runtime` (pinned at `version`) with `delegate`. `analysis` supplies
    /// MACs and shapes (for rank limits); without it, shares are by operator count.
    /// `loweredActivations`: the element type a full-integer conversion gives the builtins an ONNX or Keras model's
    /// nodes become (int8), judged by the sets' `tensor_types` checks as a TFLite file's own types are.
    /// `appliedByDefault`: the delegate the runtime applies to a target that names none (`Runtime.defaultDelegate`),
    /// whose checks that refuse the model bind it too.
    public static func check(
        model: Model, runtime: Runtime, version: String?, delegate: Delegate?, catalogue: Catalogue,
        analysis: GraphAnalysis?, loweredActivations: String? = nil, appliedByDefault: Delegate? = nil
    ) -> CoverageReport {
        // A TorchScript module's nodes are its forward evaluated by the analysis, not stored in the archive.
        let model = model.graphs.isEmpty ? analysis?.graphModel ?? model : model
        let isLiteRT = runtime.name == "litert" || runtime.name == "tflite-micro"
        let opSet = delegate?.operators.flatMap { catalogue.operatorSet($0) }
        // The TFLite set whose model-refusing checks bind (the delegate's, else the one the runtime applies itself), with
        // the builtins those checks name: most nodes are none of them and cost nothing more.
        let preparing = (opSet ?? appliedByDefault?.operators.flatMap { catalogue.operatorSet($0) }).flatMap { set in
            let refusing = Set(set.checks.filter(\.refusesModel).flatMap(\.operators))
            return set.format == .tflite && !refusing.isEmpty ? (set: set, builtins: refusing) : nil
        }
        // An ONNX model's values' element types, for the lowering (a Cast to its input's own type) and the checks on
        // the builtins its nodes become, and for an ONNX execution provider's element-type checks (CUDA's Where takes
        // no bool data); inferred here, where alone they are read.
        let typedEP = opSet.map { $0.format == .onnx && $0.checks.contains { $0.kind == .tensorTypes } } ?? false
        let onnxTypes = model.format == .onnx && (isLiteRT || typedEP) ? ONNXElementTypes.infer(model) : [:]
        let nodes = model.graphs.first?.nodes ?? []
        var findings: [OperatorFinding] = []
        let runtimeSet = runtime.operators.flatMap { catalogue.operatorSet($0) }
        let pinned = version.flatMap(VersionNumber.init)
        let floatInFullInteger = Set(catalogue.floatInFullInteger)
        var mainTensors: [String: ConstantTensor] = [:]
        for t in model.tensors where t.graph == 0 { mainTensors[t.name] = t }
        // Initializers and `Constant` outputs: what "must be constant" accepts.
        var constants = Set(mainTensors.keys)
        for n in nodes where n.opType == "Constant" && (n.domain.isEmpty || n.domain == "ai.onnx") { constants.formUnion(n.outputs) }
        // Element types for `tensor_types` checks: every TFLite tensor's; an ONNX model's constants' (a value
        // computed at run time has no stored type, and its check passes).
        var dtypes: [String: String] = [:]
        if model.format == .tflite {
            for t in model.graphs.first?.tensorShapes ?? [] { if let d = t.dtype { dtypes[t.name] = d.name } }
        }
        if model.format == .tflite || model.format == .onnx {
            for t in mainTensors.values where dtypes[t.name] == nil { dtypes[t.name] = t.dtype.name }
        }
        // Every TFLite tensor's quantization parameters, activations included, for the checks on them.
        var quantization: [String: Quantization] = [:]
        if model.format == .tflite {
            for t in model.graphs.first?.tensorShapes ?? [] { if let q = t.quantization { quantization[t.name] = q } }
        }
        // Who makes and who reads each value of the main graph, by node index, once for every pattern below (a QDQ
        // node unit's DequantizeLinear inputs, the fusions, the converter's lowering).
        let links = NodeLinks(nodes, outputs: Set(model.outputs.map(\.name)))
        let producers: (String) -> Node? = { v in links.producer[v].map { nodes[$0] } }
        // Small constant inputs (axes, paddings) as numbers, for the checks that read them; larger ones are
        // not decoded.
        let values: (String) -> [Float]? = { name in
            guard let t = mainTensors[name], t.elementCount <= 64 else { return nil }
            return try? model.withFloat32Values(of: t) { Array($0) }
        }
        // The first value other than zero of a constant input, whatever its size (a per-channel zero point);
        // nil when every value is zero or the tensor is not a decodable constant.
        let nonzero: (String) -> Float? = { name in
            guard let t = mainTensors[name] else { return nil }
            return (try? model.withFloat32Values(of: t) { $0.first { $0 != 0 } }) ?? nil
        }
        // The first value of a constant input outside `lo`...`hi`, whatever its size (a Gather's indices); nil when
        // every value is inside or the tensor is not a decodable constant.
        let outside: (String, Int?, Int?) -> Float? = { name, lo, hi in
            guard let t = mainTensors[name] else { return nil }
            return (try? model.withFloat32Values(of: t) { vs in
                vs.first { v in lo.map { v < Float($0) } == true || hi.map { v > Float($0) } == true }
            }) ?? nil
        }
        let runtimeRule = runtime.name == "tensorrt" ? "tensorrt.ops" : runtime.name == "openvino" ? "openvino.ops" : "tflm.ops"
        // A table measured per release: the pinned release (its major.minor), else the newest, what an install gets.
        let release: String? = {
            guard runtimeSet?.missingIn.isEmpty == false else { return nil }
            guard let pinned else { return runtime.versions.first?.version }
            return runtime.versions.first { VersionNumber($0.version).map { Array($0.parts.prefix(2)) } == Array(pinned.parts.prefix(2)) }?.version
        }()
        let delegateRule: String
        switch delegate?.name {
        case "edgetpu"?: delegateRule = "edgetpu.one-partition"
        case "gpu"? where isLiteRT: delegateRule = "litert.gpu-ops"
        case "xnnpack"? where isLiteRT: delegateRule = "litert.xnnpack-ops"
        case "xnnpack"? where runtime.name == "executorch": delegateRule = "executorch.xnnpack-ops"
        default: delegateRule = "ort.ep-fallback"
        }

        // What ONNX Runtime's constant folding computes before the graph is partitioned ("basic" optimizations run
        // before partitioning and apply to every provider): nodes on constants alone, and Shape or Size of a value
        // whose shape the model itself fixes. The providers are never asked for them.
        let fileStatic = Self.fileStatic(model)
        // A static-shape provider's artifact carries the manifest's input sizes (`convert` writes them).
        let manifestSized = runtime.name == "onnxruntime" && model.format == .onnx && delegate?.staticShapes == true
        let foldedByRuntime: Set<Int> = runtime.name == "onnxruntime" && model.format == .onnx
            ? Self.constantFolded(nodes, constants: constants, model: model, analysis: analysis, manifestSized: manifestSized) : []

        // A PyTorch model bound for an ONNX operator table reaches it as torch.onnx.export writes it: the
        // TorchScript exporter for a TorchScript module, the dynamo exporter for an ExportedProgram
        // (Schemas/conversion/paths.json). Each ATen call is judged by the ONNX operators measured for it.
        let exporter = ATenToONNX.Exporter(conversionSource: model.conversionSource)
        let judgesExport = model.format == .pytorch && (opSet?.format == .onnx || runtimeSet?.format == .onnx)
        let exportTable = judgesExport ? catalogue.atenToONNX.tables[exporter] : nil
        // Nodes TensorFlow's converter fuses into one builtin across the graph (ConverterFusions.swift).
        let fused = model.format == .onnx && isLiteRT
            ? converterFusions(nodes, links: links, model: model, tensors: mainTensors, analysis: analysis, catalogue: catalogue,
                               fullInteger: loweredActivations != nil)
            : ConverterLowering()
        // What onnxsim computes before onnx2tf converts, at the input shapes and scalar values the manifest fixes
        // (the driver writes them into the copy it converts): shape arithmetic and values of constants alone.
        let foldedBeforeConversion: Set<Int> = model.format == .onnx && isLiteRT
            ? Self.constantFolded(nodes, constants: constants.union(analysis?.boundInputs ?? []), model: model,
                                  analysis: analysis, manifestSized: true)
            : []

        for (i, node) in nodes.enumerated() {
            var f = OperatorFinding(
                node: i, name: displayName(node, i), opType: node.opType, builtins: [],
                status: .supported, reason: "", rule: nil)
            let onnxKey = OperatorSet.key(opType: node.opType, domain: node.domain)
            switch (model.format, isLiteRT) {
            case (.onnx, false):
                if runtime.foldedOperators.contains(onnxKey) {
                    f.status = .folded
                    f.reason = "removed by \(runtime.title)'s graph optimizations before nodes are placed"
                } else if foldedByRuntime.contains(i) {
                    f.status = .folded
                    f.reason = "computed from constants by \(runtime.title)'s constant folding before nodes are placed"
                } else if let domains = runtime.operatorDomains, !domains.contains(node.domain) {
                    f.status = .unsupported
                    f.reason = "domain '\(node.domain)' has no kernels"
                    f.rule = "ort.domains"
                } else if let rs = runtimeSet, rs.format == .onnx, !rs.contains(onnxKey) {
                    f.status = .unsupported
                    f.reason = "not in the \(rs.title)'s operator table"
                    f.rule = runtimeRule
                } else if let rs = runtimeSet, rs.format == .onnx, let release, !rs.contains(onnxKey, release: release) {
                    f.status = .unsupported
                    let at = VersionNumber(release)
                    let since = runtime.versions.last { v in
                        guard let n = VersionNumber(v.version), let at, n > at else { return false }
                        return rs.contains(onnxKey, release: v.version)
                    }
                    f.reason = "\(runtime.title) \(release) does not run it\(since.map { "; \($0.version) does" } ?? "")"
                    f.rule = runtimeRule
                }
            case (.onnx, true) where foldedBeforeConversion.contains(i) && node.opType != "If":
                f.status = .folded
                f.reason = "computed by onnxsim before onnx2tf converts (constants and fixed shapes alone)"
            case (.onnx, true) where node.opType == "If" && foldedIf(node, model: model, tensors: mainTensors, analysis: analysis):
                // onnxsim replaces the If by the branch it takes: its nodes are what the artifact holds.
                let taken = takenBranchLowering(node, model: model, analysis: analysis, catalogue: catalogue,
                                                fullInteger: loweredActivations != nil, types: onnxTypes)
                taken.judge(&f, holder: "the branch it takes")
            case (.onnx, true) where node.opType == "If" && isDefaultDomain(node):
                if let both = bothBranchesLowering(node, model: model, analysis: analysis, catalogue: catalogue,
                                                   fullInteger: loweredActivations != nil, types: onnxTypes) {
                    both.judge(&f, holder: "a branch")
                } else {
                    f.status = .unsupported
                    f.reason = "onnx2tf converts an If the fixed sizes and values do not decide as both branches and a select per output, which needs each output's shape to be the same in both branches: here they differ, or are not known"
                    f.rule = "litert.onnx-if-branches"
                }
            case (.onnx, true):
                if let refusal = fused.refusals[i] ?? converterRefusal(node, tensors: mainTensors, analysis: analysis) {
                    f.status = .unsupported
                    f.reason = "onnx2tf cannot convert it: \(refusal.reason)"
                    f.rule = refusal.rule
                    break
                }
                f.deviation = fused.deviations[i]
                switch fused[i].map({ .some(.some($0)) })
                    ?? lower(node, model: model, tensors: mainTensors, analysis: analysis, catalogue: catalogue,
                             fullInteger: loweredActivations != nil, types: onnxTypes) {
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
                    if fused[i] == nil, let (check, rank) = converterRankBound(node, builtins: builtins, analysis: analysis, catalogue: catalogue) {
                        f.status = .unsupported
                        f.reason = "\(check.text) (input '\(node.inputs[0])' has \(check.rankWords(rank)), which onnx2tf keeps): it writes a Select TF op instead, which LiteRT runs only with the Flex delegate"
                        f.rule = "litert.converter-rank"
                    } else if fused[i] == nil, let (flex, rank) = flexAbove6(node, analysis: analysis, catalogue: catalogue) {
                        f.status = .unsupported
                        f.reason = "input '\(node.inputs[0])' has rank \(rank): above 6 dimensions onnx2tf's file has \(flex.joined(separator: ", ")) for it (measured on a 7-D \(node.opType)), a Select TF op, which LiteRT runs only with the Flex delegate"
                        f.rule = "litert.onnx-above-6d"
                    }
                }
            case (.keras, true):
                switch lowerKeras(node, model: model, analysis: analysis, catalogue: catalogue) {
                case .unknown:
                    f.status = .unknown
                    f.reason = "not in the catalogue's Keras-to-TFLite table"
                case .noBuiltin(let what):
                    f.status = .unsupported
                    f.reason = "\(what) has no TFLite builtin lowering (TensorFlow's converter needs Select TF ops)"
                    f.rule = "litert.keras-builtin"
                case .needsFixedBatch:
                    f.status = .unsupported
                    f.reason = "TensorFlow's converter lowers \(node.opType) to builtins only at a fixed batch size; fix the batch under `model.inputs`"
                    f.rule = "litert.keras-builtin"
                case .builtins(let builtins):
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
            // The ONNX operators the exporter writes for an ATen call; nil when not measured (then not judged, and
            // said: the call is unknown, and the estimate does not take the model as whole on the provider).
            var exported: [String]? = nil
            if judgesExport, node.domain == "aten" {
                let name = Self.atenCall(node.opType)
                if let ops = exportTable?.operators[name] {
                    exported = ops.filter { !runtime.foldedOperators.contains(OperatorSet.key(opType: $0, domain: "")) }
                    if exported?.isEmpty == true {
                        f.status = .folded
                        f.reason = "\(exporter.title) writes no node for it (opset \(exportTable?.opset ?? 0))"
                    }
                } else {
                    f.status = .unknown
                    f.reason = "what \(exporter.title) writes for it was not measured: not checked against the operator table"
                    // The rule of the table it was not checked against: the provider's, else the runtime's own.
                    f.rule = opSet?.format == .onnx ? delegateRule : runtimeRule
                }
                if f.status == .supported, let exported, let rs = runtimeSet, rs.format == .onnx {
                    let missing = exported.filter { !rs.contains(OperatorSet.key(opType: $0, domain: "")) }
                    if !missing.isEmpty {
                        f.status = .unsupported
                        f.reason = "\(exporter.title) makes it \(exported.joined(separator: " + ")); \(missing.joined(separator: ", ")) not in the \(rs.title)'s operator table"
                        f.rule = runtimeRule
                    }
                }
            }
            // A runtime with its own TFLite operator table (TFLite Micro) has no CPU to fall back to.
            if f.status == .supported, let rs = runtimeSet, rs.format == .tflite, isLiteRT {
                let missing = f.builtins.filter { !rs.contains($0) }
                if !missing.isEmpty {
                    f.status = .unsupported
                    f.reason = "\(missing.joined(separator: ", ")) not in the \(rs.title)"
                    f.rule = runtimeRule
                }
            }
            // A decided If bound for LiteRT carries its branch's builtins, whose constraints are about the branch's
            // nodes, not the If's inputs: not judged on the If (the branch's nodes are not judged one by one yet).
            let carriesBranch = isLiteRT && model.format == .onnx && node.opType == "If"
            if f.status == .supported, !carriesBranch, let rs = runtimeSet, rs.format == .tflite || model.format == .onnx,
                let (check, detail) = failedCheck(rs, node: node, names: rs.format == .onnx ? [onnxKey] : f.builtins,
                                                  analysis: analysis, constants: constants, values: values, nonzero: nonzero, dtypes: { dtypes[$0] }, quantization: { quantization[$0] }, outside: outside, version: pinned,
                                                  graphs: model.graphs, producer: producers, fileStatic: fileStatic,
                                                  loweredActivations: loweredActivations, floatInFullInteger: floatInFullInteger,
                                                  valueTypes: onnxTypes,
                                                  ownBuiltins: fused[i] == nil ? ownBuiltins(node, analysis: analysis, catalogue: catalogue) : [])
            {
                f.status = .unsupported
                f.reason = "\(check.text) (\(detail))"
                f.rule = runtimeRule
                f.check = check
                f.detail = detail
            }
            if f.status == .supported, let rs = runtimeSet, model.format == .onnx, rs.format == .onnx {
                f.undecided += undecidedChecks(rs, node: node, names: [onnxKey], constants: constants, fileStatic: fileStatic)
                f.unchecked += uncheckedRestrictions(rs, names: [onnxKey])
            }

            // The delegate's own refusal of the node, by operator `names` (it stays off the delegate).
            func delegateRefusal(_ set: OperatorSet, _ names: [String]) -> (OperatorCheck, String)? {
                failedCheck(set, node: node, names: names, analysis: analysis, constants: constants, values: values,
                            nonzero: nonzero, dtypes: { dtypes[$0] ?? (set.format == .onnx ? onnxTypes[$0]?.name : nil) }, quantization: { quantization[$0] }, outside: outside, version: pinned,
                            graphs: model.graphs, producer: producers,
                            sizedByManifest: manifestSized, fileStatic: fileStatic,
                            valueTypes: onnxTypes, judgesLoweredTypes: false,
                            loweredRanks: fused.inputRanks[i] ?? [:])
            }
            // A delegate that takes the node, then fails to prepare it, refuses the model (XNNPACK above 6-D), whatever
            // the fallbacks of the node's other builtins (the rewritten 7-D Transpose's GATHER and RESHAPEs). A builtin
            // the delegate refuses first (an int32 CONCATENATION: its type) runs on the builtin kernels instead.
            var prepareRefusal: (OperatorCheck, String)? = nil
            if f.status == .supported, isLiteRT, let preparing {
                for b in f.builtins where preparing.builtins.contains(b) && preparing.set.contains(b) {
                    let own = fused[i] == nil && model.format != .tflite ? rankKeepingBuiltins(node, analysis: analysis, catalogue: catalogue) : []
                    if let r = failedCheck(preparing.set, node: node, names: [b], analysis: analysis, constants: constants,
                                           ownBuiltins: own, refusingModel: true),
                       delegateRefusal(preparing.set, [b]) == nil
                    {
                        prepareRefusal = r
                        break
                    }
                }
            }
            if let (check, detail) = prepareRefusal {
                f.status = .unsupported
                f.reason = "\(check.text) (\(detail)); \(Self.builtinKernelsWayOut)"
                f.rule = "litert.xnnpack-prepare"
                f.check = check
                f.detail = detail
            } else if f.status == .supported, isLiteRT, let preparing, model.format == .onnx, fused[i] == nil,
                      let undecided = unmeasuredRankAbove(node, builtins: f.builtins, preparing: preparing, analysis: analysis, catalogue: catalogue)
            {
                f.undecided.append(undecided)
            }

            if let opSet, f.status == .supported {
                if opSet.format == .aten {
                    // The partitioner matches an operator by its name without the namespace (format_target_name),
                    // in the Edge program: a .pt2 holds the operators before to_edge's decompositions. An operator
                    // it names is taken as exported (kept from decomposition, get_original_aten, or unchanged by
                    // it); another is taken when every Edge operator it becomes, as measured, is.
                    let name = Self.atenName(node.opType)
                    if model.format == .pytorch, node.domain == "aten" || node.opType.hasPrefix("aten."), !opSet.contains(name) {
                        if let edge = catalogue.atenToEdge.edge(name, attributes: node.attributes) {
                            let missing = edge.filter { !opSet.contains($0) }
                            // A recurrent layer becomes a dozen operators: their count, and the ones that are missing.
                            let made = edge.count > 4 ? "\(edge.count) operators" : edge.joined(separator: " + ")
                            if missing.isEmpty {
                                f.reason = edge.isEmpty ? "nothing is left of it after to_edge's decompositions"
                                    : "to_edge makes it \(made), which the \(opSet.title) takes"
                            } else {
                                f.status = .cpuFallback
                                f.reason = edge == [name] ? "not in the \(opSet.title)'s configs"
                                    : "to_edge makes it \(made); \(missing.joined(separator: ", ")) not in the \(opSet.title)'s configs"
                                f.rule = delegateRule
                            }
                        } else {
                            f.status = .cpuFallback
                            f.reason = "not in the \(opSet.title)'s configs (what to_edge makes of it was not measured)"
                            f.rule = delegateRule
                        }
                    }
                } else if opSet.format == .onnx {
                    if let exported {
                        let missing = exported.filter { !opSet.contains(OperatorSet.key(opType: $0, domain: "")) }
                        let made = "\(exporter.title) makes it \(exported.joined(separator: " + "))"
                        if missing.isEmpty {
                            f.reason = "\(made), which the \(opSet.title) takes"
                        } else {
                            f.status = .cpuFallback
                            f.reason = "\(made); \(missing.joined(separator: ", ")) not in the \(opSet.title)'s operator table"
                            f.rule = delegateRule
                        }
                    } else if model.format == .onnx, !opSet.contains(onnxKey) {
                        let fused = opSet.fusions.first { fusion in
                            guard fusion.op == onnxKey, let input = node.inputs.first, let made = links.producer[input].map({ nodes[$0].opType }),
                                fusion.after.contains(made), let output = node.outputs.first,
                                let readers = links.readers[output]?.map({ nodes[$0].opType }), !readers.isEmpty
                            else { return false }
                            return readers.allSatisfy { fusion.before.contains($0) }
                        }
                        if let fused {
                            f.reason = fused.text
                        } else {
                            f.status = .cpuFallback
                            f.reason = "not in the \(opSet.title)'s operator table"
                            f.rule = delegateRule
                        }
                    } else if model.format == .onnx, let opset = node.version, !opSet.registers(onnxKey, opset: opset) {
                        // The provider has the operator, but no kernel for the version the model's opset selects.
                        let ranges = (opSet.opsets[onnxKey] ?? []).map(\.description).joined(separator: ", ")
                        f.status = .cpuFallback
                        f.reason = "the \(opSet.title) registers it for opsets \(ranges), not the model's \(opset)"
                        f.rule = delegateRule
                    }
                } else {
                    let missing = f.builtins.filter { !opSet.contains($0) }
                    if !missing.isEmpty {
                        f.status = .cpuFallback
                        f.reason = "\(missing.joined(separator: ", ")) not supported by the \(opSet.title)"
                        f.rule = delegateRule
                    } else if model.format == .tflite, let v = node.version, let top = opSet.maxVersions[node.opType], v > top {
                        f.status = .cpuFallback
                        f.reason = "version \(v) is above the v\(top) the \(opSet.title) accepts"
                        f.rule = "litert.gpu-version"
                    } else if let maxRank = opSet.maxRank, let analysis, let bad = rankViolation(node, analysis, maxRank, constants: constants) {
                        f.status = .cpuFallback
                        f.reason = "tensor \(bad) has more than \(maxRank) dimensions larger than 1"
                        f.rule = "edgetpu.rank"
                    }
                }
                let names = opSet.format == .onnx ? [onnxKey] : f.builtins
                if f.status == .supported, model.format == .onnx || opSet.format == .tflite,
                    let (check, detail) = delegateRefusal(opSet, names)
                {
                    f.status = .cpuFallback
                    f.reason = "\(check.text) (\(detail))"
                    f.rule = delegateRule
                    f.check = check
                    f.detail = detail
                }
                if f.status == .supported { f.unchecked += uncheckedRestrictions(opSet, names: names) }
                if f.status == .supported, model.format == .onnx, opSet.format == .onnx {
                    f.undecided += undecidedChecks(opSet, node: node, names: names, constants: constants, fileStatic: fileStatic)
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

    /// An ONNX node lowered for a delegate that fails to prepare a tensor above its rank (XNNPACK, above 6-D), on
    /// an operator whose file onnx2tf was not measured to write above 6-D: whether the file keeps the rank on a
    /// builtin the delegate takes is not known — said (the check, the tensor), not judged. Nil when not so.
    static func unmeasuredRankAbove(
        _ node: Node, builtins: [String], preparing: (set: OperatorSet, builtins: Set<String>),
        analysis: GraphAnalysis?, catalogue: Catalogue
    ) -> UndecidedCheck? {
        guard catalogue.loweringRankKeptAbove6[node.opType] == nil, catalogue.loweringFlexAbove6[node.opType] == nil,
              let b = builtins.first(where: { preparing.builtins.contains($0) && preparing.set.contains($0) }),
              let check = preparing.set.checks.first(where: { $0.refusesModel && $0.applies(to: [b]) }), let hi = check.max,
              let (label, v, rank) = (node.inputs.map { ("input", $0) } + node.outputs.map { ("output", $0) }).lazy
                  .compactMap({ t in analysis?.shapes[t.1].map { (t.0, t.1, $0.count) } }).first(where: { $0.2 > hi })
        else { return nil }
        return UndecidedCheck(
            check: check, detail: "\(label) '\(v)' has \(rank) dimensions; its \(b)",
            cause: "whether onnx2tf's file keeps a rank above 6 on the builtin was not measured for the operator (onnx_to_tflite.rank_above_6_measured)")
    }

    /// An ExportedProgram node's operator as ExecuTorch's partitioners name it: `aten.mean.dim` → `mean.dim`.
    public static func atenName(_ opType: String) -> String {
        guard let dot = opType.firstIndex(of: "."), opType.split(separator: ".").count >= 3 else { return opType }
        return String(opType[opType.index(after: dot)...])
    }

    /// An ATen call as the ONNX export table names it: a `.pt2` node's operator with its overload
    /// (`aten.conv2d.default` → `conv2d.default`), a TorchScript call without (`aten.conv2d` → `conv2d`).
    public static func atenCall(_ opType: String) -> String {
        let name = atenName(opType)
        return name.hasPrefix("aten.") ? String(name.dropFirst(5)) : name
    }

    /// The way out of a delegate's prepare refusal, said in the reason; `Checking`'s TextFixes keys its fix on it.
    public static let builtinKernelsWayOut = "`delegate: cpu` runs it on the builtin kernels"
    /// The title of the fix that takes that way out.
    public static let builtinKernelsFixTitle = "Run it on the builtin kernels (delegate: cpu)"

    /// The first of `set`'s checks that applies to the node (by its operator `names`) and fails, with what
    /// fails. A check that cannot be decided (a shape inference did not reach) passes: only what is known is said.
    /// `refusingModel`: the checks whose failure refuses the model (`OperatorCheck.refusesModel`), else the others.
    /// `valueTypes`: the ONNX values' inferred types; `judgesLoweredTypes`: whether a lowered node's run-time values
    /// are judged by them against the set's type checks (a delegate's are not: only TFLite Micro's, which has no
    /// fallback), else they only tell a floating-point data input from a builtin's integer parameter.
    static func failedCheck(
        _ set: OperatorSet, node: Node, names: [String], analysis: GraphAnalysis?, constants: Set<String>,
        values: (String) -> [Float]? = { _ in nil }, nonzero: (String) -> Float? = { _ in nil },
        dtypes: (String) -> String? = { _ in nil }, quantization: (String) -> Quantization? = { _ in nil },
        outside: (String, Int?, Int?) -> Float? = { _, _, _ in nil }, version: VersionNumber? = nil, graphs: [Graph] = [], producer: (String) -> Node? = { _ in nil },
        sizedByManifest: Bool = false, fileStatic: Bool = false, loweredActivations: String? = nil,
        floatInFullInteger: Set<String> = [], valueTypes: [String: DType] = [:], ownBuiltins: Set<String> = [],
        refusingModel: Bool = false, judgesLoweredTypes: Bool = true,
        loweredRanks: ConverterLowering.InputRanks = [:]
    ) -> (OperatorCheck, String)? {
        func input(_ i: Int) -> String? { i < node.inputs.count && !node.inputs[i].isEmpty ? node.inputs[i] : nil }
        // An ONNX or Keras node judged by a TFLite set through the builtins it lowers to.
        let lowered = set.format == .tflite && node.builtinCode == nil
        // The checks whose failure refuses the model are asked for apart, before the others (see `refusingModel`).
        for c in set.checks where c.refusesModel == refusingModel && c.applies(to: names) {
            // A restriction of older releases binds only a runtime pinned before it (no pin: the newest release).
            if let before = c.before, version.map({ $0 >= before }) ?? true { continue }
            if let when = c.when, !when.holds(on: node) { continue }
            if !c.bindsLowered, lowered { continue }
            switch c.kind {
            case .rank:
                // A builtin input a fusion gives a known rank (a ConvTranspose's TRANSPOSE_CONV with the Add after it
                // fused as a [1, 1, 1, C] bias, input 3): judged at that rank.
                if lowered, c.outputs.isEmpty,
                   let (b, known) = names.lazy.compactMap({ b in c.operators.contains(b) ? loweredRanks[b]?[c.input].map { (b, $0) } : nil }).first
                {
                    if c.max.map({ known.rank > $0 }) == true || c.min.map({ known.rank < $0 }) == true {
                        return (c, "input \(c.input) of its \(b) has \(c.rankWords(known.rank)): \(known.why)")
                    }
                    continue
                }
                // A TFLite set's ranks are its builtins' own tensors; a node lowered to builtins is judged as
                // `rankBindsLowered` says (onnx2tf keeps a Transpose's, a Slice's or a Pad's rank: a 6-D TRANSPOSE, a
                // 5-D STRIDED_SLICE measured).
                if lowered, !rankBindsLowered(c, builtins: names, own: ownBuiltins) { continue }
                let tensor: (label: String, value: String)?
                if let k = c.outputs.first {
                    tensor = k < node.outputs.count && !node.outputs[k].isEmpty ? ("output", node.outputs[k]) : nil
                } else {
                    tensor = input(c.input).map { ("input", $0) }
                }
                guard let (label, v) = tensor, let shape = analysis?.shapes[v] else { continue }
                let rank = c.rank(of: shape)
                if let lo = c.min, !lowered, rank < lo { return (c, "\(label) '\(v)' has \(c.rankWords(rank))") }
                if let hi = c.max, rank > hi {
                    return (c, "\(label) '\(v)' has \(c.rankWords(rank))\(lowered ? ", which the converter keeps" : "")")
                }
            case .tensorRanks:
                // A lowered node by the builtins measured to carry its tensors at its rank (`rankKeepingBuiltins`).
                if lowered, !rankBindsLowered(c, builtins: names, own: ownBuiltins) { continue }
                guard let hi = c.max else { continue }
                let tensors = node.inputs.map { ("input", $0) } + node.outputs.map { ("output", $0) }
                if let (label, v, shape) = tensors.lazy.compactMap({ t in analysis?.shapes[t.1].map { (t.0, t.1, $0) } })
                    .first(where: { c.rank(of: $0.2) > hi })
                {
                    return (c, "\(label) '\(v)' has \(c.rankWords(c.rank(of: shape)))\(lowered ? ", which the converter keeps" : "")")
                }
            case .constantInputs:
                for i in c.inputs {
                    guard let v = input(i), !constants.contains(v) else { continue }
                    // A builtin's parameter inputs (axes, paddings, shape, perm, begin and end) are integers: a lowered
                    // node's floating-point input at that index is its data (a variadic Mean's second term, a Split's
                    // input 0), which onnx2tf does not pass there.
                    if lowered, valueTypes[v]?.isFloatingPoint == true { continue }
                    return (c, "input \(i) '\(v)' is computed at run time")
                }
            case .attributeValues:
                guard let name = c.attribute else { continue }
                let value: String?
                switch node.attributes[name] {
                case .string(let s)?: value = s
                case .int(let n)?: value = String(n)
                case .ints(let xs)?:
                    // A list (pooling's dilations): every element is one of the values.
                    if xs.contains(where: { !c.values.contains(String($0)) }) {
                        return (c, "\(name) is [\(xs.map(String.init).joined(separator: ", "))]")
                    }
                    value = nil
                case nil: value = c.defaultValue
                default: value = nil
                }
                if let value, !c.values.contains(value) { return (c, "\(name) is '\(value)'") }
            case .equalDilations:
                if case .int(let w)? = node.attributes["dilation_w_factor"], case .int(let h)? = node.attributes["dilation_h_factor"], w != h {
                    return (c, "dilation \(h)×\(w)")
                }
                if case .ints(let d)? = node.attributes["dilations"], let first = d.first, d.contains(where: { $0 != first }) {
                    return (c, "dilations \(d.map(String.init).joined(separator: "×"))")
                }
            case .maxElements:
                guard let v = input(c.input), let shape = analysis?.shapes[v], let top = c.max else { continue }
                let n = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
                if n > top { return (c, "input '\(v)' has \(n) elements") }
            case .tensorTypes:
                // Input indices are the node's own: a TFLite node against a TFLite set, an ONNX node against an ONNX
                // set; an ONNX or Keras node lowered to builtins has others. A check naming an output reads that.
                let own = node.builtinCode != nil ? set.format == .tflite : set.format == .onnx && node.domain != "aten"
                let tensor: (label: String, value: String)?
                if let k = c.outputs.first {
                    tensor = k < node.outputs.count && !node.outputs[k].isEmpty ? ("output \(k)", node.outputs[k]) : nil
                } else {
                    tensor = input(c.input).map { ("input \(c.input)", $0) }
                }
                guard let (label, v) = tensor else { continue }
                // An ONNX or Keras node lowered to TFLite builtins, on a run-time value (a constant input is written in
                // the type the builtin takes).
                if !own, lowered, !constants.contains(v) {
                    let source = judgesLoweredTypes ? valueTypes[v] : nil
                    if let source, !source.isFloatingPoint {
                        // An integer or boolean value keeps its type through the converter; the check's index is the
                        // node's own for the builtins the table gives the operator (not those onnx2tf adds before
                        // them — a run-time Gather's index wrapping —, nor a fusion across nodes, whose builtin reads
                        // other values: a one-hot product's EMBEDDING_LOOKUP).
                        let concerned = names.filter { c.operators.contains($0) || c.operators.contains("*") }
                        if !concerned.isEmpty, concerned.allSatisfy(ownBuiltins.contains), !c.values.contains(source.name) {
                            return (c, "\(label) '\(v)' is \(source.name), which the converter keeps")
                        }
                        continue
                    }
                    // A float value: of the activations' type in a full-integer conversion, unless the converter
                    // leaves every builtin the check concerns in float32 (SQRT, SIN …); float32 otherwise.
                    if let t = loweredActivations {
                        let concerned = names.filter { c.operators.contains($0) || c.operators.contains("*") }
                        if !concerned.allSatisfy(floatInFullInteger.contains), !c.values.contains(t) {
                            return (c, "\(label) '\(v)' is \(t) in the full-integer conversion")
                        }
                    } else if source != nil, !c.values.contains("float32") {
                        return (c, "\(label) '\(v)' is float32 in the conversion")
                    }
                    continue
                }
                guard own, let t = dtypes(v) else { continue }
                if !c.values.contains(t) { return (c, "\(label) '\(v)' is \(t)") }
            case .sameTensorTypes:
                guard node.builtinCode != nil else { continue }
                let output = { (k: Int) in k < node.outputs.count && !node.outputs[k].isEmpty ? node.outputs[k] : nil }
                let typed = c.inputs.compactMap { i in input(i).flatMap { v in dtypes(v).map { ("input \(i)", v, $0) } } }
                    + c.outputs.compactMap { k in output(k).flatMap { v in dtypes(v).map { ("output \(k)", v, $0) } } }
                if typed.count == 2, c.values.contains("\(typed[0].2),\(typed[1].2)") { continue }
                if let first = typed.first, let other = typed.first(where: { $0.2 != first.2 }) {
                    return (c, "\(first.0) '\(first.1)' is \(first.2), \(other.0) '\(other.1)' is \(other.2)")
                }
            case .perTensorQuantization:
                // On output `outputs[0]` when the check names one, else on input `input`.
                let tensor: (String, String)?
                if let k = c.outputs.first {
                    tensor = k < node.outputs.count && !node.outputs[k].isEmpty ? ("output \(k)", node.outputs[k]) : nil
                } else {
                    tensor = input(c.input).map { ("input \(c.input)", $0) }
                }
                guard node.builtinCode != nil, set.format == .tflite, let (which, v) = tensor, let t = dtypes(v), c.values.contains(t) else { continue }
                // No scale is no quantization (TFLite reads such a tensor as unquantized), which the helper refuses too.
                guard let q = quantization(v), !q.scales.isEmpty else { return (c, "\(which) '\(v)' is \(t) without quantization parameters") }
                if q.scales.count != 1 {
                    return (c, "\(which) '\(v)' has \(q.scales.count) scales (per channel along dimension \(q.axis ?? 0))")
                }
            case .quantizedDimension:
                guard node.builtinCode != nil, set.format == .tflite, let v = input(c.input), let q = quantization(v), q.scales.count > 1,
                      var want = c.dimension else { continue }
                // Counted from the end (BATCH_MATMUL's `NumDimensions(&input_b) - 1`): needs the input's rank.
                if want < 0 {
                    guard let rank = analysis?.shapes[v]?.count else { continue }
                    want += rank
                }
                if (q.axis ?? 0) != want { return (c, "input \(c.input) '\(v)' is quantized per channel along dimension \(q.axis ?? 0)") }
            case .scaleRatio:
                // The delegate compares in float, as here: the inputs' first scales multiplied, over the output's.
                guard node.builtinCode != nil, set.format == .tflite, let out = node.outputs.first, !out.isEmpty,
                      let outType = dtypes(out), outType == "int8" || outType == "uint8",
                      let outScale = quantization(out)?.scales.first else { continue }
                let ins = c.inputs.compactMap(input)
                guard ins.count == c.inputs.count, ins.allSatisfy({ dtypes($0) == outType }) else { continue }
                let scales = ins.compactMap { quantization($0)?.scales.first }
                guard scales.count == ins.count, let lo = c.scaleMin, let hi = c.scaleMax else { continue }
                // In float, in the delegate's order: the positive scale first, then times the factor.
                var ratio = scales.reduce(Float(1), *) / outScale
                var factorText = ""
                if let name = c.factorAttribute {
                    guard let f = Self.floatAttribute(node.attributes[name]) else { continue }
                    ratio *= f
                    factorText = " × \(name) \(f)"
                }
                if ratio < Float(lo) || (c.scaleMaxInclusive ? ratio > Float(hi) : ratio >= Float(hi))
                    || c.magnitudeMin.map({ abs(ratio) < Float($0) }) == true {
                    let named = zip(c.inputs, scales).map { "input \($0) scale \($1)" }.joined(separator: " × ")
                    return (c, "\(named)\(factorText) / output scale \(outScale) is \(ratio)")
                }
            case .sameXNNPACKDatatypes:
                guard node.builtinCode != nil, set.format == .tflite, c.inputs.count == 2, let a = input(c.inputs[0]), let b = input(c.inputs[1]),
                      let ta = dtypes(a), let tb = dtypes(b), !c.values.contains("\(ta),\(tb)") else { continue }
                // GetXNNPackDatatype: a quantized integer type is per channel (qc…) with more than one scale.
                func xnn(_ v: String, _ t: String) -> String {
                    guard t.hasPrefix("int") || t == "uint8" else { return t }
                    return ((quantization(v)?.scales.count ?? 0) > 1 ? "qc" : "q") + t
                }
                let (xa, xb) = (xnn(a, ta), xnn(b, tb))
                if xa != xb { return (c, "input \(c.inputs[0]) '\(a)' is \(xa), input \(c.inputs[1]) '\(b)' is \(xb) (XNNPACK's types)") }
            case .normalAttribute:
                // A TFLite node's own options (an ONNX LeakyRelu's absent alpha means 0.01, not the flatbuffer's 0).
                guard node.builtinCode != nil, set.format == .tflite, let name = c.attribute else { continue }
                let value = node.attributes[name].map(Self.floatAttribute) ?? c.defaultValue.flatMap { Float($0) }
                guard let value else { continue }
                if !value.isNormal { return (c, "\(name) is \(value)") }
            case .sameQuantizedOutputType:
                guard node.builtinCode != nil, set.format == .tflite, let v = input(c.input), let t = dtypes(v), c.values.contains(t),
                      let out = node.outputs.first, !out.isEmpty, let o = dtypes(out) else { continue }
                if o != t { return (c, "input \(c.input) '\(v)' is \(t), output '\(out)' is \(o)") }
            case .sameQuantizationAsOutput:
                guard node.builtinCode != nil, set.format == .tflite, let out = node.outputs.first, !out.isEmpty,
                      let t = dtypes(out), c.values.contains(t), let oq = quantization(out) else { continue }
                let indices = c.inputs.isEmpty ? Array(node.inputs.indices) : c.inputs
                for i in indices {
                    guard let v = input(i), let q = quantization(v) else { continue }
                    if q.scales.first != oq.scales.first || (q.zeroPoints.first ?? 0) != (oq.zeroPoints.first ?? 0) {
                        return (c, "input \(i) '\(v)' has scale \(q.scales.first ?? 0), zero point \(q.zeroPoints.first ?? 0); output '\(out)' \(oq.scales.first ?? 0), \(oq.zeroPoints.first ?? 0)")
                    }
                }
            case .equalSplits:
                guard let x = input(0) else { continue }
                // Sizes from the file are numbers of any size: a value no Int holds is no size (and unequal).
                func size(_ v: Float) -> Int { v.isFinite && abs(v) < 1e15 ? Int(v) : -1 }
                var sizes: [Int]?
                if let s = input(1) {
                    guard let vs = values(s) else { continue }  // computed at run time: `constant_inputs` says so
                    sizes = vs.map(size)
                } else if case .ints(let xs)? = node.attributes["split"] {
                    sizes = xs.map { $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) ? Int($0) : -1 }
                }
                if let sizes {
                    if Set(sizes).count > 1 { return (c, "the splits are [\(sizes.map(String.init).joined(separator: ", "))]") }
                    continue
                }
                let parts = node.outputs.count
                guard parts > 0, let shape = analysis?.shapes[x], !shape.isEmpty else { continue }
                var axis = 0
                if case .int(let a)? = node.attributes["axis"], a >= -Int64(shape.count), a < Int64(shape.count) {
                    axis = a < 0 ? Int(a) + shape.count : Int(a)
                }
                if shape[axis] % parts != 0 {
                    return (c, "dimension \(axis) of '\(x)' is \(shape[axis]), not a multiple of its \(parts) outputs")
                }
            case .staticDimensions:
                continue  // never a refusal: `undecidedChecks` says what it cannot decide
            case .loopScanLength:
                guard case .graph(let b)? = node.attributes["body"], graphs.indices.contains(b) else { continue }
                let carried = max(0, node.inputs.count - 2)
                let scans = graphs[b].outputs.count - 1 - carried
                guard scans > 0 else { continue }
                guard let m = input(0) else { return (c, "no trip count, and \(scans) scan output\(scans == 1 ? "" : "s")") }
                if constants.contains(m) || (fileStatic && shapeOnly(m, constants: constants, producer: producer)) { continue }
                return (c, "the trip count '\(m)' is computed at run time, and the Loop has \(scans) scan output\(scans == 1 ? "" : "s")")
            case .loopCarriedShapes:
                guard case .graph(let b)? = node.attributes["body"], graphs.indices.contains(b), let analysis else { continue }
                let outs = graphs[b].outputs
                for i in 0..<max(0, node.inputs.count - 2) where 1 + i < outs.count {
                    let initial = node.inputs[2 + i]
                    guard !initial.isEmpty, let a = analysis.shapes[initial], let z = analysis.shapes[outs[1 + i].name], a != z else { continue }
                    func shown(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
                    return (c, "carried value \(i) enters as \(shown(a)) ('\(initial)') and leaves the body as \(shown(z)) ('\(outs[1 + i].name)')")
                }
            case .zeroPointZero:
                // Statically quantized only: an int8 input beside a float32 input 0 is quantized dynamically.
                guard node.builtinCode != nil, set.format == .tflite, let v = input(c.input), dtypes(v) == "int8",
                      let a = input(0), dtypes(a) != "float32", let zero = quantization(v)?.zeroPoints.first else { continue }
                if zero != 0 { return (c, "input \(c.input) '\(v)' has zero point \(zero)") }
            case .zeroValues:
                for i in c.inputs {
                    if let v = input(i), constants.contains(v), let x = nonzero(v) {
                        return (c, "input \(i) '\(v)' holds \(x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x))")
                    }
                }
            case .absent:
                if let i = c.inputs.first(where: { input($0) != nil }) { return (c, "input \(i) '\(node.inputs[i])' is given") }
                if let i = c.outputs.first(where: { $0 < node.outputs.count && !node.outputs[$0].isEmpty }) {
                    return (c, "output \(i) '\(node.outputs[i])' is used")
                }
                if let a = c.attributes.first(where: { node.attributes[$0] != nil }) { return (c, "attribute '\(a)' is set") }
            case .equalHalves:
                guard let name = c.attribute else { continue }
                let list: [String]
                switch node.attributes[name] {
                case .ints(let xs)?: list = xs.map(String.init)
                case .strings(let xs)?: list = xs
                default: continue
                }
                let half = list.count / 2
                if list.count % 2 != 0 || list.prefix(half) != list.suffix(half)[...] {
                    return (c, "\(name) is [\(list.joined(separator: ", "))]")
                }
            case .iotaAttribute:
                guard let name = c.attribute, case .ints(let axes)? = node.attributes[name],
                    c.inputs.allSatisfy({ input($0).map { !constants.contains($0) } ?? false }),
                    let v = input(c.input), let rank = analysis?.shapes[v]?.count
                else { continue }
                let normalized = axes.map { $0 < 0 ? $0 + Int64(rank) : $0 }
                if normalized != (0..<Int64(rank)).map({ $0 }) {
                    return (c, "\(name) is [\(axes.map(String.init).joined(separator: ", "))] on a rank-\(rank) input")
                }
            case .nonemptyRange:
                guard c.attributes.count == 2, let v = input(c.input), let rank = analysis?.shapes[v]?.count else { continue }
                func bound(_ name: String, _ absent: Int) -> Int {
                    guard case .int(let x)? = node.attributes[name] else { return absent }
                    let r = Int64(rank)
                    return Int(Swift.max(0, Swift.min(r, x < 0 ? x + r : x)))
                }
                let (lo, hi) = (bound(c.attributes[0], 0), bound(c.attributes[1], rank))
                if hi <= lo {
                    return (c, "\(c.attributes[0]) \(lo), \(c.attributes[1]) \(hi) on a rank-\(rank) input select no dimension")
                }
            case .branchOutputs:
                if let detail = branchDisagreement(node, c.values, graphs: graphs, analysis: analysis, constants: constants, dtypes: dtypes) {
                    // The way out, when there is one: a condition on shapes alone disappears with the If once the
                    // sizes are fixed: in the artifact, for a static-shape provider of ONNX Runtime (`convert` writes
                    // the manifest's sizes, and the runtime folds the condition while loading), else by simplifying
                    // the graph at fixed sizes.
                    let onShapes = node.inputs.first.map { shapeOnly($0, constants: constants, producer: producer) } ?? false
                    let way = sizedByManifest
                        ? "giving every input size under `model.inputs` removes the If (convert writes them into the artifact, and ONNX Runtime folds the condition while loading)"
                        : "simplifying the graph at fixed input sizes (onnxsim) removes the If"
                    return (c, detail + (onShapes ? "; its condition depends on shapes alone: \(way)" : ""))
                }
            case .quantizedTypePairs:
                let types = c.inputs.map { i in input(i).flatMap { quantizedType($0, producer: producer, dtypes: dtypes) } }
                guard c.inputs.count > 1, types.allSatisfy({ $0 != nil }) else { continue }
                let pair = types.compactMap { $0 }.joined(separator: ",")
                if !c.values.contains(pair) { return (c, "the quantized inputs are (\(pair.replacingAll(",", ", ")))") }
            case .valueRange:
                for i in c.inputs {
                    if let v = input(i), constants.contains(v), let x = outside(v, c.min, c.max) {
                        return (c, "input \(i) '\(v)' holds \(x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x))")
                    }
                }
            case .noBatchAxis:
                if let detail = batchAxisUse(node, rank: input(0).flatMap { analysis?.shapes[$0]?.count }, values: values) {
                    return (c, detail)
                }
            case .maxDimension:
                guard let top = c.max else { continue }
                for v in node.inputs where !v.isEmpty && !constants.contains(v) {
                    if let shape = analysis?.shapes[v], let d = shape.first(where: { $0 > top }) {
                        return (c, "input '\(v)' has a dimension of \(d)")
                    }
                }
            }
        }
        return nil
    }

    /// How an If's branches break `properties` (`branch_outputs`), or nil when they do not, or it cannot be known.
    /// An If on a stored condition (an initializer, a `Constant`) is not a conditional at all: onnx-tensorrt imports
    /// the branch it selects alone, and onnxruntime's constant folding inlines it; it passes.
    static func branchDisagreement(
        _ node: Node, _ properties: [String], graphs: [Graph], analysis: GraphAnalysis?, constants: Set<String>,
        dtypes: (String) -> String?
    ) -> String? {
        if let cond = node.inputs.first, constants.contains(cond) { return nil }
        if properties.contains("single_bool_condition"), let cond = node.inputs.first, !cond.isEmpty {
            if let shape = analysis?.shapes[cond], Shapes.volume(shape) != 1 {
                return "the condition '\(cond)' has shape [\(shape.map(String.init).joined(separator: ", "))]"
            }
            if let t = dtypes(cond), t != "bool" { return "the condition '\(cond)' is \(t)" }
        }
        guard case .graph(let t)? = node.attributes["then_branch"], case .graph(let e)? = node.attributes["else_branch"],
              graphs.indices.contains(t), graphs.indices.contains(e) else { return nil }
        let (a, b) = (graphs[t].outputs, graphs[e].outputs)
        // A value's shape: the analysis's where it walked the branch, else the one the graph declares, if fixed.
        func shape(_ v: ValueInfo) -> [Int]? {
            if let s = analysis?.shapes[v.name] { return s }
            guard let dims = v.shape else { return nil }
            let fixed = dims.compactMap { d -> Int? in if case .fixed(let n) = d { return n }; return nil }
            return fixed.count == dims.count ? fixed : nil
        }
        func rank(_ v: ValueInfo) -> Int? { shape(v)?.count ?? v.shape?.count }
        func shown(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        for (i, (x, y)) in zip(a, b).enumerated() {
            if properties.contains("distinct_names"), x.name == y.name {
                return "both branches output '\(x.name)' as output \(i)"
            }
            if properties.contains("same_rank"), let r = rank(x), let q = rank(y), r != q {
                return "output \(i) has rank \(r) in then_branch ('\(x.name)') and \(q) in else_branch ('\(y.name)')"
            }
            if properties.contains("same_shape"), let r = rank(x), let q = rank(y), r != q {
                return "output \(i) has rank \(r) in then_branch ('\(x.name)') and \(q) in else_branch ('\(y.name)')"
            }
            if properties.contains("same_shape"), let p = shape(x), let q = shape(y), p != q {
                return "output \(i) is \(shown(p)) in then_branch ('\(x.name)') and \(shown(q)) in else_branch ('\(y.name)')"
            }
            if properties.contains("same_type"), let p = x.dtype, let q = y.dtype, p != q {
                return "output \(i) is \(p.name) in then_branch ('\(x.name)') and \(q.name) in else_branch ('\(y.name)')"
            }
        }
        return nil
    }

    /// Whether `value` is computed from constants and the shapes of values alone (Shape, Size, the shape
    /// arithmetic of `shapeArithmetic`): what constant folding at fixed input sizes evaluates.
    static func shapeOnly(_ value: String, constants: Set<String>, producer: (String) -> Node?, depth: Int = 0) -> Bool {
        if constants.contains(value) { return true }
        guard depth < 32, let p = producer(value) else { return false }
        switch p.opType {
        case "Constant", "Shape", "Size": return true
        case _ where shapeArithmetic.contains(p.opType):
            return p.inputs.filter { !$0.isEmpty }.allSatisfy { shapeOnly($0, constants: constants, producer: producer, depth: depth + 1) }
        default: return false
        }
    }

    /// The quantized element type a DequantizeLinear gives `value`, or nil when no DequantizeLinear makes it (a
    /// float value). The type is its zero point's, else its input's when that is stored, else what the
    /// QuantizeLinear feeding it writes (its zero point's type, `output_dtype`, or uint8 by default).
    static func quantizedType(_ value: String, producer: (String) -> Node?, dtypes: (String) -> String?) -> String? {
        guard let dq = producer(value), dq.opType == "DequantizeLinear", let x = dq.inputs.first else { return nil }
        if dq.inputs.count > 2, !dq.inputs[2].isEmpty, let t = dtypes(dq.inputs[2]) { return t }
        if let t = dtypes(x) { return t }
        guard let q = producer(x), q.opType == "QuantizeLinear" else { return "unknown" }
        if q.inputs.count > 2, !q.inputs[2].isEmpty, let t = dtypes(q.inputs[2]) { return t }
        if case .int(let code)? = q.attributes["output_dtype"], code != 0 { return DType(onnxCode: code)?.name ?? "unknown" }
        return "uint8"
    }

    /// The restrictions `set` states for the node's operators that none of its checks covers: the whole restriction
    /// when no check names the operator, else the part the set marks unchecked.
    static func uncheckedRestrictions(_ set: OperatorSet, names: [String]) -> [UncheckedRestriction] {
        names.compactMap { name in
            guard let whole = set.constraints[name] else { return nil }
            // A check on every operator (`*`: Core ML's input dimensions) evaluates none of an operator's own sentences.
            let checked = set.checks.contains { $0.operators.contains(name) }
            guard let text = checked ? set.unchecked[name] : whole else { return nil }
            return UncheckedRestriction(set: set.id, setTitle: set.title, source: set.source, text: text)
        }
    }

    /// The checks of `set` that apply to the node and hold on a value the graph computes at run time: a
    /// `zero_values` input that is no constant (onnx-tensorrt takes such a zero point as a tensor, and whether it
    /// is zero is known only when the model runs). Said as information, not passed over in silence.
    static func undecidedChecks(
        _ set: OperatorSet, node: Node, names: [String], constants: Set<String>, fileStatic: Bool = false
    ) -> [UndecidedCheck] {
        var out: [UndecidedCheck] = []
        for c in set.checks where c.kind == .staticDimensions && c.applies(to: names) && !fileStatic {
            guard c.input < node.inputs.count, !node.inputs[c.input].isEmpty, !constants.contains(node.inputs[c.input]) else { continue }
            out.append(UndecidedCheck(check: c, detail: "input \(c.input) '\(node.inputs[c.input])' is computed from inputs whose dimensions the file leaves free"))
        }
        for c in set.checks where c.kind == .zeroValues && c.applies(to: names) {
            for i in c.inputs where i < node.inputs.count && !node.inputs[i].isEmpty && !constants.contains(node.inputs[i]) {
                out.append(UndecidedCheck(check: c, detail: "input \(i) '\(node.inputs[i])' is computed at run time"))
            }
        }
        return out
    }

    /// How a reduction or a Pad touches dimension 0, in the node's own format (TFLite: axes or [rank, 2]
    /// paddings in input 1; ONNX: `axes`/`pads` attributes or inputs, pads as all begins then all ends), or nil
    /// when it leaves it alone or the values are not known.
    static func batchAxisUse(_ node: Node, rank: Int?, values: (String) -> [Float]?) -> String? {
        let second = node.inputs.count > 1 && !node.inputs[1].isEmpty ? values(node.inputs[1]) : nil
        let isTFLite = node.builtinCode != nil
        let isPad = node.opType == "Pad" || node.opType == "PAD" || node.opType == "PADV2" || node.opType == "MIRROR_PAD"
        if isPad {
            var pads: [Int64]?
            if case .ints(let p)? = node.attributes["pads"] { pads = p } else { pads = second.map { $0.map { Int64($0) } } }
            guard let pads, !pads.isEmpty else { return nil }
            let end = isTFLite ? 1 : pads.count / 2
            let touched = pads[0] != 0 || (end < pads.count && pads[end] != 0)
            return touched ? "pads the batch dimension" : nil
        }
        if node.opType.hasPrefix("Global") { return nil }  // GlobalAveragePool reduces the spatial axes only
        var axes: [Int64]?
        if case .ints(let a)? = node.attributes["axes"] { axes = a } else { axes = second.map { $0.map { Int64($0) } } }
        guard let axes else {
            // An ONNX reduction with no axes at all reduces every dimension, the batch too; run-time axes are unknown.
            let axesGiven = node.inputs.count > 1 && !node.inputs[1].isEmpty
            return isTFLite || axesGiven ? nil : "reduces every axis, the batch too"
        }
        let batch = axes.contains(0) || rank.map { r in axes.contains(Int64(-r)) } == true
        return batch ? "reduces axis 0, the batch" : nil
    }

    /// A node's name, or (TFLite nodes have none) the tensor it writes, or its position.
    static func displayName(_ node: Node, _ i: Int) -> String {
        if !node.name.isEmpty { return node.name }
        if let out = node.outputs.first(where: { !$0.isEmpty }) { return out }
        return "#\(i)"
    }

    /// A Split whose part sizes are given (input 1, or opset 11's `split`) along a data input of known shape:
    /// onnx2tf writes it as one STRIDED_SLICE per part (Split.py).
    static func sizedSplit(_ node: Node, analysis: GraphAnalysis?) -> Bool {
        guard node.opType == "Split", isDefaultDomain(node) else { return false }
        let sized = node.inputs.count > 1 && !node.inputs[1].isEmpty || node.attributes["split"] != nil
        guard sized, let x = node.inputs.first else { return false }
        return analysis?.shapes[x] != nil
    }

    /// The TFLite builtins an ONNX node becomes: `.none` when the table has no entry, `.some(nil)` when it
    /// says there is no builtin, `[]` when the converter folds the node away.
    static func lower(
        _ node: Node, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?, catalogue: Catalogue,
        fullInteger: Bool = false, types: [String: DType] = [:]
    ) -> [String]?? {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return .some(nil) }
        if foldedIf(node, model: model, tensors: tensors, analysis: analysis) { return .some([]) }
        guard let entry = catalogue.lowering[node.opType] else { return .none }
        guard let builtins = entry else { return .some(nil) }
        if isIdentityArithmetic(node, model: model, tensors: tensors, analysis: analysis) { return .some([]) }
        // Above a rank onnx2tf rewrites the operator (the 7-D Transpose's "flexing deterrence"): its builtins, each
        // once (how many of each depends on the shape and is not modelled).
        if let above = catalogue.loweringRankRewrittenAbove[node.opType], let rewrite = catalogue.loweringRankRewrittenBuiltins[node.opType],
           let x = node.inputs.first, let rank = analysis?.shapes[x]?.count, rank > above { return .some(rewrite) }
        switch node.opType {
        case "Conv":
            // onnx2tf pads explicitly (a PAD before a VALID convolution) unless the pads are the same on both sides
            // of every axis and keep the spatial size (TensorFlow's SAME): a strided convolution's (Conv.py).
            let pad = explicitlyPadded(node, analysis: analysis) ? ["PAD"] : []
            // A convolution with one group per input channel is a depthwise convolution in TFLite, when its strides
            // are equal (TensorFlow's depthwise convolution takes no other); otherwise onnx2tf writes a grouped
            // convolution, a CONV_2D (Conv.py; measured: ppocr-cls's 2×1-strided ones, conv_forms.onnx).
            if isDepthwise(node, analysis: analysis) {
                if slicedDepthwise(node) {
                    // Run at stride 1 and sliced, the bias added after the slice (Conv.py's depth_conv_bias);
                    // TensorFlow's converter takes the pads into the dilated convolution (measured: dilated_depthwise.onnx).
                    let biased = node.inputs.count > 2 && !node.inputs[2].isEmpty
                    return .some(["DEPTHWISE_CONV_2D", "STRIDED_SLICE"] + (biased ? ["ADD"] : []))
                }
                return .some(pad + ["DEPTHWISE_CONV_2D"])
            }
            return .some(pad + builtins)
        case "Clip":
            if let (lo, hi) = model.clipBounds(node, constant: { tensors[$0] }) {
                if lo == 0 && hi == 6 { return .some(["RELU6"]) }
                if lo == -1 && hi == 1 { return .some(["RELU_N1_TO_1"]) }
                if lo == 0 && hi == .infinity { return .some(["RELU"]) }
                // One bound given, one comparison (Clip.py: tf.maximum with the lower bound alone, tf.minimum with
                // the upper; measured: clip_bounds.onnx).
                let given = { (k: Int, a: String) in node.attributes[a] != nil || (node.inputs.count > k && !node.inputs[k].isEmpty) }
                switch (given(1, "min"), given(2, "max")) {
                case (true, false): return .some(["MAXIMUM"])
                case (false, true): return .some(["MINIMUM"])
                default: break
                }
            }
        case "Pow":
            // A square (a power spectrum's, a variance's) is the input times itself, a cube (tanh-GELU's) twice so
            // (onnx2tf's Pow.py; measured: maskseq-transformer's x³ are MULs).
            if node.inputs.count > 1, let p = scalar(node.inputs[1], model: model, tensors: tensors), p == 2 || p == 3 {
                return .some(p == 2 ? ["MUL"] : ["MUL", "MUL"])
            }
        case "Expand":
            if isNoOpExpand(node, analysis: analysis) { return .some([]) }
        case "Gather":
            // Indices given at run time may be negative: onnx2tf adds the axis' size where they are (LESS, CAST, MUL,
            // ADD) before the GATHER (Gather.py; measured: the node tests' `:inputs` forms, maskseq-transformer's
            // embedding lookup by input_ids); constant indices are normalized when converting.
            if node.inputs.count > 1, tensors[node.inputs[1]] == nil, analysis?.boundInputs.contains(node.inputs[1]) != true {
                return .some(["LESS", "CAST", "MUL", "ADD"] + builtins)
            }
        case "Cast":
            // A cast to the type its input has is nothing (measured: nop_forms.onnx; silero-vad's casts of floats
            // to float).
            if case .int(let code)? = node.attributes["to"], let x = node.inputs.first,
               let from = types[x], DType(onnxCode: code) == from { return .some([]) }
        case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum":
            // Kept dimensions over axes of size 1 change nothing: no builtin (measured: nop_forms.onnx); without
            // keepdims the reduction stays (a MEAN), reshaping, also of one element (measured: nop_forms.onnx's
            // max.one); reshaped back to the kept dimensions, see `reductionsReshapedBack`.
            if reducesNothing(node, tensors: tensors, model: model, analysis: analysis) { return .some([]) }
        case "Div":
            // Dividing by a constant is multiplying by its reciprocal (measured: the ppocr models' divisions by 6 and
            // by constants are MULs; a division by a computed value stays a DIV, magika's).
            if node.inputs.count > 1, let d = tensors[node.inputs[1]], d.dtype == .float32 || d.dtype == .float16 {
                return .some(["MUL"])
            }
        case "Max":
            // With a constant: max(x, 0) is a RELU (fused into the operator before it where it can), max(x, -∞) is x
            // (measured: magika's three Maxes are gone from its artifact).
            if node.inputs.count == 2, let v = node.inputs.compactMap({ scalar($0, model: model, tensors: tensors) }).first {
                if v == -.infinity { return .some([]) }
                if v == 0 { return .some(["RELU"]) }
            }
        case "Split":
            // onnx2tf writes a split whose sizes are given, along a dimension of known size, as one STRIDED_SLICE
            // per part, to keep TensorFlow's converter from a SplitV it would need Flex for (Split.py; measured:
            // layout-cdla's Splits); given only the number of parts (opset 18's num_outputs), one SPLIT (measured:
            // silero-vad-ifless's).
            if sizedSplit(node, analysis: analysis) {
                return .some(Array(repeating: "STRIDED_SLICE", count: max(1, node.outputs.filter { !$0.isEmpty }.count)))
            }
        case "Slice":
            // A slice that keeps every element is an Identity before onnx2tf sees it (onnx_tflite.py's
            // drop_whole_axis_slices: onnx2tf maps such a slice's axes to the channels-last tensor wrongly, magika's
            // `x[..., 0:1]` of a one-wide axis kept one channel of 512).
            if slicesNothing(node, model: model, tensors: tensors, analysis: analysis) { return .some([]) }
        case "Pad":
            // A reflection is TFLite's MIRROR_PAD (measured: silero-vad's reflect Pads).
            if case .string(let mode)? = node.attributes["mode"], mode == "reflect" { return .some(["MIRROR_PAD"]) }
        case "MatMul":
            if isMatMulByConstant(node, tensors: tensors) {
                return .some(["FULLY_CONNECTED"])
            }
        case "Resize":
            if case .string(let mode)? = node.attributes["mode"], mode == "nearest" { return .some(["RESIZE_NEAREST_NEIGHBOR"]) }
            // A bicubic resize needs Select TF ops (measured: FlexResizeBicubic in every cubic node test).
            if case .string(let mode)? = node.attributes["mode"], mode == "cubic" { return .some(nil) }
        case "Elu":
            // ELU only at alpha 1; another alpha written out (measured: test_elu against test_elu_default).
            if case .float(let alpha)? = node.attributes["alpha"], alpha != 1 {
                return .some(["EXP", "SUB", "GREATER_EQUAL", "CAST", "MUL", "LESS", "CAST", "MUL", "MUL", "ADD"])
            }
        case "DepthToSpace":
            // Column-row-depth order is a reshape, transpose and reshape (measured: test_depthtospace_crd_mode_example).
            if case .string(let mode)? = node.attributes["mode"], mode == "CRD" { return .some(["RESHAPE", "TRANSPOSE", "RESHAPE"]) }
        case "ArgMax", "ArgMin":
            // keepdims (default 1) reshapes the result back (measured: test_argmax_keepdims_random, _no_keepdims_example).
            let arg = node.opType == "ArgMax" ? "ARG_MAX" : "ARG_MIN"
            if case .int(let keep)? = node.attributes["keepdims"], keep == 0 { return .some([arg]) }
            return .some([arg, "RESHAPE"])
        case "TopK":
            // The indices cast to int64; the smallest K are the largest of the negation (measured: test_top_k_smallest).
            if case .int(let largest)? = node.attributes["largest"], largest == 0 { return .some(["NEG", "TOPK_V2", "CAST", "NEG"]) }
            return .some(["TOPK_V2", "CAST"])
        default:
            break
        }
        return .some(builtins)
    }

    /// Whether the artifact holds a PAD before the convolution `node`: onnx2tf writes one (Conv.py) for `auto_pad`
    /// NOTSET with pads other than zero that are not equal on both sides of every axis, or that change the spatial
    /// size; TensorFlow's converter folds it into the convolution where the pads are what SAME padding would add
    /// (measured: ppocr-cls's 5×5 convolution strided 2 over 3 rows, conv_forms.onnx).
    static func explicitlyPadded(_ node: Node, analysis: GraphAnalysis?) -> Bool {
        if case .string(let mode)? = node.attributes["auto_pad"], mode != "NOTSET" { return false }
        guard case .ints(let pads)? = node.attributes["pads"], pads.contains(where: { $0 != 0 }), pads.count % 2 == 0 else {
            return false
        }
        let half = pads.count / 2
        let symmetric = (0..<half).allSatisfy { pads[$0] == pads[$0 + half] }
        guard let x = node.inputs.first, let y = node.outputs.first,
              let from = analysis?.shapes[x], let to = analysis?.shapes[y], from.count > 2, to.count > 2 else { return false }
        if symmetric && Array(from.dropFirst(2)) == Array(to.dropFirst(2)) { return false }
        return !padsAreSame(node, pads: pads, input: Array(from.dropFirst(2)), analysis: analysis)
    }

    /// Whether `pads` (begins, then ends) are, on every spatial axis, what TensorFlow's SAME padding adds for this
    /// input size: total max((⌈n / s⌉ − 1)·s + (k − 1)·d + 1 − n, 0), the smaller half first.
    static func padsAreSame(_ node: Node, pads: [Int64], input: [Int], analysis: GraphAnalysis?) -> Bool {
        let half = pads.count / 2
        guard input.count == half, half > 0 else { return false }
        let kernel: [Int]
        if case .ints(let k)? = node.attributes["kernel_shape"], k.count == half {
            kernel = k.map { Int(clamping: $0) }
        } else if node.inputs.count > 1, let w = analysis?.shapes[node.inputs[1]], w.count == half + 2 {
            kernel = Array(w.dropFirst(2))
        } else {
            return false
        }
        func list(_ name: String) -> [Int] {
            if case .ints(let v)? = node.attributes[name], v.count == half { return v.map { Int(clamping: $0) } }
            return Array(repeating: 1, count: half)
        }
        let (strides, dilations) = (list("strides"), list("dilations"))
        for a in 0..<half {
            let (n, s, k, d) = (input[a], strides[a], kernel[a], dilations[a])
            guard n > 0, s > 0, k > 0, d > 0, k <= 1 << 20, d <= 1 << 20, s <= 1 << 20, n <= 1 << 40 else { return false }
            let out = (n + s - 1) / s
            let total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
            if Int64(total / 2) != pads[a] || Int64(total - total / 2) != pads[a + half] { return false }
        }
        return true
    }

    /// A reduction with keepdims over explicit axes that are all of size 1 in its input: its output is its input.
    static func reducesNothing(_ node: Node, tensors: [String: ConstantTensor], model: Model, analysis: GraphAnalysis?) -> Bool {
        if case .int(let k)? = node.attributes["keepdims"], k == 0 { return false }
        guard let x = node.inputs.first, let shape = analysis?.shapes[x],
              let axes = reducedAxes(node, rank: shape.count, tensors: tensors, model: model) else { return false }
        return axes.allSatisfy { shape[$0] == 1 }
    }

    /// A Slice whose output has its input's shape, at steps of 1: it keeps every element.
    static func slicesNothing(_ node: Node, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?) -> Bool {
        guard let x = node.inputs.first, let y = node.outputs.first, let from = analysis?.shapes[x],
              let to = analysis?.shapes[y], from == to else { return false }
        guard node.inputs.count > 4, !node.inputs[4].isEmpty else { return true }
        guard let t = tensors[node.inputs[4]], let steps = try? model.integerValues(of: t, limit: 64) else { return false }
        return steps.allSatisfy { $0 == 1 }
    }

    /// x − 0, x + 0 (or 0 + x), x · 1 (or 1 · x) and x / 1 of a one-element constant that broadcasts to nothing more:
    /// TensorFlow's converter leaves x (measured: nop_forms.onnx; oww-melspectrogram's subtraction of
    /// 10·log10(1) = 0 from its decibels).
    static func isIdentityArithmetic(_ node: Node, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?) -> Bool {
        let (identity, either): (Float, Bool)
        switch node.opType {
        case "Add": (identity, either) = (0, true)
        case "Sub": (identity, either) = (0, false)
        case "Mul": (identity, either) = (1, true)
        case "Div": (identity, either) = (1, false)
        default: return false
        }
        guard node.inputs.count == 2 else { return false }
        let sides = either ? [(1, 0), (0, 1)] : [(1, 0)]
        return sides.contains { constant, other in
            guard scalar(node.inputs[constant], model: model, tensors: tensors) == identity, let y = node.outputs.first,
                  let shape = analysis?.shapes[y] else { return false }
            return analysis?.shapes[node.inputs[other]] == shape
        }
    }

    /// A reduction's axes, given and in range (negative ones counted from the end); nil when they are not known.
    static func reducedAxes(_ node: Node, rank: Int, tensors: [String: ConstantTensor], model: Model) -> [Int]? {
        var axes: [Int64] = []
        if case .ints(let a)? = node.attributes["axes"] {
            axes = a
        } else if node.inputs.count > 1, let t = tensors[node.inputs[1]], t.elementCount <= 64,
                  let a = (try? model.integerValues(of: t, limit: 64)) ?? nil {
            axes = a
        }
        let r = Int64(rank)
        let inRange = axes.map { $0 < 0 ? $0 &+ r : $0 }
        guard !inRange.isEmpty, inRange.allSatisfy({ $0 >= 0 && $0 < r }) else { return nil }
        return inRange.map { Int($0) }
    }

    /// A convolution with one group per input channel and equal strides, which onnx2tf writes as a depthwise
    /// convolution when its input reaches it channels-last (TensorFlow's depthwise convolution takes no other strides).
    static func isDepthwise(_ node: Node, analysis: GraphAnalysis?) -> Bool {
        guard case .int(let g)? = node.attributes["group"], g > 1,
              let w = node.inputs.count > 1 ? analysis?.shapes[node.inputs[1]] : nil, w.count >= 2, w[1] == 1 else { return false }
        return equalStrides(node)
    }

    /// Every stride of a convolution the same (none given: all 1).
    static func equalStrides(_ node: Node) -> Bool {
        guard case .ints(let s)? = node.attributes["strides"], let first = s.first else { return true }
        return s.allSatisfy { $0 == first }
    }

    /// A depthwise convolution strided and dilated at once, padded symmetrically or not at all (`auto_pad` NOTSET or
    /// VALID): onnx2tf runs it at stride 1 and slices every stride-th output (Conv.py's depth_conv_bias: tf.nn's
    /// depthwise convolution shapes that pair otherwise).
    static func slicedDepthwise(_ node: Node) -> Bool {
        guard stridedAndDilated(node) != nil else { return false }
        if case .string(let mode)? = node.attributes["auto_pad"], mode != "NOTSET", mode != "VALID" { return false }
        guard case .ints(let pads)? = node.attributes["pads"] else { return true }
        let half = pads.count / 2
        return pads.count % 2 == 0 && (0..<half).allSatisfy { pads[$0] == pads[$0 + half] }
    }

    /// Every input dimension fixed in the file: what a runtime that builds or folds from the file knows before it runs.
    static func fileStatic(_ model: Model) -> Bool {
        model.inputs.allSatisfy { i in i.shape?.allSatisfy { if case .fixed = $0 { return true }; return false } ?? false }
    }

    /// The main-graph nodes ONNX Runtime's ConstantFolding computes at session creation: every input a constant
    /// (an initializer, a `Constant`'s output, a folded node's), or a Shape or Size whose input's shape the declared
    /// input shapes of the file it loads fix: the model's own, or, for a static-shape provider (`manifestSized`:
    /// `convert` writes the manifest's sizes into its artifact), the manifest's where the file leaves a dimension
    /// free; and an If whose condition is so computed, which it inlines. Left alone as it leaves them:
    /// non-deterministic operators, QuantizeLinear and DequantizeLinear (the QDQ form the providers fuse), Loop and
    /// Scan, and nodes whose outputs are graph outputs.
    static func constantFolded(_ nodes: [Node], constants: Set<String>, model: Model, analysis: GraphAnalysis?,
                               manifestSized: Bool = false) -> Set<Int> {
        let kept: Set<String> = ["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
                                 "Bernoulli", "QuantizeLinear", "DequantizeLinear", "If", "Loop", "Scan"]
        let fileStatic = Self.fileStatic(model)
        // No dimension was taken as 1: each is the file's or the manifest's.
        let declaredStatic = fileStatic || (manifestSized && analysis?.assumedDimensions.isEmpty == true
            && model.inputs.allSatisfy { $0.shape != nil })
        let outputs = Set(model.outputs.map(\.name))
        var known = constants
        var folded: Set<Int> = []
        for (i, n) in nodes.enumerated() where n.domain.isEmpty || n.domain == "ai.onnx" {
            // An If on a folded condition is inlined: the providers are offered the branch it takes, not the If.
            if n.opType == "If", let c = n.inputs.first, known.contains(c) {
                folded.insert(i)
                continue
            }
            guard !kept.contains(n.opType), !n.outputs.contains(where: outputs.contains) else { continue }
            let ins = n.inputs.filter { !$0.isEmpty }
            let onConstants = !ins.isEmpty && ins.allSatisfy(known.contains)
            let staticShape = (n.opType == "Shape" || n.opType == "Size") && declaredStatic
                && ins.first.map { analysis?.shapes[$0] != nil } == true
            if onConstants || staticShape {
                folded.insert(i)
                known.formUnion(n.outputs)
            }
        }
        return folded
    }

    /// Whether onnx2tf folds an If away: it simplifies the graph with onnxsim at the fixed input shapes before it
    /// converts, which replaces an If whose condition is computed from constants, the shapes of values and the
    /// scalar inputs the manifest fixes (made initializers by the driver) alone (an exporter's check of a dimension:
    /// Shape, Gather, Equal; silero-vad's `sr == 16000`) by the branch it takes. The branches' nodes are
    /// checked as every graph's are.
    static func foldedIf(_ node: Node, model: Model, tensors: [String: ConstantTensor], analysis: GraphAnalysis?) -> Bool {
        guard node.opType == "If", let cond = node.inputs.first, let analysis, analysis.assumedDimensions.isEmpty,
              analysis.coverage.freeDimensions.isEmpty, let nodes = model.graphs.first?.nodes else { return false }
        var producer: [String: Node] = [:]
        for n in nodes { for o in n.outputs where !o.isEmpty { producer[o] = n } }
        func isStatic(_ v: String, _ depth: Int) -> Bool {
            if tensors[v] != nil || analysis.boundInputs.contains(v) { return true }
            guard depth < 32, let p = producer[v] else { return false }
            switch p.opType {
            case "Constant": return true
            case "Shape", "Size": return p.inputs.first.map { analysis.shapes[$0] != nil } ?? false
            case _ where shapeArithmetic.contains(p.opType):
                return p.inputs.filter { !$0.isEmpty }.allSatisfy { isStatic($0, depth + 1) }
            default: return false
            }
        }
        return isStatic(cond, 0)
    }

    /// The operators an exporter computes a shape check with, which constant folding evaluates.
    static let shapeArithmetic: Set<String> = [
        "Gather", "Slice", "Squeeze", "Unsqueeze", "Concat", "Reshape", "Cast", "Identity", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Add", "Sub", "Mul", "Div", "ReduceProd",
    ]

    enum KerasLoweringResult {
        case builtins([String])
        /// The layer (or its `activation:`) needs Select TF ops.
        case noBuiltin(String)
        case needsFixedBatch
        case unknown
    }

    /// The TFLite builtins TensorFlow's converter writes for a Keras layer (the table of its Keras generation),
    /// with what its `activation:` adds.
    static func lowerKeras(_ node: Node, model: Model, analysis: GraphAnalysis?, catalogue: Catalogue) -> KerasLoweringResult {
        guard let table = catalogue.kerasTable(for: model).table else { return .unknown }
        let dynamicBatch = analysis?.assumedDimensions.contains(where: { $0.hasSuffix("[0]") }) == true
        // An `Activation` layer is its activation alone.
        guard let entry = node.opType == "Activation" ? .some([]) : table.builtins(node.opType, dynamicBatch: dynamicBatch)
        else { return .unknown }
        guard var builtins = entry else { return .noBuiltin(node.opType) }
        if table.needFixedBatch.contains(node.opType), dynamicBatch { return .needsFixedBatch }
        if case .string(let activation)? = node.attributes["activation"], activation != "linear" {
            guard let added = table.activations[activation] else { return .unknown }
            guard let added else { return .noBuiltin("activation '\(activation)'") }
            builtins = Array(Set(builtins + added)).sorted()
        }
        return .builtins(builtins)
    }

    /// The first activation of the node with more than `maxRank` dimensions larger than 1 (only the
    /// innermost `maxRank` dimensions may exceed 1). Weights are laid out by the compiler, not limited.
    /// A number attribute as a float (TFLite's LeakyReluOptions alpha; an integer one converted).
    static func floatAttribute(_ a: AttributeValue?) -> Float? {
        switch a {
        case .float(let f)?: return f
        case .int(let n)?: return Float(n)
        default: return nil
        }
    }

    static func rankViolation(_ node: Node, _ analysis: GraphAnalysis, _ maxRank: Int, constants: Set<String>) -> String? {
        for v in node.inputs + node.outputs where !v.isEmpty && !constants.contains(v) {
            guard let s = analysis.shapes[v], s.count > maxRank else { continue }
            if s.dropLast(maxRank).contains(where: { $0 > 1 }) { return "'\(v)' \(s)" }
        }
        return nil
    }
}

extension Catalogue {
    /// Builtins TensorFlow's full-integer conversion leaves in float32 (no int8 kernel: SQRT, SIN …), between a
    /// DEQUANTIZE and a QUANTIZE: `onnx_to_tflite.special.float_in_full_integer`, comma-separated.
    var floatInFullInteger: [String] {
        (loweringNotes["float_in_full_integer"] ?? "").split(separator: ",").map { String($0.filter { $0 != " " }) }
    }
}
