import JSON

/// One layer of a Keras model as its `model_config` describes it, with what Slipway derives: the output
/// shape (batch first, nil where unknown) and the parameters its stored weights hold.
public struct KerasLayer: Sendable {
    public var name: String
    /// The Keras class: `Conv2D`, `Dense`, `InputLayer`...
    public var className: String
    /// The layer's `config` object as saved.
    public var config: JSONValue
    /// The layers whose outputs this one consumes, in argument order.
    public var inbound: [String]
    /// nil when the shape rules do not know the layer or an input's shape is unknown.
    public var outputShape: [Dimension]?
    public var parameters: Int = 0
    /// Indices into `Model.tensors` of this layer's weights, in the layer's own order.
    public var weights: [Int] = []
}

/// The layers of a `model_config` (Functional or Sequential, Keras 2 or 3 forms) and the model's inputs and outputs.
struct KerasConfig {
    var name: String
    var className: String
    var layers: [KerasLayer]
    var inputLayers: [String]
    var outputLayers: [String]

    static let maxLayers = 100_000

    static func parse(_ text: String, file: String, field: String) throws(ModelError) -> KerasConfig {
        func bad(_ f: String, _ m: String) -> ModelError { ModelError(.malformed, file: file, field: f, m) }
        let json: JSONValue
        do { json = try JSONValue.parse(text, maxDepth: 256) } catch { throw bad(field, "is not JSON: \(error.description)") }
        guard let className = json["class_name"]?.stringValue, let config = json["config"] else {
            throw bad(field, "has no class_name and config: not a Keras model configuration")
        }
        guard let layerValues = config["layers"]?.arrayValue else {
            throw bad("\(field).config.layers", "is missing: a \(className) without layers is not a model Slipway reads")
        }
        guard layerValues.count <= maxLayers else { throw bad("\(field).config.layers", "holds \(layerValues.count) layers, over \(maxLayers)") }
        var layers: [KerasLayer] = []
        var seen: Set<String> = []
        for (i, value) in layerValues.enumerated() {
            let f = "\(field).config.layers[\(i)]"
            guard let cls = value["class_name"]?.stringValue else { throw bad(f, "has no class_name") }
            let cfg = value["config"] ?? .object(JSONObject())
            guard let name = value["name"]?.stringValue ?? cfg["name"]?.stringValue else { throw bad(f, "has no name") }
            guard seen.insert(name).inserted else { throw bad("\(f).name", "'\(name)' names two layers") }
            var inbound: [String] = []
            if let nodes = value["inbound_nodes"] { collectHistory(nodes, into: &inbound, depth: 0) }
            layers.append(KerasLayer(name: name, className: cls, config: cfg, inbound: inbound, outputShape: nil))
        }
        var inputs = layerRefs(config["input_layers"])
        var outputs = layerRefs(config["output_layers"])
        if className == "Sequential" {
            // A Sequential chains its layers; Keras 2 may put the input shape on the first layer instead of an InputLayer.
            if let first = layers.first, first.className != "InputLayer" {
                let shape = first.config["batch_input_shape"] ?? first.config["batch_shape"] ?? config["build_input_shape"]
                if let shape {
                    var inputConfig = JSONObject()
                    inputConfig["batch_shape"] = shape
                    let inputName = "input"
                    layers.insert(KerasLayer(name: inputName, className: "InputLayer", config: .object(inputConfig), inbound: [], outputShape: nil), at: 0)
                }
            }
            for i in layers.indices.dropFirst() { layers[i].inbound = [layers[i - 1].name] }
            inputs = layers.first.map { [$0.name] } ?? []
            outputs = layers.last.map { [$0.name] } ?? []
        }
        for (i, layer) in layers.enumerated() {
            for source in layer.inbound where !seen.contains(source) {
                throw bad("\(field).config.layers[\(i)].inbound_nodes", "names layer '\(source)', which the model does not have")
            }
        }
        return KerasConfig(name: config["name"]?.stringValue ?? "", className: className, layers: layers,
                           inputLayers: inputs, outputLayers: outputs)
    }

    /// Layer names in an inbound-node tree: Keras 3 writes `keras_history: [layer, node, tensor]` inside
    /// `__keras_tensor__` objects; Keras 2 writes `[layer, node, tensor, kwargs]` lists.
    static func collectHistory(_ v: JSONValue, into names: inout [String], depth: Int) {
        guard depth < 64 else { return }
        switch v {
        case .object(let o):
            if let h = o["keras_history"]?.arrayValue, let name = h.first?.stringValue {
                names.append(name)
                return
            }
            for (_, child) in o.entries { collectHistory(child, into: &names, depth: depth + 1) }
        case .array(let a):
            if a.count >= 3, let name = a[0].stringValue, a[1].intValue != nil, a[2].intValue != nil {
                names.append(name)
                return
            }
            for child in a { collectHistory(child, into: &names, depth: depth + 1) }
        default:
            return
        }
    }

    /// `input_layers`/`output_layers`: `[[name, node, tensor], ...]`, or one `[name, node, tensor]`.
    static func layerRefs(_ v: JSONValue?) -> [String] {
        guard let a = v?.arrayValue else { return [] }
        if let name = a.first?.stringValue { return [name] }
        return a.compactMap { $0.arrayValue?.first?.stringValue }
    }
}
