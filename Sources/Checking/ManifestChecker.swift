import Conversion
import Diagnostics
import Estimation
import Evaluation
import Planning
import Isolation
import Manifest
import ModelFormats
import Targets
import YAMLSyntax

/// The result of checking one manifest file: what was read, and every diagnostic after suppression,
/// in source order.
public struct CheckResult: Sendable {
    public var path: String
    public var file: ManifestFile?
    public var diagnostics: [Diagnostic]
    /// The text's line index (empty when the file could not be read).
    public var lineIndex: LineIndex
    /// Set when the model work of this check crashed or overran its worker (see `ManifestChecker.isolation`):
    /// the check is incomplete, and `check` exits 2 for it.
    public var workerFailure: String? = nil
    /// True when the check left out the model work it had (`check(bytes:path:modelWork: false)`): the
    /// diagnostics are the manifest's and the catalogue's only, a subset of the full check's.
    public var partial = false

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
}

/// The one engine entry point for checking a manifest, shared by `slipway check` and the language server.
public struct ManifestChecker: Sendable {
    public let fileSystem: any FileSystem
    public let limits: YAMLLimits
    /// The target catalogue; nil skips the target checks (the CLI refuses to run when the embedded
    /// catalogue is unusable, so that this never happens silently there).
    public let catalogue: Catalogue?
    /// Where estimates of the model's weights are kept between checks: the CLI passes one on disk; by default
    /// one in memory for the whole process (the language server checks on every edit, and the weights rarely
    /// change between edits); nil computes them every time.
    public let estimateCache: (any EstimateCache)?

    /// Where the model work runs: nil in this process; otherwise in the pool's worker processes, so that a
    /// model that traps the analysis costs a diagnostic instead of the process (the server, `check`).
    public let isolation: WorkerPool?

    /// Where the model half of each check is remembered between runs (the CLI's `check`, for pre-commit runs
    /// on unchanged files); nil computes it every time.
    public let memo: TargetCheckMemo?

    public static let sharedEstimateCache = MemoryEstimateCache()

    public init(
        fileSystem: any FileSystem = LocalFileSystem(), limits: YAMLLimits = .default,
        catalogue: Catalogue? = try? Catalogue.embedded.get(),
        estimateCache: (any EstimateCache)? = ManifestChecker.sharedEstimateCache,
        isolation: WorkerPool? = nil, memo: TargetCheckMemo? = nil
    ) {
        self.memo = memo
        self.fileSystem = fileSystem
        self.limits = limits
        self.catalogue = catalogue
        self.estimateCache = estimateCache
        self.isolation = isolation
    }

    /// Reads and checks a manifest on disk. I/O problems become diagnostics (SW0xxx), never thrown errors.
    public func check(path: String) -> CheckResult {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.read(path, limit: limits.maxBytes)
        } catch {
            let code: DiagnosticCode
            if case .tooLarge = error.reason { code = .fileTooLarge } else { code = .fileUnreadable }
            return CheckResult(
                path: path, file: nil, diagnostics: [Diagnostic(code, error.description, at: .at(0))],
                lineIndex: LineIndex(bytes: []))
        }
        return check(bytes: bytes, path: path)
    }

    /// Checks manifest text that belongs at `path` (an editor buffer, or bytes already read). Without
    /// `modelWork`, nothing reads the model, the artifacts or their test records: the manifest's own
    /// diagnostics and the catalogue's model-free target checks, in the time of a parse (the language server
    /// shows these while the model work runs in the background).
    public func check(bytes: [UInt8], path: String, modelWork: Bool = true) -> CheckResult {
        let file = ManifestFile(bytes: bytes, limits: limits)
        var diagnostics = file.diagnostics
        let folder = PathUtil.directory(of: path)
        // Only manifests with targets need the model; the YAML-only path never pays for a worker.
        var modelHalf: ModelHalf?
        if modelWork, catalogue != nil, file.documents.contains(where: { !$0.manifest.targets.isEmpty }) {
            modelHalf = self.modelHalf(file: file, bytes: bytes, path: path)
        }
        var skipped = false
        for (i, doc) in file.documents.enumerated() {
            diagnostics += PathChecks(fileSystem: fileSystem, folder: folder).check(doc.manifest)
            guard !doc.manifest.targets.isEmpty else { continue }
            if !modelWork {
                // The model, and the targets' test records (found from it), are left for the full check.
                if let catalogue {
                    diagnostics += TextFixes.add(TargetChecks.check(manifest: doc.manifest, model: nil, catalogue: catalogue),
                                                 manifest: doc.manifest, model: nil, text: bytes)
                }
                if doc.manifest.model?.path != nil { skipped = true }
                continue
            }
            // The last test of each target (records beside the artifacts): files and digests only, no model work.
            diagnostics += TestRecordFindings.diagnostics(manifest: doc.manifest, manifestPath: path, text: bytes)
            // The last failed conversion of each target (records beside the artifacts), the same way.
            diagnostics += ConversionFailureFindings.diagnostics(manifest: doc.manifest, manifestPath: path)
            if let modelHalf, i < modelHalf.documents.count { diagnostics += modelHalf.documents[i] }
        }
        let suppressions = Suppressions(index: file.lineIndex)
        diagnostics = suppressions.apply(to: diagnostics, index: file.lineIndex)
        var result = CheckResult(
            path: path, file: file, diagnostics: Diagnostic.sortedForOutput(diagnostics), lineIndex: file.lineIndex,
            workerFailure: modelHalf?.failure)
        result.partial = skipped && catalogue != nil
        return result
    }

    /// Whether checking the manifest at `path` would need model work that is not remembered: false for a
    /// manifest without targets, or whose model half `memo` holds for the files as they are. `check` starts a
    /// worker ahead of time only when one will be needed.
    public func needsModelWork(path: String) -> Bool {
        guard let bytes = try? fileSystem.read(path, limit: limits.maxBytes) else { return false }
        let file = ManifestFile(bytes: bytes, limits: limits)
        guard file.documents.contains(where: { !$0.manifest.targets.isEmpty }) else { return false }
        return memo?.load(bytes: bytes, path: path, documents: file.documents.count) == nil
    }

    /// Each document's target diagnostics: remembered (`memo`), from a worker (`isolation`) or computed here.
    func modelHalf(file: ManifestFile, bytes: [UInt8], path: String) -> ModelHalf {
        if let memo, let remembered = memo.load(bytes: bytes, path: path, documents: file.documents.count) {
            return ModelHalf(documents: remembered, inputs: nil, failure: nil)
        }
        let computed: ModelHalf
        if let isolation {
            computed = IsolatedChecks.run(isolation, bytes: bytes, path: path, file: file)
        } else {
            computed = targetDiagnostics(file: file, path: path, text: bytes)
        }
        if let memo, computed.failure == nil, let inputs = computed.inputs {
            memo.store(bytes: bytes, path: path, documents: computed.documents, inputs: inputs)
        }
        return computed
    }

    /// The target diagnostics of each document of the manifest text, computed here (the worker's half of an
    /// isolated check), with the state of every file they were computed from (nil when a file changed during
    /// the work or cannot be identified: the result is then not to be remembered).
    public func targetDiagnostics(bytes: [UInt8], path: String) -> ModelHalf {
        targetDiagnostics(file: ManifestFile(bytes: bytes, limits: limits), path: path, text: bytes)
    }

    func targetDiagnostics(file: ManifestFile, path: String, text: [UInt8]) -> ModelHalf {
        let folder = PathUtil.directory(of: path)
        let modelPaths = file.documents.compactMap { $0.manifest.model?.path.map { PathUtil.join(folder, $0.value) } }
        let before = TargetCheckMemo.states(of: modelPaths)
        var sources = modelPaths
        let documents = file.documents.map { targetChecks($0.manifest, folder: folder, text: text, sources: &sources) }
        // Remembered only when every file is identified and none changed while the diagnostics were computed.
        var inputs = TargetCheckMemo.states(of: sources)
        if let after = inputs, before?.contains(where: { after[$0.key] != $0.value }) ?? true { inputs = nil }
        return ModelHalf(documents: documents, inputs: inputs, failure: nil)
    }
}

/// The model half of a check: each document's target diagnostics, the state of the files they come from
/// (`TargetCheckMemo.states`), and why the work failed when it did (a worker that crashed or overran).
public struct ModelHalf: Sendable {
    public var documents: [[Diagnostic]]
    public var inputs: [String: String]?
    public var failure: String?
}

extension ManifestChecker {
    /// Reads the model the manifest names (only when it is a file: a missing one is SW3001 already) and
    /// checks every target against the catalogue. Model reading stays here, out of the pure Manifest layer.
    /// When the model was read, the Compression engine estimates each quantizing target on its real weights
    /// (cached): its findings become SW50xx diagnostics and its size feeds the size budget.
    func targetChecks(_ m: Manifest, folder: String, text: [UInt8], sources: inout [String]) -> [Diagnostic] {
        guard let catalogue, !m.targets.isEmpty else { return [] }
        var model: Model?
        var out: [Diagnostic] = []
        if let p = m.model?.path {
            let full = PathUtil.join(folder, p.value)
            if case .file = fileSystem.kind(of: full) {
                do {
                    model = try fileSystem.readModel(full)
                    sources += model?.sourceFiles ?? []
                } catch {
                    let why = error.field.isEmpty ? error.message : "\(error.field): \(error.message)"
                    out.append(Diagnostic(
                        .modelUnreadable, "model '\(p.value)' cannot be read (\(why)); target checks that need the model are skipped",
                        at: p.range))
                }
            }
        }
        guard let model else {
            return out + TextFixes.add(TargetChecks.check(manifest: m, model: nil, catalogue: catalogue), manifest: m, model: nil, text: text)
        }
        // Each target's plan: where `convert` would refuse, `check` says so here, in the same words.
        var planned: [Diagnostic] = []
        for t in m.targets {
            for p in Self.plan(t, model: model, catalogue: catalogue).problems {
                let related = p.source.map { [RelatedLocation(file: $0.url, message: $0.title)] } ?? []
                var d = Diagnostic(.noConversionPath, "target '\(t.name.value)': \(p.message)", at: p.range ?? t.name.range,
                                   related: related)
                d.targets = [t.name.value]
                planned.append(d)
            }
        }
        out += TargetChecks.mergedAcrossTargets(planned)
        let estimation = TargetEstimation.run(manifest: m, model: model, cache: estimateCache)
        let targets = TargetChecks.check(manifest: m, model: model, catalogue: catalogue, sizeBytes: estimation.sizes)
        return out + TextFixes.add(targets, manifest: m, model: model, text: text)
            + estimation.diagnostics(manifest: m, text: text, modelPath: m.model?.path?.value)
    }
}

extension ManifestChecker {
    /// A target's plan for a model that was read: its format is the source's, and the catalogue gives the
    /// highest opset of the runtime version the target names.
    public static func plan(_ t: TargetSpec, model: Model, catalogue: Catalogue) -> TargetPlan {
        TargetPlan.make(target: t, source: model.conversionSource, runtimeMaxOpset: runtimeMaxOpset(t, catalogue: catalogue))
    }

    /// The highest default-domain opset of the runtime version the target names, when the catalogue has it:
    /// what `check`'s plan and `convert`'s (`ConvertOptions.runtimeMaxOpset`) both decide from.
    public static func runtimeMaxOpset(_ t: TargetSpec, catalogue: Catalogue) -> Int? {
        guard let r = t.runtime?.value, let v = r.version else { return nil }
        return catalogue.runtime(r.name)?.version(v)?.maxOpset
    }
}

extension ConvertOptions {
    /// The catalogue's facts a conversion decides from, as `check` does: every caller of `convert` (the CLI's
    /// `convert` and `test`, the server's command) sets them here, so none plans differently.
    /// The catalogue is read when a conversion first asks (`slipway test --no-convert` never does: loading the
    /// embedded catalogue costs more than a warm check).
    public mutating func decide(from catalogue: @autoclosure @escaping @Sendable () -> Catalogue?) {
        runtimeMaxOpset = { t in catalogue().flatMap { ManifestChecker.runtimeMaxOpset(t, catalogue: $0) } }
        staticShapes = { t in catalogue().map { TargetChecks.needsStaticShapes(t, catalogue: $0) } ?? false }
    }
}

/// Checks of the paths a manifest names, resolved against the manifest's folder.
struct PathChecks {
    let fileSystem: any FileSystem
    let folder: String

    func check(_ m: Manifest) -> [Diagnostic] {
        var out: [Diagnostic] = []
        if let p = m.model?.path {
            let full = PathUtil.join(folder, p.value)
            switch fileSystem.kind(of: full) {
            case .file: break
            case .directory:
                let hint = p.value.hasSuffix(".mlpackage") || p.value.hasSuffix(".mlpackage/")
                    ? "; Core ML packages cannot be read yet, convert from the ONNX or PyTorch source instead"
                    : "; name the model file inside it"
                out.append(Diagnostic(.modelNotAFile, "model path '\(p.value)' is a directory\(hint)", at: p.range))
            case .other:
                out.append(Diagnostic(.modelNotAFile, "model path '\(p.value)' is not a regular file", at: p.range))
            case .missing:
                out.append(missing(.modelNotFound, what: "model file", p))
            }
        }
        var dataPaths: [(String, Located<String>)] = []
        if let c = m.optimize.quantize?.calibration { dataPaths.append(("calibration data", c)) }
        for t in m.targets {
            if let c = t.optimize.quantize?.calibration, !dataPaths.contains(where: { $0.1.range == c.range }) {
                dataPaths.append(("calibration data", c))
            }
        }
        if let s = m.test?.samples { dataPaths.append(("test samples", s)) }
        for (what, p) in dataPaths where fileSystem.kind(of: PathUtil.join(folder, p.value)) == .missing {
            out.append(missing(.dataPathNotFound, what: what, p))
        }
        // Each target's artifact path, decided by the function `convert` refuses with (Containment), blamed on
        // the value that puts it outside: the target's output, deploy.to, deploy.version or name.
        let resolve = (fileSystem as? any LinkResolving)?.linkResolver
        var blamed = Set<ByteRange>()
        for t in m.targets {
            guard let e = Containment.escape(target: t, manifest: m, folder: folder, resolve: resolve),
                  blamed.insert(e.value.range).inserted
            else { continue }
            out.append(
                Diagnostic(
                    .pathEscapesProject,
                    "'\(e.value.value)' writes outside the manifest's folder (target \(t.name.value): \(e.output)); conversions refuse to write there unless run with --allow-outside-project",
                    at: e.value.range))
        }
        return out
    }

    /// "not found", with the closest name in the folder that should hold it as a fix.
    func missing(_ code: DiagnosticCode, what: String, _ p: Located<String>) -> Diagnostic {
        var rel = p.value
        while rel.count > 1, rel.hasSuffix("/") { rel.removeLast() }  // `data/calib/` names the folder `calib`
        let relDir = rel.contains("/") ? PathUtil.directory(of: rel) : ""
        let dir = PathUtil.join(folder, relDir.isEmpty ? "." : relDir)
        let name = PathUtil.lastComponent(rel)
        let full = PathUtil.normalize(PathUtil.join(folder, rel))
        var message = "\(what) '\(p.value)' not found" + (full == PathUtil.normalize(rel) ? "" : " (looked for \(full))")
        var fixes: [Fix] = []
        if fileSystem.kind(of: dir) == .missing {
            message += "; the folder '\(relDir)' does not exist either"
        } else if let sug = Suggest.closest(to: name, among: fileSystem.list(dir)) {
            let replacement = relDir.isEmpty ? sug : relDir + "/" + sug
            message += "; did you mean '\(replacement)'?"
            fixes.append(Fix(title: "Change to '\(replacement)'", edits: [TextEdit(range: p.range, newText: replacement)], isPreferred: true))
        }
        return Diagnostic(code, message, at: p.range, fixes: fixes)
    }
}
