/// Second-pass kernels: quantise-dequantise each value with its group's parameters, in float64 exactly as
/// the numpy reference does (x / s, round half to even, + z, clip, (q − z) · s), and accumulate the error.
///
/// Division is the slowest vector operation here, so the kernels first round x · (1/s). That product can
/// differ from x / s by an ulp, which changes the rounded code only when x / s is within a hair of a
/// half-integer, that is when |x − x̂| is within a hair of s/2. Such vectors (rare) are redone with the
/// division, so every code is the one the reference computes.

/// Per-group parameters of one scheme on one tensor, laid out for vector loads. A group whose scale is 0
/// (all zero, or all equal for asymmetric schemes) is exact: sdiv = ∞, inv = 0, smul = 0, keep = 1 give x̂ = x.
struct GroupParams: Sendable {
    var sdiv: [Double]
    var inv: [Double]
    var smul: [Double]
    var keep: [Double]
    var zero: [Double]
    /// The reciprocal may have rounded differently when ((e² − tieCentre) · tieScale)² ≤ 1, e² within a
    /// hair of (s/2)²; tieScale = 0 makes every value suspect (groups whose codes are too far from 0 for the
    /// argument: always divide), tieCentre = ∞ none (exact groups). Arithmetic, not masks: cheaper to fold.
    var tieCentre: [Double]
    var tieScale: [Double]
    let lo: Double
    let hi: Double
    /// Every group has z = 0 and keep = 0 (symmetric signed, no exact group); set once, read per run.
    let simple: Bool

    /// Relative half-width of the tie window. The reciprocal's error is below 2⁻⁵⁰ · |x / s|, so codes up to
    /// `maxFastCode` are safe with a wide margin.
    static let tieWindow = 1e-9
    static let maxFastCode = Double(1 << 20)
}

struct ErrorAccum: Sendable {
    var noise: Double = 0
    var clipped: Int = 0
    var maxErrSq: Double = 0

    mutating func merge(_ o: ErrorAccum) {
        noise += o.noise
        clipped += o.clipped
        maxErrSq = Swift.max(maxErrSq, o.maxErrSq)
    }
}

/// Adding and subtracting 1.5 · 2⁵² rounds half to even in the default rounding mode, for |v| < 2⁵¹, without
/// SSE4.1 `roundpd` (the package targets baseline x86-64). Quotients here stay below 2³³: a group's values
/// lie within its own range, and float32 bounds max(|min|, |max|) / (max − min) by 2²⁴.
@usableFromInline let roundMagic = 6_755_399_441_055_744.0

@inline(__always) func rintScalar(_ v: Double) -> Double { (v + roundMagic) - roundMagic }

enum ErrorKernels {
    struct Lane {
        var e2: D4
        var clip: D4
        /// ≤ 1 where the code may differ from the divided one.
        var tie: D4
    }

    /// x̂ and its squared error for four values; `exact` divides, otherwise multiplies by the reciprocal.
    @inline(__always)
    static func eval(_ x: D4, exact: Bool, _ sdiv: D4, _ inv: D4, _ smul: D4, _ keep: D4, _ z: D4, _ lo: D4,
                     _ hi: D4, _ tieCentre: D4, _ tieScale: D4) -> Lane {
        let m = D4(repeating: roundMagic)
        let v = exact ? x / sdiv : x * inv
        let r = (v + m) - m
        let q = r + z
        let qc = vmin(vmax(q, lo), hi)
        let e = x - ((qc - z) * smul + x * keep)
        let e2 = e * e
        let d = (e2 - tieCentre) * tieScale
        return Lane(e2: e2, clip: D4(repeating: 0).replacing(with: 1, where: q .!= qc), tie: d * d)
    }

    @inline(__always)
    static func stepScalar(_ x: Double, _ sdiv: Double, _ smul: Double, _ keep: Double, _ z: Double,
                           _ lo: Double, _ hi: Double, _ acc: inout ErrorAccum) {
        let q = rintScalar(x / sdiv) + z
        let qc = Swift.min(Swift.max(q, lo), hi)
        let e = x - ((qc - z) * smul + x * keep)
        acc.noise += e * e
        acc.maxErrSq = Swift.max(acc.maxErrSq, e * e)
        if q != qc { acc.clipped += 1 }
    }

    /// One group's parameters for a whole run (finite data). Exact groups add nothing; the others have
    /// keep = 0, which is dropped from the hot loop, and clipping r + z to [lo, hi] is clipping r to
    /// [lo − z, hi − z] (z is an integer).
    @inline(__always)
    static func uniform(_ p: UnsafePointer<Float>, _ n: Int, _ prm: GroupParams, _ g: Int, _ acc: inout ErrorAccum) {
        let sdiv = prm.sdiv[g], smul = prm.smul[g], keep = prm.keep[g], z = prm.zero[g]
        if keep == 1 { return }
        var i = 0
        if n >= 8 {
            let vs = D4(repeating: sdiv), vinv = D4(repeating: prm.inv[g]), vm = D4(repeating: smul)
            let vlo = D4(repeating: prm.lo - z), vhi = D4(repeating: prm.hi - z)
            let tc = D4(repeating: prm.tieCentre[g]), ts = D4(repeating: prm.tieScale[g])
            let magic = D4(repeating: roundMagic)
            @inline(__always) func eval(_ x: D4, _ exact: Bool) -> Lane {
                let r = ((exact ? x / vs : x * vinv) + magic) - magic
                let rc = vmin(vmax(r, vlo), vhi)
                let e = x - rc * vm
                let e2 = e * e
                let d = (e2 - tc) * ts
                return Lane(e2: e2, clip: D4(repeating: 0).replacing(with: 1, where: r .!= rc), tie: d * d)
            }
            // The tie test is folded over the run and checked once: a run with a possible tie is redone
            // dividing (testing each vector costs more than the rare redo).
            let end = n & ~7
            for exact in [false, true] {
                var noise = D4(), clip = D4(), maxe = D4()
                var tie = D4(repeating: .infinity)
                var j = 0
                while j < end {
                    let x = load8(p, j)
                    let a = eval(D4(x.lowHalf), exact), b = eval(D4(x.highHalf), exact)
                    noise += a.e2 + b.e2
                    clip += a.clip + b.clip
                    maxe = vmax(maxe, vmax(a.e2, b.e2))
                    tie = vmin(tie, vmin(a.tie, b.tie))
                    j += 8
                }
                if !exact && tie.min() <= 1 { continue }
                acc.noise += noise.sum()
                acc.clipped += Int(clip.sum())
                acc.maxErrSq = Swift.max(acc.maxErrSq, maxe.max())
                break
            }
            i = end
        }
        while i < n {
            stepScalar(Double(p[i]), sdiv, smul, keep, z, prm.lo, prm.hi, &acc)
            i += 1
        }
    }

    /// Element j of the run uses group g + j (finite data).
    @inline(__always)
    static func elementwise(_ p: UnsafePointer<Float>, _ n: Int, _ prm: GroupParams, _ g: Int,
                            _ acc: inout ErrorAccum) {
        prm.sdiv.withUnsafeBufferPointer { sd in
        prm.inv.withUnsafeBufferPointer { iv in
        prm.smul.withUnsafeBufferPointer { sm in
        prm.keep.withUnsafeBufferPointer { kp in
        prm.zero.withUnsafeBufferPointer { zp in
        prm.tieCentre.withUnsafeBufferPointer { tl in
        prm.tieScale.withUnsafeBufferPointer { th in
            guard let sd = sd.baseAddress, let iv = iv.baseAddress, let sm = sm.baseAddress,
                  let kp = kp.baseAddress, let zp = zp.baseAddress, let tl = tl.baseAddress,
                  let th = th.baseAddress else { return }
            let vlo = D4(repeating: prm.lo), vhi = D4(repeating: prm.hi)
            var i = 0
            @inline(__always) func ld(_ b: UnsafePointer<Double>, _ k: Int) -> D4 {
                UnsafeRawPointer(b + k).loadUnaligned(as: D4.self)
            }
            @inline(__always) func lane(_ x: D4, _ k: Int, _ exact: Bool) -> Lane {
                eval(x, exact: exact, ld(sd, k), ld(iv, k), ld(sm, k), ld(kp, k), ld(zp, k), vlo, vhi,
                     ld(tl, k), ld(th, k))
            }
            /// Symmetric signed schemes with no exact group: z = 0 and keep = 0 everywhere, four loads fewer.
            @inline(__always) func simpleLane(_ x: D4, _ k: Int, _ exact: Bool) -> Lane {
                let m = D4(repeating: roundMagic)
                let r = ((exact ? x / ld(sd, k) : x * ld(iv, k)) + m) - m
                let rc = vmin(vmax(r, vlo), vhi)
                let e = x - rc * ld(sm, k)
                let e2 = e * e
                let d = (e2 - ld(tl, k)) * ld(th, k)
                return Lane(e2: e2, clip: D4(repeating: 0).replacing(with: 1, where: r .!= rc), tie: d * d)
            }
            let simple = prm.simple
            let end = n & ~7
            for exact in [false, true] {
                var noise = D4(), clip = D4(), maxe = D4()
                var tie = D4(repeating: .infinity)
                var j = 0
                while j < end {
                    let x = load8(p, j)
                    let k = g + j
                    let a = simple ? simpleLane(D4(x.lowHalf), k, exact) : lane(D4(x.lowHalf), k, exact)
                    let b = simple ? simpleLane(D4(x.highHalf), k + 4, exact) : lane(D4(x.highHalf), k + 4, exact)
                    noise += a.e2 + b.e2
                    clip += a.clip + b.clip
                    maxe = vmax(maxe, vmax(a.e2, b.e2))
                    tie = vmin(tie, vmin(a.tie, b.tie))
                    j += 8
                }
                if !exact && tie.min() <= 1 { continue }
                acc.noise += noise.sum()
                acc.clipped += Int(clip.sum())
                acc.maxErrSq = Swift.max(acc.maxErrSq, maxe.max())
                break
            }
            i = end
            while i < n {
                let k = g + i
                stepScalar(Double(p[i]), sd[k], sm[k], kp[k], zp[k], prm.lo, prm.hi, &acc)
                i += 1
            }
        }}}}}}}
    }

    /// Error of one scheme over elements [lo, hi) (p[0] is element lo). `checked` leaves non-finite values out.
    /// `base` is subtracted from group ids (chunk-local parameters start at the chunk's first group).
    static func quantize(_ p: UnsafePointer<Float>, lo: Int, hi: Int, layout: GroupLayout, params: GroupParams,
                         checked: Bool, base: Int = 0) -> ErrorAccum {
        var acc = ErrorAccum()
        if checked {
            layout.forEachRun(lo, hi) { s, e, g in
                for j in 0..<(e - s) {
                    let x = p[s - lo + j]
                    guard isFinite(x) else { continue }
                    let k = (layout.isElementwise ? g + j : g) - base
                    stepScalar(Double(x), params.sdiv[k], params.smul[k], params.keep[k], params.zero[k],
                               params.lo, params.hi, &acc)
                }
            }
        } else if layout.isElementwise {
            layout.forEachRun(lo, hi) { s, e, g in elementwise(p + (s - lo), e - s, params, g - base, &acc) }
        } else {
            layout.forEachRun(lo, hi) { s, e, g in uniform(p + (s - lo), e - s, params, g - base, &acc) }
        }
        return acc
    }
}
