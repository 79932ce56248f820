import Foundation
@testable import ModelFormats
import Testing

@testable import Targets

/// A TorchScript archive's `forward`, evaluated at the manifest's input shapes, is costed as the same module's
/// ExportedProgram and ONNX export are (scripts/make_pytorch_fixtures.py writes the fixtures with torch itself).
@Suite("TorchScript analysis")
struct TorchScriptAnalysisSpec {
    static func byOp(_ a: GraphAnalysis) -> [String: Int] {
        var out: [String: Int] = [:]
        for n in a.nodes { out[n.opType, default: 0] += n.macs }
        return out
    }

    @Test("a traced module at its input shape costs what its ExportedProgram costs, call for call")
    func tracedEqualsExported() throws {
        // The same Net (conv 3→8, batch norm, mean, two Linears) traced and exported at 1×3×8×8.
        let traced = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/torchscript.pt"), inputs: ["x": [1, 3, 8, 8]])
        let exported = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/exported.pt2"))
        #expect(traced.coverage.isComplete)
        #expect(traced.totalMACs == 17_396)
        #expect(traced.totalMACs == exported.totalMACs)
        #expect(traced.peakActivationElements == exported.peakActivationElements)
        let t = Self.byOp(traced)
        #expect(t["aten.conv2d"] == 288 * 27 + 288)
        #expect(t["aten.batch_norm"] == 288 * 31)
        #expect(t["aten.linear"] == 36 + 80)
    }

    @Test("a traced CNN costs what its ONNX export costs, operator family for family")
    func tracedCNNEqualsONNX() throws {
        let traced = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/traced_cnn.pt"), inputs: ["x": [1, 3, 32, 32]])
        let onnx = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/traced_cnn.onnx"))
        #expect(traced.coverage.isComplete && onnx.coverage.isComplete)
        #expect(traced.totalMACs == onnx.totalMACs)
        #expect(traced.totalMACs == 137_293)
        let t = Self.byOp(traced), o = Self.byOp(onnx)
        // stem 3→8 stride 2 (16·16·8 outputs × 27), depthwise 8·8·8 × 9 + bias, pointwise 8·8·8 × 8 + bias
        #expect(t["aten.conv2d"] == 2048 * 27 + (512 * 9 + 512) + (512 * 8 + 512))
        #expect(t["aten.conv2d"] == o["Conv"])
        #expect(t["aten.batch_norm"] == o["BatchNormalization"])
        #expect(t["aten.max_pool2d"] == o["MaxPool"])
        #expect(t["aten.hardtanh"] == o["Clip"])
        #expect(t["aten.linear"] == o["Gemm"])
        #expect(t["aten.adaptive_avg_pool2d"] == o["GlobalAveragePool"])
        // Live at once at most: the stem's output and its batch norm's (2,048 each), the relu's in place of the first.
        #expect(traced.peakActivationElements == 5_120)
    }

    @Test("scripted control flow on known values is evaluated: the attribute's if, the shape's if, the loop")
    func scriptedBranches() throws {
        let scripted = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/scripted_branches.pt"), inputs: ["x": [1, 4, 16]])
        let onnx = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/scripted_branches.onnx"))
        #expect(scripted.coverage.isComplete)
        let t = Self.byOp(scripted), o = Self.byOp(onnx)
        // `if self.use_norm:` read from data.pkl (True): the batch norm runs; the loop's relu and mul run 3 times.
        #expect(t["aten.batch_norm"] == o["BatchNormalization"])
        #expect(t["aten.relu"] == 3 * 84 && t["aten.relu"] == o["Relu"])
        #expect(t["aten.mul"] == o["Mul"])
        #expect(t["aten.conv1d"] == o["Conv"])
        #expect(t["aten.linear"] == o["Gemm"])
        // ATen's mean is costed as the ReduceMean it exports to (docs/analysis.md): the two agree to the MAC.
        #expect(t["aten.mean"] == o["ReduceMean"])
        #expect(scripted.totalMACs == onnx.totalMACs)
    }

    @Test("a traced constant (torch.from_numpy in forward) is a weight, as in the ONNX export, not an activation")
    func tracedConstantIsAWeight() throws {
        let model = try Repo.model("Tests/Fixtures/models/pytorch/traced_constant.pt")
        // constants.pkl's tensor is read as the archive's data, under the name the code gives it.
        let c = try #require(model.tensors.first { $0.name == "CONSTANTS.c0" })
        #expect(c.shape == [64])
        let traced = GraphAnalysis.analyze(model: model, inputs: ["x": [1, 64]])
        let onnx = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/traced_constant.onnx"))
        #expect(traced.coverage.isComplete && onnx.coverage.isComplete)
        // `aten::lift_fresh` hands the constant on: no node, as the export writes none. mul 64 + linear 64·8 + 8.
        #expect(Self.byOp(traced) == ["aten.mul": 64, "aten.linear": 520])
        #expect(traced.totalMACs == onnx.totalMACs)
        #expect(traced.parameterElements == onnx.parameterElements)
        #expect(traced.parameterElements == 64 + 512 + 8)
        // Live at once: x and the product (64 each), never the window.
        #expect(traced.peakActivationElements == onnx.peakActivationElements)
        #expect(traced.peakActivationElements == 128)
    }

    @Test("while loops run as their conditions decide; one on a tensor's value is named as left out")
    func whileLoops() throws {
        // scripted_while.pt at x [4, 8]: three Linear + ReLU steps (`while i < 3`), the batch halved to 1 (`while n
        // > 1`: two multiplications), then a loop on x.sum() > 100, which no shape decides.
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/scripted_while.pt"), inputs: ["x": [4, 8]])
        let t = Self.byOp(a)
        #expect(t["aten.linear"] == 3 * (4 * 8 * 8 + 4 * 8))
        #expect(t["aten.relu"] == 3 * 32)
        #expect(t["aten.mul"] == 2 * 32)
        // The third loop's first condition runs whatever the loop does: sum over the 32 elements, one comparison
        // (the run reads its value, so it is no dead code).
        #expect(t["aten.sum"] == 32)
        #expect(t["aten.gt"] == 1)
        #expect(a.totalMACs == 1024 + 33)
        #expect(!a.coverage.isComplete)
        #expect(a.coverage.unresolvedOps.keys.sorted() == ["gt (in a while loop on a value not known before the run)",
                                                          "sub (in a while loop on a value not known before the run)",
                                                          "sum (in a while loop on a value not known before the run)"])
    }

    @Test("an LSTM cell stepped in scripted code resolves whole, its optional state read through unchecked_cast")
    func scriptedCell() throws {
        // scripted_cell.pt at x [1, 5, 8]: LSTMCell.forward checks `hx is not None`, then reads it through
        // `unchecked_cast(Tuple[Tensor, Tensor], hx)` (the type first, then the value): the state is known, so no
        // branch is left out. Per step: select(slice(x)), one lstm_cell; the two zero states before the loop.
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/scripted_cell.pt"), inputs: ["x": [1, 5, 8]])
        #expect(a.coverage.isComplete)
        #expect(a.coverage.nodesTotal == 17)
        #expect(a.nodes.filter { $0.opType == "aten.lstm_cell" }.count == 5)
        #expect(a.nodes.filter { $0.opType == "aten.zeros" }.count == 2)
    }

    @Test("without model.inputs the coverage names the input whose shape is missing")
    func missingInputShapes() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/traced_cnn.pt"))
        #expect(!a.coverage.isComplete)
        #expect(!a.coverage.weightsOnly)
        #expect(a.coverage.freeDimensions == ["x: unknown rank"])
        #expect(a.coverage.sentence.contains("x: unknown rank"))
    }

    @Test("a free dimension the manifest leaves open is taken as 1 and named")
    func freeDimension() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/scripted_branches.pt"), inputs: ["x": [1, 4, nil]])
        #expect(a.coverage.freeDimensions == ["x[2] (free)"])
        #expect(!a.coverage.isComplete)
    }

    @Test("a state dict stays weights only")
    func stateDictIsWeightsOnly() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/models/pytorch/state_dict.pt"), inputs: ["x": [1, 3, 8, 8]])
        #expect(a.coverage.weightsOnly)
    }
}
