#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Conversion
import Diagnostics
import Hashing
import Isolation
import JSON
import Manifest
import ModelFormats
import Targets

/// How `slipway test` runs: the converter's options (a missing or stale artifact is converted first), the
/// interpreter that has the runtimes, the warm-up and the runner's time limit.
public struct TestOptions: Sendable {
    public var convert: ConvertOptions
    /// The Python with onnxruntime, ai-edge-litert and tflite-micro (requirements-test.txt); default python3.
    public var python: String
    public var warmup: Int
    public var timeout: Duration?
    /// False tests the artifacts as they lie (made elsewhere, or edited): a missing one is an error, nothing is converted.
    public var convertFirst: Bool
    /// Per-layer attribution (`--layers`): the SQNR of every value an ONNX artifact computes against the original's.
    public var layers: Bool
    /// Reuse a target's recorded measurement when nothing it was measured on changed (artifact, original and
    /// samples by digest, both runtimes' versions, the delegate); false runs every model again (`--force`).
    public var reuse: Bool
    public init(convert: ConvertOptions = ConvertOptions(), python: String = "python3", warmup: Int = 3, timeout: Duration? = nil,
                convertFirst: Bool = true, layers: Bool = false, reuse: Bool = true) {
        self.convert = convert
        self.reuse = reuse
        self.layers = layers
        self.convertFirst = convertFirst
        self.python = python
        self.warmup = warmup
        self.timeout = timeout
    }
}

/// One tolerance of `test.tolerance` against what was measured.
public struct ToleranceCheck: Sendable, Equatable {
    /// The manifest key: cosine, max_abs, top1, sqnr_db, latency_ms_p95.
    public var key: String
    public var limit: Double
    /// Nil when the outputs give no such figure (top-1 of an output that is not a classifier's).
    public var measured: Double?
    public var passed: Bool
}

public struct TargetTestResult: Sendable {
    public enum Status: String, Sendable { case passed, failed, skipped, error }
    public var name: String
    public var status: Status
    /// Why it was skipped or could not be tested.
    public var reason: String?
    public var artifact: String?
    public var runtime: String?
    public var runtimeVersion: String?
    public var outputs: [OutputMetrics] = []
    public var latencyMS: [Double] = []
    public var originalLatencyMS: [Double] = []
    public var peakRSSKB: Int?
    public var checks: [ToleranceCheck] = []
    public var artifactSHA256: String?
    /// onnxruntime artifacts: how the integer matmuls were computed (the target's arithmetic, see `IntegerMatmul`).
    public var integerMatmul: IntegerMatmul?
    /// With `--layers`: each value the artifact and the original both compute, in graph order.
    public var layers: [LayerSQNR] = []
    /// With `--layers`: how many of the original's float values `layers` holds, and which were left out and why.
    public var layersCoverage: LayerCoverage?
    /// Why the per-layer attribution could not be made, when it was asked for.
    public var layersError: String?
    /// The target's `delegate` as tested.
    public var delegate: String?
    /// The figures are the recorded ones of an earlier run on the same files and runtime versions (`TestMeasurement`).
    public var reused = false
    /// The execution provider or delegate the artifact ran on here (onnxruntime, LiteRT).
    public var ranOn: String?
    /// Why that is not the target's `delegate` (one this host cannot run).
    public var placementNote: String?
}

/// Everything one `slipway test` learnt: per target, the diagnostics on the manifest, and the exit status.
public struct TestRun: Sendable {
    public var manifestPath: String
    public var samples: [String] = []
    public var targets: [TargetTestResult] = []
    public var diagnostics: [Diagnostic] = []
    /// Set when the run could not happen at all (no samples, no runtime): exit 2.
    public var setupError: String?
    public var cancelled = false
    /// The original model's path and SHA-256, and the digest of the sample set (docs/test.md).
    public var originalPath: String?
    public var originalSHA256: String?
    public var samplesSHA256: String?
    /// The samples' identities when the runner started reading them: the runner's digest describes the files
    /// still so identified after it, and the record takes it instead of reading every sample again.
    var sampleIdentities: [FileDigests.Identity]?
    /// The runtime the original runs in (the runner's name: onnxruntime, litert, keras, torch) and its version.
    public var originalRuntime: String?
    public var originalRuntimeVersion: String?
    /// Whether per-layer attribution was asked for (what a record keeps for reuse).
    public var layersAsked = false
    /// What the samples were fed with besides their files (`TestRecord.feeds`): a record measured with other
    /// input shapes, scalar values or preprocessing is stale.
    public var feeds = ""

    /// 0 when every tolerance holds, 1 when one fails (or a sample does not fit), 2 on a setup error, as `check`.
    public var exitCode: Int32 {
        if setupError != nil || targets.contains(where: { $0.status == .error }) { return 2 }
        if diagnostics.contains(where: { $0.severity == .error }) || targets.contains(where: { $0.status == .failed }) { return 1 }
        return 0
    }
}

extension TestRun {
    /// Targets that were converted but could not be measured.
    mutating func markUntested(_ why: String, status: TargetTestResult.Status = .error) {
        for i in targets.indices where targets[i].status == .skipped && targets[i].reason == nil {
            targets[i].status = status
            targets[i].reason = why
        }
    }
}

/// The engine entry of `slipway test` (no CLI or LSP knowledge): converts what is missing, runs the original and
/// every artifact on the manifest's samples in their real runtimes (one runner process per runtime), compares
/// the outputs and judges `test.tolerance`.
public enum ModelTester {
    public static func test(
        manifest: Manifest, manifestPath: String, targets chosen: [TargetSpec], options: TestOptions,
        progress: @escaping @Sendable (String) -> Void = { _ in }, cancellation: @escaping CancellationCheck = { false }
    ) async -> TestRun {
        var run = TestRun(manifestPath: manifestPath)
        run.layersAsked = options.layers
        run.feeds = TestRecord.feeds(manifest)
        let folder = SafeWriter.directory(of: manifestPath)
        guard let test = manifest.test, let samplesRef = test.samples else {
            run.setupError = "\(manifestPath) has no test.samples: name a folder of .npy or .npz samples"
            return run
        }
        guard let modelRel = manifest.model?.path?.value else {
            run.setupError = "\(manifestPath) names no model (model.path)"
            return run
        }
        let modelPath = join(folder, modelRel)
        var samplesFolder = join(folder, samplesRef.value)
        while samplesFolder.count > 1, samplesFolder.hasSuffix("/") { samplesFolder.removeLast() }
        switch SampleFiles.list(samplesFolder) {
        case .success(let files): run.samples = files
        case .failure(let e):
            run.setupError = "test.samples \(samplesRef.value): \(e.message)"
            return run
        }
        let originalRuntime = TestRuntime.forModel(path: modelPath)
        run.originalRuntime = originalRuntime.runnerName
        if case .notRunHere(let why) = originalRuntime {
            run.setupError = why
            return run
        }

        // Each target: skipped, or converted (reusing an up-to-date artifact) and queued on its runtime.
        var artifacts: [Int: (path: String, runtime: TestRuntime)] = [:]
        // Only a target naming a device asks the catalogue anything here (IntegerMatmul); its parse was a seventh
        // of `test`'s own time.
        let catalogue = chosen.contains { $0.device != nil } ? try? Catalogue.embedded.get() : nil
        for (i, t) in chosen.enumerated() {
            let name = t.name.value
            var result = TargetTestResult(name: name, status: .skipped)
            result.delegate = t.delegate?.value
            let planned = Containment.destination(Converter.outputPath(target: t, manifest: manifest, modelPath: modelPath), folder: folder)
            let runtime = TestRuntime.forTarget(t, artifactPath: planned)
            if case .notRunHere(let why) = runtime {
                result.reason = "not run here: \(why)"
                run.targets.append(result)
                continue
            }
            if !options.convertFirst {
                var st = stat()
                if stat(planned, &st) == 0, st.st_mode & S_IFMT == S_IFREG {
                    result.artifact = planned
                    artifacts[i] = (planned, runtime)
                } else {
                    result.status = .error
                    result.reason = "no artifact at \(planned) (run `slipway convert`, or test without --no-convert)"
                }
                result.runtime = runtime.runnerName
                run.targets.append(result)
                continue
            }
            progress("\(name): converting")
            do throws(ConversionError) {
                let report = try await Converter.convert(target: t, manifest: manifest, manifestPath: manifestPath,
                                                         options: options.convert, cancellation: cancellation)
                result.artifact = report.outputPath
                artifacts[i] = (report.outputPath, runtime)
            } catch {
                if error.kind == .cancelled { run.cancelled = true; return run }
                result.status = .error
                result.reason = "the artifact could not be made: \(error.message)"
            }
            result.runtime = runtime.runnerName
            run.targets.append(result)
        }
        if artifacts.isEmpty { return run }
        var workTemplate = Array("\(tmpFolder())/slipway-test-XXXXXX".utf8CString)
        guard workTemplate.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) != nil else {
            run.setupError = "cannot create a temporary folder in \(tmpFolder())"
            return run
        }
        let work = String(decoding: workTemplate.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { removeTree(work) }
        // A Keras original runs in TensorFlow, a PyTorch one in torch: the converter's environment has them (the
        // targets' `python`).
        let converter = chosen.first.map { Converter.python(for: $0, folder: folder, options: options.convert) } ?? "python3"
        let pythonFor = { (runtime: TestRuntime) -> String in runtime == .keras || runtime == .torch ? converter : options.python }

        // Targets measured before on these very files and runtime versions, by this runner, reuse their figures
        // (judged again below).
        var reused: [Int: TestMeasurement] = [:]
        if options.reuse {
            var candidates: [Int: TestMeasurement] = [:]
            for (i, a) in artifacts {
                guard let (record, stale) = TestRecord.last(target: chosen[i], manifest: manifest, manifestPath: manifestPath),
                      stale.isEmpty, let m = record.measured, m.delegate == chosen[i].delegate?.value,
                      m.runnerSHA256 == TestMeasurement.runner,
                      !options.layers || (m.layers != nil && m.layersCoverage != nil) || a.runtime != .onnxruntime
                else { continue }
                candidates[i] = m
            }
            if !candidates.isEmpty {
                let runtimes = Set(candidates.keys.compactMap { artifacts[$0]?.runtime } + [originalRuntime])
                var versions: [TestRuntime: String] = [:]
                for r in runtimes { versions[r] = RunnerJob.version(of: r, python: pythonFor(r), work: work) }
                for (i, m) in candidates {
                    guard let a = artifacts[i], versions[a.runtime] == m.runtimeVersion,
                          versions[originalRuntime] == m.originalRuntimeVersion else { continue }
                    reused[i] = m
                    artifacts[i] = nil
                }
            }
        }
        if !reused.isEmpty {
            run.originalPath = modelPath
            run.originalSHA256 = Provenance.sha256(ofFile: modelPath)
            for (i, m) in reused {
                guard let index = run.targets.firstIndex(where: { $0.name == chosen[i].name.value }) else { continue }
                var target = run.targets[index]
                target.restore(m, layersAsked: options.layers)
                if options.layers, target.runtime != "onnxruntime" || originalRuntime != .onnxruntime {
                    target.layersError = "per-layer attribution compares ONNX models in onnxruntime; this target runs in \(target.runtime ?? "another runtime")"
                }
                target.artifactSHA256 = target.artifact.flatMap { Provenance.sha256(ofFile: $0) }
                let judged = Tolerances.judge(test, outputs: target.outputs, latencyMS: target.latencyMS, target: chosen[i].name.value)
                target.checks = judged.checks
                run.diagnostics += judged.diagnostics
                target.status = judged.checks.allSatisfy(\.passed) ? .passed : .failed
                run.targets[index] = target
                run.samplesSHA256 = run.samplesSHA256 ?? m.samplesSHA256
                run.originalRuntimeVersion = run.originalRuntimeVersion ?? m.originalRuntimeVersion
            }
            progress("reused the measurements of \(reused.count) target\(reused.count == 1 ? "" : "s") (nothing they were measured on changed)")
        }
        if artifacts.isEmpty { return run }

        // One runner per runtime; the original runs in its own runtime's runner, once for every target.
        var jobs: [TestRuntime: [RunnerJob.Model]] = [originalRuntime: [RunnerJob.Model(id: "original", path: modelPath)]]
        var order: [TestRuntime] = [originalRuntime]
        for i in artifacts.keys.sorted() {
            guard let a = artifacts[i] else { continue }
            if jobs[a.runtime] == nil { order.append(a.runtime) }
            let saturates = IntegerMatmul.targetSaturates(chosen[i], catalogue: catalogue)
            // Per-layer attribution compares values by name inside one runner: ONNX artifacts of an ONNX original.
            let against = options.layers && a.runtime == .onnxruntime && originalRuntime == .onnxruntime ? "original" : nil
            jobs[a.runtime, default: []].append(RunnerJob.Model(id: "target\(i)", path: a.path, exactU8S8: !saturates,
                                                                layersAgainst: against, delegate: chosen[i].delegate?.value))
        }
        var stated: [(String, [JSONValue])] = (manifest.model?.inputs ?? []).map { shape in
            (shape.name.value, shape.dims.map { d -> JSONValue in
                if case .fixed(let n) = d.value { return .int(n) }
                return .string("\(d.value)")
            })
        }
        // Images, WAV and .bin need the input's shape to be decoded: the model's own, where the manifest states none.
        if stated.isEmpty, run.samples.contains(where: SampleFiles.needsShape) {
            stated = Self.modelInputs(modelPath)
        }
        let inputs = stated
        // The manifest's scalar inputs (`sr: 16000`): what the exporter baked into the artifact, fed to the original.
        let values = Dictionary((manifest.model?.inputValues ?? []).map { ($0.name.value, $0.value.value) }, uniquingKeysWith: { a, _ in a })
        let preprocess = test.preprocess.map(\.json)
        // The files' digests (provenance) are read while the runners run: on a cold digest store, hashing a
        // large model took as long as the runner's start.
        let hashed = artifacts.values.map(\.path)
        async let digests = OwnThread.run { () -> (original: String?, artifacts: [String: String]) in
            var artifacts: [String: String] = [:]
            for path in hashed { artifacts[path] = Provenance.sha256(ofFile: path) }
            return (Provenance.sha256(ofFile: modelPath), artifacts)
        }
        let identities = run.samples.compactMap(FileDigests.Identity.of)
        run.sampleIdentities = identities.count == run.samples.count ? identities : nil
        var results: [TestRuntime: RunnerJob.Result] = [:]
        for runtime in order {
            guard let models = jobs[runtime] else { continue }
            progress("running \(runtime.runnerName ?? "") on \(run.samples.count) samples")
            let job = RunnerJob(runtime: runtime, models: models)
            let flag = CancelFlag()
            let python = pythonFor(runtime)
            let samples = run.samples, warmup = options.warmup, timeout = options.timeout
            let outcome = await withTaskCancellationHandler {
                await OwnThread.run { () -> Result<RunnerJob.Result, RunnerJob.Failure> in
                    do throws(RunnerJob.Failure) {
                        return .success(try job.run(python: python, inputs: inputs, values: values, preprocess: preprocess, samples: samples, warmup: warmup, work: work,
                                                    timeout: timeout, cancellation: { flag.isSet || cancellation() }))
                    } catch { return .failure(error) }
                }
            } onCancel: { flag.set() }
            switch outcome {
            case .success(let r): results[runtime] = r
            case .failure(.cancelled):
                run.cancelled = true
                return run
            case .failure(.setup(let message)):
                run.setupError = message
                run.markUntested(message)
                return run
            }
        }
        let digested = await digests
        run.originalPath = modelPath
        run.originalSHA256 = digested.original
        run.samplesSHA256 = results[originalRuntime]?.samplesSHA256
        run.originalRuntimeVersion = results[originalRuntime]?.version
        for i in run.targets.indices where !run.targets[i].reused {
            run.targets[i].artifactSHA256 = run.targets[i].artifact.flatMap { digested.artifacts[$0] ?? Provenance.sha256(ofFile: $0) }
        }
        guard let reference = results[originalRuntime] else { return run }
        let sampleErrors = results.values.flatMap(\.sampleErrors)
        var seen = Set<String>()
        for e in sampleErrors where seen.insert("\(e.file)|\(e.input)").inserted {
            let file = e.file.hasPrefix(folder + "/") ? String(e.file.dropFirst(folder.count + 1)) : e.file
            let what = e.message == "does not fit"
                ? "the sample \(file) does not fit input \(e.input): the model takes \(e.expected), the file holds \(e.got)"
                : e.message == "differs from the first sample"
                ? "the sample \(file) holds \(e.got)\(e.input == "input" ? "" : " for input \(e.input)"), the first sample \(e.expected): the samples of one run share one shape (outputs are compared sample by sample)"
                : "the sample \(file) \(e.message) (input \(e.input))"
            run.diagnostics.append(Diagnostic(.testSampleMismatch, what, at: samplesRef.range))
        }
        if !sampleErrors.isEmpty {
            run.markUntested("samples do not fit the model", status: .failed)
            return run
        }
        guard let original = reference.models["original"] else { return run }
        if let error = original.error {
            run.setupError = "the original model \(modelRel) does not run in \(originalRuntime.runnerName ?? ""): \(error)"
            run.markUntested("the original model does not run")
            return run
        }

        for (k, t) in chosen.enumerated() {
            guard let a = artifacts[k], let r = results[a.runtime], let index = run.targets.firstIndex(where: { $0.name == t.name.value })
            else { continue }
            var target = run.targets[index]
            target.runtimeVersion = r.version
            target.peakRSSKB = r.peakRSSKB
            target.originalLatencyMS = original.latencyMS
            if let m = r.models["target\(k)"] {
                target.layers = m.layers
                target.layersCoverage = m.layersCoverage
                target.layersError = m.layersError
                target.ranOn = m.ranOn
                target.placementNote = m.placementNote
                if options.layers, a.runtime != .onnxruntime || originalRuntime != .onnxruntime {
                    target.layersError = "per-layer attribution compares ONNX models in onnxruntime; this target runs in \(a.runtime.runnerName ?? "another runtime")"
                }
            }
            if a.runtime == .onnxruntime {
                target.integerMatmul = IntegerMatmul.measured(
                    targetSaturates: IntegerMatmul.targetSaturates(t, catalogue: catalogue), hostSaturates: r.hostU8S8Saturates,
                    exactApplied: r.models["target\(k)"]?.exactU8S8 ?? true)
            }
            guard let m = r.models["target\(k)"] else { continue }
            if let error = m.error {
                target.status = .failed
                target.reason = "\(a.runtime.runnerName ?? "") could not run the artifact: \(error)"
                run.diagnostics.append(Diagnostic(.testArtifactFailed, "target \(t.name.value): \(target.reason ?? "")", at: t.name.range))
                run.targets[index] = target
                continue
            }
            target.latencyMS = m.latencyMS
            var mismatch: String?
            if m.outputs.count != original.outputs.count {
                mismatch = "the artifact has \(m.outputs.count) outputs, the original \(original.outputs.count)"
            }
            let pairing = Self.pairOutputs(original: original.outputs.map(\.values.count), artifact: m.outputs.map(\.values.count),
                                           originalNames: original.outputs.map(\.name), artifactNames: m.outputs.map(\.name))
            for (o, ref) in original.outputs.enumerated() where mismatch == nil && o < m.outputs.count {
                let got = m.outputs[pairing[o]]
                // Where the shapes cannot tell the layout, the reading that agrees better (NaN agrees least).
                let readings = OutputLayout.views(got.values, artifactShape: got.shape, originalShape: ref.shape).compactMap {
                    OutputMetrics.compare(name: ref.name, shape: ref.shape, reference: ref.values, output: $0, samples: run.samples.count)
                }
                if let metrics = readings.max(by: { !($0.cosineMin >= $1.cosineMin) && !$1.cosineMin.isNaN }) {
                    target.outputs.append(metrics)
                } else {
                    mismatch = "output \(ref.name) has \(ref.values.count / max(1, run.samples.count)) values per sample in the original and \(m.outputs[o].values.count / max(1, run.samples.count)) in the artifact"
                }
            }
            if let mismatch {
                target.status = .failed
                target.reason = mismatch
                run.diagnostics.append(Diagnostic(.testArtifactFailed, "target \(t.name.value): \(mismatch)", at: t.name.range))
                run.targets[index] = target
                continue
            }
            let judged = Tolerances.judge(test, outputs: target.outputs, latencyMS: target.latencyMS, target: t.name.value)
            target.checks = judged.checks
            run.diagnostics += judged.diagnostics
            target.status = judged.checks.allSatisfy(\.passed) ? .passed : .failed
            run.targets[index] = target
        }
        return run
    }

    /// The artifact's output compared with each of the original's (given their value counts): the one of the same
    /// name and size (a TFLite signature keeps the ONNX model's output names while TensorFlow orders the tensors its
    /// own way), else the one in its place when their sizes agree, else the one other output of that size (a
    /// converter may reorder outputs: onnx2tf's TFLite Micro artifact of akiki-vad gives its state before its
    /// probability), else the one in its place.
    static func pairOutputs(original: [Int], artifact: [Int], originalNames: [String] = [], artifactNames: [String] = []) -> [Int] {
        var pairing = Array(original.indices)
        var named: [Int: Int] = [:]
        if originalNames.count == original.count, artifactNames.count == artifact.count, Set(artifactNames).count == artifactNames.count {
            let position = Dictionary(artifactNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            for (o, name) in originalNames.enumerated() {
                if let a = position[name], artifact[a] == original[o] { named[o] = a }
            }
        }
        for (o, a) in named { pairing[o] = a }
        let namedTo = Set(named.values)
        let inPlace = Set(original.indices.filter { named[$0] == nil && !namedTo.contains($0) && $0 < artifact.count
            && artifact[$0] == original[$0] })
        var used = inPlace.union(namedTo)
        for o in original.indices where !inPlace.contains(o) && named[o] == nil {
            let fits = artifact.indices.filter { !used.contains($0) && artifact[$0] == original[o] }
            if fits.count == 1 {
                pairing[o] = fits[0]
                used.insert(fits[0])
            }
        }
        return pairing
    }

    /// The model's inputs as the runner takes them (a fixed size, or a name for a free dimension); none when the
    /// model cannot be read (the runner then says which samples need a shape).
    static func modelInputs(_ path: String) -> [(String, [JSONValue])] {
        guard let model = try? ModelReader.read(path: path) else { return [] }
        return model.inputs.compactMap { v in
            guard let shape = v.shape else { return nil }
            return (v.name, shape.map { d -> JSONValue in
                switch d {
                case .fixed(let n): .int(n)
                case .named(let s): .string(s)
                case .unknown: .string("?")
                }
            })
        }
    }

    static func tmpFolder() -> String {
        if let t = getenv("TMPDIR").map({ String(cString: $0) }), !t.isEmpty { return t }
        return "/tmp"
    }

    static func join(_ folder: String, _ path: String) -> String {
        path.hasPrefix("/") || folder.isEmpty ? path : "\(folder)/\(path)"
    }

    /// Removes the runner's work folder (files one level deep and its runtime subfolders; nothing else is there).
    static func removeTree(_ path: String) {
        guard let dir = opendir(path) else { return }
        while let entry = readdir(dir) {
            let n = DirectoryEntry.name(entry)
            if n == "." || n == ".." { continue }
            let child = "\(path)/\(n)"
            if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
        }
        closedir(dir)
        rmdir(path)
    }
}
