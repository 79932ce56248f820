import Diagnostics
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// A PyTorch model bound for ONNX Runtime with an execution provider is converted by torch.onnx.export (the
/// TorchScript exporter for a `.pt`, the dynamo exporter for a `.pt2`): each ATen call is judged by the ONNX
/// operators that exporter writes for it (`aten_to_onnx`, scripts/catalogue/measure_aten_onnx.py) against the
/// provider's table. A call whose export was not measured is said, and the model is not taken as running whole.
@Suite struct ATenToONNXTargets {
    static let qnn = "{runtime: onnxruntime, delegate: qnn, device: samsung-galaxy-s25, format: onnx}"
    static let coreml = "{runtime: onnxruntime, delegate: coreml, format: onnx}"

    static func manifest(_ entry: String, inputs: String) throws -> Manifest {
        let yaml = "slipway: 1\nmodel: {path: m\(inputs)}\ntargets:\n  t: \(entry)\n"
        return try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
    }

    static func check(_ entry: String, model path: String, inputs: String = "") throws -> [Diagnostic] {
        TargetChecks.check(manifest: try manifest(entry, inputs: inputs), model: try Repo.model(path), catalogue: catalogue)
    }

    static func coverage(_ delegate: String, model path: String, inputs: [String: [Int?]] = [:]) throws -> CoverageReport {
        let model = try Repo.model(path)
        let rt = try #require(catalogue.runtime("onnxruntime"))
        return Coverage.check(model: model, runtime: rt, version: nil, delegate: rt.delegate(delegate), catalogue: catalogue,
                              analysis: GraphAnalysis.analyze(model: model, inputs: inputs))
    }

    @Test func theMeasuredExportsNameTheONNXOperatorsPerExporter() throws {
        let t = catalogue.atenToONNX
        let script = try #require(t.tables[.torchscript]), dynamo = try #require(t.tables[.dynamo])
        #expect(script.opset == 17 && dynamo.opset == 18)
        // A TorchScript call as Slipway's evaluator names it; a .pt2's with its overload.
        #expect(script.operators["conv2d"] == ["Conv"] && script.operators["conv_transpose2d"] == ["ConvTranspose"])
        #expect(dynamo.operators["conv2d.default"] == ["Conv"] && dynamo.operators["mean.dim"] == ["ReduceMean"])
        #expect(script.operators["silu"] == ["Mul", "Sigmoid"] && dynamo.operators["silu.default"] == ["Mul", "Sigmoid"])
        // The exporters differ: rsqrt is Sqrt then Div for one, Sqrt then Reciprocal for the other.
        #expect(script.operators["rsqrt"] == ["Div", "Sqrt"] && dynamo.operators["rsqrt.default"] == ["Reciprocal", "Sqrt"])
        #expect(script.operators["dropout"] == ["Identity"])
        // The recurrent layers are measured given their initial states (without, the trace adds the zeros); the
        // batch-first layout adds the transposes.
        #expect(script.operators["lstm"] == ["LSTM", "Squeeze", "Transpose"] && dynamo.operators["lstm.input"] == ["LSTM", "Reshape", "Slice", "Transpose"])
        // What onnxruntime folds before the providers are asked is not offered them: a traced pad's arithmetic.
        #expect(script.operators["constant_pad_nd"] == ["Pad"] && script.operators["zeros"] == [])
        #expect(ATenToONNX.Exporter(conversionSource: "pytorch") == .torchscript)
        #expect(ATenToONNX.Exporter(conversionSource: "pytorch-exported-program") == .dynamo)
        #expect(Coverage.atenCall("aten.conv2d") == "conv2d" && Coverage.atenCall("aten.mean.dim") == "mean.dim")
    }

    @Test func aTracedCNNRunsWholeOnQNNAndCoreMLBecauseEveryExportedOperatorIsInTheirTables() throws {
        // traced_cnn.pt: conv2d ×3, batch_norm, hardtanh, max_pool2d, add, adaptive_avg_pool2d, flatten, linear;
        // evaluated from its TorchScript code at the manifest's input, then judged as the TorchScript exporter writes it.
        for ep in ["qnn", "coreml"] {
            let c = try Self.coverage(ep, model: "Tests/Fixtures/models/pytorch/traced_cnn.pt", inputs: ["x": [1, 3, 32, 32]])
            #expect(c.operators.count == 11)
            #expect(c.runsWhole, "\(ep): \(c.operators.map { "\($0.opType): \($0.reason)" })")
            let conv = try #require(c.operators.first { $0.opType == "aten.conv2d" })
            #expect(conv.reason.contains("torch.onnx.export's TorchScript exporter makes it Conv, which the "), "\(conv.reason)")
        }
    }

    @Test func aScriptedLSTMCellIsJudgedByTheLSTMTheTorchScriptExporterWritesForIt() throws {
        // scripted_cell.pt: lstm_cell five times, measured on a scripted cell (a trace decomposes it): the exporter
        // writes LSTM between Unsqueeze and Squeeze. QNN's HTP table has all three; Core ML's NeuralNetwork table
        // has neither LSTM nor Unsqueeze, so each step falls back by name.
        #expect(catalogue.atenToONNX.tables[.torchscript]?.operators["lstm_cell"] == ["LSTM", "Squeeze", "Unsqueeze"])
        let path = "Tests/Fixtures/models/pytorch/scripted_cell.pt"
        let onQNN = try Self.coverage("qnn", model: path, inputs: ["x": [1, 5, 8]])
        #expect(onQNN.runsWhole, "\(onQNN.operators.map { "\($0.opType): \($0.reason)" })")
        let onCoreML = try Self.coverage("coreml", model: path, inputs: ["x": [1, 5, 8]])
        let cells = onCoreML.operators.filter { $0.opType == "aten.lstm_cell" }
        #expect(cells.count == 5 && cells.allSatisfy { $0.status == .cpuFallback })
        #expect(cells.first?.reason.contains("makes it LSTM + Squeeze + Unsqueeze; LSTM, Unsqueeze not in the ONNX Runtime Core ML execution provider") == true,
                "\(cells.first?.reason ?? "")")
    }

    @Test func aMeanFallsBackFromCoreMLAsTheReduceMeanEachExporterWrites() throws {
        // torchscript.pt (TorchScript exporter) and exported.pt2 (dynamo exporter) both end in a global mean, which both
        // exporters write as ReduceMean: not in the Core ML EP's NeuralNetwork table, in QNN's.
        for (path, inputs, exporter) in [("Tests/Fixtures/models/pytorch/torchscript.pt", ", inputs: {x: [1, 3, 32, 32]}", "TorchScript"),
                                         ("Tests/Fixtures/models/pytorch/exported.pt2", "", "dynamo")] {
            let ds = try Self.check(Self.coreml, model: path, inputs: inputs)
            let fallback = ds.filter { $0.code == .operatorsOnCPU }
            #expect(fallback.count == 1, "\(ds.map(\.message))")
            let message = try #require(fallback.first?.message)
            #expect(message.contains("1 of 5 operators"), "\(message)")
            #expect(message.contains("(torch.onnx.export's \(exporter) exporter makes it ReduceMean; ReduceMean not in the ONNX Runtime Core ML execution provider (NeuralNetwork format, the default)'s operator table)"), "\(message)")
            let onQNN = try Self.check(Self.qnn, model: path, inputs: inputs)
            #expect(!onQNN.contains { $0.code == .operatorsOnCPU }, "\(onQNN.map(\.message))")
        }
    }

    @Test func callsWhoseExportWasNotMeasuredAreSaidAndTheNPUCalibrationIsNotApplied() throws {
        // unmeasured.pt2: linear, then cumsum, which no measured module calls.
        let path = "Tests/Fixtures/models/pytorch/unmeasured.pt2"
        let ds = try Self.check(Self.qnn, model: path)
        let said = ds.filter { $0.code == .operatorsOnCPU }
        #expect(said.count == 1 && said.first?.severity == .information, "\(ds.map(\.message))")
        #expect(said.first?.message.contains("1 of 2 ATen calls were not checked against the qnn execution provider's operator table") == true)
        #expect(said.first?.message.hasSuffix(": aten.cumsum.default") == true, "\(said.map(\.message))")
        let c = try Self.coverage("qnn", model: path)
        #expect(c.unknown.count == 1 && c.cpuNodes.isEmpty && !c.runsWhole)
        // recurrent.pt2 (zeros, lstm, gru, slice, select, linear): every call measured now, the LSTM and GRU given
        // their initial states.
        #expect(try Self.coverage("qnn", model: "Tests/Fixtures/models/pytorch/recurrent.pt2").unknown.isEmpty)
        // The Galaxy S25's measured ONNX Runtime NPU fit holds for a model that runs whole on the NPU: not this one.
        let m = try Repo.model(path)
        let table = TargetEstimates.table(manifest: try Self.manifest(Self.qnn, inputs: ""), model: m, catalogue: catalogue)
        let row = try #require(table["targets"]?.arrayValue?.first)
        #expect(row["latency_calibration"] == .null)
        // A runtime with its own ONNX table and no fallback (TensorRT) says it under its own rule, SW4004, as information.
        let trt = try Self.check("{runtime: tensorrt, format: onnx}", model: path).filter { $0.code == .operatorUnsupported }
        #expect(trt.count == 1 && trt.first?.severity == .information, "\(trt.map(\.message))")
        #expect(trt.first?.message.contains("1 of 2 ATen calls were not checked against NVIDIA TensorRT's operator table") == true)
        // exported.pt2 is judged whole on QNN: the fit applies.
        let whole = TargetEstimates.table(manifest: try Self.manifest(Self.qnn, inputs: ""), model: try Repo.model("Tests/Fixtures/models/pytorch/exported.pt2"), catalogue: catalogue)
        #expect(whole["targets"]?.arrayValue?.first?["latency_calibration"]?["method"] == .string("calibrated"))
    }
}
