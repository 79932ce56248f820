/// Turning the per-chunk slots of a run into per-tensor and model results.
extension Run {
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
    func candidates(_ t: Int, _ target: SelectTarget) -> [UInt32] {
        var all: [UInt32] = []
        for c in firstChunk[t]..<firstChunk[t + 1] where c < cands.count {
            for v in cands[c] where v >> target.shift == target.prefix { all.append(v) }
        }
        return all
    }

    /// Σx² of the tensor's finite values above the target's prefix.
    func energyAbove(_ t: Int, _ target: SelectTarget, global: Bool) -> Double {
        var e = energyAbove(t, bucket: target.bucket)
        if target.shift == 9 {
            let a = global ? above1 : above0
            for c in firstChunk[t]..<firstChunk[t + 1] where c < a.count { e += a[c] }
        }
        return e
    }

    /// Σx² of the tensor's finite values in buckets above `bucket`.
    func energyAbove(_ t: Int, bucket: Int) -> Double {
        guard t < tensorEnergy.count, bucket >= 0 else { return 0 }
        return tensorEnergy[t][Swift.min(bucket + 1, MagnitudeSelection.buckets)...].reduce(0, +)
    }

    /// Sparsity and energy of zeroing |x| < threshold, given the values in the threshold's bucket.
    func thresholdResult(bits: UInt32?, bucket: Int, below: Int, candidates: [UInt32], energyAbove: Double,
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

    func selectGlobalBits() -> UInt32? {
        guard let g = globalBucket else { return nil }
        var all: [UInt32] = []
        for c in cands { for v in c where v >> g.shift == g.prefix { all.append(v) } }
        return MagnitudeSelection.select(rank: g.rank - g.below, among: all)?.bits
    }

    func tensorPruning(_ t: Int, _ pruning: PruningOptions, basic b: BasicScan) -> TensorPruning {
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
