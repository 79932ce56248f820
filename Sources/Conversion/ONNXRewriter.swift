import ArtifactLayout
import ProtobufWire

/// What replaces one stored float tensor (an initializer or a `Constant` node's `value`).
struct TensorEdit: Sendable {
    /// The value name consumers read; a `DequantizeLinear` (quantized) or a `Cast` (float16) produces it.
    var originalName: String
    /// The name the stored data takes (the original name when only pruned).
    var storedName: String
    var dataType: Int64
    var dims: [Int]
    var raw: [UInt8]
    /// Encoded `TensorProto`s added as initializers of the graph that holds the tensor (scale, zero point).
    var extraInitializers: [[UInt8]] = []
    /// An encoded `NodeProto` that turns the stored data back into originalName: `DequantizeLinear`
    /// (storedName, scale, zero point) or `Cast(to=FLOAT)` (storedName).
    var producerNode: [UInt8]?
}

/// Rewrites an ONNX `ModelProto` by walking its wire format: every field that no edit touches is copied as a
/// byte range of the source (unknown fields, metadata, doc strings, value infos, functions), and only the
/// edited tensors, the nodes that hold them, their graphs and the model's version fields are re-encoded.
/// Field numbers are those of onnx.proto.
struct ONNXRewriter {
    let bytes: UnsafeRawBufferPointer
    /// Keyed by the source offset of the tensor's `raw_data` payload, or of its message when the values are
    /// in typed fields: the same positions `ModelReader` records in `TensorStorage`.
    let edits: [Int: TensorEdit]
    let nodeEdits: [Int: NodeEdit]
    var newOpset: Int?
    var newIRVersion: Int?
    /// float16 compute: renamed node inputs and outputs, retyped value infos, added Casts.
    var compute: Float16Plan?
    /// When set, tensor data goes to the external data file (see `ONNXLayout`).
    var externalData: ExternalDataLayout?
    /// A static-shape target's input sizes, written into the value infos (`InputShapeFix`).
    var inputShapes = InputShapeFix()
    private(set) var applied: Set<Int> = []
    private(set) var appliedNodes: Set<Int> = []

    mutating func resetApplied() {
        applied = []
        appliedNodes = []
    }

    init(bytes: UnsafeRawBufferPointer, edits: [Int: TensorEdit], nodeEdits: [Int: NodeEdit] = [:], newOpset: Int?,
         newIRVersion: Int?, compute: Float16Plan? = nil) {
        self.bytes = bytes
        self.edits = edits
        self.nodeEdits = nodeEdits
        self.newOpset = newOpset
        self.newIRVersion = newIRVersion
        self.compute = compute
    }

    mutating func model() throws(WireError) -> WireOutput {
        var r = ProtoReader(bytes)
        var out = WireOutput()
        var wroteIR = false
        while let f = try r.next() {
            let whole = f.start..<r.position
            switch (f.number, f.wireType) {
            case (1, .varint):
                if let v = newIRVersion, v > Int(f.int64) {
                    out.varintField(1, UInt64(v))
                } else {
                    out.copy(whole)
                }
                wroteIR = true
            case (7, .lengthDelimited):
                out.messageField(7, try graph(f.payload, main: true))
            case (8, .lengthDelimited):
                if let v = newOpset { out.messageField(8, try opsetImport(f.payload, version: v)) } else { out.copy(whole) }
            default:
                out.copy(whole)
            }
        }
        if !wroteIR, let v = newIRVersion { out.varintField(1, UInt64(v)) }
        return out
    }

    /// Raises the version of the default domain's entry; other domains are copied.
    func opsetImport(_ range: Range<Int>, version: Int) throws(WireError) -> WireOutput {
        var r = ProtoReader(bytes, range: range)
        var domain = ""
        var old: Int64 = 0
        while let f = try r.next() {
            if f.number == 1, f.wireType == .lengthDelimited { domain = r.string(f) }
            if f.number == 2, f.wireType == .varint { old = f.int64 }
        }
        var out = WireOutput()
        guard domain.isEmpty || domain == "ai.onnx", old < version else {
            out.copy(range)
            return out
        }
        r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            if f.number == 2 { continue }
            out.copy(f.start..<r.position)
        }
        out.int64Field(2, Int64(version))
        return out
    }

    /// The key `edits` is looked up with for the `TensorProto` in `range`.
    func tensorKey(_ range: Range<Int>) throws(WireError) -> Int {
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            if f.number == 9, f.wireType == .lengthDelimited { return f.payload.lowerBound }
        }
        return range.lowerBound
    }

    func edit(for range: Range<Int>) throws(WireError) -> (Int, TensorEdit)? {
        let key = try tensorKey(range)
        return edits[key].map { (key, $0) }
    }

    /// `main`: the model's own graph, whose inputs are the ones a manifest sizes.
    mutating func graph(_ range: Range<Int>, main: Bool = false) throws(WireError) -> WireOutput {
        // Initializers usually follow the nodes in the file, but their producer nodes must come first
        // (nodes are topologically sorted): look them up before writing anything.
        var pre = ProtoReader(bytes, range: range)
        var local: [TensorEdit] = []
        while let f = try pre.next() {
            guard f.number == 5, f.wireType == .lengthDelimited, let (_, e) = try edit(for: f.payload) else { continue }
            local.append(e)
        }
        // Old models (IR < 4) also list initializers as graph inputs; a converted one is now a node's output,
        // or (dynamic quantization) no longer exists under its name.
        let produced = Set(local.filter { $0.producerNode != nil || $0.storedName != $0.originalName }.map(\.originalName))
        var out = WireOutput()
        var wrotePrelude = false
        let casts = compute?.prelude[range.lowerBound] ?? []
        func prelude(_ out: inout WireOutput) {
            for n in casts { out.bytesField(1, n) }
            for e in local {
                for t in e.extraInitializers { out.bytesField(5, t) }
                if let n = e.producerNode { out.bytesField(1, n) }
            }
        }
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            let whole = f.start..<r.position
            switch (f.number, f.wireType) {
            case (1, .lengthDelimited):
                if !wrotePrelude { prelude(&out); wrotePrelude = true }
                out.append(try node(f.payload))
            case (5, .lengthDelimited):
                if let (key, e) = try edit(for: f.payload) {
                    applied.insert(key)
                    out.messageField(5, try tensor(f.payload, e, isInitializer: true))
                } else if let layout = externalData {
                    out.messageField(5, try externalized(f.payload, layout))
                } else {
                    out.copy(whole)
                }
            case (11, .lengthDelimited):
                let name = try valueInfoName(f.payload)
                if !produced.isEmpty, produced.contains(name) { continue }
                out.append(try retyped(f, whole, positions: main ? inputShapes.positions[name] ?? [:] : [:]))
            case (12, .lengthDelimited), (13, .lengthDelimited):
                out.append(try retyped(f, whole, positions: [:]))
            default:
                out.copy(whole)
            }
        }
        if !wrotePrelude { prelude(&out) }
        return out
    }

    /// A value info field as it is, or with the element type (and name) float16 compute gives it, and the
    /// dimensions at `positions` fixed (a main-graph input's, by index: `inputShapes`).
    func retyped(_ f: WireField, _ whole: Range<Int>, positions: [Int: Int64]) throws(WireError) -> WireOutput {
        var out = WireOutput()
        let change = compute?.valueInfos[f.payload.lowerBound]
        guard change != nil || !positions.isEmpty else {
            out.copy(whole)
            return out
        }
        var changed = change != nil
        var info = WireOutput()
        var r = ProtoReader(bytes, range: f.payload)
        while let g = try r.next() {
            let field = g.start..<r.position
            if g.number == 1, g.wireType == .lengthDelimited, let name = change?.name {
                info.stringField(1, name)
            } else if g.number == 2, g.wireType == .lengthDelimited {
                // TypeProto.tensor_type (1) → elem_type (1), shape (2); other fields are copied.
                var type = WireOutput()
                var t = ProtoReader(bytes, range: g.payload)
                while let h = try t.next() {
                    guard h.number == 1, h.wireType == .lengthDelimited else { type.copy(h.start..<t.position); continue }
                    var tensor = WireOutput()
                    if let change { tensor.int64Field(1, change.elemType) }
                    var tt = ProtoReader(bytes, range: h.payload)
                    while let k = try tt.next() {
                        if k.number == 1, k.wireType == .varint, change != nil { continue }
                        if k.number == 2, k.wireType == .lengthDelimited, let shape = try fixedShape(k.payload, positions: positions) {
                            tensor.messageField(2, shape)
                            changed = true
                            continue
                        }
                        tensor.copy(k.start..<tt.position)
                    }
                    type.messageField(1, tensor)
                }
                info.messageField(2, type)
            } else {
                info.copy(field)
            }
        }
        guard changed else {
            out.copy(whole)
            return out
        }
        out.messageField(f.number, info)
        return out
    }

    /// A `TensorShapeProto` with the dimensions at `positions` as `dim_value`s (their `denotation` kept), or nil
    /// when none changes.
    func fixedShape(_ range: Range<Int>, positions: [Int: Int64]) throws(WireError) -> WireOutput? {
        var out = WireOutput()
        var changed = false
        var index = 0
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            guard f.number == 1, f.wireType == .lengthDelimited else { out.copy(f.start..<r.position); continue }
            defer { index += 1 }
            var fixed = false
            var d = ProtoReader(bytes, range: f.payload)
            while let g = try d.next() {
                if g.number == 1, g.wireType == .varint, g.int64 >= 0 { fixed = true }
            }
            // A dimension the file fixes stays as it is (a manifest that contradicts it is an error of `check`).
            if !fixed, let v = positions[index] {
                var dim = WireOutput()
                dim.int64Field(1, v)
                d = ProtoReader(bytes, range: f.payload)
                while let g = try d.next() {
                    if g.number == 3 { dim.copy(g.start..<d.position) }
                }
                out.messageField(1, dim)
                changed = true
            } else {
                out.copy(f.start..<r.position)
            }
        }
        return changed ? out : nil
    }

    func valueInfoName(_ range: Range<Int>) throws(WireError) -> String {
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            if f.number == 1, f.wireType == .lengthDelimited { return r.string(f) }
        }
        return ""
    }

    /// One node field, followed (for a `Constant` whose tensor is converted) by the scale and zero-point
    /// initializers and the node (DequantizeLinear or Cast) that now produces the Constant's original output.
    mutating func node(_ range: Range<Int>) throws(WireError) -> WireOutput {
        if let e = nodeEdits[range.lowerBound] { return try replace(range, e) }
        var r = ProtoReader(bytes, range: range)
        var opType = "", domain = ""
        var attributes: [Range<Int>] = []
        while let f = try r.next() {
            switch (f.number, f.wireType) {
            case (4, .lengthDelimited): opType = r.string(f)
            case (7, .lengthDelimited): domain = r.string(f)
            case (5, .lengthDelimited): attributes.append(f.payload)
            default: break
            }
        }
        var constantEdit: (Int, TensorEdit)?
        if opType == "Constant", domain.isEmpty || domain == "ai.onnx" {
            for a in attributes {
                var ar = ProtoReader(bytes, range: a)
                while let f = try ar.next() {
                    guard f.number == 5, f.wireType == .lengthDelimited else { continue }
                    if let found = try edit(for: f.payload) { constantEdit = found }
                }
            }
        }
        let retype = compute?.nodes[range.lowerBound]
        var payload = WireOutput()
        var inputIndex = 0, outputIndex = 0
        r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            let whole = f.start..<r.position
            switch (f.number, f.wireType) {
            case (1, .lengthDelimited):
                if let name = retype?.inputs[inputIndex] { payload.stringField(1, name) } else { payload.copy(whole) }
                inputIndex += 1
            case (2, .lengthDelimited):
                if outputIndex == 0, let (_, e) = constantEdit {
                    payload.stringField(2, e.storedName)
                } else if let name = retype?.outputs[outputIndex] {
                    payload.stringField(2, name)
                } else {
                    payload.copy(whole)
                }
                outputIndex += 1
            case (5, .lengthDelimited):
                if let to = retype?.castTo, try attributeName(f.payload) == "to" {
                    payload.messageField(5, Self.intAttribute("to", to))
                } else {
                    payload.messageField(5, try attribute(f.payload, constant: constantEdit))
                }
            default:
                payload.copy(whole)
            }
        }
        var out = WireOutput()
        out.messageField(1, payload)
        if let (key, e) = constantEdit {
            applied.insert(key)
            for t in e.extraInitializers { out.bytesField(5, t) }
            if let n = e.producerNode { out.bytesField(1, n) }
        }
        for n in retype?.after ?? [] { out.bytesField(1, n) }
        return out
    }

    func attributeName(_ range: Range<Int>) throws(WireError) -> String {
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            if f.number == 1, f.wireType == .lengthDelimited { return r.string(f) }
        }
        return ""
    }

    static func intAttribute(_ name: String, _ value: Int64) -> WireOutput {
        var a = WireOutput()
        a.stringField(1, name)
        a.int64Field(3, value)
        a.int64Field(20, 2)  // AttributeType INT
        return a
    }

    /// The node's replacement: its initializers, then its nodes (one of them with the source's attributes).
    mutating func replace(_ range: Range<Int>, _ e: NodeEdit) throws(WireError) -> WireOutput {
        appliedNodes.insert(range.lowerBound)
        var out = WireOutput()
        for t in e.initializers { out.bytesField(5, t) }
        for (k, n) in e.nodes.enumerated() {
            guard k == e.copyAttributesInto else {
                out.bytesField(1, n)
                continue
            }
            var payload = WireOutput()
            payload.append(n)
            var r = ProtoReader(bytes, range: range)
            while let f = try r.next() {
                guard f.number == 5, f.wireType == .lengthDelimited else { continue }
                if !e.dropAttributes.isEmpty, e.dropAttributes.contains(try attributeName(f.payload)) { continue }
                payload.copy(f.start..<r.position)
            }
            out.messageField(1, payload)
        }
        return out
    }

    /// Sub-graphs (`g`, `graphs`) are rewritten recursively; a Constant's `t` is replaced by its edit.
    mutating func attribute(_ range: Range<Int>, constant: (Int, TensorEdit)?) throws(WireError) -> WireOutput {
        var out = WireOutput()
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            let whole = f.start..<r.position
            switch (f.number, f.wireType) {
            case (5, .lengthDelimited):
                if let (key, e) = constant, try tensorKey(f.payload) == key {
                    out.messageField(5, try tensor(f.payload, e, isInitializer: false))
                } else if let layout = externalData {
                    out.messageField(5, try externalized(f.payload, layout))
                } else {
                    out.copy(whole)
                }
            case (6, .lengthDelimited):
                out.messageField(6, try graph(f.payload))
            case (11, .lengthDelimited):
                out.messageField(11, try graph(f.payload))
            default:
                out.copy(whole)
            }
        }
        return out
    }

    /// The tensor with new dims, type, name and raw data; its other fields (doc string, metadata) are kept.
    func tensor(_ range: Range<Int>, _ e: TensorEdit, isInitializer: Bool) throws(WireError) -> WireOutput {
        var out = WireOutput()
        var r = ProtoReader(bytes, range: range)
        var hadName = false
        while let f = try r.next() {
            switch f.number {
            case 1, 2, 4, 5, 6, 7, 9, 10, 11, 13, 14: continue  // dims, type, data and data location
            case 8:
                hadName = true
                continue
            default: out.copy(f.start..<r.position)
            }
        }
        for d in e.dims { out.int64Field(1, Int64(d)) }
        out.int64Field(2, e.dataType)
        if isInitializer || hadName { out.stringField(8, isInitializer ? e.storedName : e.originalName) }
        if let layout = externalData, e.raw.count >= layout.minimumBytes {
            out.append(layout.place(.bytes(e.raw), length: e.raw.count))
        } else {
            out.bytesField(9, e.raw)
        }
        return out
    }
}
