import ModelFormats
import TestSupport
import Testing

@testable import Targets

/// The element types of an ONNX model's values as its operators' type rules fix them, for the checks on the builtins
/// a conversion writes (a TFLite Micro GATHER takes int32 positions; onnx2tf keeps an int64 input int64).
@Suite struct ElementTypesSpec {
    @Test func integerValuesKeepTheirTypeAndFloatsFollowTheirOperators() throws {
        let m = try Repo.model(fixtures + "embedding_int64.onnx")
        let types = ONNXElementTypes.infer(m)
        #expect(types["input_ids"] == .int64)
        #expect(types["table"] == .float32)
        #expect(types["e"] == .float32 && types["y"] == .float32)
    }

    /// Shape arithmetic is int64 (Shape, Gather of it, Concat), a recurrence's outputs are its input's type, and
    /// comparisons are bool.
    @Test func shapesAreInt64AndRecurrencesKeepTheirInputsType() throws {
        let m = try Repo.model("Tests/Fixtures/estimate/lstm_classifier.onnx")
        let types = ONNXElementTypes.infer(m)
        #expect(types["shape"] == .int64 && types["batch"] == .int64 && types["state_shape"] == .int64)
        #expect(types["seq"] == .float32 && types["h_n"] == .float32 && types["c_n"] == .float32)
        let branches = ONNXElementTypes.infer(try Repo.model(fixtures + "if_on_scalar.onnx"))
        #expect(branches["is_one"] == .bool)
        #expect(branches["y"] == .float32)
    }

    /// An operator whose rule is not written leaves its outputs untyped: no check is decided on a guess.
    @Test func anUnknownOperatorsOutputsHaveNoType() throws {
        let m = try Repo.model(fixtures + "custom_domain.onnx")
        let types = ONNXElementTypes.infer(m)
        let custom = try #require(m.graphs.first?.nodes.first { $0.domain == "com.example" })
        #expect(custom.outputs.allSatisfy { types[$0] == nil })
    }
}
