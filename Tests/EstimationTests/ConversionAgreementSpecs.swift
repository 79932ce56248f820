import Compression
import Estimation
import Manifest
import ModelFormats
import Testing

/// A target's estimate speaks of the artifact the converter writes for it: dynamic quantization's nodes in
/// the size, the prune scope's sparsity, and prune.skip apart from quantize.skip.
@Suite struct ConversionAgreementSpecs {
    func settings(_ optimize: String) throws -> EstimateSettings {
        let text = """
            slipway: 1
            model: {path: m.onnx}
            targets:
              cpu: {runtime: onnxruntime, format: onnx, optimize: \(optimize)}
            """
        let target = try #require(ManifestFile(text).documents.first?.manifest.targets.first)
        return try #require(EstimateSettings(target: target))
    }

    @Test func manifestSpellingsBecomeTheSettingsTheConverterUses() throws {
        let s = try settings("{quantize: {weights: int8, activations: dynamic, skip: [a]}, prune: {sparsity: 0.5, skip: [b]}}")
        #expect(s.dynamic && s.skip == ["a"] && s.pruneSkip == ["b"] && s.pruneScope == "per-tensor")
        #expect(try settings("{quantize: {weights: uint8, format: qoperator}}").dynamic)
        #expect(try !settings("{quantize: {weights: int8}}").dynamic)
        #expect(try settings("{quantize: {activations: dynamic}}").weights == .int8)
        #expect(try settings("{quantize: {weights: int8}, prune: {sparsity: 0.5, scope: global}}").pruneScope == "global")
        // Different settings, different cache entries.
        #expect(try settings("{quantize: {weights: int8, activations: dynamic}}").canonical
            != settings("{quantize: {weights: int8}}").canonical)
    }

    @Test func dynamicQuantizationsNodesAreCountedInTheSize() throws {
        let model = try ModelReader.read(path: Repository.path("examples/transformer-server/models/encoder.onnx"))
        let qdq = try ModelEstimator.estimate(model, settings: settings("{quantize: {weights: int8}}"))
        let dynamic = try ModelEstimator.estimate(model, settings: settings("{quantize: {weights: int8, activations: dynamic}}"))
        // The same codes and scales; the integer form writes more nodes (DynamicQuantizeLinear, Mul, Cast, Mul).
        #expect(qdq.tensorBytesAfter == dynamic.tensorBytesAfter)
        #expect(dynamic.modelBytesAfter > qdq.modelBytesAfter)
        #expect(qdq.modelBytesAfter > qdq.tensorBytesAfter + (qdq.modelBytesBefore - qdq.tensorBytesBefore))
    }

    @Test func perTensorScopeReportsThePerTensorFigures() throws {
        let model = try ModelReader.read(path: Repository.path("examples/transformer-server/models/encoder.onnx"))
        let perTensor = try ModelEstimator.estimate(model, settings: settings("{quantize: {weights: int8}, prune: {sparsity: 0.5}}"))
        let global = try ModelEstimator.estimate(
            model, settings: settings("{quantize: {weights: int8}, prune: {sparsity: 0.5, scope: global}}"))
        // Each tensor at ⌊0.5 · n⌋ zeros: exactly half of an even count; one threshold lands anywhere near it.
        #expect(perTensor.pruningSparsity == 0.5)
        #expect(global.pruningSparsity != nil && global.pruningThreshold != perTensor.pruningThreshold)
    }
}
