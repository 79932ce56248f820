/// Scales and zero points from each group's range, as the reference defines them (float64):
/// symmetric s = max|x| / qmax; asymmetric s = (max − min) / (hi − lo), z = round(lo − min / s), clipped to
/// the code range only when the range was widened to include 0.
enum Scales {
    static func params(_ scheme: QuantizationScheme, mins: ArraySlice<Float>, maxs: ArraySlice<Float>) -> GroupParams {
        let count = mins.count
        var sdiv = [Double](repeating: .infinity, count: count)
        var smul = [Double](repeating: 0, count: count)
        var keep = [Double](repeating: 1, count: count)
        var zero = [Double](repeating: 0, count: count)
        var inv = [Double](repeating: 0, count: count)
        var tieCentre = [Double](repeating: .infinity, count: count)
        var tieScale = [Double](repeating: 1, count: count)
        let lo: Double, hi: Double
        /// The reciprocal may be used when no unclipped code is far from 0 (see ErrorKernels).
        func setScale(_ g: Int, _ s: Double, _ z: Double) {
            sdiv[g] = s; smul[g] = s; keep[g] = 0; zero[g] = z
            inv[g] = 1 / s
            if Swift.max(abs(lo - z), abs(hi - z)) + 1 <= GroupParams.maxFastCode {
                // e² = (s/2)²·(1 ± 2w) to first order: scale the window's half-width to 1.
                tieCentre[g] = s * s / 4
                tieScale[g] = 1 / (s * s / 4 * 4 * GroupParams.tieWindow)
            } else {
                tieCentre[g] = 0
                tieScale[g] = 0
            }
        }
        if scheme.symmetric {
            let (qmax, z) = scheme.type.symmetricRange(reduceRange: scheme.reduceRange)
            lo = z - qmax
            hi = z + qmax
            for g in 0..<count {
                zero[g] = z
                let mn = mins[mins.startIndex + g], mx = maxs[maxs.startIndex + g]
                guard mn <= mx else { continue }  // no finite value in the group
                let amax = Swift.max(Double(abs(mn)), Double(abs(mx)))
                let s = amax / qmax
                guard s > 0, s.isFinite else { continue }
                setScale(g, s, z)
            }
        } else {
            (lo, hi) = scheme.type.asymmetricRange(reduceRange: scheme.reduceRange)
            let exactZero = Swift.min(Swift.max(0, lo), hi)
            for g in 0..<count {
                zero[g] = exactZero
                var mn = Double(mins[mins.startIndex + g]), mx = Double(maxs[maxs.startIndex + g])
                guard mn <= mx else { continue }
                if scheme.widenRangeToZero { mn = Swift.min(mn, 0); mx = Swift.max(mx, 0) }
                let s = (mx - mn) / (hi - lo)
                guard s > 0, s.isFinite else { continue }
                var z = rintScalar(lo - mn / s)
                if scheme.widenRangeToZero { z = Swift.min(Swift.max(z, lo), hi) }
                setScale(g, s, z)
            }
        }
        return GroupParams(sdiv: sdiv, inv: inv, smul: smul, keep: keep, zero: zero, tieCentre: tieCentre, tieScale: tieScale,
                           lo: lo, hi: hi, simple: zero.allSatisfy { $0 == 0 } && keep.allSatisfy { $0 == 0 })
    }

    static func summary(_ p: GroupParams, scheme: QuantizationScheme) -> ScaleSummary {
        accumulate(p, scheme: scheme).summary
    }

    static func accumulate(_ p: GroupParams, scheme: QuantizationScheme) -> ScaleAccum {
        var a = ScaleAccum()
        let storesZero = !scheme.symmetric || !scheme.type.isSigned
        for g in p.smul.indices {
            a.groups += 1
            if p.keep[g] == 1 { a.exact += 1; continue }
            let v = p.smul[g]
            a.min = Swift.min(a.min, v)
            a.max = Swift.max(a.max, v)
            a.sum += v
            if storesZero {
                let z = Int(p.zero[g])
                a.zeroMin = Swift.min(a.zeroMin ?? z, z)
                a.zeroMax = Swift.max(a.zeroMax ?? z, z)
            }
        }
        return a
    }
}

/// Scales summarised over groups, mergeable across chunks.
struct ScaleAccum: Sendable {
    var groups = 0
    var exact = 0
    var min = Double.infinity
    var max = -Double.infinity
    var sum = 0.0
    var zeroMin: Int?
    var zeroMax: Int?

    mutating func merge(_ o: ScaleAccum) {
        groups += o.groups
        exact += o.exact
        min = Swift.min(min, o.min)
        max = Swift.max(max, o.max)
        sum += o.sum
        if let z = o.zeroMin { zeroMin = Swift.min(zeroMin ?? z, z) }
        if let z = o.zeroMax { zeroMax = Swift.max(zeroMax ?? z, z) }
    }

    var summary: ScaleSummary {
        let n = groups - exact
        return ScaleSummary(groups: groups, exactGroups: exact, min: n > 0 ? min : nil, max: n > 0 ? max : nil,
                            mean: n > 0 ? sum / Double(n) : nil, zeroPointMin: zeroMin, zeroPointMax: zeroMax)
    }
}
