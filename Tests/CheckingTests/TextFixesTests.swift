import Checking
import Diagnostics
import Testing
import TestSupport

/// Fixes that need text and model together: applying one makes its diagnostic go away.
@Suite struct TextFixesSpec {
    let checker = ManifestChecker(fileSystem: projectFiles)

    func applying(_ fix: Fix, to text: String) -> String {
        var bytes = Array(text.utf8)
        for e in fix.edits.sorted(by: { $0.range.start > $1.range.start }) {
            bytes.replaceSubrange(e.range.start..<e.range.end, with: Array(e.newText.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func fixOnce(_ text: String, _ code: DiagnosticCode) throws -> (fixed: String, after: [DiagnosticCode]) {
        let before = checker.check(bytes: Array(text.utf8), path: "k.slipway.yaml").diagnostics
        let d = try #require(before.first { $0.code == code }, "\(code.rawValue) not reported: \(before.map(\.message))")
        let fix = try #require(d.fixes.first, "\(code.rawValue) has no fix")
        let fixed = applying(fix, to: text)
        return (fixed, checker.check(bytes: Array(fixed.utf8), path: "k.slipway.yaml").diagnostics.map(\.code))
    }

    @Test(arguments: [
        "slipway: 1\nmodel: {path: models/kws.onnx}\noptimize:\n  quantize:\n    weights: int8\n    activations: int8\ntargets: {mcu: {runtime: tflite-micro}}\n",
        "slipway: 1\nmodel: {path: models/kws.onnx}\noptimize:\n  quantize: {weights: int8, activations: int8}\ntargets: {mcu: {runtime: tflite-micro}}\n",
    ])
    func addCalibrationData(_ text: String) throws {
        let (fixed, after) = try fixOnce(text, .calibrationMissing)
        #expect(fixed.contains("calibration: data/calib/"))
        #expect(!after.contains(.calibrationMissing))
        #expect(!after.contains(.yamlSyntax))
    }

    /// XNNPACK, which LiteRT applies unless told otherwise, takes a 7-D CONCATENATION and fails to prepare it: the fix
    /// names the builtin kernels, inserting the key or replacing `xnnpack`, and the model then runs.
    @Test(arguments: [
        "slipway: 1\nmodel: {path: models/concatenation_7d.tflite}\ntargets: {phone: {runtime: litert}}\n",
        "slipway: 1\nmodel: {path: models/concatenation_7d.tflite}\ntargets:\n  phone:\n    runtime: litert\n",
        "slipway: 1\nmodel: {path: models/concatenation_7d.tflite}\ntargets:\n  phone:\n    runtime: litert\n    delegate: xnnpack\n",
    ])
    func runOnTheBuiltinKernels(_ text: String) throws {
        let (fixed, after) = try fixOnce(text, .operatorUnsupported)
        #expect(fixed.contains("delegate: cpu"))
        #expect(!after.contains(.operatorUnsupported) && !after.contains(.yamlSyntax))
    }

    @Test func fixDynamicInputs() throws {
        let text = "slipway: 1\nmodel:\n  path: models/dynamic_batch.onnx\noptimize: {quantize: {weights: int8, activations: int8, calibration: data/calib/}}\ntargets: {mcu: {runtime: tflite-micro}}\n"
        let (fixed, after) = try fixOnce(text, .dynamicShapes)
        #expect(fixed.contains("  inputs: {"))
        #expect(!after.contains(.dynamicShapes))
        #expect(!after.contains(.yamlSyntax))
    }
}
