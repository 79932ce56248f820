/// Casting float32 weights to float16 or bfloat16 (round to nearest even): the error, and the values the
/// narrower type cannot hold. An overflowing value is counted and, for the error, saturated to the largest
/// finite value (what a careful converter does) so that the SQNR stays finite.
struct CastAccum: Sendable {
    var error = ErrorAccum()
    var overflow = 0
    var underflow = 0
    var subnormal = 0

    mutating func merge(_ o: CastAccum) {
        error.merge(o.error)
        overflow += o.overflow
        underflow += o.underflow
        subnormal += o.subnormal
    }
}

enum FloatCast {
    static let float16Max: Float = 65504
    static let bfloat16Max = Float(bitPattern: 0x7F7F_0000)

    /// bfloat16 keeps the top 16 bits of a float32; round half to even on the dropped 16 (finite x only).
    @inline(__always)
    static func bfloat16(_ x: Float) -> Float {
        let b = x.bitPattern
        let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }

    @inline(__always)
    static func float16(_ x: Float) -> Float {
        #if !(os(macOS) && arch(x86_64))  // Float16 is unavailable on Intel Macs
        return Float(Float16(x))
        #else
        return x
        #endif
    }

    /// x rounded to the type's precision (half to even), in float32, for eight finite values at once.
    /// float16: adding and subtracting c = 2^(e+13) (e the exponent of |x|, at least −14 so that the quantum
    /// stays 2⁻²⁴ in the subnormal range) drops the 13 low bits with round-to-nearest-even; results of 2¹⁶
    /// or more are the values that overflow to infinity (65520 and up). bfloat16: the top 16 bits, rounded.
    /// Lane select with bit operations: `replacing(with:where:)` on these types compiles to a lane loop.
    @inline(__always)
    static func pick(_ m: SIMDMask<SIMD8<Int32>>, _ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        let mm = unsafeBitCast(m, to: SIMD8<UInt32>.self)
        return (a & mm) | (b & ~mm)
    }

    @inline(__always)
    static func pick(_ m: SIMDMask<SIMD8<Int32>>, _ a: F8, _ b: F8) -> F8 {
        unsafeBitCast(pick(m, unsafeBitCast(a, to: SIMD8<UInt32>.self), unsafeBitCast(b, to: SIMD8<UInt32>.self)),
                      to: F8.self)
    }

    @inline(__always)
    static func round8(_ x: F8, half: Bool) -> F8 {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let sign = bits & 0x8000_0000
        let mag = bits & 0x7FFF_FFFF
        if half {
            // Signed lanes: SSE2 has no unsigned compare, and UInt32 `.<` becomes a lane loop.
            var e = unsafeBitCast(mag &>> 23, to: SIMD8<Int32>.self)
            let lo = SIMD8<Int32>(repeating: 113), hi = SIMD8<Int32>(repeating: 200)
            e = e.replacing(with: lo, where: e .< lo)
            e = e.replacing(with: hi, where: e .> hi)
            let c = unsafeBitCast((e &+ 13) &<< 23, to: F8.self)
            let y = (unsafeBitCast(mag, to: F8.self) + c) - c
            return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | sign, to: F8.self)
        }
        let r = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) & 0xFFFF_0000
        return unsafeBitCast(r, to: F8.self)
    }

    /// Non-finite inputs are left out, as in the quantisation schemes (`checked` chunks, which hold some,
    /// take the scalar path).
    static func measure(_ p: UnsafePointer<Float>, _ n: Int, type: QuantizationType, checked: Bool) -> CastAccum {
        guard !checked else { return measure(p, n, type: type) }
        var acc = CastAccum()
        let isHalf = type == .float16
        let limit = F8(repeating: isHalf ? 65536 : .infinity)
        let maxFinite = F8(repeating: isHalf ? float16Max : bfloat16Max)
        let minNormal = F8(repeating: isHalf ? 6.103_515_6e-5 : Float.leastNormalMagnitude)
        let zero = F8()  // vector operands throughout: a scalar operand compiles to a lane loop
        var noise = D4(), maxe = D4()
        var over = SIMD8<Int32>(), under = SIMD8<Int32>(), sub = SIMD8<Int32>()
        var i = 0
        while i + 8 <= n {
            let x = load8(p, i)
            var y = round8(x, half: isHalf)
            let ay = unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: F8.self)
            let o = ay .>= limit
            // Saturate for the error: ±max with the sign of x.
            let sat = unsafeBitCast(unsafeBitCast(maxFinite, to: SIMD8<UInt32>.self)
                | (unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x8000_0000), to: F8.self)
            y = pick(o, sat, y)
            over &-= unsafeBitCast(o, to: SIMD8<Int32>.self)
            under &-= unsafeBitCast((ay .== zero) .& (x .!= zero), to: SIMD8<Int32>.self)
            sub &-= unsafeBitCast((ay .!= zero) .& (ay .< minNormal), to: SIMD8<Int32>.self)
            let e0 = D4(x.lowHalf) - D4(y.lowHalf), e1 = D4(x.highHalf) - D4(y.highHalf)
            let s0 = e0 * e0, s1 = e1 * e1
            noise += s0 + s1
            maxe = vmax(maxe, vmax(s0, s1))
            i += 8
        }
        acc.error.noise = noise.sum()
        acc.error.maxErrSq = maxe.max()
        acc.overflow = Int(over.wrappedSum())
        acc.underflow = Int(under.wrappedSum())
        acc.subnormal = Int(sub.wrappedSum())
        if i < n { acc.merge(measure(p + i, n - i, type: type)) }
        acc.error.clipped = acc.overflow
        return acc
    }

    /// Scalar path: also the one for chunks with NaN or ±Inf, which it leaves out.
    static func measure(_ p: UnsafePointer<Float>, _ n: Int, type: QuantizationType) -> CastAccum {
        var acc = CastAccum()
        let isHalf = type == .float16
        let maxFinite = isHalf ? float16Max : bfloat16Max
        let minNormal: Float = isHalf ? 6.103_515_6e-5 : Float.leastNormalMagnitude
        for i in 0..<n {
            let x = p[i]
            guard isFinite(x) else { continue }
            var y = isHalf ? float16(x) : bfloat16(x)
            if !y.isFinite {
                acc.overflow += 1
                y = x < 0 ? -maxFinite : maxFinite
            } else if y == 0 && x != 0 {
                acc.underflow += 1
            } else if y != 0 && abs(y) < minNormal {
                acc.subnormal += 1
            }
            let e = Double(x) - Double(y)
            acc.error.noise += e * e
            acc.error.maxErrSq = max(acc.error.maxErrSq, e * e)
        }
        acc.error.clipped = acc.overflow
        return acc
    }
}
