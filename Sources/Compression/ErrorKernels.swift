/// Second-pass kernels: quantise-dequantise each value with its group's parameters, in float64 exactly as
/// the numpy reference does (x / s, round half to even, + z, clip, (q − z) · s), and accumulate the error.

/// Per-group parameters of one scheme on one tensor, laid out for vector loads. A group whose scale is 0
/// (all zero, or all equal for asymmetric schemes) is exact: sdiv = ∞, smul = 0, keep = 1 makes x̂ = x.
struct GroupParams: Sendable {
    var sdiv: [Double]
    var smul: [Double]
    var keep: [Double]
    var zero: [Double]
    let lo: Double
    let hi: Double
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
/// SSE4.1 `roundpd` (the package targets baseline x86-64). Quotients here stay below 2³³ (see engine notes).
@usableFromInline let roundMagic = 6_755_399_441_055_744.0

@inline(__always) func rintScalar(_ v: Double) -> Double { (v + roundMagic) - roundMagic }

enum ErrorKernels {
    @inline(__always)
    static func step(_ x: D4, _ sdiv: D4, _ smul: D4, _ keep: D4, _ z: D4, _ lo: D4, _ hi: D4,
                     _ noise: inout D4, _ clip: inout D4, _ maxe: inout D4) {
        let m = D4(repeating: roundMagic)
        let r = (x / sdiv + m) - m
        let q = r + z
        let qc = vmin(vmax(q, lo), hi)
        let xh = (qc - z) * smul + x * keep
        let e = x - xh
        let e2 = e * e
        noise += e2
        maxe = vmax(maxe, e2)
        clip += D4(repeating: 0).replacing(with: 1, where: q .!= qc)
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
    /// keep = 0, and symmetric signed schemes z = 0, so those terms are dropped from the hot loop.
    @inline(__always)
    static func uniform(_ p: UnsafePointer<Float>, _ n: Int, _ prm: GroupParams, _ g: Int, _ acc: inout ErrorAccum) {
        let sdiv = prm.sdiv[g], smul = prm.smul[g], keep = prm.keep[g], z = prm.zero[g]
        if keep == 1 { return }  // exact group
        var i = 0
        if n >= 8 {
            let vs = D4(repeating: sdiv), vm = D4(repeating: smul), vz = D4(repeating: z)
            let vlo = D4(repeating: prm.lo - z), vhi = D4(repeating: prm.hi - z)
            let magic = D4(repeating: roundMagic)
            var noise = D4(), clip = D4(), maxe = D4()
            // Clipping r + z to [lo, hi] is clipping r to [lo − z, hi − z] (z is an integer).
            @inline(__always) func step(_ x: D4) {
                let r = (x / vs + magic) - magic
                let rc = vmin(vmax(r, vlo), vhi)
                let e = x - rc * vm
                let e2 = e * e
                noise += e2
                maxe = vmax(maxe, e2)
                clip += D4(repeating: 0).replacing(with: 1, where: r .!= rc)
            }
            _ = vz
            while i + 8 <= n {
                let x = load8(p, i)
                step(D4(x.lowHalf))
                step(D4(x.highHalf))
                i += 8
            }
            acc.noise += noise.sum()
            acc.clipped += Int(clip.sum())
            acc.maxErrSq = Swift.max(acc.maxErrSq, maxe.max())
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
        prm.smul.withUnsafeBufferPointer { sm in
        prm.keep.withUnsafeBufferPointer { kp in
        prm.zero.withUnsafeBufferPointer { zp in
            guard let sd = sd.baseAddress, let sm = sm.baseAddress, let kp = kp.baseAddress,
                  let zp = zp.baseAddress else { return }
            let vlo = D4(repeating: prm.lo), vhi = D4(repeating: prm.hi)
            var noise = D4(), clip = D4(), maxe = D4()
            var i = 0
            @inline(__always) func ld(_ b: UnsafePointer<Double>, _ k: Int) -> D4 {
                UnsafeRawPointer(b + k).loadUnaligned(as: D4.self)
            }
            while i + 8 <= n {
                let x = load8(p, i)
                let k = g + i
                step(D4(x.lowHalf), ld(sd, k), ld(sm, k), ld(kp, k), ld(zp, k), vlo, vhi, &noise, &clip, &maxe)
                step(D4(x.highHalf), ld(sd, k + 4), ld(sm, k + 4), ld(kp, k + 4), ld(zp, k + 4), vlo, vhi,
                     &noise, &clip, &maxe)
                i += 8
            }
            acc.noise += noise.sum()
            acc.clipped += Int(clip.sum())
            acc.maxErrSq = Swift.max(acc.maxErrSq, maxe.max())
            while i < n {
                let k = g + i
                stepScalar(Double(p[i]), sd[k], sm[k], kp[k], zp[k], prm.lo, prm.hi, &acc)
                i += 1
            }
        }}}}
    }

    /// Error of one scheme over elements [lo, hi) (p[0] is element lo). `checked` leaves non-finite values out.
    static func quantize(_ p: UnsafePointer<Float>, lo: Int, hi: Int, layout: GroupLayout, params: GroupParams,
                         checked: Bool) -> ErrorAccum {
        var acc = ErrorAccum()
        if checked {
            layout.forEachRun(lo, hi) { s, e, g in
                for j in 0..<(e - s) {
                    let x = p[s - lo + j]
                    guard isFinite(x) else { continue }
                    let k = layout.isElementwise ? g + j : g
                    stepScalar(Double(x), params.sdiv[k], params.smul[k], params.keep[k], params.zero[k],
                               params.lo, params.hi, &acc)
                }
            }
        } else if layout.isElementwise {
            layout.forEachRun(lo, hi) { s, e, g in elementwise(p + (s - lo), e - s, params, g, &acc) }
        } else {
            layout.forEachRun(lo, hi) { s, e, g in uniform(p + (s - lo), e - s, params, g, &acc) }
        }
        return acc
    }
}
