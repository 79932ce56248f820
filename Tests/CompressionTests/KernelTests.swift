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
