import Diagnostics
import Manifest
import Planning
import Testing

@testable import Targets

/// ExecuTorch, from scripts/catalogue/derive_executorch.py: its releases, the XNNPACK partitioner's ATen operators
/// (what it does not take runs on the portable kernels: information) and XNNPACKQuantizer's forms. Slipway does not
/// lower to `.pte`: the plan refuses every source, with the reason, so `check` errs where `convert` refuses.
@Suite struct ExecuTorchTargets {
    static func check(_ entry: String, model path: String) throws -> [Diagnostic] {
        let yaml = "slipway: 1\nmodel: {path: m}\ntargets:\n  et: \(entry)\n"
        let m = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest)
        return TargetChecks.check(manifest: m, model: try Repo.model(path), catalogue: catalogue)
    }

    static func plan(_ entry: String, source: String) throws -> [String] {
        let yaml = "slipway: 1\nmodel: {path: m}\ntargets:\n  et: \(entry)\n"
        let t = try #require(ManifestFile(bytes: Array(yaml.utf8)).documents.first?.manifest.targets.first)
        return TargetPlan.make(target: t, source: source).problems.map(\.message)
    }

    @Test func theRuntimeListsItsReleasesWithTheirTorchAndProgramFormat() throws {
        let rt = try #require(catalogue.runtime("executorch"))
        #expect(rt.modelFormats == ["pte"])
        #expect(rt.versions.first?.version == "1.4.1" && rt.versions.last?.version == "0.2.0")
        #expect(rt.version("1.4.1")?.revision == "pytorch/executorch@e4d02f41f7909e8ed5bf4a14ffc520d733453d9f")
        #expect(rt.delegate("xnnpack")?.operators == "executorch-xnnpack" && rt.delegate("xnnpack")?.partitioning == .perNode)
        #expect(rt.delegate("coreml")?.operators == nil && rt.delegate("ethos-u")?.processor == .npu)
        let set = try #require(catalogue.operatorSet("executorch-xnnpack"))
        #expect(set.format == .aten && set.contains("convolution.default") && set.contains("mean.dim"))
        #expect(Coverage.atenName("aten.mean.dim") == "mean.dim" && Coverage.atenName("aten.add.Tensor") == "add.Tensor")
    }

    @Test func theExportedOperatorsAreJudgedByWhatToEdgeMakesOfThem() throws {
        // exported.pt2: conv2d, batch_norm, mean.dim, linear, linear. The partitioner names the Edge dialect's
        // operators; to_edge (measured) makes conv2d convolution and batch_norm _native_batch_norm_legit_no_training,
        // and keeps linear (the partitioner's get_original_aten): every node is delegated.
        let ds = try Self.check("{runtime: executorch@1.4.1, delegate: xnnpack}", model: "Tests/Fixtures/models/pytorch/exported.pt2")
        #expect(!ds.contains { $0.code == .operatorsOnCPU }, "\(ds.map(\.message))")
        #expect(ds.allSatisfy { $0.severity != .error }, "\(ds.map(\.message))")
    }

    @Test func operatorsWhoseEdgeFormsThePartitionerLacksRunOnThePortableKernelsAsInformation() throws {
        // recurrent.pt2: zeros ×3, lstm, gru, slice, select, linear. zeros becomes full, lstm and gru split_with_sizes_copy
        // and squeeze_copy among others, select select_copy: none of them in the partitioner's configs.
        let ds = try Self.check("{runtime: executorch@1.4.1, delegate: xnnpack}", model: "Tests/Fixtures/models/pytorch/recurrent.pt2")
        let fallback = ds.filter { $0.code == .operatorsOnCPU }
        #expect(fallback.count == 1, "\(ds.map(\.message))")
        let message = try #require(fallback.first?.message)
        #expect(fallback.first?.severity == .information)
        #expect(message.contains("6 of 8 operators"), "\(message)")
        #expect(message.contains("to the portable CPU kernels"))
        #expect(message.contains("(to_edge makes it full.default; full.default not in the ExecuTorch XNNPACK partitioner's configs)"), "\(message)")
        #expect(message.contains("aten.lstm.input 'getitem' (to_edge makes it 12 operators; split_with_sizes_copy.default, squeeze_copy.dims not in"), "\(message)")
        #expect(!message.contains("aten.slice") && !message.contains("aten.linear"), "\(message)")
    }

    @Test func theMeasuredDecompositionsMapExportedNamesToEdgeNames() throws {
        let t = catalogue.atenToEdge
        #expect(t.source?.id == "executorch-to-edge-measured")
        #expect(t.operators["conv2d.default"] == ["convolution.default"])
        #expect(t.operators["batch_norm.default"] == ["_native_batch_norm_legit_no_training.default"])
        #expect(t.operators["relu_.default"] == ["relu.default"] && t.operators["hardtanh_.default"] == ["hardtanh.default"])
        #expect(t.operators["flatten.using_ints"] == ["view_copy.default"] && t.operators["view.default"] == ["view_copy.default"])
        #expect(t.operators["linear.default"] == ["addmm.default", "permute_copy.default", "view_copy.default"])
        #expect(t.operators["hardswish.default"] == ["add.Tensor", "clamp.default", "div.Tensor", "mul.Tensor"])
        #expect(t.operators["dropout.default"] == ["clone.default"])
        // adaptive_avg_pool2d becomes mean.dim to 1×1 and stays itself to 2×2: the node's output_size selects.
        #expect(t.edge("adaptive_avg_pool2d.default", attributes: ["output_size": .ints([1, 1])]) == ["mean.dim"])
        #expect(t.edge("adaptive_avg_pool2d.default", attributes: ["output_size": .ints([2, 2])]) == ["_adaptive_avg_pool2d.default"])
        #expect(t.edge("adaptive_avg_pool2d.default", attributes: ["output_size": .ints([3, 3])]) == ["_adaptive_avg_pool2d.default", "mean.dim"])
        #expect(t.edge("not_measured.default", attributes: [:]) == nil)
    }

    @Test func quantizationIsJudgedAgainstTheQuantizersForms() throws {
        let model = "Tests/Fixtures/models/pytorch/exported.pt2"
        for ok in ["{weights: int8, activations: dynamic}", "{weights: int8, activations: int8, calibration: c, granularity: per-channel}",
                   "{weights: int8, activations: int8, calibration: c, granularity: per-tensor}"] {
            let ds = try Self.check("{runtime: executorch, delegate: xnnpack, optimize: {quantize: \(ok)}}", model: model)
            #expect(!ds.contains { $0.message.contains("XNNPACKQuantizer") }, "\(ok): \(ds.map(\.message))")
        }
        for bad in ["{weights: int4}", "{weights: int8}", "{weights: uint8, activations: uint8, calibration: c}",
                    "{weights: int8, activations: dynamic, symmetric: false}", "{weights: int8, activations: dynamic, granularity: 'per-block:32'}"] {
            let ds = try Self.check("{runtime: executorch, delegate: xnnpack, optimize: {quantize: \(bad)}}", model: model)
            let form = ds.filter { $0.message.contains("is not a form ExecuTorch's XNNPACKQuantizer writes") }
            #expect(form.count == 1 && form.first?.severity == .error, "\(bad): \(ds.map(\.message))")
        }
    }

    @Test func slipwayMakesNoPteAndSaysWhyForEverySource() throws {
        let onnx = try Self.plan("{runtime: executorch@1.4.1, delegate: xnnpack}", source: "onnx")
        #expect(onnx == ["ExecuTorch lowers only a torch.export ExportedProgram (.pt2) to a .pte program; an ONNX model is not one; export the PyTorch module with torch.export.export and torch.export.save to a .pt2, and point model.path at it"])
        #expect(try Self.plan("{runtime: executorch}", source: "tflite").first?.contains("a TFLite model is not one") == true)
        #expect(try Self.plan("{runtime: executorch}", source: "keras").first?.contains("a Keras model is not one") == true)
        let pt2 = try Self.plan("{runtime: executorch}", source: "pytorch-exported-program")
        #expect(pt2.count == 1 && pt2.first?.hasPrefix("Slipway does not lower to ExecuTorch") == true)
        // A runtime that loads .pte only: another format is refused by name.
        #expect(try Self.plan("{runtime: executorch, format: onnx}", source: "onnx").contains("runtime executorch loads pte, not onnx"))
    }

    @Test func anONNXModelGetsNoATenCoverage() throws {
        // The format is refused by the plan (above); the target checks add nothing about operators of another format.
        let ds = try Self.check("{runtime: executorch@1.4.1, delegate: xnnpack}", model: "Tests/Fixtures/models/pytorch/recurrent.onnx")
        #expect(!ds.contains { $0.code == .operatorsOnCPU || $0.code == .operatorUnsupported }, "\(ds.map(\.message))")
    }
}
