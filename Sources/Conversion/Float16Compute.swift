import ArtifactLayout
import Compression
import JSON
import ModelFormats
import ProtobufWire

/// The operator tables of float16 compute (Schemas/conversion/float16.json, embedded): the operators kept in
/// float32, and the output types that do not follow the float input.
struct Float16Rules: Sendable {
    /// Operator → why it stays in float32.
    var keep: [String: String] = [:]
    /// Operator → one rule per output (see the file's `output_types.why`).
    var outputTypes: [String: [String]] = [:]

    static let shared: Result<Float16Rules, ConversionError> = {
        do throws(ConversionError) { return .success(try load()) } catch { return .failure(error) }
    }()

    static func load() throws(ConversionError) -> Float16Rules {
        guard let text = EmbeddedConversionRules.files.first(where: { $0.name == "float16.json" })?.text else {
            throw ConversionError(.model, "internal error: Schemas/conversion/float16.json is not embedded")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes: Array(text.utf8)) } catch {
            throw ConversionError(.model, "Schemas/conversion/float16.json is not valid JSON: \(error)")
        }
        var rules = Float16Rules()
        for group in json["keep_float32"]?.arrayValue ?? [] {
            let why = group["why"]?.stringValue ?? ""
            for op in group["operators"]?.arrayValue ?? [] {
                guard let name = op.stringValue else {
                    throw ConversionError(.model, "Schemas/conversion/float16.json: keep_float32 holds a non-string operator \(op)")
                }
                rules.keep[name] = why
            }
        }
        for (op, list) in json["output_types"]?["operators"]?.objectValue?.entries ?? [] {
            let items = list.arrayValue?.compactMap(\.stringValue) ?? []
            guard let all = list.arrayValue, items.count == all.count else {
                throw ConversionError(.model, "Schemas/conversion/float16.json: output_types.\(op) must be a list of strings")
            }
            rules.outputTypes[op] = items
        }
        guard !rules.keep.isEmpty else {
            throw ConversionError(.model, "Schemas/conversion/float16.json: keep_float32 is empty")
        }
        return rules
    }

    static func typeCode(_ name: String) -> Int64? {
        switch name {
        case "float": return 1
        case "uint8": return 2
        case "int8": return 3
        case "int32": return 6
        case "int64": return 7
        case "bool": return 9
        case "float16": return 10
        case "double": return 11
        default: return nil
        }
    }
}

/// Edits of one node for float16 compute: renamed inputs and outputs (by position), Cast's new `to`, and the
/// Cast nodes that follow it.
struct NodeRetype: Sendable {
    var inputs: [Int: String] = [:]
    var outputs: [Int: String] = [:]
    var castTo: Int64?
    var after: [[UInt8]] = []
}

/// What float16 compute changes besides the stored tensors, keyed by source offsets (payload starts) so the
/// rewriter finds each message as it walks: nodes, value infos (graph inputs, outputs, value_info) and the
/// Casts that open a graph.
struct Float16Plan: Sendable {
    var nodes: [Int: NodeRetype] = [:]
    /// Graph payload start → Cast nodes placed before its first node.
    var prelude: [Int: [[UInt8]]] = [:]
    /// ValueInfo payload start → new element type and (for a sub-graph output) new name.
    var valueInfos: [Int: (name: String?, elemType: Int64)] = [:]
    /// Keys (as `ONNXRewriter.tensorKey`) of the float32 tensors to store as float16, with no Cast.
    var convert: Set<Int> = []
    /// Tensors left in float32, by key, and why.
    var kept: [Int: String] = [:]
}

/// Plans float16 compute over an ONNX model's wire format, as onnxconverter-common's
/// `convert_float_to_float16(keep_io_types=True)` does, without its need for shape inference: element types are
/// followed from the graph inputs, initializers, Constants and value_info through each node (the output rules
/// are data), so every float32 value gets a home type, float16 unless an operator kept in float32 produced it.
/// A consumer that needs the other type reads a Cast placed right after the producer (or at the start of the
/// graph for inputs and initializers), made once per value. The main graph's inputs and outputs keep their
/// names and float32; sub-graph inputs and outputs become float16 like the values around them.
struct Float16Planner {
    let bytes: UnsafeRawBufferPointer
    let rules: Float16Rules
    /// Can this tensor (by key) be rewritten as float16 (float32 data in the file, not external or sparse)?
    let convertible: (Int) -> Bool
    /// Tensor names the user asked to leave in float32.
    let skipped: (String) -> Bool
    var names: NameTable
    var plan = Float16Plan()

    struct Value {
        var name: String
        var type: Int64?
        /// The type it is produced in after conversion.
        var home: Int64?
        var homeName: String
        var other: String?
        /// Where a Cast of it goes: after this node (payload start), else at the start of `graphKey`.
        var producer: Int?
        var graphKey: Int
    }

    struct GraphInfo {
        var key: Int
        var nodes: [NodeInfo] = []
        var inputs: [VI] = []
        var outputs: [VI] = []
        var valueInfo: [String: VI] = [:]
        var initializers: [(name: String, type: Int64, key: Int)] = []
        var sparse: [(name: String, type: Int64)] = []
    }

    struct VI { var name: String; var type: Int64?; var key: Int }

    struct NodeInfo {
        var key: Int
        var opType = ""
        var domain = ""
        var inputs: [String] = []
        var outputs: [String] = []
        /// Integer attributes by name; tensor attributes' data types by name.
        var ints: [String: Int64] = [:]
        var tensorTypes: [String: Int64] = [:]
        var constantKey: Int?
        var constantHasTensor = false
        var subgraphs: [GraphInfo] = []
    }

    var values: [Value] = []
    var scopes: [[String: Int]] = []
    /// The element type recorded for values that are no tensor (sequences, maps, optionals).
    static let notATensor: Int64 = -1
    /// Sub-graph (by key) → the source element types of its outputs, as followed through its nodes.
    var subgraphOutputTypes: [Int: [Int64?]] = [:]

    // MARK: Reading

    func readGraph(_ range: Range<Int>, depth: Int) throws(WireError) -> GraphInfo {
        guard depth <= 64 else { throw WireError(offset: range.lowerBound, message: "sub-graphs nested deeper than 64 levels") }
        var g = GraphInfo(key: range.lowerBound)
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            guard f.wireType == .lengthDelimited else { continue }
            switch f.number {
            case 1: g.nodes.append(try readNode(f.payload, depth: depth))
            case 5:
                let (name, type) = try tensorHeader(f.payload)
                g.initializers.append((name, type, try tensorKey(f.payload)))
            case 15:
                var s = ProtoReader(bytes, range: f.payload)
                while let e = try s.next() {
                    guard e.number == 1, e.wireType == .lengthDelimited else { continue }
                    let (name, type) = try tensorHeader(e.payload)
                    g.sparse.append((name, type))
                }
            case 11: g.inputs.append(try valueInfo(f.payload))
            case 12: g.outputs.append(try valueInfo(f.payload))
            case 13:
                let v = try valueInfo(f.payload)
                g.valueInfo[v.name] = v
            default: break
            }
        }
        return g
    }

    func readNode(_ range: Range<Int>, depth: Int) throws(WireError) -> NodeInfo {
        var n = NodeInfo(key: range.lowerBound)
        var r = ProtoReader(bytes, range: range)
        var attributes: [Range<Int>] = []
        while let f = try r.next() {
            guard f.wireType == .lengthDelimited else { continue }
            switch f.number {
            case 1: n.inputs.append(r.string(f))
            case 2: n.outputs.append(r.string(f))
            case 4: n.opType = r.string(f)
            case 7: n.domain = r.string(f)
            case 5: attributes.append(f.payload)
            default: break
            }
        }
        for a in attributes {
            var ar = ProtoReader(bytes, range: a)
            var name = ""
            var int: Int64?
            var tensor: Range<Int>?
            var graphs: [Range<Int>] = []
            while let f = try ar.next() {
                switch (f.number, f.wireType) {
                case (1, .lengthDelimited): name = ar.string(f)
                case (3, .varint): int = f.int64
                case (5, .lengthDelimited): tensor = f.payload
                case (6, .lengthDelimited), (11, .lengthDelimited): graphs.append(f.payload)
                default: break
                }
            }
            if let int { n.ints[name] = int }
            if let tensor {
                n.tensorTypes[name] = try tensorHeader(tensor).type
                if name == "value" { n.constantKey = try tensorKey(tensor) }
            }
            if n.opType == "Constant", name.hasPrefix("value") { n.constantHasTensor = name == "value" }
            if name == "value_float" || name == "value_floats" { n.tensorTypes["value"] = 1 }
            for g in graphs { n.subgraphs.append(try readGraph(g, depth: depth + 1)) }
        }
        return n
    }

    func tensorHeader(_ range: Range<Int>) throws(WireError) -> (name: String, type: Int64) {
        var r = ProtoReader(bytes, range: range)
        var name = "", type: Int64 = 0
        while let f = try r.next() {
            if f.number == 2, f.wireType == .varint { type = f.int64 }
            if f.number == 8, f.wireType == .lengthDelimited { name = r.string(f) }
        }
        return (name, type)
    }

    func tensorKey(_ range: Range<Int>) throws(WireError) -> Int {
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            if f.number == 9, f.wireType == .lengthDelimited { return f.payload.lowerBound }
        }
        return range.lowerBound
    }

    func valueInfo(_ range: Range<Int>) throws(WireError) -> VI {
        var v = VI(name: "", type: nil, key: range.lowerBound)
        var r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            if f.number == 1, f.wireType == .lengthDelimited { v.name = r.string(f) }
            guard f.number == 2, f.wireType == .lengthDelimited else { continue }
            var t = ProtoReader(bytes, range: f.payload)
            while let g = try t.next() {
                // Sequences (4), maps (5), sparse tensors (8) and optionals (9) are no float tensor to convert.
                if [4, 5, 8, 9].contains(g.number), v.type == nil { v.type = Float16Planner.notATensor }
                guard g.number == 1, g.wireType == .lengthDelimited else { continue }
                var tt = ProtoReader(bytes, range: g.payload)
                while let h = try tt.next() {
                    if h.number == 1, h.wireType == .varint { v.type = h.int64 }
                }
            }
        }
        return v
    }

    // MARK: Planning

    mutating func plan(graphRange: Range<Int>) throws(WireError) -> Float16Plan {
        let main = try readGraph(graphRange, depth: 0)
        process(main, isMain: true)
        return plan
    }

    func lookup(_ name: String) -> Int? {
        for s in scopes.reversed() { if let v = s[name] { return v } }
        return nil
    }

    mutating func define(_ v: Value) {
        values.append(v)
        scopes[scopes.count - 1][v.name] = values.count - 1
    }

    /// The name under which value `i` can be read as `type`, adding its Cast the first time.
    mutating func name(of i: Int, as type: Int64) -> String {
        let v = values[i]
        if v.home == type { return v.homeName }
        if let o = v.other { return o }
        let other = names.fresh("\(v.name)_\(type == 10 ? "fp16" : "fp32")")
        addCast(i, to: type, output: other)
        return other
    }

    mutating func addCast(_ i: Int, to type: Int64, output: String) {
        let v = values[i]
        values[i].other = output
        let cast = ONNXEncode.node(opType: "Cast", name: names.fresh("\(v.name)_Cast"), inputs: [v.homeName],
                                   outputs: [output], intAttributes: [("to", type)])
        if let p = v.producer {
            plan.nodes[p, default: NodeRetype()].after.append(cast)
        } else {
            plan.prelude[v.graphKey, default: []].append(cast)
        }
    }

    func isKept(_ n: NodeInfo) -> Bool {
        !(n.domain.isEmpty || n.domain == "ai.onnx") || rules.keep[n.opType] != nil
    }

    /// Does any node of the graph (or its sub-graphs) that computes in float16 read `name`?
    func readByFloat16Node(_ name: String, in g: GraphInfo) -> Bool {
        for n in g.nodes {
            if !isKept(n), n.inputs.contains(name) { return true }
            for s in n.subgraphs where readByFloat16Node(name, in: s) { return true }
        }
        return false
    }

    /// `isMain`: the model's graph, whose inputs and outputs keep float32 under their names. `keepsTypes`: the
    /// body of an operator kept in float32 (SequenceMap), whose inputs and outputs keep their types too.
    mutating func process(_ g: GraphInfo, isMain: Bool, keepsTypes: Bool = false, inputTypes: [Int64?] = []) {
        scopes.append([:])
        defer { scopes.removeLast() }
        let mainOutputs = isMain ? Set(g.outputs.map(\.name)) : []
        let inputNames = Set(g.inputs.map(\.name))
        for (k, vi) in g.inputs.enumerated() where !g.initializers.contains(where: { $0.name == vi.name }) {
            // A body input without a declared type has the type of what the Loop or Scan feeds it.
            let type = vi.type ?? (inputTypes.indices.contains(k) ? inputTypes[k] : nil)
            var v = Value(name: vi.name, type: type, home: type, homeName: vi.name, graphKey: g.key)
            if !isMain, !keepsTypes, type == 1 {
                v.home = 10
                if vi.type == 1 { plan.valueInfos[vi.key] = (nil, 10) }
            }
            define(v)
        }
        for t in g.initializers {
            var v = Value(name: t.name, type: t.type, home: t.type, homeName: t.name, graphKey: g.key)
            if t.type == 1 {
                if isMain && (inputNames.contains(t.name) || mainOutputs.contains(t.name)) {
                    plan.kept[t.key] = "an input or output of the model, which keeps float32"
                } else if skipped(t.name) {
                    plan.kept[t.key] = "matches a skip pattern"
                } else if !convertible(t.key) {
                    plan.kept[t.key] = "stored where it cannot be rewritten (external data or typed fields); cast where read"
                } else if !readByFloat16Node(t.name, in: g) {
                    plan.kept[t.key] = "read only by operators kept in float32"
                } else {
                    plan.convert.insert(t.key)
                    v.home = 10
                }
            }
            define(v)
        }
        for s in g.sparse { define(Value(name: s.name, type: s.type, home: s.type, homeName: s.name, graphKey: g.key)) }

        for n in g.nodes { node(n, in: g, mainOutputs: mainOutputs) }

        subgraphOutputTypes[g.key] = g.outputs.map { vi in lookup(vi.name).flatMap { values[$0].type } ?? vi.type }
        for vi in g.outputs {
            guard let i = lookup(vi.name) else { continue }
            if isMain {
                // The interface stays float32 under its own name (a Cast named after it was added with its producer).
                continue
            }
            guard values[i].type == 1 else { continue }
            if keepsTypes {
                let n = name(of: i, as: 1)
                if n != vi.name { plan.valueInfos[vi.key] = (n, 1) }
                continue
            }
            let n = name(of: i, as: 10)
            plan.valueInfos[vi.key] = (n == vi.name ? nil : n, 10)
        }
    }

    mutating func node(_ n: NodeInfo, in g: GraphInfo, mainOutputs: Set<String>) {
        // An input whose type is not known (an element taken out of a sequence, a custom operator's output)
        // might be float32: the node then stays float32 too, as the source computes it.
        let unknownInput = n.inputs.contains { !$0.isEmpty && (lookup($0).map { values[$0].type == nil } ?? true) }
        let kept = isKept(n) || unknownInput
        var edit = NodeRetype()
        var inputTypes: [Int64?] = []
        for (k, input) in n.inputs.enumerated() {
            guard !input.isEmpty, let i = lookup(input) else { inputTypes.append(nil); continue }
            let v = values[i]
            inputTypes.append(v.type)
            guard v.type == 1 else { continue }
            if n.opType == "Cast", !kept {
                if v.homeName != input { edit.inputs[k] = v.homeName }
                continue
            }
            let wanted: Int64 = kept ? 1 : 10
            let name = name(of: i, as: wanted)
            if name != input { edit.inputs[k] = name }
        }
        // Loop bodies read (iteration, condition, carried values...), Scan bodies (state..., scan elements...).
        let bodyInputs: [Int64?] = n.opType == "Loop" ? [7, 9] + inputTypes.dropFirst(2)
            : n.opType == "Scan" ? inputTypes : []
        for s in n.subgraphs { process(s, isMain: false, keepsTypes: kept, inputTypes: bodyInputs) }

        for (k, output) in n.outputs.enumerated() where !output.isEmpty {
            var type: Int64? = g.valueInfo[output]?.type
                ?? g.outputs.first(where: { $0.name == output })?.type
            if type == nil { type = outputType(n, k, inputTypes: inputTypes) }
            var v = Value(name: output, type: type, home: type, homeName: output, producer: n.key, graphKey: g.key)
            if type == 1, !kept {
                let fixedFloat = rules.outputTypes[n.opType].map { $0.indices.contains(k) && $0[k] == "float" } ?? false
                if n.opType == "Constant" {
                    if let key = n.constantKey, n.constantHasTensor, convertible(key), !skipped(output),
                       !mainOutputs.contains(output)
                    {
                        plan.convert.insert(key)
                        v.home = 10
                    } else if let key = n.constantKey {
                        plan.kept[key] = mainOutputs.contains(output) ? "an output of the model, which keeps float32"
                            : skipped(output) ? "matches a skip pattern" : "stored where it cannot be rewritten; cast where read"
                    }
                } else if n.opType == "Cast" {
                    edit.castTo = 10
                    v.home = 10
                } else if !fixedFloat {
                    v.home = 10
                }
            }
            if v.home == 10, type == 1 {
                if mainOutputs.contains(output) {
                    v.homeName = names.fresh("\(output)_fp16")
                    edit.outputs[k] = v.homeName
                } else if let vi = g.valueInfo[output] {
                    plan.valueInfos[vi.key] = (nil, 10)
                }
            }
            define(v)
            if v.home == 10, type == 1, mainOutputs.contains(output), let i = lookup(output) {
                // The model's output keeps its name and float32: a Cast right after the producer makes it.
                let cast = ONNXEncode.node(opType: "Cast", name: names.fresh("\(output)_Cast"), inputs: [v.homeName],
                                           outputs: [output], intAttributes: [("to", 1)])
                values[i].other = output
                edit.after.append(cast)
            }
        }
        if !edit.inputs.isEmpty || !edit.outputs.isEmpty || edit.castTo != nil || !edit.after.isEmpty {
            var merged = plan.nodes[n.key, default: NodeRetype()]
            merged.inputs.merge(edit.inputs) { $1 }
            merged.outputs.merge(edit.outputs) { $1 }
            if let c = edit.castTo { merged.castTo = c }
            // Casts of this node's outputs, added while later nodes were planned, come after its own.
            merged.after = edit.after + merged.after
            plan.nodes[n.key] = merged
        }
    }

    /// The element type of output `k` from the tables, the sub-graphs or the float input.
    func outputType(_ n: NodeInfo, _ k: Int, inputTypes: [Int64?]) -> Int64? {
        let firstFloat = inputTypes.first { $0 == 1 || $0 == 10 || $0 == 11 || $0 == 16 } ?? nil
        if n.opType == "Constant" { return n.tensorTypes["value"] ?? (n.ints["value_int"] != nil ? 7 : nil) }
        if ["If", "Loop", "Scan"].contains(n.opType) {
            // The body's output as its nodes make it (either If branch will do), else as declared.
            let index = n.opType == "Loop" ? k + 1 : k
            for body in n.subgraphs {
                if let types = subgraphOutputTypes[body.key], types.indices.contains(index), let t = types[index] { return t }
            }
            return nil
        }
        guard let rule = rules.outputTypes[n.opType] else { return firstFloat ?? inputTypes.first ?? nil }
        guard rule.indices.contains(k) else { return nil }
        for alternative in rule[k].split(separator: "|").map(String.init) {
            if alternative == "T" { return firstFloat }
            if let code = Float16Rules.typeCode(alternative) { return code }
            if alternative.hasPrefix("input:"), let i = Int(alternative.dropFirst(6)) {
                if inputTypes.indices.contains(i), let t = inputTypes[i] { return t }
                continue
            }
            if alternative.hasPrefix("attribute:") {
                let a = String(alternative.dropFirst(10))
                if let t = n.ints[a] ?? n.tensorTypes[a] { return t }
            }
        }
        return nil
    }
}

/// float16 compute for a whole ONNX model: the planner's edits, and the float32 tensors it chose stored as
/// float16 under their own names (no Cast: their consumers compute in float16).
enum Float16Compute {
    static func convert(file: MappedFile, model: Model, settings: ConversionSettings, layout: LayoutOptions)
        throws(ConversionError) -> ONNXConversion
    {
        if settings.pruning != nil {
            throw ConversionError(.unsupported, "pruning with float16 compute is not implemented; prune with --float16 (float16 weights) or without float16")
        }
        if let w = settings.weights, w != .float16 {
            throw ConversionError(.unsupported, "float16 compute stores the weights in float16; it cannot be combined with \(w.rawValue) weights")
        }
        let rules: Float16Rules
        switch Float16Rules.shared {
        case .success(let r): rules = r
        case .failure(let e): throw e
        }
        let opsetBefore = model.opsets[""]
        let (newOpset, newIR) = try ONNXConverter.opsetPlan(model: model, scheme: nil, float16: true)

        // Tensors the rewriter can replace: float32 bytes in the model file (raw_data or float_data).
        var byKey: [Int: Int] = [:]
        var keyOf: [Int: Int] = [:]
        for (i, t) in model.tensors.enumerated() where t.dtype == .float32 && t.sparseValueCount == nil {
            switch t.storage {
            case .file(let offset, _): byKey[offset] = i; keyOf[i] = offset
            case .protobufField(let message, let field) where field == 4: byKey[message.lowerBound] = i; keyOf[i] = message.lowerBound
            case .external: if let m = t.message { byKey[m.lowerBound] = i; keyOf[i] = m.lowerBound }
            default: break
            }
        }
        let globs = settings.skip.map(Glob.init)
        var planner = Float16Planner(bytes: file.bytes, rules: rules, convertible: { byKey[$0] != nil },
                                     skipped: { name in globs.contains { $0.matches(name) } }, names: NameTable(model))
        let plan: Float16Plan
        do {
            var r = ProtoReader(file.bytes)
            var graph: Range<Int>?
            while let f = try r.next() { if f.number == 7, f.wireType == .lengthDelimited { graph = f.payload } }
            guard let graph else { throw ConversionError(.model, "the model has no graph") }
            plan = try planner.plan(graphRange: graph)
        } catch let e as ConversionError {
            throw e
        } catch {
            throw ConversionError(.model, "cannot read the model's graph: \(error)")
        }

        var edits: [Int: TensorEdit] = [:]
        var report: [ConvertedTensor] = []
        let readers = SourceReaders()
        for (i, t) in model.tensors.enumerated() {
            var entry = ConvertedTensor(name: t.name, holder: ONNXConverter.holderKind(model, t, index: i), graph: t.graph,
                                        shape: t.shape, action: "kept")
            guard t.dtype == .float32 else {
                entry.reason = "\(t.dtype.name), not float32"
                report.append(entry)
                continue
            }
            guard let key = keyOf[i], plan.convert.contains(key) else {
                entry.reason = keyOf[i].flatMap { plan.kept[$0] } ?? (t.sparseValueCount != nil
                    ? "sparse initializers are not converted; cast where read"
                    : "stored where it cannot be rewritten (external data or a value_floats attribute); cast where read")
                report.append(entry)
                continue
            }
            let values: [Float]
            do {
                switch try ONNXConverter.inPlace(model, t, copy: true, readers: readers) {
                case .array(let a): values = a
                case .buffer(let b): values = Array(b)
                case .chunks(let n, let fill): values = try ONNXConverter.readAll(n, fill)
                }
            } catch {
                throw ConversionError(.model, "cannot read the values of \(t.name): \(error)")
            }
            // Magnitudes past float16's range saturate at ±65504 rather than become infinite (attention masks
            // of -1e9 stay very negative; an infinity would turn a fully masked row into NaN).
            var saturated = 0
            let clamped = values.map { v -> Float in
                guard v.isFinite, abs(v) > 65504 else { return v }
                saturated += 1
                return v < 0 ? -65504 : 65504
            }
            edits[key] = TensorEdit(originalName: t.name, storedName: t.name, dataType: 10, dims: t.shape,
                                    raw: HalfPrecision.encode(clamped).raw)
            entry.action = "float16"
            entry.overflow = saturated
            report.append(entry)
        }

        var rewriter = ONNXRewriter(bytes: file.bytes, edits: edits, newOpset: newOpset, newIRVersion: newIR,
                                    compute: plan)
        rewriter.inputShapes = InputShapeFix(model: model, given: settings.inputShapes)
        let (output, data) = try ONNXLayout.rewrite(&rewriter, model: model, layout: layout)
        guard rewriter.applied == Set(edits.keys) else {
            throw ConversionError(.model, "internal error: \(edits.count - rewriter.applied.count) planned tensor edits were not found while rewriting")
        }
        return ONNXConversion(source: file, output: output, tensors: report, opsetBefore: opsetBefore,
                              opsetAfter: max(opsetBefore ?? 0, newOpset ?? 0), compression: nil, externalData: data)
    }
}
