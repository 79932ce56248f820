import Diagnostics
import Manifest
import ModelFormats

/// `model.inputs` against the model: each name must be one of the model's inputs (TFLite: a tensor name or
/// a signature key), and each shape must have the input's rank and agree with the dimensions the model fixes.
/// A name the model does not have would otherwise fix nothing, silently, and every figure would stay at the
/// dimensions taken as 1.
enum InputChecks {
    static func check(manifest: Manifest, model: Model) -> [Diagnostic] {
        guard let given = manifest.model?.inputs, !given.isEmpty else { return [] }
        // A file of weights without a graph Slipway reads (a TorchScript archive, whose inputs are in its code; a
        // state dict; safetensors) lists no inputs: the manifest's are what the exporter and runners use.
        if model.graphs.isEmpty && model.inputs.isEmpty { return [] }
        var known: [String: [ModelFormats.Dimension]?] = [:]
        for input in model.inputs { known[input.name] = input.shape }
        for sig in model.signatures where sig.subgraph == 0 {
            for (key, tensor) in sig.inputs where known[key] == nil {
                known[key] = model.inputs.first { $0.name == tensor }?.shape
            }
        }
        let names = model.inputs.map(\.name) + model.signatures.filter { $0.subgraph == 0 }.flatMap { $0.inputs.keys.sorted() }
        var out: [Diagnostic] = []
        for input in given {
            let name = input.name.value
            guard let entry = known[name] else {
                let suggestion = Suggest.closest(to: name, among: names)
                let listed = names.prefix(8).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 8 ? ", …" : "")
                out.append(Diagnostic(
                    .modelInputUnknown,
                    "the model has no input '\(name)'\(suggestion.map { "; did you mean '\($0)'?" } ?? ""); its inputs: \(listed.isEmpty ? "none" : listed)",
                    at: input.name.range,
                    fixes: suggestion.map { [Fix(title: "Change to '\($0)'", edits: [TextEdit(range: input.name.range, newText: $0)], isPreferred: true)] } ?? []))
                continue
            }
            guard let dims = entry else { continue }  // the model does not say its rank
            let shapeText = "[" + input.dims.map { $0.value.description }.joined(separator: ", ") + "]"
            let modelText = "[" + dims.map { d -> String in
                switch d {
                case .fixed(let n): return String(n)
                case .named(let s): return s
                case .unknown: return "?"
                }
            }.joined(separator: ", ") + "]"
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
}
