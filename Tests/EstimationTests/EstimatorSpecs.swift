#if canImport(Glibc)
import Glibc
#endif
import Compression
import Diagnostics
import Estimation
import JSON
import Manifest
import ModelFormats
import Testing

/// The estimator on models whose figures can be worked out by hand.
@Suite struct EstimatorSpecs {
    /// w = [1, 0.5]: symmetric int8 per tensor has s = 1/127; 0.5/s = 63.5 rounds half to even to 64, so
    /// x̂ = 64/127 and the only error is 64/127 − 0.5 on the second value.
    @Test func theSQNROfATwoValueTensorIsTheClosedForm() throws {
        let model = try ModelReader.read(bytes: safetensors([("w", [1, 2], [1, 0.5])]), path: "mem.safetensors")
        let r = try ModelEstimator.estimate(model, settings: EstimateSettings(weights: .int8, granularity: .perTensor))
        let e = 64.0 / 127.0 - 0.5
        let expected = 10 * log10((1 + 0.25) / (e * e))
        #expect(abs((r.sqnrDBMin ?? 0) - expected) < 0.01)
        #expect(r.tensorCount == 1 && r.parameters == 2)
        #expect(r.json["tensors"]?[0]?["scale"]?.doubleValue.map { abs($0 - 1.0 / 127) < 1e-9 } == true)
    }

    /// Values already on the int8 grid come back exactly: the SQNR is null ("exact"), not infinite.
    @Test func valuesOnTheGridAreExact() throws {
        // max |x| = 127 → s = 1: integers are codes.
        let onGrid: [Float] = [127, -127, 3, 0, -5, 64, 1, -2]
        let model = try ModelReader.read(bytes: safetensors([("w", [2, 4], onGrid)]), path: "mem.safetensors")
        let r = try ModelEstimator.estimate(model, settings: EstimateSettings(weights: .int8, granularity: .perTensor))
        #expect(r.sqnrDBMin == nil)
        #expect(r.json["tensors"]?[0]?["sqnr_db"]?.isNull == true)
    }

    /// The model's size after: the measured tensors' bytes are replaced (int8 codes plus one float32 scale
    /// per channel), everything else in the file stays.
    @Test func theModelSizeReplacesOnlyTheMeasuredTensors() throws {
        let bytes = safetensors([("w", [4, 8], (0..<32).map { Float($0) - 16 }), ("bias", [4], [1, 2, 3, 4])])
        let model = try ModelReader.read(bytes: bytes, path: "mem.safetensors")
        let r = try ModelEstimator.estimate(model, settings: EstimateSettings(weights: .int8, granularity: .perChannel))
        #expect(r.modelBytesBefore == bytes.count)
        #expect(r.tensorBytesBefore == 32 * 4)
        #expect(r.tensorBytesAfter == 32 + 4 * 4)
        #expect(r.modelBytesAfter == bytes.count - 32 * 4 + 32 + 16)
        #expect(r.skippedCount == 1)  // the bias: rank 1
    }

    /// Graph formats: the float constants of rank ≥ 2 in every graph and Constant node, the weight inputs with
    /// their consumer's axes; the rest is listed with why.
    @Test func onnxSelectionFindsLSTMAttentionConstantAndBranchWeights() throws {
        let model = try ModelReader.read(path: Repository.path("Tests/Fixtures/estimate/lstm_attention.onnx"))
        let plan = ModelEstimator.plan(model, settings: EstimateSettings())
        let axes = Dictionary(uniqueKeysWithValues: plan.tensors.map { ($0.name, [$0.channelAxis, $0.reductionAxis]) })
        #expect(axes["lstm.W"] == [1, 2])
        #expect(axes["lstm.R"] == [1, 2])
        #expect(axes["attn.qkv"] == [1, 0])
        #expect(axes["proj.weight"] == [1, 0])
        #expect(axes["const.weight"] == [1, 0])
        #expect(axes["branch.weight"] == [1, 0])
        let reasons = Dictionary(uniqueKeysWithValues: plan.skipped.map { ($0.name, $0.reason.code) })
        // A Mul operand: the converter writes it weight-only as well (Planning.WeightSelection), so it is measured.
        #expect(plan.tensors.contains { $0.name == "norm.scale" })
        #expect(reasons["norm.scale"] == nil)
        #expect(reasons["attn.qkv_bias"] == "rank_below_minimum")
        #expect(reasons["axes0"] == "not_float")
    }

    @Test func skipGlobsKeepTensorsInFloatAndSayWhy() throws {
        let model = try ModelReader.read(path: Repository.path("Tests/Fixtures/estimate/lstm_attention.onnx"))
        let plan = ModelEstimator.plan(model, settings: EstimateSettings(skip: ["lstm.*"]))
        #expect(!plan.tensors.contains { $0.name.hasPrefix("lstm.") })
        #expect(plan.skipped.filter { $0.reason.code == "matched_skip_pattern" }.map(\.name).sorted() == ["lstm.R", "lstm.W"])
    }

    /// `--channel-axis` overrides every consumer's axis.
    @Test func theChannelAxisOverrideAppliesToEveryTensor() throws {
        let model = try ModelReader.read(path: Repository.path("Tests/Fixtures/estimate/lstm_attention.onnx"))
        let plan = ModelEstimator.plan(model, settings: EstimateSettings(channelAxis: 0))
        #expect(plan.tensors.allSatisfy { $0.channelAxis == 0 })
    }

    @Test func nonFiniteWeightsAreAFinding() throws {
        let model = try ModelReader.read(path: Repository.path("Tests/Fixtures/estimate/nan_weights.onnx"))
        let r = try ModelEstimator.estimate(model, settings: EstimateSettings())
        let f = r.findings.first { $0.kind == .nonFiniteValues }
        #expect(f?.tensors == ["fc.weight"] && f?.value == 3)
    }

    /// Tied weights (two state-dict keys, one storage) are measured once, under the first name: the bytes
    /// before are the file's, not the sum of the names', and the second name is left out saying why.
    @Test func tiedWeightsAreMeasuredOnce() throws {
        let model = try ModelReader.read(path: Repository.path("Tests/Fixtures/models/pytorch/state_dict.pt"))
        let r = try ModelEstimator.estimate(model, settings: EstimateSettings(weights: .int8))
        let skipped = r.json["skipped"]?.arrayValue ?? []
        let head = try #require(skipped.first { $0["name"]?.stringValue == "head.weight" })
        #expect(head["reason"]?.stringValue == "shared_storage")
        #expect(!(r.json["tensors"]?.arrayValue ?? []).contains { $0["name"]?.stringValue == "head.weight" })
        #expect((r.json["tensors"]?.arrayValue ?? []).contains { $0["name"]?.stringValue == "emb.weight" })
        #expect(r.modelBytesBefore <= model.fileSize)
        #expect(r.modelBytesBefore == model.fileSize - model.storedBytesInFile + model.storedBytes)
    }

    /// bfloat16 and float64 storage is decoded as it is read: the figures of the same values stored as
    /// float32, and the bytes before are the stored ones.
    @Test(arguments: [("bf16", 2), ("f64", 8)])
    func otherFloatStorageGivesTheFiguresOfItsFloat32Values(name: String, width: Int) throws {
        let model = try ModelReader.read(path: Repository.path("Tests/Fixtures/models/all_dtypes.safetensors"))
        let t = try #require(model.tensors.first { $0.name == name })
        let values = try model.withFloat32Values(of: t) { Array($0) }
        let copy = try ModelReader.read(bytes: safetensors([(t.name, t.shape, values)]), path: "copy.safetensors")
        let others = model.tensors.map(\.name).filter { $0 != name }
        let a = try ModelEstimator.estimate(model, settings: EstimateSettings(skip: others))
        let b = try ModelEstimator.estimate(copy, settings: EstimateSettings())
        #expect(a.tensorCount == 1)
        #expect(a.sqnrDBMin == b.sqnrDBMin)
        #expect(a.tensorBytesBefore == values.count * width)
    }
}

/// A target's effective `optimize` becomes the estimate's settings.
@Suite struct SettingsSpecs {
    func target(_ yaml: String) -> TargetSpec? {
        ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest.targets.first
    }

    @Test func aTargetsOptimizeBecomesTheSettings() throws {
        let t = try #require(target("""
            slipway: 1
            model: {path: m.onnx}
            optimize:
              quantize: {weights: int4, granularity: per-block:32, symmetric: false, skip: [head.*]}
              prune: {sparsity: 0.5}
            targets: {a: {runtime: onnxruntime@1.20}}
            """))
        let s = try #require(EstimateSettings(target: t))
        #expect(s.weights == .int4 && s.granularity == .perBlock(size: 32) && !s.symmetric)
        #expect(s.skip == ["head.*"])
        #expect(s.pruning == .sparsity(0.5))
    }

    @Test func aTargetWithoutQuantizationHasNothingToEstimate() {
        let t = target("""
            slipway: 1
            model: {path: m.onnx}
            targets: {a: {runtime: onnxruntime@1.20}}
            """)
        #expect(t.flatMap(EstimateSettings.init(target:)) == nil)
    }

    @Test func perChannelIsTheDefaultGranularity() throws {
        let t = try #require(target("""
            slipway: 1
            model: {path: m.onnx}
            optimize: {quantize: {weights: int8}}
            targets: {a: {runtime: onnxruntime@1.20}}
            """))
        #expect(EstimateSettings(target: t)?.granularity == .perChannel)
    }
}

/// Findings on the manifest: where they go and what their fixes write.
@Suite struct FindingDiagnosticsSpecs {
    func diagnostics(_ yaml: String, model: String) throws -> [Diagnostic] {
        let bytes = Array(yaml.utf8)
        let m = try #require(ManifestFile(bytes: bytes).documents.first?.manifest)
        let model = try ModelReader.read(path: Repository.path(model))
        return TargetEstimation.run(manifest: m, model: model, cache: nil).diagnostics(manifest: m, text: bytes, modelPath: nil)
    }

    func apply(_ fix: Fix, to text: String) -> String {
        var bytes = Array(text.utf8)
        for e in fix.edits.sorted(by: { $0.range.start > $1.range.start }) {
            bytes.replaceSubrange(e.range.start..<e.range.end, with: Array(e.newText.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func perTensorScalesGetAPerChannelFixOnTheGranularity() throws {
        let yaml = """
            slipway: 1
            model: {path: m.onnx}
            optimize:
              quantize: {weights: int8, granularity: per-tensor}
            targets: {a: {runtime: onnxruntime@1.20}, b: {runtime: onnxruntime@1.20}}
            """
        let ds = try diagnostics(yaml, model: "examples/kws-mcu/models/ds_cnn_kws.onnx")
        let d = try #require(ds.first { $0.code == .betterGranularity })
        #expect(ds.filter { $0.code == .betterGranularity }.count == 1)  // said once for both targets
        #expect(d.message.hasPrefix("targets 'a', 'b': "))
        let fix = try #require(d.fixes.first)
        #expect(apply(fix, to: yaml).contains("granularity: per-channel}"))
    }

    @Test func theSkipFixFollowsABlockMappingsIndentation() throws {
        let yaml = """
            slipway: 1
            model: {path: m.onnx}
            optimize:
              quantize:
                weights: int4
                granularity: per-tensor
            targets: {a: {runtime: onnxruntime@1.20}}
            """
        let ds = try diagnostics(yaml, model: "examples/mobile-cnn/models/mobilenet_tiny.onnx")
        let d = try #require(ds.first { $0.code == .tensorsLoseMost })
        let fixed = apply(try #require(d.fixes.first), to: yaml)
        #expect(fixed.contains("    weights: int4\n    skip: [\""))
        let reparsed = ManifestFile(bytes: Array(fixed.utf8))
        #expect(reparsed.diagnostics.isEmpty)
        #expect(reparsed.documents.first?.manifest.optimize.quantize?.skip.count == d.related.count)
    }

    @Test func int4PerBlockAdviceSupersedesPerChannel() throws {
        let yaml = """
            slipway: 1
            model: {path: m.onnx}
            optimize: {quantize: {weights: int4, granularity: per-tensor}}
            targets: {a: {runtime: onnxruntime@1.20}}
            """
        let ds = try diagnostics(yaml, model: "examples/kws-mcu/models/ds_cnn_kws.onnx")
        #expect(ds.contains { $0.code == .int4NeedsPerBlock })
        #expect(!ds.contains { $0.code == .betterGranularity })
        let fix = try #require(ds.first { $0.code == .int4NeedsPerBlock }?.fixes.first)
        #expect(apply(fix, to: yaml).contains("granularity: per-block:32}"))
    }
}

/// A cache entry is input: whatever numbers it holds, reading it back and reporting it never traps.
@Suite struct HostileEntrySpecs {
    @Test func absurdFiguresInAnEntryAreReportedWithoutTrapping() throws {
        let entry = try JSONValue.parse(#"""
            {"tensors": [], "findings": [{"kind": "non_finite_values", "tensors": ["w"], "message": "m", "value": 1e300},
                                         {"kind": "keep_in_float", "tensors": ["w"], "message": "m", "from_db": -1e308, "to_db": 1e308},
                                         {"kind": "no_such_kind", "tensors": [], "message": "m"}],
             "total": {"scheme": "int8-sym-per-channel", "parameters": 1e300, "bytes_before": 4, "bytes_after": 1,
                       "sqnr_db_min": 1e308, "worst": [{"name": "w", "sqnr_db": -1e308}]},
             "model": {"bytes_before": 9007199254740991, "bytes_after": -5}}
            """#)
        // A non-integral parameter count: not a result.
        #expect(EstimateResult(json: entry) == nil)
        guard case .object(var o) = entry, case .object(var total)? = o["total"] else { return }
        total["parameters"] = .int(Int.max)
        o["total"] = .object(total)
        let r = try #require(EstimateResult(json: .object(o)))
        #expect(r.findings.count == 2)
        let t = try #require(ManifestFile(bytes: Array("""
            slipway: 1
            model: {path: m.onnx}
            optimize: {quantize: {weights: int8}}
            targets: {a: {runtime: onnxruntime@1.20}}
            """.utf8)).documents.first?.manifest.targets.first)
        let ds = EstimateDiagnostics.diagnostics(target: t, result: r, text: nil)
        #expect(ds.map(\.code) == [.nonFiniteWeights, .tensorsLoseMost])
        _ = EstimateTable.text(.object(["targets": .array([.object([
            "target": "a", "size_bytes": .int(Int.max), "size_before_bytes": .int(Int.min), "latency_ms": .double(1e300),
            "sqnr_db_aggregate": .double(1e308), "macs": .int(Int.max),
        ])])]))
    }
}

/// The text table says how each latency was made.
@Suite struct LatencyTextSpecs {
    @Test func aCalibratedLatencyGivesItsSourceAndTheRangeOfItsSpread() {
        let row: JSONValue = [
            "target": "board", "latency_ms": .double(10),
            "latency_calibration": [
                "method": "calibrated", "class": "cortex-m7", "precision": "int8", "cycles_per_mac": .double(1.0),
                "cycles_per_mac_spread": [.double(0.8), .double(1.3)], "stack": "X-CUBE-AI v9.0.0",
            ],
        ]
        let text = EstimateTable.text(["targets": [row]])
        #expect(text.contains("  board: latency 10 ms calibrated on published cortex-m7 int8 measurements, X-CUBE-AI v9.0.0: 1.0 cycles/MAC, 8.0 ms–13 ms over their spread"))
    }

    /// The Edge TPU's two terms: compute, and the parameters beyond its on-chip cache streamed on every inference.
    @Test func anEdgeTPULatencyGivesItsComputeAndStreamingTerms() {
        func row(streamed: Int) -> JSONValue {
            [
                "target": "coral", "latency_ms": .double(300),
                "latency_calibration": [
                    "method": "calibrated", "class": "edgetpu", "attachment": "dev-board", "precision": "int8",
                    "ms_per_gmac": .double(2.5), "ms_per_streamed_mb": .double(2.0), "constant_ms": .double(0),
                    "cache_bytes": .int(8_000_000), "parameter_bytes": .int(138_000_000), "streamed_bytes": .int(streamed),
                    "compute_ms": .double(40), "streaming_ms": .double(260), "ratio_spread": [.double(0.8), .double(1.25)],
                ],
            ]
        }
        #expect(EstimateTable.text(["targets": [row(streamed: 130_000_000)]]).contains(
            "  coral: latency 300 ms calibrated on Coral's published edgetpu (dev-board) measurements: 40 ms compute at 2.5 ms/GMAC + 260 ms streaming the 130 MB of parameters beyond its 8.0 MB on-chip cache; 240 ms–375 ms over the fit's spread"))
        #expect(EstimateTable.text(["targets": [row(streamed: 0)]]).contains(
            "all 138 MB of parameters in its 8.0 MB on-chip cache"))
    }

    /// A device's own fit names the device, the runtime, the processor and the precision (one device may have an NPU
    /// and a GPU fit at the same precision) and whose measurements.
    @Test func aDeviceFitNamesItsProcessorAndPublisher() {
        let row: JSONValue = [
            "target": "gpu", "latency_ms": .double(10),
            "latency_calibration": [
                "method": "calibrated", "class": "device", "device": "sa7255p-adp", "runtime": "litert",
                "processor": "gpu", "precision": "int8", "ms_per_gmac": .double(11.8774), "constant_ms": .double(1.9085),
                "ratio_spread": [.double(0.974), .double(1.0325)], "published_by": "Qualcomm AI Hub Models 0.65.0",
            ],
        ]
        #expect(EstimateTable.text(["targets": [row]]).contains(
            "  gpu: latency 10 ms calibrated on published sa7255p-adp litert gpu int8 measurements (Qualcomm AI Hub Models 0.65.0): 11.877 ms/GMAC + 1.908 ms; 9.74 ms–10 ms over their spread"))
    }

    @Test func aRooflineSaysSo() {
        let row: JSONValue = ["target": "cpu", "latency_ms": .double(0.5), "latency_calibration": ["method": "uncalibrated-roofline"]]
        #expect(EstimateTable.text(["targets": [row]]).contains("  cpu: latency 0.5 ms is a roofline from the device's peak figures"))
        // No latency, no line.
        #expect(!EstimateTable.text(["targets": [["target": "x"]]]).contains("x: latency"))
    }
}
