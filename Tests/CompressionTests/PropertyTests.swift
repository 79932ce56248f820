import Testing
@testable import Compression

@Suite struct Properties {
    /// Random tensors whose rows have very different ranges, in several layouts.
    static func randomTensors(seed: UInt64) -> [WeightTensor] {
        var rng = SeededGenerator(seed: seed)
        var out: [WeightTensor] = []
        for (i, (shape, axis)) in [([64, 3, 3, 3], 0), ([5, 7, 2, 2], 1), ([300, 17], 1), ([1, 1000], 0),
                                   ([33, 1], 0), ([8, 4096], 0)].enumerated() {
            let n = shape.reduce(1, *)
            let rowScale = (0..<shape[axis]).map { _ in Float.random(in: 0.01...3, using: &rng) }
            let inner = shape[(axis + 1)...].reduce(1, *)
            let v = (0..<n).map { e in rng.gaussian(rowScale[(e / inner) % shape[axis]]) }
            out.append(WeightTensor(name: "t\(i)", shape: shape, channelAxis: axis,
                                    reductionAxis: axis == 0 ? shape.count - 1 : 0, values: .array(v)))
        }
        return out
    }

    @Test(arguments: [QuantizationType.int8, .uint8, .int4, .uint4])
    func perChannelIsNeverWorseThanPerTensor(type: QuantizationType) throws {
        for sym in [true, false] {
            let r = try analyze(Self.randomTensors(seed: 42), [
                QuantizationScheme(type, symmetric: sym), QuantizationScheme(type, symmetric: sym, granularity: .perChannel),
            ])
            for t in r.tensors {
                // nil is exact: one value per channel ([33, 1]) is always on its grid.
                let a = try #require(t.schemes[0].sqnrDB), b = t.schemes[1].sqnrDB ?? .infinity
                // Asymmetric grids can shift by one rounding of z: allow a hair.
                #expect(b >= a - (sym ? 1e-9 : 0.05), "\(t.name) \(type) sym=\(sym)")
            }
        }
    }

    @Test func moreBitsMeanMoreSQNR() throws {
        let r = try analyze(Self.randomTensors(seed: 9), [QuantizationScheme(.int4), int8PerTensor,
                                                          QuantizationScheme(.float16)])
        for t in r.tensors {
            #expect((t.schemes[0].sqnrDB ?? .infinity) < (t.schemes[1].sqnrDB ?? .infinity))
            #expect((t.schemes[1].sqnrDB ?? .infinity) < (t.schemes[2].sqnrDB ?? .infinity))
        }
    }

    @Test func resultsDoNotDependOnThreadsChunksOrSource() throws {
        let tensors = Self.randomTensors(seed: 1)
        let schemes = [int8PerChannel, QuantizationScheme(.uint4, symmetric: false, granularity: .perBlock(size: 32)),
                       QuantizationScheme(.bfloat16)]
        let pruning = PruningOptions(targetSparsity: 0.5, threshold: 0.1)
        let base = try analyze(tensors, schemes, pruning: pruning, workers: 1, chunk: 1 << 20)
        let parallel = try analyze(tensors, schemes, pruning: pruning, workers: 2, chunk: 1 << 20)
        #expect(base == parallel)
        // Other chunkings sum in another order: equal up to rounding.
        let chunked = try analyze(tensors.map { t in
            var c = t
            if case .array(let a) = t.values {
                c.values = .chunks(count: a.count) { range, dst in
                    for (i, j) in range.enumerated() { dst[i] = a[j] }
                }
            }
            return c
        }, schemes, pruning: pruning, workers: 2, chunk: 1024)
        for (x, y) in zip(base.tensors, chunked.tensors) {
            for (a, b) in zip(x.schemes, y.schemes) { #expect(close(a.sqnrDB, b.sqnrDB, 1e-12)) }
            #expect(x.pruning?.perTensor.threshold == y.pruning?.perTensor.threshold)
            #expect(x.pruning?.nm.map(\.groups) == y.pruning?.nm.map(\.groups))
        }
        #expect(base.pruning?.global.threshold == chunked.pruning?.global.threshold)
    }

    @Test func simdPathsAgreeWithTheScalarPath() throws {
        // A NaN sends its chunk down the scalar path; the other chunks stay vectorised. One huge chunk with
        // the NaN gives the scalar figure for everything else.
        var rng = SeededGenerator(seed: 8)
        let v = (0..<20_000).map { _ in rng.gaussian(0.1) }
        let schemes = [int8PerChannel, QuantizationScheme(.uint8, symmetric: false, granularity: .perBlock(size: 16))]
        let fast = try analyze([tensor([100, 200], v, reductionAxis: 1)], schemes)
        let slow = try analyze([tensor([100, 200], v + [.nan], name: "w")].map { t in
            var t = t
            t.shape = [20_001]
            return t
        }, [int8PerTensor])
        let fastTensor = try analyze([tensor([20_000], v)], [int8PerTensor])
        #expect(close(slow.tensors[0].schemes[0].noiseSumSquares, fastTensor.tensors[0].schemes[0].noiseSumSquares, 1e-12))
        #expect(fast.tensors[0].schemes.allSatisfy { $0.sqnrDB != nil })
    }

    @Test func aggregateAndWeightedTotals() throws {
        let r = try analyze(Self.randomTensors(seed: 4), [int8PerTensor])
        let t = r.totals[0]
        let signal = r.tensors.reduce(0.0) { $0 + $1.signalSumSquares }
        let noise = r.tensors.reduce(0.0) { $0 + $1.schemes[0].noiseSumSquares }
        #expect(close(t.sqnrDBAggregate, db(signal: signal, noise: noise)))
        let w = r.tensors.reduce(0.0) { $0 + Double($1.elements) * ($1.schemes[0].sqnrDB ?? 0) }
        #expect(close(t.sqnrDBWeighted, w / Double(r.parameters)))
        #expect(t.sqnrDBMin == r.tensors.compactMap { $0.schemes[0].sqnrDB }.min())
        #expect(t.worst.count == 3)
        #expect(t.worst.map(\.sqnrDB) == t.worst.map(\.sqnrDB).sorted())
        #expect(t.bytesBefore == r.parameters * 4)
    }
}

@Suite struct PerBlockEqualsPerChannel {
    /// One block spanning the whole reduction axis is one scale per output channel: the per-block path
    /// (scales computed chunk by chunk) must give exactly the per-channel figures.
    @Test(arguments: [(0, [96, 40]), (1, [40, 96]), (1, [6, 48, 5])])
    func wholeAxisBlocksArePerChannel(reduction: Int, shape: [Int]) throws {
        var rng = SeededGenerator(seed: 21)
        var v = (0..<shape.reduce(1, *)).map { _ in rng.gaussian(Float.random(in: 0.1...2, using: &rng)) }
        v[17] = .nan  // one chunk takes the scalar path
        let channel = shape.count == 2 ? 1 - reduction : 0
        let t = WeightTensor(name: "w", shape: shape, channelAxis: channel, reductionAxis: reduction, values: .array(v))
        for sym in [true, false] {
            let r = try analyze([t], [
                QuantizationScheme(.int4, symmetric: sym, granularity: .perBlock(size: shape[reduction])),
                QuantizationScheme(.int4, symmetric: sym, granularity: .perChannel),
            ], pruning: PruningOptions(patterns: [.twoFour]), chunk: 1024)
            let a = r.tensors[0].schemes[0], b = r.tensors[0].schemes[1]
            if shape.count == 2 {
                #expect(close(a.noiseSumSquares, b.noiseSumSquares, 1e-12))
                #expect(a.scales?.min == b.scales?.min)
                #expect(a.scales?.max == b.scales?.max)
                #expect(a.clippedFraction == b.clippedFraction)
            }
            #expect(a.scales?.groups == shape.reduce(1, *) / shape[reduction])
        }
    }
}
