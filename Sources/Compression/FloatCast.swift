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

    /// Non-finite inputs are left out, as in the quantisation schemes.
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
