/// A TorchScript module's `forward`, evaluated abstractly: inputs are shapes (the manifest's `model.inputs`),
/// weights are the archive's tensors' shapes, integers, bools, strings, lists and `None` are tracked as values,
/// and every ATen call on tensors becomes a node with its inputs' and output's shapes — the graph an
/// ExportedProgram records, which `ATenAnalyzer` costs. Nothing runs: a call with no shape rule gets an output of
/// unknown shape (its node is left out of the figures, named in the coverage), and an `if` on a value not known
/// here, or a loop of unknown trip count, is not walked: each call in its body is a node left out.
struct TorchScriptEvaluator {
    typealias Expr = TorchScriptProgram.Expr
    typealias Statement = TorchScriptProgram.Statement

    indirect enum Value {
        /// A tensor value: its id in the graph (its shape in `shapes`, absent when unknown), and its value when it
        /// is a known integer scalar (`ops.prim.NumToTensor(torch.size(x, 0))`).
        case tensor(String, scalar: Int?)
        case int(Int)
        case float(Double)
        case bool(Bool)
        case string(String)
        case none
        case list([Value])
        case tuple([Value])
        case module(path: String, type: String)
        /// A module-level function of the archive's code (`_1 = __torch__.torch.nn.functional.pad`).
        case function(String)
        case unknown
    }

    enum Flow {
        case normal
        case returned(Value)
        case broke
        case continued
        /// `ops.prim.RaiseException`: this path fails, so it is not the one a run takes.
        case raised
    }

    struct Failure: Error { var message: String }

    static let maxNodes = 1 << 18
    static let maxCallDepth = 64
    /// Iterations of one while loop: one that runs on is refused by file and line (a `for` over a range of known
    /// length is walked, and `maxSteps` stops it).
    static let maxTrips = 1 << 14
    /// Work in one evaluation, in steps: a statement, a loop iteration, or `elementsPerStep` list elements or string
    /// bytes built. A real forward runs hundreds (silero-vad's 16 kHz path ~300; a 24-layer loop over a ModuleList
    /// thousands); nested loops of a hostile file stop here. The fuzzer's ASan build runs ~10^4 steps a second:
    /// 2^21 took 30 s (Tests/Fixtures/fuzz/torchscript/crash-66a8a7a8081744a9), 2^18 still 28 s on a file whose
    /// every step makes a call (timeout-nested-loops-of-60000).
    static let maxSteps = 1 << 16
    static let elementsPerStep = 64
    /// The longest list or string the walk builds; a longer one is a value not known.
    static let maxElements = 1 << 16

    let archive: TorchScriptArchive
    var program: TorchScriptProgram { archive.program }
    let weights: [String: [Int]]
    var nodes: [Node] = []
    var shapes: [String: [Int]] = [:]
    /// Tensors a condition or a loop's bound was computed from: the run reads them to decide which code runs, so
    /// the calls that made them are not dead code (a while loop's `gt(sum(x), 0)`), whether or not the walk knew
    /// the value.
    var decisions: Set<String> = []
    /// The conversions that read a tensor's value into a Python scalar.
    static let scalarReads: Set<String> = ["bool", "int", "float", "item", "Bool", "Int", "Float", "ScalarImplicit"]
    /// Attributes the code assigns (`self._context = …`), by path.
    var state: [String: Value] = [:]
    var counter = 0
    var depth = 0
    var steps = 0
    /// The file and line of the statement running, for what a stop names.
    var file = ""
    var line: Int?

    init(archive: TorchScriptArchive, weights: [String: [Int]]) {
        self.archive = archive
        self.weights = weights
        for (k, v) in weights { shapes[k] = v }
    }

    // MARK: values

    func shape(_ v: Value) -> [Int]? {
        if case .tensor(let id, _) = v { return shapes[id] }
        return nil
    }

    static func int(_ v: Value) -> Int? {
        switch v {
        case .int(let n): return n
        case .bool(let b): return b ? 1 : 0
        case .tensor(_, let s): return s
        default: return nil
        }
    }

    static func ints(_ v: Value) -> [Int]? {
        switch v {
        case .list(let x), .tuple(let x):
            var out: [Int] = []
            for i in x { guard let n = int(i) else { return nil }; out.append(n) }
            return out
        case .int(let n): return [n]
        default: return nil
        }
    }

    static func truth(_ v: Value) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .int(let n): return n != 0
        case .float(let f): return f != 0
        case .none: return false
        case .string(let s): return !s.isEmpty
        case .list(let x), .tuple(let x): return !x.isEmpty
        case .tensor(_, let s): return s.map { $0 != 0 }
        case .module, .function: return true
        case .unknown: return nil
        }
    }

    static func constant(_ c: TorchScriptConstant) -> Value {
        switch c {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let n): return Int(exactly: n).map(Value.int) ?? .unknown
        case .float(let f): return .float(f)
        case .string(let s): return .string(s)
        case .list(let x): return .list(x.map(constant))
        }
    }

    /// The tensors among `values`, lists and tuples flattened, in order.
    static func tensors(_ values: [Value]) -> [String] {
        var out: [String] = []
        for v in values {
            switch v {
            case .tensor(let id, _): out.append(id)
            case .list(let x), .tuple(let x): out += tensors(x)
            default: continue
            }
        }
        return out
    }

    // MARK: nodes

    mutating func fresh() -> String {
        counter += 1
        return "%\(counter)"
    }

    /// A node `aten.<op>` over `inputs`' tensors, with one output per shape (nil: unknown).
    /// `inPlace`: the output is the first input, written over (`relu_`, `add_`): later reads of either name see it.
    mutating func emit(_ op: String, _ inputs: [Value], _ outputs: [[Int]?], attributes: [String: AttributeValue] = [:], inPlace: Bool = false) throws(Failure) -> [Value] {
        guard nodes.count < Self.maxNodes else { throw Failure(message: "the evaluated graph exceeds \(Self.maxNodes) calls") }
        var ids = outputs.map { _ in fresh() }
        if inPlace, ids.count == 1, case .tensor(let first, _)? = inputs.first { ids = [first] }
        for (id, s) in zip(ids, outputs) { if let s { shapes[id] = s } }
        nodes.append(Node(name: ids.first ?? op, opType: "aten." + op, domain: "aten", version: nil, builtinCode: nil,
                          inputs: Self.tensors(inputs), outputs: ids, attributes: attributes))
        return ids.map { .tensor($0, scalar: nil) }
    }

    /// The calls in a part of the code not walked, each a node with no outputs and no rule, left out and named.
    /// A submodule's method or a function of the archive called there is opened, as far as its class is known
    /// without running (`self.encoder`, a local bound to one), so that its own calls are counted, not one node
    /// for all of them; `locals` are the modules the walk knew when it stopped.
    mutating func unwalked(_ body: [Statement], why: String, locals: [String: Value] = [:]) {
        var calls: [String] = []
        var opened = 0
        var known: [String: String] = [:]
        for (n, v) in locals { if case .module(_, let t) = v { known[n] = t } }
        let program = self.program
        func moduleType(_ e: Expr, _ selfType: String?, _ scope: [String: String]) -> String? {
            switch e {
            case .name("self"): return selfType
            case .name(let n): return scope[n]
            case .attribute(let base, let a):
                guard let t = moduleType(base, selfType, scope), let c = program.classes[t]?.attributeTypes[a], program.classes[c] != nil else { return nil }
                return c
            case .call(.name("getattr"), let args, _) where args.count == 2:
                guard case .string(let a) = args[1], let t = moduleType(args[0], selfType, scope),
                      let c = program.classes[t]?.attributeTypes[a], program.classes[c] != nil else { return nil }
                return c
            default: return nil
            }
        }
        func visit(_ e: Expr, _ selfType: String?, _ scope: inout [String: String], _ depth: Int) {
            guard calls.count < 10_000 else { return }
            switch e {
            case .call(let f, let args, let kw):
                // Arguments first: the calls in the order they run.
                if case .attribute(let b, _) = f { visit(b, selfType, &scope, depth) }
                for a in args { visit(a, selfType, &scope, depth) }
                for (_, v) in kw { visit(v, selfType, &scope, depth) }
                if let d = f.dotted, d.hasPrefix("torch.") || d.hasPrefix("ops.aten.") {
                    let op = String(d.split(separator: ".").last ?? "")
                    if !Self.scalarOnly.contains(op) { calls.append(op) }
                } else if case .attribute(let base, let m) = f, let t = moduleType(base, selfType, scope),
                          let method = program.classes[t]?.methods[m], depth < 16, opened < 10_000 {
                    opened += 1
                    walk(method.body, t, [:], depth + 1)
                } else if let d = f.dotted ?? { if case .name(let n) = f { return scope["fn:" + n] }; return nil }(),
                          let fn = program.functions[d], depth < 16, opened < 10_000 {
                    opened += 1
                    walk(fn.body, nil, [:], depth + 1)
                } else if case .attribute(_, let m) = f, m == "forward" {
                    calls.append("a submodule's forward")
                }
            case .attribute(let b, _): visit(b, selfType, &scope, depth)
            case .subscript(let b, let i): visit(b, selfType, &scope, depth); for x in i { visit(x, selfType, &scope, depth) }
            case .list(let x), .tuple(let x): for i in x { visit(i, selfType, &scope, depth) }
            case .unary(_, let x): visit(x, selfType, &scope, depth)
            case .binary(_, let a, let b): visit(a, selfType, &scope, depth); visit(b, selfType, &scope, depth)
            case .conditional(let a, let b, let c): visit(a, selfType, &scope, depth); visit(b, selfType, &scope, depth); visit(c, selfType, &scope, depth)
            default: return
            }
        }
        func walk(_ s: [Statement], _ selfType: String?, _ outer: [String: String], _ depth: Int) {
            var scope = outer
            for st in s {
                switch st {
                case .assign(let t, let v, _):
                    visit(v, selfType, &scope, depth)
                    if t.count == 1, case .name(let n) = t[0] {
                        if let m = moduleType(v, selfType, scope) { scope[n] = m }
                        if let d = v.dotted, program.functions[d] != nil { scope["fn:" + n] = d }
                    }
                case .expression(let e, _): visit(e, selfType, &scope, depth)
                case .return(let e, _): if let e { visit(e, selfType, &scope, depth) }
                case .if(let c, let a, let b, _): visit(c, selfType, &scope, depth); walk(a, selfType, scope, depth); walk(b, selfType, scope, depth)
                case .for(_, let i, let b, _): visit(i, selfType, &scope, depth); walk(b, selfType, scope, depth)
                case .while(let c, let b, _): visit(c, selfType, &scope, depth); walk(b, selfType, scope, depth)
                case .with(let b, _): walk(b, selfType, scope, depth)
                default: continue
                }
            }
        }
        var selfType: String? = nil
        if case .module(_, let t)? = locals["self"] { selfType = t }
        walk(body, selfType, known, 0)
        // The values the region may read are used: the calls that made them are not dead code, whatever the
        // region returns (a loop on a tensor's value after three Linear steps keeps the three).
        let read = Self.tensors(Array(locals.values)).sorted()
        for (k, op) in calls.enumerated() where nodes.count < Self.maxNodes {
            nodes.append(Node(name: "\(op) (\(why))", opType: "\(op) (\(why))", domain: "aten", version: nil, builtinCode: nil,
                              inputs: k == 0 ? read : [], outputs: [], attributes: [:]))
        }
    }

    /// Names a statement list assigns, so that values made in a part not walked become unknown.
    static func assigned(_ body: [Statement], into names: inout Set<String>) {
        for st in body {
            switch st {
            case .assign(let targets, _, _):
                for t in targets { bind(t, into: &names) }
            case .if(_, let a, let b, _): assigned(a, into: &names); assigned(b, into: &names)
            case .for(let v, _, let b, _): names.formUnion(v.split(separator: ",").map(String.init)); assigned(b, into: &names)
            case .while(_, let b, _): assigned(b, into: &names)
            case .with(let b, _): assigned(b, into: &names)
            default: continue
            }
        }
    }

    static func bind(_ t: Expr, into names: inout Set<String>) {
        switch t {
        case .name(let n): names.insert(n)
        case .tuple(let x), .list(let x): for i in x { bind(i, into: &names) }
        default: return
        }
    }

    /// Drops calls whose outputs nothing reads (`phase` of an STFT whose caller takes only the magnitude), as
    /// TorchScript's dead-code elimination does before a run; `keep` are the results and the module state
    /// written. Calls left out (no outputs) stay, so that the coverage names them.
    mutating func removeDeadCalls(keeping keep: Set<String>) {
        var used = keep.union(decisions)
        var alive = [Bool](repeating: false, count: nodes.count)
        for i in stride(from: nodes.count - 1, through: 0, by: -1) {
            let n = nodes[i]
            if n.outputs.isEmpty || n.outputs.contains(where: used.contains) {
                alive[i] = true
                used.formUnion(n.inputs)
            }
        }
        nodes = zip(nodes, alive).filter(\.1).map(\.0)
    }

    // MARK: statements

    struct Frame {
        var locals: [String: Value] = [:]
        /// The code file of the function running (`code/__torch__/m.py`), for what a refusal names.
        var file = ""
    }

    mutating func call(_ f: TorchScriptProgram.Function, arguments: [Value], keywords: [(String, Value)], selfValue: Value?) throws(Failure) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxCallDepth else { throw Failure(message: "\(f.file):\(f.line): calls nest deeper than \(Self.maxCallDepth)") }
        var frame = Frame(file: f.file)
        let caller = (file, line)
        defer { (file, line) = caller }
        var args = arguments[...]
        for (k, p) in f.parameters.enumerated() {
            if k == 0, let selfValue, p == "self" { frame.locals[p] = selfValue; continue }
            if let kw = keywords.first(where: { $0.0 == p }) {
                frame.locals[p] = kw.1
            } else if let a = args.popFirst() {
                frame.locals[p] = a
            } else if let d = f.defaults[k] {
                frame.locals[p] = try evaluate(d, &frame)
            } else {
                frame.locals[p] = .unknown
            }
        }
        switch try run(f.body, &frame) {
        case .returned(let v): return v
        // Reached on a path the inputs decide: a run at these inputs fails (silero-vad raises for a chunk that is
        // not 512 samples at 16 kHz, 256 at 8 kHz). Said, rather than costing the calls before it as the model.
        case .raised: throw Failure(message: "\(f.file):\(f.line): \(f.name) raises at these inputs")
        default: return .none
        }
    }

    mutating func run(_ body: [Statement], _ frame: inout Frame) throws(Failure) -> Flow {
        for st in body {
            file = frame.file
            line = Self.line(of: st) ?? line
            try charge(1)
            switch st {
            case .pass: continue
            case .break: return .broke
            case .continue: return .continued
            case .return(let e, _):
                return .returned(try e.map { e throws(Failure) in try evaluate(e, &frame) } ?? .none)
            case .expression(let e, _):
                if case .call(let f, _, _) = e, let d = f.dotted, d == "ops.prim.RaiseException" { return .raised }
                _ = try evaluate(e, &frame)
            case .assign(let targets, let value, _):
                let v = try evaluate(value, &frame)
                for t in targets { try assign(t, v, &frame) }
            case .with(let b, _):
                let flow = try run(b, &frame)
                if case .normal = flow { continue }
                return flow
            case .if(let c, let then, let other, _):
                let cond = try evaluate(c, &frame)
                decisions.formUnion(Self.tensors([cond]))
                var branch: [Statement]? = Self.truth(cond).map { $0 ? then : other }
                // A branch that only fails (raises) is not the one a successful run takes.
                if branch == nil {
                    if Self.raises(then) { branch = other } else if Self.raises(other) { branch = then }
                }
                if let branch {
                    let flow = try run(branch, &frame)
                    if case .normal = flow { continue }
                    return flow
                }
                unwalked(then + other, why: "in an if on a value not known before the run", locals: frame.locals)
                var names = Set<String>()
                Self.assigned(then + other, into: &names)
                for n in names { frame.locals[n] = .unknown }
            case .while(let c, let b, let line):
                // Run while the condition is known: each iteration as the body says, up to maxTrips (a loop that
                // would run on is refused by file:line, never run without end; `steps` bounds the work too).
                var trips = 0
                loop: while true {
                    let cond = try evaluate(c, &frame)
                    decisions.formUnion(Self.tensors([cond]))
                    guard let go = Self.truth(cond) else {
                        unwalked(b, why: "in a while loop on a value not known before the run", locals: frame.locals)
                        var names = Set<String>()
                        Self.assigned(b, into: &names)
                        for n in names { frame.locals[n] = .unknown }
                        break loop
                    }
                    guard go else { break loop }
                    try charge(1)
                    trips += 1
                    guard trips <= Self.maxTrips else {
                        throw Failure(message: "\(frame.file):\(line): a while loop runs past \(Self.maxTrips) iterations at these inputs")
                    }
                    switch try run(b, &frame) {
                    case .normal, .continued: continue
                    case .broke: break loop
                    case let other: return other
                    }
                }
            case .for(let v, let iter, let b, _):
                let names = v.split(separator: ",").map(String.init)
                // A range's values are made one per iteration, not beforehand: a loop left by `break` costs what
                // it ran, whatever its bound.
                var range: (start: Int, step: Int, count: Int)? = nil
                var items: [Value]? = nil
                if case .call(let f, let args, _) = iter, f.dotted == "range" {
                    let a = try args.map { e throws(Failure) in Self.int(try evaluate(e, &frame)) }
                    if a.count == 1, let n = a[0] { range = Self.range(0, n, 1) }
                    if a.count >= 2, let lo = a[0], let hi = a[1] { range = Self.range(lo, hi, a.count > 2 ? a[2] ?? 0 : 1) }
                } else {
                    switch try evaluate(iter, &frame) {
                    case .list(let x), .tuple(let x): items = x
                    // Iterating a tensor: its first dimension is the trip count the run reads.
                    case let t: items = nil; decisions.formUnion(Self.tensors([t]))
                    }
                }
                let turns: AnySequence<Value>
                if let range {
                    // Below the range's end, so the wrapping arithmetic does not wrap.
                    turns = AnySequence((0..<range.count).lazy.map { Value.int(range.start &+ $0 &* range.step) })
                } else if let items {
                    turns = AnySequence(items)
                } else {
                    unwalked(b, why: "in a loop of a trip count not known before the run", locals: frame.locals)
                    var assigned = Set(names)
                    Self.assigned(b, into: &assigned)
                    for n in assigned { frame.locals[n] = .unknown }
                    continue
                }
                loop: for item in turns {
                    try charge(1)
                    if names.count == 1 { frame.locals[names[0]] = item } else {
                        try assign(.tuple(names.map(Expr.name)), item, &frame)
                    }
                    switch try run(b, &frame) {
                    case .normal, .continued: continue
                    case .broke: break loop
                    case let other: return other
                    }
                }
            }
        }
        return .normal
    }

    /// `range(lo, hi, step)` of a positive step as its start, step and length (clamped to Int.max, which no walk
    /// reaches); nil for another step (a negative range is not walked).
    static func range(_ lo: Int, _ hi: Int, _ step: Int) -> (start: Int, step: Int, count: Int)? {
        guard step > 0 else { return nil }
        guard hi > lo else { return (lo, step, 0) }
        let span = UInt(bitPattern: hi &- lo)
        return (lo, step, Int(clamping: (span - 1) / UInt(step) + 1))
    }

    /// Counts `n` steps of work against `maxSteps`; past it the evaluation stops, naming the statement running.
    mutating func charge(_ n: Int) throws(Failure) {
        steps = steps &+ n
        guard steps <= Self.maxSteps else {
            throw Failure(message: "\(file):\(line.map(String.init) ?? "?"): the evaluation exceeds \(Self.maxSteps) statements")
        }
    }

    /// The source line a statement starts on (`pass` has none).
    static func line(of st: Statement) -> Int? {
        switch st {
        case .assign(_, _, let l), .expression(_, let l), .return(_, let l), .if(_, _, _, let l), .for(_, _, _, let l),
             .while(_, _, let l), .with(_, let l), .break(let l), .continue(let l):
            return l
        case .pass: return nil
        }
    }

    static func raises(_ body: [Statement]) -> Bool {
        body.contains { st in
            if case .expression(.call(let f, _, _), _) = st, f.dotted == "ops.prim.RaiseException" { return true }
            return false
        }
    }

    mutating func assign(_ target: Expr, _ v: Value, _ frame: inout Frame) throws(Failure) {
        switch target {
        case .name(let n): frame.locals[n] = v
        case .tuple(let ts), .list(let ts):
            var items: [Value]? = nil
            if case .tuple(let x) = v, x.count == ts.count { items = x }
            if case .list(let x) = v, x.count == ts.count { items = x }
            for (k, t) in ts.enumerated() { try assign(t, items?[k] ?? .unknown, &frame) }
        case .attribute(let base, let name):
            if case .module(let path, _) = try evaluate(base, &frame) { state[Self.child(path, name)] = v }
        default: return
        }
    }

    static func child(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }

    // MARK: expressions

    mutating func evaluate(_ e: Expr, _ frame: inout Frame) throws(Failure) -> Value {
        switch e {
        case .int(let n): return Int(exactly: n).map(Value.int) ?? .unknown
        case .float(let f): return .float(f)
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .none: return .none
        case .name(let n): return frame.locals[n] ?? .unknown
        case .list(let x): return .list(try x.map { e throws(Failure) in try evaluate(e, &frame) })
        case .tuple(let x): return .tuple(try x.map { e throws(Failure) in try evaluate(e, &frame) })
        case .slice: return .unknown
        case .attribute(let base, let name):
            if let d = e.dotted, let c = archive.constants[d] {
                shapes[d] = c.shape
                return .tensor(d, scalar: c.scalar)
            }
            if let d = e.dotted, d.hasPrefix("torch.") || d.hasPrefix("ops.") || d.hasPrefix("__torch__.") {
                return program.functions[d] != nil ? .function(d) : .unknown
            }
            return attribute(try evaluate(base, &frame), name)
        case .conditional(let c, let a, let b):
            guard let t = Self.truth(try evaluate(c, &frame)) else { return .unknown }
            return try evaluate(t ? a : b, &frame)
        case .unary(let o, let x):
            let v = try evaluate(x, &frame)
            switch o {
            case "not": return Self.truth(v).map { .bool(!$0) } ?? .unknown
            case "-": return try builtin("neg", [v], [])
            default: return v
            }
        case .binary(let o, let a, let b):
            let l = try evaluate(a, &frame)
            if o == "and" || o == "or" {
                guard let t = Self.truth(l) else { return .unknown }
                if (o == "and" && !t) || (o == "or" && t) { return l }
                return try evaluate(b, &frame)
            }
            let r = try evaluate(b, &frame)
            switch o {
            case "is": return Self.identity(l, r).map(Value.bool) ?? .unknown
            case "is not": return Self.identity(l, r).map { .bool(!$0) } ?? .unknown
            case "+": return try builtin("add", [l, r], [])
            case "-": return try builtin("sub", [l, r], [])
            case "*": return try builtin("mul", [l, r], [])
            case "/": return try builtin("div", [l, r], [])
            case "//": return try builtin("floordiv", [l, r], [])
            case "%": return try builtin("remainder", [l, r], [])
            case "@": return try builtin("matmul", [l, r], [])
            case "==": return try builtin("eq", [l, r], [])
            case "!=": return try builtin("ne", [l, r], [])
            case "<": return try builtin("lt", [l, r], [])
            case ">": return try builtin("gt", [l, r], [])
            case "<=": return try builtin("le", [l, r], [])
            case ">=": return try builtin("ge", [l, r], [])
            case "in": return try builtin("__contains__", [r, l], [])
            default: return .unknown
            }
        case .subscript(let base, let items):
            let b = try evaluate(base, &frame)
            guard items.count == 1 else { return .unknown }
            if case .slice(let lo, let hi, let st) = items[0] {
                guard case .list(let x) = b else { return .unknown }
                let l = try lo.map { e throws(Failure) in Self.int(try evaluate(e, &frame)) } ?? 0
                let h = try hi.map { e throws(Failure) in Self.int(try evaluate(e, &frame)) } ?? x.count
                let s = try st.map { e throws(Failure) in Self.int(try evaluate(e, &frame)) } ?? 1
                guard let l, let h, s == 1 else { return .unknown }
                let a = Self.clampIndex(l, x.count), z = Self.clampIndex(h, x.count)
                return .list(a < z ? Array(x[a..<z]) : [])
            }
            let i = try evaluate(items[0], &frame)
            return try builtin("__getitem__", [b, i], [])
        case .call(let f, let args, let keywords):
            return try evaluateCall(f, args, keywords, &frame)
        }
    }

    static func clampIndex(_ i: Int, _ count: Int) -> Int {
        i < 0 ? max(0, count + i) : min(i, count)
    }

    static func identity(_ l: Value, _ r: Value) -> Bool? {
        switch (l, r) {
        case (.none, .none): return true
        case (.unknown, _), (_, .unknown): return nil
        case (.none, _), (_, .none): return false
        default: return nil
        }
    }

    func attribute(_ base: Value, _ name: String) -> Value {
        guard case .module(let path, let type) = base else { return .unknown }
        let p = Self.child(path, name)
        if let v = state[p] { return v }
        let cls = program.classes[type]
        if let t = cls?.attributeTypes[name], program.classes[t] != nil { return .module(path: p, type: t) }
        if weights[p] != nil { return .tensor(p, scalar: nil) }
        if let c = archive.attributes[p] { return Self.constant(c) }
        if let e = cls?.constants[name] { return Self.literal(e) }
        return .unknown
    }

    /// A class constant's value (literals only: constants are printed as such).
    static func literal(_ e: Expr) -> Value {
        switch e {
        case .int(let n): return Int(exactly: n).map(Value.int) ?? .unknown
        case .float(let f): return .float(f)
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .none: return .none
        case .list(let x): return .list(x.map(literal))
        case .tuple(let x): return .tuple(x.map(literal))
        case .unary("-", .int(let n)): return Int(exactly: n).flatMap { $0 == .min ? nil : Value.int(-$0) } ?? .unknown
        case .unary("-", .float(let f)): return .float(-f)
        default: return .unknown
        }
    }

    mutating func evaluateCall(_ f: Expr, _ argExprs: [Expr], _ kwExprs: [(String, Expr)], _ frame: inout Frame) throws(Failure) -> Value {
        // `annotate(T, v)`, `uninitialized(T)`: the type is not evaluated.
        if let d = f.dotted {
            if d == "annotate", argExprs.count == 2 { return try evaluate(argExprs[1], &frame) }
            if d == "uninitialized" || d == "isinstance" || d.hasSuffix(".__new__") { return .unknown }
        }
        var args: [Value] = []
        for a in argExprs { args.append(try evaluate(a, &frame)) }
        var keywords: [(String, Value)] = []
        for (k, e) in kwExprs { keywords.append((k, try evaluate(e, &frame))) }

        // A method of a module: `(self.conv).forward(x)`, `(self).reset_states()`.
        if case .attribute(let baseExpr, let method) = f, f.dotted.map({ !$0.hasPrefix("torch.") && !$0.hasPrefix("ops.") && !$0.hasPrefix("__torch__.") }) ?? true {
            let base = try evaluate(baseExpr, &frame)
            if case .module(_, let type) = base {
                guard let m = program.classes[type]?.methods[method] else { return .unknown }
                return try call(m, arguments: args, keywords: keywords, selfValue: base)
            }
            return .unknown
        }
        if case .name(let n) = f, case .function(let q)? = frame.locals[n], let fn = program.functions[q] {
            return try call(fn, arguments: args, keywords: keywords, selfValue: nil)
        }
        guard let d = f.dotted else { return .unknown }
        if d == "getattr", args.count >= 2, case .string(let n) = args[1] { return attribute(args[0], n) }
        if let fn = program.functions[d] { return try call(fn, arguments: args, keywords: keywords, selfValue: nil) }
        // `torch.append(list, x)` grows the list a local names.
        if d == "torch.append", argExprs.count == 2, case .name(let n) = argExprs[0] {
            if case .list(var x) = args[0], x.count < Self.maxElements {
                // The list is copied to grow it: its length is the work.
                try charge(x.count / Self.elementsPerStep)
                x.append(args[1])
                frame.locals[n] = .list(x)
            } else { frame.locals[n] = .unknown }
            return .none
        }
        var op = d
        for prefix in ["torch.nn.functional.", "torch._C._nn.", "torch._C._fft.", "torch.", "ops.prim.", "ops.aten.", "ops."] where op.hasPrefix(prefix) {
            op.removeFirst(prefix.count)
            break
        }
        if op.contains(".") { return .unknown }
        // A tensor read into a scalar (`_0 = bool(gt(sum(x), 100.))` before a while loop): the run reads its value,
        // so the calls that made it are not dead code.
        if Self.scalarReads.contains(op) { decisions.formUnion(Self.tensors(args)) }
        return try builtin(op, args, keywords)
    }
}

/// A TorchScript module's `forward` as a graph of ATen calls at given input shapes.
/// The scalar kinds of `forward` parameter an integer from the manifest binds.
public enum TorchScriptValueKind: Sendable { case int, float, bool }

public struct TorchScriptGraph: Sendable {
    /// The model with the evaluated calls as its main graph and its inputs and outputs at the shapes evaluated.
    public var model: Model
    /// Tensor inputs of `forward` that `inputs` gave no shape for (`x: unknown rank`), and dimensions it left
    /// open, taken as 1 (`x[2] (free)`).
    public var missingInputs: [String]
}

extension Model {
    /// Whether the model is a TorchScript archive whose code was read.
    public var hasTorchScriptCode: Bool { torchScript.map { $0.whyNotRead == nil } ?? false }

    /// Why a TorchScript archive's code was not read, naming the file and line; nil when it was.
    public var torchScriptFailure: String? { torchScript?.whyNotRead }

    /// The root module's `forward` parameters after `self`, with their declared types (`Tensor`, `int`; empty when
    /// undeclared, which TorchScript takes as a tensor); nil when the archive's code was not read.
    public var torchScriptForwardParameters: [(name: String, type: String)]? {
        guard let archive = torchScript, torchScriptFailure == nil, let root = archive.rootClass,
              let forward = archive.program.classes[root]?.methods["forward"]
        else { return nil }
        return zip(forward.parameters.dropFirst(), forward.parameterTypes.dropFirst()).map { (name: $0.0, type: $0.1) }
    }

    /// The value a `forward` parameter of `type` takes from an integer the manifest gives (`sr: 16000`): an `int`
    /// as it is, a `float` as the same number, a `bool` from 0 or 1; nil for a type no integer stands for.
    public static func torchScriptArgument(_ value: Int, type: String) -> TorchScriptValueKind? {
        switch type {
        case "int": return .int
        case "float": return .float
        case "bool": return value == 0 || value == 1 ? .bool : nil
        default: return nil
        }
    }

    /// Evaluates the root module's `forward` with `inputs`' shapes (by parameter name; a single tensor
    /// parameter takes a single input of another name), or nil when the archive's code was not read. An
    /// evaluation that exceeds its limits keeps the calls made so far and names the limit as a call left out.
    /// `scalars` gives `int` (and `float`, `bool`) parameters' values (`sr` of a model whose forward takes a sample rate).
    public func torchScriptGraph(inputs: [String: [Int?]], scalars: [String: Int] = [:]) -> TorchScriptGraph? {
        guard let archive = torchScript, torchScriptFailure == nil, let root = archive.rootClass,
              let forward = archive.program.classes[root]?.methods["forward"]
        else { return nil }
        var weights: [String: [Int]] = [:]
        for t in tensors { weights[t.name] = t.shape }
        var e = TorchScriptEvaluator(archive: archive, weights: weights)
        var missing: [String] = []
        var graphInputs: [ValueInfo] = []
        var arguments: [TorchScriptEvaluator.Value] = []
        let params = Array(forward.parameters.dropFirst())
        let types = Array(forward.parameterTypes.dropFirst())
        let tensorParams = zip(params, types).filter { $0.1.isEmpty || $0.1 == "Tensor" || $0.1.hasPrefix("Optional[Tensor") }.map(\.0)
        for (p, type) in zip(params, types) {
            let isTensor = type.isEmpty || type == "Tensor"
            guard isTensor else {
                var argument = TorchScriptEvaluator.Value.unknown
                if let v = scalars[p], let kind = Model.torchScriptArgument(v, type: type) {
                    switch kind {
                    case .int: argument = .int(v)
                    case .float: argument = .float(Double(v))
                    case .bool: argument = .bool(v != 0)
                    }
                }
                arguments.append(argument)
                continue
            }
            var given = inputs[p]
            if given == nil, tensorParams.count == 1, inputs.count == 1 { given = inputs.values.first }
            guard let dims = given else {
                missing.append("\(p): unknown rank")
                graphInputs.append(ValueInfo(name: p, dtype: nil, shape: nil))
                arguments.append(.tensor(p, scalar: nil))
                continue
            }
            var shape: [Int] = [], declared: [Dimension] = []
            for (k, d) in dims.enumerated() {
                if let d, d >= 0 { shape.append(d); declared.append(.fixed(d)) } else {
                    shape.append(1)
                    declared.append(.named("free"))
                    missing.append("\(p)[\(k)] (free)")
                }
            }
            e.shapes[p] = shape
            graphInputs.append(ValueInfo(name: p, dtype: .float32, shape: declared))
            arguments.append(.tensor(p, scalar: nil))
        }
        var result: TorchScriptEvaluator.Value = .unknown
        do {
            result = try e.call(forward, arguments: arguments, keywords: [], selfValue: .module(path: "", type: root))
        } catch {
            e.nodes.append(Node(name: error.message, opType: "evaluation stopped: \(error.message)", domain: "aten", version: nil,
                                builtinCode: nil, inputs: [], outputs: [], attributes: [:]))
        }
        e.removeDeadCalls(keeping: Set(TorchScriptEvaluator.tensors([result] + Array(e.state.values))))
        let outputs = TorchScriptEvaluator.tensors([result]).map { id in
            ValueInfo(name: id, dtype: nil, shape: e.shapes[id].map { $0.map(Dimension.fixed) })
        }
        var g = Graph(name: "torchscript", parent: nil, nodes: e.nodes, inputs: graphInputs, outputs: outputs)
        for (name, s) in e.shapes where weights[name] == nil {
            g.tensorShapes.append(TensorShape(name: name, shape: s, signature: s, dtype: nil))
        }
        g.tensorShapes.sort { $0.name < $1.name }
        var m = self
        m.graphs = [g]
        m.inputs = graphInputs
        m.outputs = outputs
        return TorchScriptGraph(model: m, missingInputs: missing)
    }
}

/// The parser and evaluator on one code file alone, for the fuzz entry (`fuzz-torchscript`): fuzzing a whole
/// archive rarely reaches them, since torch deflates its code. `source` is read as `code/__torch__.py`; the
/// `forward` of its first class (by name) is evaluated with an input of `shape`. Returns the calls made, or why
/// the file was refused.
public enum TorchScriptSourceCheck {
    public static func run(_ source: [UInt8], shape: [Int]) -> (calls: Int, failure: String?) {
        var program = TorchScriptProgram()
        do { try program.parse(source, path: "code/__torch__.py", module: "__torch__") } catch { return (0, error.message) }
        guard let root = program.classes.keys.sorted().first, let forward = program.classes[root]?.methods["forward"] else { return (0, nil) }
        var e = TorchScriptEvaluator(archive: TorchScriptArchive(program: program, rootClass: root, attributes: [:]), weights: [:])
        e.shapes["x"] = shape
        let args = forward.parameters.dropFirst().map { _ in TorchScriptEvaluator.Value.tensor("x", scalar: nil) }
        do { _ = try e.call(forward, arguments: Array(args), keywords: [], selfValue: .module(path: "", type: root)) } catch {
            return (e.nodes.count, error.message)
        }
        return (e.nodes.count, nil)
    }
}
