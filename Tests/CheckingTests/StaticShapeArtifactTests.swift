#if canImport(Glibc)
import Glibc
#endif
import Checking
@testable import Conversion
import Diagnostics
import Manifest
import ModelFormats
import Targets
import Testing

/// A target whose provider runs fixed-size tensors only (QNN, NNAPI) is checked with the manifest's input sizes
/// (SW4012 passes on them), so its artifact carries them: the runtime loads the file, not the manifest.
@Suite struct StaticShapeArtifactSpec {
    static let repoRoot: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(3).joined(separator: "/")
    }()
    static let fixture = repoRoot + "/Tests/Fixtures/targets/folded_by_ort_dynamic.onnx"
    let catalogue = try! Catalogue.embedded.get()

    /// A fresh project holding the fixture (input x [N, 3, 4, 4], output y [N, 48]) and `yaml`'s manifest.
    func project(_ yaml: String) throws -> (path: String, manifest: Manifest) {
        var template = Array("/tmp/slipway-static-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }
        try #require(made != nil)
        let dir = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try SafeWriter.write(try LocalFileSystem().read(Self.fixture, limit: 1 << 20), to: dir + "/m.onnx")
        let text = "slipway: 1\nmodel: {path: m.onnx, inputs: {x: [2, 3, 4, 4]}}\n" + yaml + "\n"
        try SafeWriter.write(Array(text.utf8), to: dir + "/a.slipway.yaml")
        return (dir + "/a.slipway.yaml", try #require(ManifestFile(text).documents.first?.manifest))
    }

    func shapes(_ path: String) throws -> (inputs: [[ModelFormats.Dimension]?], outputs: [[ModelFormats.Dimension]?]) {
        let m = try ModelReader.read(path: path)
        return (m.inputs.map(\.shape), m.outputs.map(\.shape))
    }

    @Test func theCatalogueSaysWhichTargetsRunFixedSizesOnly() throws {
        let (_, m) = try project("""
            targets:
              qnn: {runtime: onnxruntime@1.20, delegate: qnn}
              nnapi: {runtime: onnxruntime@1.20, delegate: nnapi}
              cpu: {runtime: onnxruntime@1.20}
              coreml: {runtime: onnxruntime@1.20, delegate: coreml}
              mcu: {runtime: tflite-micro}
              edgetpu: {runtime: litert, delegate: edgetpu}
            """)
        #expect(m.targets.map { TargetChecks.needsStaticShapes($0, catalogue: catalogue) } == [true, true, false, false, true, true])
    }

    @Test func aStaticShapeTargetsArtifactCarriesTheManifestsSizes() async throws {
        let (path, manifest) = try project("""
            targets:
              phone: {runtime: onnxruntime@1.20, delegate: qnn, format: onnx}
              server: {runtime: onnxruntime@1.20, format: onnx}
            """)
        var options = ConvertOptions()
        options.decide(from: catalogue)
        let phone = try await Converter.convert(target: manifest.targets[0], manifest: manifest, manifestPath: path, options: options)
        let server = try await Converter.convert(target: manifest.targets[1], manifest: manifest, manifestPath: path, options: options)
        // The inputs are written; the runtime infers the rest (the output keeps its symbol, as the file has it).
        let fixed = try shapes(phone.outputPath)
        #expect(fixed.inputs == [[.fixed(2), .fixed(3), .fixed(4), .fixed(4)]])
        #expect(fixed.outputs == [[.named("N"), .fixed(48)]])
        #expect(phone.json["settings"]?["input_shapes"]?["x"] == [2, 3, 4, 4])
        // A provider that takes dynamic shapes gets the file as the exporter wrote it.
        let free = try shapes(server.outputPath)
        #expect(free.inputs == [[.named("N"), .fixed(3), .fixed(4), .fixed(4)]])
        #expect(free.outputs == [[.named("N"), .fixed(48)]])
        #expect(server.json["settings"]?["input_shapes"] == nil)
        // The check of the same target: SW4012 passes on the manifest's sizes.
        let checked = ManifestChecker().check(bytes: try LocalFileSystem().read(path, limit: 1 << 20), path: path)
        #expect(!checked.diagnostics.contains { $0.code == .dynamicShapes })
    }

    @Test func onlyTheDimensionsTheFileLeavesFreeAreWritten() throws {
        let model = try ModelReader.read(path: Self.fixture)
        // The manifest contradicts the file's 3 (an error of `check`): the file's dimension stays.
        let contradicting = InputShapeFix(model: model, given: ["x": [2, 5, nil, nil]])
        #expect(contradicting.positions == ["x": [0: 2]])
        // A dimension the manifest leaves free stays free.
        #expect(InputShapeFix(model: model, given: ["x": [nil, 3, 4, 4]]).isEmpty)
        #expect(InputShapeFix(model: model, given: [:]).isEmpty)
    }
}
