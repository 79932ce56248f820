import Testing
@testable import Compression

@Suite struct MagnitudePruning {
    let noPatterns = PruningOptions(targetSparsity: 0.5, patterns: [])

    @Test func thresholdIsTheMedianMagnitude() throws {
        // |x| = 1…10: k = ⌊0.5 · 10⌋ = 5, sorted[5] = 6; zeroing |x| < 6 removes five values.
        let v: [Float] = [3, -7, 1, 10, -2, 6, 9, -4, 8, 5]
        let r = try analyze([tensor([2, 5], v)], [int8PerTensor], pruning: noPatterns)
        let p = try #require(r.tensors[0].pruning)
        #expect(p.perTensor.threshold == 6)
        #expect(p.perTensor.sparsity == 0.5)
        #expect(close(p.perTensor.energyRetained, Double(36 + 49 + 64 + 81 + 100) / 385))
    }

    @Test func zerosCountAsPrunedAndAZeroThresholdPrunesNothingElse() throws {
        let r = try analyze([tensor([1, 4], [0, 0, 0, 1])], [int8PerTensor], pruning: noPatterns)
        let p = try #require(r.tensors[0].pruning)
        #expect(p.perTensor.threshold == 0)
        #expect(p.perTensor.sparsity == 0.75)
        #expect(p.perTensor.energyRetained == 1)
    }

    @Test func globalThresholdRanksAllTensorsTogether() throws {
        let a = tensor([1, 4], [1, 2, 3, 4], name: "a"), b = tensor([1, 4], [10, 20, 30, 40], name: "b")
        let r = try analyze([a, b], [int8PerTensor], pruning: noPatterns)
        let g = try #require(r.pruning)
        #expect(g.global.threshold == 10)  // sorted[4] of 1,2,3,4,10,20,30,40
        #expect(g.global.sparsity == 0.5)
        #expect(r.tensors[0].pruning?.atGlobalThreshold?.sparsity == 1)
        #expect(r.tensors[1].pruning?.atGlobalThreshold?.sparsity == 0)
        #expect(r.tensors[0].pruning?.perTensor.threshold == 3)
        #expect(r.tensors[1].pruning?.perTensor.threshold == 30)
        #expect(g.perTensorSparsity == 0.5)
        #expect(close(g.perTensorThresholdWeighted, 16.5))
    }

    @Test func aGivenThresholdReportsItsSparsityAndEnergy() throws {
        let r = try analyze([tensor([1, 4], [1, -2, 3, -4])], [int8PerTensor],
                            pruning: PruningOptions(threshold: 2.5, patterns: []))
        let g = try #require(r.tensors[0].pruning?.atGivenThreshold)
        #expect(g.sparsity == 0.5)
        #expect(close(g.energyRetained, 25.0 / 30))
        #expect(r.pruning?.given?.sparsity == 0.5)
    }

    @Test func sparsityAtTheThresholdMatchesTheTargetWithinOneOverN() throws {
        var rng = SeededGenerator(seed: 7)
        for (n, target) in [(1, 0.5), (7, 0.3), (1000, 0.5), (70_001, 0.9), (250_000, 0.125)] {
            let v = (0..<n).map { _ in rng.gaussian(0.02) }
            let r = try analyze([tensor([1, n], v)], [int8PerTensor],
                                pruning: PruningOptions(targetSparsity: target, patterns: []), chunk: 4096)
            let p = try #require(r.tensors[0].pruning?.perTensor)
            #expect(abs(p.sparsity - target) <= 1.0 / Double(n) + 1e-12, "n = \(n)")
            let k = min(Int(target * Double(n)), n - 1)
            #expect(p.threshold == v.map(abs).sorted()[k], "n = \(n)")
        }
    }

    @Test func exactQuantileWithManyTies() throws {
        // Values from a small set (as in an already-quantised model) put many equal magnitudes in one bucket.
        var rng = SeededGenerator(seed: 3)
        let levels: [Float] = [0, 0.25, -0.25, 0.5, 0.5000001, -1, 1.0000001]
        let v = (0..<30_000).map { _ in levels[Int.random(in: 0..<levels.count, using: &rng)] }
        let r = try analyze([tensor([3, 10_000], v)], [int8PerTensor],
                            pruning: PruningOptions(targetSparsity: 0.6, patterns: []), chunk: 2048)
        let sorted = v.map(abs).sorted()
        #expect(r.tensors[0].pruning?.perTensor.threshold == sorted[18_000])
        let below = sorted.filter { $0 < sorted[18_000] || $0 == 0 }.count
        #expect(r.tensors[0].pruning?.perTensor.sparsity == Double(below) / 30_000)
    }

    @Test func selectionMatchesSortingOnRandomBitPatterns() {
        var rng = SeededGenerator(seed: 11)
        let prefix: UInt32 = 0x3F80_0000
        let c = (0..<5000).map { _ in prefix | UInt32.random(in: 0..<(1 << 20), using: &rng) }
        let sorted = c.sorted()
        for r in [0, 1, 2499, 4998, 4999] {
            let s = MagnitudeSelection.select(rank: r, among: c)
            #expect(s?.bits == sorted[r])
            #expect(s?.less == sorted.firstIndex(of: sorted[r]))
        }
        #expect(MagnitudeSelection.select(rank: 5000, among: c) == nil)
    }

    @Test func sparseSizesCountBitmaskAndCSR() throws {
        // [2, 4], half pruned → 4 non-zeros; bitmask 1 byte + 4·4; CSR 3 row pointers·4 + 4·(2 + 4).
        let r = try analyze([tensor([2, 4], [1, 2, 3, 4, 5, 6, 7, 8])], [int8PerTensor], pruning: noPatterns)
        let s = try #require(r.tensors[0].pruning?.sizes)
        #expect(s.dense == 32)
        #expect(s.bitmask == 1 + 16)
        #expect(s.csr == 12 + 24)
        #expect(s.bitmaskQuantized == 1 + 4 + 4)  // int8 codes, one float32 scale
        #expect(s.csrQuantized == 12 + 8 + 4 + 4)
    }
}

@Suite struct NMPatterns {
    @Test func twoFourAlongTheLastAxis() throws {
        // Row 0 has two non-zeros per four (compliant); row 1 has four. Enforcing 2:4 keeps 1 + 4 and 9 + 16.
        let r = try analyze([tensor([2, 4], [1, 0, 0, 2, 1, 2, 3, 4], reductionAxis: 1)], [int8PerTensor],
                            pruning: PruningOptions(patterns: [.twoFour]))
        let nm = try #require(r.tensors[0].pruning?.nm.first)
        #expect(nm.groups == 2)
        #expect(nm.compliantFraction == 0.5)
        #expect(close(nm.energyKept, 30.0 / 35))
    }

    @Test func groupsAlongAStridedReductionAxis() throws {
        // Gemm B [K = 4, N = 2], reduction axis 0: groups are the columns.
        let r = try analyze([tensor([4, 2], [1, 1, 0, 2, 0, 3, 2, 4], channelAxis: 1, reductionAxis: 0)],
                            [int8PerTensor], pruning: PruningOptions(patterns: [.twoFour]))
        let nm = try #require(r.tensors[0].pruning?.nm.first)
        #expect(nm.groups == 2)
        #expect(nm.compliantFraction == 0.5)  // column 0 = [1, 0, 0, 2]
        #expect(close(nm.energyKept, (1 + 4 + 9 + 16) / 35.0))
    }

    @Test func aShortLastGroupCountsMissingMembersAsZeros() throws {
        let r = try analyze([tensor([1, 6], [1, 2, 3, 4, 5, 6], reductionAxis: 1)], [int8PerTensor],
                            pruning: PruningOptions(patterns: [.twoFour]))
        let nm = try #require(r.tensors[0].pruning?.nm.first)
        #expect(nm.groups == 2)
        #expect(nm.compliantFraction == 0.5)
        #expect(close(nm.energyKept, (9 + 16 + 25 + 36) / 91.0))
    }

    @Test func chunkBoundariesNeverSplitAGroup() throws {
        var rng = SeededGenerator(seed: 5)
        let v = (0..<(6 * 3000)).map { _ in Float.random(in: -1...1, using: &rng) * (Bool.random(using: &rng) ? 0 : 1) }
        let opts = PruningOptions(patterns: [.twoFour, .fourEight])
        let small = try analyze([tensor([6, 3000], v, reductionAxis: 0)], [int8PerTensor], pruning: opts, chunk: 1024)
        let whole = try analyze([tensor([6, 3000], v, reductionAxis: 0)], [int8PerTensor], pruning: opts,
                                chunk: 1 << 20)
        #expect(small.tensors[0].pruning?.nm == whole.tensors[0].pruning?.nm)
    }
}

@Suite struct TwoLevelSelection {
    /// Forcing the bounded-memory path (second-level histograms, then a third pass) gives the same
    /// thresholds, sparsities and energies as collecting every value of the target buckets.
    @Test func thirdPassAgreesWithDirectCollection() throws {
        var rng = SeededGenerator(seed: 17)
        let levels: [Float] = [0, 0.25, -0.5, 0.5000001, 1]
        let tensors = [
            tensor([64, 300], (0..<19_200).map { _ in rng.gaussian(0.05) }, name: "a"),
            tensor([10, 1000], (0..<10_000).map { _ in levels[Int.random(in: 0..<5, using: &rng)] }, name: "ties"),
            tensor([3, 7], (0..<21).map { _ in rng.gaussian(2) }, name: "small"),
        ]
        var options = CompressionOptions(schemes: [int8PerChannel],
                                         pruning: PruningOptions(targetSparsity: 0.4, threshold: 0.01, patterns: []),
                                         workers: 2, chunkElements: 1024)
        let direct = try CompressionEngine.analyze(tensors, options: options)
        options.maxCandidates = 0
        let refined = try CompressionEngine.analyze(tensors, options: options)
        #expect(refined.pruning?.global.threshold == direct.pruning?.global.threshold)
        #expect(refined.pruning?.global.sparsity == direct.pruning?.global.sparsity)
        #expect(close(refined.pruning?.global.energyRetained, direct.pruning?.global.energyRetained, 1e-12))
        for (a, b) in zip(refined.tensors, direct.tensors) {
            let pa = try #require(a.pruning), pb = try #require(b.pruning)
            #expect(pa.perTensor.threshold == pb.perTensor.threshold, "\(a.name)")
            #expect(pa.perTensor.sparsity == pb.perTensor.sparsity, "\(a.name)")
            #expect(close(pa.perTensor.energyRetained, pb.perTensor.energyRetained, 1e-12), "\(a.name)")
            #expect(pa.atGlobalThreshold?.sparsity == pb.atGlobalThreshold?.sparsity, "\(a.name)")
            #expect(close(pa.atGlobalThreshold?.energyRetained, pb.atGlobalThreshold?.energyRetained, 1e-12))
            let sorted = tensors.first { $0.name == a.name }.map { t -> [Float] in
                if case .array(let v) = t.values { return v.map(abs).sorted() } else { return [] }
            } ?? []
            #expect(pa.perTensor.threshold == sorted[Int(0.4 * Double(sorted.count))], "\(a.name)")
        }
    }
}
