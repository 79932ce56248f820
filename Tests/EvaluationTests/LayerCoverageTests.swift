import JSON
import Testing

@testable import Evaluation

/// `layers_coverage` (docs/test.md, "`--layers`"): what the per-layer figures cover of the original's float values,
/// read from the runner's result as it wrote it, and said in one line of the text report when something is left out.
@Suite("Per-layer coverage")
struct LayerCoverageSpec {
    static let runnerJSON = """
        {"measured": 101, "left_out": 205, "reasons": [
          {"reason": "no sample ran the branch that computes it", "values": 203, "examples": ["If_0/else_branch/a", "If_0/else_branch/b"]},
          {"reason": "its element type is unknown to onnx shape inference", "values": 2, "examples": ["x", "y"]}]}
        """

    @Test func readsTheRunnersResultAndWritesItBack() throws {
        let c = try #require(LayerCoverage.parse(try JSONValue.parse(Self.runnerJSON)))
        #expect(c.measured == 101 && c.leftOut == 205)
        #expect(c.reasons.map(\.values) == [203, 2])
        #expect(c.reasons[0].examples == ["If_0/else_branch/a", "If_0/else_branch/b"])
        #expect(LayerCoverage.parse(c.json) == c)
        #expect(c.json["left_out"]?.intValue == 205)
    }

    @Test("absent or of another shape: none")
    func absent() throws {
        #expect(LayerCoverage.parse(nil) == nil)
        #expect(LayerCoverage.parse(.null) == nil)
        #expect(LayerCoverage.parse(try JSONValue.parse(#"{"measured": 3}"#)) == nil)
    }

    @Test("the text report says how many of how many values were left out, and why")
    func summary() throws {
        let c = try #require(LayerCoverage.parse(try JSONValue.parse(Self.runnerJSON)))
        #expect(c.summary == "205 of 306 float values left out: 203 no sample ran the branch that computes it; "
                + "2 its element type is unknown to onnx shape inference")
        #expect(LayerCoverage(measured: 17, leftOut: 0, reasons: []).summary == nil)
    }
}
