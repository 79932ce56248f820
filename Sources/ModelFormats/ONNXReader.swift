import ProtobufWire

/// Reads an ONNX `ModelProto` by walking its wire format over the mapping: tensor bytes are recorded
/// where they lie, never copied, so the cost is the size of the graph structure, not of the weights.
/// Field numbers are those of onnx.proto.
struct ONNXReader {
    let file: MappedFile
    let folder: String
    var graphs: [Graph] = []
    var tensors: [ConstantTensor] = []
    /// Per graph: the constant tensors it defines, by name (lexical scope for sub-graphs).
    var scopes: [[String: Int]] = []

    /// Deeper nesting than this is refused: real models nest If/Loop bodies a handful of levels.
    static let maxGraphDepth = 64
    static let maxRank = 1024
    /// Attribute lists longer than this are kept by kind only, so a hostile list cannot multiply memory.
    static let maxKeptListLength = 1 << 16

    init(file: MappedFile) {
        self.file = file
        let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
        self.folder = parts.count > 1 ? parts.dropLast().joined(separator: "/") : "."
    }

    func malformed(_ field: String, _ message: String) -> ModelError {
        ModelError(.malformed, file: file.path, field: field, message)
    }

    // Field paths are autoclosures: they are built only when an error needs them, not for every field.
    func wire<T>(_ field: @autoclosure () -> String, _ body: () throws(WireError) -> T) throws(ModelError) -> T {
        do { return try body() } catch { throw malformed(field(), error.description) }
    }

    func requireBytes(_ f: WireField, _ field: @autoclosure () -> String) throws(ModelError) {
        guard f.wireType == .lengthDelimited else {
            throw malformed(field(), "has wire type \(f.wireType) where a length-delimited value is expected")
        }
    }

    func requireVarint(_ f: WireField, _ field: @autoclosure () -> String) throws(ModelError) {
        guard f.wireType == .varint else {
            throw malformed(field(), "has wire type \(f.wireType) where a varint is expected")
        }
    }

    mutating func read() throws(ModelError) -> Model {
        var r = ProtoReader(file.bytes)
        var irVersion: Int?
        var producerName = ""
        var producerVersion = ""
        var graphField: WireField?
        var opsets: [String: Int] = [:]
        var metadata: [String: String] = [:]
        while let f = try wire("ModelProto", { () throws(WireError) in try r.next() }) {
            switch f.number {
            case 1:
                try requireVarint(f, "ir_version")
                irVersion = Int(f.int64)
            case 2:
                try requireBytes(f, "producer_name")
                producerName = r.string(f)
            case 3:
                try requireBytes(f, "producer_version")
                producerVersion = r.string(f)
            case 4:
                try requireBytes(f, "domain")
                metadata["domain"] = r.string(f)
            case 5:
                try requireVarint(f, "model_version")
                metadata["model_version"] = String(f.int64)
            case 7:
                try requireBytes(f, "graph")
                graphField = f
            case 8:
                try requireBytes(f, "opset_import")
                let (domain, version) = try readOpset(r.message(f), field: "opset_import[\(opsets.count)]")
                opsets[domain == "ai.onnx" ? "" : domain] = version
            case 14:
                try requireBytes(f, "metadata_props")
                let (k, v) = try readStringEntry(r.message(f), field: "metadata_props")
                metadata[k] = v
            default:
                break
            }
        }
        guard let graphField else { throw malformed("graph", "is missing: an ONNX model needs a main graph") }
        _ = try readGraph(graphField.payload, parent: nil, field: "graph", depth: 0)

        for g in graphs.indices {
            for n in graphs[g].nodes.indices {
                let d = graphs[g].nodes[n].domain
                graphs[g].nodes[n].version = opsets[d == "ai.onnx" ? "" : d]
            }
        }
        linkConsumers()
        let main = graphs[0]
        let producer = [producerName, producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        return Model(
            format: .onnx, path: file.path, fileSize: file.count,
            producer: producer.isEmpty ? nil : producer, formatVersion: irVersion,
            graphs: graphs, tensors: tensors,
            inputs: main.inputs.filter { scopes[0][$0.name] == nil }, outputs: main.outputs,
            opsets: opsets, metadata: metadata, signatures: [], file: file)
    }

    // MARK: Graphs and nodes

    mutating func readGraph(_ range: Range<Int>, parent: GraphParent?, field: String, depth: Int) throws(ModelError) -> Int {
        guard depth <= Self.maxGraphDepth else {
            throw malformed(field, "sub-graphs are nested deeper than \(Self.maxGraphDepth) levels")
        }
        let index = graphs.count
        graphs.append(Graph(name: "", parent: parent, nodes: [], inputs: [], outputs: []))
        scopes.append([:])
        var graph = Graph(name: "", parent: parent, nodes: [], inputs: [], outputs: [])
        var initializers = 0
        var sparse = 0
        var r = ProtoReader(file.bytes, range: range)
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            switch f.number {
            case 1:
                let path = "\(field).node[\(graph.nodes.count)]"
                try requireBytes(f, path)
                graph.nodes.append(try readNode(f.payload, graph: index, node: graph.nodes.count, field: path, depth: depth))
            case 2:
                try requireBytes(f, "\(field).name")
                graph.name = r.string(f)
            case 5:
                let path = "\(field).initializer[\(initializers)]"
                try requireBytes(f, path)
                let t = try readTensor(f.payload, graph: index, field: path)
                addConstant(t, graph: index)
                initializers += 1
            case 15:
                let path = "\(field).sparse_initializer[\(sparse)]"
                try requireBytes(f, path)
                addConstant(try readSparseTensor(f.payload, graph: index, field: path), graph: index)
                sparse += 1
            case 11:
                let path = "\(field).input[\(graph.inputs.count)]"
                try requireBytes(f, path)
                graph.inputs.append(try readValueInfo(f.payload, field: path))
            case 12:
                let path = "\(field).output[\(graph.outputs.count)]"
                try requireBytes(f, path)
                graph.outputs.append(try readValueInfo(f.payload, field: path))
            default:
                break
            }
        }
        graphs[index] = graph
        return index
    }

    mutating func addConstant(_ t: ConstantTensor, graph: Int) {
        scopes[graph][t.name] = tensors.count
        tensors.append(t)
    }

    mutating func readNode(_ range: Range<Int>, graph: Int, node: Int, field: String, depth: Int) throws(ModelError) -> Node {
        var n = Node(name: "", opType: "", domain: "", version: nil, builtinCode: nil, inputs: [], outputs: [], attributes: [:],
                     sourceRange: range)
        var attributeFields: [WireField] = []
        var r = ProtoReader(file.bytes, range: range)
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            switch f.number {
            case 1:
                try requireBytes(f, "\(field).input")
                n.inputs.append(r.string(f))
            case 2:
                try requireBytes(f, "\(field).output")
                n.outputs.append(r.string(f))
            case 3:
                try requireBytes(f, "\(field).name")
                n.name = r.string(f)
            case 4:
                try requireBytes(f, "\(field).op_type")
                n.opType = r.string(f)
            case 7:
                try requireBytes(f, "\(field).domain")
                n.domain = r.string(f)
            case 5:
                try requireBytes(f, "\(field).attribute[\(attributeFields.count)]")
                attributeFields.append(f)
            default:
                break
            }
        }
        // Attributes are read after the loop: a Constant's tensor is named by the node's output, which a
        // hostile (or merely unusual) writer may put after the attributes.
        let isConstant = n.opType == "Constant" && (n.domain.isEmpty || n.domain == "ai.onnx")
        for (i, f) in attributeFields.enumerated() {
            let path = "\(field).attribute[\(i)]"
            let (name, value) = try readAttribute(
                f.payload, graph: graph, node: node, field: path, depth: depth,
                constantName: isConstant ? (n.outputs.first ?? n.name) : nil)
            n.attributes[name] = value
        }
        return n
    }

    /// Reads one attribute. For a `Constant` node (`constantName` set), its value becomes a constant tensor.
    mutating func readAttribute(
        _ range: Range<Int>, graph: Int, node: Int, field: String, depth: Int, constantName: String?
    ) throws(ModelError) -> (String, AttributeValue) {
        var name = ""
        var type: Int64?
        var fields: [Int: [WireField]] = [:]
        // Unpacked lists beyond the kept length are only counted, so memory stays bounded by the cap.
        var uncounted: [Int: Int] = [:]
        var r = ProtoReader(file.bytes, range: range)
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            switch f.number {
            case 1:
                try requireBytes(f, "\(field).name")
                name = r.string(f)
            case 20:
                try requireVarint(f, "\(field).type")
                type = f.int64
            default:
                if fields[f.number, default: []].count < Self.maxKeptListLength {
                    fields[f.number, default: []].append(f)
                } else {
                    uncounted[f.number, default: 0] += 1
                }
            }
        }
        let path = "\(field)(\(name))"
        // Without a type (IR < 3 writers), the one value field present tells it.
        let kind = type ?? Self.inferredAttributeType(fields)
        func first(_ n: Int) -> WireField? { fields[n]?.first }

        switch kind {
        case 1:  // FLOAT
            guard let f = first(2), f.wireType == .fixed32 else { return (name, .float(0)) }
            if let constantName, name == "value_float" {
                addConstant(scalarConstant(constantName, .float32, range, 2, elements: 1, graph: graph), graph: graph)
            }
            return (name, .float(f.float))
        case 2:  // INT
            guard let f = first(3), f.wireType == .varint else { return (name, .int(0)) }
            if let constantName, name == "value_int" {
                addConstant(scalarConstant(constantName, .int64, range, 3, elements: 1, graph: graph), graph: graph)
            }
            return (name, .int(f.int64))
        case 3:  // STRING
            guard let f = first(4) else { return (name, .string("")) }
            try requireBytes(f, "\(path).s")
            if let constantName, name == "value_string" {
                addConstant(scalarConstant(constantName, .string, range, 4, elements: 1, graph: graph, shape: []), graph: graph)
            }
            return (name, .string(r.string(f)))
        case 4:  // TENSOR
            guard let f = first(5) else { return (name, .other("tensor")) }
            try requireBytes(f, "\(path).t")
            var t = try readTensor(f.payload, graph: graph, field: "\(path).t")
            guard let constantName else {
                if let v = (try? Model.integerValues(of: t, in: file, path: file.path, limit: 64)) ?? nil { return (name, .integers(v)) }
                return (name, .other("tensor"))
            }
            t.name = constantName
            addConstant(t, graph: graph)
            return (name, .tensor(tensors.count - 1))
        case 5:  // GRAPH
            guard let f = first(6) else { return (name, .other("graph")) }
            try requireBytes(f, "\(path).g")
            let parent = GraphParent(graph: graph, node: node, attribute: name)
            return (name, .graph(try readGraph(f.payload, parent: parent, field: "\(path).g", depth: depth + 1)))
        case 6:  // FLOATS
            var values: [Float] = []
            var count = uncounted[7] ?? 0
            for f in fields[7] ?? [] {
                count += try wire("\(path).floats", { () throws(WireError) in try r.valueCount(of: f, as: .fixed32) })
            }
            if let constantName, name == "value_floats" {
                addConstant(scalarConstant(constantName, .float32, range, 7, elements: count, graph: graph, shape: [count]), graph: graph)
            }
            guard count <= Self.maxKeptListLength else { return (name, .other("floats[\(count)]")) }
            for f in fields[7] ?? [] {
                try wire("\(path).floats", { () throws(WireError) in
                    try r.forEachValue(of: f, as: .fixed32) { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
                })
            }
            return (name, .floats(values))
        case 7:  // INTS
            var count = uncounted[8] ?? 0
            for f in fields[8] ?? [] {
                count += try wire("\(path).ints", { () throws(WireError) in try r.valueCount(of: f, as: .varint) })
            }
            if let constantName, name == "value_ints" {
                addConstant(scalarConstant(constantName, .int64, range, 8, elements: count, graph: graph, shape: [count]), graph: graph)
            }
            guard count <= Self.maxKeptListLength else { return (name, .other("ints[\(count)]")) }
            var values: [Int64] = []
            for f in fields[8] ?? [] {
                try wire("\(path).ints", { () throws(WireError) in
                    try r.forEachValue(of: f, as: .varint) { values.append(Int64(bitPattern: $0)) }
                })
            }
            return (name, .ints(values))
        case 8:  // STRINGS
            let strings = fields[9] ?? []
            let count = strings.count + (uncounted[9] ?? 0)
            if let constantName, name == "value_strings" {
                addConstant(
                    scalarConstant(constantName, .string, range, 9, elements: count, graph: graph, shape: [count]),
                    graph: graph)
            }
            var values: [String] = []
            for f in strings {
                try requireBytes(f, "\(path).strings")
                values.append(r.string(f))
            }
            return (name, .strings(values))
        case 10:  // GRAPHS
            var indices: [Int] = []
            for (i, f) in (fields[11] ?? []).enumerated() {
                try requireBytes(f, "\(path).graphs[\(i)]")
                let parent = GraphParent(graph: graph, node: node, attribute: name)
                indices.append(try readGraph(f.payload, parent: parent, field: "\(path).graphs[\(i)]", depth: depth + 1))
            }
            return (name, .graphs(indices))
        case 11:  // SPARSE_TENSOR
            guard let f = first(22) else { return (name, .other("sparse_tensor")) }
            try requireBytes(f, "\(path).sparse_tensor")
            var t = try readSparseTensor(f.payload, graph: graph, field: "\(path).sparse_tensor")
            guard let constantName else { return (name, .other("sparse_tensor")) }
            t.name = constantName
            addConstant(t, graph: graph)
            return (name, .tensor(tensors.count - 1))
        case 9: return (name, .other("tensors"))
        case 12: return (name, .other("sparse_tensors"))
        case 13: return (name, .other("type_proto"))
        case 14: return (name, .other("type_protos"))
        default: return (name, .other("undefined"))
        }
    }

    static func inferredAttributeType(_ fields: [Int: [WireField]]) -> Int64 {
        let byField: [(Int, Int64)] = [(2, 1), (3, 2), (4, 3), (5, 4), (6, 5), (22, 11), (7, 6), (8, 7), (9, 8), (10, 9), (11, 10)]
        for (field, type) in byField where fields[field] != nil { return type }
        return 0
    }

    func scalarConstant(
        _ name: String, _ dtype: DType, _ message: Range<Int>, _ field: Int, elements: Int, graph: Int, shape: [Int] = []
    ) -> ConstantTensor {
        ConstantTensor(
            name: name, dtype: dtype, shape: shape, elementCount: elements,
            storedBytes: dtype.byteCount(elements: elements) ?? 0,
            storage: dtype == .string ? .none : .protobufField(message: message, field: field),
            graph: graph, consumers: [], quantization: nil, sparseValueCount: nil)
    }

    // MARK: Tensors

    mutating func readTensor(_ range: Range<Int>, graph: Int, field: String) throws(ModelError) -> ConstantTensor {
        var shape: [Int] = []
        var dataType: Int64 = 0
        var name = ""
        var raw: WireField?
        var typedField: Int?
        var typedBytes = 0
        var external: [String: String] = [:]
        var dataLocation: Int64 = 0
        var r = ProtoReader(file.bytes, range: range)
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            switch f.number {
            case 1:
                try readDims(f, r, into: &shape, field: "\(field).dims")
            case 2:
                try requireVarint(f, "\(field).data_type")
                dataType = f.int64
            case 8:
                try requireBytes(f, "\(field).name")
                name = r.string(f)
            case 9:
                try requireBytes(f, "\(field).raw_data")
                raw = f
            case 4, 5, 6, 7, 10, 11:
                if typedField == nil { typedField = f.number }
                typedBytes += f.wireType == .lengthDelimited ? f.payload.count : 8
            case 13:
                try requireBytes(f, "\(field).external_data")
                let (k, v) = try readStringEntry(r.message(f), field: "\(field).external_data")
                external[k] = v
            case 14:
                try requireVarint(f, "\(field).data_location")
                dataLocation = f.int64
            default:
                break
            }
        }
        let path = name.isEmpty ? field : "\(field)(\(name))"
        guard let dtype = ONNXDataType.dtype(dataType) else {
            throw malformed("\(path).data_type", "unknown ONNX data type \(dataType)")
        }
        guard let elements = ElementCount.of(shape) else {
            throw malformed("\(path).dims", "the element count of \(shape) overflows")
        }
        let expectedBytes = dtype.byteCount(elements: elements)
        var storage = TensorStorage.none
        var stored = 0
        if dataLocation == 1 {
            let (p, offset, length) = try resolveExternal(external, expectedBytes: expectedBytes, field: "\(path).external_data")
            storage = .external(path: p, offset: offset, length: length)
            stored = length
        } else if let raw {
            if let expectedBytes, raw.payload.count != expectedBytes {
                throw malformed(
                    "\(path).raw_data",
                    "holds \(raw.payload.count) bytes but dims \(shape) of \(dtype.name) need \(expectedBytes)")
            }
            storage = .file(offset: raw.payload.lowerBound, length: raw.payload.count)
            stored = raw.payload.count
        } else if let typedField {
            storage = dtype == .string ? .none : .protobufField(message: range, field: typedField)
            stored = typedBytes
        }
        return ConstantTensor(
            name: name, dtype: dtype, shape: shape, elementCount: elements, storedBytes: stored, storage: storage,
            graph: graph, consumers: [], quantization: nil, sparseValueCount: nil, message: range)
    }

    /// Appends one occurrence of a `dims` field (packed or not); dims are never negative in a stored tensor.
    func readDims(_ f: WireField, _ r: ProtoReader, into shape: inout [Int], field: @autoclosure () -> String) throws(ModelError) {
        try wire(field(), { () throws(WireError) in
            try r.forEachValue(of: f, as: .varint) { v throws(WireError) in
                guard shape.count < Self.maxRank else { throw WireError(offset: f.start, message: "more than \(Self.maxRank) dimensions") }
                let d = Int64(bitPattern: v)
                guard d >= 0 else { throw WireError(offset: f.start, message: "negative dimension \(d)") }
                shape.append(Int(d))
            }
        })
    }

    mutating func readSparseTensor(_ range: Range<Int>, graph: Int, field: String) throws(ModelError) -> ConstantTensor {
        var values: ConstantTensor?
        var indicesBytes = 0
        var shape: [Int] = []
        var r = ProtoReader(file.bytes, range: range)
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            switch f.number {
            case 1:
                try requireBytes(f, "\(field).values")
                values = try readTensor(f.payload, graph: graph, field: "\(field).values")
            case 2:
                try requireBytes(f, "\(field).indices")
                indicesBytes = try readTensor(f.payload, graph: graph, field: "\(field).indices").storedBytes
            case 3:
                try readDims(f, r, into: &shape, field: "\(field).dims")
            default:
                break
            }
        }
        guard var t = values else { throw malformed("\(field).values", "is missing") }
        guard let elements = ElementCount.of(shape) else {
            throw malformed("\(field).dims", "the element count of \(shape) overflows")
        }
        t.sparseValueCount = t.elementCount
        t.shape = shape
        t.elementCount = elements
        t.storedBytes += indicesBytes
        return t
    }

    /// External data lives in a file named relative to the model's folder; a location that leaves the
    /// folder (absolute, `..` past the top, or a symbolic link out) is refused before anything is opened.
    func resolveExternal(_ entries: [String: String], expectedBytes: Int?, field: String) throws(ModelError)
        -> (String, Int, Int)
    {
        guard let location = entries["location"], !location.isEmpty else {
            throw malformed("\(field).location", "is missing")
        }
        guard !location.hasPrefix("/"), !location.contains("\0") else {
            throw malformed("\(field).location", "'\(location)' is absolute; external data must lie in the model's folder")
        }
        var depth = 0
        for c in location.split(separator: "/") {
            if c == ".." { depth -= 1 } else if c != "." { depth += 1 }
            guard depth >= 0 else {
                throw malformed("\(field).location", "'\(location)' leaves the model's folder")
            }
        }
        let full = folder + "/" + location
        guard let realFolder = FileSystem.realPath(folder), let realFile = FileSystem.realPath(full) else {
            throw malformed("\(field).location", "'\(location)' does not exist next to the model")
        }
        guard realFile.hasPrefix(realFolder.hasSuffix("/") ? realFolder : realFolder + "/") else {
            throw malformed("\(field).location", "'\(location)' resolves outside the model's folder")
        }
        guard let size = FileSystem.regularFileSize(realFile) else {
            throw malformed("\(field).location", "'\(location)' is not a regular file")
        }
        func number(_ key: String) throws(ModelError) -> Int? {
            guard let text = entries[key] else { return nil }
            guard let v = Int(text), v >= 0 else { throw malformed("\(field).\(key)", "'\(text)' is not a byte count") }
            return v
        }
        let offset = try number("offset") ?? 0
        let length = try number("length") ?? expectedBytes ?? max(0, size - offset)
        guard offset <= size, length <= size - offset else {
            throw malformed("\(field).length", "bytes \(offset)..<\(offset &+ length) lie past the end of '\(location)' (\(size) bytes)")
        }
        if let expectedBytes, length != expectedBytes {
            throw malformed("\(field).length", "is \(length) bytes but the tensor's dims need \(expectedBytes)")
        }
        return (realFile, offset, length)
    }

    // MARK: Small messages

    func readValueInfo(_ range: Range<Int>, field: String) throws(ModelError) -> ValueInfo {
        var info = ValueInfo(name: "", dtype: nil, shape: nil)
        var r = ProtoReader(file.bytes, range: range)
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            switch f.number {
            case 1:
                try requireBytes(f, "\(field).name")
                info.name = r.string(f)
            case 2:
                try requireBytes(f, "\(field).type")
                try readType(r.message(f), into: &info, field: "\(field).type")
            default: break
            }
        }
        return info
    }

    /// Only tensor and sparse-tensor types carry a dtype and shape; sequences, maps and optionals keep neither.
    func readType(_ reader: ProtoReader, into info: inout ValueInfo, field: String) throws(ModelError) {
        var r = reader
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            guard f.number == 1 || f.number == 8 else { continue }
            try requireBytes(f, "\(field).tensor_type")
            var t = r.message(f)
            while let g = try wire("\(field).tensor_type", { () throws(WireError) in try t.next() }) {
                if g.number == 1, g.wireType == .varint {
                    info.dtype = ONNXDataType.dtype(g.int64)
                } else if g.number == 2 {
                    try requireBytes(g, "\(field).tensor_type.shape")
                    info.shape = try readShape(t.message(g), field: "\(field).tensor_type.shape")
                }
            }
        }
    }

    func readShape(_ reader: ProtoReader, field: String) throws(ModelError) -> [Dimension] {
        var r = reader
        var dims: [Dimension] = []
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            guard f.number == 1 else { continue }
            let path = "\(field).dim[\(dims.count)]"
            try requireBytes(f, path)
            guard dims.count < Self.maxRank else { throw malformed(path, "more than \(Self.maxRank) dimensions") }
            var d = r.message(f)
            var dim = Dimension.unknown
            while let g = try wire(path, { () throws(WireError) in try d.next() }) {
                if g.number == 1, g.wireType == .varint {
                    dim = g.int64 >= 0 ? .fixed(Int(g.int64)) : .unknown
                } else if g.number == 2, g.wireType == .lengthDelimited {
                    let name = d.string(g)
                    dim = name.isEmpty ? .unknown : .named(name)
                }
            }
            dims.append(dim)
        }
        return dims
    }

    func readOpset(_ reader: ProtoReader, field: String) throws(ModelError) -> (String, Int) {
        var r = reader
        var domain = ""
        var version = 0
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            if f.number == 1 {
                try requireBytes(f, "\(field).domain")
                domain = r.string(f)
            } else if f.number == 2 {
                try requireVarint(f, "\(field).version")
                version = Int(f.int64)
            }
        }
        return (domain, version)
    }

    func readStringEntry(_ reader: ProtoReader, field: String) throws(ModelError) -> (String, String) {
        var r = reader
        var key = ""
        var value = ""
        while let f = try wire(field, { () throws(WireError) in try r.next() }) {
            if f.number == 1 {
                try requireBytes(f, "\(field).key")
                key = r.string(f)
            } else if f.number == 2 {
                try requireBytes(f, "\(field).value")
                value = r.string(f)
            }
        }
        return (key, value)
    }

    // MARK: Consumers

    /// Links each node input to the constant it names, looking outward through enclosing graphs
    /// (a sub-graph may read its parents' initializers).
    mutating func linkConsumers() {
        for g in graphs.indices {
            for (n, node) in graphs[g].nodes.enumerated() {
                for (i, input) in node.inputs.enumerated() where !input.isEmpty {
                    var scope: Int? = g
                    while let s = scope {
                        if let t = scopes[s][input] {
                            tensors[t].consumers.append(TensorConsumer(graph: g, node: n, inputIndex: i))
                            break
                        }
                        scope = graphs[s].parent?.graph
                    }
                }
            }
        }
    }
}
