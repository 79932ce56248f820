import Testing
@testable import Compression

/// The vector kernels round x · (1/s) and redo a run with x / s when a value is near a rounding tie. A
/// deliberately wrong reciprocal (one ulp low) makes every tie visible: 127.5 must round to 128 (even) and
/// be clipped to 127, as x / s does, not to 127.
@Suite struct ReciprocalRounding {
    func params(groups: Int) -> GroupParams {
        let s = 1.0
        var p = Scales.params(QuantizationScheme(.int8), mins: ArraySlice(repeating: -127, count: groups),
                              maxs: ArraySlice(repeating: 127, count: groups))
        for g in 0..<groups {
            #expect(p.sdiv[g] == s)
            p.inv[g] = s.nextDown
        }
        return p
    }

    @Test func uniformRunsRedoTiesWithTheDivision() {
        let v = [Float](repeating: 127.5, count: 64)
        let acc = v.withUnsafeBufferPointer { b in
            ErrorKernels.quantize(b.baseAddress!, lo: 0, hi: 64, layout: GroupLayout.make(shape: [64], granularity: .perTensor, axis: 0),
                                  params: params(groups: 1), checked: false)
        }
        #expect(acc.clipped == 64)
        #expect(acc.noise == 64 * 0.25)
    }

    @Test func elementwiseRunsRedoTiesWithTheDivision() {
        let v = [Float](repeating: -127.5, count: 2 * 16)
        let layout = GroupLayout.make(shape: [2, 16], granularity: .perChannel, axis: 1)
        #expect(layout.isElementwise)
        let acc = v.withUnsafeBufferPointer { b in
            ErrorKernels.quantize(b.baseAddress!, lo: 0, hi: 32, layout: layout, params: params(groups: 16), checked: false)
        }
        #expect(acc.clipped == 32)
    }

    @Test func withoutTiesTheReciprocalIsUsedAndAgrees() {
        var rng = SeededGenerator(seed: 12)
        let v = (0..<4096).map { _ in rng.gaussian(3) }
        let layout = GroupLayout.make(shape: [4096], granularity: .perTensor, axis: 0)
        let p = Scales.params(QuantizationScheme(.int8), mins: [v.min()!], maxs: [v.max()!])
        let (fast, slow) = v.withUnsafeBufferPointer { b in
            (ErrorKernels.quantize(b.baseAddress!, lo: 0, hi: 4096, layout: layout, params: p, checked: false),
             ErrorKernels.quantize(b.baseAddress!, lo: 0, hi: 4096, layout: layout, params: p, checked: true))
        }
        #expect(fast.clipped == slow.clipped)
        #expect(abs(fast.noise - slow.noise) <= 1e-12 * slow.noise)
        #expect(fast.maxErrSq == slow.maxErrSq)
    }
}

/// The N:M sorting-network lanes against the scalar per-group path, over layouts with and without a short
/// last group, contiguous (inner = 1) and strided groups.
@Suite struct NMLanes {
    @Test(arguments: [(40, 1), (42, 1), (6, 24), (16, 9), (8, 8), (12, 17)])
    func vectorLanesMatchTheScalarPath(r: Int, inner: Int) {
        var rng = SeededGenerator(seed: UInt64(r * 100 + inner))
        let outer = 3
        let v = (0..<(outer * r * inner)).map { _ in Bool.random(using: &rng) ? 0 : rng.gaussian(1) }
        for pattern in [NMPattern.twoFour, .fourEight, NMPattern(1, 4), NMPattern(3, 8), NMPattern(8, 8)] {
            let (fast, slow) = v.withUnsafeBufferPointer { b in
                (NMSparsity.measure(b.baseAddress!, lo: 0, hi: v.count, r: r, inner: inner, pattern: pattern),
                 NMSparsity.measure(b.baseAddress!, lo: 0, hi: v.count, r: r, inner: inner, pattern: pattern, checked: true))
            }
            #expect(fast.groups == slow.groups, "\(pattern) r=\(r) inner=\(inner)")
            #expect(fast.compliant == slow.compliant, "\(pattern) r=\(r) inner=\(inner)")
            #expect(abs(fast.energyKept - slow.energyKept) <= 1e-9 * slow.energyKept, "\(pattern)")
        }
    }
}

/// The vector float16 / bfloat16 rounding against the scalar conversions, on values across the whole range.
@Suite struct FloatCastLanes {
    @Test(arguments: [QuantizationType.float16, .bfloat16])
    func vectorCastMatchesScalar(type: QuantizationType) {
        var rng = SeededGenerator(seed: 31)
        var v: [Float] = [65504, 65519, 65520, -65520, 1e-8, -2.98e-8, 2.9802322e-8, 6.1e-5, 6.2e-5, 3.4e38, 0, -0.0,
                          1 + 1.0 / 2048, 1 + 3.0 / 2048, 1 + 1.0 / 256, Float.leastNonzeroMagnitude, Float.leastNormalMagnitude / 1024]
        for _ in 0..<20_000 {
            let e = Int.random(in: -40...40, using: &rng)
            v.append(Float.random(in: -1...1, using: &rng) * Float(sign: .plus, exponent: e, significand: 1))
        }
        for j in 0..<v.count where j % 7 == 0 { v[j] = Float(bitPattern: UInt32.random(in: 0..<0x7F80_0000, using: &rng)) }
        let (fast, slow) = v.withUnsafeBufferPointer { b in
            (FloatCast.measure(b.baseAddress!, b.count, type: type, checked: false),
             FloatCast.measure(b.baseAddress!, b.count, type: type))
        }
        #expect(fast.overflow == slow.overflow)
        #expect(fast.underflow == slow.underflow)
        #expect(fast.subnormal == slow.subnormal)
        #expect(fast.error.maxErrSq == slow.error.maxErrSq)
        #expect(abs(fast.error.noise - slow.error.noise) <= 1e-12 * slow.error.noise)
    }
}

/// Channel-last (elementwise) kernels, simple and general, against the scalar path.
@Suite struct ElementwiseLanes {
    @Test(arguments: [true, false])
    func vectorMatchesScalar(zeroColumn: Bool) {
        var rng = SeededGenerator(seed: 44)
        var v = (0..<(64 * 40)).map { _ in rng.gaussian(Float.random(in: 0.1...3, using: &rng)) }
        if zeroColumn { for r in 0..<64 { v[r * 40 + 5] = 0 } }
        let layout = GroupLayout.make(shape: [64, 40], granularity: .perChannel, axis: 1)
        var mins = [Float](repeating: .infinity, count: 40), maxs = [Float](repeating: -.infinity, count: 40)
        for (i, x) in v.enumerated() { mins[i % 40] = min(mins[i % 40], x); maxs[i % 40] = max(maxs[i % 40], x) }
        for scheme in [QuantizationScheme(.int8), QuantizationScheme(.uint8, symmetric: false, widenRangeToZero: false),
                       QuantizationScheme(.int4, symmetric: false)] {
            let p = Scales.params(scheme, mins: mins[...], maxs: maxs[...])
            #expect(p.simple == (scheme.symmetric && !zeroColumn))
            let (fast, slow) = v.withUnsafeBufferPointer { b in
                (ErrorKernels.quantize(b.baseAddress!, lo: 0, hi: v.count, layout: layout, params: p, checked: false),
                 ErrorKernels.quantize(b.baseAddress!, lo: 0, hi: v.count, layout: layout, params: p, checked: true))
            }
            #expect(fast.clipped == slow.clipped, "\(scheme.label)")
            #expect(abs(fast.noise - slow.noise) <= 1e-12 * slow.noise, "\(scheme.label)")
            #expect(fast.maxErrSq == slow.maxErrSq, "\(scheme.label)")
        }
    }
}
