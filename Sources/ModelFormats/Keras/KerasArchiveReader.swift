import CLibHDF5
import JSON

/// Reads a Keras 3 `.keras` archive in place: a zip holding `config.json` (the model's serialized config,
/// the same layer graph as an HDF5 file's `model_config`), `metadata.json` (`keras_version`) and
/// `model.weights.h5`, whose variables sit at `layers/<object>/vars/<i>` with the layer's name in the `vars`
/// group's `name` attribute. Keras writes the archive stored (uncompressed), so the weights file is opened
/// by libhdf5 where it lies in the mapping and its tensors point into the archive itself.
struct KerasArchiveReader {
    let file: MappedFile

    static let maxJSONBytes = 64 << 20
    static let maxDepth = 32

    func bad(_ field: String, _ message: String) -> ModelError { ModelError(.malformed, file: file.path, field: field, message) }

    func read() throws(ModelError) -> Model {
        let bytes = file.bytes
        let entries = try ZipEntries.read(bytes, path: file.path)
        func entry(_ name: String) throws(ModelError) -> ZipEntry? {
            guard let e = entries.first(where: { $0.name == name }) else { return nil }
            guard e.method == 0, e.compressedSize == e.size else {
                throw ModelError(.unsupportedFormat, file: file.path, field: name,
                                 "is compressed (zip method \(e.method)); Keras writes .keras archives stored: save the model again with model.save(\"model.keras\")")
            }
            return e
        }
        func json(_ e: ZipEntry) throws(ModelError) -> JSONValue {
            guard e.size <= Self.maxJSONBytes else { throw bad(e.name, "is \(e.size) bytes, over the \(Self.maxJSONBytes)-byte limit") }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[e.data]).bindMemory(to: UInt8.self)
            do { return try JSONValue.parse(bytes: slice, maxDepth: 256) } catch { throw bad(e.name, "is not JSON: \(error.description)") }
        }
        guard let configEntry = try entry("config.json") else {
            throw ModelError(.unsupportedFormat, file: file.path, "is a zip without config.json: not a Keras 3 archive")
        }
        let configText = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[configEntry.data]), as: UTF8.self)
        guard configEntry.size <= Self.maxJSONBytes else { throw bad("config.json", "is \(configEntry.size) bytes, over the \(Self.maxJSONBytes)-byte limit") }
        var config = try KerasConfig.parse(configText, file: file.path, field: "config.json")
        var metadata: [String: String] = ["keras.container": "zip"]
        if let m = try entry("metadata.json") {
            let value = try json(m)
            for key in ["keras_version", "date_saved"] { if let s = value[key]?.stringValue { metadata["keras.\(key)"] = s } }
        }
        var tensors: [ConstantTensor] = []
        if let w = try entry("model.weights.h5") {
            let image = UnsafeRawBufferPointer(rebasing: bytes[w.data])
            tensors = try HDF5Lock.run { () throws(ModelError) -> [ConstantTensor] in
                let h5 = try HDF5Image(bytes: image, path: file.path)
                try h5.guardGlobalHeaps(image)
                var found: [ConstantTensor] = []
                var seen: Set<UInt64> = []
                try walk(h5, h5.id, group: "", owner: nil, layers: Set(config.layers.map(\.name)), base: w.data.lowerBound,
                         imageSize: w.size, into: &found, seen: &seen, depth: 0)
                return found
            }
        }
        let index = Dictionary(config.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        for t in tensors.indices {
            let layerName = String(tensors[t].name.split(separator: "/").first ?? "")
            guard let l = index[layerName] else { continue }
            tensors[t].consumers = [TensorConsumer(graph: 0, node: l, inputIndex: config.layers[l].weights.count)]
            config.layers[l].weights.append(t)
            config.layers[l].parameters &+= tensors[t].elementCount
        }
        KerasShapes.infer(&config.layers)
        return KerasModelBuilder.model(
            config: config, tensors: tensors, metadata: metadata, file: file,
            producer: metadata["keras.keras_version"].map { "keras \($0)" })
    }

    /// Every `vars` group under `layers/` (nested models and wrappers repeat the pattern), depth-bounded, through
    /// hard links only and each group once (`seen`: a group linked from two places, or from inside itself, is
    /// walked the first time; without that, two links per level double the walk 32 times).
    /// A tensor is named `<owner>/vars/<i>`, where the owner is the `vars` group's `name` when that is a layer
    /// of the config, and otherwise that name under the enclosing layer's: a recurrent layer keeps its weights
    /// in `layers/lstm/cell/vars` named `lstm_cell`, and they are the `lstm` layer's (`lstm/lstm_cell/vars/0`).
    private func walk(_ h5: HDF5Image, _ root: hid_t, group: String, owner outer: String?, layers: Set<String>,
                      base: Int, imageSize: Int, into tensors: inout [ConstantTensor], seen: inout Set<UInt64>,
                      depth: Int) throws(ModelError) {
        guard depth < Self.maxDepth else { throw bad("model.weights.h5/\(group)", "nests deeper than \(Self.maxDepth) groups") }
        let path = group.isEmpty ? "." : group
        let g = slipway_h5_open_group(root, path)
        guard g >= 0 else { throw bad("model.weights.h5/\(group)", "cannot be opened") }
        defer { slipway_H5Gclose(g) }
        let names = try h5.linkNames(g, field: "model.weights.h5/\(group)")
        var targets: [String: UInt64] = [:]
        for name in names { targets[name] = h5.hardLinkTarget(g, name) }
        let children = names.filter { targets[$0] != nil }
        // This object's own name (its `vars` group's attribute), which decides the owner of everything below it.
        var owner = outer
        if children.contains("vars") {
            let varsPath = group.isEmpty ? "vars" : "\(group)/vars"
            let vars = slipway_h5_open_group(root, varsPath)
            if vars >= 0 {
                defer { slipway_H5Gclose(vars) }
                let own = h5.hasAttribute(vars, "name") ? (try h5.strings(vars, attribute: "name", field: "model.weights.h5/\(varsPath)").first ?? group) : group
                if let outer, !layers.contains(own) { owner = "\(outer)/\(own)" } else { owner = own }
            }
        }
        for child in children {
            let childPath = group.isEmpty ? child : "\(group)/\(child)"
            guard let target = targets[child], seen.insert(target).inserted else { continue }
            if child == "vars" {
                let vars = slipway_h5_open_group(root, childPath)
                guard vars >= 0 else { continue }  // a dataset named vars is not a variable group
                defer { slipway_H5Gclose(vars) }
                let owner = owner ?? group
                let names = try h5.linkNames(vars, field: "model.weights.h5/\(childPath)").filter { h5.hardLinkTarget(vars, $0) != nil }
                for name in names.sorted(by: { (Int($0) ?? Int.max, $0) < (Int($1) ?? Int.max, $1) }) {
                    guard tensors.count < KerasH5Reader.maxWeights else { throw bad("model.weights.h5", "holds over \(KerasH5Reader.maxWeights) weights") }
                    let field = "model.weights.h5/\(childPath)/\(name)"
                    let d = try h5.dataset(vars, name, field: field, imageSize: imageSize)
                    let storage: TensorStorage = d.offset.map { .file(offset: base + $0, length: d.bytes) } ?? .none
                    tensors.append(ConstantTensor(
                        name: "\(owner)/vars/\(name)", dtype: d.dtype, shape: d.shape, elementCount: d.elements,
                        storedBytes: d.bytes, storage: storage, graph: 0, consumers: [], quantization: nil, sparseValueCount: nil))
                }
            } else if isGroup(g, child) {
                try walk(h5, root, group: childPath, owner: owner, layers: layers, base: base, imageSize: imageSize,
                         into: &tensors, seen: &seen, depth: depth + 1)
            }
        }
    }

    private func isGroup(_ g: hid_t, _ name: String) -> Bool {
        let child = slipway_h5_open_group(g, name)
        guard child >= 0 else { return false }
        slipway_H5Gclose(child)
        return true
    }
}
