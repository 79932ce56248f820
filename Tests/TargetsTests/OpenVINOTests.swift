import Diagnostics
import TestSupport
import Testing

@testable import Targets

/// OpenVINO's CPU plugin, with the operator table scripts/catalogue/derive_openvino.py measured per release
/// (Tests/integration/test_openvino.py loads models in the releases themselves).
@Suite struct OpenVINOOperators {
    @Test func geluIsAnErrorOnTheReleaseThatLacksIt() {
        // MatMul then Gelu (opset 20): OpenVINO 2023.3's ONNX frontend does not convert Gelu; 2024.6 does.
        #expect(targetIssues("targets: {a: {runtime: ⟦openvino@2023.3⟧}}\n", model: fixtures + "gelu_opset20.onnx", [
            Expected(.operatorUnsupported, "1 operator cannot run: Gelu 'gelu' (OpenVINO (CPU plugin) 2023.3 does not run it; 2024.6 does)")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: openvino@2024.6}}\n", model: fixtures + "gelu_opset20.onnx", []) == [])
        #expect(targetIssues("targets: {a: {runtime: openvino@2026.4}}\n", model: fixtures + "gelu_opset20.onnx", []) == [])
        // A patch release is its minor line's row.
        #expect(targetIssues("targets: {a: {runtime: ⟦openvino@2023.3.0⟧}}\n", model: fixtures + "gelu_opset20.onnx", [
            Expected(.operatorUnsupported, "Gelu 'gelu'")
        ]) == [])
        #expect(targetIssues("targets: {a: {runtime: openvino@2025.4.1}}\n", model: fixtures + "gelu_opset20.onnx", []) == [])
        // Unpinned: the newest release, what an install gets.
        #expect(targetIssues("targets: {a: {runtime: openvino}}\n", model: fixtures + "gelu_opset20.onnx", []) == [])
    }

    @Test func anOperatorNoReleaseRunsIsAnError() {
        // Unique runs; a custom domain has no conversion rule in any release.
        #expect(targetIssues("targets: {a: {runtime: openvino@2026.4}}\n", model: fixtures + "unique.onnx", []) == [])
        #expect(targetIssues("targets: {a: {runtime: ⟦openvino@2026.4⟧}}\n", model: fixtures + "custom_domain.onnx", [
            Expected(.operatorUnsupported, "FancyNorm")
        ]) == [])
    }

    @Test func theTableIsPerRelease() throws {
        let set = try #require(catalogue.operatorSet("openvino-cpu-onnx"))
        let rt = try #require(catalogue.runtime("openvino"))
        #expect(rt.operators == "openvino-cpu-onnx" && rt.modelFormats == ["onnx"])
        #expect(rt.versions.map(\.version).contains("2023.3"))
        #expect(set.contains("Gelu", release: "2024.6") && !set.contains("Gelu", release: "2023.3"))
        #expect(set.contains("Conv", release: "2023.3") && set.contains("Conv", release: nil))
        #expect(!set.contains("ai.onnx.ml:TreeEnsemble", release: "2026.4"))
        // Every release the table names is a version of the runtime.
        for r in set.missingIn.keys { #expect(rt.version(r) != nil, "\(r)") }
    }
}
