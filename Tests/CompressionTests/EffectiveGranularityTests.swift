import Testing

@testable import Compression

/// A block longer than the reduction axis would give every element its own scale: the tensor gets
/// per-channel scales instead, in the estimate and in what the converter writes alike.
@Suite struct EffectiveGranularitySpec {
    @Test func depthwiseWeightsFallBackToPerChannel() throws {
        // A depthwise convolution's weight [C, 1, kh, kw] reduces over axis 1, of length 1.
        let values = (0..<(4 * 9)).map { Float($0 % 7) - 3 }
        let t = tensor([4, 1, 3, 3], values, channelAxis: 0, reductionAxis: 1)
        let report = try analyze([t], [QuantizationScheme(.int4, granularity: .perBlock(size: 32))])
        let result = try #require(report.tensors.first?.schemes.first)
        #expect(result.scales?.groups == 4)
        #expect(result.fallback?.contains("per-channel scales used") == true)
    }

    @Test func longReductionAxesKeepTheirBlocks() throws {
        let values = (0..<(2 * 64)).map { Float($0 % 11) - 5 }
        let t = tensor([2, 64], values, channelAxis: 0, reductionAxis: 1)
        let report = try analyze([t], [QuantizationScheme(.int4, granularity: .perBlock(size: 32))])
        let result = try #require(report.tensors.first?.schemes.first)
        #expect(result.scales?.groups == 4)
        #expect(result.fallback == nil)
    }

    @Test func theRuleItself() {
        let e = Granularity.perBlock(size: 32).effective(dims: [8, 1, 3, 3], channelAxis: 0, reductionAxis: 1)
        #expect(e.granularity == .perChannel)
        #expect(e.axis == 0)
        let k = Granularity.perBlock(size: 32).effective(dims: [64, 128], channelAxis: 1, reductionAxis: 0)
        #expect(k.granularity == .perBlock(size: 32))
        #expect(k.axis == 0)
    }
}
