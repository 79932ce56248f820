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
        return ManifestDocument(manifest: manifest(root), diagnostics: diagnostics, range: doc.range)
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
            for p in node["inputs"]?.pairs ?? [] {
                guard let k = p.key.scalar?.text, let items = p.value.items else { continue }
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
                inputs: inputs, keyRange: mp.key.reportRange)
        }
        for p in root["targets"]?.pairs ?? [] {
            guard let name = p.key.scalar?.text, name.hasPrefix("x-") == false, p.value.pairs != nil else { continue }
            m.targets.append(target(name: Located(name, p.key.reportRange), p.value, optimizeDefaults: optimizeNode))
        }
        if let t = root["test"] {
            let tol = t["tolerance"]
            m.test = TestSpec(
                samples: string(t["samples"]), cosine: number(tol?["cosine"]), maxAbs: number(tol?["max_abs"]),
                top1: number(tol?["top1"]))
        }
        if let d = root["deploy"] { m.deploy = DeploySpec(to: string(d["to"]), version: string(d["version"])) }
        if let mo = root["monitor"] {
            m.monitor = MonitorSpec(latencyP95MS: number(mo["latency_p95_ms"]), maxOutputDrift: number(mo["max_output_drift"]))
        }
        return m
    }

    static func target(name: Located<String>, _ node: YAMLNode, optimizeDefaults: YAMLNode?) -> TargetSpec {
        var runtime: Located<RuntimeRef>?
        if let r = string(node["runtime"]), FormatCheck.runtime(r.value) == nil {
            let parts = r.value.split(separator: "@", maxSplits: 1)
            runtime = Located(RuntimeRef(name: String(parts[0]), version: parts.count > 1 ? String(parts[1]) : nil), r.range)
        }
        var os: Located<OSVersion>?
        if let o = string(node["minimum_os"]), FormatCheck.osVersion(o.value) == nil {
            let name = String(o.value.prefix(while: \.isLetter))
            let comps = o.value.dropFirst(name.count).split(separator: ".")
            if let major = comps.first.flatMap({ Int($0) }) {
                os = Located(OSVersion(os: name, major: major, minor: comps.count > 1 ? Int(comps[1]) ?? 0 : 0), o.range)
            }
        }
        let b = node["budget"]
        let overrides = node["optimize"]
        let layers: [YAMLNode?] = [optimizeDefaults, overrides]
        return TargetSpec(
            name: name, runtime: runtime, device: string(node["device"]),
            delegate: string(node["delegate"], values: Vocabulary.delegates),
            computeUnits: string(node["compute_units"], values: Vocabulary.computeUnits),
            format: string(node["format"], values: Vocabulary.outputFormats), minimumOS: os,
            budget: Budget(
                sizeMB: positive(b?["size_mb"]), memoryMB: positive(b?["memory_mb"]), latencyMS: positive(b?["latency_ms"])),
            optimize: optimize(layers.compactMap { $0 }), output: string(node["output"]),
            range: name.range.union(node.range))
    }

    /// Merges `optimize` layers (manifest defaults, then a target's overrides): per key the last layer that
    /// sets it wins, and a step set to `null` in a later layer is turned off.
    static func optimize(_ layers: [YAMLNode]) -> OptimizeSpec {
        func stepLayers(_ key: String) -> [YAMLNode]? {
            var out: [YAMLNode] = []
            for l in layers {
                guard let v = l[key] else { continue }
                if v.scalar != nil, v.resolved == .null { out = []; continue }
                if v.pairs != nil { out.append(v) }
            }
            return out.isEmpty ? nil : out
        }
        var spec = OptimizeSpec()
        if let q = stepLayers("quantize") {
            func last(_ k: String) -> YAMLNode? { q.last(where: { $0[k] != nil })?[k] }
            spec.quantize = QuantizeSpec(
                weights: string(last("weights"), values: Vocabulary.weightTypes),
                activations: string(last("activations"), values: Vocabulary.activationTypes),
                granularity: string(last("granularity")).flatMap { s in Granularity(s.value).map { Located($0, s.range) } },
                symmetric: bool(last("symmetric")), reduceRange: bool(last("reduce_range")),
                channelAxis: int(last("channel_axis")), format: string(last("format"), values: Vocabulary.quantFormats),
                calibration: string(last("calibration")),
                calibrationMethod: string(last("calibration_method"), values: Vocabulary.calibrationMethods),
                skip: strings(last("skip")))
        }
        if let p = stepLayers("prune") {
            func last(_ k: String) -> YAMLNode? { p.last(where: { $0[k] != nil })?[k] }
            // The criterion comes from the last layer that names any of them, so an override of
            // `sparsity` replaces a default `pattern` instead of conflicting with it.
            var criterion: Located<PruneCriterion>?
            if let layer = p.last(where: { $0["sparsity"] != nil || $0["threshold"] != nil || $0["pattern"] != nil }) {
                if let s = number(layer["sparsity"]), s.value >= 0, s.value < 1 {
                    criterion = Located(.sparsity(s.value), s.range)
                } else if let t = number(layer["threshold"]), t.value >= 0 {
                    criterion = Located(.threshold(t.value), t.range)
                } else if let pat = string(layer["pattern"]), FormatCheck.nmPattern(pat.value) == nil {
                    let nm = pat.value.split(separator: ":").compactMap { Int($0) }
                    if nm.count == 2 { criterion = Located(.pattern(n: nm[0], m: nm[1]), pat.range) }
                }
            }
            spec.prune = PruneSpec(
                criterion: criterion, scope: string(last("scope"), values: Vocabulary.pruneScopes), skip: strings(last("skip")))
        }
        return spec
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

    static func positive(_ n: YAMLNode?) -> Located<Double>? {
        guard let v = number(n), v.value > 0 else { return nil }
        return v
    }

    static func bool(_ n: YAMLNode?) -> Located<Bool>? {
        guard let n, n.scalar != nil, case .bool(let b) = n.resolved else { return nil }
        return Located(b, n.reportRange)
    }
}
