import Compression
import Diagnostics
import Manifest

/// Why a target cannot be built as written: the same words in `check` (SW4018) and in `convert`'s refusal.
public struct PlanProblem: Sendable, Hashable {
    public var message: String
    /// The manifest value it concerns (the diagnostic's range); nil when the target as a whole.
    public var range: ByteRange?
    /// The document the verdict rests on (Schemas/conversion/paths.json's sources), when there is one.
    public var source: PathSource? = nil
}

/// How the artifact gets made.
public enum ConversionRoute: Sendable, Hashable {
    /// In process (Slipway's ONNX, TFLite or safetensors rewriter).
    case native
    /// An external converter (Schemas/converters.json), run as a child process.
    case tool(String)
    /// No path: the problems say why.
    case impossible
}

/// One target of a manifest, decided once from the manifest and the model's facts: `check`, `estimate`,
/// `convert` and the server read this value, so a target `check` passes is one `convert` builds.
/// Pure: no I/O; the caller passes what it read.
public struct TargetPlan: Sendable {
    public var target: String
    /// The source's format ("onnx", "tflite", "safetensors", "gguf", "pytorch"); nil when unknown.
    public var source: String?
    /// The artifact's format (the target's `format`, else the one its runtime or the source implies).
    public var format: String
    public var settings: PlannedSettings
    /// Nil when the source format is unknown (the converter reads the file and says what it finds).
    public var route: ConversionRoute?
    /// The default-domain opset the written ONNX form needs and why, for an ONNX → ONNX path.
    public var neededOpset: (opset: Int, why: String)?
    /// The default-domain opset the exporter is asked to write, for a route through an exporter (PyTorch or Keras
    /// → ONNX): its default, or the runtime's highest opset when that is lower, so the artifact loads where it goes.
    public var exportOpset: Int? = nil
    public var problems: [PlanProblem]

    /// `runtimeMaxOpset`: the highest opset of the target's runtime version (from the catalogue), when known.
    public static func make(target: TargetSpec, source: String?, runtimeMaxOpset: Int? = nil,
                            table: ConversionPaths = ConversionPaths.table) -> TargetPlan {
        let settings = PlannedSettings(optimize: target.optimize)
        let format = target.format?.value ?? defaultFormat(runtime: target.runtimeName, source: source, table: table)
        var plan = TargetPlan(target: target.name.value, source: source, format: format, settings: settings, route: nil,
                              neededOpset: nil, problems: [])
        let q = target.optimize.quantize
        let formatRange = target.format?.range ?? target.runtime?.range ?? target.name.range
        // A runtime that cannot load the format: one that the table lists, for other formats only.
        let catalogued = table.runtimeFormats.values.contains { $0.contains(format) }
        if let rt = target.runtimeName, let loads = table.runtimeFormats[rt], catalogued, !loads.contains(format) {
            plan.problems.append(PlanProblem(
                message: "runtime \(rt) loads \(loads.joined(separator: ", ")), not \(format)",
                range: target.format?.range ?? target.runtime?.range))
        }
        if let w = settings.unknownWeights {
            plan.problems.append(PlanProblem(message: "weights: \(w) is not a type Slipway converts to", range: q?.weights?.range))
        }
        if let s = settings.unknownPruneScope {
            plan.problems.append(PlanProblem(
                message: "prune.scope \(s) is not a scope Slipway prunes with; use per-tensor or global",
                range: target.optimize.prune?.scope?.range))
        }
        guard let source else { return plan }
        let candidates = table.paths.filter { $0.from == source && $0.to == format }
        guard !candidates.isEmpty else {
            // A copy in the same format with nothing to change is no conversion at all.
            if source == format, settings.weights == nil, settings.pruning == nil { plan.route = .native; return plan }
            plan.route = .impossible
            let known = Set(table.paths.filter { $0.from == source && $0.via != "none" }.map(\.to)).sorted()
            plan.problems.append(PlanProblem(
                message: "no conversion path from \(source) to \(format)" + (known.isEmpty ? "" : "; from \(source) Slipway makes \(known.joined(separator: ", "))"),
                range: formatRange))
            return plan
        }
        if let none = candidates.first(where: { $0.via == "none" }) {
            plan.route = .impossible
            plan.problems.append(PlanProblem(message: none.reason ?? "no conversion path from \(source) to \(format)", range: formatRange,
                                             source: table.sources[none.source]))
            return plan
        }
        let byActivations = candidates.first { $0.activations?.contains(settings.activations) ?? true }
        guard let path = byActivations else {
            plan.route = .impossible
            let all = Set(candidates.flatMap { $0.activations ?? [] }).sorted()
            plan.problems.append(PlanProblem(
                message: "no conversion path from \(source) to \(format) with activations: \(settings.activations); the paths take activations: \(all.joined(separator: ", "))",
                range: q?.activations?.range ?? formatRange))
            return plan
        }
        plan.route = path.via == "native" ? .native : .tool(path.via)
        let cited = table.sources[path.source]
        let how = path.via == "native" ? "Slipway's \(source) → \(format) conversion" : "\(path.via) (\(source) → \(format))"
        if let ws = path.weights, settings.unknownWeights == nil, !ws.contains(settings.weightsName) {
            plan.problems.append(PlanProblem(
                message: "\(how) writes weights: \(ws.joined(separator: ", ")), not \(settings.weightsName)" + (path.reason.map { "; \($0)" } ?? ""),
                range: q?.weights?.range ?? q?.activations?.range, source: cited))
        }
        if let gs = path.granularity, settings.weights?.isInteger == true, !gs.contains(settings.granularity.label) {
            plan.problems.append(PlanProblem(
                message: "\(how) quantizes \(gs.joined(separator: " or ")), not \(settings.granularity.label)",
                range: q?.granularity?.range, source: cited))
        }
        if path.prunes == false, settings.pruning != nil {
            let prunesSource = table.paths.contains { $0.from == source && $0.to == source && $0.prunes == true }
            let prunesArtifact = table.paths.contains { $0.from == format && $0.to == format && $0.prunes == true }
            let way = prunesSource
                ? "prune the \(source) model first (a target with format: \(source) and optimize.prune) and convert that"
                : prunesArtifact
                    ? "convert without pruning, then prune the \(format) artifact (a manifest whose model is that file, with optimize.prune)"
                    : "prune before exporting the model"
            plan.problems.append(PlanProblem(message: "\(how) does not prune; \(way)", range: target.optimize.prune?.criterion?.range, source: cited))
        }
        if settings.io != "float32" {
            let ios = path.io ?? ["float32"]
            if !settings.staticActivations {
                plan.problems.append(PlanProblem(
                    message: "io: \(settings.io) makes the inputs and outputs integer, which needs full-integer quantization (activations: int8 with calibration samples), not activations: \(settings.activations)",
                    range: q?.io?.range))
            } else if !ios.contains(settings.io) {
                plan.problems.append(PlanProblem(
                    message: "\(how) writes \(ios.joined(separator: " or ")) inputs and outputs, not io: \(settings.io)",
                    range: q?.io?.range, source: cited))
            }
        }
        if settings.dynamic, let w = settings.weights, w != .int8, w != .uint8 {
            plan.problems.append(PlanProblem(
                message: "dynamic quantization (MatMulInteger/ConvInteger) takes int8 or uint8 weights, not \(w.rawValue); use activations: none for \(w.rawValue) weights",
                range: q?.activations?.range ?? q?.weights?.range))
        }
        if settings.activations == "float16", settings.weights != .float16 {
            plan.problems.append(PlanProblem(
                message: "activations: float16 (float16 compute) needs weights: float16, not \(settings.weightsName)",
                range: q?.activations?.range))
        }
        if let x = path.exporterOpset {
            let max = runtimeMaxOpset ?? x.default
            plan.exportOpset = min(x.default, max)
            if max < x.lowest {
                let rt = target.runtime?.value.description ?? "the runtime"
                plan.problems.append(PlanProblem(
                    message: "\(path.via) writes opset \(x.lowest) or above; \(rt) runs models up to opset \(max); use a newer runtime",
                    range: target.runtime?.range, source: cited))
            }
        }
        if format == "onnx", (source == "onnx" && path.via == "native") || path.then == "native" {
            plan.neededOpset = neededOpset(settings, table.opsets)
            if let need = plan.neededOpset, let max = runtimeMaxOpset, need.opset > max {
                let rt = target.runtime?.value.description ?? "the runtime"
                plan.problems.append(PlanProblem(
                    message: "\(need.why) needs opset \(need.opset); \(rt) runs models up to opset \(max)" + (need.opset > table.opsets.perChannel && max >= table.opsets.perChannel ? "; use int8 per-channel weights, or a newer runtime" : "; use a newer runtime"),
                    range: q?.weights?.range ?? q?.granularity?.range ?? target.runtime?.range,
                    source: table.sources["dequantize-linear"]))
            }
        }
        return plan
    }

    /// The opset the ONNX form of these settings needs, and the operator form that needs it.
    public static func neededOpset(_ s: PlannedSettings, _ o: ONNXFormOpsets = ConversionPaths.table.opsets) -> (opset: Int, why: String)? {
        var needed: Int
        var why: String
        let scheme = s.scheme
        if s.dynamic, scheme == nil || scheme?.granularity == .perTensor {
            needed = o.dynamicQuantizeLinear
            why = "DynamicQuantizeLinear"
        } else if s.weights == .float16 || s.float16Compute {
            needed = o.castIntegerTo
            why = "Cast with an integer `to`"
        } else if let scheme {
            needed = o.dequantizeLinear
            why = "DequantizeLinear"
            if case .perChannel = scheme.granularity { needed = o.perChannel; why = "per-channel DequantizeLinear (axis)" }
            if case .perBlock = scheme.granularity { needed = o.perBlock; why = "per-block DequantizeLinear (block_size)" }
            if scheme.type.bits == 4 { needed = o.fourBit; why = "\(scheme.type.rawValue) DequantizeLinear" }
        } else {
            return nil
        }
        if s.dynamic, needed < o.dynamicQuantizeLinear { needed = o.dynamicQuantizeLinear; why = "DynamicQuantizeLinear" }
        return (needed, why)
    }

    /// The format a target without `format` gets: its runtime's default, else the source's own, else ONNX.
    public static func defaultFormat(runtime: String?, source: String?, table: ConversionPaths = ConversionPaths.table) -> String {
        if let runtime, let first = table.runtimeFormats[runtime]?.first { return first }
        if let source, source != "pytorch" { return source }
        return "onnx"
    }

    /// The format a model file's name says it has (for the default artifact format, decided without reading it).
    public static func formatByName(_ path: String) -> String? {
        let p = path.lowercased()
        for f in ["onnx", "tflite", "safetensors", "gguf"] where p.hasSuffix("." + f) { return f }
        return sourceFormat(detected: nil, path: path)
    }

    /// The conversion source a model file's name says, for a plan made without reading the model (the editor's
    /// hover): its format, Keras for `.h5`/`.hdf5`/`.keras`, an ExportedProgram for `.pt2`. A `.pt` may be a
    /// state dict, which only its entries tell: `check` reads the file.
    public static func sourceByName(_ path: String) -> String? {
        let p = path.lowercased()
        if p.hasSuffix(".h5") || p.hasSuffix(".hdf5") || p.hasSuffix(".keras") { return "keras" }
        if p.hasSuffix(".pt2") { return "pytorch-exported-program" }
        return formatByName(path)
    }

    /// The source format from the model file's detected format, or its name for the files Slipway does not
    /// read (PyTorch's `.pt`, `.pt2`, `.pth`).
    public static func sourceFormat(detected: String?, path: String) -> String? {
        if let detected { return detected }
        let p = path.lowercased()
        if p.hasSuffix(".pt") || p.hasSuffix(".pt2") || p.hasSuffix(".pth") { return "pytorch" }
        return nil
    }
}
