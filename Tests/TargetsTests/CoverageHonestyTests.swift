import JSON
import Manifest
import ModelFormats
import Testing

@testable import Targets

/// Never silently partial: when the analysis leaves nodes out, every figure built on it says so, and a budget
/// is never "met" on a lower bound.
@Suite struct CoverageHonestySpec {
    static func manifest(_ model: String, budget: String) throws -> Manifest {
        let yaml = "slipway: 1\nmodel: {path: \(model)}\ntargets:\n  cpu: {runtime: onnxruntime, device: x86-64-avx2, budget: {\(budget)}}\n"
        return try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
    }

    @Test func aDataDependentOperatorIsCountedAndNamed() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("Tests/Fixtures/targets/unique.onnx"))
        #expect(a.coverage.nodesTotal == 2)
        #expect(a.coverage.nodesResolved == 1)
        #expect(a.coverage.unresolvedOps == ["Unique": 1])
        #expect(a.coverage.firstUnresolved == "Unique 'dedup'")
        #expect(!a.coverage.isComplete)
        #expect(a.coverage.json["complete"] == .bool(false))
        #expect(a.coverage.json["unresolved_ops"]?["Unique"]?.intValue == 1)
    }

    /// x [2, 16] · w_const [16, 8]; If: then and else each [2, 8] · [8, 4]; Loop (3 trips, a constant) of
    /// MatMul [2, 4] · [4, 4] and Tanh over the [2, 4] state.
    @Test func ifAndLoopBodiesAreWalkedAndCounted() throws {
        let model = try Repo.model("Tests/Fixtures/conversion/constant_if_loop.onnx")
        let a = GraphAnalysis.analyze(model: model)
        #expect(a.coverage == AnalysisCoverage(nodesResolved: 8, nodesTotal: 8, unresolvedOps: [:], firstUnresolved: nil))
        #expect(a.shapes["branch"] == [2, 4])
        #expect(a.shapes["y"] == [2, 4])
        let matmul = 2 * 8 * 16, branch = 2 * 4 * 8, body = 2 * 4 * 4 + 8 * 2 * OpCost.tanh
        #expect(a.totalMACs == matmul + branch + 3 * body)
        #expect(a.assumedDimensions == [])
    }

    @Test func aBodyNoNodeLeadsIntoCountsAsLeftOut() throws {
        // The same model with the Loop's trip count unknown is still walked once, and says so.
        let model = try Repo.model("Tests/Fixtures/conversion/constant_if_loop.onnx")
        var a = Analyzer(model: model)
        a.walked = []
        let r = a.run(overrides: [:])
        #expect(r.coverage.isComplete)
        var stripped = model
        stripped.graphs[0].nodes.removeAll { $0.opType == "If" || $0.opType == "Loop" }
        let s = GraphAnalysis.analyze(model: stripped)
        #expect(s.coverage.unresolvedOps == ["MatMul (in a subgraph)": 3, "Identity (in a subgraph)": 1, "Tanh (in a subgraph)": 1])
        #expect(!s.coverage.isComplete)
    }

    @Test func aCompleteAnalysisIsComplete() throws {
        let a = GraphAnalysis.analyze(model: try Repo.model("examples/kws-mcu/models/ds_cnn_kws.onnx"))
        #expect(a.coverage.isComplete)
        #expect(a.coverage.unresolvedOps == [:])
        #expect(a.coverage.nodesTotal == a.coverage.nodesResolved)
    }

    @Test func aBudgetWithinALowerBoundIsUnconfirmedAndOneBelowItIsMissed() throws {
        let model = try Repo.model("Tests/Fixtures/targets/unique.onnx")
        let ds = TargetChecks.check(manifest: try Self.manifest("m.onnx", budget: "memory_mb: 100, latency_ms: 100"), model: model, catalogue: catalogue)
        #expect(ds.map(\.code.rawValue).sorted() == ["SW4017", "SW5104", "SW5104"])
        let info = try #require(ds.first { $0.code == .analysisIncomplete })
        #expect(info.message == "model 'm.onnx': figures cover 1 of 2 nodes (left out: Unique ×1, from Unique 'dedup' on); MACs, activation memory and latency are lower bounds (≥)")
        let missed = TargetChecks.check(manifest: try Self.manifest("m.onnx", budget: "memory_mb: 0.00000001"), model: model, catalogue: catalogue)
        #expect(missed.map(\.code.rawValue).sorted() == ["SW4017", "SW5102"])
    }

    /// One verdict: `check` judges a budget wherever `estimate` does, for a TorchScript module (its forward as
    /// evaluated) and for weights without a graph (lower bounds: a miss is a miss, a pass is unconfirmed).
    @Test func checkJudgesBudgetsWhereEstimateDoes() throws {
        let traced = try Repo.model("Tests/Fixtures/models/pytorch/traced_cnn.pt")
        let yaml = "slipway: 1\nmodel: {path: m.pt, inputs: {x: [1, 3, 32, 32]}}\ntargets:\n  cpu: {runtime: onnxruntime, device: x86-64-avx2, budget: {memory_mb: 0.001, latency_ms: 100, size_mb: 0.0001}}\n"
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        let ds = TargetChecks.check(manifest: m, model: traced, catalogue: catalogue)
        #expect(ds.filter { $0.code.rawValue.hasPrefix("SW51") }.map(\.code.rawValue).sorted() == ["SW5101", "SW5102"])
        let row = try #require(TargetEstimates.table(manifest: m, model: traced, catalogue: catalogue)["targets"]?[0])
        #expect(row["memory_budget"] == .string("missed"))
        #expect(row["size_budget"] == .string("missed"))
        #expect(row["latency_budget"] == .string("met"))
        #expect(row["lower_bounds"] == .bool(false))

        let weights = try Repo.model("Tests/Fixtures/models/all_dtypes.safetensors")
        let st = try Self.manifest("w.safetensors", budget: "memory_mb: 0.000001, latency_ms: 100")
        let sd = TargetChecks.check(manifest: st, model: weights, catalogue: catalogue)
        let memory = try #require(sd.first { $0.code.rawValue == "SW5102" })
        #expect(memory.message.hasPrefix("target 'cpu': estimated memory ≥ "))
        let latency = try #require(sd.first { $0.code == .budgetUnconfirmed })
        #expect(latency.message.contains("counts the weights only (the file holds no graph Slipway reads)"))
        #expect(sd.contains { $0.code == .analysisIncomplete })
        let strow = try #require(TargetEstimates.table(manifest: st, model: weights, catalogue: catalogue)["targets"]?[0])
        #expect(strow["memory_budget"] == .string("missed"))
        #expect(strow["latency_budget"] == .string("unconfirmed"))
        // Without a budget on the figures, a weights file is not told it has none.
        let plain = TargetChecks.check(manifest: try Self.manifest("w.safetensors", budget: "size_mb: 100"), model: weights, catalogue: catalogue)
        #expect(!plain.contains { $0.code == .analysisIncomplete })
    }

    /// An artifact in another format than its source does not carry the source's container: the ONNX export of a
    /// TorchScript archive holds the weights, not the archive's code and pickles, in its memory figure.
    @Test func anExportedArtifactsWeightsAreTheTensorsNotTheSourceArchive() throws {
        let traced = try Repo.model("Tests/Fixtures/models/pytorch/traced_cnn.pt")
        let yaml = "slipway: 1\nmodel: {path: m.pt, inputs: {x: [1, 3, 32, 32]}}\ntargets:\n  cpu: {runtime: onnxruntime, device: x86-64-avx2, format: onnx}\n"
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        let row = try #require(TargetEstimates.table(manifest: m, model: traced, catalogue: catalogue)["targets"]?[0])
        #expect(traced.fileSize > 2 * traced.storedBytes)  // the archive is mostly code and pickles
        #expect(row["weight_bytes"]?.intValue == traced.storedBytes)
        #expect(row["memory_bytes"]?.intValue == traced.storedBytes + (row["peak_activation_bytes"]?.intValue ?? -1))
    }

    @Test func theEstimateTableMarksLowerBoundsAndBudgetStates() throws {
        let model = try Repo.model("Tests/Fixtures/targets/unique.onnx")
        let table = TargetEstimates.table(manifest: try Self.manifest("m.onnx", budget: "memory_mb: 100, size_mb: 100"), model: model, catalogue: catalogue)
        let row = try #require(table["targets"]?[0])
        #expect(row["lower_bounds"] == .bool(true))
        #expect(row["memory_budget"] == .string("unconfirmed"))
        #expect(row["memory_budget_met"] == .null)
        #expect(row["size_budget"] == .string("met"))
        #expect(table["coverage"]?["nodes_resolved"]?.intValue == 1)
        let text = TargetEstimates.text(table)
        #expect(text.contains("≥ 16"))
        #expect(text.contains("memory unconfirmed"))
        #expect(text.hasSuffix("lower bounds (≥)\n"))
        let whole = TargetEstimates.table(
            manifest: try Self.manifest("m.onnx", budget: "memory_mb: 100"),
            model: try Repo.model("Tests/Fixtures/targets/maxpool1d.onnx"), catalogue: catalogue)
        #expect(whole["targets"]?[0]?["memory_budget"] == .string("met"))
        #expect(whole["targets"]?[0]?["lower_bounds"] == .bool(false))
        #expect(!TargetEstimates.text(whole).contains("≥"))
    }

    /// A free dimension beyond the batch (the encoder's `sequence`) taken as 1 makes every figure a lower bound,
    /// named, until the manifest fixes it; a free batch alone does not.
    @Test func aFreeDimensionBeyondTheBatchMakesTheFiguresLowerBounds() throws {
        let model = try Repo.model("examples/transformer-server/models/encoder.onnx")
        let open = GraphAnalysis.analyze(model: model)
        #expect(open.assumedDimensions == ["input_ids[0] (batch)", "input_ids[1] (sequence)"])
        #expect(open.coverage.freeDimensions == ["input_ids[1] (sequence)"])
        #expect(!open.coverage.isComplete)
        #expect(open.coverage.json["free_dimensions"] == .array(["input_ids[1] (sequence)"]))
        let ds = TargetChecks.check(manifest: try Self.manifest("m.onnx", budget: "memory_mb: 100"), model: model, catalogue: catalogue)
        let info = try #require(ds.first { $0.code == .analysisIncomplete })
        #expect(info.message == "model 'm.onnx': the free input dimension input_ids[1] (sequence) was taken as 1 (give the sizes in model.inputs); MACs, activation memory and latency are lower bounds (≥)")
        #expect(ds.contains { $0.code == .budgetUnconfirmed })
        let fixed = GraphAnalysis.analyze(model: model, inputs: ["input_ids": [nil, 128]])
        #expect(fixed.coverage.isComplete && fixed.coverage.freeDimensions.isEmpty)
        #expect(AnalysisCoverage.isFreeBeyondBatch("x[2] (height)") && AnalysisCoverage.isFreeBeyondBatch("x: unknown rank"))
        #expect(!AnalysisCoverage.isFreeBeyondBatch("x[0] (batch)") && !AnalysisCoverage.isFreeBeyondBatch("context length: 2048 assumed"))
        // A sequence-first input's leading axis is no batch: taking it as 1 is a lower bound, said so.
        #expect(AnalysisCoverage.isFreeBeyondBatch("x[0] (seq_len)") && AnalysisCoverage.isFreeBeyondBatch("input[0] (time)"))
        // A name with multi-byte characters before the axis (fuzz-tflite, session 28: the symbol was cut at a
        // byte offset taken for a character offset, past the string's end).
        #expect(AnalysisCoverage.isFreeBeyondBatch("é€日本語ü[0] (time)") && !AnalysisCoverage.isFreeBeyondBatch("é€日本語ü[0] (batch)"))
        #expect(AnalysisCoverage.isFreeBeyondBatch("h[0] (T)") && AnalysisCoverage.isFreeBeyondBatch("x[0] (num_frames)"))
        #expect(!AnalysisCoverage.isFreeBeyondBatch("x[0] (N)") && !AnalysisCoverage.isFreeBeyondBatch("x[0] (unk__314)"))
        #expect(!AnalysisCoverage.isFreeBeyondBatch("x[0] (DynamicDimension.0)") && !AnalysisCoverage.isFreeBeyondBatch("x[0]"))
    }

    @Test func smallSizesAreShownInKilobytes() {
        #expect(TargetEstimates.formatMB(0.00013) == "0.13 kB")
        #expect(TargetEstimates.formatMB(0.5) == "0.5 MB")
        #expect(TargetEstimates.formatMB(12.6) == "13 MB")
        #expect(TargetEstimates.formatMB(.nan) == "? MB")
    }
}

/// Exporters' idioms resolve: PyTorch's F.pad arithmetic (ConstantOfShape with an int64 fill, a reversed
/// [n, 2] table, Transpose, Reshape) and an If on `x.dim() == 3` that the shape arithmetic decides.
@Suite struct ExporterIdiomSpec {
    @Test func pytorchPadArithmeticAndAShapeDecidedIfResolve() throws {
        let model = try Repo.model("Tests/Fixtures/targets/pytorch_pad_if.onnx")
        let a = GraphAnalysis.analyze(model: model)
        #expect(a.coverage.isComplete, "\(a.coverage)")
        // pads [2, 3] on the last axis: [0, 0, 2, 0, 0, 3] after the reversal and transpose.
        #expect(a.shapes["padded"] == [1, 2, 15])
        #expect(a.shapes["c"] == [1, 4, 13])
        // The condition is true: the Identity branch runs, the Reshape branch is neither costed nor counted.
        #expect(a.shapes["y"] == [1, 4, 13])
        #expect(a.coverage.nodesTotal == 13)
        // Conv: 4 × 13 outputs × (2 × 3) window; the Equal on two scalars: 1.
        #expect(a.totalMACs == 4 * 13 * 6 + 1)
    }
}
