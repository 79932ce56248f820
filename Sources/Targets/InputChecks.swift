import Diagnostics
import Manifest
import ModelFormats

/// `model.inputs` against the model: each name must be one of the model's inputs (TFLite: a tensor name or
/// a signature key), and each shape must have the input's rank and agree with the dimensions the model fixes.
/// A name the model does not have would otherwise fix nothing, silently, and every figure would stay at the
/// dimensions taken as 1. A value (`sr: 16000`) must be for a scalar input; where the analysis does not use it
/// (formats other than ONNX and TorchScript code), that is said rather than left silent.
enum InputChecks {
    static func check(manifest: Manifest, model: Model) -> [Diagnostic] {
        guard let spec = manifest.model, !spec.inputs.isEmpty || !spec.inputValues.isEmpty else { return [] }
        let given = spec.inputs
        // A TorchScript archive keeps its inputs in its code: values bind `forward`'s scalar parameters.
        if let parameters = model.torchScriptForwardParameters { return torchScript(spec.inputValues, parameters) }
        // A file of weights without a graph Slipway reads (a TorchScript archive whose code was not read; a
        // state dict; safetensors) lists no inputs: the manifest's are what the exporter and runners use.
        if model.graphs.isEmpty && model.inputs.isEmpty { return spec.inputValues.map { notUsed($0, "the model lists no inputs") } }
        var known: [String: [ModelFormats.Dimension]?] = [:]
        for input in model.inputs { known[input.name] = input.shape }
        for sig in model.signatures where sig.subgraph == 0 {
            for (key, tensor) in sig.inputs where known[key] == nil {
                known[key] = model.inputs.first { $0.name == tensor }?.shape
            }
        }
        let names = model.inputs.map(\.name) + model.signatures.filter { $0.subgraph == 0 }.flatMap { $0.inputs.keys.sorted() }
        var out: [Diagnostic] = []
        for v in spec.inputValues {
            guard let entry = known[v.name.value] else {
                out.append(unknown(v.name, among: names))
                continue
            }
            let dims = entry ?? []
            let fixed = dims.reduce(1) { n, d in if case .fixed(let k) = d { return n &* k }; return n }
            if fixed > 1 {
                out.append(Diagnostic(
                    .modelInputValue,
                    "input '\(v.name.value)' is a tensor of shape \(text(dims)) (\(fixed) elements) in the model; the manifest gives it the value \(v.value.value), which only a scalar input takes: give its shape as a list",
                    at: v.value.range))
                continue
            }
            // The ONNX shape arithmetic takes an integer input's value; other formats' analyses do not.
            let used = model.format == .onnx && model.inputs.first { $0.name == v.name.value }.map(Analyzer.takesValue) == true
            if !used {
                out.append(notUsed(v, model.format == .onnx ? "the ONNX input is not an integer of one element" : "the \(model.format) analysis does not take input values"))
            }
        }
        for input in given {
            let name = input.name.value
            guard let entry = known[name] else {
                out.append(unknown(input.name, among: names))
                continue
            }
            guard let dims = entry else { continue }  // the model does not say its rank
            let shapeText = "[" + input.dims.map { $0.value.description }.joined(separator: ", ") + "]"
            let modelText = text(dims)
            let range = input.dims.isEmpty ? input.name.range : ByteRange(input.dims[0].range.start, input.dims[input.dims.count - 1].range.end)
            if input.dims.count != dims.count {
                out.append(Diagnostic(
                    .modelInputShape,
                    "input '\(name)' has rank \(dims.count) in the model (\(modelText)); the manifest gives \(input.dims.count) dimensions \(shapeText)",
                    at: range))
                continue
            }
            for (i, (d, m)) in zip(input.dims, dims).enumerated() {
                if case .fixed(let want) = d.value, case .fixed(let fixed) = m, want != fixed {
                    out.append(Diagnostic(
                        .modelInputShape,
                        "input '\(name)': dimension \(i) is fixed at \(fixed) in the model (\(modelText)); the manifest gives \(want)",
                        at: d.range,
                        fixes: [Fix(title: "Change to \(fixed)", edits: [TextEdit(range: d.range, newText: String(fixed))], isPreferred: true)]))
                }
            }
        }
        return out
    }

    static func text(_ dims: [ModelFormats.Dimension]) -> String {
        "[" + dims.map { d -> String in
            switch d {
            case .fixed(let n): return String(n)
            case .named(let s): return s
            case .unknown: return "?"
            }
        }.joined(separator: ", ") + "]"
    }

    /// A name the model does not have, with the closest one as a fix.
    static func unknown(_ name: Located<String>, among names: [String]) -> Diagnostic {
        let suggestion = Suggest.closest(to: name.value, among: names)
        let listed = names.prefix(8).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 8 ? ", …" : "")
        return Diagnostic(
            .modelInputUnknown,
            "the model has no input '\(name.value)'\(suggestion.map { "; did you mean '\($0)'?" } ?? ""); its inputs: \(listed.isEmpty ? "none" : listed)",
            at: name.range,
            fixes: suggestion.map { [Fix(title: "Change to '\($0)'", edits: [TextEdit(range: name.range, newText: $0)], isPreferred: true)] } ?? [])
    }

    /// A value the analysis does not take: said (information), so that no figure silently ignores it.
    static func notUsed(_ v: InputValue, _ why: String) -> Diagnostic {
        Diagnostic(
            .modelInputValue, "the value \(v.value.value) of input '\(v.name.value)' is not used by the analysis: \(why)",
            at: v.value.range, severity: .information)
    }

    /// Values for a TorchScript `forward`: each names a parameter, and binds an `int`, a `float` or a `bool` (0 or 1);
    /// a tensor parameter takes a shape. Shapes are not held to the parameters: a single tensor parameter takes a
    /// shape of any name (the exporter's and runners' name).
    static func torchScript(_ values: [InputValue], _ parameters: [(name: String, type: String)]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for v in values {
            guard let p = parameters.first(where: { $0.name == v.name.value }) else {
                out.append(unknown(v.name, among: parameters.map(\.name)))
                continue
            }
            if Model.torchScriptArgument(v.value.value, type: p.type) == nil {
                let type = p.type.isEmpty ? "Tensor" : p.type
                let tensor = type == "Tensor" || type.hasPrefix("Optional[Tensor")
                out.append(Diagnostic(
                    .modelInputValue,
                    tensor
                        ? "input '\(p.name)' is a \(type) parameter of the TorchScript forward; the manifest gives it the value \(v.value.value), which only an int, float or bool parameter takes: give its shape as a list"
                        : "input '\(p.name)' is a \(type) parameter of the TorchScript forward; the value \(v.value.value) binds an int, a float, or a bool (0 or 1)",
                    at: v.value.range))
            }
        }
        return out
    }
}
