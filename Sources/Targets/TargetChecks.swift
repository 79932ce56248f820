import CheckedMath
import Diagnostics
import Manifest
import Planning
import ModelFormats

/// Model/target compatibility: each target of the manifest against the catalogue's runtimes, delegates,
/// devices and rules, and against the model when it could be read. Diagnostics go on the manifest's ranges
/// (the target's runtime, delegate, minimum_os or quantize values, else its name key) and name their rule
/// and its source in the related information.
public enum TargetChecks {
    /// Every rule id the checks below consult; a test keeps them in the catalogue.
    public static let ruleIDs = [
        "ort.opset-range", "ort.ir-version", "ort.domains", "ort.quant-opset", "ort.gpu-symmetric",
        "ort.s8s8-qoperator-x86", "ort.reduce-range", "ort.nnapi-android", "litert.nnapi-android", "ort.coreml-os", "tensorrt.symmetric", "nnapi.deprecated", "litert.op-version",
        "litert.min-runtime", "ort.ml-opset-range", "litert.builtin", "litert.keras-builtin", "litert.keras-full-integer", "litert.onnx-recurrence-steps", "litert.onnx-strided-dilation", "litert.onnx-if-branches", "litert.onnx-lstm-states", "litert.onnx-pow-exponent", "litert.onnx-convtranspose-batch", "litert.onnx-convtranspose-sizes", "litert.onnx-tile-free", "litert.onnx-expand-shape", "litert.onnx-reshape-free", "litert.onnx-expand-runtime-broadcast", "litert.onnx-reshape-runtime-zero", "litert.onnx-slice-open-end", "litert.onnx-kept-layout-constant", "litert.onnx-unsqueezed-frames", "litert.onnx-sampled-sizes", "litert.onnx-clip-open-bound", "litert.onnx-clip-runtime-bound", "litert.converter-rank", "litert.onnx-above-6d", "litert.xnnpack-prepare", "litert.gpu-ops", "edgetpu.full-int8", "edgetpu.static-shapes", "qnn.static-shapes",
        "ort.nnapi-static-shapes", "edgetpu.rank", "edgetpu.one-partition", "tflm.int8", "tflm.hybrid", "tflm.static-shapes", "tflm.ops", "tensorrt.ops", "ort.ep-fallback",
        "openvino.ops", "litert.gpu-version", "litert.xnnpack-ops", "ops.constraint", "coreml.mlprogram", "coreml.compression-os",
        "tensorrt.sparsity", "tensorrt.precision", "quant.calibration", "quant.already-quantized", "budget.size",
        "budget.memory", "budget.latency", "budget.unconfirmed", "analysis.coverage", "llamacpp.ggml-type", "llamacpp.gguf-version",
        "executorch.xnnpack-ops", "executorch.quant-form",
    ]

    /// Checks every target of `manifest`. `model` is the model the manifest names, when it could be read;
    /// `sizeBytes` optionally supplies each target's size after optimization (by target name) from the
    /// Compression engine.
    public static func check(
        manifest: Manifest, model: Model?, catalogue: Catalogue, sizeBytes: [String: Int] = [:]
    ) -> [Diagnostic] {
        // The figures `slipway estimate` gives, from the same analysis: budgets are judged on them for every
        // format (a TorchScript forward as evaluated, weights without a graph as lower bounds), so `check` misses
        // a budget exactly where `estimate` does.
        let analysis = model.map { m in
            GraphAnalysis.analyze(model: m, inputs: manifestInputDims(manifest), values: manifestInputValues(manifest),
                                  contextLength: manifest.model?.contextLength?.value)
        }
        var out: [Diagnostic] = model.map { InputChecks.check(manifest: manifest, model: $0) } ?? []
        // Said once, on the model: every figure below is a lower bound. For weights without a graph, only when a
        // budget turns on the figures (the file is not expected to have any).
        let judged = manifest.targets.contains { $0.budget.memoryMB != nil || $0.budget.latencyMS != nil }
        if let analysis, !analysis.coverage.isComplete, !analysis.coverage.weightsOnly || judged,
            let path = manifest.model?.path, let rule = catalogue.rule("analysis.coverage"), let code = rule.code
        {
            out.append(Diagnostic(
                code, "model '\(path.value)': \(analysis.coverage.sentence)", at: path.range,
                related: [RelatedLocation(file: catalogue.source(rule.source)?.url, message: "\(rule.text) (\(catalogue.cite(rule.source)))")]))
        }
        for t in manifest.targets {
            var c = TargetContext(manifest: manifest, target: t, model: model, analysis: analysis, catalogue: catalogue)
            out += c.run(sizeBytes: sizeBytes[t.name.value]).map { d in
                var d = d
                if d.targets.isEmpty { d.targets = [t.name.value] }
                return d
            }
        }
        return mergedAcrossTargets(out)
    }

    /// Whether a target's runtime, or the delegate it names (the runtime's CPU one by default), runs fixed-size
    /// tensors only: SW4012's condition, and the one under which `convert` writes the manifest's input sizes into
    /// an ONNX artifact (the runtime loads the file, not the manifest).
    public static func needsStaticShapes(_ t: TargetSpec, catalogue: Catalogue) -> Bool {
        guard let name = t.runtimeName, let runtime = catalogue.runtime(name) else { return false }
        let delegate = runtime.delegate(t.delegate?.value ?? "cpu")
        return runtime.staticShapes || delegate?.staticShapes == true
    }

    /// Targets that inherit the manifest-wide `optimize` share its ranges: each thing is said once, naming
    /// every target it concerns ("targets 'a', 'b': …"). Used for the target checks and the estimate findings.
    public static func mergedAcrossTargets(_ ds: [Diagnostic]) -> [Diagnostic] {
        var merged: [Diagnostic] = []
        var index: [String: Int] = [:]
        for d in ds {
            // The target is a field; its message starts with exactly "target '<name>': " (the one spelling).
            let target = d.targets.count == 1 ? d.targets[0] : nil
            let prefix = target.map { "target '\($0)': " }
            let rest = prefix.flatMap { d.message.hasPrefix($0) ? String(d.message.dropFirst($0.count)) : nil }
            guard let target, let rest else {
                merged.append(d)
                continue
            }
            let key = "\(d.code.rawValue)|\(d.range.start)|\(d.range.end)|\(rest)"
            if let at = index[key] {
                merged[at].targets.append(target)
                merged[at].message = "targets " + merged[at].targets.map { "'\($0)'" }.joined(separator: ", ") + ": " + rest
            } else {
                index[key] = merged.count
                merged.append(d)
            }
        }
        return merged
    }
}

private struct TargetContext {
    let manifest: Manifest
    let target: TargetSpec
    let model: Model?
    let analysis: GraphAnalysis?
    let catalogue: Catalogue
    var out: [Diagnostic] = []

    init(manifest: Manifest, target: TargetSpec, model: Model?, analysis: GraphAnalysis?, catalogue: Catalogue) {
        self.manifest = manifest
        self.target = target
        self.model = model
        self.analysis = analysis
        self.catalogue = catalogue
    }

    var name: String { target.name.value }
    var runtimeRange: ByteRange { target.runtime?.range ?? target.name.range }
    var delegateRange: ByteRange { target.delegate?.range ?? runtimeRange }
    var quantize: QuantizeSpec? { target.optimize.quantize }

    /// A diagnostic for `rule`, with the rule's text and source as related information.
    mutating func emit(
        _ ruleID: String, _ message: String, at range: ByteRange, severity: Severity? = nil, fixes: [Fix] = [],
        tags: [DiagnosticTag] = []
    ) {
        guard let rule = catalogue.rule(ruleID), let code = rule.code else { return }
        var related = [RelatedLocation(file: catalogue.source(rule.source)?.url, message: "\(rule.text) (\(catalogue.cite(rule.source)))")]
        if let also = rule.also {
            related.append(RelatedLocation(file: catalogue.source(also)?.url, message: "See also \(catalogue.cite(also))"))
        }
        out.append(Diagnostic(code, "target '\(name)': \(message)", at: range, severity: severity, related: related, fixes: fixes, tags: tags))
    }

    mutating func run(sizeBytes: Int?) -> [Diagnostic] {
        guard let runtimeName = target.runtimeName, let runtime = catalogue.runtime(runtimeName) else { return [] }
        let pinned = target.runtime?.value.version
        var version = pinned
        if let v = pinned, !runtime.versions.isEmpty, runtime.version(v) == nil {
            let known = runtime.versions.map(\.version)
            let message = "\(runtime.title) \(v) is not in the catalogue (it knows \(known.last ?? "")–\(known.first ?? "")); version-specific checks are skipped"
            out.append(Diagnostic(.unknownRuntimeVersion, "target '\(name)': \(message)", at: runtimeRange))
            version = nil
        }
        let device = checkDevice()
        let delegate = checkDelegate(runtime)
        checkOS(runtime)
        checkQuantization(runtime: runtime, delegate: delegate, device: device)
        checkTools(runtime: runtime)
        guard let model else { return out }
        if model.format == .onnx, runtime.name == "onnxruntime", let v = version.flatMap({ runtime.version($0) }) {
            checkONNXVersions(model, runtime: runtime, version: v)
        }
        // An unpinned llama.cpp (named, or implied by a GGUF model) is the newest release, what an install gets.
        if model.format == .gguf, runtime.name == "llama.cpp",
            let release = pinned == nil ? runtime.versions.first : version.flatMap({ runtime.version($0) })
        {
            checkGGUF(model, runtime: runtime, release: release, pinned: pinned != nil)
        }
        checkAlreadyQuantized(model)
        checkStaticShapes(model, runtime: runtime, delegate: delegate)
        checkSampledSizes(model, runtime: runtime, delegate: delegate)
        checkUntakenBranchesAtFixedSizes(model, runtime: runtime, delegate: delegate)
        let coverage = model.graphs.isEmpty && analysis?.graphModel == nil ? nil : Coverage.check(
            model: model, runtime: runtime, version: version, delegate: delegate, catalogue: catalogue, analysis: analysis,
            loweredActivations: Coverage.loweredActivations(target, model: model),
            appliedByDefault: target.delegate == nil ? runtime.defaultDelegate : nil)
        if let coverage { report(coverage, delegate: delegate, runtime: runtime) }
        // The model's own min_runtime_version, when no operator version in the table already says why.
        if model.format == .tflite, runtime.name == "litert", let v = pinned.flatMap({ VersionNumber($0) }),
            !(coverage?.operators.contains { $0.rule == "litert.op-version" } ?? false)
        {
            checkTFLiteMinimumRuntime(model, pinned: v)
        }
        if let analysis {
            checkBudgets(
                TargetEstimates.estimate(
                    target: target, model: model, analysis: analysis, coverage: coverage, catalogue: catalogue,
                    sizeBytes: sizeBytes))
        }
        return out
    }

    // MARK: device, delegate, OS

    mutating func checkDevice() -> Device? {
        guard let d = target.device else { return nil }
        if let device = catalogue.device(d.value) { return device }
        let names = catalogue.devices.flatMap { [$0.name] + $0.aliases }
        var fixes: [Fix] = []
        var message = "device '\(d.value)' is not in the catalogue, so estimates for it are skipped"
        if let s = Suggest.closest(to: d.value, among: names) {
            message += "; did you mean '\(s)'?"
            fixes.append(Fix(title: "Change to '\(s)'", edits: [TextEdit(range: d.range, newText: s)], isPreferred: true))
        } else {
            message += " (`slipway targets` lists the devices)"
        }
        out.append(Diagnostic(.unknownDevice, "target '\(name)': \(message)", at: d.range, fixes: fixes))
        return nil
    }

    mutating func checkDelegate(_ runtime: Runtime) -> Delegate? {
        guard let d = target.delegate else { return runtime.delegate("cpu") }
        if let del = runtime.delegate(d.value) {
            if d.value == "nnapi" {
                emit("nnapi.deprecated", "the NNAPI delegate is deprecated from Android 15; use the GPU delegate or a vendor delegate",
                     at: d.range, tags: [.deprecated])
            }
            return del
        }
        // Core ML and TensorRT place operators themselves: `delegate: cpu` (the default) is the only meaningful value.
        if runtime.delegates.isEmpty {
            if d.value != "cpu" {
                out.append(Diagnostic(
                    .delegateUnavailable,
                    "target '\(name)': \(runtime.title) has no delegates; it places operators itself\(runtime.name == "coreml" ? " (set compute_units instead)" : "")",
                    at: d.range))
            }
            return nil
        }
        let names = runtime.delegates.map(\.name)
        out.append(Diagnostic(
            .delegateUnavailable,
            "target '\(name)': \(runtime.title) has no '\(d.value)' delegate; it has \(names.joined(separator: ", "))",
            at: d.range,
            fixes: Suggest.closest(to: d.value, among: names).map { s in
                [Fix(title: "Change to '\(s)'", edits: [TextEdit(range: d.range, newText: s)])]
            } ?? []))
        return nil
    }

    func osMajor(_ os: OSVersion, for key: String) -> Double? {
        let family = os.os == "ipados" ? "ios" : os.os
        guard family == key else { return nil }
        return Double(os.major) + Double(os.minor) / 10
    }

    /// A fix that raises `minimum_os` to `major` of the same OS.
    func raise(to major: Int) -> [Fix] {
        guard let m = target.minimumOS else { return [] }
        let value = "\(m.value.os)\(major)"
        return [Fix(title: "Raise minimum_os to \(value)", edits: [TextEdit(range: m.range, newText: value)], isPreferred: true)]
    }

    mutating func checkOS(_ runtime: Runtime) {
        guard let m = target.minimumOS else { return }
        let os = m.value
        if runtime.name == "coreml", target.format?.value ?? "mlpackage" == "mlpackage",
            let rule = catalogue.rule("coreml.mlprogram"), let need = rule.params[os.os == "ipados" ? "ios" : os.os]?.intValue,
            Double(os.major) < Double(need)
        {
            emit("coreml.mlprogram", "ML Program packages need \(os.os)\(need) or later, but minimum_os is \(os)", at: m.range,
                 fixes: raise(to: need))
        }
        if runtime.name == "onnxruntime", target.delegate?.value == "nnapi", let v = osMajor(os, for: "android"), v < 8.1 {
            emit("ort.nnapi-android", "the NNAPI execution provider needs Android 8.1 or later, but minimum_os is \(os)", at: m.range,
                 fixes: raise(to: 9))
        }
        if runtime.name == "litert", target.delegate?.value == "nnapi", let v = osMajor(os, for: "android"), v < 8.1 {
            emit("litert.nnapi-android", "LiteRT's NNAPI delegate needs Android 8.1 or later, but minimum_os is \(os)", at: m.range,
                 fixes: raise(to: 9))
        }
        if runtime.name == "onnxruntime", let ep = target.delegate?.value, let rule = catalogue.rule("ort.coreml-os"),
            let row = rule.params[ep], let needText = row[os.os == "ipados" ? "ios" : os.os]?.stringValue,
            let need = VersionNumber(needText), let have = VersionNumber("\(os.major).\(os.minor)"), have < need
        {
            emit("ort.coreml-os", "the \(ep) execution provider needs \(os.os) \(needText) or later, but minimum_os is \(os)", at: m.range,
                 fixes: need.parts.count == 1 ? raise(to: need.parts[0]) : [])
        }
    }

    // MARK: quantization and pruning

    mutating func checkQuantization(runtime: Runtime, delegate: Delegate?, device: Device?) {
        let q = quantize
        let weights = q?.weights?.value ?? "none"
        let activations = q?.activations?.value ?? "none"
        let quantRange = q?.weights?.range ?? q?.activations?.range ?? runtimeRange
        let intActivations = ["int8", "uint8", "int16"].contains(activations)
        let intWeights = ["int8", "uint8", "int4", "uint4"].contains(weights)

        // Calibration: static activation ranges come from samples.
        if intActivations, q?.calibration == nil, let a = q?.activations {
            emit("quant.calibration", "\(activations) activations need calibration data to fix their ranges; add `calibration:` with ~100–500 representative samples",
                 at: a.range)
        }

        // TensorFlow's converter cannot calibrate some Keras layers (measured: derive_keras_lowering.py).
        if let model, model.format == .keras, activations == "int8" || activations == "uint8" {
            let (generation, table) = catalogue.kerasTable(for: model)
            let fails = table?.fullIntegerFails ?? []
            let layers = (model.graphs.first?.nodes ?? []).filter { fails.contains($0.opType) }
            if !layers.isEmpty {
                let named = layers.prefix(5).map { "\($0.opType) '\($0.name)'" }.joined(separator: ", ") + (layers.count > 5 ? " and \(layers.count - 5) more" : "")
                emit("litert.keras-full-integer", "TensorFlow's converter fails full-integer quantization of \(named) (\(generation == "keras2" ? "Keras 2" : "Keras 3")); use activations: none (dynamic-range int8 weights)\(generation == "keras3" ? ", or a Keras 2 (tf_keras) model whose LSTM lowers to the fused UNIDIRECTIONAL_SEQUENCE_LSTM" : "")",
                     at: q?.activations?.range ?? runtimeRange)
            }
        }

        // ONNX → TFLite full integer unrolls each recurrence (the driver's enable_rnn_unroll), over fixed steps only.
        if let model, model.format == .onnx, activations == "int8" || activations == "uint8", ["litert", "tflite-micro"].contains(runtime.name) {
            let loose = Self.recurrencesWithFreeSteps(model, manifest: manifest, analysis: analysis)
            if !loose.isEmpty {
                let named = loose.prefix(5).map { $0.name.isEmpty ? "an \($0.opType)" : "\($0.opType) '\($0.name)'" }.joined(separator: ", ")
                    + (loose.count > 5 ? " and \(loose.count - 5) more" : "")
                emit("litert.onnx-recurrence-steps", "a full-integer conversion unrolls \(named) over its steps, and their number is not fixed; fix the sequence dimension of the model's inputs under `model.inputs`",
                     at: q?.activations?.range ?? runtimeRange)
            }
        }

        // Edge TPU and microcontrollers: full integer.
        let fullInt8 = ["int8", "uint8"].contains(weights) && ["int8", "uint8"].contains(activations)
        // A full-integer model with float islands (DEQUANTIZE -> float op -> QUANTIZE) is still a full-integer model.
        let modelIsInt8 = model.map { Self.isFullyQuantizedTFLite($0) || $0.format == .tflite && $0.quantizationSummary.scheme == "full integer" } ?? false
        if delegate?.name == "edgetpu", !fullInt8, !modelIsInt8 {
            emit("edgetpu.full-int8", "the Edge TPU runs only fully int8 models, but weights are \(weights) and activations \(activations); quantize both to int8 (with calibration data)",
                 at: q?.activations?.range ?? q?.weights?.range ?? delegateRange)
        }
        let floatActivations = ["none", "float32", "float16", "bfloat16"].contains(activations)
        let modelIsHybrid = model.map { $0.format == .tflite && $0.quantizationSummary.scheme == "dynamic range" } ?? false
        if runtime.name == "tflite-micro", intWeights && floatActivations || modelIsHybrid && !intActivations {
            let what = intWeights && floatActivations
                ? "the manifest asks for \(weights) weights with \(activations == "none" ? "float" : activations) activations"
                : "the model is dynamic-range (hybrid) quantized: int8 weights with float activations"
            emit("tflm.hybrid", "\(what), which LiteRT for Microcontrollers refuses (no hybrid kernels); quantize activations to int8 too, with calibration data",
                 at: q?.activations?.range ?? q?.weights?.range ?? runtimeRange)
        } else if runtime.name == "tflite-micro", !fullInt8, !modelIsInt8 {
            emit("tflm.int8", "LiteRT for Microcontrollers expects full-integer int8 models, but weights are \(weights) and activations \(activations)",
                 at: q?.activations?.range ?? q?.weights?.range ?? runtimeRange, severity: .warning)
        }

        // ExecuTorch: the forms its quantizer documents (XNNPACKQuantizer: int8 symmetric weights, int8 activations
        // static or dynamic). Float weights are no quantizer form and are not judged here.
        if runtime.name == "executorch", !runtime.quantizationForms.isEmpty, intWeights || intActivations || activations == "dynamic" {
            let granularity = q?.granularity?.value.description
            let symmetric = q?.symmetric?.value
            let fits = runtime.quantizationForms.contains { f in
                f.weights == weights && f.activations == activations && (granularity.map { f.granularity.contains($0) } ?? true)
                    && (symmetric.map { $0 == f.symmetric } ?? true)
            }
            if !fits {
                let forms = runtime.quantizationForms.map { f in
                    "weights: \(f.weights) (\(f.granularity.joined(separator: " or ")), \(f.symmetric ? "symmetric" : "asymmetric")) with activations: \(f.activations)"
                }.joined(separator: "; ")
                let asked = "weights: \(weights)\(granularity.map { " \($0)" } ?? "")\(symmetric == false ? " asymmetric" : "") with activations: \(activations)"
                emit("executorch.quant-form", "\(asked) is not a form ExecuTorch's XNNPACKQuantizer writes; it writes \(forms)",
                     at: q?.weights?.range ?? q?.activations?.range ?? runtimeRange)
            }
        }

        // Core ML: compression by minimum OS.
        if runtime.name == "coreml", let m = target.minimumOS, let rule = catalogue.rule("coreml.compression-os") {
            var needs: [(String, String)] = []  // (feature, what the manifest says)
            if weights == "int8" || weights == "uint8" { needs.append(("weights-int8", "\(weights) weights")) }
            if weights == "int4" || weights == "uint4" { needs.append(("weights-int4", "\(weights) weights")) }
            if case .perBlock? = q?.granularity?.value { needs.append(("per-block", "per-block scales")) }
            if intActivations { needs.append(("activations-int8", "\(activations) activations")) }
            if target.optimize.prune?.criterion != nil {
                needs.append(intWeights ? ("pruning-with-quantization", "pruning with quantized weights") : ("pruning", "pruning"))
            }
            let key = m.value.os == "ipados" ? "ios" : m.value.os
            let table = rule.params["features"]?.arrayValue ?? []
            var worst: (need: Int, what: String)?
            for (feature, what) in needs {
                // A NeuralNetwork .mlmodel has its own, older, minimums (quantize_weights since Core ML 2).
                let nn = target.format?.value == "mlmodel"
                guard let row = table.first(where: { $0["feature"]?.stringValue == feature }),
                    let need = (nn ? row["neuralnetwork"]?[key] ?? row[key] : row[key])?.intValue,
                    m.value.major < need
                else { continue }
                if worst == nil || need > (worst?.need ?? 0) { worst = (need, what) }
            }
            if let worst {
                emit("coreml.compression-os", "Core ML supports \(worst.what) from \(m.value.os)\(worst.need), but minimum_os is \(m.value)",
                     at: m.range, fixes: raise(to: worst.need))
            }
        }

        // ONNX Runtime quantization rules.
        if runtime.name == "onnxruntime", intWeights || intActivations {
            if let opset = model?.opsets[""], model?.format == .onnx, let rule = catalogue.rule("ort.quant-opset"),
                let min = rule.params["min_opset"]?.intValue, opset < min
            {
                emit("ort.quant-opset", "the model's opset \(opset) is below \(min), the lowest ONNX Runtime quantizes", at: quantRange)
            }
            let gpu = ["cuda", "tensorrt"].contains(delegate?.name ?? "")
            if gpu, intActivations, q?.symmetric?.value != true || activations == "uint8" {
                let fix: [Fix] = q?.symmetric.map { s in
                    [Fix(title: "Use symmetric quantization", edits: [TextEdit(range: s.range, newText: "true")], isPreferred: true)]
                } ?? []
                emit("ort.gpu-symmetric", "int8 on the GPU needs symmetric (S8S8) quantization; set `symmetric: true`\(activations == "uint8" ? " and int8 activations" : "")",
                     at: q?.symmetric?.range ?? q?.activations?.range ?? quantRange, fixes: fix)
            }
            if !gpu, let device, device.isa == "x86-64" {
                if weights == "int8", activations == "int8", q?.format?.value == "qoperator", let f = q?.format {
                    emit("ort.s8s8-qoperator-x86", "S8S8 in QOperator format is slow on x86-64; use QDQ", at: f.range,
                         fixes: [Fix(title: "Use the QDQ format", edits: [TextEdit(range: f.range, newText: "qdq")], isPreferred: true)])
                }
                // U8S8 runs where activations are uint8 and an integer matmul runs: static uint8, or dynamic
                // quantization (uint8 at run time). Weight-only quantization dequantizes first: no integer matmul.
                let planned = PlannedSettings(optimize: target.optimize)
                let u8s8 = planned.weights == .int8 && planned.integerCompute && activations != "int8"
                if u8s8, device.has("avx2"), !device.has("vnni"), q?.reduceRange?.value != true {
                    let fix: [Fix] = q?.reduceRange.map { r in
                        [Fix(title: "Set reduce_range: true", edits: [TextEdit(range: r.range, newText: "true")], isPreferred: true)]
                    } ?? []
                    emit("ort.reduce-range", "U8S8 on \(device.name) (AVX2 without VNNI) can saturate; set `reduce_range: true`",
                         at: q?.reduceRange?.range ?? q?.weights?.range ?? quantRange, fixes: fix)
                }
            }
        }

        // TensorRT's own quantization: symmetric, signed.
        if runtime.name == "tensorrt", intWeights || intActivations {
            let unsigned = [weights, activations].filter { $0 == "uint8" || $0 == "uint4" }
            if !unsigned.isEmpty || q?.symmetric?.value == false {
                let what = unsigned.isEmpty ? "asymmetric quantization (symmetric: false)" : unsigned.map { "\($0) " + ($0 == weights ? "weights" : "activations") }.joined(separator: " and ")
                emit("tensorrt.symmetric", "TensorRT quantizes symmetrically to signed types, but the manifest asks for \(what); use int8 (or int4) with symmetric: true",
                     at: q?.symmetric?.range ?? quantRange)
            }
        }

        // NVIDIA precisions and sparsity by GPU architecture.
        let nvidia = runtime.name == "tensorrt" || ["cuda", "tensorrt"].contains(delegate?.name ?? "")
        if nvidia, let device, let archName = device.gpuArchitecture, let arch = catalogue.architecture(archName) {
            var wanted: [(String, ByteRange)] = []
            if weights == "int4" || weights == "uint4", let w = q?.weights { wanted.append(("int4", w.range)) }
            if intActivations, let a = q?.activations { wanted.append(("int8", a.range)) }
            if weights == "bfloat16", let w = q?.weights { wanted.append(("bfloat16", w.range)) }
            if weights.hasPrefix("float8-"), let w = q?.weights { wanted.append(("float8", w.range)) }
            else if activations.hasPrefix("float8-"), let a = q?.activations { wanted.append(("float8", a.range)) }
            if weights == "nvfp4", let w = q?.weights { wanted.append(("float4", w.range)) }
            let table = catalogue.rule("tensorrt.precision")?.params["precisions"]?.arrayValue ?? []
            for (precision, range) in wanted {
                guard let row = table.first(where: { $0["precision"]?.stringValue == precision }),
                    let needName = row["architecture"]?.stringValue, let need = catalogue.architecture(needName), arch.order < need.order
                else { continue }
                emit("tensorrt.precision", "\(precision) needs an NVIDIA \(needName.titleCased) GPU or later; \(device.name) is \(archName.titleCased)",
                     at: range)
            }
            if case .pattern(2, 4)? = target.optimize.prune?.criterion?.value, let p = target.optimize.prune?.criterion,
                let needName = catalogue.rule("tensorrt.sparsity")?.params["architecture"]?.stringValue,
                let need = catalogue.architecture(needName), arch.order < need.order
            {
                emit("tensorrt.sparsity", "2:4 sparsity is accelerated only from \(needName.titleCased) (Sparse Tensor Cores); on \(device.name) it saves nothing",
                     at: p.range, severity: .warning)
            }
        }
    }

    /// The LSTM, GRU and RNN nodes whose number of steps the converter may not know: X's sequence axis (axis 0, or 1
    /// with `layout: 1`; through a Transpose, the axis it reads) of a graph input neither the file nor the manifest
    /// fixes (onnx2tf's driver writes the manifest's numbers in, a shape given in part too), or, for a computed X,
    /// any dimension of the model left free.
    static func recurrencesWithFreeSteps(_ m: Model, manifest: Manifest, analysis: GraphAnalysis?) -> [Node] {
        let manifestFixed = manifest.fixedInputDims
        let everyDimensionKnown = analysis.map { $0.assumedDimensions.isEmpty && $0.coverage.freeDimensions.isEmpty } ?? false
        var loose: [Node] = []
        // Only a graph holding a recurrence needs its values' producers.
        for g in m.graphs where g.nodes.contains(where: { Coverage.recurrentOperators.contains($0.opType) }) {
            var producer: [String: Node] = [:]
            for n in g.nodes { for o in n.outputs where !o.isEmpty { producer[o] = n } }
            for n in g.nodes where Coverage.recurrentOperators.contains(n.opType) {
                guard var x = n.inputs.first else { continue }
                var axis = 0
                if case .int(let l)? = n.attributes["layout"], l == 1 { axis = 1 }
                if let t = producer[x], t.opType == "Transpose", let source = t.inputs.first, case .ints(let perm)? = t.attributes["perm"],
                   axis < perm.count, perm[axis] >= 0 {
                    axis = Int(perm[axis])
                    x = source
                }
                if let input = m.inputs.first(where: { $0.name == x }) {
                    if let given = manifestFixed[x], axis < given.count, given[axis] != nil { continue }
                    if let shape = input.shape, axis < shape.count, case .fixed = shape[axis] { continue }
                    loose.append(n)
                } else if !everyDimensionKnown {
                    loose.append(n)
                }
            }
        }
        return loose
    }

    /// True for a TFLite model whose weight tensors are all 8-bit integers (a full-integer conversion).
    static func isFullyQuantizedTFLite(_ m: Model) -> Bool {
        guard m.format == .tflite else { return false }
        let weights = m.tensors.filter { $0.shape.count >= 2 }
        return !weights.isEmpty && weights.allSatisfy { $0.dtype == .int8 || $0.dtype == .uint8 }
            && m.inputs.allSatisfy { $0.dtype == .int8 || $0.dtype == .uint8 || $0.dtype == .float32 }
            && !(m.graphs.first?.nodes ?? []).contains { $0.opType == "DEQUANTIZE" }
    }

    mutating func checkAlreadyQuantized(_ m: Model) {
        guard let w = quantize?.weights, w.value != "none", w.value != "float16", w.value != "bfloat16" else { return }
        let qdq = (m.graphs.first?.nodes ?? []).contains { ["DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "DEQUANTIZE"].contains($0.opType) }
        let intWeights = m.tensors.contains { t in
            t.shape.count >= 2 && [.int8, .uint8, .int4, .uint4].contains(t.dtype) || t.quantization != nil && t.shape.count >= 2
        }
        guard qdq || intWeights else { return }
        emit("quant.already-quantized", "the model is already quantized (\(qdq ? "it has quantized operators" : "its weights are integers")); quantizing it to \(w.value) again compounds the error, start from the float model",
             at: w.range)
    }

    // MARK: pinned tool versions

    /// The target's `tools` pins against the catalogue's known-bad combinations (SW4015). Which combinations
    /// exist is data (rules.json, code SW4015, each with its source); this only evaluates them.
    mutating func checkTools(runtime: Runtime) {
        guard !target.tools.isEmpty else { return }
        var pinned: [String: VersionNumber] = [:]
        for t in target.tools { if let v = ToolRule.number(t.version.value) { pinned[t.name.value] = v } }
        for rule in catalogue.toolRules {
            for pin in target.tools where pin.name.value == rule.tool {
                guard let v = pinned[rule.tool], conditionsHold(rule.when, pinned: pinned, runtime: runtime) else { continue }
                var values = ["version": pin.version.value]
                if let range = rule.versions, !range.contains(v) { continue }
                if let rt = rule.sameAsRuntime {
                    // Compared at the runtime version's precision: `tensorrt@10.1` accepts 10.1.0 and 10.1.2.
                    guard runtime.name == rt, let want = target.runtime?.value.version, let w = VersionNumber(want) else { continue }
                    let rawParts = want.split(separator: ".").count
                    let have = Array(v.parts.prefix(rawParts)) + Array(repeating: 0, count: max(0, rawParts - v.parts.count))
                    let wantParts = Array(w.parts.prefix(rawParts)) + Array(repeating: 0, count: max(0, rawParts - w.parts.count))
                    if have == wantParts { continue }
                    values["runtime_version"] = want
                }
                var fix = rule.fix
                if let rt = rule.modelOpsetOf {
                    guard let tableRuntime = catalogue.runtime(rt), let m = model, m.format == .onnx,
                        let opset = m.opsets[""] ?? m.opsets["ai.onnx"], let entry = Self.release(v, in: tableRuntime),
                        let maxOpset = entry.maxOpset, opset > maxOpset
                    else { continue }
                    values["max_opset"] = String(maxOpset)
                    values["model_opset"] = String(opset)
                    // The oldest release that runs the model (versions are listed newest first).
                    fix = tableRuntime.versions.filter { ($0.maxOpset ?? 0) >= opset }.last.map { $0.version + ".0" }
                }
                let message = ToolRule.fill(rule.message, values)
                let fixes = fix.map { f in
                    [Fix(title: "Pin \(rule.tool) \(f)", edits: [TextEdit(range: pin.version.range, newText: "\"\(f)\"")], isPreferred: true)]
                } ?? []
                emit(rule.rule.id, message, at: pin.version.range, severity: rule.severity, fixes: fixes)
            }
        }
    }

    func conditionsHold(_ c: ToolRule.Conditions, pinned: [String: VersionNumber], runtime: Runtime) -> Bool {
        if let w = c.weights, !w.contains(quantize?.weights?.value ?? "none") { return false }
        if let a = c.activations, !a.contains(quantize?.activations?.value ?? "none") { return false }
        if let r = c.runtimes, !r.contains(runtime.name) { return false }
        if let t = c.tools, !t.allSatisfy({ name in target.tools.contains { $0.name.value == name } }) { return false }
        for (tool, range) in c.toolVersions {
            guard let v = pinned[tool], range.contains(v) else { return false }
        }
        if let p = c.prune, p != (target.optimize.prune != nil) { return false }
        if let d = c.delegates, !d.contains(target.delegate?.value ?? "cpu") { return false }
        return true
    }

    /// The runtime table's entry for a pinned release: the exact version, else the same major.minor.
    static func release(_ v: VersionNumber, in runtime: Runtime) -> RuntimeVersion? {
        if let exact = runtime.versions.first(where: { VersionNumber($0.version) == v }) { return exact }
        let majorMinor = Array(v.parts.prefix(2))
        return runtime.versions.first { VersionNumber($0.version).map { Array($0.parts.prefix(2)) } == majorMinor }
    }

    // MARK: model against runtime

    mutating func checkONNXVersions(_ m: Model, runtime: Runtime, version: RuntimeVersion) {
        if let opset = m.opsets[""] ?? m.opsets["ai.onnx"], let max = version.maxOpset {
            if opset > max {
                let newer = runtime.versions.filter { ($0.maxOpset ?? 0) >= opset }.map(\.version)
                let hint = newer.last.map { "; ONNX Runtime \($0) or later runs it" } ?? ""
                emit("ort.opset-range", "the model uses opset \(opset), but ONNX Runtime \(version.version) implements opsets \(runtime.minOpset ?? 7)–\(max)\(hint)",
                     at: runtimeRange, fixes: newer.last.map { v in
                        [Fix(title: "Use onnxruntime@\(v)", edits: [TextEdit(range: runtimeRange, newText: "onnxruntime@\(v)")])]
                     } ?? [])
            } else if let min = runtime.minOpset, opset < min {
                emit("ort.opset-range", "the model uses opset \(opset), but ONNX Runtime runs opsets \(min) and later; convert it with a newer opset",
                     at: runtimeRange)
            }
        }
        if let ml = m.opsets["ai.onnx.ml"], let max = version.maxMLOpset, ml > max {
            let newer = runtime.versions.filter { ($0.maxMLOpset ?? 0) >= ml }.map(\.version)
            emit("ort.ml-opset-range", "the model imports ai.onnx.ml opset \(ml), but ONNX Runtime \(version.version) implements ai.onnx.ml up to opset \(max)\(newer.last.map { "; use \($0) or later" } ?? "")",
                 at: runtimeRange)
        }
        if let ir = m.formatVersion, let max = version.maxIR, ir > max {
            let newer = runtime.versions.filter { ($0.maxIR ?? 0) >= ir }.map(\.version)
            emit("ort.ir-version", "the model's ONNX IR version is \(ir), but ONNX Runtime \(version.version) reads up to IR \(max)\(newer.last.map { "; use \($0) or later" } ?? "")",
                 at: runtimeRange)
        }
    }

    // MARK: llama.cpp

    /// The GGUF file against one llama.cpp release: its file version, and each ggml type its tensors use, by name
    /// and id (a release that numbers the name otherwise, as I8 was 16 before the IQ types, does not load it).
    mutating func checkGGUF(_ m: Model, runtime: Runtime, release: RuntimeVersion, pinned: Bool) {
        let which = "llama.cpp \(release.version)" + (pinned ? "" : " (the newest catalogued release; the target pins none)")
        let oldestFirst = Array(runtime.versions.reversed())
        let newer = oldestFirst.filter { a in VersionNumber(a.version).flatMap { x in VersionNumber(release.version).map { x > $0 } } ?? false }
        let older = oldestFirst.filter { a in VersionNumber(a.version).flatMap { x in VersionNumber(release.version).map { x < $0 } } ?? false }
        func fix(_ to: RuntimeVersion) -> [Fix] {
            guard pinned, let r = target.runtime else { return [] }
            return [Fix(title: "Pin llama.cpp@\(to.version)", edits: [TextEdit(range: r.range, newText: "llama.cpp@\(to.version)")], isPreferred: true)]
        }
        if let fileVersion = m.formatVersion, let reads = release.ggufVersions, !reads.contains(fileVersion) {
            let first = newer.first { $0.ggufVersions?.contains(fileVersion) == true }
            emit("llamacpp.gguf-version",
                 "the model is a GGUF v\(fileVersion) file, but \(which) reads GGUF v\(reads.map(String.init).joined(separator: ", v"))"
                    + (first.map { "; llama.cpp@\($0.version) is the first catalogued release that reads it" } ?? ""),
                 at: runtimeRange, fixes: first.map(fix) ?? [])
        }
        guard let loads = release.ggmlTypes else { return }
        var uses: [GGMLType: (tensors: Int, bytes: Int)] = [:]
        for t in m.tensors {
            guard let g = GGMLType(t.dtype), loads[g.name] != Int(g.rawValue) else { continue }
            let u = uses[g] ?? (0, 0)
            let (sum, overflow) = u.bytes.addingReportingOverflow(t.storedBytes)
            uses[g] = (u.tensors + 1, overflow ? Int.max : sum)
        }
        for (g, u) in uses.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let loadsIt = { (r: RuntimeVersion) in r.ggmlTypes?[g.name] == Int(g.rawValue) }
            let what = "\(u.tensors) tensor\(u.tensors == 1 ? "" : "s") (\(u.bytes < 1_000_000 ? "\(u.bytes) bytes" : TargetEstimates.formatMB(Double(u.bytes) / 1e6))) of ggml type \(g.name) (id \(g.rawValue))"
            var message = "the model holds \(what), which \(which) cannot load"
            var fixes: [Fix] = []
            if let first = newer.first(where: loadsIt) {
                message += "; llama.cpp@\(first.version) is the first catalogued release that loads it"
                fixes = fix(first)
            } else if let last = older.last(where: loadsIt) {
                message += ": it was removed; llama.cpp@\(last.version) is the last catalogued release that loads it (requantize the tensors to a current type)"
                fixes = fix(last)
            } else if runtime.ggmlTypesRemoved[g.name] == Int(g.rawValue) {
                message += ": ggml has removed it, and no catalogued release loads it"
            } else {
                message += "; no catalogued release loads it"
            }
            emit("llamacpp.ggml-type", message, at: runtimeRange, fixes: fixes)
        }
    }

    /// The model's own declaration: the converter's min_runtime_version metadata.
    mutating func checkTFLiteMinimumRuntime(_ m: Model, pinned: VersionNumber) {
        guard let declared = m.metadata["min_runtime_version"], let need = VersionNumber(declared), pinned < need else { return }
        emit("litert.min-runtime", "the model declares min_runtime_version \(declared) (its newest operator version needs it), but the target pins LiteRT \(pinned); use litert@\(declared) or later",
             at: runtimeRange, fixes: [Fix(title: "Use litert@\(declared)", edits: [TextEdit(range: runtimeRange, newText: "litert@\(declared)")])])
    }

    /// The SW4012 rule that names this delegate of this runtime: it says why, with its source.
    func staticShapesRule(_ runtime: Runtime, _ delegate: Delegate) -> Rule? {
        catalogue.rules.first { r in
            r.code == .dynamicShapes && r.runtimes.contains(runtime.name)
                && (r.params["delegates"]?.arrayValue ?? []).contains { $0.stringValue == delegate.name }
        }
    }

    mutating func checkStaticShapes(_ m: Model, runtime: Runtime, delegate: Delegate?) {
        let ruleID: String
        if let delegate, delegate.staticShapes {
            ruleID = staticShapesRule(runtime, delegate)?.id ?? "edgetpu.static-shapes"
        } else if runtime.staticShapes {
            ruleID = "tflm.static-shapes"
        } else {
            return
        }
        let given = manifestInputDims(manifest)
        var dynamic: [String] = []
        for input in m.inputs {
            guard let dims = input.shape else {
                dynamic.append("\(input.name) (unknown rank)")
                continue
            }
            for (i, d) in dims.enumerated() {
                if case .fixed = d { continue }
                if let g = given[input.name], i < g.count, g[i] != nil { continue }
                if case .named(let s) = d { dynamic.append("\(input.name)[\(i)] '\(s)'") } else { dynamic.append("\(input.name)[\(i)]") }
            }
        }
        guard !dynamic.isEmpty else { return }
        let what: String
        switch (delegate?.staticShapes == true, delegate?.name) {
        case (true, "edgetpu"?): what = "the Edge TPU"
        case (true, "qnn"?): what = "the QNN execution provider"
        case (true, "nnapi"?): what = "the NNAPI execution provider"
        case (true, let name?): what = "the \(name) delegate"
        default: what = runtime.title
        }
        emit(ruleID, "\(what) needs static shapes, but \(dynamic.joined(separator: ", ")) \(dynamic.count == 1 ? "is" : "are") dynamic; fix \(dynamic.count == 1 ? "it" : "them") under `model.inputs`",
             at: delegate?.staticShapes == true ? delegateRange : runtimeRange)
    }

    /// onnx2tf builds its file at 1 for every input size the manifest leaves free beyond the batch (its dummy
    /// inferences), and `convert` checks the file at those sizes too: measured, many such files fail to convert or
    /// fail when run at other sizes (free_batch_measured.json: 15 of 59 forms; ppocrv4-rec, ppocr-cls and
    /// oww-melspectrogram with a free width or length), and the checks that foresee a kind of failure cover only
    /// the kinds measured. Said as a warning on the runtime, with the dimensions; a static-shape runtime or delegate
    /// refuses them already (SW4012).
    mutating func checkSampledSizes(_ m: Model, runtime: Runtime, delegate: Delegate?) {
        guard runtime.name == "litert", m.format == .onnx, delegate?.staticShapes != true, let analysis else { return }
        var free: [String] = []
        for input in m.inputs {
            guard let dims = input.shape else {
                if analysis.unknownRankInputs.contains(input.name) { free.append("\(input.name) (unknown rank)") }
                continue
            }
            for axis in analysis.freeInputAxes[input.name] ?? [] where axis >= 1 && axis < dims.count {
                if case .named(let s) = dims[axis] { free.append("\(input.name)[\(axis)] '\(s)'") } else { free.append("\(input.name)[\(axis)]") }
            }
        }
        guard !free.isEmpty else { return }
        let them = free.count == 1 ? "it" : "them"
        emit("litert.onnx-sampled-sizes", "\(free.joined(separator: ", ")) \(free.count == 1 ? "is" : "are") free, and onnx2tf builds and checks its file with \(them) at 1 (convert runs it once more, at 64): such files can fail to convert, be refused by that run, or fail at sizes neither tried, in ways no check here foresees; give \(them) \(free.count == 1 ? "its size" : "their sizes") under model.inputs",
             at: runtimeRange)
    }

    /// A static-shape provider of ONNX Runtime gets its artifact with the manifest's sizes (`convert` writes them),
    /// and ONNX Runtime infers the shapes of every branch of such a file when it loads it, refusing the file when a
    /// branch has none — also a branch the manifest's scalar values (`sr: 16000`) never take. Said where the
    /// analysis at those sizes, with the values left free so that every branch is walked, infers no shape for a
    /// node whose operator it infers elsewhere in the model (a rule that ran and failed, not one it lacks):
    /// silero-vad at 512 samples, whose 8 kHz branch ONNX Runtime refuses ("Graph attribute inferencing failed").
    mutating func checkUntakenBranchesAtFixedSizes(_ m: Model, runtime: Runtime, delegate: Delegate?) {
        let values = manifestInputValues(manifest)
        guard runtime.name == "onnxruntime", m.format == .onnx, delegate?.staticShapes == true, !values.isEmpty,
              m.graphs.contains(where: { $0.parent != nil }), let analysis else { return }
        let all = GraphAnalysis.analyze(model: m, inputs: manifestInputDims(manifest))
        let failed = Set(all.unresolved).subtracting(analysis.unresolved)
        guard !failed.isEmpty else { return }
        // Operators the analysis inferred a shape for somewhere, subgraphs included (an output with a shape).
        let inferred = Set(m.graphs.flatMap(\.nodes).filter { n in n.outputs.contains { !$0.isEmpty && all.shapes[$0] != nil } }.map(\.opType))
        // Each failing node with the outermost If branch that holds it.
        var found: [(node: Node, branch: String)] = []
        for (g, graph) in m.graphs.enumerated() where graph.parent != nil {
            for n in graph.nodes where failed.contains(n.name) && inferred.contains(n.opType) {
                var p = m.graphs[g].parent
                var top = p
                while let q = p { top = q; p = m.graphs[q.graph].parent }
                guard let t = top, m.graphs.indices.contains(t.graph), m.graphs[t.graph].nodes.indices.contains(t.node) else { continue }
                let owner = m.graphs[t.graph].nodes[t.node]
                found.append((n, "the \(t.attribute) of \(owner.opType) '\(owner.name)'"))
            }
        }
        // The first that fails in walk order, an operator of its own before the control flow that holds it.
        let order = Dictionary(all.unresolved.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let control: Set<String> = ["If", "Loop", "Scan"]
        found.sort { a, b in
            let (x, y) = (control.contains(a.node.opType), control.contains(b.node.opType))
            return x != y ? !x : (order[a.node.name] ?? 0) < (order[b.node.name] ?? 0)
        }
        guard let first = found.first, let delegate, let rule = staticShapesRule(runtime, delegate) else { return }
        let given = values.keys.sorted().map { "`\($0): \(values[$0] ?? 0)`" }.joined(separator: ", ")
        let more = found.count > 1 ? " (and \(found.count - 1) more node\(found.count == 2 ? "" : "s"))" : ""
        emit(rule.id, "at the sizes under `model.inputs`, Slipway infers no shape for \(first.node.opType) '\(first.node.name)'\(more) in \(first.branch), a branch \(given) never takes; `convert` writes these sizes into the artifact, and ONNX Runtime infers every branch of a file whose inputs are fixed when it loads it, refusing the file when one fails",
             at: delegateRange, severity: .warning)
    }

    mutating func report(_ c: CoverageReport, delegate: Delegate?, runtime: Runtime) {
        func list(_ fs: [OperatorFinding]) -> String {
            let shown = fs.prefix(5).map { f -> String in
                let op = f.builtins.isEmpty || f.builtins == [f.opType] ? f.opType : "\(f.opType) → \(f.builtins.joined(separator: "+"))"
                return "\(op) '\(f.name)' (\(f.reason))"
            }
            return shown.joined(separator: "; ") + (fs.count > 5 ? "; and \(fs.count - 5) more" : "")
        }
        let unsupported = c.unsupported
        if !unsupported.isEmpty {
            let rule = unsupported.first?.rule ?? "litert.builtin"
            // Every refusal XNNPACK's: the builtin kernels run the model (`delegate: cpu`). A target naming no delegate
            // has the key inserted by Checking's TextFixes, which sees the YAML.
            let wayOut = unsupported.allSatisfy { $0.rule == "litert.xnnpack-prepare" }
            let fixes = wayOut ? target.delegate.map { [Fix(title: Coverage.builtinKernelsFixTitle, edits: [TextEdit(range: $0.range, newText: "cpu")], isPreferred: true)] } ?? [] : []
            emit(rule, "\(unsupported.count) operator\(unsupported.count == 1 ? "" : "s") cannot run: \(list(unsupported))",
                 at: wayOut && target.delegate != nil ? delegateRange : runtimeRange, fixes: fixes)
        }
        let refused = c.refused
        if !refused.isEmpty, let delegate {
            let total = c.operators.filter { $0.status != .folded }.count
            let onCPU = c.cpuNodes.filter { $0 < c.operators.count && c.operators[$0].status != .folded }.count
            let share = Int(roundingSaturating: c.cpuShareOfMACs * 100)
            let how: String
            switch delegate.partitioning {
            case .prefix?: how = "the first unsupported operator and everything after it run on the CPU"
            case .largest?: how = "only the largest supported partition is delegated"
            case .perNode? where delegate.processor == .cpu && runtime.name == "executorch":
                how = "the partitioner takes every node it supports, in as many partitions as needed, and ExecuTorch runs the others on its portable kernels"
            case .perNode? where delegate.processor == .cpu:
                how = "the delegate takes every node it supports, in as many partitions as needed, and LiteRT runs the others on its builtin kernels"
            case .perNode?: how = "ONNX Runtime runs each node the provider does not take on the CPU execution provider"
            case nil: how = "they run on the CPU"
            }
            // The rule that explains the fallback: a cause shared by every refused node (the Edge TPU's rank
            // limit, the GPU delegate's operator versions), else the delegate's partitioning rule.
            let causes: Set<String> = ["edgetpu.rank", "litert.gpu-version"]
            let rules = Set(refused.compactMap(\.rule))
            let rule = rules.count == 1 && !rules.isDisjoint(with: causes)
                ? rules.first ?? "" : (refused.first { !causes.contains($0.rule ?? "") }?.rule ?? refused.first?.rule ?? "litert.gpu-ops")
            let kind = delegate.partitioning == .perNode && delegate.processor != .cpu ? "execution provider" : "delegate"
            // A CPU delegate (XNNPACK) leaves what it refuses to the runtime's builtin CPU kernels: the same processor,
            // slower kernels, so it is information, not a warning.
            let sameProcessor = delegate.processor == .cpu
            let destination = sameProcessor ? (runtime.name == "executorch" ? "the portable CPU kernels" : "the builtin CPU kernels") : "the CPU"
            let partitions = "\(c.cpuPartitions) \(sameProcessor ? "builtin-kernel" : "CPU") partition\(c.cpuPartitions == 1 ? "" : "s")"
            emit(rule, "\(onCPU) of \(total) operators (\(share)% of MACs, \(partitions)) fall back from the \(delegate.name) \(kind) to \(destination), because \(how): \(list(refused))",
                 at: delegateRange, severity: sameProcessor ? .information : nil)
        }
        // Nodes the converter writes so that they compute otherwise: the artifact converts, and differs.
        let deviating = c.operators.filter { $0.deviation != nil }
        if !deviating.isEmpty {
            let shown = deviating.prefix(5).map { "\($0.opType) '\($0.name)' (\($0.deviation ?? ""))" }.joined(separator: "; ")
                + (deviating.count > 5 ? "; and \(deviating.count - 5) more" : "")
            emit("litert.onnx-clip-runtime-bound", "\(deviating.count) node\(deviating.count == 1 ? "" : "s") will compute otherwise once converted: \(shown)", at: runtimeRange)
        }
        // ATen calls whose export was not measured: not judged, so not silently passed.
        let unjudged = c.unknown.filter { $0.rule != nil }
        if !unjudged.isEmpty, let rule = unjudged.first?.rule {
            let calls = Array(Set(unjudged.map(\.opType))).sorted()
            let shown = calls.prefix(8).joined(separator: ", ") + (calls.count > 8 ? " and \(calls.count - 8) more" : "")
            let table = delegate.map { "the \($0.name) execution provider's" } ?? "\(runtime.title)'s"
            emit(rule, "\(unjudged.count) of \(c.operators.count) ATen calls were not checked against \(table) operator table: what torch.onnx.export writes for them was not measured (the table in docs/rules.md, \"ATen operators in torch.onnx.export's ONNX\"), so the model is not taken as running whole there: \(shown)",
                 at: delegate == nil ? runtimeRange : delegateRange, severity: .information)
        }
        // Operators whose conversion the catalogue does not know (an ONNX operator the ONNX-to-TFLite table lacks and
        // onnx2tf failed on every node test of, a Keras layer the Keras table lacks): not judged, so not silently passed.
        let unlowered = c.unknown.filter { $0.rule == nil }
        if let first = unlowered.first {
            let ops = Array(Set(unlowered.map(\.opType))).sorted()
            let shown = ops.prefix(8).joined(separator: ", ") + (ops.count > 8 ? " and \(ops.count - 8) more" : "")
            out.append(Diagnostic(.restrictionUnchecked, "target '\(name)': \(unlowered.count) of \(c.operators.count) operators were not checked, \(first.reason): \(shown); the model is not taken as running whole there",
                                  at: runtimeRange, severity: .information))
        }
        reportConstraints(c, delegate: delegate)
    }

    /// One SW4016 per failed constraint of the operator sets, naming the nodes, what fails, and the document
    /// that states the constraint.
    mutating func reportConstraints(_ c: CoverageReport, delegate: Delegate?) {
        var order: [String] = []
        var byCheck: [String: [OperatorFinding]] = [:]
        for f in c.constrained {
            guard let id = f.check?.id else { continue }
            if byCheck[id] == nil { order.append(id) }
            byCheck[id, default: []].append(f)
        }
        guard let rule = catalogue.rule("ops.constraint"), let code = rule.code else { return }
        for id in order {
            guard let fs = byCheck[id], let check = fs.first?.check else { continue }
            let fatal = fs.first?.status == .unsupported
            let nodes = fs.prefix(5).map { "\($0.opType) '\($0.name)' (\($0.detail))" }.joined(separator: "; ")
                + (fs.count > 5 ? "; and \(fs.count - 5) more" : "")
            let sameProcessor = delegate?.processor == .cpu
            let consequence = fatal ? "cannot run" : "run\(fs.count == 1 ? "s" : "") on \(sameProcessor ? "the builtin CPU kernels" : "the CPU")"
            let verb = (fatal ? "break" : "fall") + (fs.count == 1 ? "s" : "") + (fatal ? "" : " outside")
            let message = "\(fs.count) node\(fs.count == 1 ? "" : "s") \(verb) the constraint \"\(check.text)\" and \(consequence): \(nodes)"
            let related = [
                RelatedLocation(file: catalogue.source(check.source)?.url, message: "\(check.text) (\(catalogue.cite(check.source)))"),
                RelatedLocation(file: catalogue.source(rule.source)?.url, message: "\(rule.text) (\(catalogue.cite(rule.source)))"),
            ]
            out.append(Diagnostic(
                code, "target '\(name)': \(message)", at: fatal ? runtimeRange : delegateRange,
                severity: fatal ? .error : (sameProcessor ? .information : nil),
                related: related))
        }
        // Constraints on values the graph computes: not known to hold or to fail, and said so (information).
        var undecidedOrder: [String] = []
        var undecided: [String: (OperatorCheck, String, [String])] = [:]
        for f in c.undecided {
            for u in f.undecided {
                let key = u.check.id + "\u{0}" + u.cause
                if undecided[key] == nil { undecidedOrder.append(key); undecided[key] = (u.check, u.cause, []) }
                undecided[key]?.2.append("\(f.opType) '\(f.name)' (\(u.detail))")
            }
        }
        for key in undecidedOrder {
            guard let (check, cause, nodes) = undecided[key] else { continue }
            let shown = nodes.prefix(5).joined(separator: "; ") + (nodes.count > 5 ? "; and \(nodes.count - 5) more" : "")
            let message = "\(nodes.count) node\(nodes.count == 1 ? "" : "s") may break the constraint \"\(check.text)\", \(cause): \(shown)"
            let related = [
                RelatedLocation(file: catalogue.source(check.source)?.url, message: "\(check.text) (\(catalogue.cite(check.source)))"),
                RelatedLocation(file: catalogue.source(rule.source)?.url, message: "\(rule.text) (\(catalogue.cite(rule.source)))"),
            ]
            out.append(Diagnostic(code, "target '\(name)': \(message)", at: delegate == nil ? runtimeRange : delegateRange,
                                  severity: .information, related: related))
        }
        // Restrictions a table states that no check evaluates: the nodes may break them, and nothing says
        // whether they do. Said once per operator set (SW4020, information), not passed over in silence.
        var setOrder: [String] = []
        var bySet: [String: (UncheckedRestriction, [String], Set<String>)] = [:]
        for f in c.operators {
            for u in f.unchecked {
                if bySet[u.set] == nil { setOrder.append(u.set); bySet[u.set] = (u, [], []) }
                guard bySet[u.set]?.2.contains(f.opType) == false else { continue }
                bySet[u.set]?.2.insert(f.opType)
                bySet[u.set]?.1.append("\(f.opType) (\"\(Self.clipped(u.text))\")")
            }
        }
        for id in setOrder {
            guard let (u, ops, _) = bySet[id] else { continue }
            let shown = ops.prefix(6).joined(separator: "; ") + (ops.count > 6 ? "; and \(ops.count - 6) more" : "")
            let message = "\(ops.count) operator\(ops.count == 1 ? "" : "s") of this model \(ops.count == 1 ? "has" : "have") restrictions in the \(u.setTitle) that Slipway does not check: \(shown)"
            out.append(Diagnostic(.restrictionUnchecked, "target '\(name)': \(message)", at: delegate == nil ? runtimeRange : delegateRange,
                                  related: [RelatedLocation(file: catalogue.source(u.source)?.url, message: "\(u.setTitle) (\(catalogue.cite(u.source)))")]))
        }
    }

    /// A restriction's text cut to its first sentence (at most 100 characters), for a list in one message.
    static func clipped(_ text: String) -> String {
        let first = text.split(separator: ".", maxSplits: 1).first.map(String.init) ?? text
        let flat = first.replacingAll("`", "")
        return flat.count > 100 ? String(flat.prefix(99)) + "…" : flat
    }

    // MARK: budgets

    /// What a partial figure covers, for a budget that cannot be confirmed on it.
    static func covered(_ c: AnalysisCoverage) -> String {
        c.weightsOnly ? "counts the weights only (the file holds no graph Slipway reads)"
            : "covers \(c.nodesResolved) of \(c.nodesTotal) nodes"
    }

    mutating func checkBudgets(_ e: TargetEstimate) {
        let b = target.budget
        if let s = b.sizeMB, e.sizeMet == false {
            emit("budget.size", "estimated size \(TargetEstimates.formatMB(Double(e.sizeBytes) / 1e6)) is over the \(s.value) MB budget\(e.sizeFromCaller ? "" : " (weights at their optimized bit width)")",
                 at: s.range)
        }
        if let m = b.memoryMB, e.memoryMet == false {
            let parts = e.isMicrocontroller
                ? "RAM: the activation arena; the model \(TargetEstimates.formatMB(Double(e.sizeBytes) / 1e6)) stays in flash"
                : "weights \(TargetEstimates.formatMB(Double(e.weightBytes) / 1e6)) + \(e.activationPlanner == "kv-cache" ? "KV cache" : "peak activations") \(TargetEstimates.formatMB(Double(e.peakActivationBytes) / 1e6))"
            // A lower bound over the budget is a miss all the same; the figure says it is one.
            emit("budget.memory", "estimated memory \(e.isLowerBound ? "≥ " : "")\(TargetEstimates.formatMB(Double(e.memoryBytes) / 1e6)) (\(parts)) is over the \(m.value) MB budget",
                 at: m.range)
        }
        if let f = b.flashMB, e.flashMet == false, let flash = e.flashBytes {
            emit("budget.memory", "estimated flash \(TargetEstimates.formatMB(Double(flash) / 1e6)) (the model file after optimization: weights and graph) is over the \(f.value) MB flash budget",
                 at: f.range)
        }
        if let f = b.flashMB, e.flashBytes == nil {
            emit("budget.memory", "flash_mb applies to microcontrollers (a device without an OS); \(e.device.map { "\($0.name)" } ?? "no device") keeps weights in memory: use memory_mb",
                 at: f.range, severity: .warning)
        }
        if let device = e.device, let memoryGB = device.memoryGB, Double(e.memoryBytes) > memoryGB * 1e9 {
            let what = e.isMicrocontroller ? "RAM (the activation arena)" : "memory"
            emit("budget.memory", "estimated \(what) \(TargetEstimates.formatMB(Double(e.memoryBytes) / 1e6)) does not fit in \(device.name)'s \(TargetEstimates.formatMB(memoryGB * 1000))",
                 at: target.device?.range ?? runtimeRange)
        }
        // Weights live in flash on a microcontroller: they must fit there, not in RAM.
        if let device = e.device, let flash = e.flashBytes, let storageGB = device.storageGB, Double(flash) > storageGB * 1e9 {
            emit("budget.memory", "estimated flash \(TargetEstimates.formatMB(Double(flash) / 1e6)) (the model file after optimization: weights and graph) does not fit in \(device.name)'s \(TargetEstimates.formatMB(storageGB * 1000)) of flash",
                 at: target.device?.range ?? runtimeRange)
        }
        if let m = b.memoryMB, e.memoryUnconfirmed {
            emit("budget.unconfirmed", "memory budget of \(m.value) MB cannot be confirmed: the estimate ≥ \(TargetEstimates.formatMB(Double(e.memoryBytes) / 1e6)) \(Self.covered(e.coverage)) and is a lower bound (SW4017 on the model says what was left out)",
                 at: m.range)
        }
        if let l = b.latencyMS, e.latencyUnconfirmed, let est = e.latencyMS {
            emit("budget.unconfirmed", "latency budget of \(l.value) ms cannot be confirmed: the estimate ≥ \(TargetEstimates.formatMS(est)) \(Self.covered(e.coverage)) and is a lower bound (SW4017 on the model says what was left out)",
                 at: l.range)
        }
        if let l = b.latencyMS, e.latencyMet == false, let est = e.latencyMS {
            emit("budget.latency", "estimated latency \(e.isLowerBound ? "≥ " : "")\(TargetEstimates.formatMS(est)) on \(e.device?.name ?? "the device") (\(e.precision.compute) on the \(e.precision.processor.rawValue)) is over the \(l.value) ms budget\(e.calibratedOn.map { "; \($0)" } ?? "")",
                 at: l.range)
        }
    }
}

extension String {
    /// "ampere" → "Ampere" (no Foundation here).
    var titleCased: String { prefix(1).uppercased() + dropFirst() }
}

extension Coverage {
    /// The activations' element type of the TFLite file a conversion makes from a model of another format with
    /// this target's settings, when quantized whole (full integer); nil otherwise.
    public static func loweredActivations(_ target: TargetSpec, model: Model) -> String? {
        guard model.format != .tflite, let q = target.optimize.quantize, let a = q.activations?.value, a == "int8" || a == "uint8",
              ["int8", "uint8"].contains(q.weights?.value ?? "") else { return nil }
        return a
    }
}
