import Diagnostics
import Manifest
import Testing
import TestSupport

/// `model.inputs` takes a shape (a list) or a scalar input's value (an integer, `sr: 16000`): the two are kept
/// apart, so that a value is never taken as a shape.
@Suite struct InputValueSpec {
    static let manifest = "slipway: 1\nmodel:\n  path: silero_vad.jit\n  inputs:\n    x: [1, 512]\n    sr: 16000\ntargets: {a: {runtime: onnxruntime}}\n"

    @Test func anIntegerIsAValueAndAListAShape() throws {
        let file = ManifestFile(Self.manifest)
        #expect(file.diagnostics.isEmpty)
        let model = try #require(file.documents.first?.manifest.model)
        #expect(model.inputs.map(\.name.value) == ["x"])
        #expect(model.inputs[0].dims.map(\.value) == [.fixed(1), .fixed(512)])
        #expect(model.inputValues.map(\.name.value) == ["sr"])
        #expect(model.inputValues.map(\.value.value) == [16000])
        #expect(model.inputNames.map(\.value).sorted() == ["sr", "x"])
        // Ranges point at the name and at the value, for diagnostics and hovers.
        let bytes = Array(Self.manifest.utf8)
        let v = model.inputValues[0]
        #expect(String(decoding: bytes[v.name.range.start..<v.name.range.end], as: UTF8.self) == "sr")
        #expect(String(decoding: bytes[v.value.range.start..<v.value.range.end], as: UTF8.self) == "16000")
    }

    @Test func zeroAndNegativeValuesAreValues() throws {
        let file = ManifestFile("slipway: 1\nmodel: {path: m.pt, inputs: {flag: 0, offset: -3}}\ntargets: {a: {runtime: onnxruntime}}\n")
        #expect(file.diagnostics.isEmpty)
        #expect(file.documents.first?.manifest.model?.inputValues.map(\.value.value) == [0, -3])
    }

    @Test func anythingElseIsAnErrorSayingWhatIsValid() {
        let m = MarkedText("slipway: 1\nmodel: {path: m.pt, inputs: {sr: ⟦fast⟧, gain: ⟦1.5⟧, on: ⟦{a: 1}⟧}}\ntargets: {a: {runtime: onnxruntime}}\n")
        let file = ManifestFile(m.text)
        let valid = "expected a shape: a list of dimensions, outermost first (`[1, 512]`) or a value: an integer, for a scalar input such as the sample rate a model branches on (`sr: 16000`)"
        let problems = mismatches(file.diagnostics, m, [
            Expected(.wrongType, "'model.inputs.sr' is the string 'fast'; \(valid)"),
            Expected(.wrongType, "'model.inputs.gain' is the number 1.5; \(valid)"),
            Expected(.wrongType, "'model.inputs.on' is a mapping; \(valid)"),
        ])
        #expect(problems == [])
        // Nothing of them is decoded as a shape or a value.
        #expect(file.documents.first?.manifest.model?.inputs.isEmpty == true)
        #expect(file.documents.first?.manifest.model?.inputValues.isEmpty == true)
    }

    @Test func aWrongDimensionInAShapeIsStillNamedAtTheDimension() {
        let m = MarkedText("slipway: 1\nmodel: {path: m.pt, inputs: {x: [1, ⟦-2⟧]}}\ntargets: {a: {runtime: onnxruntime}}\n")
        let problems = mismatches(ManifestFile(m.text).diagnostics, m, [
            Expected(.wrongType, "'model.inputs.x.1' is the integer -2; expected a fixed size or a symbolic (dynamic) dimension, e.g. `batch`"),
        ])
        #expect(problems == [])
    }

    @Test func theSchemaDescribesBothForms() throws {
        let s = try #require(ManifestSchema.root.descend(["model", "inputs", "sr"]))
        #expect(s.description.contains("a scalar input's value (an integer)"))
        // A shape's dimension is still found under the either-form value (hover on `512`).
        #expect(ManifestSchema.root.descend(["model", "inputs", "x", "1"])?.description.hasPrefix("One dimension") == true)
    }
}
