#if canImport(Glibc)
import Glibc
#endif
import Checking
import Conversion
import Diagnostics
import Manifest
import Testing

/// `check` errs exactly where `convert` refuses: both ask `Containment`, on the real disk (links included).
@Suite struct ContainmentAgreementSpec {
    static let repoRoot: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(3).joined(separator: "/")
    }()

    /// A fresh project with a model and a link `out` that leads out of it.
    func project() throws -> String {
        var template = Array("/tmp/slipway-containment-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }
        try #require(made != nil)
        let parent = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let proj = parent + "/proj"
        #expect(mkdir(proj, 0o755) == 0 && mkdir(parent + "/elsewhere", 0o755) == 0)
        let model = try LocalFileSystem().read(Self.repoRoot + "/Tests/Fixtures/conversion/opset11_gemm.onnx", limit: 1 << 20)
        try SafeWriter.write(model, to: proj + "/m.onnx")
        #expect(symlink(parent + "/elsewhere", proj + "/out") == 0)
        return proj
    }

    static let cases: [(yaml: String, escapes: Bool)] = [
        ("targets: {a: {runtime: onnxruntime, format: onnx, output: nosuchdir/../../x.onnx}}", true),
        ("targets: {a: {runtime: onnxruntime, format: onnx, output: nosuchdir/../x.onnx}}", false),
        ("targets: {a: {runtime: onnxruntime, format: onnx}}\ndeploy: {to: \"dist/../../x.{ext}\"}", true),
        ("targets: {a: {runtime: onnxruntime, format: onnx}}\ndeploy: {to: \"dist/{version}/x.{ext}\", version: ../../../v}", true),
        ("targets: {a: {runtime: onnxruntime, format: onnx}}\ndeploy: {to: \"dist/{version}/x.{ext}\", version: \"1.0\"}", false),
        ("targets: {a: {runtime: onnxruntime, format: onnx, output: out/x.onnx}}", true),
        ("targets: {a: {runtime: onnxruntime, format: onnx, output: out/../x.onnx}}", false),
    ]

    @Test("SW3004 where and only where convert refuses", arguments: cases.indices)
    func agreement(index: Int) async throws {
        let (yaml, escapes) = Self.cases[index]
        let proj = try project()
        let text = "slipway: 1\nmodel: {path: m.onnx}\noptimize: {quantize: {weights: int8}}\n" + yaml + "\n"
        let path = proj + "/a.slipway.yaml"
        for fs in [LocalFileSystem() as any FileSystem, ModelCachingFileSystem(LocalFileSystem())] {
            let result = ManifestChecker(fileSystem: fs).check(bytes: Array(text.utf8), path: path)
            let flagged = result.diagnostics.contains { $0.code == .pathEscapesProject }
            #expect(flagged == escapes, "check: \(yaml)")
        }
        let manifest = try #require(ManifestFile(text).documents.first?.manifest)
        let target = try #require(manifest.targets.first)
        var refused = false
        do throws(ConversionError) {
            _ = try await Converter.convert(target: target, manifest: manifest, manifestPath: path)
        } catch {
            refused = error.kind == .unsafe
        }
        #expect(refused == escapes, "convert: \(yaml)")
    }
}
