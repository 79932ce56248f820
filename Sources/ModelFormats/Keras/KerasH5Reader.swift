import CLibHDF5
import JSON

/// Reads a Keras model saved in HDF5 (`model.save("m.h5")` in Keras 2, tf.keras and Keras 3's legacy
/// format): the root's `model_config` attribute (the layer graph as JSON), `keras_version` and `backend`,
/// and the weights under `model_weights/<layer>/` named by each layer group's `weight_names`. Weights stored
/// contiguous and unfiltered are read in place from the mapping (their offsets come from libhdf5).
struct KerasH5Reader {
    let file: MappedFile

    static let maxWeights = 1_000_000

    func read() throws(ModelError) -> Model {
        try HDF5Lock.run { () throws(ModelError) -> Model in try readLocked() }
    }

    private func readLocked() throws(ModelError) -> Model {
        let h5 = try HDF5Image(bytes: file.bytes, path: file.path)
        try h5.guardGlobalHeaps(file.bytes)
        let root = h5.id
        guard h5.hasAttribute(root, "model_config") else {
            let hint = h5.exists(root, link: "layers") || h5.hasAttribute(root, "layer_names")
                ? "it holds weights only (save_weights); save the whole model with model.save(\"model.h5\") or model.save(\"model.keras\")"
                : "an HDF5 file without Keras's model_config attribute; save the model with model.save(\"model.h5\")"
            throw ModelError(.unsupportedFormat, file: file.path, "is not a Keras HDF5 model: \(hint)")
        }
        guard let configText = try h5.strings(root, attribute: "model_config", field: "model_config").first else {
            throw h5.error("model_config", "is empty")
        }
        var config = try KerasConfig.parse(configText, file: file.path, field: "model_config")
        var metadata: [String: String] = ["keras.container": "hdf5"]
        for key in ["keras_version", "backend"] where h5.hasAttribute(root, key) {
            metadata["keras.\(key)"] = try h5.strings(root, attribute: key, field: key).first
        }
        var tensors: [ConstantTensor] = []
        var outside: [String] = []
        // model.save writes the weights under model_weights; save_weights-style files keep them at the root.
        let weightsPath = h5.exists(root, link: "model_weights") ? "model_weights" : nil
        if let weightsPath {
            let group = slipway_h5_open_group(root, weightsPath)
            guard group >= 0 else { throw h5.error(weightsPath, "cannot be opened") }
            defer { slipway_H5Gclose(group) }
            let layerNames = try h5.chunkedStrings(group, attribute: "layer_names", field: "\(weightsPath).layer_names")
            let index = Dictionary(config.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
            for layerName in layerNames {
                let field = "\(weightsPath)/\(layerName)"
                guard h5.exists(group, link: layerName) else { throw h5.error(field, "is named in layer_names but missing") }
                let layerGroup = slipway_h5_open_group(group, layerName)
                guard layerGroup >= 0 else { throw h5.error(field, "cannot be opened") }
                defer { slipway_H5Gclose(layerGroup) }
                let weightNames = try h5.chunkedStrings(layerGroup, attribute: "weight_names", field: "\(field).weight_names")
                for weightName in weightNames {
                    guard tensors.count < Self.maxWeights else { throw h5.error(field, "holds over \(Self.maxWeights) weights") }
                    let wfield = "\(field)/\(weightName)"
                    guard h5.exists(layerGroup, link: weightName) else { throw h5.error(wfield, "is named in weight_names but missing") }
                    let d = try h5.dataset(layerGroup, weightName, field: wfield, imageSize: file.count)
                    let storage: TensorStorage
                    if let offset = d.offset { storage = .file(offset: offset, length: d.bytes) } else {
                        storage = .none
                        if let why = d.notInPlace { outside.append("\(layerName)/\(weightName) (\(why))") }
                    }
                    let layerIndex = index[layerName]
                    let tensorIndex = tensors.count
                    tensors.append(ConstantTensor(
                        name: "\(layerName)/\(weightName)", dtype: d.dtype, shape: d.shape, elementCount: d.elements,
                        storedBytes: d.bytes, storage: storage, graph: 0,
                        consumers: layerIndex.map { [TensorConsumer(graph: 0, node: $0, inputIndex: config.layers[$0].weights.count)] } ?? [],
                        quantization: nil, sparseValueCount: nil))
                    if let layerIndex {
                        config.layers[layerIndex].weights.append(tensorIndex)
                        config.layers[layerIndex].parameters &+= d.elements
                    }
                }
            }
        }
        if !outside.isEmpty {
            metadata["keras.weights_not_in_place"] = outside.prefix(20).joined(separator: ", ") + (outside.count > 20 ? ", ..." : "")
        }
        KerasShapes.infer(&config.layers)
        return KerasModelBuilder.model(
            config: config, tensors: tensors, metadata: metadata, file: file,
            producer: metadata["keras.keras_version"].map { "keras \($0)" })
    }
}

/// The `Model` view of a Keras layer graph: one node per layer (its class as the operator), consuming the
/// outputs of its inbound layers (each layer's output is named after the layer), then its weights.
enum KerasModelBuilder {
    static func model(config: KerasConfig, tensors: [ConstantTensor], metadata: [String: String], file: MappedFile,
                      producer: String?) -> Model {
        var nodes: [Node] = []
        for layer in config.layers where layer.className != "InputLayer" {
            // How many of the node's inputs are values from other layers: the weights follow them.
            var attributes: [String: AttributeValue] = ["keras.inbound": .int(Int64(layer.inbound.count))]
            if case .object(let o) = layer.config {
                for (k, v) in o.entries {
                    switch v {
                    case .int(let n): attributes[k] = .int(Int64(n))
                    case .string(let s): attributes[k] = .string(s)
                    case .bool(let b): attributes[k] = .int(b ? 1 : 0)
                    case .double(let d): attributes[k] = .float(Float(d))
                    case .array(let a) where a.allSatisfy({ $0.intValue != nil }): attributes[k] = .ints(a.compactMap { $0.intValue.map(Int64.init) })
                    default: break
                    }
                }
            }
            nodes.append(Node(name: layer.name, opType: layer.className, domain: "keras", version: nil, builtinCode: nil,
                              inputs: layer.inbound + layer.weights.map { tensors[$0].name }, outputs: [layer.name],
                              attributes: attributes))
        }
        // Node indices skip InputLayers: renumber the consumers to the nodes list.
        var nodeIndex: [String: Int] = [:]
        for (i, n) in nodes.enumerated() { nodeIndex[n.name] = i }
        var tensors = tensors
        for t in tensors.indices {
            tensors[t].consumers = tensors[t].consumers.compactMap { c in
                let layer = config.layers[c.node]
                guard let n = nodeIndex[layer.name] else { return nil }
                return TensorConsumer(graph: 0, node: n, inputIndex: layer.inbound.count &+ c.inputIndex)
            }
        }
        let byName = Dictionary(config.layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func info(_ name: String) -> ValueInfo {
            let layer = byName[name]
            let dtype = layer?.config["dtype"]?.stringValue.flatMap(dtypeNamed)
            return ValueInfo(name: name, dtype: dtype ?? .float32, shape: layer?.outputShape)
        }
        let inputs = config.inputLayers.map(info)
        let outputs = config.outputLayers.map(info)
        let graph = Graph(name: config.name, parent: nil, nodes: nodes, inputs: inputs, outputs: outputs)
        var model = Model(
            format: .keras, path: file.path, fileSize: file.count, producer: producer, formatVersion: nil,
            graphs: [graph], tensors: tensors, inputs: inputs, outputs: outputs, opsets: [:],
            metadata: metadata, signatures: [], file: file)
        model.layers = config.layers
        return model
    }

    static func dtypeNamed(_ s: String) -> DType? {
        switch s {
        case "float32": return .float32
        case "float16": return .float16
        case "bfloat16": return .bfloat16
        case "float64": return .float64
        case "int32": return .int32
        case "int64": return .int64
        case "int8": return .int8
        case "uint8": return .uint8
        case "bool": return .bool
        case "string": return .string
        default: return nil
        }
    }
}
