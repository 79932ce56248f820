/// The converter's kernels: per-group ranges and the stored codes, with the arithmetic of the statistics
/// (`ErrorKernels`: round half to even of x / s in float64, + z, clip), vectorised.
///
/// As in `ErrorKernels`, each run is first computed with the reciprocal, x · (1/s), which can differ from
/// x / s by an ulp: the rounded code can differ only when x / s is within a hair of a half-integer, or far
/// from 0. A run with a quotient that near a tie is redone dividing, and tensors with a group whose codes
/// may be far from 0 are divided throughout, so every code is the divided one.
enum QuantizeKernels {
    /// Distance from a half-integer below which the reciprocal's code may differ. The product's relative error
    /// is below 2⁻⁵⁰, that is 2⁻³⁰ for quotients up to `GroupParams.maxFastCode` (2²⁰): 2⁻²⁶ leaves a margin.
    static let halfWindow = 1.0 / Double(1 << 26)

    /// Each group's min and max of the finite `values`; false when some value is NaN or infinite (the ranges
    /// are then meaningless). Group ids come from the layout, made from the shape whose element count the
    /// caller checked against `values.count`; elementwise runs are checked against the group count.
    static func ranges(_ values: UnsafeBufferPointer<Float>, layout: GroupLayout, mins: inout [Float],
                       maxs: inout [Float]) -> Bool {
        guard let base = values.baseAddress else { return true }
        let groups = min(mins.count, maxs.count, layout.groupCount)
        // x − x is 0 for finite x and NaN otherwise: one add a vector instead of a compare and a count.
        var poison = F8()
        var scalarPoison: Float = 0
        var inRange = true
        mins.withUnsafeMutableBufferPointer { mnb in
        maxs.withUnsafeMutableBufferPointer { mxb in
            guard let mn = mnb.baseAddress, let mx = mxb.baseAddress else { return }
            layout.forEachRun(0, values.count) { s, e, g in
                let p = base + s, len = e - s
                if layout.isElementwise {
                    guard g >= 0, g + len <= groups else { inRange = false; return }
                    var j = 0
                    while j + 8 <= len {
                        let x = load8(p, j)
                        let k = UnsafeMutableRawPointer(mn + g + j), h = UnsafeMutableRawPointer(mx + g + j)
                        k.storeBytes(of: vmin(k.loadUnaligned(as: F8.self), x), as: F8.self)
                        h.storeBytes(of: vmax(h.loadUnaligned(as: F8.self), x), as: F8.self)
                        poison += x - x
                        j += 8
                    }
                    while j < len {
                        let x = p[j]
                        if x < mn[g + j] { mn[g + j] = x }
                        if x > mx[g + j] { mx[g + j] = x }
                        scalarPoison += x - x
                        j += 1
                    }
                } else {
                    guard g >= 0, g < groups else { inRange = false; return }
                    var lo = F8(repeating: .infinity), hi = F8(repeating: -.infinity)
                    var j = 0
                    while j + 8 <= len {
                        let x = load8(p, j)
                        lo = vmin(lo, x)
                        hi = vmax(hi, x)
                        poison += x - x
                        j += 8
                    }
                    var l = lo.min(), u = hi.max()
                    while j < len {
                        let x = p[j]
                        if x < l { l = x }
                        if x > u { u = x }
                        scalarPoison += x - x
                        j += 1
                    }
                    if l < mn[g] { mn[g] = l }
                    if u > mx[g] { mx[g] = u }
                }
            }
        }}
        return inRange && poison.sum() == 0 && scalarPoison == 0
    }

    /// The codes of finite `values` with `params` (made from the ranges above), written into `out`.
    static func codes<Code: FixedWidthInteger & SIMDScalar>(_ values: UnsafeBufferPointer<Float>, layout: GroupLayout,
                                               params prm: GroupParams, into out: UnsafeMutableBufferPointer<Code>) {
        guard let base = values.baseAddress, let dst = out.baseAddress, out.count >= values.count else { return }
        let groups = min(prm.sdiv.count, prm.inv.count, prm.zero.count)
        prm.sdiv.withUnsafeBufferPointer { sdb in
        prm.inv.withUnsafeBufferPointer { ivb in
        prm.zero.withUnsafeBufferPointer { zb in
            guard let sd = sdb.baseAddress, let iv = ivb.baseAddress, let zp = zb.baseAddress else { return }
            let lo = prm.lo, hi = prm.hi
            // tieScale 0 marks groups whose quotients may exceed maxFastCode (Scales.params): divide throughout.
            let fast = !prm.tieScale.contains(0)
            layout.forEachRun(0, values.count) { s, e, g in
                let p = base + s, o = dst + s, len = e - s
                if layout.isElementwise {
                    guard g >= 0, g + len <= groups else { return }
                    run(p, o, len, lo: lo, hi: hi, stride: 1, fast: fast, sd + g, iv + g, zp + g)
                } else {
                    guard g >= 0, g < groups else { return }
                    run(p, o, len, lo: lo, hi: hi, stride: 0, fast: fast, sd + g, iv + g, zp + g)
                }
            }
        }}}
    }

    /// One run: element j uses the parameters at offset j · stride (stride 1: elementwise, 0: one group).
    @inline(__always)
    static func run<Code: FixedWidthInteger & SIMDScalar>(
        _ p: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Code>, _ n: Int, lo: Double, hi: Double, stride: Int, fast: Bool,
        _ sd: UnsafePointer<Double>, _ iv: UnsafePointer<Double>, _ zp: UnsafePointer<Double>
    ) {
        let magic = D4(repeating: roundMagic)
        let vlo = D4(repeating: lo), vhi = D4(repeating: hi)
        @inline(__always) func ld(_ b: UnsafePointer<Double>, _ k: Int) -> D4 {
            stride == 0 ? D4(repeating: b[0]) : UnsafeRawPointer(b + k).loadUnaligned(as: D4.self)
        }
        @inline(__always) func store(_ q: D4, _ k: Int) {
            // q holds integers within the code range (at most 16 bits): adding 1.5 · 2⁵² leaves each in the
            // low bits of the sum's pattern, two's complement, which truncate to the code (no per-lane convert).
            let bits = unsafeBitCast(q + magic, to: SIMD4<UInt64>.self)
            UnsafeMutableRawPointer(o + k).storeBytes(of: SIMD4<Code>(truncatingIfNeeded: bits), as: SIMD4<Code>.self)
        }
        @inline(__always) func vabs(_ a: D4) -> D4 { vmax(a, -a) }
        let end = n & ~7
        /// Writes the run's vectors; returns the largest |v − round(v)|, which is 0.5 at a tie.
        @inline(__always) func pass(exact: Bool) -> Double {
            var off = D4()
            var j = 0
            while j < end {
                let x8 = load8(p, j)
                for h in 0..<2 {
                    let k = j + 4 * h
                    let x = D4(h == 0 ? x8.lowHalf : x8.highHalf)
                    let v = exact ? x / ld(sd, k) : x * ld(iv, k)
                    let r = (v + magic) - magic
                    store(vmin(vmax(r + ld(zp, k), vlo), vhi), k)
                    off = vmax(off, vabs(v - r))
                }
                j += 8
            }
            return off.max()
        }
        if end > 0, !fast || pass(exact: false) >= 0.5 - halfWindow { _ = pass(exact: true) }
        var j = end
        while j < n {
            let k = j * stride
            let q = Swift.min(Swift.max(rintScalar(Double(p[j]) / sd[k]) + zp[k], lo), hi)
            o[j] = Code(truncatingIfNeeded: Int32(q))
            j += 1
        }
    }
}

extension WeightQuantizer {
    /// Exact zeros and non-finite values (NaN, ±Inf) of `values`: the converter's sparsity figure and its
    /// check that a tensor can be converted, in one vectorised read.
    public static func counts(_ values: UnsafeBufferPointer<Float>) -> (zeros: Int, nonFinite: Int) {
        guard let p = values.baseAddress else { return (0, 0) }
        let n = values.count
        let expMask = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var zeros = 0, nonFinite = 0
        var i = 0
        // Int32 lanes: counted in slices short enough that no lane can overflow.
        while i + 8 <= n {
            let sliceEnd = Swift.min(n & ~7, i + (1 << 24))
            var zeroLanes = SIMD8<Int32>(), badLanes = SIMD8<Int32>()
            while i < sliceEnd {
                let x = load8(p, i)
                zeroLanes &-= unsafeBitCast(x .== F8(), to: SIMD8<Int32>.self)
                let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
                badLanes &-= unsafeBitCast((bits & expMask) .== expMask, to: SIMD8<Int32>.self)
                i += 8
            }
            zeros += Int(zeroLanes.wrappedSum())
            nonFinite += Int(badLanes.wrappedSum())
        }
        while i < n {
            zeros += p[i] == 0 ? 1 : 0
            nonFinite += isFinite(p[i]) ? 0 : 1
            i += 1
        }
        return (zeros, nonFinite)
    }
}
