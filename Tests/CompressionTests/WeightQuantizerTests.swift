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
}
