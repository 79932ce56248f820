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
    /// Set once, before the per-tensor results are built (concurrently).
    var globalThresholdBits: UInt32?

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
}
