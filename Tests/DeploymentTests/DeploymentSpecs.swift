import Manifest
#if canImport(Glibc)
import Glibc
#endif
@testable import ModelFormats
import Testing

@testable import Deployment

private func target(_ yaml: String) throws -> (TargetSpec, Manifest) {
    let text = "slipway: 1\nname: enc\nmodel: {path: m.onnx}\ntargets:\n  t: \(yaml)\ndeploy:\n  version: \"2\"\n  triton: {max_batch_size: 4, dynamic_batching: true}\n"
    let m = try #require(ManifestFile(bytes: Array(text.utf8)).documents.first?.manifest)
    return (try #require(m.targets.first), m)
}

/// The bundled transformer example (input_ids [batch, 128-or-dynamic] int64 → hidden_states [?, ?, 64]
/// float32) with its inputs and outputs replaced as a test needs.
private func model(_ inputs: [ValueInfo], _ outputs: [ValueInfo]) throws -> Model {
    let repo = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
    var m = try ModelReader.read(path: repo + "/examples/transformer-server/models/encoder.onnx")
    m.inputs = inputs
    m.outputs = outputs
    return m
}

@Suite struct TritonConfigSpecs {
    @Test func batchingStripsTheFirstDimensionAndGPUTargetsGetGPUInstances() throws {
        let (t, m) = try target("{runtime: onnxruntime, delegate: cuda, format: onnx}")
        let mdl = try model([ValueInfo(name: "ids", dtype: .int64, shape: [.named("b"), .fixed(128)])],
                        [ValueInfo(name: "emb", dtype: .float16, shape: [.unknown, .fixed(64)])])
        let c = try TritonConfig.make(name: "enc-t", model: mdl, format: "onnx", target: t, spec: m.deploy?.triton).get()
        #expect(c.inputs == [TritonConfig.Tensor(name: "ids", dataType: "TYPE_INT64", dims: [128])])
        #expect(c.outputs == [TritonConfig.Tensor(name: "emb", dataType: "TYPE_FP16", dims: [64])])
        #expect(c.instanceKind == "KIND_GPU")
        #expect(c.text.contains("max_batch_size: 4\n"))
        #expect(c.text.contains("dynamic_batching {\n  max_queue_delay_microseconds: 0\n}\n"))
    }

    @Test func aFixedBatchOrATFLiteArtifactIsRefusedWithTheReason() throws {
        let (t, m) = try target("{runtime: onnxruntime, format: onnx}")
        let fixed = try model([ValueInfo(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(3)])], [])
        guard case .failure(let e) = TritonConfig.make(name: "n", model: fixed, format: "onnx", target: t, spec: m.deploy?.triton) else {
            Issue.record("accepted"); return
        }
        #expect(e.message == "target t: deploy.triton.max_batch_size 4 needs a dynamic first (batch) dimension, but input x has shape [1, 3]; export with a dynamic batch axis or set max_batch_size: 0")
        guard case .failure(let f) = TritonConfig.make(name: "n", model: fixed, format: "tflite", target: t, spec: nil) else {
            Issue.record("accepted"); return
        }
        #expect(f.kind == .unsupported)
    }

    @Test func namesAreQuotedAsProtobufTextFormat() {
        #expect(TritonConfig.quoted("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\001""#)
    }
}

@Suite struct VerifierSpecs {
    @Test func aFolderWithoutProvenanceHasNothingToVerify() throws {
        var template = Array("/tmp/slipway-verify-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { b in b.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) } }
        let folder = try #require(made)
        defer { rmdir(folder) }
        guard case .failure(let e) = DeployedTreeVerifier.verify(folder) else { Issue.record("verified"); return }
        #expect(e.message == "\(folder) holds no provenance (*.intoto.json) and no OCI layout: nothing to verify")
        guard case .failure(let f) = DeployedTreeVerifier.verify(folder + "/missing") else { Issue.record("verified"); return }
        #expect(f.message == "\(folder)/missing is not a folder")
    }

    @Test func digestsAreLowercaseHexOfSixtyFour() {
        #expect(DeployedTreeVerifier.isDigest(String(repeating: "a", count: 64)))
        #expect(!DeployedTreeVerifier.isDigest(String(repeating: "A", count: 64)))
        #expect(!DeployedTreeVerifier.isDigest("../x"))
    }
}
