import Compression
import Manifest
import Planning
import Testing

/// The plan of a target: the settings read once, the conversion path from Schemas/conversion/paths.json, and
/// the verdicts `check` reports (SW4018) and `convert` refuses with, in the same words.
@Suite("A target's plan")
struct TargetPlanSpec {
    func target(_ entry: String, model: String = "m.onnx") throws -> TargetSpec {
        let text = """
            slipway: 1
            model: {path: \(model)}
            targets:
              t: \(entry)
            """
        return try #require(ManifestFile(text).documents.first?.manifest.targets.first)
    }

    func problems(_ entry: String, source: String, maxOpset: Int? = nil) throws -> [String] {
        TargetPlan.make(target: try target(entry), source: source, runtimeMaxOpset: maxOpset).problems.map(\.message)
    }

    @Test func theEmbeddedTableReads() throws {
        let table = try ConversionPaths.embedded.get()
        #expect(table.paths.count == 28)
        #expect(table.runtimeFormats["tflite-micro"] == ["tflite"])
        // ExecuTorch loads .pte; Slipway writes none: 8 sources, each a path `none` with its reason.
        #expect(table.runtimeFormats["executorch"] == ["pte"])
        #expect(table.paths.filter { $0.to == "pte" }.count == 8 && table.paths.allSatisfy { $0.to != "pte" || $0.via == "none" })
        #expect(table.opsets.fourBit == 21 && table.opsets.perChannel == 13)
    }

    @Test("Core ML from an ONNX model has no path, in coremltools' words")
    func coreMLFromONNX() throws {
        #expect(try problems("{runtime: coreml}", source: "onnx") == [
            "Core ML from ONNX is not possible: coremltools has no ONNX frontend since version 6; point model.path at a TorchScript module (.pt) or an ExportedProgram (.pt2)",
        ])
        let plan = TargetPlan.make(target: try target("{runtime: coreml}"), source: "pytorch")
        #expect(plan.route == .tool("coremltools") && plan.problems.isEmpty && plan.format == "mlpackage")
    }

    @Test("int8 weights in a safetensors file: safetensors holds no scales")
    func int8Safetensors() throws {
        #expect(try problems("{format: safetensors, optimize: {quantize: {weights: int8}}}", source: "safetensors") == [
            "Slipway's safetensors → safetensors conversion writes weights: none, float32, float16, bfloat16, not int8; safetensors has no place for quantization scales; use float16 or bfloat16",
        ])
        let ok = TargetPlan.make(target: try target("{optimize: {quantize: {weights: bfloat16}}}"), source: "safetensors")
        #expect(ok.problems.isEmpty && ok.route == .native && ok.format == "safetensors")
    }

    @Test("A Keras model goes to TFLite through TensorFlow's converter, which neither prunes nor writes int4 or uint8 activations")
    func kerasToTFLite() throws {
        for entry in ["{runtime: litert}", "{runtime: litert, optimize: {quantize: {weights: float16}}}",
                      "{runtime: litert, optimize: {quantize: {weights: int8}}}",
                      "{runtime: tflite-micro, optimize: {quantize: {weights: int8, activations: int8, granularity: per-tensor}}}"] {
            let plan = TargetPlan.make(target: try target(entry), source: "keras")
            #expect(plan.route == .tool("tflite-converter") && plan.format == "tflite" && plan.problems.isEmpty, "\(entry)")
        }
        #expect(try problems("{runtime: litert, optimize: {quantize: {weights: int4}}}", source: "keras") == [
            "tflite-converter (keras → tflite) writes weights: none, float32, float16, int8, not int4; TensorFlow's converter writes float32, float16 or int8 (dynamic-range) weights with float activations",
        ])
        #expect(try problems("{runtime: litert, optimize: {quantize: {weights: int8, activations: uint8}}}", source: "keras") == [
            "no conversion path from keras to tflite with activations: uint8; the paths take activations: float32, int8, none",
        ])
        #expect(try problems("{runtime: litert, optimize: {prune: {sparsity: 0.5}}}", source: "keras") == [
            "tflite-converter (keras → tflite) does not prune; convert without pruning, then prune the tflite artifact (a manifest whose model is that file, with optimize.prune)",
        ])
        #expect(try problems("{format: safetensors}", source: "keras") == [
            "no conversion path from keras to safetensors; from keras Slipway makes onnx, tflite",
        ])
    }

    @Test("integer inputs and outputs (quantize.io) come with full-integer quantization, on a path that writes them")
    func integerIO() throws {
        let full = "{runtime: litert, optimize: {quantize: {weights: int8, activations: int8, calibration: c, io: int8}}}"
        let plan = TargetPlan.make(target: try target(full), source: "keras")
        #expect(plan.problems.isEmpty && plan.settings.io == "int8" && plan.route == .tool("tflite-converter"))
        #expect(try problems(full.replacingOccurrences(of: "io: int8", with: "io: uint8"), source: "keras").isEmpty)
        #expect(try problems("{runtime: litert, optimize: {quantize: {weights: int8, io: uint8}}}", source: "keras") == [
            "io: uint8 makes the inputs and outputs integer, which needs full-integer quantization (activations: int8 with calibration samples), not activations: none",
        ])
        // onnxruntime's quantize_static keeps float inputs and outputs (QuantizeLinear/DequantizeLinear at the edges).
        #expect(try problems("{runtime: onnxruntime, optimize: {quantize: {weights: int8, activations: int8, calibration: c, io: int8}}}", source: "onnx") == [
            "onnxruntime-quantize-static (onnx → onnx) writes float32 inputs and outputs, not io: int8",
        ])
        #expect(PlannedSettings(optimize: try target("{runtime: litert}").optimize).io == "float32")
    }

    @Test("Keras and TorchScript models reach ONNX through their exporter, then Slipway's own ONNX converter, with its opset needs")
    func exportedThenQuantized() throws {
        for source in ["keras", "pytorch"] {
            let plan = TargetPlan.make(target: try target("{runtime: onnxruntime@1.20, optimize: {quantize: {weights: int8, activations: dynamic}}}"),
                                       source: source, runtimeMaxOpset: 21)
            #expect(plan.route == .tool(source == "keras" ? "tf2onnx" : "torch-onnx-export") && plan.problems.isEmpty, "\(source)")
            #expect(plan.neededOpset?.opset == 13)  // per-channel scales on the dynamic path
        }
        #expect(try problems("{runtime: onnxruntime@1.17, optimize: {quantize: {weights: int4, granularity: per-block:32}}}",
                             source: "keras", maxOpset: 20) == [
            "int4 DequantizeLinear needs opset 21; onnxruntime@1.17 runs models up to opset 20; use int8 per-channel weights, or a newer runtime",
        ])
    }

    @Test("an exporter is asked for its default opset, or the runtime's highest when that is lower")
    func exporterOpset() throws {
        func opset(_ source: String, _ max: Int?) throws -> Int? {
            TargetPlan.make(target: try target("{runtime: onnxruntime@1.13}"), source: source, runtimeMaxOpset: max).exportOpset
        }
        // torch 2.7: the dynamo exporter writes 18, the TorchScript exporter 17; tf2onnx is asked for 17.
        #expect(try opset("pytorch-exported-program", nil) == 18)
        #expect(try opset("pytorch-exported-program", 21) == 18)
        #expect(try opset("pytorch-exported-program", 17) == 17)  // onnxruntime 1.13: the TorchScript exporter at 17
        #expect(try opset("pytorch", 21) == 17)
        #expect(try opset("pytorch", 15) == 15)
        #expect(try opset("keras", 15) == 15)
        #expect(try opset("onnx", 15) == nil)  // the native path keeps the model's opset
        #expect(try problems("{runtime: onnxruntime@1.0}", source: "pytorch", maxOpset: 5) == [
            "torch-onnx-export writes opset 7 or above; onnxruntime@1.0 runs models up to opset 5; use a newer runtime",
        ])
        #expect(try problems("{runtime: onnxruntime@1.0}", source: "keras", maxOpset: 6).isEmpty)
    }

    @Test("format: onnx from safetensors has no path")
    func onnxFromSafetensors() throws {
        #expect(try problems("{format: onnx}", source: "safetensors") == [
            "no conversion path from safetensors to onnx; from safetensors Slipway makes safetensors",
        ])
    }

    @Test("int4 needs opset 21: an error for onnxruntime 1.17 (opset 20), none for 1.20 (opset 21)")
    func int4OnOlderRuntime() throws {
        let entry = "{runtime: onnxruntime@1.17, optimize: {quantize: {weights: int4, granularity: per-block:32}}}"
        #expect(try problems(entry, source: "onnx", maxOpset: 20) == [
            "int4 DequantizeLinear needs opset 21; onnxruntime@1.17 runs models up to opset 20; use int8 per-channel weights, or a newer runtime",
        ])
        #expect(try problems(entry, source: "onnx", maxOpset: 21).isEmpty)
        #expect(try problems("{runtime: onnxruntime, optimize: {quantize: {weights: int8}}}", source: "onnx", maxOpset: 12) == [
            "per-channel DequantizeLinear (axis) needs opset 13; onnxruntime runs models up to opset 12; use a newer runtime",
        ])
    }

    @Test("a runtime that cannot load the format is an error; dynamic quantization takes 8-bit weights")
    func runtimeLoadsFormat() throws {
        #expect(try problems("{runtime: onnxruntime, format: tflite}", source: "tflite") == ["runtime onnxruntime loads onnx, not tflite"])
        // safetensors runs in transformers and GGUF in llama.cpp: another runtime named for them is an error...
        #expect(try problems("{runtime: onnxruntime, format: safetensors}", source: "safetensors") == ["runtime onnxruntime loads onnx, not safetensors"])
        #expect(try problems("{runtime: onnxruntime, format: gguf}", source: "gguf") == ["runtime onnxruntime loads onnx, not gguf"])
        // ...and the one the format implies need not be named.
        let st = TargetPlan.make(target: try target("{format: safetensors}", model: "m.safetensors"), source: "safetensors")
        #expect(st.problems.isEmpty && st.route == .native)
        #expect(try problems("{runtime: llama.cpp}", source: "gguf").isEmpty)
        #expect(try problems("{runtime: onnxruntime, optimize: {quantize: {weights: int4, activations: dynamic}}}", source: "onnx") == [
            "dynamic quantization (MatMulInteger/ConvInteger) takes int8 or uint8 weights, not int4; use activations: none for int4 weights",
        ])
    }

    @Test("static activations go to onnxruntime's quantize_static, which does not prune")
    func staticActivations() throws {
        let entry = "{runtime: onnxruntime, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}, prune: {sparsity: 0.5}}}"
        let plan = TargetPlan.make(target: try target(entry), source: "onnx")
        #expect(plan.route == .tool("onnxruntime-quantize-static"))
        #expect(plan.problems.map(\.message) == [
            "onnxruntime-quantize-static (onnx → onnx) does not prune; prune the onnx model first (a target with format: onnx and optimize.prune) and convert that",
        ])
    }

    @Test("one reading of the settings: dynamic without weights is int8; reduce_range matters only with integer compute")
    func settings() throws {
        let dyn = PlannedSettings(optimize: try target("{optimize: {quantize: {activations: dynamic}}}").optimize)
        #expect(dyn.weights == .int8 && dyn.dynamic && dyn.integerCompute)
        let weightOnly = PlannedSettings(optimize: try target("{optimize: {quantize: {weights: int8, reduce_range: true}}}").optimize)
        #expect(weightOnly.reduceRange && !weightOnly.integerCompute)
        let qop = PlannedSettings(optimize: try target("{optimize: {quantize: {format: qoperator}}}").optimize)
        #expect(qop.weights == .int8 && qop.dynamic)
    }
}
