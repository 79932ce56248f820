import Testing
@testable import Compression

@Suite struct GlobMatching {
    @Test(arguments: [
        ("*.bias", "fc.bias", true), ("*.bias", "layer/fc.bias", false), ("**.bias", "layer/fc.bias", true),
        ("model.layers.*.mlp.*", "model.layers.3.mlp.down_proj.weight", true),
        ("/encoder/**/Conv*", "/encoder/Conv_1", true), ("/encoder/**/Conv*", "/encoder/a/b/Conv_1", true),
        ("/encoder/**/Conv*", "/decoder/Conv_1", false), ("layer.?", "layer.1", true), ("layer.?", "layer.12", false),
        ("layer.[0-2]", "layer.2", true), ("layer.[0-2]", "layer.3", false), ("layer.[!0-2]", "layer.3", true),
        ("layer.[^0-2]", "layer.0", false), ("[]]x", "]x", true), ("a\\*b", "a*b", true), ("a\\*b", "axb", false),
        ("emb[", "emb[", true), ("", "", true), ("*", "", true), ("?", "", false), ("**", "a/b/c", true),
        ("lm_head*", "lm_head.weight", true), ("*lm_head*", "model/lm_head/MatMul", false),
    ])
    func matches(pattern: String, name: String, expected: Bool) {
        #expect(Glob(pattern).matches(name) == expected, "\(pattern) ~ \(name)")
    }

    @Test func longPatternsStayLinear() {
        let name = String(repeating: "a", count: 2000)
        #expect(!Glob(String(repeating: "*a", count: 50) + "b").matches(name))
    }
}

@Suite struct TensorSelectionPolicy {
    let policy = TensorSelection(skip: ["*.bias", "**/lm_head*"])

    func decide(_ op: String, _ input: Int, shape: [Int], transB: Bool = false, name: String = "w",
                dtype: String = "float32") -> SelectionDecision {
        policy.decide(TensorCandidate(name: name, dtype: dtype, shape: shape,
                                      consumers: [OperatorUse(op, input: input, transB: transB)]))
    }

    @Test func outputChannelAxisFollowsTheConsumer() {
        #expect(decide("Conv", 1, shape: [64, 3, 3, 3]) == .compress(channelAxis: 0, reductionAxis: 1, note: nil))
        #expect(decide("ConvTranspose", 1, shape: [3, 64, 3, 3]) == .compress(channelAxis: 1, reductionAxis: 0, note: nil))
        #expect(decide("Gemm", 1, shape: [128, 64]) == .compress(channelAxis: 1, reductionAxis: 0, note: nil))
        #expect(decide("Gemm", 1, shape: [64, 128], transB: true) == .compress(channelAxis: 0, reductionAxis: 1, note: nil))
        #expect(decide("MatMul", 1, shape: [8, 128, 64]) == .compress(channelAxis: 2, reductionAxis: 1, note: nil))
        #expect(decide("CONV_2D", 1, shape: [32, 3, 3, 16]) == .compress(channelAxis: 0, reductionAxis: 3, note: nil))
        #expect(decide("FULLY_CONNECTED", 1, shape: [10, 128]) == .compress(channelAxis: 0, reductionAxis: 1, note: nil))
        #expect(decide("DEPTHWISE_CONV_2D", 1, shape: [1, 3, 3, 32]) == .compress(channelAxis: 3, reductionAxis: nil, note: nil))
    }

    @Test func leftOutTensorsSayWhy() {
        #expect(decide("Conv", 2, shape: [64]) == .skip(.rankBelowMinimum(rank: 1, minimum: 2)))
        #expect(decide("Gemm", 1, shape: [10, 10], name: "fc.bias") == .skip(.matchedSkipPattern("*.bias")))
        #expect(decide("MatMul", 1, shape: [10, 10], name: "model/lm_head_w") == .skip(.matchedSkipPattern("**/lm_head*")))
        #expect(decide("MatMul", 1, shape: [10, 10], dtype: "INT8") == .skip(.alreadyQuantized(dtype: "INT8")))
        #expect(decide("Reshape", 1, shape: [2, 2], dtype: "int64") == .skip(.notFloat(dtype: "int64")))
        let strict = TensorSelection(includeOtherConsumers: false)
        #expect(strict.decide(TensorCandidate(name: "m", dtype: "F32", shape: [4, 4], consumers: [OperatorUse("Mul", input: 1)]))
            == .skip(.notAWeight))
    }

    @Test func unknownOrConflictingConsumersKeepDefaultAxesWithANote() {
        let none = policy.decide(TensorCandidate(name: "x", dtype: "BF16", shape: [4, 4]))
        #expect(none == .compress(channelAxis: nil, reductionAxis: nil, note: "no consumer known"))
        let both = policy.decide(TensorCandidate(name: "x", dtype: "float", shape: [4, 4], consumers: [
            OperatorUse("Gemm", input: 1), OperatorUse("Gemm", input: 1, transB: true),
        ]))
        guard case .compress(nil, nil, let note?) = both else { Issue.record("\(both)"); return }
        #expect(note.contains("disagree"))
    }

    @Test func channelAxisOverrideWins() {
        let p = TensorSelection(channelAxisOverride: -1)
        let d = p.decide(TensorCandidate(name: "w", dtype: "float32", shape: [64, 3, 3, 3],
                                         consumers: [OperatorUse("Conv", input: 1)]))
        #expect(d == .compress(channelAxis: 3, reductionAxis: 1, note: nil))
    }
}
