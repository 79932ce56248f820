import Testing
@testable import Compression

@Test func quantizationTypeNamesAreTheCLIContract() {
    #expect(QuantizationType.allCases.map(\.rawValue) == ["int8", "uint8", "int4", "uint4", "float16", "bfloat16"])
}

@Suite struct SymmetricQuantization {
    @Test func roundsHalfToEvenLikeQuantizeLinear() throws {
        // max|x| = 127 gives s = 1: 0.5 → 0, 1.5 → 2, 2.5 → 2 — each off by 0.5.
        let r = try analyze([tensor([2, 2], [127, 0.5, 1.5, 2.5])], [int8PerTensor])
        let s = try #require(r.tensors.first?.schemes.first)
        #expect(s.scale == 1)
        #expect(s.noiseSumSquares == 0.75)
        #expect(close(s.sqnrDB, db(signal: 127 * 127 + 0.25 + 2.25 + 6.25, noise: 0.75)))
        #expect(s.maxAbsError == 0.5)
        #expect(s.clippedFraction == 0)
        #expect(s.mse == 0.75 / 4)
    }

    @Test func valuesOnTheGridAreExactAndSQNRIsNull() throws {
        let step: Float = 0.5
        let r = try analyze([tensor([1, 4], [127 * step, -127 * step, 0, 3 * step])], [int8PerTensor])
        #expect(r.tensors[0].schemes[0].sqnrDB == nil)
        #expect(r.tensors[0].schemes[0].noiseSumSquares == 0)
        #expect(r.totals[0].exactTensors == 1)
        #expect(r.totals[0].sqnrDBAggregate == nil)
    }

    @Test func allZeroTensorHasScaleZeroAndNoError() throws {
        let r = try analyze([tensor([3, 3], [Float](repeating: 0, count: 9))], [int8PerTensor, int8PerChannel])
        #expect(r.tensors[0].schemes[0].scale == 0)
        #expect(r.tensors[0].schemes[0].sqnrDB == nil)
        #expect(r.tensors[0].schemes[1].scales?.exactGroups == 3)
        #expect(r.tensors[0].zeros == 9)
    }

    @Test func perChannelGivesEachOutputChannelItsOwnScale() throws {
        // Row 0 spans ±127, row 1 ±1.27: per channel both rows are on their grids, per tensor row 1 is not.
        let r = try analyze([tensor([2, 2], [127, -127, 1.27, 0.635])], [int8PerTensor, int8PerChannel])
        let perChannel = r.tensors[0].schemes[1]
        #expect(perChannel.scales?.groups == 2)
        #expect(perChannel.scales?.max == 1)
        #expect(close(perChannel.scales?.min, Double(Float(1.27)) / 127))
        #expect(perChannel.noiseSumSquares < r.tensors[0].schemes[0].noiseSumSquares)
    }

    @Test func channelAxisCanBeTheLastAxis() throws {
        // MatMul weights [K, N]: the channel is the column. Column 0 = [127, −127] is on its grid (s = 1);
        // column 1 = [1, 0.25] has s = 1/127 and 0.25 · 127 = 31.75 → 32, off by 0.25/127.
        let r = try analyze([tensor([2, 2], [127, 1, -127, 0.25], channelAxis: 1)], [int8PerChannel])
        let s = r.tensors[0].schemes[0]
        #expect(s.scales?.max == 1)
        #expect(close(s.scales?.min, 1.0 / 127))
        #expect(close(s.noiseSumSquares, pow2(0.25 / 127), 1e-9))
    }

    @Test func reduceRangeUsesSevenBits() throws {
        let r = try analyze([tensor([1, 2], [63, 0.5])], [QuantizationScheme(.int8, reduceRange: true)])
        #expect(r.tensors[0].schemes[0].scale == 1)
        #expect(r.tensors[0].schemes[0].noiseSumSquares == 0.25)
    }

    @Test func int4UsesPlusMinusSevenAndPacksTwoPerByte() throws {
        let r = try analyze([tensor([4, 3], [Float](repeating: 7, count: 12))],
                            [QuantizationScheme(.int4, granularity: .perChannel)])
        let s = r.tensors[0].schemes[0]
        #expect(s.scales?.max == 1)
        #expect(s.bytesAfter == 6 + 4 * 4)  // 12 codes of 4 bits, 4 float32 scales, no zero points
        #expect(r.tensors[0].bytesBefore == 48)
    }

    @Test func unsignedSymmetricCentresOn128AndStoresZeroPoints() throws {
        let r = try analyze([tensor([1, 2], [127, -127])], [QuantizationScheme(.uint8)])
        #expect(r.tensors[0].schemes[0].zeroPoint == 128)
        #expect(r.tensors[0].schemes[0].sqnrDB == nil)
        #expect(r.tensors[0].schemes[0].bytesAfter == 2 + 4 + 1)
    }
}

@Suite struct AsymmetricQuantization {
    @Test func zeroPointIsRoundedAndNotClippedWithoutWidening() throws {
        // [1, 4]: s = 3/255, z = round(−1 / s) = −85 (outside uint8, as the reference's scheme (c)); exact.
        let scheme = QuantizationScheme(.uint8, symmetric: false, widenRangeToZero: false)
        let r = try analyze([tensor([1, 4], [1, 2, 3, 4])], [scheme])
        let s = r.tensors[0].schemes[0]
        #expect(s.zeroPoint == -85)
        #expect(close(s.scale, 3.0 / 255))
        #expect(s.sqnrDB == nil)
    }

    @Test func wideningToZeroKeepsZeroPointInRange() throws {
        // [1, 4] widened to [0, 4]: s = 4/255, z = 0; x/s = 63.75, 127.5, 191.25, 255 → 64, 128, 191, 255.
        let r = try analyze([tensor([1, 4], [1, 2, 3, 4])], [QuantizationScheme(.uint8, symmetric: false)])
        let s = r.tensors[0].schemes[0]
        #expect(s.zeroPoint == 0)
        let sc = 4.0 / 255
        let noise = [(1.0, 64.0), (2, 128), (3, 191), (4, 255)].reduce(0.0) { $0 + pow2($1.0 - $1.1 * sc) }
        #expect(close(s.noiseSumSquares, noise, 1e-12))
        #expect(s.bytesAfter == 4 + 4 + 1)
    }

    @Test func signedAsymmetricUsesMinus128To127() throws {
        let r = try analyze([tensor([1, 2], [-128, 127])], [QuantizationScheme(.int8, symmetric: false)])
        #expect(r.tensors[0].schemes[0].scale == 1)
        #expect(r.tensors[0].schemes[0].zeroPoint == 0)
        #expect(r.tensors[0].schemes[0].sqnrDB == nil)
    }

    @Test func allEqualTensorIsExact() throws {
        let r = try analyze([tensor([2, 2], [3, 3, 3, 3])],
                            [QuantizationScheme(.uint8, symmetric: false, widenRangeToZero: false)])
        #expect(r.tensors[0].schemes[0].scale == 0)
        #expect(r.tensors[0].schemes[0].sqnrDB == nil)
    }
}

@Suite struct PerBlockQuantization {
    @Test func blocksRunAlongTheReductionAxis() throws {
        // [2, 8], reduction axis 1, blocks of 4: four groups, each scaled to its own max.
        let v: [Float] = [127, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]
        let r = try analyze([tensor([2, 8], v, reductionAxis: 1)],
                            [QuantizationScheme(.int8, granularity: .perBlock(size: 4))])
        let s = r.tensors[0].schemes[0]
        #expect(s.scales?.groups == 4)
        #expect(s.sqnrDB == nil)
        #expect(s.bytesAfter == 16 + 4 * 4)
    }

    @Test func blocksAlongAnAxisWithInnerDimensions() throws {
        // [4, 2], reduction axis 0, blocks of 2: groups (rows 0–1, col c) and (rows 2–3, col c).
        let v: [Float] = [127, 1, 1, 2, 3, 4, 3, 4]
        let r = try analyze([tensor([4, 2], v, channelAxis: 1, reductionAxis: 0)],
                            [QuantizationScheme(.int8, granularity: .perBlock(size: 2))])
        let s = r.tensors[0].schemes[0]
        #expect(s.scales?.groups == 4)
        #expect(s.scales?.max == 1)
        #expect(close(s.scales?.min, 2.0 / 127))
    }

    @Test func lastBlockMayBeShort() throws {
        let r = try analyze([tensor([1, 5], [1, 2, 3, 4, 5], reductionAxis: 1)],
                            [QuantizationScheme(.int4, granularity: .perBlock(size: 2))])
        #expect(r.tensors[0].schemes[0].scales?.groups == 3)
    }
}

@Suite struct FloatCasts {
    @Test func float16CountsOverflowUnderflowAndSubnormals() throws {
        let r = try analyze([tensor([1, 4], [70000, 1e-8, 1e-6, 1])], [QuantizationScheme(.float16)])
        let s = r.tensors[0].schemes[0]
        #expect(s.overflow == 1)
        #expect(s.underflow == 1)
        #expect(s.subnormal == 1)
        #expect(s.bytesAfter == 8)
        #expect(s.clippedFraction == 0.25)
        // The overflowing value counts as saturated at 65504.
        #expect(s.maxAbsError == 70000 - 65504)
    }

    @Test func bfloat16RoundsHalfToEven() throws {
        // 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷: it rounds to 1 (even).
        let x: Float = 1 + 1.0 / 256
        let r = try analyze([tensor([1, 2], [x, 2])], [QuantizationScheme(.bfloat16)])
        #expect(r.tensors[0].schemes[0].maxAbsError == 1.0 / 256)
        #expect(r.tensors[0].schemes[0].overflow == 0)
    }
}

@Suite struct MalformedInput {
    @Test func nonFiniteValuesAreCountedAndLeftOut() throws {
        let r = try analyze([tensor([2, 2], [127, .nan, -127, .infinity])], [int8PerTensor, int8PerChannel])
        let t = r.tensors[0]
        #expect(t.nonFinite == 2)
        #expect(t.schemes[0].scale == 1)
        #expect(t.schemes[0].sqnrDB == nil)
        #expect(t.signalSumSquares == 2 * 127 * 127)
        #expect(r.findings.contains { $0.kind == .nonFiniteValues })
    }

    @Test func shapeMismatchAndEmptyTensorsAreSkippedWithAReason() throws {
        let r = try analyze([tensor([2, 3], [1, 2], name: "bad"), tensor([0, 3], [], name: "empty"), tensor([1, 1], [1], name: "ok")],
                            [int8PerTensor])
        #expect(r.tensors.map(\.name) == ["ok"])
        #expect(r.skipped.map(\.reason) == [.shapeMismatch(shapeElements: 6, values: 2), .empty])
    }

    @Test func negativeDimensionIsAShapeMismatch() throws {
        let r = try analyze([tensor([-1, 2], [1, 2], name: "neg")], [int8PerTensor])
        #expect(r.skipped.first?.reason == .shapeMismatch(shapeElements: nil, values: 2))
    }

    @Test func outOfRangeAxisFallsBackWithANote() throws {
        let r = try analyze([tensor([2, 2], [1, 2, 3, 4], channelAxis: 5)], [int8PerChannel])
        #expect(r.tensors[0].channelAxis == 0)
        #expect(r.tensors[0].schemes[0].fallback != nil)
    }

    @Test func invalidOptionsThrow() {
        #expect(throws: CompressionError.invalidBlockSize(0)) {
            try analyze([], [QuantizationScheme(.int4, granularity: .perBlock(size: 0))])
        }
        #expect(throws: CompressionError.invalidSparsity(1.5)) {
            try analyze([], [int8PerTensor], pruning: PruningOptions(targetSparsity: 1.5))
        }
        #expect(throws: CompressionError.noSchemes) { try analyze([], []) }
    }

    @Test func failingChunkSourceSkipsTheTensor() throws {
        struct ReadError: Error {}
        let t = WeightTensor(name: "broken", shape: [4], values: .chunks(count: 4) { _, _ in throw ReadError() })
        let r = try analyze([t], [int8PerTensor])
        #expect(r.tensors.isEmpty)
        #expect(r.skipped.first?.reason.code == "read_failed")
    }
}

func pow2(_ x: Double) -> Double { x * x }
