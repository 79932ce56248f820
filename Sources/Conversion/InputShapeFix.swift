import ModelFormats

/// The manifest's fixed input sizes as written into an ONNX artifact for a target that runs fixed-size tensors
/// only (QNN's and NNAPI's execution providers): the runtime loads the file, not the manifest. As ONNX Runtime's
/// own tool for them (`make_dynamic_shape_fixed --input_name`), only the main graph's inputs are written; the
/// runtime infers every other shape from them. Symbols are not replaced across the graphs: exporters reuse one
/// name for unrelated dimensions (paddle2onnx's `?` on height and width), and value infos of subgraphs may
/// disagree with the inputs (silero-vad's), so fixing a symbol everywhere can make a file ONNX Runtime refuses.
/// A dimension the file fixes is never changed (a manifest that contradicts it is an error of `check`); a
/// negative `dim_value` (paddle2onnx's -1) is free, as the reader takes it.
struct InputShapeFix: Sendable, Hashable {
    /// Main-graph input name → dimension index → size.
    var positions: [String: [Int: Int64]] = [:]

    var isEmpty: Bool { positions.isEmpty }

    init() {}

    init(model: Model, given: [String: [Int?]]) {
        for input in model.inputs {
            let sizes = given[input.name] ?? []
            for (i, d) in (input.shape ?? []).enumerated() {
                if case .fixed = d { continue }
                if i < sizes.count, let size = sizes[i] { positions[input.name, default: [:]][i] = Int64(size) }
            }
        }
    }
}
