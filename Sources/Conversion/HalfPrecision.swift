/// float32 → IEEE 754 binary16, as ONNX stores FLOAT16 tensors (two little-endian bytes per value).
///
/// Written with integer operations rather than Swift's `Float16` so that it behaves the same on every
/// platform (`Float16` is unavailable on Intel Macs) and so that overflow can be counted where it happens.
enum HalfPrecision {
    /// The bits of x rounded to the nearest binary16, ties to even. Finite values from 65520 up (the first
    /// that do not round down to 65504) become ±infinity; NaN stays a quiet NaN with its sign.
    static func bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: (b >> 16) & 0x8000)
        let exponent = Int((b >> 23) & 0xFF)
        let mantissa = b & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x0200 : 0) }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            // Subnormal result: the value is r · 2⁻²⁴ with r = (1.m) · 2^(e + 9), i.e. the 24-bit significand
            // shifted right by 14 − e. Below 2⁻²⁵ (shift ≥ 25) everything rounds to zero.
            guard e >= -10 else { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            let rest = significand & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            var r = significand >> shift
            if rest > halfway || (rest == halfway && r & 1 == 1) { r += 1 }  // a carry gives the least normal
            return sign | UInt16(truncatingIfNeeded: r)
        }
        var r = UInt32(e) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        // A carry out of the mantissa raises the exponent, and from 0x7BFF reaches 0x7C00: infinity.
        if rest > 0x1000 || (rest == 0x1000 && r & 1 == 1) { r += 1 }
        return sign | UInt16(truncatingIfNeeded: r)
    }

    /// The little-endian bytes of the values in binary16, and how many finite values overflowed to ±infinity.
    static func encode<C: Collection>(_ values: C) -> (raw: [UInt8], overflow: Int) where C.Element == Float {
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 2)
        var overflow = 0
        for v in values {
            let h = bits(v)
            if h & 0x7FFF == 0x7C00, v.isFinite { overflow += 1 }
            raw.append(UInt8(truncatingIfNeeded: h))
            raw.append(UInt8(truncatingIfNeeded: h >> 8))
        }
        return (raw, overflow)
    }
}
