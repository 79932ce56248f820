/// Quantisation and pruning statistics of a set of weight tensors, in two passes over the values:
///
/// 1. per chunk: Σx², zero and non-finite counts, min/max per scale group of every layout the schemes
///    need, the magnitude histogram (pruning), the user threshold's counts;
/// 2. per chunk, once scales and the pruning buckets are known: the quantisation error of every scheme,
///    the values inside the bucket that holds the target rank, N:M groups.
///
/// Chunks of all tensors go to every core; each chunk writes its own result slots, which are summed in
/// chunk order, so the figures do not depend on thread timing.
///
///     let primary = QuantizationScheme(.int8, granularity: .perChannel)
///     let report = try CompressionEngine.analyze(weights, skipped: leftOut, options: CompressionOptions(
///         schemes: [primary] + primary.adviceComparisons, pruning: PruningOptions(targetSparsity: 0.5)))
///     print(report.json.serialized(pretty: true))   // in the CLI, not here
public enum CompressionEngine {
    public static func analyze(
        _ tensors: [WeightTensor], skipped: [SkippedTensor] = [], options: CompressionOptions
    ) throws -> CompressionReport {
        try validate(options)
        var skippedOut = skipped
        var items: [Item] = []
        // Per-chunk state (a 12 KB magnitude histogram among others) stays bounded on big models: at most
        // about `maxChunks` chunks, larger ones if the model needs it.
        let chunkElements = chunkElements(total: tensors.reduce(0) { $0 + $1.values.count }, options: options)
        for t in tensors {
            switch Item.make(t, options: options, chunkElements: chunkElements) {
            case .measured(let item): items.append(item)
            case .skipped(let s): skippedOut.append(s)
            }
        }
        let run = Run(items: items, options: options)
        run.execute()
        // Per-tensor results (threshold selection among the collected values) are independent: in parallel.
        run.globalThresholdBits = run.selectGlobalBits()
        var slots = [TensorReport?](repeating: nil, count: items.count)
        slots.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(count: items.count, workers: run.workers) { _, i in
                if run.failure(of: i) == nil { out[i] = run.report(of: i) }
            }
        }
        var reports: [TensorReport] = []
        for (i, item) in items.enumerated() {
            if let r = slots[i] { reports.append(r) } else {
                skippedOut.append(SkippedTensor(name: item.tensor.name, reason: .readFailed(run.failure(of: i) ?? "unknown"),
                                                elements: item.n))
            }
        }
        let pruning = options.pruning.map { run.modelPruning($0, reports: reports) }
        var report = CompressionReport(
            tensors: reports, skipped: skippedOut,
            totals: options.schemes.indices.map { Totals.make(scheme: $0, reports: reports, options: options) },
            pruning: pruning, findings: [], parameters: reports.reduce(0) { $0 + $1.elements },
            nonFinite: reports.reduce(0) { $0 + $1.nonFinite })
        report.findings = Advice.findings(for: report, options: options)
        return report
    }

    static let maxChunks = 4096

    /// The chunk length `analyze` uses for tensors of `total` elements in all.
    public static func chunkElements(total: Int, options: CompressionOptions) -> Int {
        max(options.chunkElements, total / maxChunks)
    }

    /// The report `analyze` makes of a set of tensors, assembled from reports of parts of it, each made by
    /// `analyze` with `options` whose `chunkElements` is the set's (`chunkElements(total:options:)`): the
    /// chunks, hence every per-tensor figure, are the same, and totals and findings are made from them as
    /// `analyze` makes them. Lets a caller measure each tensor while it holds its values (the converter),
    /// instead of reading the weights again. Nil with pruning, whose thresholds span the whole set.
    public static func combine(_ parts: [CompressionReport], options: CompressionOptions) -> CompressionReport? {
        guard options.pruning == nil, !options.schemes.isEmpty else { return nil }
        let reports = parts.flatMap(\.tensors)
        var report = CompressionReport(
            tensors: reports, skipped: parts.flatMap(\.skipped),
            totals: options.schemes.indices.map { Totals.make(scheme: $0, reports: reports, options: options) },
            pruning: nil, findings: [], parameters: reports.reduce(0) { $0 + $1.elements },
            nonFinite: reports.reduce(0) { $0 + $1.nonFinite })
        report.findings = Advice.findings(for: report, options: options)
        return report
    }

    static func validate(_ o: CompressionOptions) throws {
        guard !o.schemes.isEmpty else { throw CompressionError.noSchemes }
        for s in o.schemes {
            if case .perBlock(let b) = s.granularity, b < 1 { throw CompressionError.invalidBlockSize(b) }
        }
        if let p = o.pruning {
            guard p.targetSparsity >= 0, p.targetSparsity <= 1 else {
                throw CompressionError.invalidSparsity(p.targetSparsity)
            }
            for pat in p.patterns where !pat.isValid { throw CompressionError.invalidNMPattern(n: pat.n, m: pat.m) }
        }
    }
}
