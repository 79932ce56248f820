import JSON
import ModelFormats

/// A language model's shape, read from GGUF metadata (`<arch>.block_count` …) or from the Hugging Face
/// `config.json` beside a safetensors file (`config.<key>` in the model's metadata, keys mapped by
/// Schemas/analysis/transformers.json).
public struct TransformerShape: Sendable, Hashable {
    public var architecture: String
    public var layers: Int
    public var embedding: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var feedForward: Int
    public var vocab: Int
    /// The model's own maximum context (nil when the file does not say).
    public var maxContext: Int?
    public var experts: Int
    public var expertsUsed: Int
    public var gated: Bool
    public var encoder: Bool
}

/// What a language model costs per token at a context length: the figures `estimate` and `check` use instead
/// of a graph walk (these formats hold weights, not a graph).
public struct TransformerFigures: Sendable, Hashable {
    public var shape: TransformerShape
    public var contextLength: Int
    /// "manifest" (model.context_length), "model" (the file's maximum) or "assumed" (neither said: 2048).
    public var contextSource: String
    /// Multiply-adds for one token at the end of a full context: the projections and feed-forward matrices of
    /// every block (active experts only), attention over the context (QKᵀ and AV), and the LM head.
    public var macsPerToken: Int
    /// Parameters: the stored tensors' elements when the file has them, else counted from the shape.
    public var parameters: Int
    public var parametersFromTensors: Bool
    /// K and V of every layer for the whole context, at the KV cache's element size (0 for encoders).
    public var kvCacheBytes: Int

    /// For `estimate --json` (`language_model`).
    public var json: JSONValue {
        .object([
            "architecture": .string(shape.architecture), "layers": .int(shape.layers), "embedding_length": .int(shape.embedding),
            "head_count": .int(shape.heads), "head_count_kv": .int(shape.kvHeads), "head_dim": .int(shape.headDim),
            "feed_forward_length": .int(shape.feedForward), "vocab_size": .int(shape.vocab), "experts": .int(shape.experts),
            "experts_used": .int(shape.expertsUsed), "gated_feed_forward": .bool(shape.gated), "encoder": .bool(shape.encoder),
            "parameters": .int(parameters), "parameters_source": .string(parametersFromTensors ? "tensors" : "metadata"),
            "macs_per_token": .int(macsPerToken), "kv_cache_bytes": .int(kvCacheBytes), "context_length": .int(contextLength),
            "context_source": .string(contextSource),
        ])
    }
}

enum TransformerRules {
    struct Rules: Sendable {
        var gated: Set<String> = []
        var encoders: Set<String> = []
        var hfKeys: [(String, [String])] = []
        var kvBytes = 2
    }

    static let rules: Rules = {
        var r = Rules()
        guard let j = try? JSONValue.parse(EmbeddedTransformerRules.json) else { return r }
        r.gated = Set((j["gated_feed_forward"]?["architectures"]?.arrayValue ?? []).compactMap(\.stringValue))
        r.encoders = Set((j["encoders"]?["architectures"]?.arrayValue ?? []).compactMap(\.stringValue))
        for (k, v) in j["hf_config_keys"]?["keys"]?.objectValue?.entries ?? [] {
            r.hfKeys.append((k, (v.arrayValue ?? []).compactMap(\.stringValue)))
        }
        r.kvBytes = j["kv_cache"]?["bytes_per_element"]?.intValue ?? 2
        return r
    }()

    /// The shape of `model` as a transformer, nil when its metadata does not describe one.
    static func shape(of model: Model) -> TransformerShape? {
        let meta = model.metadata
        var values: [String: Int] = [:]
        var arch: String
        if let a = meta["general.architecture"], !a.isEmpty {
            arch = a
            for (k, v) in meta where k.hasPrefix(a + ".") {
                if let n = Int(v) { values[String(k.dropFirst(a.count + 1))] = n }
            }
        } else if let t = meta["config.model_type"] {
            arch = t
            for (key, names) in rules.hfKeys {
                if let n = names.lazy.compactMap({ meta["config.\($0)"].flatMap { Int($0) } }).first { values[key] = n }
            }
        } else {
            return nil
        }
        arch = arch.lowercased()
        guard let layers = values["block_count"], let d = values["embedding_length"], let heads = values["attention.head_count"],
            layers > 0, d > 0, heads > 0
        else { return nil }
        // Vocabulary: the metadata's, the tokenizer's token list ("[32000 × string]"), or the embedding's rows.
        var vocab = values["vocab_size"] ?? 0
        if vocab == 0, let tokens = meta["tokenizer.ggml.tokens"], tokens.hasPrefix("["),
            let n = Int(tokens.dropFirst().prefix { $0.isNumber })
        {
            vocab = n
        }
        if vocab == 0, let e = model.tensors.first(where: { $0.name == "token_embd.weight" }), e.shape.count == 2 {
            vocab = e.shape.max() ?? 0
        }
        return TransformerShape(
            architecture: arch, layers: layers, embedding: d, heads: heads,
            kvHeads: max(values["attention.head_count_kv"] ?? heads, 1), headDim: values["attention.key_length"] ?? d / heads,
            feedForward: values["feed_forward_length"] ?? 4 &* d, vocab: vocab, maxContext: values["context_length"],
            experts: max(values["expert_count"] ?? 1, 1), expertsUsed: max(values["expert_used_count"] ?? 1, 1),
            gated: rules.gated.contains(arch), encoder: rules.encoders.contains(arch) || meta["\(arch).attention.causal"] == "false")
    }

    static func figures(model: Model, shape s: TransformerShape, contextLength: Int?) -> TransformerFigures {
        let ctx: Int
        let source: String
        if let c = contextLength, c > 0 {
            (ctx, source) = (c, "manifest")
        } else if let c = s.maxContext, c > 0 {
            (ctx, source) = (c, "model")
        } else {
            (ctx, source) = (2048, "assumed")
        }
        let q = s.heads &* s.headDim, kv = s.kvHeads &* s.headDim
        let projections = s.embedding &* q &+ 2 &* s.embedding &* kv &+ q &* s.embedding
        let ffnMatrices = (s.gated ? 3 : 2) &* s.embedding &* s.feedForward
        let attention = 2 &* q &* ctx
        let head = s.encoder ? 0 : s.embedding &* s.vocab
        let macs = s.layers &* (projections &+ ffnMatrices &* s.expertsUsed &+ attention) &+ head
        let stored = model.tensors.reduce(0) { $0 &+ $1.elementCount }
        // Without tensors (a vocabulary-only GGUF): blocks (projections, every expert, two norms), the token
        // embedding and, for decoders, an untied LM head and the final norm.
        let counted = s.layers &* (projections &+ ffnMatrices &* s.experts &+ 2 &* s.embedding)
            &+ s.vocab &* s.embedding &+ head &+ s.embedding
        let kvBytes = s.encoder ? 0 : 2 &* s.layers &* ctx &* kv &* rules.kvBytes
        return TransformerFigures(
            shape: s, contextLength: ctx, contextSource: source, macsPerToken: macs,
            parameters: stored > 0 ? stored : counted, parametersFromTensors: stored > 0, kvCacheBytes: kvBytes)
    }
}

extension GraphAnalysis {
    /// A language model (GGUF, or safetensors with its config.json): per-token figures from its metadata.
    static func transformer(model: Model, contextLength: Int?) -> GraphAnalysis? {
        guard model.format == .gguf || model.format == .safetensors, let shape = TransformerRules.shape(of: model) else {
            return nil
        }
        let f = TransformerRules.figures(model: model, shape: shape, contextLength: contextLength)
        var a = GraphAnalysis(
            nodes: [], shapes: [:], unresolved: [],
            assumedDimensions: f.contextSource == "assumed" ? ["context length: neither model.context_length nor the model says; 2048 assumed"] : [],
            totalMACs: f.macsPerToken, parameterElements: f.parameters, peakActivationElements: 0)
        a.transformer = f
        return a
    }
}
