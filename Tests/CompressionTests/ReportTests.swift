import JSON
import Testing
@testable import Compression

@Suite struct ReportShape {
    @Test func jsonHasTheCLIContractKeys() throws {
        let tensors = [tensor([2, 2], [127, 0.5, 1.5, 2.5], name: "a"), tensor([1, 2], [1, -1], name: "exact")]
        let r = try CompressionEngine.analyze(tensors, skipped: [SkippedTensor(name: "b", reason: .rankBelowMinimum(rank: 1, minimum: 2))],
                                              options: CompressionOptions(schemes: [int8PerTensor]))
        let j = try JSONValue.parse(r.json.serialized())
        #expect(j["tensors"]?[0]?["name"] == "a")
        #expect(j["tensors"]?[0]?["elements"] == 4)
        #expect(j["tensors"]?[0]?["scale"] == 1)
        #expect(j["tensors"]?[1]?["sqnr_db"] == .null)
        for key in ["parameters", "sqnr_db_aggregate", "sqnr_db_weighted", "sqnr_db_min", "bytes_before", "bytes_after"] {
            #expect(j["total"]?[key] != nil, "total.\(key)")
        }
        #expect(j["total"]?["parameters"] == 6)
        #expect(j["total"]?["bytes_before"] == 24)
        #expect(j["total"]?["bytes_after"] == 14)  // int8 codes, one float32 scale each
        for key in ["threshold", "sparsity", "energy_retained"] { #expect(j["pruning"]?[key] != nil, "pruning.\(key)") }
        #expect(j["skipped"]?[0]?["reason"] == "rank_below_minimum")
    }

    @Test func perChannelScaleIsASummary() throws {
        let r = try analyze([tensor([2, 2], [127, -127, 1.27, 0.635])], [int8PerChannel])
        #expect(r.tensors[0].json["scale"]?["groups"] == 2)
    }
}

@Suite struct Findings {
    /// Row 0 has one outlier: per tensor (int8: 17 dB) the other rows drown in it, per channel they do not.
    static let outlier: [WeightTensor] = {
        var rng = SeededGenerator(seed: 2)
        var v = (0..<4096).map { _ in rng.gaussian(0.3) }
        v[0] = 50
        let small = (0..<4096).map { _ in rng.gaussian(0.5) }
        return [tensor([64, 64], v, name: "outlier"), tensor([64, 64], small, name: "plain"),
                tensor([4, 4], [Float](repeating: 0, count: 15) + [1], name: "sparse")]
    }()

    @Test func perChannelAdviceNamesTheWorstTensor() throws {
        let r = try analyze(Self.outlier, [int8PerTensor, int8PerChannel])
        let f = try #require(r.findings.first { $0.kind == .betterScheme })
        #expect(f.tensors == ["outlier"])
        #expect(f.alternative == "int8-sym-per-channel")
        #expect((f.toDB ?? 0) > (f.fromDB ?? 0) + 3)
    }

    @Test func int4AdviceAsksForBlocks() throws {
        // One outlier in every row: a per-channel int4 scale zeroes the rest of the row, blocks of 8 do not.
        var rng = SeededGenerator(seed: 6)
        var v = (0..<4096).map { _ in rng.gaussian(0.3) }
        for row in 0..<64 { v[row * 64 + (row * 7) % 64] = 20 }
        let r = try analyze([tensor([64, 64], v, name: "spiky", reductionAxis: 1)],
                            [QuantizationScheme(.int4, granularity: .perChannel),
                             QuantizationScheme(.int4, granularity: .perBlock(size: 8))])
        #expect(r.findings.contains { $0.kind == .int4NeedsPerBlock })
    }

    @Test func lossyTensorsAreKeptInFloatAndSparseOnesAreNoticed() throws {
        let r = try analyze(Self.outlier, [int8PerTensor])
        let keep = try #require(r.findings.first { $0.kind == .keepInFloat })
        #expect(keep.tensors == ["outlier"])
        #expect((keep.toDB ?? 0) > (keep.fromDB ?? 0))
        let sparse = try #require(r.findings.first { $0.kind == .alreadySparse })
        #expect(sparse.tensors == ["sparse"])
        #expect(sparse.value == 15.0 / 16)
    }

    @Test func oneValuePerChannelIsExactButNotAlreadyQuantized() throws {
        // 127 · k: each channel's scale is k, its one value exactly 127 codes.
        let r = try analyze([tensor([33, 1], (1...33).map { Float(127 * $0) })], [int8PerChannel])
        #expect(r.tensors[0].schemes[0].sqnrDB == nil)
        #expect(!r.findings.contains { $0.kind == .alreadyQuantized })
    }

    @Test func valuesOnTheGridMeanAlreadyQuantized() throws {
        let grid = (0..<256).map { Float($0 - 128) * 0.125 }.filter { $0 != -16 }
        let r = try analyze([tensor([1, grid.count], grid)], [int8PerTensor])
        let f = try #require(r.findings.first { $0.kind == .alreadyQuantized })
        #expect(f.message.contains("model is already quantized"))
    }
}

@Suite struct AdviceComparisons {
    @Test func perTensorAddsPerChannelAndInt4AddsBlocks() {
        #expect(QuantizationScheme(.int8).adviceComparisons == [QuantizationScheme(.int8, granularity: .perChannel)])
        #expect(QuantizationScheme(.int4, granularity: .perChannel).adviceComparisons
            == [QuantizationScheme(.int4, granularity: .perBlock(size: 32))])
        #expect(QuantizationScheme(.float16).adviceComparisons.isEmpty)
    }
}
