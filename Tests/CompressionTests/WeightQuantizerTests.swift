import Testing

@testable import Compression

@Suite("WeightQuantizer: the codes a converter writes")
struct WeightQuantizerTests {
    func values(_ n: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in g.gaussian(0.1) }
    }

    /// SQNR of the written codes and scales, recomputed from them alone.
    func sqnr(_ x: [Float], _ q: QuantizedWeights, group: (Int) -> Int) -> Double {
        var signal = 0.0, noise = 0.0
        for (i, v) in x.enumerated() {
            let g = group(i)
            let r = Double(q.codes[i] - q.zeroPoints[g]) * Double(q.scales[g])
            signal += Double(v) * Double(v)
            noise += (Double(v) - r) * (Double(v) - r)
        }
        return 10 * Math.log10(signal / noise)
    }

    @Test("per-channel int8 codes have the SQNR the engine reports for the same tensor",
          arguments: [(QuantizationType.int8, true), (.uint8, false), (.uint8, true), (.int8, false)])
    func matchesEngine(type: QuantizationType, symmetric: Bool) throws {
        let x = values(64 * 24, seed: 3)
        let scheme = QuantizationScheme(type, symmetric: symmetric, granularity: .perChannel)
        let q = try x.withUnsafeBufferPointer { try WeightQuantizer.quantize($0, shape: [64, 24], scheme: scheme, axis: 0) }
        #expect(q.scaleShape == [64] && q.axis == 0)
        let report = try analyze([tensor([64, 24], x)], [scheme])
        let engine = try #require(report.tensors.first?.schemes.first?.sqnrDB)
        #expect(abs(sqnr(x, q) { $0 / 24 } - engine) < 0.01)
    }

    @Test("symmetric int8 uses the narrow range ±127 with zero point 0")
    func narrowRange() throws {
        let x: [Float] = [-1, -0.5, 0, 0.25, 1]
        let q = try x.withUnsafeBufferPointer {
            try WeightQuantizer.quantize($0, shape: [5], scheme: QuantizationScheme(.int8), axis: 0)
        }
        #expect(q.codes == [-127, -64, 0, 32, 127])  // -63.5 rounds half to even
        #expect(q.zeroPoints == [0] && q.scaleShape == [])
    }

    @Test("an all-zero channel is exact: scale 1, codes at the zero point")
    func zeroChannel() throws {
        let x: [Float] = [0, 0, 0, 1, -2, 0.5]
        let q = try x.withUnsafeBufferPointer {
            try WeightQuantizer.quantize($0, shape: [2, 3], scheme: QuantizationScheme(.int8, granularity: .perChannel), axis: 0)
        }
        #expect(q.scales[0] == 1 && Array(q.codes[0..<3]) == [0, 0, 0])
    }

    @Test("per-block scales have the tensor's shape with the blocked axis divided (DequantizeLinear block_size)")
    func blocks() throws {
        let x = values(8 * 70, seed: 5)
        let q = try x.withUnsafeBufferPointer {
            try WeightQuantizer.quantize($0, shape: [70, 8], scheme: QuantizationScheme(.int4, granularity: .perBlock(size: 32)), axis: 0)
        }
        #expect(q.scaleShape == [3, 8] && q.scales.count == 24)
        #expect(q.codes.allSatisfy { $0 >= -7 && $0 <= 7 })
        // Element (row 40, column 5) lies in block 1 of column 5.
        #expect(abs(sqnr(x, q) { i in (i / 8 / 32) * 8 + i % 8 }) > 15)
    }

    @Test("non-finite values and bad shapes are refused, never trapped on")
    func refusals() {
        #expect(throws: WeightQuantizer.Failure.nonFinite(count: 1)) {
            try [Float.nan, 1].withUnsafeBufferPointer { try WeightQuantizer.quantize($0, shape: [2], scheme: QuantizationScheme(.int8), axis: 0) }
        }
        #expect(throws: WeightQuantizer.Failure.self) {
            try [Float(1), 2].withUnsafeBufferPointer { try WeightQuantizer.quantize($0, shape: [3], scheme: QuantizationScheme(.int8), axis: 0) }
        }
        #expect(throws: WeightQuantizer.Failure.self) {
            try [Float(1), 2].withUnsafeBufferPointer { try WeightQuantizer.quantize($0, shape: [2], scheme: QuantizationScheme(.int8), axis: 3) }
        }
    }

    /// The reference's code, computed directly: round half to even of x / s in float64, + z, clipped.
    func referenceCodes(_ x: [Float], _ q: QuantizedWeights, lo: Double, hi: Double, group: (Int) -> Int) -> [Int32] {
        x.enumerated().map { i, v in
            let g = group(i)
            let s = Double(q.scales[g]), z = Double(q.zeroPoints[g])
            return Int32(Swift.min(Swift.max((Double(v) / s).rounded(.toNearestOrEven) + z, lo), hi))
        }
    }

    @Test("vectorised codes are the divided ones, ties to even included, and the byte form is their low byte",
          arguments: [(QuantizationType.int8, true, -127.0, 127.0), (.uint8, false, 0, 255), (.int8, false, -128, 127)])
    func vectorisedCodes(type: QuantizationType, symmetric: Bool, lo: Double, hi: Double) throws {
        // 37 × 29: runs that are not multiples of the vector width, per channel along either axis.
        let x = values(37 * 29, seed: 11)
        for axis in [0, 1] {
            let scheme = QuantizationScheme(type, symmetric: symmetric, granularity: .perChannel)
            let q = try x.withUnsafeBufferPointer { try WeightQuantizer.quantize($0, shape: [37, 29], scheme: scheme, axis: axis) }
            #expect(q.codes == referenceCodes(x, q, lo: lo, hi: hi) { axis == 0 ? $0 / 29 : $0 % 29 })
            var bytes = [UInt8](repeating: 0, count: x.count)
            _ = try x.withUnsafeBufferPointer { b in
                try bytes.withUnsafeMutableBufferPointer { try WeightQuantizer.quantize(b, shape: [37, 29], scheme: scheme, axis: axis, into: $0) }
            }
            #expect(bytes == q.codes.map { UInt8(truncatingIfNeeded: $0) })
        }
        // Exact half-integers of a power-of-two scale (2⁻⁷: max 127 · 2⁻⁷), 64 in a row: ties to even.
        let ties = (0..<64).map { Float($0 - 32) / 128 + 1.0 / 256 } + [Float(127) / 128]
        let t = try ties.withUnsafeBufferPointer { try WeightQuantizer.quantize($0, shape: [ties.count], scheme: QuantizationScheme(.int8), axis: 0) }
        #expect(t.scales == [Float(1) / 128])
        #expect(t.codes == referenceCodes(ties, t, lo: -127, hi: 127) { _ in 0 })
        #expect(t.codes[0] == -32 && t.codes[1] == -30)  // -31.5 → -32, -30.5 → -30
    }

    @Test("zero and non-finite counts cover every value, tails included")
    func counts() {
        var x = values(1003, seed: 2)
        x[0] = 0; x[500] = 0; x[1002] = 0; x[7] = .nan; x[1001] = -.infinity
        let c = x.withUnsafeBufferPointer { WeightQuantizer.counts($0) }
        #expect(c.zeros == 3 && c.nonFinite == 2)
    }

    @Test("reports of single tensors combine into the report analyze makes of the set, with the set's chunks")
    func combine() throws {
        let a = tensor([64, 40], values(64 * 40, seed: 7), name: "a"), b = tensor([33, 17], values(33 * 17, seed: 8), name: "b")
        let scheme = QuantizationScheme(.int8, granularity: .perChannel)
        var options = CompressionOptions(schemes: [scheme], pruning: nil, workers: 1, chunkElements: 256)
        options.chunkElements = CompressionEngine.chunkElements(total: a.values.count + b.values.count, options: options)
        let whole = try CompressionEngine.analyze([a, b], options: options)
        let parts = try [a, b].map { try CompressionEngine.analyze([$0], options: options) }
        let combined = try #require(CompressionEngine.combine(parts, options: options))
        #expect(combined.json == whole.json)
    }
}
