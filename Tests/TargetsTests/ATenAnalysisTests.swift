@testable import ModelFormats
import Testing

@testable import Targets

/// An ExportedProgram's figures come from the shapes torch recorded, costed as the ONNX operators of the same
/// meaning. The fixture (scripts/make_pytorch_fixtures.py): conv 3→8 3×3 on 1×3×8×8, batch norm, a mean over
/// H×W, a Linear 8→4 and a bias-free Linear 8→10.
@Suite("ExportedProgram analysis")
struct ATenAnalysisSpec {
    @Test("every ATen call is costed from its recorded shapes, by the ONNX conventions")
    func figuresOfTheFixture() throws {
        let model = try Repo.model("Tests/Fixtures/models/pytorch/exported.pt2")
        let a = GraphAnalysis.analyze(model: model)
        var byOp: [String: Int] = [:]
        for n in a.nodes { byOp[n.opType, default: 0] += n.macs }
        // conv: 8·6·6 = 288 outputs × (3·3·3) + a bias add each
        #expect(byOp["aten.conv2d.default"] == 288 * 27 + 288)
        // batch norm as ONNX BatchNormalization: add + sqrt + div + add + mul = 31 per element
        #expect(byOp["aten.batch_norm.default"] == 288 * 31)
        // mean over H×W as ONNX's ReduceMean: an add per input element
        #expect(byOp["aten.mean.dim"] == 288)
        // Linear 8→4 with bias (4·8 + 4) and 8→10 without (10·8)
        #expect(byOp["aten.linear.default"] == 36 + 80)
        #expect(a.totalMACs == 17_396)
        #expect(a.coverage.isComplete && a.coverage.nodesTotal == 5)
        // The input (192) is freed after the conv; the conv's and the batch norm's outputs (288 each) meet.
        #expect(a.peakActivationElements == 576)
    }

    @Test("recurrent calls cost what the same module's ONNX LSTM and GRU cost")
    func recurrentCallsAsONNX() throws {
        // scripts/make_pytorch_fixtures.py: a 2-layer bidirectional LSTM 4→8 and a GRU 16→6 over 10 steps, then a
        // Linear; exported by torch.export and, the same module, by torch.onnx.export.
        let exported = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/recurrent.pt2"))
        let onnx = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/recurrent.onnx"))
        #expect(exported.coverage.isComplete && onnx.coverage.isComplete)
        #expect(exported.totalMACs == onnx.totalMACs)
        #expect(exported.totalMACs == 95_161)
        var byOp: [String: Int] = [:]
        for n in exported.nodes { byOp[n.opType, default: 0] += n.macs }
        var onnxByOp: [String: Int] = [:]
        for n in onnx.nodes { onnxByOp[n.opType, default: 0] += n.macs }
        #expect(byOp["aten.lstm.input"] == onnxByOp["LSTM"])
        #expect(byOp["aten.gru.input"] == onnxByOp["GRU"])
    }

    @Test("a call without a rule is left out and named, never counted as free")
    func unknownCallsAreNamed() {
        let n = Node(name: "y", opType: "aten.stft.default", domain: "aten", version: nil, builtinCode: nil,
                     inputs: ["x"], outputs: ["y"], attributes: [:])
        #expect(ATenAnalyzer.macs(n, ins: [[1, 4, 8]], outs: [[1, 4, 16]]) == nil)
        let relu = Node(name: "r", opType: "aten.relu.default", domain: "aten", version: nil, builtinCode: nil,
                        inputs: ["x"], outputs: ["r"], attributes: [:])
        #expect(ATenAnalyzer.macs(relu, ins: [[2, 3]], outs: [[2, 3]]) == 6)
    }
}
