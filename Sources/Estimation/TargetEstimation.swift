import ArtifactLayout
import CheckedMath
import Diagnostics
import JSON
import Manifest
import ModelFormats
import Planning
import Targets

/// The estimate of every target of a manifest: targets with equal settings share one computation.
public struct TargetEstimation: Sendable {
    /// By target name; absent for targets that do not quantize (nothing to estimate).
    public var results: [String: EstimateResult]
    /// By target name: why the estimate failed (invalid settings such as an N:M pattern the engine refuses).
    public var failures: [String: String]
    /// Targets left out because their estimate is not cached yet (`cachedOnly`).
    public var pending: Set<String> = []

    /// With `cachedOnly`, targets whose estimate the cache does not hold are `pending` instead of computed
    /// (the language server's requests, which never wait on model work).
    public static func run(manifest: Manifest, model: Model, cache: (any EstimateCache)?, cachedOnly: Bool = false)
        -> TargetEstimation
    {
        var bySettings: [EstimateSettings: Result<EstimateResult, EstimateFailure>] = [:]
        var out = TargetEstimation(results: [:], failures: [:])
        let stored = model.storedBytes
        // Computed for the first target that needs them, shared by the others: the analysis at the sizes the
        // converter is given, the If branches those sizes leave untaken, the ONNX graphs as onnx2tf writes them, and
        // what each recurrence becomes (as loops, or unrolled for a full-integer conversion).
        var analysis: GraphAnalysis?
        func analyzed() -> GraphAnalysis {
            if let analysis { return analysis }
            let a = GraphAnalysis.analyze(model: model, inputs: manifest.fixedInputDims, values: manifest.fixedInputValues)
            analysis = a
            return a
        }
        var folded: Set<Int>?
        var lowered: ONNXTFLiteSize.Lowered?
        var recurrences: [Bool: [Int: [Int: ONNXTFLiteSize.LoweredRecurrence]]] = [:]  // by full integer
        for t in manifest.targets {
            // A target TensorFlow's converter makes from a Keras model: the artifact's size follows that converter's
            // rules, not the source file's (and its dynamic range leaves small weights in float, measured so).
            let converted = kerasTFLiteMode(t, model: model)
            if let mode = converted {
                // The builtins each layer becomes, from the catalogue's measured lowering (one where it has none).
                let lowering = (try? Catalogue.embedded.get())?.kerasTable(for: model).table
                let dynamic = dynamicBatch(manifest: manifest, model: model)
                let integerIO = PlannedSettings(optimize: t.optimize).io != "float32"
                out.predictedSizes[t.name.value] = KerasTFLiteSize.predict(model: model, mode: mode, integerIO: integerIO) { node in
                    max((lowering?.builtins(node.opType, dynamicBatch: dynamic) ?? nil)?.count ?? 1, 1)
                }
            }
            // A target onnx2tf and TensorFlow's converter make from an ONNX model: the same converter's rules, read
            // from the ONNX graph.
            var notRun: Set<Int> = []
            if let mode = onnxTFLiteMode(t, model: model) {
                let planned = PlannedSettings(optimize: t.optimize)
                notRun = folded ?? {
                    let f = model.graphs.contains(where: { $0.parent != nil }) ? foldedBranches(analyzed()) : []
                    folded = f
                    return f
                }()
                let graphs = lowered ?? ONNXTFLiteSize.lower(model, notRun: notRun)
                lowered = graphs
                let fullInteger = mode == .fullInteger
                let lowering = recurrences[fullInteger] ?? {
                    // The analysis only for a model with a recurrence.
                    guard model.graphs.contains(where: { g in g.nodes.contains { Coverage.recurrentOperators.contains($0.opType) } })
                    else { return [:] }
                    return loweredRecurrences(model: model, analysis: analyzed(), fullInteger: fullInteger)
                }()
                recurrences[fullInteger] = lowering
                out.predictedSizes[t.name.value] = ONNXTFLiteSize.predict(
                    graphs, mode: mode, integerIO: planned.io != "float32", perTensor: planned.granularity == .perTensor,
                    inputShapes: manifest.wholeInputShapes, recurrences: lowering)
            }
            let exported = exportsONNX(t, model: model)
            if exported { out.predictedSizes[t.name.value] = ExportedONNXSize.predict(model: model, weightBytes: stored, quantized: 0) }
            guard var s = EstimateSettings(target: t) else { continue }
            // The weights a removed branch takes with it are not the artifact's: its SQNR is measured without them.
            if !notRun.isEmpty { s.absent = model.tensors.filter { ONNXTFLiteSize.removed($0, notRun: notRun) }.map(\.name) }
            if converted == .dynamicRange {
                s.skip += model.tensors.filter { $0.dtype.isFloatingPoint && KerasTFLiteSize.keptFloat($0) }.map(\.name)
            }
            let r: Result<EstimateResult, EstimateFailure>
            if let done = bySettings[s] {
                r = done
            } else {
                do { r = .success(try ModelEstimator.estimate(model, settings: s, cache: cache, cachedOnly: cachedOnly)) }
                catch EstimateError.notCached { r = .failure(EstimateFailure(message: "", pending: true)) }
                catch { r = .failure(EstimateFailure(message: "\(error)")) }
                bySettings[s] = r
            }
            switch r {
            case .success(var e):
                if exported {
                    let weights = stored &- e.tensorBytesBefore &+ e.tensorBytesAfter
                    out.predictedSizes[t.name.value] = ExportedONNXSize.predict(
                        model: model, weightBytes: max(weights, 0), quantized: s.quantize ? e.tensorCount : 0)
                }
                if let predicted = out.predictedSizes[t.name.value] { e.modelBytesAfter = predicted }
                out.results[t.name.value] = e
            case .failure(let f) where f.pending: out.pending.insert(t.name.value)
            case .failure(let f): out.failures[t.name.value] = f.message
            }
        }
        return out
    }

    /// Sizes predicted from the converter's rules for targets an external converter makes in another format
    /// (Keras or ONNX → TFLite; Keras or TorchScript → ONNX), quantized or not.
    public var predictedSizes: [String: Int] = [:]

    /// Each estimated target's size after quantization, for the Targets budget check.
    public var sizes: [String: Int] { results.mapValues(\.modelBytesAfter).merging(predictedSizes) { _, predicted in predicted } }

    /// Whether the converter sees a dynamic batch: the driver fixes the shapes only when the manifest gives every
    /// dimension of the model's inputs (ExternalConverter), and the model's own first dimension is not fixed.
    static func dynamicBatch(manifest: Manifest, model: Model) -> Bool {
        var given: [String: Bool] = [:]
        for i in manifest.model?.inputs ?? [] {
            given[i.name.value] = i.dims.allSatisfy { if case .fixed = $0.value { return true }; return false }
        }
        let all = !given.isEmpty && given.values.allSatisfy { $0 }
        if all { return false }
        return model.inputs.contains { i in
            guard let first = i.shape?.first else { return false }
            if case .fixed = first { return false }
            return true
        }
    }

    /// Whether an exporter writes the target's ONNX from another format and Slipway's ONNX converter optimizes it
    /// (Schemas/conversion/paths.json's `then: native`).
    static func exportsONNX(_ t: TargetSpec, model: Model) -> Bool {
        let source = model.conversionSource
        guard source != "onnx" else { return false }
        let plan = TargetPlan.make(target: t, source: source)
        guard plan.format == "onnx", case .tool(let tool)? = plan.route else { return false }
        return ConversionPaths.table.paths.contains { $0.from == source && $0.to == "onnx" && $0.via == tool && $0.then == "native" }
    }

    /// The Keras → TFLite mode of a target TensorFlow's converter makes (the plan's route), else nil.
    static func kerasTFLiteMode(_ t: TargetSpec, model: Model) -> KerasTFLiteSize.Mode? {
        guard model.format == .keras else { return nil }
        let plan = TargetPlan.make(target: t, source: model.conversionSource)
        guard plan.route == .tool("tflite-converter") else { return nil }
        let q = t.optimize.quantize
        return KerasTFLiteSize.mode(weights: q?.weights?.value ?? "none", activations: q?.activations?.value ?? "none")
    }

    /// The TFLite mode of a target onnx2tf makes from an ONNX model (the plan's route, without problems), else nil.
    /// The If branches onnxsim removes before onnx2tf converts: those the analysis at the manifest's sizes and
    /// values never takes, when every input dimension is fixed (onnxsim folds at fixed sizes only; a dimension the
    /// analysis took as 1 decides nothing in the file). Empty for a model without subgraphs.
    static func foldedBranches(_ a: GraphAnalysis) -> Set<Int> {
        a.assumedDimensions.isEmpty ? a.coverage.graphsNotRun : []
    }

    /// What each recurrence becomes, as WHILE loops or unrolled (`fullInteger`): the lowering `check` counts, from
    /// the catalogue (none without a readable catalogue).
    static func loweredRecurrences(model: Model, analysis: GraphAnalysis, fullInteger: Bool) -> [Int: [Int: ONNXTFLiteSize.LoweredRecurrence]] {
        guard let catalogue = try? Catalogue.embedded.get() else { return [:] }
        return Coverage.loweredRecurrences(model: model, analysis: analysis, catalogue: catalogue, fullInteger: fullInteger).mapValues { nodes in
            nodes.mapValues { ONNXTFLiteSize.LoweredRecurrence(builtins: $0.builtins.count, steps: $0.steps, sequence: $0.sequence, biased: $0.biased) }
        }
    }

    static func onnxTFLiteMode(_ t: TargetSpec, model: Model) -> KerasTFLiteSize.Mode? {
        guard model.format == .onnx else { return nil }
        let plan = TargetPlan.make(target: t, source: model.conversionSource)
        // Only a file onnx2tf makes: a refused target (SW4018) has no artifact to predict.
        guard plan.format == "tflite", plan.route == .tool("onnx2tf"), plan.problems.isEmpty else { return nil }
        let q = t.optimize.quantize
        return KerasTFLiteSize.mode(weights: q?.weights?.value ?? "none", activations: q?.activations?.value ?? "none")
    }

    /// The findings of every target as diagnostics, said once where targets share their settings.
    public func diagnostics(manifest: Manifest, text: [UInt8]?, modelPath: String?) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for t in manifest.targets {
            guard let r = results[t.name.value] else { continue }
            out += EstimateDiagnostics.diagnostics(target: t, result: r, text: text, modelPath: modelPath).map { d in
                var d = d
                d.targets = [t.name.value]
                return d
            }
        }
        return EstimateDiagnostics.merged(out)
    }
}

struct EstimateFailure: Error {
    var message: String
    var pending = false
}

/// The per-target table of `slipway estimate MANIFEST`: the Targets layer's row (device, MACs, memory,
/// latency, budgets) with the size after quantization from the engine, and the engine's accuracy figures.
public enum EstimateTable {
    public static func build(manifest: Manifest, model: Model?, catalogue: Catalogue, estimation: TargetEstimation)
        -> JSONValue
    {
        let base = TargetEstimates.table(manifest: manifest, model: model, catalogue: catalogue,
                                         sizeBytes: estimation.sizes)
        guard case .object(var root) = base, case .array(let rows)? = root["targets"] else { return base }
        root["targets"] = .array(rows.map { row in
            guard case .object(var o) = row, let name = o["target"]?.stringValue else { return row }
            o["size_before_bytes"] = model.map { .int(estimateBefore($0, estimation.results[name])) } ?? .null
            if let e = estimation.results[name] {
                o["scheme"] = .string(e.scheme)
                o["sqnr_db_aggregate"] = num(e.sqnrDBAggregate)
                o["sqnr_db_min"] = num(e.sqnrDBMin)
                o["worst"] = .array(e.worst.map { ["name": .string($0.name), "sqnr_db": .double($0.sqnrDB)] })
                o["cache"] = .string(e.fromCache ? "hit" : "miss")
                if let t = e.pruningThreshold {
                    o["pruning"] = ["threshold": .double(t), "sparsity": num(e.pruningSparsity),
                                    "energy_retained": num(e.pruningEnergyRetained)]
                }
            } else if let f = estimation.failures[name] {
                o["estimate_error"] = .string(f)
            } else if estimation.pending.contains(name) {
                // Not estimated yet: the size after optimization is unknown, so its budget is not judged.
                o["estimate_pending"] = .bool(true)
                if let b = o["size_budget"], b != .null { o["size_budget"] = .string("pending") }
            }
            return .object(o)
        })
        return .object(root)
    }

    static func estimateBefore(_ m: Model, _ e: EstimateResult?) -> Int {
        e?.modelBytesBefore ?? m.fileSize
    }

    /// True when some target misses a budget.
    public static func missesBudget(_ table: JSONValue) -> Bool {
        (table["targets"]?.arrayValue ?? []).contains { row in
            ["size_budget", "memory_budget", "flash_budget", "latency_budget"].contains { row[$0]?.stringValue == "missed" }
        }
    }

    /// Aligned text: one line per target, then its worst tensors.
    public static func text(_ table: JSONValue) -> String {
        let header = ["target", "scheme", "size", "SQNR agg/min", "MACs", "peak act.", "latency", "budgets"]
        var lines = [header]
        var worst: [String] = []
        for row in table["targets"]?.arrayValue ?? [] {
            func mb(_ k: String) -> String { row[k]?.intValue.map { mbText($0) } ?? "-" }
            let budgets = TargetEstimates.budgetSummary(row)
            let atLeast = TargetEstimates.atLeast(row)
            let sqnr = row["sqnr_db_aggregate"].flatMap(\.doubleValue).map { a in
                "\(dbText(a)) / \(row["sqnr_db_min"]?.doubleValue.map(dbText) ?? "exact")"
            } ?? "-"
            let name = row["target"]?.stringValue ?? ""
            lines.append([
                name, row["scheme"]?.stringValue ?? (row["estimate_error"] != nil ? "error" : "float"),
                "\(mb("size_before_bytes")) → \(mb("size_bytes"))", sqnr, atLeast + countText(row["macs"]?.intValue ?? 0),
                atLeast + mb("peak_activation_bytes"), row["latency_ms"]?.doubleValue.map { atLeast + msText($0) } ?? "-",
                budgets.isEmpty ? "-" : budgets.joined(separator: ", "),
            ])
            let w = (row["worst"]?.arrayValue ?? []).compactMap { t -> String? in
                guard let n = t["name"]?.stringValue, let d = t["sqnr_db"]?.doubleValue else { return nil }
                return "\(n) \(dbText(d))"
            }
            if !w.isEmpty { worst.append("  \(name): worst tensors \(w.joined(separator: ", "))") }
            if let l = latencyNote(row) { worst.append("  \(name): \(l)") }
            if let e = row["estimate_error"]?.stringValue { worst.append("  \(name): no estimate: \(e)") }
        }
        var widths = [Int](repeating: 0, count: header.count)
        for l in lines { for (i, c) in l.enumerated() { widths[i] = max(widths[i], c.count) } }
        let body = lines.map { l in
            l.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }.joined(separator: "  ")
        }.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }
        return (body + worst).joined(separator: "\n") + "\n" + TargetEstimates.coverageNote(table["coverage"])
    }

    /// How the latency figure was made, in words: calibrated on published measurements (the range their
    /// spread of cycles per MAC gives, the stack and the core), or a roofline from the device's peak figures.
    static func latencyNote(_ row: JSONValue) -> String? {
        guard let ms = row["latency_ms"]?.doubleValue, let c = row["latency_calibration"] else { return nil }
        let atLeast = TargetEstimates.atLeast(row)
        if c["method"]?.stringValue == "calibrated", c["class"]?.stringValue == "device",
            let perGMAC = c["ms_per_gmac"]?.doubleValue, let spread = c["ratio_spread"]?.arrayValue, spread.count == 2,
            let lo = spread[0].doubleValue, let hi = spread[1].doubleValue
        {
            // Measured on this device under this runtime: the cost per GMAC and the constant, and the range the
            // published figures spread over around the fit.
            // The processor too: one device may have fits on its NPU and on its GPU at the same precision.
            let device = c["device"]?.stringValue ?? "?", runtime = c["runtime"]?.stringValue ?? "?"
            let processor = c["processor"]?.stringValue ?? "?"
            let precision = c["precision"]?.stringValue ?? "?", constant = c["constant_ms"]?.doubleValue ?? 0
            let plus = constant > 0 ? " + \(msText(constant))" : ""
            let publisher = c["published_by"]?.stringValue.map { " (\($0))" } ?? ""
            var beyond = ""
            if c["extrapolated"]?.boolValue == true, let r = c["fitted_macs"]?.arrayValue, r.count == 2,
               let a = r[0].intValue, let b = r[1].intValue
            {
                beyond = "; extrapolated: the fit's models have \(countText(a))–\(countText(b)) MACs, this one \(countText(row["macs"]?.intValue ?? 0))"
            }
            return "latency \(atLeast)\(msText(ms)) calibrated on published \(device) \(runtime) \(processor) \(precision) measurements"
                + "\(publisher): \((perGMAC * 1000).rounded() / 1000) ms/GMAC\(plus); "
                + "\(atLeast)\(msText(ms * lo))–\(msText(ms * hi)) over their spread\(beyond)"
        }
        if c["method"]?.stringValue == "calibrated", let perGMAC = c["ms_per_gmac"]?.doubleValue,
            let spread = c["ratio_spread"]?.arrayValue, spread.count == 2,
            let lo = spread[0].doubleValue, let hi = spread[1].doubleValue
        {
            // The accelerator's two terms: compute, and the parameters beyond its on-chip cache streamed each run.
            let accel = c["class"]?.stringValue ?? "?", attachment = c["attachment"]?.stringValue ?? "?"
            let streamed = c["streamed_bytes"]?.intValue ?? 0
            let streaming = streamed > 0
                ? "\(msText(c["streaming_ms"]?.doubleValue ?? 0)) streaming the \(mbText(streamed)) of parameters beyond its \(mbText(c["cache_bytes"]?.intValue ?? 0)) on-chip cache"
                : "all \(mbText(c["parameter_bytes"]?.intValue ?? 0)) of parameters in its \(mbText(c["cache_bytes"]?.intValue ?? 0)) on-chip cache"
            return "latency \(atLeast)\(msText(ms)) calibrated on Coral's published \(accel) (\(attachment)) measurements: "
                + "\(msText(c["compute_ms"]?.doubleValue ?? 0)) compute at \((perGMAC * 1000).rounded() / 1000) ms/GMAC + \(streaming); "
                + "\(atLeast)\(msText(ms * lo))–\(msText(ms * hi)) over the fit's spread"
        }
        guard c["method"]?.stringValue == "calibrated", let cpm = c["cycles_per_mac"]?.doubleValue, cpm > 0,
              let spread = c["cycles_per_mac_spread"]?.arrayValue, spread.count == 2,
              let lo = spread[0].doubleValue, let hi = spread[1].doubleValue
        else { return "latency \(atLeast)\(msText(ms)) is a roofline from the device's peak figures (no published measurement calibrates this device class)" }
        let core = c["class"]?.stringValue ?? "?", precision = c["precision"]?.stringValue ?? "?"
        let stack = c["stack"]?.stringValue.map { ", \($0)" } ?? ""
        return "latency \(atLeast)\(msText(ms)) calibrated on published \(core) \(precision) measurements\(stack): "
            + "\((cpm * 100).rounded() / 100) cycles/MAC, \(atLeast)\(msText(ms * lo / cpm))–\(msText(ms * hi / cpm)) over their spread"
    }

    static func num(_ d: Double?) -> JSONValue { d.map { $0.isFinite ? .double($0) : .null } ?? .null }
    public static func mbText(_ b: Int) -> String { TargetEstimates.formatMB(Double(b) / 1e6) }
    public static func msText(_ ms: Double) -> String { TargetEstimates.formatMS(ms) }
    public static func dbText(_ d: Double) -> String { "\((d * 10).rounded() / 10) dB" }
    static func countText(_ n: Int) -> String { TargetEstimates.formatCount(n) }
}
