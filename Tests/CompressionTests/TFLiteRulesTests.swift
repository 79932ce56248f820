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
    }

    @Test("a weight qualifies only when every reader is a hybrid kernel's weight input")
    func hybridWeight() {
        #expect(TFLiteRules.isHybridWeight([OperatorUse("CONV_2D", input: 1), OperatorUse("FULLY_CONNECTED", input: 1)]))
        #expect(!TFLiteRules.isHybridWeight([OperatorUse("CONV_2D", input: 1), OperatorUse("MUL", input: 1)]))
        #expect(!TFLiteRules.isHybridWeight([OperatorUse("FULLY_CONNECTED", input: 2)]))
        #expect(!TFLiteRules.isHybridWeight([]))
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
