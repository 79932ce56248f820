import Foundation
import Testing

@testable import Compression

@Suite("TFLite conversion rules (Schemas/conversion/tflite.json)")
struct TFLiteRulesTests {
    static let root: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(3).joined(separator: "/")
    }()

    @Test("the embedded rules are the committed file and read")
    func embedded() throws {
        let committed = try String(contentsOfFile: Self.root + "/Schemas/conversion/tflite.json", encoding: .utf8)
        #expect(EmbeddedTFLiteRules.text == committed, "run scripts/embed_conversion_rules.py")
        let rules = try TFLiteRules.loaded.get()
        #expect(rules.minimumElements == 1024)
        #expect(rules.hybridOperators["DEPTHWISE_CONV_2D"]?.perChannelOnly == true)
        #expect(rules.hybridOperators["FULLY_CONNECTED"]?.versionPerChannel == 12)
        // The byte model is data too, read whole: the estimate never falls back to `unreadable`.
        #expect(TFLiteRules.size == rules.size && rules.size != .unreadable)
        #expect(rules.size.tensorBytes == 110 && rules.size.operatorBytes == 32)
        #expect(rules.size.loops["GRU"] == TFLiteRules.SizeModel.Loop(bodyConstantTensors: 21, biasTensors: 5))
        #expect(rules.size.unrolledOperatorBytes == ["LSTM": 230, "GRU": 193, "RNN": 222] && rules.size.unrolledBiasTensors == ["GRU": 3])
    }

    @Test("a byte model missing a count does not read")
    func sizeModelIsWhole() {
        let text = EmbeddedTFLiteRules.text.replacingOccurrences(of: "\"subgraph_bytes\": 100,", with: "")
        #expect(text != EmbeddedTFLiteRules.text)
        guard case .failure(let e) = TFLiteRules.parse(text) else { Issue.record("a byte model without subgraph_bytes read"); return }
        #expect(e.message.hasPrefix("artifact_size needs every byte count"))
    }

    @Test("a weight qualifies only when every reader is a hybrid kernel's weight input")
    func hybridWeight() {
        #expect(TFLiteRules.isHybridWeight([OperatorUse("CONV_2D", input: 1), OperatorUse("FULLY_CONNECTED", input: 1)]))
        #expect(!TFLiteRules.isHybridWeight([OperatorUse("CONV_2D", input: 1), OperatorUse("MUL", input: 1)]))
        #expect(!TFLiteRules.isHybridWeight([OperatorUse("FULLY_CONNECTED", input: 2)]))
        #expect(!TFLiteRules.isHybridWeight([]))
    }

    @Test("a tensor the runtime stores with one scale is measured per tensor under a per-channel scheme")
    func perTensorOnly() throws {
        let values: [Float] = (0..<64).map { Float($0 % 8) * (Float($0 / 8) + 1) }
        let options = CompressionOptions(schemes: [QuantizationScheme(.int8, granularity: .perChannel)])
        let one = try CompressionEngine.analyze(
            [WeightTensor(name: "w", shape: [8, 8], channelAxis: 0, values: .array(values), perTensorOnly: true)],
            options: options)
        let many = try CompressionEngine.analyze(
            [WeightTensor(name: "w", shape: [8, 8], channelAxis: 0, values: .array(values))], options: options)
        let a = try #require(one.tensors.first?.schemes.first), b = try #require(many.tensors.first?.schemes.first)
        #expect((a.scales?.groups ?? 1) == 1)  // one scale
        #expect(b.scales?.groups == 8)
        #expect(a.fallback?.contains("one scale") == true)
        #expect(a.bytesAfter == 64 + 4 && b.bytesAfter == 64 + 8 * 4)
    }

    @Test("rules that do not read say what is missing")
    func broken() {
        guard case .failure(let e) = TFLiteRules.parse(#"{"dynamic_range": {}}"#) else {
            Issue.record("expected a failure")
            return
        }
        #expect(e.description.contains("minimum_elements"))
    }
}
