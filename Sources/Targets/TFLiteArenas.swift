import ModelFormats

/// The tensor arenas the TFLite runtimes allocate for a model, computed as they compute them.
///
/// TFLite Micro (`MicroAllocator`): the arena's head holds the activations, planned by
/// `ArenaPlanners.greedy` with the lifetimes of `AllocationInfoBuilder` (micro_allocation_info.cc: one
/// allocation scope per operator, one more per subgraph a control-flow operator calls; inputs live from the
/// start of their subgraph, outputs to its end; sizes rounded up to 16 bytes; constants, variables and empty
/// tensors are not planned). The tail holds what lives for the interpreter's lifetime: one `TfLiteEvalTensor`
/// per tensor of every subgraph, one `NodeAndRegistration` per operator, the persistent `TfLiteTensor`s of the
/// model's inputs and outputs, the kernels' own data (per-channel multipliers and shifts of quantized
/// convolutions and fully connected layers), resource variables' buffers and the allocator's own objects.
/// The tail's struct sizes depend on the pointer width: 4 bytes on the microcontrollers of the catalogue, 8 on
/// the 64-bit host where the `tflite-micro` Python package runs (the tests compare with that one).
///
/// LiteRT (`ArenaPlanner` over a `SimpleMemoryArena`, 64-byte alignment): graph inputs and outputs live for
/// the whole run, every other activation from the operator that writes it to the last one that reads it;
/// variables are in the persistent arena, not this one.
public struct TFLiteArenas: Sendable, Hashable {
    /// TFLite Micro's planned activations (the head), in bytes.
    public var microHead: Int
    /// TFLite Micro's persistent allocations (the tail) on a 32-bit device.
    public var microTail32: Int
    /// The same on a 64-bit host.
    public var microTail64: Int
    /// LiteRT's activation arena, in bytes.
    public var litert: Int

    /// The arena TFLite Micro reports as used (`arena_used_bytes`) on a device with `pointerBytes` pointers.
    public func micro(pointerBytes: Int) -> Int { microHead &+ (pointerBytes >= 8 ? microTail64 : microTail32) }

    static let microAlignment = 16
    static let litertAlignment = 64

    /// Bytes TFLite Micro gives an element of `dtype` (`TfLiteTypeSizeOf`: int4 and bool take a byte, a
    /// resource handle 4), nil for the types it cannot hold.
    static func microElementBytes(_ dtype: DType?) -> Int? {
        switch dtype {
        case .float16?, .bfloat16?, .int16?, .uint16?: return 2
        case .float32?, .int32?, .uint32?, .resource?: return 4
        case .float64?, .int64?, .uint64?, .complex64?: return 8
        case .complex128?: return 16
        case .int8?, .uint8?, .bool?, .int4?: return 1
        default: return nil
        }
    }

    static func tensorBytes(_ t: TensorShape) -> Int {
        Shapes.volume(t.shape) &* (microElementBytes(t.dtype) ?? 4)
    }

    static func aligned(_ x: Int, _ a: Int) -> Int { (x &+ a &- 1) / a &* a }

    /// Computes both arenas for a TFLite model (nil for other formats or a model without subgraphs).
    /// Beyond this many tensors the planners' quadratic placement is not attempted (a hostile file must not
    /// stall an estimate): the caller falls back to the liveness figure.
    static let tensorLimit = 20_000

    public static func of(model: Model) -> TFLiteArenas? {
        guard model.format == .tflite, !model.graphs.isEmpty,
            model.graphs.reduce(0, { $0 &+ $1.tensorShapes.count }) <= tensorLimit
        else { return nil }
        var constants: [Set<String>] = Array(repeating: [], count: model.graphs.count)
        for t in model.tensors where constants.indices.contains(t.graph) { constants[t.graph].insert(t.name) }
        let head = microHead(model: model, constants: constants)
        return TFLiteArenas(
            microHead: head, microTail32: microTail(model: model, pointerBytes: 4),
            microTail64: microTail(model: model, pointerBytes: 8), litert: litertArena(model: model, constants: constants[0]))
    }

    // MARK: TFLite Micro's head

    static func microHead(model: Model, constants: [Set<String>]) -> Int {
        // Lifetimes by (subgraph, tensor index); -1: not yet seen.
        var first: [[Int]] = model.graphs.map { [Int](repeating: -1, count: $0.tensorShapes.count) }
        var last = first
        let index: [[String: Int]] = model.graphs.map { g in
            var m: [String: Int] = [:]
            for (i, t) in g.tensorShapes.enumerated() where m[t.name] == nil { m[t.name] = i }
            return m
        }
        var scope = 0
        var depth = 0
        // Control flow can call the same subgraph from many places (a hostile file: 2^depth walks); TFLite Micro
        // would too, but an estimate must end: past this many operators walked, the rest keep their lifetimes.
        var budget = 1_000_000
        func mark(_ g: Int, _ name: String, created: Bool, _ scope: Int) {
            guard let i = index[g][name] else { return }
            if created { if first[g][i] == -1 { first[g][i] = scope } } else { last[g][i] = scope }
        }
        func walk(_ g: Int) {
            guard model.graphs.indices.contains(g), depth < 32 else { return }
            depth += 1
            defer { depth -= 1 }
            let graph = model.graphs[g]
            for v in graph.inputs {
                mark(g, v.name, created: true, scope)
                mark(g, v.name, created: false, scope)
            }
            for node in graph.nodes {
                guard budget > 0 else { return }
                budget -= 1
                scope &+= 1
                for o in node.outputs where !o.isEmpty { mark(g, o, created: true, scope) }
                for key in calledSubgraphKeys(node.opType) {
                    if case .int(let s)? = node.attributes[key], s > 0, s < model.graphs.count, Int(s) != g {
                        scope &+= 1
                        walk(Int(s))
                    }
                }
                for i in node.inputs where !i.isEmpty { mark(g, i, created: false, scope) }
                for o in node.outputs where !o.isEmpty { mark(g, o, created: false, scope) }
            }
            for v in graph.outputs {
                mark(g, v.name, created: true, scope)
                mark(g, v.name, created: false, scope)
            }
        }
        walk(0)
        var buffers: [ArenaBuffer] = []
        for (g, graph) in model.graphs.enumerated() {
            for (i, t) in graph.tensorShapes.enumerated() {
                let bytes = tensorBytes(t)
                guard bytes > 0, !t.isVariable, !constants[g].contains(t.name), index[g][t.name] == i else { continue }
                // A tensor no walked operator touches keeps -1 lifetimes, as in TFLite Micro (it overlaps nothing).
                buffers.append(ArenaBuffer(size: aligned(bytes, microAlignment), first: first[g][i], last: last[g][i]))
            }
        }
        return ArenaPlanners.greedy(buffers).size
    }

    static func calledSubgraphKeys(_ op: String) -> [String] {
        switch op {
        case "IF": return ["then_subgraph_index", "else_subgraph_index"]
        case "WHILE": return ["cond_subgraph_index", "body_subgraph_index"]
        case "CALL_ONCE": return ["init_subgraph_index"]
        default: return []
        }
    }

    // MARK: TFLite Micro's tail

    /// The persistent allocations, from the sizes of TFLite Micro's structures and kernels' data at the
    /// pointer width (see `Schemas`-free constants below: they are the C structures' sizes, not tunables).
    static func microTail(model: Model, pointerBytes p: Int) -> Int {
        let wide = p >= 8
        let evalTensor = wide ? 24 : 12  // TfLiteEvalTensor: data, dims, type
        let nodeAndRegistration = wide ? 64 : 32  // TfLiteNode (6 pointers, an int) + the registration pointer
        let persistentTensor = wide ? 64 : 40  // TfLiteTensor under TF_LITE_STATIC_MEMORY
        let quantizationData = 32  // TfLiteAffineQuantization and its arrays, per quantized input/output
        // The allocators, the planner and the subgraph tables (measured against the tflite-micro package on the
        // corpus and fixtures: 640 bytes), plus the resource variables' table where the model has variables.
        var bytes = wide ? 640 : 400
        let handles = model.graphs.map { $0.nodes.filter { $0.opType == "VAR_HANDLE" }.count }.max() ?? 0
        bytes &+= handles &* (wide ? 52 : 32)
        for g in model.graphs {
            bytes &+= aligned(g.tensorShapes.count &* evalTensor, microAlignment)
            bytes &+= g.nodes.count &* nodeAndRegistration
        }
        let main = model.graphs[0]
        let stored = Dictionary(main.tensorShapes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for v in main.inputs + main.outputs {
            bytes &+= persistentTensor
            if let d = stored[v.name]?.dtype, d == .int8 || d == .uint8 || d == .int16 { bytes &+= quantizationData }
        }
        bytes &+= kernelData(model: model, pointerBytes: p)
        return bytes
    }

    /// Kernels' persistent data: each operator's `OpData` (rounded to 16 bytes), the per-channel multipliers
    /// and shifts of quantized convolutions and fully connected layers (two int32 per output channel), and
    /// each resource variable's buffer (the size ASSIGN_VARIABLE writes, allocated once).
    static func kernelData(model: Model, pointerBytes p: Int) -> Int {
        let wide = p >= 8
        var bytes = 0
        var weightShapes: [String: [Int]] = [:]
        for t in model.tensors { weightShapes[t.name] = t.shape }
        // Resource variables: an init subgraph (CALL_ONCE) and the main one assign the same variables through
        // handles of their own, so the variables are those of the subgraph that assigns the most.
        var variableBytes = 0
        for g in model.graphs {
            var variables: [String: Int] = [:]  // handle → bytes
            defer { variableBytes = max(variableBytes, variables.values.reduce(0, &+)) }
            let stored = Dictionary(g.tensorShapes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for node in g.nodes {
                let quantized = node.inputs.first.flatMap { stored[$0]?.dtype }.map { $0 == .int8 || $0 == .int16 } ?? false
                switch node.opType {
                case "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED":
                    bytes &+= wide ? 112 : 72
                    if quantized, node.inputs.count > 1, let w = weightShapes[node.inputs[1]], !w.isEmpty {
                        let channels = node.opType == "DEPTHWISE_CONV_2D" ? (w.last ?? 0) : w[0]
                        bytes &+= 2 &* aligned(channels &* 4, microAlignment)
                    }
                case "ASSIGN_VARIABLE":
                    let key = node.inputs.first ?? ""
                    if node.inputs.count > 1, let t = stored[node.inputs[1]] {
                        variables[key] = max(variables[key] ?? 0, aligned(tensorBytes(t), microAlignment))
                    }
                case "VAR_HANDLE", "READ_VARIABLE", "CALL_ONCE", "RESHAPE":
                    break
                default:
                    bytes &+= wide ? 64 : 40
                }
            }
        }
        return bytes &+ variableBytes
    }

    // MARK: LiteRT

    static func litertArena(model: Model, constants: Set<String>) -> Int {
        let g = model.graphs[0]
        var index: [String: Int] = [:]
        for (i, t) in g.tensorShapes.enumerated() where index[t.name] == nil { index[t.name] = i }
        let forever = Int.max
        var alloc = [Int](repeating: -1, count: g.tensorShapes.count)
        var dealloc = [Int](repeating: forever, count: g.tensorShapes.count)
        var refs = [Int](repeating: 0, count: g.tensorShapes.count)
        for v in g.outputs { if let i = index[v.name] { refs[i] &+= 1 } }
        for v in g.inputs {
            if let i = index[v.name] {
                refs[i] &+= 1
                if alloc[i] == -1 { alloc[i] = 0 }
            }
        }
        for n in g.nodes { for v in n.inputs where !v.isEmpty { if let i = index[v] { refs[i] &+= 1 } } }
        for (step, n) in g.nodes.enumerated() {
            for v in n.outputs where !v.isEmpty { if let i = index[v], alloc[i] == -1 { alloc[i] = step } }
            for v in n.inputs where !v.isEmpty {
                guard let i = index[v] else { continue }
                refs[i] &-= 1
                if refs[i] == 0 { dealloc[i] = step }
            }
        }
        var buffers: [ArenaBuffer] = []
        var whole: [Bool] = []
        for (i, t) in g.tensorShapes.enumerated() {
            guard alloc[i] >= 0, !t.isVariable, !constants.contains(t.name), index[t.name] == i else { continue }
            let bytes = tensorBytes(t)
            guard bytes > 0 else { continue }
            buffers.append(ArenaBuffer(size: bytes, first: alloc[i], last: dealloc[i]))
            whole.append(alloc[i] == 0 && dealloc[i] == forever)
        }
        return ArenaPlanners.bestFit(buffers, alignment: litertAlignment, wholeRun: { whole[$0] }).size
    }
}
