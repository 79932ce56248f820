import Diagnostics
import Manifest
import ModelFormats
import TestSupport
import Testing

@testable import Targets

let derived = "Tests/Fixtures/catalogue/"

/// The tables scripts/catalogue/derive_tflite.py derives from LiteRT's and TFLite Micro's sources, and the model's
/// own declarations, on the models scripts/catalogue/make_catalogue_fixtures.py writes with TensorFlow's converter.
@Suite struct DerivedTablesSpec {
    @Test func resourceVariablesNeedLiteRT26() {
        #expect(targetIssues("targets: {t: {runtime: ⟦litert@1.15⟧}}\n", model: derived + "variables.tflite", [
            Expected(.operatorUnsupported, "5 operators cannot run: CALL_ONCE '#0' (version 1 needs LiteRT 2.5.0 or later); VAR_HANDLE 'total' (version 1 needs LiteRT 2.6.0 or later); READ_VARIABLE 'AssignAddVariableOp' (version 1 needs LiteRT 2.6.0 or later); ASSIGN_VARIABLE '#4' (version 1 needs LiteRT 2.6.0 or later); READ_VARIABLE 'Read/ReadVariableOp' (version 1 needs LiteRT 2.6.0 or later)"),
        ]) == [])
        #expect(targetIssues("targets: {t: {runtime: litert@2.6}}\n", model: derived + "variables.tflite", []) == [])
    }

    @Test func theModelsOwnMinRuntimeVersionIsARequirement() {
        #expect(targetIssues("targets: {t: {runtime: ⟦litert@2.6⟧}}\n", model: derived + "declares_2_9.tflite", [
            Expected(.operatorUnsupported, "the model declares min_runtime_version 2.9.0 (its newest operator version needs it), but the target pins LiteRT 2.6; use litert@2.9.0 or later"),
        ]) == [])
        #expect(targetIssues("targets: {t: {runtime: litert@2.9}}\n", model: derived + "declares_2_9.tflite", []) == [])
    }

    @Test func theRuntimeVersionTableCoversEveryBuiltinTheSourceLists() throws {
        #expect(catalogue.tfliteOpVersions.count == 173)
        #expect(catalogue.tfliteOpVersions["VAR_HANDLE"] == [1: "2.6.0"])
        #expect(catalogue.tfliteOpVersions["FULLY_CONNECTED"]?[12] == "2.17.0")
        let src = try #require(catalogue.source(catalogue.tfliteOpVersionsSource))
        #expect(src.url.hasPrefix("https://github.com/google-ai-edge/LiteRT/blob/f67457790c9c2ab67347d6fe53270e8d3df20868/"))
    }

    @Test func tfliteMicroRunsAttentionOperatorsInItsResolver() throws {
        let micro = try #require(catalogue.operatorSets.first { $0.id == "tflite-micro" })
        for op in ["BATCH_MATMUL", "DIV", "SQUARED_DIFFERENCE", "SELECT_V2", "REVERSE_V2", "EMBEDDING_LOOKUP"] {
            #expect(micro.contains(op), "\(op)")
        }
        #expect(micro.operators.count == 100)
        // The full-integer model's operators are all in the resolver: no SW4004.
        let m = try Repo.model(derived + "attention_int8.tflite")
        let rt = try #require(catalogue.runtime("tflite-micro"))
        let r = Coverage.check(model: m, runtime: rt, version: nil, delegate: nil, catalogue: catalogue, analysis: nil)
        #expect(r.refused.map(\.name) == [])
        // Its DIV runs in float between a DEQUANTIZE and a QUANTIZE; the model is still full integer: no SW4008.
        #expect(targetIssues("targets: {t: {runtime: tflite-micro}}\n", model: derived + "attention_int8.tflite", []) == [])
    }

    @Test func tfliteMicroRefusesHybridQuantization() {
        #expect(targetIssues("targets: {t: {runtime: ⟦tflite-micro⟧}}\n", model: derived + "attention_hybrid.tflite", [
            Expected(.quantizationUnsupported, "the model is dynamic-range (hybrid) quantized: int8 weights with float activations, which LiteRT for Microcontrollers refuses (no hybrid kernels); quantize activations to int8 too, with calibration data"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: ⟦int8⟧}}\ntargets: {t: {runtime: tflite-micro}}\n", model: nil, [
            Expected(.quantizationUnsupported, "the manifest asks for int8 weights with float activations, which LiteRT for Microcontrollers refuses (no hybrid kernels); quantize activations to int8 too, with calibration data"),
        ]) == [])
    }

    @Test func theGPUDelegateParsesSplitAndTile() throws {
        let gpu = try #require(catalogue.operatorSets.first { $0.id == "litert-gpu" })
        #expect(gpu.contains("SPLIT") && gpu.contains("TILE") && gpu.contains("GELU"))
        #expect(gpu.operators.count == 80)
        #expect(gpu.maxVersions["RESHAPE"] == 1)
        #expect(gpu.maxVersions["MUL"] == 3)
        #expect(targetIssues("targets: {t: {runtime: litert, delegate: gpu}}\n", model: derived + "split_tile.tflite", []) == [])
    }
}

/// Quantization forms each runtime takes, by format where the format decides.
@Suite struct QuantizationFormSpec {
    @Test func coreMLInt8WeightsOnANeuralNetworkNeedIOS12NotIOS16() {
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {i: {runtime: coreml, format: mlmodel, minimum_os: ios14}}\n", model: kws, []) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {i: {runtime: coreml, format: mlmodel, minimum_os: ⟦ios11⟧}}\n", model: kws, [
            Expected(.minimumOSTooOld, "Core ML supports int8 weights from ios12, but minimum_os is ios11"),
        ]) == [])
        #expect(targetIssues("optimize: {quantize: {weights: int8}}\ntargets: {i: {runtime: coreml, format: mlpackage, minimum_os: ⟦ios15⟧}}\n", model: kws, [
            Expected(.minimumOSTooOld, "Core ML supports int8 weights from ios16, but minimum_os is ios15"),
        ]) == [])
    }
}
