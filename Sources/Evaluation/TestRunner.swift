#if canImport(Glibc)
import Glibc
#endif
import CheckedMath
import Conversion
import Diagnostics
import JSON
import Manifest

/// Why `slipway test` could not run at all (exit 2): no samples, no Python with the runtimes, an unreadable
/// manifest. Per-target problems are results, not errors.
public struct TestSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct TestOptions: Sendable {
    /// The interpreter (or venv folder) that runs the runtimes; else the first target's `python`, else python3.
    public var python: String?
    /// Convert again even when the artifact is up to date.
    public var force: Bool
    public var timeout: Duration?
    public var toolVersion: String
    public var allowOutsideProject: Bool

    public init(python: String? = nil, force: Bool = false, timeout: Duration? = nil, toolVersion: String,
                allowOutsideProject: Bool = false) {
        self.python = python
        self.force = force
        self.timeout = timeout
        self.toolVersion = toolVersion
        self.allowOutsideProject = allowOutsideProject
    }
}

/// The engine entry point of `slipway test`: each target's artifact (converted first when missing or stale)
/// and the original model run on every sample in the targets' real runtimes — one runner process for the
/// whole run, each sample read once, the original run once — then compared output by output and judged
/// against `test.tolerance`.
public enum TestRunner {
    /// The runtime that runs a target's artifact here, or why none does.
    enum Runnable {
        case success(String)
        case failure(String)
    }

    static func runtime(for target: TargetSpec) -> Runnable {
        switch target.runtime?.value.name ?? "" {
        case "onnxruntime": return .success("onnxruntime")
        case "tflite", "litert": return .success("litert")
        case "tflite-micro": return .success("tflite-micro")
        case "coreml": return .failure("Core ML models run only on Apple platforms; not run here")
        case "tensorrt": return .failure("a TensorRT engine runs only on the GPU and TensorRT version that built it; not run here")
        case let other: return .failure("no runner for \(other.isEmpty ? "a target without a runtime" : other) here")
        }
    }

    static func originalRuntime(_ path: String) -> String? {
        if path.hasSuffix(".onnx") { return "onnxruntime" }
        if path.hasSuffix(".tflite") { return "litert" }
        return nil
    }

    /// The sample files `test.samples` names: a `.npy`/`.npz` file, or those in a folder, sorted.
    static func samples(_ spec: String, folder: String) -> [String] {
        let path = Containment.destination(spec, folder: folder)
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        if st.st_mode & S_IFMT == S_IFREG { return [path] }
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".npy") || name.hasSuffix(".npz") { names.append(name) }
        }
        return names.sorted().map { path + "/" + $0 }
    }

    public static func run(
        manifest: Manifest, manifestPath: String, targets names: [String] = [], options: TestOptions,
        progress: @escaping @Sendable (String) -> Void = { _ in },
        cancellation: @escaping CancellationCheck = { false }
    ) async -> Result<TestRun, TestSetupError> {
        let folder = SafeWriter.directory(of: manifestPath)
        guard let modelRel = manifest.model?.path?.value else { return .failure(TestSetupError("\(manifestPath): the manifest names no model (model.path)")) }
        let modelPath = Containment.destination(modelRel, folder: folder)
        guard let samplesSpec = manifest.test?.samples else {
            return .failure(TestSetupError("\(manifestPath): test.samples names no samples; add `test: {samples: data/test/}` (a folder of .npy or .npz files)"))
        }
        let sampleFiles = samples(samplesSpec.value, folder: folder)
        guard !sampleFiles.isEmpty else {
            return .failure(TestSetupError("\(manifestPath): test.samples \(samplesSpec.value) holds no .npy or .npz files"))
        }
        guard let originalKind = originalRuntime(modelPath) else {
            return .failure(TestSetupError("\(manifestPath): the original model \(modelRel) is neither ONNX nor TFLite; only those run here"))
        }
        let chosen = names.isEmpty ? manifest.targets : manifest.targets.filter { names.contains($0.name.value) }
        var results: [TargetTestResult] = []
        // Models the runner loads: the original first, then each runnable artifact (targets sharing one file share it).
        var models: [(path: String, runtime: String, delegate: String?)] = [(modelPath, originalKind, nil)]
        var modelIndex: [String: Int] = [:]
        for t in chosen {
            var r = TargetTestResult(target: t.name.value, status: .error)
            switch runtime(for: t) {
            case .failure(let why):
                r.status = .skipped
                r.reason = why
                r.diagnostics.append(Diagnostic(.testNotRunHere, "target \(t.name.value): not tested: \(why)", at: t.name.range))
                results.append(r)
                continue
            case .success(let rt): r.runtime = rt
            }
            progress("\(t.name.value): converting (if needed)")
            let convertOptions = ConvertOptions(force: options.force, allowOutsideProject: options.allowOutsideProject,
                                                toolVersion: options.toolVersion, python: options.python, toolTimeout: options.timeout)
            do throws(ConversionError) {
                let report = try await Converter.convert(target: t, manifest: manifest, manifestPath: manifestPath,
                                                         options: convertOptions, cancellation: cancellation)
                r.artifact = report.outputPath
            } catch {
                r.reason = "the artifact could not be built: \(error.message)"
                results.append(r)
                continue
            }
            let key = "\(r.runtime ?? "")\u{0}\(r.artifact ?? "")\u{0}\(t.delegate?.value ?? "")"
            if modelIndex[key] == nil {
                modelIndex[key] = models.count
                models.append((r.artifact ?? "", r.runtime ?? "", t.delegate?.value))
            }
            results.append(r)
        }
        if cancellation() { return .failure(TestSetupError("cancelled")) }
        let python = pythonPath(options.python ?? chosen.first?.python?.value, folder: folder)
        progress("running \(models.count) models on \(sampleFiles.count) samples")
        let runnerResult = Runner.run(models: models, samples: sampleFiles, python: python, timeout: options.timeout,
                                      cancellation: cancellation)
        let outcome: Runner.Outcome
        switch runnerResult {
        case .failure(let e): return .failure(e)
        case .success(let o): outcome = o
        }
        let original = outcome.models[0]
        if let e = original.error {
            return .failure(TestSetupError("the original model \(modelRel) does not run in \(originalKind): \(e)"))
        }
        for i in results.indices where results[i].status == .error && results[i].artifact != nil {
            guard let t = chosen.first(where: { $0.name.value == results[i].target }) else { continue }
            let key = "\(results[i].runtime ?? "")\u{0}\(results[i].artifact ?? "")\u{0}\(t.delegate?.value ?? "")"
            guard let m = modelIndex[key] else { continue }
            results[i] = judge(results[i], target: t, manifest: manifest, original: original, artifact: outcome.models[m],
                               samples: sampleFiles, runtimes: outcome.runtimes, originalKind: originalKind)
        }
        return .success(TestRun(manifest: manifestPath, samples: sampleFiles, targets: results, peakRSSKB: outcome.peakRSSKB,
                                runtimes: outcome.runtimes))
    }

    static func pythonPath(_ chosen: String?, folder: String) -> String {
        guard let chosen, !chosen.isEmpty else { return "python3" }
        let local = chosen.hasPrefix("/") ? chosen : Containment.destination(chosen, folder: folder)
        var st = stat()
        let isPath = chosen.contains("/") || chosen.hasPrefix(".") || stat(local, &st) == 0
        let path = isPath ? local : chosen
        if stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return path + "/bin/python" }
        return path
    }

    static func judge(
        _ base: TargetTestResult, target: TargetSpec, manifest: Manifest, original: Runner.ModelOutcome,
        artifact: Runner.ModelOutcome, samples: [String], runtimes: [String: String], originalKind: String
    ) -> TargetTestResult {
        var r = base
        r.runtime = runtimes[base.runtime ?? ""] ?? base.runtime
        r.originalRuntime = runtimes[originalKind] ?? originalKind
        r.provider = artifact.provider
        r.providerNote = artifact.note
        let samplesRange = manifest.test?.samples?.range ?? target.name.range
        if let e = artifact.error {
            r.status = .error
            r.reason = "the artifact does not run in \(r.runtime ?? "its runtime"): \(e)"
            r.diagnostics.append(Diagnostic(.artifactNotRunnable, "target \(r.target): \(r.reason ?? "")", at: target.name.range))
            return r
        }
        // Samples that fit neither model, or only one, are named; the comparison uses those both ran.
        var usable: [Int] = []
        for s in samples.indices {
            let a = s < original.fits.count ? original.fits[s] : "not run"
            let b = s < artifact.fits.count ? artifact.fits[s] : "not run"
            let fitsA = Runner.fits(a), fitsB = Runner.fits(b)
            if fitsA && fitsB && original.outputs(s) != nil && artifact.outputs(s) != nil {
                usable.append(s)
            } else {
                let why = !fitsA ? "the original: \(a)" : "the artifact of \(r.target): \(b)"
                r.diagnostics.append(Diagnostic(.sampleDoesNotFit, "\(samples[s]) does not fit \(why)", at: samplesRange))
            }
        }
        guard !usable.isEmpty else {
            r.status = .error
            r.reason = "no sample fits both models"
            return r
        }
        let names = original.outputNames
        for (k, name) in names.enumerated() {
            var a: [[Double]] = [], b: [[Double]] = []
            for s in usable {
                guard let x = original.outputs(s)?[safe: k], let y = artifact.outputs(s)?[safe: k], x.count == y.count else { continue }
                a.append(x)
                b.append(y)
            }
            let shape = original.shapes[safe: k] ?? []
            let classifier = shape.count == 1 || (shape.count == 2 && shape[0] == 1)
            if let m = OutputMetrics.compare(output: name, original: a, artifact: b, classifier: classifier) { r.outputs.append(m) }
        }
        let lat = usable.compactMap { artifact.latencies[safe: $0] ?? nil }
        let olat = usable.compactMap { original.latencies[safe: $0] ?? nil }
        r.latencies = lat
        r.latencyP50 = quantile(0.5, lat)
        r.latencyP95 = quantile(0.95, lat)
        r.originalLatencyP50 = quantile(0.5, olat)
        r.originalLatencyP95 = quantile(0.95, olat)
        r.tolerances = tolerances(manifest.test, outputs: r.outputs, p95: r.latencyP95)
        r.status = r.tolerances.allSatisfy(\.passed) ? .passed : .failed
        for t in r.tolerances where !t.passed {
            let measured = t.measured.map { format($0) } ?? "not measurable"
            let op = ["max_abs", "latency_ms_p95"].contains(t.name) ? "at most" : "at least"
            r.diagnostics.append(Diagnostic(
                .toleranceFailed,
                "target \(r.target): \(t.name) \(measured) over \(usable.count) samples; the tolerance is \(op) \(format(t.limit))",
                at: t.range))
        }
        return r
    }

    /// Each tolerance judged on the worst output.
    static func tolerances(_ spec: TestSpec?, outputs: [OutputMetrics], p95: Double?) -> [ToleranceOutcome] {
        guard let spec else { return [] }
        var out: [ToleranceOutcome] = []
        func add(_ name: String, _ v: Located<Double>?, _ measured: Double?, higherIsBetter: Bool) {
            guard let v else { return }
            let passed = measured.map { higherIsBetter ? $0 >= v.value : $0 <= v.value } ?? false
            out.append(ToleranceOutcome(name: name, limit: v.value, measured: measured, passed: passed, range: v.range))
        }
        add("cosine", spec.cosine, outputs.map(\.cosineMean).min(), higherIsBetter: true)
        add("max_abs", spec.maxAbs, outputs.map(\.maxAbs).max(), higherIsBetter: false)
        let top1 = outputs.compactMap(\.top1)
        add("top1", spec.top1, top1.isEmpty ? nil : top1.min(), higherIsBetter: true)
        // Identical outputs have no noise: their SQNR is unbounded and meets any floor.
        let sqnr = outputs.map { $0.sqnrDB ?? .infinity }
        add("sqnr_db", spec.sqnrDB, sqnr.isEmpty ? nil : sqnr.min(), higherIsBetter: true)
        add("latency_ms_p95", spec.latencyMSP95, p95, higherIsBetter: false)
        return out
    }

    /// numpy's linear quantile.
    static func quantile(_ q: Double, _ v: [Double]) -> Double? {
        let s = v.sorted()
        guard !s.isEmpty else { return nil }
        let pos = q * Double(s.count - 1)
        let lo = Int(saturating: pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }

    static func format(_ v: Double) -> String {
        if v.isInfinite { return v > 0 ? "∞" : "-∞" }
        let r = (v * 10_000).rounded() / 10_000
        return r == r.rounded() && abs(r) < 1e12 ? String(Int(saturating: r)) : "\(r)"
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
