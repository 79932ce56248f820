#if canImport(Glibc)
import Glibc
#endif
import Diagnostics
import Estimation
import JSON
import Manifest
import ModelFormats
import Testing

/// A target that prunes without quantizing gets an estimate of its own: the weights keep their type, the
/// artifact stores the zeros dense (its size is the dense one; `bytes_sparse` is a sparse encoding's), and the
/// SQNR is what pruning removes (1 / (1 − energy retained)).
/// Tests/Fixtures/estimate/pruned_cnn.onnx (scripts/make_pruning_fixtures.py) has conv2.weight 70 % zeros.
@Suite struct PruningOnlySpecs {
    func run(_ yaml: String, model: String = "Tests/Fixtures/estimate/pruned_cnn.onnx") throws
        -> (TargetEstimation, Manifest, [UInt8])
    {
        let bytes = Array(yaml.utf8)
        let m = try #require(ManifestFile(bytes: bytes).documents.first?.manifest)
        let model = try ModelReader.read(path: Repository.path(model))
        return (TargetEstimation.run(manifest: m, model: model, cache: nil), m, bytes)
    }

    static let prune50 = """
        slipway: 1
        model: {path: m.onnx}
        optimize:
          prune: {sparsity: 0.5}
        targets: {a: {runtime: onnxruntime@1.20}}
        """

    @Test func pruningOnlyIsEstimated() throws {
        let (e, _, _) = try run(Self.prune50)
        let r = try #require(e.results["a"])
        #expect(r.scheme == "pruned-sparsity-0.5")
        #expect(r.json["settings"]?["weights"] == "none")
        // The converter writes the zeros in place: the artifact keeps its size. A sparse encoding would be
        // smaller (half the values of every tensor leave, a bitmask says where the rest are).
        #expect(r.modelBytesAfter == r.modelBytesBefore)
        let sparse = try #require(r.json["total"]?["bytes_sparse"]?.intValue)
        #expect(sparse < (r.json["total"]?["bytes_before"]?.intValue ?? 0))
        // The tensor that is already 70 % zeros loses nothing at 50 %: exact, not in the worst list.
        let conv2 = try #require(r.json["tensors"]?.arrayValue?.first { $0["name"] == "conv2.weight" })
        #expect(conv2["sqnr_db"] == .null)
        #expect(!r.worst.contains { $0.name == "conv2.weight" })
        #expect(r.json["schemes"] == nil)
    }

    @Test func theSQNRIsTheEnergyThePruningRemoves() throws {
        let (e, _, _) = try run(Self.prune50)
        let r = try #require(e.results["a"])
        let conv1 = try #require(r.json["tensors"]?.arrayValue?.first { $0["name"] == "conv1.weight" })
        let kept = try #require(conv1["pruning"]?["energy_retained"]?.doubleValue)
        let db = try #require(conv1["sqnr_db"]?.doubleValue)
        #expect(abs(db - 10 * log10(1 / (1 - kept))) < 1e-9)
        #expect(r.sqnrDBMin == r.worst.first?.sqnrDB)
    }

    @Test func theSparseSizeIsTheSmallerOfABitmaskAndCSR() throws {
        let (e, _, _) = try run(Self.prune50)
        let r = try #require(e.results["a"])
        for t in r.json["tensors"]?.arrayValue ?? [] {
            let after = try #require(t["bytes_sparse"]?.intValue)
            #expect(t["bytes_after"] == t["bytes_before"])
            let bytes = t["pruning"]?["bytes"]
            let dense = try #require(t["bytes_before"]?.intValue)
            let elements = try #require(t["elements"]?.intValue)
            let sparsity = try #require(t["pruning"]?["sparsity"]?.doubleValue)
            let bitmask = (elements + 7) / 8 + Int((Double(elements) * (1 - sparsity) * 4).rounded(.up))
            #expect(after == min(dense, bitmask, bytes?["csr"]?.intValue ?? .max))
        }
    }

    @Test func anAlreadySparseTensorThatIsPrunedIsSW5005OnTheCriterion() throws {
        let (e, m, bytes) = try run(Self.prune50)
        let ds = e.diagnostics(manifest: m, text: bytes, modelPath: "m.onnx")
        let d = try #require(ds.first { $0.code == .alreadySparse })
        #expect(d.message == "target 'a': tensor 'conv2.weight' (70% zeros) is already sparse (a pruned checkpoint?): "
            + "pruning to 50% sparsity changes nothing there; list it in prune.skip, or prune the dense model")
        #expect(String(decoding: bytes[d.range.start..<d.range.end], as: UTF8.self) == "0.5")
    }

    @Test func pruningPastTheExistingZerosSaysItCutsIntoWhatWasKept() throws {
        let (e, m, bytes) = try run(Self.prune50.split(separator: "0.5", omittingEmptySubsequences: false).joined(separator: "0.9"))
        let d = try #require(e.diagnostics(manifest: m, text: bytes, modelPath: nil).first { $0.code == .alreadySparse })
        #expect(d.message.contains("pruning to 90% sparsity cuts into the values the first pruning kept"))
    }

    @Test func quantizingAlreadySparseWeightsWithoutPruningIsNotSW5005() throws {
        let (e, m, bytes) = try run("""
            slipway: 1
            model: {path: m.onnx}
            optimize: {quantize: {weights: int8}}
            targets: {a: {runtime: onnxruntime@1.20}}
            """)
        #expect(!e.diagnostics(manifest: m, text: bytes, modelPath: nil).contains { $0.code == .alreadySparse })
    }
}
