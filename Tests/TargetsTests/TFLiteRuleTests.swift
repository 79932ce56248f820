import Testing

@testable import ModelFormats
@testable import Targets

/// Every builtin operator of the pinned schema has a cost rule (the few that cannot have one are named below).
/// Tests/Fixtures/targets/tflite_rules.tflite (scripts/make_tflite_rule_fixtures.py) holds one of each family
/// the TFLite converter rarely emits; the expected MACs are worked out here from its shapes.
@Suite struct TFLiteRuleSpec {
    @Test func recurrentScanSelectionTransposedConvolutionCallAndRandomOperatorsAreCounted() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/targets/tflite_rules.tflite"))
        #expect(a.unresolved.isEmpty, "\(a.unresolved)")
        // The CALL's subgraph (one MUL) is walked and counted: 8 main-graph operators + 1.
        #expect(a.coverage == AnalysisCoverage(nodesResolved: 9, nodesTotal: 9, unresolvedOps: [:], firstUnresolved: nil))
        let macs = Dictionary(a.nodes.map { ($0.opType, $0.macs) }, uniquingKeysWith: +)
        // LSTM, x [2, 5, 3], 4 cells: 10 rows × (4 input [4, 3] + 4 recurrent [4, 4] weight matrices = 112,
        // + 4 gates × 4 cells × sigmoid (exp 32 + div 4) + 4 cells × (tanh 38 + 3 mul) = 740); its TANH is the
        // cell's activation, not a fused one.
        #expect(macs["UNIDIRECTIONAL_SEQUENCE_LSTM"] == 10 * (112 + 4 * 4 * 36 + 4 * 41))
        // RNN, [2, 3] into 4 units: 2 rows × (12 + 16 weights + 4 bias).
        #expect(macs["RNN"] == 2 * (12 + 16 + 4))
        #expect(macs["CUMSUM"] == 8)  // one add per element of [2, 4]
        #expect(macs["TOPK_V2"] == 8)  // one comparison per input element
        #expect(macs["ADD"] == 8 + 8)  // the add and its fused RELU
        #expect(macs["CALL"] == 8)  // the called MUL over [2, 4]
        // Every input element of [1, 2, 2, 2, 3] times the 2×2×2 window and 4 output channels.
        #expect(macs["CONV_3D_TRANSPOSE"] == 24 * 8 * 4)
        #expect(macs["RANDOM_UNIFORM"] == 6 * 2)  // a multiply-add per generated element
        #expect(a.totalMACs == 9404)
    }

    /// The operators left without a rule: a custom operator and a delegate's node are opaque, and the StableHLO
    /// operators below carry their geometry in `builtin_options_2`, which the reader does not decode yet.
    @Test func theBuiltinsWithoutARuleAreNamed() {
        let ruled = Set(TFLiteAnalyzer.binary.keys).union(TFLiteAnalyzer.unary.keys).union(TFLiteAnalyzer.perOutput.keys)
            .union(TFLiteAnalyzer.perInput.keys).union(TFLiteAnalyzer.free).union(TFLiteAnalyzer.sameShape)
            .union(TFLiteAnalyzer.recurrent).union(TFLiteAnalyzer.explicitRules)
        let missing = Set(TFLiteBuiltinOperators.names.values).subtracting(ruled)
        #expect(missing == [
            "CUSTOM", "DELEGATE", "STABLEHLO_CONVOLUTION", "STABLEHLO_CUSTOM_CALL", "STABLEHLO_DOT_GENERAL", "STABLEHLO_WHILE",
            "STABLEHLO_COMPOSITE", "STABLEHLO_CASE",
        ])
    }
}
