import ModelFormats

/// The size of the ONNX file an exporter (tf2onnx, torch.onnx.export) writes from a Keras or PyTorch model, after
/// Slipway's ONNX converter has quantized it: the source file's container (HDF5, a zip of pickles) says nothing
/// about it. The weights as the engine sizes them, plus the graph: a node and a named value per layer and weight,
/// and per quantized weight its scale, zero point and DequantizeLinear. The constants were fitted on tf2onnx and
/// torch.onnx.export outputs of the small fixtures: float within 1 %, int8 within 1 % (torch) and 10 % (tf2onnx: its
/// names for Keras 3's tensors run longer, and a quantized weight's name is written five times).
public enum ExportedONNXSize {
    static let fileBytes = 200
    /// A node or a value's name and type in the graph.
    static let valueBytes = 100
    /// A DequantizeLinear node with its scale and zero-point initializers (exporters' names are long: tf2onnx's
    /// `<model>/<layer>/Conv2D/ReadVariableOp:0` three times over).
    static let dequantizeBytes = 350

    /// `weightBytes`: every weight's bytes after optimization; `quantized`: how many were quantized.
    public static func predict(model: Model, weightBytes: Int, quantized: Int) -> Int {
        let nodes = model.graphs.first?.nodes.count ?? 0
        // A tied weight is one initializer in the export.
        let tensors = model.tensors.reduce(0) { $1.sharedWith == nil ? $0 &+ 1 : $0 }
        return fileBytes &+ weightBytes &+ (nodes &+ tensors &+ model.inputs.count) &* valueBytes
            &+ quantized &* dequantizeBytes
    }
}
