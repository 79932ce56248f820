import Diagnostics
import YAMLSyntax

/// One document of a manifest file, validated and decoded.
public struct ManifestDocument: Sendable {
    public var manifest: Manifest
    public var diagnostics: [Diagnostic]
    public var range: ByteRange
}

/// A manifest file read from its bytes: the YAML stream, each document validated against the schema and
/// decoded. Pure: no file system access (paths are checked by the Checking layer).
public struct ManifestFile: Sendable {
    public var stream: YAMLStream
    public var documents: [ManifestDocument]

    public var lineIndex: LineIndex { stream.lineIndex }
    /// Syntax diagnostics first, then each document's.
    public var diagnostics: [Diagnostic] { stream.diagnostics + documents.flatMap(\.diagnostics) }

    public init(bytes: [UInt8], limits: YAMLLimits = .default) {
        stream = YAMLParser.parse(bytes: bytes, limits: limits)
        let b = stream.lineIndex.bytes
        documents = stream.documents.map { ManifestDecoder.decode($0, bytes: b) }
        if !stream.isComplete, let last = documents.indices.last {
            if stream.diagnostics.contains(where: { $0.code == .nestingTooDeep || $0.code == .fileTooLarge }) {
                // Reading stopped at a limit, mid-structure: the partial tree says nothing reliable.
                documents[last].diagnostics = []
            } else {
                // After a syntax error the keys that follow were never read; do not call them missing.
                documents[last].diagnostics.removeAll { $0.code == .missingRequiredKey }
            }
        }
        if stream.documents.allSatisfy({ $0.root == nil }), stream.diagnostics.isEmpty {
            // An empty file (or only comments) is not a manifest; say so once, at the start.
            documents = [
                ManifestDocument(
                    manifest: Manifest(optimize: OptimizeSpec(), targets: []),
                    diagnostics: [
                        Diagnostic(
                            .missingRequiredKey,
                            "the file is empty; a manifest starts with '\(ManifestSchema.versionKey): \(ManifestSchema.currentVersion)' and names a model and its targets",
                            at: .at(0))
                    ], range: .at(0))
            ]
        }
    }

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }
}

public enum ManifestDecoder {
    public static func decode(_ doc: YAMLDocument, bytes: [UInt8]) -> ManifestDocument {
        var validator = SchemaValidator(bytes: bytes)
        guard let root = doc.root else {
            return ManifestDocument(manifest: Manifest(optimize: OptimizeSpec(), targets: []), diagnostics: [], range: doc.range)
        }
        if let pairs = root.pairs, root[ManifestSchema.versionKey] == nil, root["model"] == nil, root["targets"] == nil {
            // YAML that is not a manifest at all (a CI file passed by mistake): say so once instead of
            // listing every key as unknown.
            let d = Diagnostic(
                .notAManifest,
                "not a Slipway manifest: no '\(ManifestSchema.versionKey): \(ManifestSchema.currentVersion)', 'model' or 'targets' key; nothing was checked",
                at: pairs.first?.key.reportRange ?? root.reportRange)
            return ManifestDocument(manifest: Manifest(optimize: OptimizeSpec(), targets: [], root: root), diagnostics: [d], range: doc.range)
        }
        validator.validate(root, against: ManifestSchema.root, path: [], keyRange: nil)
        var diagnostics = validator.diagnostics
        if let v = root.pair(ManifestSchema.versionKey), case .int(let n) = v.value.resolved, n > ManifestSchema.currentVersion {
            // Replace the generic range message with one that says what to do.
            diagnostics.removeAll { $0.range == v.value.reportRange && $0.code == .outOfRange }
            diagnostics.append(
                Diagnostic(
                    .unsupportedVersion,
                    "manifest version \(n) is newer than this Slipway understands (\(ManifestSchema.currentVersion)); upgrade slipway or write '\(ManifestSchema.versionKey): \(ManifestSchema.currentVersion)'",
                    at: v.value.reportRange))
        }
        var m = manifest(root)
        diagnostics += impliedRuntimes(&m, root: root)
        return ManifestDocument(manifest: m, diagnostics: diagnostics, range: doc.range)
    }

    /// A target without `runtime`: fine where its format (its own `format`, else the model's `format` or file
    /// extension) implies one, which it then runs in; otherwise the key is missing, as the schema said before
    /// the exception.
    static func impliedRuntimes(_ m: inout Manifest, root: YAMLNode) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let modelFormat: String? = {
            if let f = m.model?.format?.value, f != "auto" { return f }
            guard let path = m.model?.path?.value, let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
            return String(path[path.index(after: dot)...]).lowercased()
        }()
        let nodes = root["targets"]
        for i in m.targets.indices {
            let t = m.targets[i]
            guard t.runtime == nil, let node = nodes?[t.name.value], node["runtime"] == nil else { continue }
            let format = t.format?.value ?? modelFormat
            if let f = format, let implied = Vocabulary.impliedRuntimes[f] {
                m.targets[i].impliedRuntime = implied
                continue
            }
            let implying = Vocabulary.impliedRuntimes.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: ", ")
            out.append(Diagnostic(
                .missingRequiredKey,
                "missing required key 'runtime' in 'targets.\(t.name.value)': \(format.map { "\($0) models run in more than one runtime" } ?? "the model's format is unknown"); name one (`name` or `name@version`, e.g. onnxruntime@1.20). Only a format one runtime loads implies it (\(implying))",
                at: t.name.range))
        }
        return out
    }

    static func manifest(_ root: YAMLNode) -> Manifest {
        let optimizeNode = root["optimize"]
        let defaults = optimize([optimizeNode].compactMap { $0 })
        var m = Manifest(
            version: int(root[ManifestSchema.versionKey]),
            name: string(root["name"]),
            model: nil,
            optimize: defaults,
            targets: [],
            root: root)
        if let mp = root.pair("model"), mp.value.pairs != nil {
            let node = mp.value
            var inputs: [InputShape] = []
            var values: [InputValue] = []
            for p in node["inputs"]?.pairs ?? [] {
                guard let k = p.key.scalar?.text else { continue }
                // An integer is the input's value; anything else but a list is the validator's error.
                if case .int(let n) = p.value.resolved {
                    values.append(InputValue(name: Located(k, p.key.reportRange), value: Located(n, p.value.reportRange)))
                    continue
                }
                guard let items = p.value.items else { continue }
                let dims = items.compactMap { d -> Located<Dimension>? in
                    switch d.resolved {
                    case .int(let n) where n > 0: return Located(.fixed(n), d.reportRange)
                    case .string(let s) where !s.isEmpty: return Located(.symbolic(s), d.reportRange)
                    default: return nil
                    }
                }
                inputs.append(InputShape(name: Located(k, p.key.reportRange), dims: dims))
            }
            m.model = ModelSpec(
                path: string(node["path"]), format: string(node["format"], values: Vocabulary.modelFormats),
                inputs: inputs, inputValues: values, contextLength: int(node["context_length"]), keyRange: mp.key.reportRange)
        }
        for p in root["targets"]?.pairs ?? [] {
            guard let name = p.key.scalar?.text, name.hasPrefix("x-") == false, p.value.pairs != nil else { continue }
            m.targets.append(target(name: Located(name, p.key.reportRange), p.value, optimizeDefaults: optimizeNode, defaults: defaults))
        }
        if let t = root["test"] {
            let tol = t["tolerance"]
            m.test = TestSpec(
                samples: string(t["samples"]), cosine: number(tol?["cosine"]), maxAbs: number(tol?["max_abs"]),
                top1: number(tol?["top1"]), sqnrDB: number(tol?["sqnr_db"]), latencyMSP95: number(tol?["latency_ms_p95"]),
                preprocess: t["preprocess"].map { p in
                    PreprocessSpec(
                        layout: string(p["layout"], values: Vocabulary.imageLayouts), color: string(p["color"], values: Vocabulary.imageColors),
                        scale: positive(p["scale"]), mean: numbers(p["mean"]), std: numbers(p["std"]).filter { $0 > 0 },
                        dtype: string(p["dtype"], values: Vocabulary.rawDTypes), sampleRate: int(p["sample_rate"]))
                })
        }
        if let d = root["deploy"] {
            let tr = d["triton"]
            m.deploy = DeploySpec(
                to: string(d["to"]), version: string(d["version"]),
                layout: string(d["layout"], values: Vocabulary.deployLayouts), repository: string(d["repository"]),
                triton: tr.map { t in
                    TritonSpec(maxBatchSize: int(t["max_batch_size"]), dynamicBatching: bool(t["dynamic_batching"]),
                               maxQueueDelayMicroseconds: int(t["max_queue_delay_us"]), instances: int(t["instances"]))
                })
        }
        if let mo = root["monitor"] {
            var spec = MonitorSpec(
                latencyP95MS: number(mo["latency_p95_ms"]), maxOutputDrift: number(mo["max_output_drift"]),
                errorRate: number(mo["error_rate"]), minThroughputRPS: number(mo["min_throughput_rps"]),
                window: string(mo["window"]), driftMeasure: string(mo["drift_measure"], values: Vocabulary.driftMeasures))
            for p in mo["metrics"]?.pairs ?? [] {
                if let k = p.key.scalar?.text, let v = string(p.value) { spec.metrics[k] = v }
            }
            for p in mo["labels"]?.pairs ?? [] {
                if let k = p.key.scalar?.text, let v = string(p.value) { spec.labels[k] = v }
            }
            for p in mo["selector"]?.pairs ?? [] {
                if let k = p.key.scalar?.text, let v = string(p.value) { spec.selector[k] = v }
            }
            m.monitor = spec
        }
        return m
    }

    static func target(name: Located<String>, _ node: YAMLNode, optimizeDefaults: YAMLNode?, defaults: OptimizeSpec) -> TargetSpec {
        var t = TargetSpec(
            name: name, budget: Budget(), optimize: defaults, range: name.range.union(node.range))
        // One pass over the target's keys (decoding runs on every keystroke in the server).
        for p in node.pairs ?? [] {
            guard let key = p.key.scalar?.text else { continue }
            let v = p.value
            switch key {
            case "runtime":
                if let r = string(v), FormatCheck.runtime(r.value) == nil {
                    let parts = r.value.split(separator: "@", maxSplits: 1)
                    t.runtime = Located(RuntimeRef(name: String(parts[0]), version: parts.count > 1 ? String(parts[1]) : nil), r.range)
                }
            case "device": t.device = string(v)
            case "delegate": t.delegate = string(v, values: Vocabulary.delegates)
            case "compute_units": t.computeUnits = string(v, values: Vocabulary.computeUnits)
            case "format": t.format = string(v, values: Vocabulary.outputFormats)
            case "minimum_os":
                if let o = string(v), FormatCheck.osVersion(o.value) == nil {
                    let os = String(decoding: o.value.utf8.prefix(while: { $0 >= 0x61 && $0 <= 0x7A }), as: UTF8.self)
                    let comps = o.value.dropFirst(os.count).split(separator: ".")
                    if let major = comps.first.flatMap({ Int($0) }) {
                        t.minimumOS = Located(OSVersion(os: os, major: major, minor: comps.count > 1 ? Int(comps[1]) ?? 0 : 0), o.range)
                    }
                }
            case "budget":
                for b in v.pairs ?? [] {
                    switch b.key.scalar?.text {
                    case "size_mb": t.budget.sizeMB = positive(b.value)
                    case "memory_mb": t.budget.memoryMB = positive(b.value)
                    case "flash_mb": t.budget.flashMB = positive(b.value)
                    case "latency_ms": t.budget.latencyMS = positive(b.value)
                    default: break
                    }
                }
            case "optimize": t.optimize = optimize([optimizeDefaults, v].compactMap { $0 })
            case "output": t.output = string(v)
            case "layout": t.layout = string(v, values: Vocabulary.deployLayouts)
            case "python": t.python = string(v)
            case "tools":
                for tp in v.pairs ?? [] {
                    guard let k = tp.key.scalar?.text, let ver = string(tp.value) else { continue }
                    t.tools.append(ToolPin(name: Located(k, tp.key.reportRange), version: ver))
                }
            default: break
            }
        }
        return t
    }

    /// Merges `optimize` layers (manifest defaults, then a target's overrides): per key the last layer that
    /// sets it wins, and a step set to `null` in a later layer is turned off.
    static func optimize(_ layers: [YAMLNode]) -> OptimizeSpec {
        var quantize: QuantizeSpec?
        var prune: PruneSpec?
        for layer in layers {
            for step in layer.pairs ?? [] {
                let v = step.value
                let isNull = v.scalar != nil && v.resolved == .null
                switch step.key.scalar?.text {
                case "quantize":
                    if isNull { quantize = nil; continue }
                    guard let pairs = v.pairs else { continue }
                    var q = quantize ?? QuantizeSpec(skip: [])
                    for p in pairs {
                        let x = p.value
                        switch p.key.scalar?.text {
                        case "weights": q.weights = string(x, values: Vocabulary.weightTypes)
                        case "activations": q.activations = string(x, values: Vocabulary.activationTypes)
                        case "granularity": q.granularity = string(x).flatMap { s in Granularity(s.value).map { Located($0, s.range) } }
                        case "symmetric": q.symmetric = bool(x)
                        case "reduce_range": q.reduceRange = bool(x)
                        case "channel_axis": q.channelAxis = int(x)
                        case "format": q.format = string(x, values: Vocabulary.quantFormats)
                        case "calibration": q.calibration = string(x)
                        case "calibration_method": q.calibrationMethod = string(x, values: Vocabulary.calibrationMethods)
                        case "io": q.io = string(x, values: Vocabulary.ioTypes)
                        case "skip": q.skip = strings(x)
                        default: break
                        }
                    }
                    quantize = q
                case "prune":
                    if isNull { prune = nil; continue }
                    guard let pairs = v.pairs else { continue }
                    var pr = prune ?? PruneSpec(skip: [])
                    // The criterion comes from the last layer that names one, so an override of `sparsity`
                    // replaces a default `pattern` instead of conflicting with it.
                    var criterion: Located<PruneCriterion>?
                    var named = false
                    for p in pairs {
                        let x = p.value
                        switch p.key.scalar?.text {
                        case "sparsity":
                            named = true
                            if criterion == nil, let s = number(x), s.value >= 0, s.value < 1 { criterion = Located(.sparsity(s.value), s.range) }
                        case "threshold":
                            named = true
                            if criterion == nil, let t = number(x), t.value >= 0 { criterion = Located(.threshold(t.value), t.range) }
                        case "pattern":
                            named = true
                            if criterion == nil, let pat = string(x), FormatCheck.nmPattern(pat.value) == nil {
                                let nm = pat.value.split(separator: ":").compactMap { Int($0) }
                                if nm.count == 2 { criterion = Located(.pattern(n: nm[0], m: nm[1]), pat.range) }
                            }
                        case "scope": pr.scope = string(x, values: Vocabulary.pruneScopes)
                        case "skip": pr.skip = strings(x)
                        default: break
                        }
                    }
                    if named { pr.criterion = criterion }
                    prune = pr
                default: break
                }
            }
        }
        return OptimizeSpec(quantize: quantize, prune: prune)
    }

    // MARK: typed readers (nil when the value is not valid; the validator has said why)

    static func string(_ n: YAMLNode?, values: [(String, String)]? = nil) -> Located<String>? {
        guard let n, n.scalar != nil, case .string(let s) = n.resolved else { return nil }
        if let values, !values.contains(where: { $0.0 == s }) { return nil }
        return Located(s, n.reportRange)
    }

    static func strings(_ n: YAMLNode?) -> [Located<String>] {
        (n?.items ?? []).compactMap { string($0) }
    }

    static func int(_ n: YAMLNode?) -> Located<Int>? {
        guard let n, n.scalar != nil, case .int(let i) = n.resolved else { return nil }
        return Located(i, n.reportRange)
    }

    static func number(_ n: YAMLNode?) -> Located<Double>? {
        guard let n, n.scalar != nil, let d = n.resolved.doubleValue, d.isFinite else { return nil }
        return Located(d, n.reportRange)
    }

    /// One number, or a list of them.
    static func numbers(_ n: YAMLNode?) -> [Double] {
        if let one = number(n) { return [one.value] }
        return (n?.items ?? []).compactMap { number($0)?.value }
    }

    static func positive(_ n: YAMLNode?) -> Located<Double>? {
        guard let v = number(n), v.value > 0 else { return nil }
        return v
    }

    static func bool(_ n: YAMLNode?) -> Located<Bool>? {
        guard let n, n.scalar != nil, case .bool(let b) = n.resolved else { return nil }
        return Located(b, n.reportRange)
    }
}
