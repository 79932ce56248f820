import Diagnostics
import JSON
import Manifest
import TestSupport
import Testing

@testable import Targets

/// Known-bad tool versions (SW4015): each combination of rules.json with a failing fixture (the diagnostic
/// goes on the pinned version) and a passing one (a good version, or the condition not met).
@Suite struct ToolPinSpec {
    @Test func int4WeightsNeedOnnx116() {
        #expect(targetIssues("""
            optimize: {quantize: {weights: int4, granularity: "per-block:32"}}
            targets: {s: {runtime: onnxruntime@1.20, tools: {onnx: ⟦"1.15.0"⟧}}}

            """, model: nil, [Expected(.knownBadToolVersion, "onnx 1.15.0 cannot write int4/uint4 weights")]) == [])
        #expect(targetIssues("""
            optimize: {quantize: {weights: int4, granularity: "per-block:32"}}
            targets: {s: {runtime: onnxruntime@1.20, tools: {onnx: "1.16.0"}}}

            """, model: nil, []) == [])
        // int8 weights are fine on onnx 1.15.
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8}}
            targets: {s: {runtime: onnxruntime@1.20, tools: {onnx: "1.15.0"}}}

            """, model: nil, []) == [])
    }

    @Test func theDiagnosticCitesItsSourceAndFixesToAGoodVersion() throws {
        let text = "optimize: {quantize: {weights: int4}}\ntargets: {s: {runtime: onnxruntime@1.20, tools: {onnx: \"1.14.1\"}}}\n"
        let m = try #require(ManifestFile(bytes: Array(text.utf8)).documents.first?.manifest)
        let d = try #require(TargetChecks.check(manifest: m, model: nil, catalogue: catalogue).first { $0.code == .knownBadToolVersion })
        #expect(d.severity == .error)
        #expect(d.related.first?.file == "https://github.com/microsoft/Olive/issues/1411")
        #expect(d.related.first?.message.contains("microsoft/Olive#1411") == true)
        let edit = try #require(d.fixes.first?.edits.first)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[edit.range.start..<edit.range.end], as: UTF8.self) == "\"1.14.1\"")
        #expect(edit.newText == "\"1.16.0\"")
    }

    @Test func onnxRuntime118BreaksOlivesVitisQuantization() {
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: data/}}
            targets: {s: {runtime: onnxruntime@1.20, delegate: vitisai, tools: {olive: "0.5.0", onnxruntime: ⟦"1.18.0"⟧}}}

            """, model: nil, [Expected(.knownBadToolVersion, "onnxruntime 1.18.0 breaks Olive's Vitis AI quantization pass")]) == [])
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: data/}}
            targets: {s: {runtime: onnxruntime@1.20, delegate: vitisai, tools: {olive: "0.5.0", onnxruntime: "1.17.3"}}}

            """, model: nil, []) == [])
        // The pass is Vitis AI's: a target for another execution provider quantizes through other passes.
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: data/}}
            targets: {s: {runtime: onnxruntime@1.20, delegate: qnn, tools: {olive: "0.5.0", onnxruntime: "1.18.0"}}}

            """, model: nil, []) == [])
        // Without Olive the release is fine.
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: data/}}
            targets: {s: {runtime: onnxruntime@1.20, tools: {onnxruntime: "1.18.0"}}}

            """, model: nil, []) == [])
    }

    @Test func coremltools6WasTestedWithTorchUpTo1_13_1() {
        #expect(targetIssues("""
            targets: {ios: {runtime: coreml, tools: {coremltools: "6.3", torch: ⟦"2.1.1"⟧}}}

            """, model: nil, [Expected(.knownBadToolVersion, "torch 2.1.1 is newer than coremltools 6 was tested with (1.13.1)")]) == [])
        #expect(targetIssues("targets: {ios: {runtime: coreml, tools: {coremltools: \"6.3\", torch: \"1.13.1\"}}}\n", model: nil, []) == [])
        #expect(targetIssues("targets: {ios: {runtime: coreml, tools: {coremltools: \"7.2\", torch: \"2.1.1\"}}}\n", model: nil, []) == [])
    }

    @Test func tensorRT11RemovedImplicitInt8() {
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: data/}}
            targets: {gpu: {runtime: tensorrt, tools: {tensorrt: ⟦"11.0"⟧}}}

            """, model: nil, [Expected(.knownBadToolVersion, "TensorRT 11.0 removed implicit int8 quantization")]) == [])
        #expect(targetIssues("""
            optimize: {quantize: {weights: int8, activations: int8, calibration: data/}}
            targets: {gpu: {runtime: tensorrt, tools: {tensorrt: "10.1"}}}

            """, model: nil, []) == [])
        // Weight-only quantization does not use the calibrators.
        #expect(targetIssues("targets: {gpu: {runtime: tensorrt, tools: {tensorrt: \"11.0\"}}}\n", model: nil, []) == [])
    }

    @Test func aTensorRTEngineRunsOnlyOnTheVersionThatBuiltIt() throws {
        #expect(targetIssues("targets: {gpu: {runtime: tensorrt@10.8, tools: {tensorrt: ⟦\"10.0.1\"⟧}}}\n", model: nil, [
            Expected(.knownBadToolVersion, "built with TensorRT 10.0.1 but the target runs TensorRT 10.8")
        ]) == [])
        #expect(targetIssues("targets: {gpu: {runtime: tensorrt@10.8, tools: {tensorrt: \"10.8.0\"}}}\n", model: nil, []) == [])
        #expect(targetIssues("targets: {gpu: {runtime: tensorrt, tools: {tensorrt: \"10.0.1\"}}}\n", model: nil, []) == [])
    }

    @Test func tfmotRejectsKeras3() {
        #expect(targetIssues("""
            optimize: {prune: {sparsity: 0.5}}
            targets: {a: {runtime: litert, tools: {tensorflow-model-optimization: "0.8.0", tensorflow: ⟦"2.16.1"⟧}}}

            """, model: nil, [Expected(.knownBadToolVersion, "TensorFlow 2.16.1 makes tf.keras Keras 3")]) == [])
        #expect(targetIssues("""
            targets: {a: {runtime: litert, tools: {tensorflow-model-optimization: "0.8.0", keras: ⟦"3.3.3"⟧}}}

            """, model: nil, [Expected(.knownBadToolVersion, "Keras 3.3.3 is Keras 3")]) == [])
        #expect(targetIssues("""
            optimize: {prune: {sparsity: 0.5}}
            targets: {a: {runtime: litert, tools: {tensorflow-model-optimization: "0.8.0", tensorflow: "2.15.1", keras: "2.15.0"}}}

            """, model: nil, []) == [])
        // TensorFlow 2.16 without TFMOT is fine.
        #expect(targetIssues("targets: {a: {runtime: litert, tools: {tensorflow: \"2.16.1\"}}}\n", model: nil, []) == [])
    }

    @Test func thePinnedOnnxRuntimeMustRunTheModelsOpset() throws {
        #expect(targetIssues("targets: {s: {runtime: tensorrt, tools: {onnxruntime: ⟦\"1.16.3\"⟧}}}\n", model: fixtures + "opset21.onnx", [
            Expected(.knownBadToolVersion, "onnxruntime 1.16.3 runs opsets up to 19, but the model uses opset 21")
        ]) == [])
        #expect(targetIssues("targets: {s: {runtime: tensorrt, tools: {onnxruntime: \"1.18.0\"}}}\n", model: fixtures + "opset21.onnx", []) == [])
        let m = try #require(ManifestFile(bytes: Array("targets: {s: {runtime: tensorrt, tools: {onnxruntime: \"1.16.3\"}}}\n".utf8)).documents.first?.manifest)
        let d = TargetChecks.check(manifest: m, model: try Repo.model(fixtures + "opset21.onnx"), catalogue: catalogue)
        #expect(d.first { $0.code == .knownBadToolVersion }?.fixes.first?.edits.first?.newText == "\"1.18.0\"")
    }

    @Test func localAndPreReleaseTagsStillMeetTheRanges() {
        #expect(ToolRule.number("2.1.1+cu118") == VersionNumber("2.1.1"))
        #expect(ToolRule.number("1.16.0rc1") == VersionNumber("1.16.0"))
        #expect(ToolRule.number("latest") == nil)
        #expect(ToolRule.fill("a {version} b {x}", ["version": "1.0"]) == "a 1.0 b {x}")
    }

    @Test func everyToolRuleDecodesAndNamesAKnownTool() {
        let rules = catalogue.rules.filter { $0.code == .knownBadToolVersion }
        #expect(rules.count >= 7)
        #expect(catalogue.toolRules.count == rules.count)
        let known = Vocabulary.tools.map(\.0)
        for r in catalogue.toolRules {
            #expect(known.contains(r.tool), "\(r.rule.id): \(r.tool)")
            for t in (r.when.tools ?? []) + Array(r.when.toolVersions.keys) { #expect(known.contains(t), "\(r.rule.id): \(t)") }
        }
    }

    @Test func aMalformedToolRuleIsACatalogueError() {
        var files = EmbeddedCatalogue.files
        let bad = #"{"rules": [{"id": "tools.x", "code": "SW4015", "runtimes": ["*"], "text": "a tool rule", "params": {"tool": "onnx"}, "source": {"id": "ort-compat", "section": "s"}}]}"#
        if let i = files.firstIndex(where: { $0.name == "rules.json" }) { files[i].text = bad }
        do {
            _ = try Catalogue.load(files: files)
            Issue.record("loaded")
        } catch {
            #expect(error.description.contains("rules[0].params"), "\(error)")
        }
    }
}
