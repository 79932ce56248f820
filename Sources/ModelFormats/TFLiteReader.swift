import FlatBuffers

/// Reads a TFLite / LiteRT flatbuffer (schema v3). Field ids are those of schema.fbs; every table and
/// vector is verified by the FlatBuffers reader before it is followed.
struct TFLiteReader {
    let file: MappedFile
    /// Vector elements visited so far. Tables may be shared by many offsets, so a hostile file could make
    /// a small buffer expand into a huge walk; the walk is capped at a multiple of the file's size.
    var visited = 0
    let budget: Int

    init(file: MappedFile) {
        self.file = file
        self.budget = 4 * file.count + 1_000_000
    }

    func malformed(_ field: String, _ message: String) -> ModelError {
        ModelError(.malformed, file: file.path, field: field, message)
    }

    func fb<T>(_ field: String, _ body: () throws(FlatBufferError) -> T) throws(ModelError) -> T {
        do { return try body() } catch { throw malformed(field, error.description) }
    }

    mutating func spend(_ n: Int, _ field: String) throws(ModelError) {
        visited += n
        guard visited <= budget else {
            throw malformed(field, "the file references its tables more than \(budget) times (shared or cyclic offsets)")
        }
    }

    struct Buffer {
        var storage: TensorStorage
        var length: Int
    }

    mutating func read() throws(ModelError) -> Model {
        let fbuf = FlatBuffer(file.bytes)
        let root = try fb("Model", { () throws(FlatBufferError) in try fbuf.rootTable() })
        let version = try fb("Model.version", { () throws(FlatBufferError) in try root.scalar(0, default: UInt32(0)) })
        let description = try fb("Model.description", { () throws(FlatBufferError) in try root.string(3) })

        // Buffers: inline `data`, or (files over 2 GB) an `offset`/`size` pair from the start of the file.
        var buffers: [Buffer] = []
        if let v = try fb("Model.buffers", { () throws(FlatBufferError) in try root.vector(4, elementSize: 4) }) {
            try spend(v.count, "Model.buffers")
            for i in 0..<v.count {
                let field = "Model.buffers[\(i)]"
                let t = try fb(field, { () throws(FlatBufferError) in try v.table(i) })
                if let data = try fb("\(field).data", { () throws(FlatBufferError) in try t.vector(0, elementSize: 1) }), data.count > 0 {
                    buffers.append(Buffer(storage: .file(offset: data.start, length: data.count), length: data.count))
                    continue
                }
                let offset = try fb("\(field).offset", { () throws(FlatBufferError) in try t.scalar(1, default: UInt64(0)) })
                let size = try fb("\(field).size", { () throws(FlatBufferError) in try t.scalar(2, default: UInt64(0)) })
                if offset > 1, size > 0 {
                    guard offset <= UInt64(file.count), size <= UInt64(file.count) - offset else {
                        throw malformed("\(field).offset", "bytes \(offset)..<\(offset &+ size) lie past the end of the file (\(file.count) bytes)")
                    }
                    buffers.append(Buffer(storage: .file(offset: Int(offset), length: Int(size)), length: Int(size)))
                } else {
                    buffers.append(Buffer(storage: .none, length: 0))
                }
            }
        }

        // Operator codes: the effective code is the larger of the two fields (the deprecated byte holds
        // codes below 127 for old readers; builtin_code holds all codes in files written since 2.4).
        var opcodes: [(name: String, code: Int?, version: Int)] = []
        if let v = try fb("Model.operator_codes", { () throws(FlatBufferError) in try root.vector(1, elementSize: 4) }) {
            try spend(v.count, "Model.operator_codes")
            for i in 0..<v.count {
                let field = "Model.operator_codes[\(i)]"
                let t = try fb(field, { () throws(FlatBufferError) in try v.table(i) })
                let deprecated = try fb("\(field).deprecated_builtin_code", { () throws(FlatBufferError) in try t.scalar(0, default: Int8(0)) })
                let builtin = try fb("\(field).builtin_code", { () throws(FlatBufferError) in try t.scalar(3, default: Int32(0)) })
                let custom = try fb("\(field).custom_code", { () throws(FlatBufferError) in try t.string(1) })
                let opVersion = try fb("\(field).version", { () throws(FlatBufferError) in try t.scalar(2, default: Int32(1)) })
                let code = max(Int32(deprecated), builtin)
                let name: String
                if code == 32 {  // CUSTOM
                    name = custom ?? "CUSTOM"
                } else {
                    name = TFLiteBuiltinOperators.names[code] ?? "BUILTIN_\(code)"
                }
                opcodes.append((name, Int(code), Int(opVersion)))
            }
        }

        var graphs: [Graph] = []
        var tensors: [ConstantTensor] = []
        var tensorIndex: [[Int?]] = []  // per subgraph: tensor position → index in `tensors`
        var subgraphTensorNames: [[String]] = []
        var subgraphValueInfos: [[ValueInfo]] = []
        if let v = try fb("Model.subgraphs", { () throws(FlatBufferError) in try root.vector(2, elementSize: 4) }) {
            try spend(v.count, "Model.subgraphs")
            for s in 0..<v.count {
                let field = "Model.subgraphs[\(s)]"
                let sg = try fb(field, { () throws(FlatBufferError) in try v.table(s) })
                let name = try fb("\(field).name", { () throws(FlatBufferError) in try sg.string(4) }) ?? ""
                var names: [String] = []
                var infos: [ValueInfo] = []
                var constants: [Int?] = []
                var tensorShapes: [TensorShape] = []
                if let tv = try fb("\(field).tensors", { () throws(FlatBufferError) in try sg.vector(0, elementSize: 4) }) {
                    try spend(tv.count, "\(field).tensors")
                    for ti in 0..<tv.count {
                        let tfield = "\(field).tensors[\(ti)]"
                        let (info, tensor, stored) = try readTensor(try fb(tfield, { () throws(FlatBufferError) in try tv.table(ti) }),
                                                                    buffers: buffers, graph: s, field: tfield)
                        names.append(info.name)
                        tensorShapes.append(stored)
                        infos.append(info)
                        if let tensor {
                            constants.append(tensors.count)
                            tensors.append(tensor)
                        } else {
                            constants.append(nil)
                        }
                    }
                }
                var nodes: [Node] = []
                if let ov = try fb("\(field).operators", { () throws(FlatBufferError) in try sg.vector(3, elementSize: 4) }) {
                    try spend(ov.count, "\(field).operators")
                    for oi in 0..<ov.count {
                        let ofield = "\(field).operators[\(oi)]"
                        let op = try fb(ofield, { () throws(FlatBufferError) in try ov.table(oi) })
                        let opcodeIndex = Int(try fb("\(ofield).opcode_index", { () throws(FlatBufferError) in try op.scalar(0, default: UInt32(0)) }))
                        guard opcodeIndex < opcodes.count else {
                            throw malformed("\(ofield).opcode_index", "\(opcodeIndex) is not one of the \(opcodes.count) operator codes")
                        }
                        let inputs = try indices(op, 1, "\(ofield).inputs", count: names.count)
                        let outputs = try indices(op, 2, "\(ofield).outputs", count: names.count)
                        for (position, t) in inputs.enumerated() where t >= 0 {
                            if let c = constants[t] {
                                tensors[c].consumers.append(TensorConsumer(graph: s, node: nodes.count, inputIndex: position))
                            }
                        }
                        let code = opcodes[opcodeIndex]
                        nodes.append(Node(
                            name: "", opType: code.name, domain: "", version: code.version, builtinCode: code.code,
                            inputs: inputs.map { $0 >= 0 ? names[$0] : "" }, outputs: outputs.map { $0 >= 0 ? names[$0] : "" },
                            attributes: try options(op, field: ofield)))
                    }
                }
                let inputs = try indices(sg, 1, "\(field).inputs", count: names.count).filter { $0 >= 0 }.map { infos[$0] }
                let outputs = try indices(sg, 2, "\(field).outputs", count: names.count).filter { $0 >= 0 }.map { infos[$0] }
                graphs.append(Graph(name: name, parent: nil, nodes: nodes, inputs: inputs, outputs: outputs,
                                    tensorShapes: tensorShapes))
                tensorIndex.append(constants)
                subgraphTensorNames.append(names)
                subgraphValueInfos.append(infos)
            }
        }
        guard !graphs.isEmpty else { throw malformed("Model.subgraphs", "is missing or empty") }

        var metadata: [String: String] = [:]
        if let v = try fb("Model.metadata", { () throws(FlatBufferError) in try root.vector(6, elementSize: 4) }) {
            try spend(v.count, "Model.metadata")
            for i in 0..<v.count {
                let field = "Model.metadata[\(i)]"
                let t = try fb(field, { () throws(FlatBufferError) in try v.table(i) })
                let name = try fb("\(field).name", { () throws(FlatBufferError) in try t.string(0) }) ?? ""
                let b = Int(try fb("\(field).buffer", { () throws(FlatBufferError) in try t.scalar(1, default: UInt32(0)) }))
                guard b < buffers.count else { throw malformed("\(field).buffer", "\(b) is not one of the \(buffers.count) buffers") }
                metadata[name] = renderMetadata(buffers[b])
            }
        }

        var signatures: [Signature] = []
        if let v = try fb("Model.signature_defs", { () throws(FlatBufferError) in try root.vector(7, elementSize: 4) }) {
            try spend(v.count, "Model.signature_defs")
            for i in 0..<v.count {
                let field = "Model.signature_defs[\(i)]"
                let t = try fb(field, { () throws(FlatBufferError) in try v.table(i) })
                let key = try fb("\(field).signature_key", { () throws(FlatBufferError) in try t.string(2) }) ?? ""
                let sub = Int(try fb("\(field).subgraph_index", { () throws(FlatBufferError) in try t.scalar(4, default: UInt32(0)) }))
                guard sub < graphs.count else { throw malformed("\(field).subgraph_index", "\(sub) is not one of the \(graphs.count) subgraphs") }
                let names = subgraphTensorNames[sub]
                signatures.append(Signature(
                    key: key, subgraph: sub,
                    inputs: try tensorMap(t, 0, "\(field).inputs", names: names),
                    outputs: try tensorMap(t, 1, "\(field).outputs", names: names)))
            }
        }

        return Model(
            format: .tflite, path: file.path, fileSize: file.count,
            producer: description, formatVersion: Int(version),
            graphs: graphs, tensors: tensors, inputs: graphs[0].inputs, outputs: graphs[0].outputs,
            opsets: [:], metadata: metadata, signatures: signatures, file: file)
    }

    /// Reads a tensor's description, and the constant it holds when its buffer is not empty.
    mutating func readTensor(_ t: Table, buffers: [Buffer], graph: Int, field: String) throws(ModelError)
        -> (ValueInfo, ConstantTensor?, TensorShape)
    {
        let name = try fb("\(field).name", { () throws(FlatBufferError) in try t.string(3) }) ?? ""
        let typeCode = try fb("\(field).type", { () throws(FlatBufferError) in try t.scalar(1, default: Int8(0)) })
        guard let dtype = Self.dtype(typeCode) else { throw malformed("\(field).type", "unknown tensor type \(typeCode)") }
        let shape = try ints(t, 0, "\(field).shape")
        let signature = try t.has(7) ? ints(t, 7, "\(field).shape_signature") : nil
        var dims: [Dimension] = []
        for (i, d) in shape.enumerated() {
            let s = signature.flatMap { $0.indices.contains(i) ? $0[i] : nil } ?? d
            dims.append(s < 0 ? .unknown : .fixed(Int(s)))
        }
        let info = ValueInfo(name: name, dtype: dtype, shape: dims)
        let isVariable = try fb("\(field).is_variable", { () throws(FlatBufferError) in try t.scalar(5, default: UInt8(0)) }) != 0
        let quantization = try readQuantization(t, field: "\(field).quantization")
        let stored = TensorShape(name: name, shape: shape.map { Int($0) },
                                 signature: dims.enumerated().map { i, d in d == .unknown ? -1 : Int(shape[i]) },
                                 dtype: dtype, isVariable: isVariable, quantization: quantization)
        let bufferIndex = Int(try fb("\(field).buffer", { () throws(FlatBufferError) in try t.scalar(2, default: UInt32(0)) }))
        guard bufferIndex == 0 || bufferIndex < buffers.count else {
            throw malformed("\(field).buffer", "\(bufferIndex) is not one of the \(buffers.count) buffers")
        }
        guard bufferIndex > 0, buffers[bufferIndex].length > 0 else { return (info, nil, stored) }
        if let d = shape.first(where: { $0 < 0 }) {
            throw malformed("\(field).shape", "negative dimension \(d) in a constant tensor")
        }
        guard let elements = ElementCount.of(shape.map { Int($0) }) else {
            throw malformed("\(field).shape", "the element count overflows")
        }
        let buffer = buffers[bufferIndex]
        // A tensor with `sparsity` (field 6) stores only its kept values (TFLite's compressed traversal
        // format, as MediaPipe's sparse models do): fewer bytes than the dense shape, by design.
        let sparse = try fb("\(field).sparsity", { () throws(FlatBufferError) in try t.table(6) }) != nil
        var sparseValues: Int?
        if sparse, let width = dtype.bitsPerElement, width >= 8 {
            sparseValues = buffer.length / (width / 8)
        } else if let need = dtype.byteCount(elements: elements), need > buffer.length {
            throw malformed("\(field).buffer", "holds \(buffer.length) bytes but shape \(shape) of \(dtype.name) needs \(need)")
        }
        return (info, ConstantTensor(
            name: name, dtype: dtype, shape: shape.map { Int($0) }, elementCount: elements, storedBytes: buffer.length,
            storage: buffer.storage, graph: graph, consumers: [], quantization: quantization, sparseValueCount: sparseValues), stored)
    }

    mutating func readQuantization(_ t: Table, field: String) throws(ModelError) -> Quantization? {
        guard let q = try fb(field, { () throws(FlatBufferError) in try t.table(4) }) else { return nil }
        var scales: [Float] = []
        if let v = try fb("\(field).scale", { () throws(FlatBufferError) in try q.vector(2, elementSize: 4) }) {
            try spend(v.count, "\(field).scale")
            for i in 0..<v.count { scales.append(try fb("\(field).scale", { () throws(FlatBufferError) in try v.float32(i) })) }
        }
        var zeroPoints: [Int64] = []
        if let v = try fb("\(field).zero_point", { () throws(FlatBufferError) in try q.vector(3, elementSize: 8) }) {
            try spend(v.count, "\(field).zero_point")
            zeroPoints = try fb("\(field).zero_point", { () throws(FlatBufferError) in try v.scalars(as: Int64.self) })
        }
        guard !scales.isEmpty || !zeroPoints.isEmpty else { return nil }
        let axis = Int(try fb("\(field).quantized_dimension", { () throws(FlatBufferError) in try q.scalar(6, default: Int32(0)) }))
        return Quantization(scales: scales, zeroPoints: zeroPoints, axis: scales.count > 1 ? axis : nil)
    }

    mutating func ints(_ t: Table, _ id: Int, _ field: String) throws(ModelError) -> [Int32] {
        guard let v = try fb(field, { () throws(FlatBufferError) in try t.vector(id, elementSize: 4) }) else { return [] }
        try spend(v.count, field)
        return try fb(field, { () throws(FlatBufferError) in try v.scalars(as: Int32.self) })
    }

    /// Tensor indices, each checked to name a tensor of the subgraph (-1 marks an omitted optional input).
    mutating func indices(_ t: Table, _ id: Int, _ field: String, count: Int) throws(ModelError) -> [Int] {
        var out: [Int] = []
        for (i, v) in try ints(t, id, field).enumerated() {
            guard v >= -1, Int(v) < count else {
                throw malformed("\(field)[\(i)]", "\(v) is not one of the subgraph's \(count) tensors")
            }
            out.append(Int(v))
        }
        return out
    }

    mutating func tensorMap(_ t: Table, _ id: Int, _ field: String, names: [String]) throws(ModelError) -> [String: String] {
        var out: [String: String] = [:]
        guard let v = try fb(field, { () throws(FlatBufferError) in try t.vector(id, elementSize: 4) }) else { return out }
        try spend(v.count, field)
        for i in 0..<v.count {
            let m = try fb("\(field)[\(i)]", { () throws(FlatBufferError) in try v.table(i) })
            let name = try fb("\(field)[\(i)].name", { () throws(FlatBufferError) in try m.string(0) }) ?? ""
            let index = Int(try fb("\(field)[\(i)].tensor_index", { () throws(FlatBufferError) in try m.scalar(1, default: UInt32(0)) }))
            guard index < names.count else {
                throw malformed("\(field)[\(i)].tensor_index", "\(index) is not one of the subgraph's \(names.count) tensors")
            }
            out[name] = names[index]
        }
        return out
    }

    /// The builtin options later work needs: convolution and pooling geometry, and what shape inference reads.
    func options(_ op: Table, field: String) throws(ModelError) -> [String: AttributeValue] {
        let type = try fb("\(field).builtin_options_type", { () throws(FlatBufferError) in try op.scalar(3, default: UInt8(0)) })
        // Options the shape and cost estimates read, by BuiltinOptions union type: (attribute, field id, kind).
        let scalars: [(String, Int, ScalarKind)]
        switch type {
        case 1, 2: scalars = []  // Conv2DOptions, DepthwiseConv2DOptions: below
        case 5: scalars = [("padding", 0, .padding), ("stride_w", 1, .int32), ("stride_h", 2, .int32), ("filter_width", 3, .int32),
                           ("filter_height", 4, .int32), ("fused_activation_function", 5, .int8)]  // Pool2DOptions
        case 8: scalars = [("fused_activation_function", 0, .int8), ("keep_num_dims", 2, .bool)]  // FullyConnectedOptions
        case 10: scalars = [("axis", 0, .int32), ("fused_activation_function", 1, .int8)]  // ConcatenationOptions
        case 23: scalars = [("axis", 0, .int32), ("batch_dims", 1, .int32)]  // GatherOptions
        case 27: scalars = [("keep_dims", 0, .bool)]  // ReducerOptions
        case 32: scalars = [("begin_mask", 0, .int32), ("end_mask", 1, .int32), ("shrink_axis_mask", 4, .int32)]  // StridedSliceOptions
        case 49: scalars = [("padding", 0, .padding), ("stride_w", 1, .int32), ("stride_h", 2, .int32),
                            ("fused_activation_function", 3, .int8)]  // TransposeConvOptions
        case 59: scalars = [("values_count", 0, .int32), ("axis", 1, .int32)]  // PackOptions
        case 101: scalars = [("adj_x", 0, .bool), ("adj_y", 1, .bool)]  // BatchMatMulOptions
        case 75: scalars = [("alpha", 0, .float32)]  // LeakyReluOptions (XNNPACK refuses an alpha that is not normal)
        // A fused activation is work per output element (the cost estimate counts it).
        case 11, 21, 28, 29, 7, 14: scalars = [("fused_activation_function", 0, .int8)]  // Add, Mul, Sub, Div, RNN, LSTM
        case 6: scalars = [("rank", 0, .int32), ("fused_activation_function", 1, .int8)]  // SVDFOptions
        case 31: scalars = [("time_major", 0, .bool), ("fused_activation_function", 1, .int8)]  // SequenceRNNOptions
        case 70: scalars = [("time_major", 0, .bool), ("fused_activation_function", 1, .int8), ("merge_outputs", 2, .bool)]  // BidirectionalSequenceRNNOptions
        case 71: scalars = [("fused_activation_function", 0, .int8), ("time_major", 3, .bool)]  // UnidirectionalSequenceLSTMOptions
        case 69: scalars = [("fused_activation_function", 0, .int8), ("merge_outputs", 3, .bool), ("time_major", 4, .bool)]  // BidirectionalSequenceLSTMOptions
        case 16: scalars = [("subgraph", 0, .int32)]  // CallOptions
        // Control flow: the subgraphs they run (indices into the model's subgraphs, checked by the analysis).
        case 92: scalars = [("then_subgraph_index", 0, .int32), ("else_subgraph_index", 1, .int32)]  // IfOptions
        case 93: scalars = [("cond_subgraph_index", 0, .int32), ("body_subgraph_index", 1, .int32)]  // WhileOptions
        case 103: scalars = [("init_subgraph_index", 0, .int32)]  // CallOnceOptions
        default: return [:]
        }
        guard let o = try fb("\(field).builtin_options", { () throws(FlatBufferError) in try op.table(4) }) else { return [:] }
        let f = "\(field).builtin_options"
        var a: [String: AttributeValue] = [:]
        if type != 1 && type != 2 {
            for (name, id, kind) in scalars {
                switch kind {
                case .int32: a[name] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(id, default: Int32(0)) })))
                case .int8, .bool: a[name] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(id, default: Int8(0)) })))
                case .float32: a[name] = .float(Float(bitPattern: try fb(f, { () throws(FlatBufferError) in try o.scalar(id, default: UInt32(0)) })))
                case .padding:
                    let p = try fb(f, { () throws(FlatBufferError) in try o.scalar(id, default: Int8(0)) })
                    a[name] = .string(p == 0 ? "SAME" : p == 1 ? "VALID" : "UNKNOWN")
                }
            }
            return a
        }
        let padding = try fb(f, { () throws(FlatBufferError) in try o.scalar(0, default: Int8(0)) })
        a["padding"] = .string(padding == 0 ? "SAME" : padding == 1 ? "VALID" : "UNKNOWN")
        a["stride_w"] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(1, default: Int32(0)) })))
        a["stride_h"] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(2, default: Int32(0)) })))
        let (activation, dilationW, dilationH) = type == 1 ? (3, 4, 5) : (4, 5, 6)
        a["fused_activation_function"] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(activation, default: Int8(0)) })))
        a["dilation_w_factor"] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(dilationW, default: Int32(1)) })))
        a["dilation_h_factor"] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(dilationH, default: Int32(1)) })))
        if type == 2 {
            a["depth_multiplier"] = .int(Int64(try fb(f, { () throws(FlatBufferError) in try o.scalar(3, default: Int32(0)) })))
        }
        return a
    }

    enum ScalarKind { case int32, int8, bool, float32, padding }

    /// Metadata buffers are mostly short strings (`min_runtime_version`); others are summarised by size.
    func renderMetadata(_ b: Buffer) -> String {
        guard case .file(let offset, let length) = b.storage, let bytes = file.slice(offset: offset, length: length) else {
            return ""
        }
        let trimmed = bytes.prefix { $0 != 0 }
        if length <= 256, trimmed.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return String(decoding: trimmed, as: UTF8.self)
        }
        return "<\(length) bytes>"
    }

    static func dtype(_ code: Int8) -> DType? {
        switch code {
        case 0: return .float32
        case 1: return .float16
        case 2: return .int32
        case 3: return .uint8
        case 4: return .int64
        case 5: return .string
        case 6: return .bool
        case 7: return .int16
        case 8: return .complex64
        case 9: return .int8
        case 10: return .float64
        case 11: return .complex128
        case 12: return .uint64
        case 13: return .resource
        case 14: return .variant
        case 15: return .uint32
        case 16: return .uint16
        case 17: return .int4
        case 18: return .bfloat16
        case 19: return .int2
        case 20: return .uint4
        case 21: return .float8e4m3fn
        case 22: return .float8e5m2
        default: return nil
        }
    }
}
