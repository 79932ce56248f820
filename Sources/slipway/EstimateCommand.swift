import ArgumentParser
import Checking
import Compression
import Estimation
import Hashing
import JSON
import Manifest
import ModelFormats
import Targets

#if canImport(Glibc)
import Glibc
#endif

/// `slipway estimate`: what quantization and pruning will do to a model's weights (SQNR, sizes, sparsity),
/// or, given a manifest, to each of its targets (with MACs, memory, latency and budgets).
struct EstimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Estimate quantization and pruning on a model's real weights, or on each target of a manifest.",
        discussion: """
            MODEL is an ONNX, TFLite, safetensors or GGUF file; the flags say what to estimate (default: int8, \
            symmetric, per-channel). MANIFEST (*.yaml, or any file starting as a Slipway manifest) estimates each \
            target with its own optimize settings. Results are cached per model contents and settings in \
            $SLIPWAY_CACHE_DIR, else $XDG_CACHE_HOME/slipway, else ~/.cache/slipway.
            Exit status: 0 ok, 1 when a target misses a budget, 2 for usage or I/O errors.
            """
    )

    @Argument(help: "A model file, or a manifest.")
    var path: String

    @OptionGroup var compression: CompressionFlags

    @Flag(help: "Asymmetric: use [min, max] as is, without widening it to include 0.")
    var noWidenRange = false

    @Option(help: "Per-channel axis for every tensor (default: each consumer's output-channel axis).")
    var channelAxis: Int?

    @Flag(help: "Also measure float constants no operator reads as a weight (Mul/Add operands, …).")
    var includeNonWeights = false

    @Option(help: "Manifest only: estimate this target only.")
    var target: String?

    @Flag(help: "Print one JSON document.")
    var json = false

    @Flag(help: "Neither read nor write the results cache.")
    var noCache = false

    var settings: EstimateSettings {
        let c = compression
        let weights = c.weights ?? .int8
        var s = EstimateSettings(weights: weights)
        s.granularity = c.granularity(for: weights)
        s.symmetric = !c.asymmetric
        s.widenRangeToZero = !noWidenRange
        s.reduceRange = c.reduceRange
        s.channelAxis = channelAxis
        s.skip = c.skip
        s.includeNonWeights = includeNonWeights
        if let v = c.sparsity { s.pruning = .sparsity(v) }
        if let t = c.threshold { s.pruning = .threshold(t) }
        if let nm = c.nmPattern { s.pruning = .pattern(n: nm.n, m: nm.m) }
        return s
    }

    var cache: (any EstimateCache)? { noCache ? nil : Self.defaultCache() }

    /// The disk cache in the folder the environment names; nil when it names none.
    static func defaultCache() -> (any EstimateCache)? {
        cacheFolder().map { DiskEstimateCache(directory: $0) }
    }

    /// Lets the file digests that test records are compared with (the model, each artifact, the samples)
    /// persist in the cache folder, so that the next `check` stats those files instead of hashing them.
    static func persistDigests() {
        FileDigests.shared.persist(in: cacheFolder().map { DiskEstimateCache(directory: $0, maxEntries: 2048, subfolder: "digests") })
    }

    /// Slipway's cache folder ($SLIPWAY_CACHE_DIR, else $XDG_CACHE_HOME/slipway, else ~/.cache/slipway).
    static func cacheFolder() -> String? {
        var env: [String: String] = [:]
        for k in ["SLIPWAY_CACHE_DIR", "XDG_CACHE_HOME", "HOME"] {
            if let v = getenv(k) { env[k] = String(cString: v) }
        }
        return DiskEstimateCache.defaultDirectory(environment: env)
    }

    func run() throws {
        let fs = LocalFileSystem()
        switch fs.kind(of: path) {
        case .file: break
        case .missing:
            printError("error: \(path): no such file")
            throw ExitCode(2)
        case .directory, .other:
            // Say what it is (a directory, a FIFO, a device), from the same refusal the readers give.
            if case .failure(let why) = RegularFile.open(path) {
                printError("error: \(path): \(why)")
            } else {
                printError("error: \(path): not a regular file")
            }
            throw ExitCode(2)
        }
        if Self.looksLikeManifest(path) {
            try runManifest(fs)
        } else {
            try runModel()
        }
    }

    /// By extension first; otherwise text that starts like a manifest (models are binary).
    static func looksLikeManifest(_ path: String) -> Bool {
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { return true }
        // Only the first 4 KB: the file may be a multi-GB model.
        // A FIFO or device is not a manifest (and is refused, without blocking, as a model).
        guard case .success(let opened) = RegularFile.open(path) else { return false }
        let fd = opened.fd
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4096)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        head.removeSubrange(n...)
        // A cut in the middle of a UTF-8 sequence is not binary: drop the incomplete tail.
        while let last = head.last, last & 0xC0 == 0x80 || last >= 0xC0 { head.removeLast(); if last >= 0xC0 { break } }
        guard !head.contains(0), let text = String(validating: head, as: UTF8.self) else { return false }
        return text.split(separator: "\n").contains { $0.hasPrefix("slipway:") }
    }

    func runModel() throws {
        if target != nil {
            printError("error: --target applies to a manifest; \(path) is a model")
            throw ExitCode(2)
        }
        let model: Model
        do { model = try ModelReader.read(path: path) } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let result: EstimateResult
        do { result = try ModelEstimator.estimate(model, settings: settings, cache: cache) } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        writeStdout(json ? result.outputJSON.serialized(pretty: true) + "\n" : Self.text(result))
    }

    func runManifest(_ fs: LocalFileSystem) throws {
        let flags = compression.given || noWidenRange || channelAxis != nil || includeNonWeights
        if flags {
            printError("error: \(path) is a manifest: its targets bring their own settings (the flags apply to a model)")
            throw ExitCode(2)
        }
        let catalogue: Catalogue
        switch Catalogue.embedded {
        case .success(let c): catalogue = c
        case .failure(let e):
            printError("error: \(e)")
            throw ExitCode(2)
        }
        let bytes: [UInt8]
        do { bytes = try fs.read(path, limit: ManifestChecker(fileSystem: fs, catalogue: catalogue).limits.maxBytes) } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let file = ManifestFile(bytes: bytes)
        guard var manifest = file.documents.first?.manifest else {
            printError("error: \(path) holds no manifest")
            throw ExitCode(2)
        }
        if let name = target {
            guard let t = manifest.target(named: name) else {
                let names = manifest.targets.map(\.name.value).joined(separator: ", ")
                printError("error: \(path) has no target '\(name)'" + (names.isEmpty ? "" : " (targets: \(names))"))
                throw ExitCode(2)
            }
            manifest.targets = [t]
        }
        guard let rel = manifest.model?.path?.value else {
            printError("error: \(path) names no model (model.path)")
            throw ExitCode(2)
        }
        let modelPath = PathUtil.join(PathUtil.directory(of: path), rel)
        let model: Model
        do { model = try fs.readModel(modelPath) } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let estimation = TargetEstimation.run(manifest: manifest, model: model, cache: cache)
        let table = EstimateTable.build(manifest: manifest, model: model, catalogue: catalogue, estimation: estimation)
        if json {
            guard case .object(var o) = table else { return }
            o["manifest"] = .string(path)
            o["model"] = .string(modelPath)
            var details = JSONObject()
            for t in manifest.targets { if let e = estimation.results[t.name.value] { details[t.name.value] = e.outputJSON } }
            o["estimates"] = .object(details)
            writeStdout(JSONValue.object(o).serialized(pretty: true) + "\n")
        } else {
            writeStdout("\(path): model \(modelPath)\n" + EstimateTable.text(table))
        }
        if EstimateTable.missesBudget(table) { throw ExitCode(1) }
    }

    static func text(_ r: EstimateResult) -> String {
        func mb(_ b: Int) -> String { "\(Double(Int(Double(b) / 1e3)) / 1000) MB" }
        func db(_ d: Double?) -> String { d.map { "\(($0 * 100).rounded() / 100) dB" } ?? "exact" }
        var lines: [String] = []
        let model = r.json["model"]
        lines.append("\(model?["path"]?.stringValue ?? "model") (\(model?["format"]?.stringValue ?? "?")): \(r.scheme), "
            + "\(r.tensorCount) tensors (\(r.parameters) parameters) measured, \(r.skippedCount) left out")
        lines.append("size: \(mb(r.modelBytesBefore)) → \(mb(r.modelBytesAfter)) (measured tensors \(mb(r.tensorBytesBefore)) → \(mb(r.tensorBytesAfter)))")
        lines.append("SQNR: aggregate \(db(r.sqnrDBAggregate)), weighted \(db(r.sqnrDBWeighted)), min \(db(r.sqnrDBMin))")
        if !r.worst.isEmpty {
            lines.append("worst tensors: " + r.worst.map { "\($0.name) \(db($0.sqnrDB))" }.joined(separator: ", "))
        }
        if let t = r.pruningThreshold {
            let s = r.pruningSparsity.map { "\(($0 * 1000).rounded() / 10) %" } ?? "?"
            let e = r.pruningEnergyRetained.map { "\(($0 * 1000).rounded() / 10) %" } ?? "-"
            lines.append("pruning: threshold \(t) → sparsity \(s), energy retained \(e)")
        }
        for f in r.findings { lines.append("finding (\(f.kind.rawValue)): \(f.message)") }
        var reasons: [String: Int] = [:]
        for s in r.json["skipped"]?.arrayValue ?? [] { reasons[s["reason"]?.stringValue ?? "?", default: 0] += 1 }
        if !reasons.isEmpty {
            lines.append("left out: " + reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                + " (--json lists them)")
        }
        if r.fromCache { lines.append("(from the cache)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
