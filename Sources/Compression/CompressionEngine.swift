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
        let total = tensors.reduce(0) { $0 + $1.values.count }
        let chunkElements = max(options.chunkElements, total / maxChunks)
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

/// One tensor, validated, with the axes and layouts it is measured with.
struct Item: Sendable {
    let tensor: WeightTensor
    let n: Int
    let channelAxis: Int
    let reductionAxis: Int
    /// Distinct group layouts; layout 0 is per tensor.
    let layouts: [GroupLayout]
    /// For each scheme, its layout index and the note if its granularity had to change.
    let schemeLayout: [Int]
    let fallbacks: [String?]
    let chunkLength: Int

    enum Prepared { case measured(Item), skipped(SkippedTensor) }

    static func make(_ t: WeightTensor, options: CompressionOptions, chunkElements: Int) -> Prepared {
        let n = t.values.count
        let implied = t.shapeElementCount
        guard implied == n else {
            return .skipped(SkippedTensor(name: t.name, reason: .shapeMismatch(shapeElements: implied, values: n),
                                          elements: n))
        }
        guard n > 0 else { return .skipped(SkippedTensor(name: t.name, reason: .empty, elements: 0)) }
        let rank = t.shape.count
        let dims = t.shape.isEmpty ? [1] : t.shape
        func axis(_ a: Int?, default d: Int, what: String) -> (Int, String?) {
            guard let a else { return (d, "\(what) axis unknown; axis \(d) used") }
            let v = a < 0 ? a + rank : a
            if v >= 0 && v < dims.count { return (v, nil) }
            return (d, "\(what) axis \(a) is out of range for rank \(rank); axis \(d) used")
        }
        let (ch, chNote) = axis(t.channelAxis, default: 0, what: "channel")
        let (red, redNote) = axis(t.reductionAxis, default: dims.count - 1, what: "reduction")
        var layouts = [GroupLayout.make(shape: dims, granularity: .perTensor, axis: 0)]
        var schemeLayout: [Int] = []
        var fallbacks: [String?] = []
        for s in options.schemes {
            let (gAxis, note): (Int, String?) = {
                switch s.granularity {
                case .perTensor: return (0, nil)
                case .perChannel: return (ch, chNote)
                case .perBlock: return (red, redNote)
                }
            }()
            let l = GroupLayout.make(shape: dims, granularity: s.granularity, axis: gAxis)
            if let i = layouts.firstIndex(of: l) { schemeLayout.append(i) } else {
                layouts.append(l)
                schemeLayout.append(layouts.count - 1)
            }
            fallbacks.append(note)
        }
        // N:M groups and scale blocks must not straddle two chunks: align chunks to whole group rows. An
        // alignment beyond the tensor means one chunk for the whole tensor.
        var align = 1
        if let p = options.pruning, !p.patterns.isEmpty {
            let r = dims[red]
            let inner = dims[(red + 1)...].reduce(1, *)
            let l = p.patterns.reduce(1) { lcm($0, $1.m) }
            align = r % l == 0 ? l * inner : r * inner
        }
        for l in layouts where l.isChunkLocal { align = min(lcm(align, l.alignment), n) }
        let base = min(max(chunkElements, 1024), 1 << 26)
        let chunk = min(((base + align - 1) / align) * align, max(n, 1))
        return .measured(Item(tensor: t, n: n, channelAxis: ch, reductionAxis: red, layouts: layouts,
                             schemeLayout: schemeLayout, fallbacks: fallbacks, chunkLength: max(chunk, 1)))
    }

    static func lcm(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        return x == 0 ? 0 : a / x * b
    }

    var dims: [Int] { tensor.shape.isEmpty ? [1] : tensor.shape }

    /// Runs `body` on values [lo, hi), copying them into `scratch` only for chunked sources.
    func withValues(_ lo: Int, _ hi: Int, scratch: UnsafeMutablePointer<Float>,
                    _ body: (UnsafePointer<Float>) -> Void) throws {
        switch tensor.values {
        case .buffer(let b):
            guard let base = b.baseAddress else { return }
            body(base + lo)
        case .array(let a):
            a.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { body(base + lo) }
            }
        case .chunks(_, let fill):
            try fill(lo..<hi, UnsafeMutableBufferPointer(start: scratch, count: hi - lo))
            body(UnsafePointer(scratch))
        }
    }
}

/// How one scheme is measured on one tensor: with scales over the whole tensor (second pass), per block
/// within each chunk (first pass), or as a float cast (second pass).
enum SchemeEval: Sendable {
    case global(GroupParams)
    case local
    case cast
}

/// Where the k-th smallest |x| is sought: among the values whose bit pattern shifted right by `shift` equals
/// `prefix` (the top-level bucket, or a 22-bit prefix after a second level), `below` values being smaller.
struct SelectTarget: Sendable {
    var bucket: Int
    var below: Int
    var rank: Int
    var shift: UInt32 = MagnitudeSelection.shift
    var prefix: UInt32
}

/// Storage for one analysis; freed when it ends.
final class Run: @unchecked Sendable {
    let items: [Item]
    let options: CompressionOptions
    let workers: Int
    let schemeCount: Int
    let patternCount: Int
    // chunk table
    var chunkTensor: [Int] = []
    var chunkLo: [Int] = []
    var chunkHi: [Int] = []
    var firstChunk: [Int] = []
    // pass 1
    var basic: [BasicScan] = []
    var failures: [String?] = []
    var hist: [UInt32] = []
    var histEnergy: [Double] = []
    var given: [GivenAccum] = []
    /// Offsets of (tensor, layout) group accumulators within a worker's block.
    var accOffset: [[Int]] = []
    var accPerWorker = 0
    var mins: [Float] = []
    var maxs: [Float] = []
    // between passes
    var params: [[SchemeEval]] = []
    var tensorBucket: [SelectTarget?] = []
    var tensorHist: [[Int]] = []
    var tensorEnergy: [[Double]] = []
    var globalBucket: SelectTarget?
    /// Two-level selection (see `CompressionOptions.maxCandidates`): second-level counts per tensor and
    /// worker for the tensor's bucket (0) and the global one (1), and per chunk the energy above each prefix.
    var refined = false
    var level2: [UInt32] = []
    var above0: [Double] = []
    var above1: [Double] = []
    var tensorGlobalBelow: [Int] = []
    // pass 2
    var errors: [ErrorAccum] = []
    /// Scale summaries of chunk-local (per-block) schemes, per chunk and scheme.
    var localScales: [ScaleAccum] = []
    var casts: [CastAccum] = []
    /// Per chunk, the |x| bit patterns in the tensor's target bucket or in the global one.
    var cands: [[UInt32]] = []
    var nm: [NMAccum] = []

    init(items: [Item], options: CompressionOptions) {
        self.items = items
        self.options = options
        self.workers = max(1, options.workers ?? Parallel.onlineCores)
        self.schemeCount = options.schemes.count
        self.patternCount = options.pruning?.patterns.count ?? 0
    }

    struct GivenAccum: Sendable {
        var zeroAfter = 0
        var kept: Double = 0
    }

    func failure(of t: Int) -> String? {
        for c in firstChunk[t]..<firstChunk[t + 1] { if let f = failures[c] { return f } }
        return nil
    }

    func execute() {
        for (t, item) in items.enumerated() {
            firstChunk.append(chunkTensor.count)
            var lo = 0
            while lo < item.n {
                let hi = min(lo + item.chunkLength, item.n)
                chunkTensor.append(t)
                chunkLo.append(lo)
                chunkHi.append(hi)
                lo = hi
            }
        }
        firstChunk.append(chunkTensor.count)
        let chunks = chunkTensor.count
        var scratchLength = 0
        for item in items { if case .chunks = item.tensor.values { scratchLength = max(scratchLength, item.chunkLength) } }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchLength, 1) * workers)
        defer { scratch.deallocate() }

        basic = Array(repeating: BasicScan(), count: chunks)
        failures = Array(repeating: nil, count: chunks)
        let pruning = options.pruning
        if pruning != nil {
            hist = Array(repeating: 0, count: chunks * MagnitudeSelection.buckets)
            histEnergy = Array(repeating: 0, count: chunks * MagnitudeSelection.buckets)
        }
        if pruning?.threshold != nil { given = Array(repeating: GivenAccum(), count: chunks) }
        var off = 0
        for item in items {
            var row: [Int] = []
            for l in item.layouts { row.append(off); off += l.isChunkLocal ? 0 : l.groupCount }
            accOffset.append(row)
        }
        accPerWorker = off
        mins = Array(repeating: .infinity, count: off * workers)
        maxs = Array(repeating: -.infinity, count: off * workers)

        errors = Array(repeating: ErrorAccum(), count: chunks * schemeCount)
        localScales = Array(repeating: ScaleAccum(), count: chunks * schemeCount)
        pass1(scratch: scratch, scratchLength: scratchLength)
        between()
        pass2(scratch: scratch, scratchLength: scratchLength)
    }

    private func pass1(scratch: UnsafeMutablePointer<Float>, scratchLength: Int) {
        let threshold = options.pruning?.threshold
        let wantHist = options.pruning != nil
        basic.withUnsafeMutableBufferPointer { basicB in
        failures.withUnsafeMutableBufferPointer { failB in
        hist.withUnsafeMutableBufferPointer { histB in
        histEnergy.withUnsafeMutableBufferPointer { energyB in
        given.withUnsafeMutableBufferPointer { givenB in
        mins.withUnsafeMutableBufferPointer { minB in
        maxs.withUnsafeMutableBufferPointer { maxB in
        errors.withUnsafeMutableBufferPointer { errB in
        localScales.withUnsafeMutableBufferPointer { scaleB in
            Parallel.forEach(count: chunkTensor.count, workers: workers) { w, c in
                let t = chunkTensor[c], lo = chunkLo[c], hi = chunkHi[c]
                let item = items[t]
                do {
                    try item.withValues(lo, hi, scratch: scratch + w * scratchLength) { p in
                        let n = hi - lo
                        let b = ScanKernels.basic(p, n)
                        basicB[c] = b
                        guard let mb = minB.baseAddress, let xb = maxB.baseAddress else { return }
                        for (li, layout) in item.layouts.enumerated() where !layout.isChunkLocal {
                            let o = w * accPerWorker + accOffset[t][li]
                            ScanKernels.groupRanges(p, lo: lo, hi: hi, layout: layout, checked: b.nonFinite > 0,
                                                    mins: mb + o, maxs: xb + o)
                        }
                        for (s, scheme) in options.schemes.enumerated() where scheme.type.isInteger {
                            let layout = item.layouts[item.schemeLayout[s]]
                            guard layout.isChunkLocal else { continue }
                            let (e, sc) = Self.local(p, lo: lo, hi: hi, layout: layout, scheme: scheme,
                                                     checked: b.nonFinite > 0)
                            errB[c * schemeCount + s] = e
                            scaleB[c * schemeCount + s] = sc
                        }
                        if wantHist, let hb = histB.baseAddress, let eb = energyB.baseAddress {
                            let o = c * MagnitudeSelection.buckets
                            MagnitudeSelection.histogram(p, n, into: hb + o, energy: eb + o)
                        }
                        if let th = threshold {
                            var g = GivenAccum()
                            for i in 0..<n {
                                let x = p[i]
                                if x == 0 || abs(x) < th { g.zeroAfter += 1 } else if isFinite(x) {
                                    g.kept += Double(x) * Double(x)
                                }
                            }
                            givenB[c] = g
                        }
                    }
                } catch {
                    failB[c] = String(describing: error)
                }
            }
        }}}}}}}}}
    }

    /// Ranges, scales and errors of a per-block scheme over one chunk of whole blocks.
    static func local(_ p: UnsafePointer<Float>, lo: Int, hi: Int, layout: GroupLayout, scheme: QuantizationScheme,
                      checked: Bool) -> (ErrorAccum, ScaleAccum) {
        let g0 = layout.group(of: lo), g1 = layout.group(of: hi - 1) + 1
        guard g1 > g0 else { return (ErrorAccum(), ScaleAccum()) }
        var mins = [Float](repeating: .infinity, count: g1 - g0)
        var maxs = [Float](repeating: -.infinity, count: g1 - g0)
        mins.withUnsafeMutableBufferPointer { mn in
            maxs.withUnsafeMutableBufferPointer { mx in
                guard let mn = mn.baseAddress, let mx = mx.baseAddress else { return }
                ScanKernels.groupRanges(p, lo: lo, hi: hi, layout: layout, checked: checked, mins: mn, maxs: mx, base: g0)
            }
        }
        let prm = Scales.params(scheme, mins: mins[...], maxs: maxs[...])
        let e = ErrorKernels.quantize(p, lo: lo, hi: hi, layout: layout, params: prm, checked: checked, base: g0)
        return (e, Scales.accumulate(prm, scheme: scheme))
    }

    /// Merges the workers' ranges into scales, and the histograms into the buckets holding the target ranks.
    private func between() {
        params = []
        for (t, item) in items.enumerated() {
            // Fold every worker's accumulators into worker 0's block.
            for w in 1..<max(workers, 1) {
                let o = w * accPerWorker
                for li in item.layouts.indices where !item.layouts[li].isChunkLocal {
                    let a = accOffset[t][li]
                    for g in 0..<item.layouts[li].groupCount {
                        mins[a + g] = min(mins[a + g], mins[o + a + g])
                        maxs[a + g] = max(maxs[a + g], maxs[o + a + g])
                    }
                }
            }
            var row: [SchemeEval] = []
            for (s, scheme) in options.schemes.enumerated() {
                guard scheme.type.isInteger else { row.append(.cast); continue }
                let li = item.schemeLayout[s]
                if item.layouts[li].isChunkLocal { row.append(.local); continue }
                let a = accOffset[t][li]
                let count = item.layouts[li].groupCount
                row.append(.global(Scales.params(scheme, mins: mins[a..<(a + count)], maxs: maxs[a..<(a + count)])))
            }
            params.append(row)
        }
        guard let pruning = options.pruning else { return }
        let B = MagnitudeSelection.buckets
        var global = [Int](repeating: 0, count: B)
        var total = 0
        for (t, item) in items.enumerated() {
            var h = [Int](repeating: 0, count: B)
            var e = [Double](repeating: 0, count: B)
            for c in firstChunk[t]..<firstChunk[t + 1] {
                for b in 0..<B {
                    h[b] += Int(hist[c * B + b])
                    e[b] += histEnergy[c * B + b]
                }
            }
            tensorEnergy.append(e)
            for b in 0..<B { global[b] += h[b] }
            total += item.n
            let k = Swift.min(Int((pruning.targetSparsity * Double(item.n)).rounded(.down)), item.n - 1)
            tensorBucket.append(MagnitudeSelection.locate(rank: k, in: h).map {
                SelectTarget(bucket: $0.bucket, below: $0.below, rank: k, prefix: UInt32($0.bucket))
            })
            tensorHist.append(h)
        }
        if total > 0 {
            let k = Swift.min(Int((pruning.targetSparsity * Double(total)).rounded(.down)), total - 1)
            globalBucket = MagnitudeSelection.locate(rank: k, in: global).map {
                SelectTarget(bucket: $0.bucket, below: $0.below, rank: k, prefix: UInt32($0.bucket))
            }
        }
        var expected = 0
        for (t, h) in tensorHist.enumerated() {
            let b0 = tensorBucket[t]?.bucket ?? -1, b1 = globalBucket?.bucket ?? -1
            if b0 >= 0 { expected += h[b0] }
            if b1 >= 0 && b1 != b0 { expected += h[b1] }
        }
        refined = expected > options.maxCandidates
        for t in items.indices {
            tensorGlobalBelow.append(globalBucket.map { tensorHist[t][..<$0.bucket].reduce(0, +) } ?? 0)
        }
    }

    private func pass2(scratch: UnsafeMutablePointer<Float>, scratchLength: Int) {
        let chunks = chunkTensor.count
        let S = schemeCount, P = patternCount
        casts = Array(repeating: CastAccum(), count: chunks * S)
        cands = Array(repeating: [], count: options.pruning == nil ? 0 : chunks)
        let L = MagnitudeSelection.buckets + 1
        if refined { level2 = Array(repeating: 0, count: items.count * workers * 2 * L) }
        nm = Array(repeating: NMAccum(), count: chunks * P)
        let patterns = options.pruning?.patterns ?? []
        let candStride = (items.map(\.chunkLength).max() ?? 0) + 1
        let candScratch = UnsafeMutablePointer<UInt32>.allocate(capacity: options.pruning == nil ? 1 : candStride * workers)
        defer { candScratch.deallocate() }
        errors.withUnsafeMutableBufferPointer { errB in
        casts.withUnsafeMutableBufferPointer { castB in
        cands.withUnsafeMutableBufferPointer { c0B in
        level2.withUnsafeMutableBufferPointer { l2B in
        nm.withUnsafeMutableBufferPointer { nmB in
            Parallel.forEach(count: chunks, workers: workers) { w, c in
                let t = chunkTensor[c], lo = chunkLo[c], hi = chunkHi[c]
                let item = items[t]
                let checked = basic[c].nonFinite > 0
                do {
                    try item.withValues(lo, hi, scratch: scratch + w * scratchLength) { p in
                        for (s, scheme) in options.schemes.enumerated() {
                            switch params[t][s] {
                            case .global(let prm):
                                errB[c * S + s] = ErrorKernels.quantize(
                                    p, lo: lo, hi: hi, layout: item.layouts[item.schemeLayout[s]], params: prm,
                                    checked: checked)
                            case .local:
                                break  // measured in the first pass
                            case .cast:
                                castB[c * S + s] = FloatCast.measure(p, hi - lo, type: scheme.type, checked: checked)
                            }
                        }
                        if refined, let l2 = l2B.baseAddress {
                            let b0 = tensorBucket[t]?.bucket ?? -1, b1 = globalBucket?.bucket ?? -1
                            let h0 = l2 + ((t * workers + w) * 2) * L, h1 = h0 + L
                            MagnitudeSelection.level2(p, hi - lo, UInt32(truncatingIfNeeded: b0), h0,
                                                      UInt32(truncatingIfNeeded: b1), h1)
                        } else if !c0B.isEmpty {
                            // Collected into this worker's scratch (no fresh pages per chunk), then copied
                            // out at their exact size.
                            let b0 = tensorBucket[t]?.bucket ?? -1, b1 = globalBucket?.bucket ?? -1
                            let s0 = candScratch + w * candStride
                            let k = MagnitudeSelection.collect(
                                p, hi - lo, UInt32(truncatingIfNeeded: b0), UInt32(truncatingIfNeeded: b1), into: s0)
                            c0B[c] = Array(UnsafeBufferPointer(start: s0, count: k))
                        }
                        if !patterns.isEmpty {
                            let d = item.dims
                            let r = d[item.reductionAxis]
                            let inner = d[(item.reductionAxis + 1)...].reduce(1, *)
                            for (pi, pat) in patterns.enumerated() {
                                nmB[c * P + pi] = NMSparsity.measure(p, lo: lo, hi: hi, r: r, inner: inner, pattern: pat,
                                                                     checked: checked)
                            }
                        }
                    }
                } catch {
                    // Recorded in pass 1 already for sources that fail consistently; keep the first message.
                }
            }
        }}}}}
        if refined { refine(scratch: scratch, scratchLength: scratchLength) }
    }

    /// Two-level selection: the second-level bin holding each target rank, then a third pass collecting only
    /// the values that share the resulting 22-bit prefix.
    private func refine(scratch: UnsafeMutablePointer<Float>, scratchLength: Int) {
        let L = MagnitudeSelection.buckets + 1
        var global = [Int](repeating: 0, count: MagnitudeSelection.buckets)
        var perTensorGlobal: [[Int]] = []
        for t in items.indices {
            var h0 = [Int](repeating: 0, count: MagnitudeSelection.buckets)
            var h1 = h0
            for w in 0..<workers {
                let o = ((t * workers + w) * 2) * L
                for b in 0..<MagnitudeSelection.buckets {
                    h0[b] += Int(level2[o + b])
                    h1[b] += Int(level2[o + L + b])
                }
            }
            for b in h1.indices { global[b] += h1[b] }
            perTensorGlobal.append(h1)
            if let tb = tensorBucket[t], let (bin, below) = MagnitudeSelection.locate(rank: tb.rank - tb.below, in: h0) {
                tensorBucket[t] = SelectTarget(bucket: tb.bucket, below: tb.below + below, rank: tb.rank, shift: 9,
                                               prefix: UInt32(tb.bucket) << 11 | UInt32(bin))
            }
        }
        if let g = globalBucket, let (bin, _) = MagnitudeSelection.locate(rank: g.rank - g.below, in: global) {
            let below = global[..<bin].reduce(0, +)
            globalBucket = SelectTarget(bucket: g.bucket, below: g.below + below, rank: g.rank, shift: 9,
                                        prefix: UInt32(g.bucket) << 11 | UInt32(bin))
            for t in items.indices { tensorGlobalBelow[t] += perTensorGlobal[t][..<bin].reduce(0, +) }
        }
        let chunks = chunkTensor.count
        above0 = Array(repeating: 0, count: chunks)
        above1 = Array(repeating: 0, count: chunks)
        let candStride = (items.map(\.chunkLength).max() ?? 0) + 1
        let candScratch = UnsafeMutablePointer<UInt32>.allocate(capacity: candStride * workers)
        defer { candScratch.deallocate() }
        let none = UInt32.max
        cands.withUnsafeMutableBufferPointer { cB in
        above0.withUnsafeMutableBufferPointer { a0B in
        above1.withUnsafeMutableBufferPointer { a1B in
            Parallel.forEach(count: chunks, workers: workers) { w, c in
                let t = chunkTensor[c], lo = chunkLo[c], hi = chunkHi[c]
                try? items[t].withValues(lo, hi, scratch: scratch + w * scratchLength) { p in
                    let p0 = tensorBucket[t].map { $0.shift == 9 ? $0.prefix : none } ?? none
                    let p1 = globalBucket.map { $0.shift == 9 ? $0.prefix : none } ?? none
                    let s0 = candScratch + w * candStride
                    let r = MagnitudeSelection.collectRefined(p, hi - lo, p0, p1, into: s0)
                    cB[c] = Array(UnsafeBufferPointer(start: s0, count: r.count))
                    a0B[c] = r.above0
                    a1B[c] = r.above1
                }
            }
        }}}
    }

    // MARK: results

    func report(of t: Int) -> TensorReport {
        let item = items[t]
        var b = BasicScan()
        for c in firstChunk[t]..<firstChunk[t + 1] {
            b.signal += basic[c].signal
            b.zeros += basic[c].zeros
            b.nonFinite += basic[c].nonFinite
        }
        let a0 = accOffset[t][0]
        let mn = mins[a0], mx = maxs[a0]
        let hasFinite = mn <= mx
        let stored = item.tensor.storedBytes ?? item.n * 4
        var schemes: [SchemeResult] = []
        for (s, scheme) in options.schemes.enumerated() {
            let layout = item.layouts[item.schemeLayout[s]]
            var r: SchemeResult
            if scheme.type.isInteger {
                var e = ErrorAccum()
                for c in firstChunk[t]..<firstChunk[t + 1] { e.merge(errors[c * schemeCount + s]) }
                r = SchemeResult(scheme: scheme, fallback: item.fallbacks[s], scale: nil, zeroPoint: nil, scales: nil,
                                 noiseSumSquares: e.noise, mse: 0, sqnrDB: nil, maxAbsError: e.maxErrSq.squareRoot(),
                                 clippedFraction: Double(e.clipped) / Double(item.n),
                                 bytesAfter: Sizes.quantized(scheme, values: item.n, groups: layout.groupCount))
                var acc = ScaleAccum()
                if case .global(let prm) = params[t][s] { acc = Scales.accumulate(prm, scheme: scheme) } else {
                    for c in firstChunk[t]..<firstChunk[t + 1] { acc.merge(localScales[c * schemeCount + s]) }
                }
                if layout.groupCount == 1 {
                    r.scale = acc.exact == 1 ? 0 : acc.min
                    r.zeroPoint = acc.zeroMin
                }
                r.scales = acc.summary
            } else {
                var e = CastAccum()
                for c in firstChunk[t]..<firstChunk[t + 1] { e.merge(casts[c * schemeCount + s]) }
                r = SchemeResult(scheme: scheme, fallback: nil, scale: nil, zeroPoint: nil, scales: nil,
                                 noiseSumSquares: e.error.noise, mse: 0, sqnrDB: nil,
                                 maxAbsError: e.error.maxErrSq.squareRoot(),
                                 clippedFraction: Double(e.overflow) / Double(item.n),
                                 bytesAfter: Sizes.quantized(scheme, values: item.n, groups: 0),
                                 overflow: e.overflow, underflow: e.underflow, subnormal: e.subnormal)
            }
            let finite = item.n - b.nonFinite
            r.mse = finite > 0 ? r.noiseSumSquares / Double(finite) : 0
            r.sqnrDB = Stats.sqnr(signal: b.signal, noise: r.noiseSumSquares)
            schemes.append(r)
        }
        var report = TensorReport(
            name: item.tensor.name, shape: item.tensor.shape, elements: item.n, channelAxis: item.channelAxis,
            reductionAxis: item.reductionAxis, nonFinite: b.nonFinite, zeros: b.zeros,
            min: hasFinite ? mn : nil, max: hasFinite ? mx : nil, absMax: hasFinite ? Swift.max(abs(mn), abs(mx)) : nil,
            signalSumSquares: b.signal, bytesBefore: stored, schemes: schemes, pruning: nil)
        if let pruning = options.pruning { report.pruning = tensorPruning(t, pruning, basic: b) }
        return report
    }

    /// The tensor's collected values that share the target's prefix.
    private func candidates(_ t: Int, _ target: SelectTarget) -> [UInt32] {
        var all: [UInt32] = []
        for c in firstChunk[t]..<firstChunk[t + 1] where c < cands.count {
            for v in cands[c] where v >> target.shift == target.prefix { all.append(v) }
        }
        return all
    }

    /// Σx² of the tensor's finite values above the target's prefix.
    private func energyAbove(_ t: Int, _ target: SelectTarget, global: Bool) -> Double {
        var e = energyAbove(t, bucket: target.bucket)
        if target.shift == 9 {
            let a = global ? above1 : above0
            for c in firstChunk[t]..<firstChunk[t + 1] where c < a.count { e += a[c] }
        }
        return e
    }

    /// Σx² of the tensor's finite values in buckets above `bucket`.
    private func energyAbove(_ t: Int, bucket: Int) -> Double {
        guard t < tensorEnergy.count, bucket >= 0 else { return 0 }
        return tensorEnergy[t][Swift.min(bucket + 1, MagnitudeSelection.buckets)...].reduce(0, +)
    }

    /// Sparsity and energy of zeroing |x| < threshold, given the values in the threshold's bucket.
    private func thresholdResult(bits: UInt32?, bucket: Int, below: Int, candidates: [UInt32], energyAbove: Double,
                                 n: Int, zeros: Int, signal: Double) -> ThresholdResult {
        guard let bits, bucket < MagnitudeSelection.nonFiniteBucket else {
            return ThresholdResult(threshold: nil, sparsity: Double(zeros) / Double(n),
                                   energyRetained: signal > 0 ? 1 : nil, zeroAfter: zeros, keptEnergy: signal)
        }
        var less = 0
        var kept = energyAbove
        for v in candidates {
            if v < bits { less += 1 } else {
                let x = Double(Float(bitPattern: v))
                kept += x * x
            }
        }
        let zeroAfter = bits == 0 ? zeros : below + less
        return ThresholdResult(threshold: Float(bitPattern: bits), sparsity: Double(zeroAfter) / Double(n),
                               energyRetained: signal > 0 ? kept / signal : nil, zeroAfter: zeroAfter, keptEnergy: kept)
    }

    /// Set once, before the per-tensor results are built (concurrently).
    var globalThresholdBits: UInt32?

    func selectGlobalBits() -> UInt32? {
        guard let g = globalBucket else { return nil }
        var all: [UInt32] = []
        for c in cands { for v in c where v >> g.shift == g.prefix { all.append(v) } }
        return MagnitudeSelection.select(rank: g.rank - g.below, among: all)?.bits
    }

    private func tensorPruning(_ t: Int, _ pruning: PruningOptions, basic b: BasicScan) -> TensorPruning {
        let item = items[t]
        let own: ThresholdResult
        if let tb = tensorBucket[t] {
            let cands = candidates(t, tb)
            let bits = MagnitudeSelection.select(rank: tb.rank - tb.below, among: cands)?.bits
            own = thresholdResult(bits: bits, bucket: tb.bucket, below: tb.below, candidates: cands,
                                  energyAbove: energyAbove(t, tb, global: false), n: item.n, zeros: b.zeros,
                                  signal: b.signal)
        } else {
            own = thresholdResult(bits: nil, bucket: 0, below: 0, candidates: [], energyAbove: 0, n: item.n,
                                  zeros: b.zeros, signal: b.signal)
        }
        var atGlobal: ThresholdResult?
        if let g = globalBucket {
            atGlobal = thresholdResult(bits: globalThresholdBits, bucket: g.bucket, below: tensorGlobalBelow[t],
                                       candidates: candidates(t, g), energyAbove: energyAbove(t, g, global: true),
                                       n: item.n, zeros: b.zeros, signal: b.signal)
        }
        var atGiven: ThresholdResult?
        if let th = pruning.threshold {
            var g = GivenAccum()
            for c in firstChunk[t]..<firstChunk[t + 1] { g.zeroAfter += given[c].zeroAfter; g.kept += given[c].kept }
            atGiven = ThresholdResult(threshold: th, sparsity: Double(g.zeroAfter) / Double(item.n),
                                      energyRetained: b.signal > 0 ? g.kept / b.signal : nil, zeroAfter: g.zeroAfter,
                                      keptEnergy: g.kept)
        }
        var nmResults: [NMResult] = []
        for (pi, pat) in pruning.patterns.enumerated() {
            var a = NMAccum()
            for c in firstChunk[t]..<firstChunk[t + 1] { a.merge(nm[c * patternCount + pi]) }
            nmResults.append(NMResult(pattern: pat, reductionAxis: item.reductionAxis, groups: a.groups,
                                      compliantFraction: a.groups > 0 ? Double(a.compliant) / Double(a.groups) : 1,
                                      energyKept: b.signal > 0 ? a.energyKept / b.signal : nil,
                                      energyKeptSum: a.energyKept))
        }
        let primary = options.schemes[0]
        let groups = item.layouts[item.schemeLayout[0]].groupCount
        let sizes = Sizes.sparse(shape: item.dims, elements: item.n, nonZero: item.n - own.zeroAfter,
                                 dense: item.tensor.storedBytes ?? item.n * 4, scheme: primary, groups: groups)
        return TensorPruning(perTensor: own, atGlobalThreshold: atGlobal, atGivenThreshold: atGiven, nm: nmResults,
                             sizes: sizes)
    }

    func modelPruning(_ p: PruningOptions, reports: [TensorReport]) -> ModelPruning {
        let n = reports.reduce(0) { $0 + $1.elements }
        let signal = reports.reduce(0.0) { $0 + $1.signalSumSquares }
        let prs = reports.compactMap(\.pruning)
        let zerosAll = reports.reduce(0) { $0 + $1.zeros }
        let gz = prs.reduce(0) { $0 + ($1.atGlobalThreshold?.zeroAfter ?? 0) }
        let gk = prs.reduce(0.0) { $0 + ($1.atGlobalThreshold?.keptEnergy ?? 0) }
        let bits = globalThresholdBits
        let global = ThresholdResult(
            threshold: (globalBucket?.bucket ?? Int.max) < MagnitudeSelection.nonFiniteBucket ? bits.map { Float(bitPattern: $0) } : nil,
            sparsity: n > 0 ? Double(bits == nil ? zerosAll : gz) / Double(n) : 0,
            energyRetained: signal > 0 ? (bits == nil ? signal : gk) / signal : nil,
            zeroAfter: bits == nil ? zerosAll : gz, keptEnergy: bits == nil ? signal : gk)
        let tz = prs.reduce(0) { $0 + $1.perTensor.zeroAfter }
        let tk = prs.reduce(0.0) { $0 + $1.perTensor.keptEnergy }
        var wsum = 0.0, wn = 0
        for r in reports { if let th = r.pruning?.perTensor.threshold { wsum += Double(th) * Double(r.elements); wn += r.elements } }
        var given: ThresholdResult?
        if let th = p.threshold {
            let z = prs.reduce(0) { $0 + ($1.atGivenThreshold?.zeroAfter ?? 0) }
            let k = prs.reduce(0.0) { $0 + ($1.atGivenThreshold?.keptEnergy ?? 0) }
            given = ThresholdResult(threshold: th, sparsity: n > 0 ? Double(z) / Double(n) : 0,
                                    energyRetained: signal > 0 ? k / signal : nil, zeroAfter: z, keptEnergy: k)
        }
        var nmTotals: [NMResult] = []
        for (pi, pat) in p.patterns.enumerated() {
            var groups = 0, compliant = 0.0, kept = 0.0
            for pr in prs where pi < pr.nm.count {
                groups += pr.nm[pi].groups
                compliant += pr.nm[pi].compliantFraction * Double(pr.nm[pi].groups)
                kept += pr.nm[pi].energyKeptSum
            }
            nmTotals.append(NMResult(pattern: pat, reductionAxis: -1, groups: groups,
                                     compliantFraction: groups > 0 ? compliant / Double(groups) : 1,
                                     energyKept: signal > 0 ? kept / signal : nil, energyKeptSum: kept))
        }
        var sizes = SparseSizes(dense: 0, bitmask: 0, csr: 0, bitmaskQuantized: 0, csrQuantized: 0)
        for pr in prs {
            sizes.dense += pr.sizes.dense
            sizes.bitmask += pr.sizes.bitmask
            sizes.csr += pr.sizes.csr
            sizes.bitmaskQuantized = sizes.bitmaskQuantized.flatMap { a in pr.sizes.bitmaskQuantized.map { a + $0 } }
            sizes.csrQuantized = sizes.csrQuantized.flatMap { a in pr.sizes.csrQuantized.map { a + $0 } }
        }
        return ModelPruning(targetSparsity: p.targetSparsity, global: global,
                            perTensorSparsity: n > 0 ? Double(tz) / Double(n) : 0,
                            perTensorEnergyRetained: signal > 0 ? tk / signal : nil,
                            perTensorThresholdWeighted: wn > 0 ? wsum / Double(wn) : nil,
                            given: given, givenThreshold: p.threshold, nm: nmTotals, sizes: sizes)
    }
}

enum Stats {
    static func sqnr(signal: Double, noise: Double) -> Double? {
        guard noise > 0, signal > 0, signal.isFinite, noise.isFinite else { return nil }
        return 10 * Math.log10(signal / noise)
    }
}
