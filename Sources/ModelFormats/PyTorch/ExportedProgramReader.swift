import JSON

/// Reads a `torch.export.save` archive (`.pt2`): `serialized_exported_program.json` holds the graph (ATen
/// operator calls over named values, and the signature that binds parameters, buffers and constants to the
/// graph's inputs); `serialized_state_dict.pt` and `serialized_constants.pt` are `torch.save` archives stored
/// inside it, read in place like any other. Nodes keep their ATen names (`aten.conv2d.default`, domain
/// `aten`); each weight's consumers are the nodes that read it.
struct ExportedProgramReader {
    let reader: PyTorchReader
    let entries: [ZipEntry]
    let program: ZipEntry

    static let maxJSONBytes = 256 << 20
    static let maxNodes = 1 << 20

    func bad(_ field: String, _ message: String) -> ModelError { reader.bad(field, message) }

    /// torch.export's ScalarType codes (torch/_export/serde/schema.py).
    static func dtype(_ code: Int) -> DType? {
        switch code {
        case 1: return .uint8
        case 2: return .int8
        case 3: return .int16
        case 4: return .int32
        case 5: return .int64
        case 6: return .float16
        case 7: return .float32
        case 8: return .float64
        case 10: return .complex64
        case 11: return .complex128
        case 12: return .bool
        case 13: return .bfloat16
        default: return nil
        }
    }

    func read() throws(ModelError) -> Model {
        let range = try reader.stored(program)
        guard range.count <= Self.maxJSONBytes else { throw bad(program.name, "is \(range.count) bytes, over the \(Self.maxJSONBytes)-byte limit") }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: UnsafeRawBufferPointer(rebasing: reader.file.bytes[range]).bindMemory(to: UInt8.self), maxDepth: 256)
        } catch { throw bad(program.name, "is not JSON: \(error.description)") }
        guard let graph = json["graph_module"]?["graph"] else { throw bad(program.name, "has no graph_module.graph") }

        // The weights: the state dict, then the lifted constants, each by its own name.
        var tensors: [ConstantTensor] = []
        for name in ["serialized_state_dict.pt", "serialized_constants.pt"] {
            guard let e = entries.first(where: { $0.name.hasSuffix(name) }), e.size > 0 else { continue }
            tensors += try reader.archive(try reader.nested(e)).0
        }
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() where index[t.name] == nil { index[t.name] = i }

        // The signature: which graph input is which parameter, buffer or constant.
        var bound: [String: String] = [:]
        var userInputs: [String] = []
        for spec in json["graph_module"]?["signature"]?["input_specs"]?.arrayValue ?? [] {
            for (kind, key) in [("parameter", "parameter_name"), ("buffer", "buffer_name"), ("tensor_constant", "tensor_constant_name"),
                                ("constant_tensor", "tensor_constant_name")] {
                if let s = spec[kind], let arg = s["arg"]?["name"]?.stringValue, let target = s[key]?.stringValue { bound[arg] = target }
            }
            if let arg = spec["user_input"]?["arg"]?["as_tensor"]?["name"]?.stringValue { userInputs.append(arg) }
        }
        func valueName(_ arg: String) -> String { bound[arg] ?? arg }

        let nodesJSON = graph["nodes"]?.arrayValue ?? []
        guard nodesJSON.count <= Self.maxNodes else { throw bad("graph.nodes", "holds \(nodesJSON.count) nodes, over \(Self.maxNodes)") }
        var nodes: [Node] = []
        for (i, n) in nodesJSON.enumerated() {
            guard let target = n["target"]?.stringValue else { throw bad("graph.nodes[\(i)]", "has no target") }
            var op = target
            if op.hasPrefix("torch.ops.") { op.removeFirst("torch.ops.".count) }
            var inputs: [String] = []
            var attributes: [String: AttributeValue] = [:]
            for a in n["inputs"]?.arrayValue ?? [] {
                let argName = a["name"]?.stringValue ?? ""
                guard let arg = a["arg"] else { continue }
                if let t = arg["as_tensor"]?["name"]?.stringValue {
                    inputs.append(valueName(t))
                } else if let ts = arg["as_tensors"]?.arrayValue {
                    for t in ts { if let name = t["name"]?.stringValue { inputs.append(valueName(name)) } }
                } else if let v = arg["as_int"]?.intValue {
                    attributes[argName] = .int(Int64(v))
                } else if let vs = arg["as_ints"]?.arrayValue {
                    attributes[argName] = .ints(vs.compactMap { $0.intValue.map(Int64.init) })
                } else if let f = arg["as_float"]?.doubleValue {
                    attributes[argName] = .float(Float(f))
                } else if let b = arg["as_bool"]?.boolValue {
                    attributes[argName] = .int(b ? 1 : 0)
                }
            }
            var outputs: [String] = []
            for o in n["outputs"]?.arrayValue ?? [] {
                if let t = o["as_tensor"]?["name"]?.stringValue { outputs.append(t) }
                for t in o["as_tensors"]?.arrayValue ?? [] { if let name = t["name"]?.stringValue { outputs.append(name) } }
            }
            nodes.append(Node(name: outputs.first ?? "node\(i)", opType: op, domain: "aten", version: nil, builtinCode: nil,
                              inputs: inputs, outputs: outputs, attributes: attributes))
            for (k, v) in inputs.enumerated() {
                if let t = index[v] { tensors[t].consumers.append(TensorConsumer(graph: 0, node: i, inputIndex: k)) }
            }
        }

        let values = graph["tensor_values"]
        func info(_ name: String) -> ValueInfo {
            let meta = values?[name]
            let dims = meta?["sizes"]?.arrayValue?.map { d -> Dimension in
                if let v = d["as_int"]?.intValue, v >= 0 { return .fixed(v) }
                if let e = d["as_expr"]?["expr_str"]?.stringValue { return .named(e) }
                return .unknown
            }
            return ValueInfo(name: name, dtype: meta?["dtype"]?.intValue.flatMap(Self.dtype), shape: dims)
        }
        let outputs = (graph["outputs"]?.arrayValue ?? []).compactMap { $0["as_tensor"]?["name"]?.stringValue }.map(info)
        let inputs = userInputs.map(info)
        var metadata: [String: String] = ["pytorch.kind": "exported_program"]
        if let v = json["torch_version"]?.stringValue { metadata["pytorch.torch_version"] = v }
        if let major = json["schema_version"]?["major"]?.intValue, let minor = json["schema_version"]?["minor"]?.intValue {
            metadata["pytorch.export_schema"] = "\(major).\(minor)"
        }
        var g = Graph(name: "exported_program", parent: nil, nodes: nodes, inputs: inputs, outputs: outputs)
        // torch.export records every value's shape (symbolic dimensions as -1, like TFLite's signatures).
        for (name, meta) in values?.objectValue?.entries ?? [] {
            let dims = (meta["sizes"]?.arrayValue ?? []).map { d -> Int in
                if let v = d["as_int"]?.intValue, v >= 0 { return v }
                return -1
            }
            g.tensorShapes.append(TensorShape(name: valueName(name), shape: dims.map { max($0, 1) }, signature: dims,
                                              dtype: meta["dtype"]?.intValue.flatMap(Self.dtype)))
        }
        return Model(
            format: .pytorch, path: reader.file.path, fileSize: reader.file.count, producer: metadata["pytorch.torch_version"].map { "torch \($0)" },
            formatVersion: nil, graphs: [g], tensors: tensors, inputs: inputs, outputs: outputs, opsets: [:],
            metadata: metadata, signatures: [], file: reader.file)
    }
}
