import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// Language models in weight files (GGUF, safetensors with config.json): parameters by tensor, compute per token
/// from the architecture metadata, KV cache at the manifest's context length, and budgets judged in `check`.
/// Fixtures by scripts/make_lm_fixtures.py: 2 blocks, embedding 64, 4 heads (2 KV, head dim 16), gated
/// feed-forward 128, vocabulary 100, context 256.
@Suite struct TransformerAnalysisSpec {
    static func manifest(_ model: String, _ extra: String = "", budget: String = "") throws -> Manifest {
        let yaml = "slipway: 1\nmodel: {path: \(model)\(extra)}\ntargets:\n  server: {runtime: onnxruntime, device: x86-64-avx2\(budget)}\n"
        return try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
    }

    // Per block: Q 64×64 + K, V 2×(64×32) + O 64×64 = 12,288; gate, up, down 3×64×128 = 24,576; attention over
    // the context 2 × 64 × context. Plus the LM head 64 × 100.
    static func macs(context: Int) -> Int { 2 * (12_288 + 24_576 + 2 * 64 * context) + 6_400 }
    // Embedding and head 2 × 100×64, final norm 64, per block 12,288 + 24,576 + two norms 128.
    static let parameters = 2 * 6_400 + 64 + 2 * (12_288 + 24_576 + 128)

    @Test(arguments: ["Tests/Fixtures/targets/tiny_llama.gguf", "Tests/Fixtures/targets/tiny_llm/model.safetensors"])
    func perTokenFiguresComeFromTheMetadataAndParametersFromTheTensors(path: String) throws {
        let model = try Repo.model(path)
        let a = GraphAnalysis.analyze(model: model)
        let t = try #require(a.transformer)
        #expect(t.shape.layers == 2 && t.shape.heads == 4 && t.shape.kvHeads == 2 && t.shape.headDim == 16)
        #expect(t.shape.gated && !t.shape.encoder)
        #expect(t.parametersFromTensors)
        #expect(t.parameters == Self.parameters)
        #expect(t.contextLength == 256 && t.contextSource == "model")
        #expect(a.totalMACs == Self.macs(context: 256))
        // K and V, 2 layers, 256 positions, 2 KV heads × 16, float16.
        #expect(t.kvCacheBytes == 2 * 2 * 256 * 32 * 2)
        let short = GraphAnalysis.analyze(model: model, contextLength: 128)
        #expect(short.totalMACs == Self.macs(context: 128))
        #expect(short.transformer?.kvCacheBytes == 2 * 2 * 128 * 32 * 2)
        #expect(short.transformer?.contextSource == "manifest")
    }

    @Test func theManifestsContextLengthSizesTheEstimateAndCheckJudgesTheBudget() throws {
        let model = try Repo.model("Tests/Fixtures/targets/tiny_llama.gguf")
        let m = try Self.manifest("m.gguf", ", context_length: 128", budget: ", budget: {memory_mb: 0.3}")
        #expect(m.model?.contextLength?.value == 128)
        let table = TargetEstimates.table(manifest: m, model: model, catalogue: catalogue)
        let row = try #require(table["targets"]?[0])
        #expect(row["activation_planner"] == .string("kv-cache"))
        #expect(row["kv_cache_bytes"]?.intValue == 32_768)
        #expect(row["context_length"]?.intValue == 128)
        #expect(row["macs"]?.intValue == Self.macs(context: 128))
        #expect(table["language_model"]?["parameters"]?.intValue == Self.parameters)
        // 347 kB of float32 weights + 33 kB of KV cache: over 0.3 MB, in `check` too.
        let ds = TargetChecks.check(manifest: m, model: model, catalogue: catalogue)
        let miss = try #require(ds.first { $0.code.rawValue == "SW5102" })
        #expect(miss.message == "target 'server': estimated memory 0.38 MB (weights 0.347 MB + KV cache 0.032 MB) is over the 0.3 MB budget")
    }

    @Test func aVocabularyOnlyLlamaCountsItsParametersFromTheMetadata() throws {
        // LLaMA-2 7B's shape (32 blocks, 4096 wide, 32 heads, feed-forward 11008, vocabulary 32000): the metadata
        // count is the published 6,738,415,616; KV cache at 4096 tokens in float16 is 2 GiB.
        var model = try Repo.model("Tests/Fixtures/targets/tiny_llama.gguf")
        model.tensors = []
        for (k, v) in ["block_count": "32", "embedding_length": "4096", "attention.head_count": "32",
                       "attention.head_count_kv": "32", "feed_forward_length": "11008", "vocab_size": "32000",
                       "context_length": "4096"] {
            model.metadata["llama.\(k)"] = v
        }
        let t = try #require(GraphAnalysis.analyze(model: model).transformer)
        #expect(!t.parametersFromTensors)
        #expect(t.parameters == 6_738_415_616)
        #expect(t.kvCacheBytes == 2 << 30)
    }

    @Test func aModelWithoutArchitectureMetadataIsNotALanguageModel() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/targets/tiny_llm/model.safetensors").withoutMetadata)
        #expect(a.transformer == nil)
    }
}

extension Model {
    var withoutMetadata: Model {
        var m = self
        m.metadata = [:]
        return m
    }
}
