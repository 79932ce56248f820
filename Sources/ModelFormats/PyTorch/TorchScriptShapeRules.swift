import CheckedMath

/// The calls TorchScript code makes, evaluated on abstract values: on integers, lists and bools they compute
/// (checked: an overflow gives an unknown value, never a trap); on tensors they add an ATen node with the output
/// shape ATen's own shape function gives (torch/csrc/jit/runtime/symbolic_shape_registry, the same formulas).
extension TorchScriptEvaluator {
    /// Calls that only read or compute integers, bools and strings: never an ATen node, never left out.
    static let scalarOnly: Set<String> = [
        "size", "dim", "len", "format", "warn", "__not__", "__is__", "__isnot__", "__contains__", "__range_length",
        "__derive_index", "floordiv", "append", "device", "dtype", "NumToTensor", "list", "str", "numel", "__getitem__",
        "Int", "Float", "Bool", "RaiseException", "is_scripting", "unchecked_cast", "is_floating_point", "_unwrap_optional",
        "__interpolate", "is_grad_enabled", "data", "cpu", "set_grad_enabled", "layout", "requires_grad_", "extend", "insert",
    ]

    /// Checked integer arithmetic on values from the file.
    static func add(_ a: Int, _ b: Int) -> Int? { let (r, o) = a.addingReportingOverflow(b); return o ? nil : r }
    static func sub(_ a: Int, _ b: Int) -> Int? { let (r, o) = a.subtractingReportingOverflow(b); return o ? nil : r }
    static func mul(_ a: Int, _ b: Int) -> Int? { let (r, o) = a.multipliedReportingOverflow(by: b); return o ? nil : r }
    static func floorDiv(_ a: Int, _ b: Int) -> Int? {
        guard b != 0, !(a == .min && b == -1) else { return nil }
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
    static func volume(_ s: [Int]) -> Int? {
        var v = 1
        for d in s { guard let p = mul(v, d) else { return nil }; v = p }
        return v
    }

    /// A dimension index as torch takes it (negative from the end), or nil out of range.
    static func axis(_ d: Int?, rank: Int) -> Int? {
        guard let d else { return nil }
        let a = d < 0 ? d + rank : d
        return a >= 0 && a < max(rank, 1) ? a : nil
    }

    static func broadcast(_ shapes: [[Int]]) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            for (k, d) in s.enumerated() {
                let j = rank - s.count + k
                if out[j] == 1 { out[j] = d } else if d != 1 && d != out[j] { return nil }
            }
        }
        return out
    }

    /// Output length of a convolution or pooling window over `length`.
    static func window(_ length: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceil: Bool = false) -> Int? {
        guard stride > 0, kernel > 0, dilation > 0,
              let span = mul(dilation, kernel - 1), let padded = add(length, 2 * padding), let reach = sub(padded, span + 1),
              reach >= 0
        else { return nil }
        var out = reach / stride + 1
        if ceil, reach % stride != 0 {
            out += 1
            // The last window must start inside the input or its left padding (torch's pooling_output_shape).
            if (out - 1) * stride >= length + padding { out -= 1 }
        }
        return out
    }

    /// Per spatial axis: a list of one value stands for every axis (`[1]` → `[1, 1]`).
    static func spread(_ v: [Int]?, _ n: Int, default d: Int) -> [Int]? {
        guard let v else { return [Int](repeating: d, count: n) }
        if v.isEmpty { return [Int](repeating: d, count: n) }
        if v.count == 1 { return [Int](repeating: v[0], count: n) }
        return v.count == n ? v : nil
    }

    mutating func builtin(_ rawName: String, _ a: [Value], _ kw: [(String, Value)]) throws(Failure) -> Value {
        var name = rawName
        // In-place forms compute as their functional forms (`relu_`, `hardtanh_`, `add_`).
        if name.hasSuffix("_") && !name.hasPrefix("_") && !name.hasSuffix("__") { name.removeLast() }
        func arg(_ i: Int, _ key: String) -> Value? {
            if let k = kw.first(where: { $0.0 == key }) { return k.1 }
            return i < a.count ? a[i] : nil
        }
        func int(_ i: Int, _ key: String) -> Int? { arg(i, key).flatMap(Self.int) }
        func ints(_ i: Int, _ key: String) -> [Int]? { arg(i, key).flatMap(Self.ints) }
        let x = a.first.flatMap(shape)
        let anyTensor = a.contains { if case .tensor = $0 { return true }; return false }

        // Integer, bool and list arithmetic. Joining lists or strings copies them: their length is the work.
        if name == "add", a.count == 2 {
            switch (a[0], a[1]) {
            case (.list(let x), .list(let y)): try charge((x.count + y.count) / Self.elementsPerStep)
            case (.string(let x), .string(let y)): try charge((x.utf8.count + y.utf8.count) / Self.elementsPerStep)
            default: break
            }
        }
        let anyUnknown = a.contains { if case .unknown = $0 { return true }; return false }
        if !anyTensor, let v = scalar(name, a) {
            if case .unknown = v, anyUnknown, !Self.scalarOnly.contains(name) { return try emit(name, a, [nil])[0] }
            return v
        }

        switch name {
        case "size":
            guard let s = x else { return .unknown }
            if let d = Self.axis(int(1, "dim"), rank: s.count), a.count > 1 || kw.contains(where: { $0.0 == "dim" }) { return .int(s[d]) }
            if a.count > 1 { return .unknown }
            return .list(s.map(Value.int))
        case "dim": return x.map { .int($0.count) } ?? .unknown
        case "len":
            if let s = x { return s.first.map(Value.int) ?? .unknown }
            return .unknown
        case "numel": return x.flatMap(Self.volume).map(Value.int) ?? .unknown
        case "NumToTensor":
            let id = fresh()
            shapes[id] = []
            return .tensor(id, scalar: a.first.flatMap(Self.int))
        case "Int", "int":
            if case .tensor(_, let s)? = a.first { return s.map(Value.int) ?? .unknown }
            return .unknown
        case "Float", "float", "Bool", "bool", "device", "dtype", "format", "warn", "is_floating_point":
            return .unknown
        // A traced `torch.tensor(…)` / `torch.from_numpy(…)` hands on its constant (`CONSTANTS.c0`) as it is: no
        // node, as the ONNX export writes none (the constant becomes an initializer).
        // `unchecked_cast(Tuple[Tensor, Tensor], hx)`: the type, then the value.
        case "unchecked_cast":
            return a.last ?? .unknown
        case "_unwrap_optional", "detach_", "requires_grad", "data", "cpu", "cuda", "annotate",
             "lift_fresh", "lift", "lift_fresh_copy":
            return a.first ?? .unknown
        case "__getitem__":
            return .unknown
        default: break
        }

        guard anyTensor || Self.creation.contains(name) || ["cat", "stack", "lstm", "gru", "rnn_tanh", "rnn_relu"].contains(name) else {
            // On a value not known here (made in a branch not walked), the call may be a tensor's: it is a node
            // of unknown shape, left out and named, rather than dropped in silence.
            if a.contains(where: { if case .unknown = $0 { return true }; return false }), !Self.scalarOnly.contains(name) {
                return try emit(name, a, [nil])[0]
            }
            return .unknown
        }

        // Same shape as the first input.
        let inPlace = name != rawName
        if Self.sameShape.contains(name) {
            return try emit(name, a, [x], inPlace: inPlace)[0]
        }
        // `div(a, b, rounding_mode="trunc")` on integers: integer division (towards zero, or floor).
        if name == "div", let mode = kw.first(where: { $0.0 == "rounding_mode" })?.1 ?? (a.count > 2 ? a[2] : nil), case .string(let m) = mode {
            name = m == "floor" ? "floor_divide" : m == "trunc" ? "trunc_divide" : name
        }
        if Self.elementwise.contains(name) || name == "neg" || name == "trunc_divide" {
            // Shape arithmetic on 0-d tensors of known value (`floor_divide(NumToTensor(size(x, 1)), CONSTANTS.c0)`):
            // computed here, folded as ONNX folds it, no node.
            let known = a.map { v -> Value? in
                if case .tensor(let id, let s) = v { return s != nil && shapes[id] == [] ? .int(s!) : nil }
                return v
            }
            if !known.contains(where: { $0 == nil }), case .int(let v)? = scalar(name == "floor_divide" ? "floordiv" : name, Array(known.compactMap { $0 }.prefix(2))) {
                let id = fresh()
                shapes[id] = []
                return .tensor(id, scalar: v)
            }
        }
        if Self.elementwise.contains(name) {
            let ss = a.prefix(name == "where" ? 3 : 2).compactMap { v -> [Int]? in
                if case .tensor(let id, _) = v { return shapes[id] ?? [-1] }
                return []
            }
            let out = ss.contains([-1]) ? nil : Self.broadcast(ss)
            return try emit(name, a, [out], inPlace: inPlace && out == x)[0]
        }

        switch name {
        case "_convolution", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution":
            let transposed = name.hasPrefix("conv_transpose") || (["_convolution", "convolution"].contains(name) && (arg(6, "transposed").flatMap(Self.truth) ?? false))
            var out: [Int]? = nil
            var op = name
            if let xs = x, let w = a.count > 1 ? shape(a[1]) : nil, w.count >= 3, xs.count == w.count {
                let n = w.count - 2
                op = transposed ? "conv_transpose\(n)d" : "conv\(n)d"
                let isAten = ["_convolution", "convolution"].contains(name)
                let groupsIndex = isAten ? 8 : (transposed ? 6 : 6)
                let stride = Self.spread(ints(3, "stride"), n, default: 1)
                let dilation = Self.spread(ints(isAten ? 5 : (transposed ? 7 : 5), "dilation"), n, default: 1)
                let groups = int(groupsIndex, "groups") ?? 1
                var padding = Self.spread(ints(4, "padding"), n, default: 0)
                if case .string(let mode)? = arg(4, "padding") {
                    padding = nil
                    if mode == "valid" { padding = [Int](repeating: 0, count: n) }
                    if mode == "same", let st = stride, st.allSatisfy({ $0 == 1 }) { out = [xs[0], w[0]] + xs.suffix(n) }
                }
                let outputPadding = Self.spread(ints(isAten ? 7 : 5, "output_padding"), n, default: 0)
                if out == nil, let stride, let dilation, let padding, groups > 0 {
                    var dims: [Int] = []
                    for k in 0..<n {
                        let l = xs[2 + k], kk = w[2 + k]
                        if transposed {
                            // (L − 1)·s − 2p + d·(k − 1) + output_padding + 1
                            guard let op = outputPadding, let a1 = Self.mul(l - 1, stride[k]), let a2 = Self.mul(dilation[k], kk - 1),
                                  let v = Self.add(a1, a2).flatMap({ Self.sub($0, 2 * padding[k]) }).flatMap({ Self.add($0, op[k] + 1) }), v > 0
                            else { dims = []; break }
                            dims.append(v)
                        } else {
                            guard let v = Self.window(l, kernel: kk, stride: stride[k], padding: padding[k], dilation: dilation[k]) else { dims = []; break }
                            dims.append(v)
                        }
                    }
                    if dims.count == n {
                        let channels = transposed ? Self.mul(w[1], groups) : w[0]
                        if let channels { out = [xs[0], channels] + dims }
                    }
                }
            }
            return try emit(op, Array(a.prefix(3)), [out])[0]
        case "linear":
            guard let xs = x, let w = a.count > 1 ? shape(a[1]) : nil, w.count == 2, xs.last == w[1] else { return try emit(name, Array(a.prefix(3)), [nil])[0] }
            return try emit(name, Array(a.prefix(3)), [xs.dropLast() + [w[0]]])[0]
        case "addmm":
            guard a.count >= 3, let m1 = shape(a[1]), let m2 = shape(a[2]), m1.count == 2, m2.count == 2, m1[1] == m2[0] else { return try emit(name, Array(a.prefix(3)), [nil])[0] }
            return try emit(name, Array(a.prefix(3)), [[m1[0], m2[1]]])[0]
        case "matmul", "mm", "bmm":
            return try emit(name, Array(a.prefix(2)), [Self.matmul(x, a.count > 1 ? shape(a[1]) : nil)])[0]
        case "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "max_pool2d_with_indices":
            let n = Int(String(name.first(where: { $0.isNumber }) ?? "2")) ?? 2
            let isMax = name.hasPrefix("max")
            var out: [Int]? = nil
            let kernel = Self.spread(ints(1, "kernel_size"), n, default: 1)
            if let xs = x, xs.count >= n, let kernel {
                var stride = Self.spread(ints(2, "stride"), n, default: 0)
                if let s = stride, s.allSatisfy({ $0 == 0 }) { stride = kernel }
                let padding = Self.spread(ints(3, "padding"), n, default: 0)
                let dilation = isMax ? Self.spread(ints(4, "dilation"), n, default: 1) : [Int](repeating: 1, count: n)
                let ceil = arg(isMax ? 5 : 4, "ceil_mode").flatMap(Self.truth) ?? false
                if let stride, let padding, let dilation {
                    var dims: [Int] = []
                    for k in 0..<n {
                        guard let v = Self.window(xs[xs.count - n + k], kernel: kernel[k], stride: stride[k], padding: padding[k], dilation: dilation[k], ceil: ceil) else { break }
                        dims.append(v)
                    }
                    if dims.count == n { out = xs.dropLast(n) + dims }
                }
            }
            let attrs: [String: AttributeValue] = kernel.map { ["kernel_size": .ints($0.map(Int64.init))] } ?? [:]
            let outs = try emit(name, [a[0]], name == "max_pool2d_with_indices" ? [out, out] : [out], attributes: attrs)
            return outs.count == 1 ? outs[0] : .tuple(outs)
        case "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d":
            var out: [Int]? = nil
            if let xs = x, let size = ints(1, "output_size"), xs.count >= size.count { out = xs.dropLast(size.count) + size }
            if name.hasPrefix("adaptive_max") {
                let outs = try emit(name, [a[0]], [out, out])
                return .tuple(outs)
            }
            return try emit(name, [a[0]], [out])[0]
        case "mean", "sum", "amax", "amin", "prod", "std", "var", "norm", "logsumexp", "any", "all", "max", "min", "argmax", "argmin":
            // (x, dims, keepdim): the dims reduced (all of them when none given).
            guard let xs = x else { return try emit(name, [a[0]], [nil])[0] }
            if ["max", "min"].contains(name), a.count > 1, case .tensor = a[1] {
                return try emit(name == "max" ? "maximum" : "minimum", a, [Self.broadcast([xs, shape(a[1]) ?? xs])])[0]
            }
            let dimsArg = name == "norm" ? arg(2, "dim") : arg(1, "dim")
            var dims: [Int]? = dimsArg.flatMap(Self.ints)
            if case .none? = dimsArg { dims = nil }
            let keep = (name == "norm" ? arg(3, "keepdim") : arg(2, "keepdim")).flatMap(Self.truth) ?? false
            var out: [Int]
            if let dims, !dims.isEmpty {
                let axes = Set(dims.compactMap { Self.axis($0, rank: xs.count) })
                guard axes.count == dims.count else { return try emit(name, [a[0]], [nil])[0] }
                out = xs.enumerated().compactMap { k, d in axes.contains(k) ? (keep ? 1 : nil) : d }
            } else {
                out = keep ? xs.map { _ in 1 } : []
            }
            let single = dimsArg.map { if case .int = $0 { return true }; return false } ?? false
            if ["max", "min"].contains(name), single {
                return .tuple(try emit(name, [a[0]], [out, out]))
            }
            return try emit(name, [a[0]], [out])[0]
        case "flatten":
            guard let xs = x else { return try emit(name, [a[0]], [nil])[0] }
            if xs.isEmpty { return try emit(name, [a[0]], [[1]])[0] }
            guard let s = Self.axis(int(1, "start_dim") ?? 0, rank: xs.count), let e = Self.axis(int(2, "end_dim") ?? -1, rank: xs.count), s <= e,
                  let mid = Self.volume(Array(xs[s...e]))
            else { return try emit(name, [a[0]], [nil])[0] }
            return try emit(name, [a[0]], [Array(xs[..<s]) + [mid] + Array(xs[(e + 1)...])])[0]
        case "view", "reshape", "_unsafe_view":
            var out: [Int]? = nil
            if let xs = x, let target = ints(1, "shape") ?? ints(1, "size") { out = Self.reshape(xs, target) }
            return try emit(name, [a[0]], [out])[0]
        case "unflatten":
            var out: [Int]? = nil
            if let xs = x, let d = Self.axis(int(1, "dim"), rank: xs.count), let sizes = ints(2, "sizes"),
               let inner = Self.reshape([xs[d]], sizes) {
                out = Array(xs[..<d]) + inner + Array(xs[(d + 1)...])
            }
            return try emit(name, [a[0]], [out])[0]
        case "scaled_dot_product_attention":
            // (q [.., L, E], k [.., S, E], v [.., S, Ev], …) → [.., L, Ev].
            var out: [Int]? = nil
            if let q = x, a.count > 2, let v = shape(a[2]), let ev = v.last, !q.isEmpty { out = q.dropLast() + [ev] }
            return try emit(name, Array(a.prefix(4)), [out])[0]
        case "view_as", "reshape_as", "expand_as", "type_as":
            return try emit(name, Array(a.prefix(2)), [a.count > 1 ? shape(a[1]) : nil])[0]
        case "permute":
            var out: [Int]? = nil
            if let xs = x, let p = ints(1, "dims"), p.count == xs.count {
                let axes = p.compactMap { Self.axis($0, rank: xs.count) }
                if axes.count == xs.count, Set(axes).count == axes.count { out = axes.map { xs[$0] } }
            }
            return try emit(name, [a[0]], [out])[0]
        case "transpose":
            var out: [Int]? = nil
            if let xs = x, let d0 = Self.axis(int(1, "dim0"), rank: xs.count), let d1 = Self.axis(int(2, "dim1"), rank: xs.count) {
                var s = xs
                s.swapAt(d0, d1)
                out = s
            }
            return try emit(name, [a[0]], [out])[0]
        case "t":
            return try emit(name, [a[0]], [x.map { $0.count == 2 ? [$0[1], $0[0]] : $0 }])[0]
        case "unsqueeze":
            var out: [Int]? = nil
            if let xs = x, let d = Self.axis(int(1, "dim"), rank: xs.count + 1) { var s = xs; s.insert(1, at: d); out = s }
            return try emit(name, [a[0]], [out])[0]
        case "squeeze":
            var out: [Int]? = nil
            if let xs = x {
                if a.count > 1 || kw.contains(where: { $0.0 == "dim" }) {
                    let dims = (arg(1, "dim").flatMap(Self.ints) ?? []).compactMap { Self.axis($0, rank: xs.count) }
                    out = xs.enumerated().compactMap { k, d in dims.contains(k) && d == 1 ? nil : d }
                } else {
                    out = xs.filter { $0 != 1 }
                }
            }
            return try emit(name, [a[0]], [out])[0]
        case "cat", "concat", "stack":
            guard case .list(let items)? = arg(0, "tensors") else { return try emit(name, a, [nil])[0] }
            let ss = items.map(shape)
            var out: [Int]? = nil
            if let first = ss.first ?? nil, ss.allSatisfy({ $0 != nil }) {
                let all = ss.compactMap { $0 }
                if name == "stack" {
                    if let d = Self.axis(int(1, "dim") ?? 0, rank: first.count + 1), all.allSatisfy({ $0 == first }) {
                        var s = first; s.insert(all.count, at: d); out = s
                    }
                } else {
                    // torch.cat skips 1-D empty tensors (the legacy `[0]` placeholder).
                    let kept = all.filter { !($0.count == 1 && $0[0] == 0) }
                    if let f = kept.first, let d = Self.axis(int(1, "dim") ?? 0, rank: f.count),
                       kept.allSatisfy({ $0.count == f.count && $0.enumerated().allSatisfy { k, v in k == d || v == f[k] } }) {
                        var total = 0
                        for s in kept { total = Self.add(total, s[d]) ?? -1; if total < 0 { break } }
                        if total >= 0 { var s = f; s[d] = total; out = s }
                    } else if kept.isEmpty {
                        out = first
                    }
                }
            }
            return try emit(name == "concat" ? "cat" : name, items, [out])[0]
        case "slice":
            var out: [Int]? = nil
            if let xs = x, let d = Self.axis(int(1, "dim") ?? 0, rank: xs.count) {
                let n = xs[d]
                let startV = arg(2, "start"), endV = arg(3, "end")
                let start: Int? = { if case .none? = startV { return 0 }; return startV.map { Self.int($0) } ?? 0 }()
                let end: Int? = { if case .none? = endV { return n }; return endV.map { Self.int($0) } ?? n }()
                let step = int(4, "step") ?? 1
                if let start, let end, step > 0 {
                    let s = Self.clampIndex(start, n), e = Self.clampIndex(end, n)
                    var ys = xs
                    ys[d] = e > s ? (e - s + step - 1) / step : 0
                    out = ys
                }
            }
            return try emit(name, [a[0]], [out])[0]
        case "select":
            var out: [Int]? = nil
            if let xs = x, let d = Self.axis(int(1, "dim"), rank: xs.count) { var s = xs; s.remove(at: d); out = s }
            return try emit(name, [a[0]], [out])[0]
        case "narrow":
            var out: [Int]? = nil
            if let xs = x, let d = Self.axis(int(1, "dim"), rank: xs.count), let l = int(3, "length") { var s = xs; s[d] = l; out = s }
            return try emit(name, [a[0]], [out])[0]
        case "expand":
            var out: [Int]? = nil
            if let xs = x, let target = ints(1, "size"), target.count >= xs.count {
                out = target.enumerated().map { k, d in d == -1 ? xs[k - (target.count - xs.count)] : d }
            }
            return try emit(name, [a[0]], [out])[0]
        case "repeat":
            var out: [Int]? = nil
            if let xs = x, let r = ints(1, "repeats"), r.count >= xs.count {
                let padded = [Int](repeating: 1, count: r.count - xs.count) + xs
                let dims = zip(padded, r).compactMap { Self.mul($0, $1) }
                if dims.count == r.count { out = dims }
            }
            return try emit(name, [a[0]], [out])[0]
        case "chunk", "split", "unbind", "split_with_sizes", "unsafe_split", "unsafe_chunk":
            guard let xs = x else { return .unknown }
            let dimIndex = name == "unbind" ? 1 : 2
            guard let d = Self.axis(int(dimIndex, "dim") ?? 0, rank: xs.count) else { return .unknown }
            var sizes: [Int] = []
            switch name {
            case "unbind":
                guard xs[d] <= 4096 else { return .unknown }
                let outs = try emit(name, [a[0]], [[Int]?](repeating: Array(xs[..<d]) + Array(xs[(d + 1)...]), count: xs[d]))
                return .list(outs)
            case "chunk", "unsafe_chunk":
                guard let c = int(1, "chunks"), c > 0 else { return .unknown }
                let each = (xs[d] + c - 1) / c
                var left = xs[d]
                while left > 0 && sizes.count < 4096 { sizes.append(min(each, left)); left -= each }
            default:
                if let list = ints(1, "split_size"), case .list? = arg(1, "split_size") { sizes = list } else if let each = int(1, "split_size"), each > 0 {
                    var left = xs[d]
                    while left > 0 && sizes.count < 4096 { sizes.append(min(each, left)); left -= each }
                }
            }
            guard !sizes.isEmpty else { return .unknown }
            let outs = try emit(name, [a[0]], sizes.map { s in var y = xs; y[d] = s; return y })
            return .list(outs)
        case "embedding":
            // (weight, indices): indices' shape + the embedding width.
            guard a.count >= 2, let w = shape(a[0]), w.count == 2, let idx = shape(a[1]) else { return try emit(name, Array(a.prefix(2)), [nil])[0] }
            return try emit(name, Array(a.prefix(2)), [idx + [w[1]]])[0]
        case "index_select":
            var out: [Int]? = nil
            if let xs = x, let d = Self.axis(int(1, "dim"), rank: xs.count), a.count > 2, let i = shape(a[2]), i.count == 1 { var s = xs; s[d] = i[0]; out = s }
            return try emit(name, [a[0], a.count > 2 ? a[2] : .none], [out])[0]
        case "constant_pad_nd", "pad", "reflection_pad1d", "reflection_pad2d", "replication_pad1d", "replication_pad2d", "zero_pad2d":
            var out: [Int]? = nil
            if let xs = x, let p = ints(1, "pad"), p.count % 2 == 0, p.count / 2 <= xs.count {
                var s = xs
                for k in 0..<(p.count / 2) {
                    let d = xs.count - 1 - k
                    if let v = Self.add(s[d], p[2 * k]).flatMap({ Self.add($0, p[2 * k + 1]) }), v >= 0 { s[d] = v } else { s = []; break }
                }
                if !s.isEmpty || xs.isEmpty { out = s }
            }
            return try emit(name == "pad" ? "constant_pad_nd" : name, [a[0]], [out])[0]
        case "upsample_nearest1d", "upsample_nearest2d", "upsample_bilinear2d", "upsample_linear1d":
            var out: [Int]? = nil
            if let xs = x, let size = ints(1, "output_size"), size.count <= xs.count, !size.isEmpty { out = xs.dropLast(size.count) + size }
            return try emit(name, [a[0]], [out])[0]
        case "lstm", "gru", "rnn_tanh", "rnn_relu":
            return try recurrent(name, a)
        case "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell":
            // (input [B, in], hx, w_ih, w_hh, b_ih, b_hh): LSTM returns (h, c), the others h [B, H].
            var hidden: [Int]? = nil
            let ws = Self.tensors(Array(a.dropFirst(2))).compactMap { shapes[$0] }.filter { $0.count == 2 }
            if let xs = x, xs.count == 2, ws.count >= 2 { hidden = [xs[0], ws[1][1]] }
            if name == "lstm_cell" { return .tuple(try emit(name, a, [hidden, hidden])) }
            return try emit(name, a, [hidden])[0]
        default:
            if Self.creation.contains(name) {
                let size: [Int]? = name.hasSuffix("_like") ? x : (ints(0, "size") ?? (name == "arange" ? nil : nil))
                var out = size
                if name == "arange", let end = int(a.count >= 2 ? 1 : 0, "end") {
                    let start = a.count >= 2 ? int(0, "start") ?? 0 : 0
                    out = end > start ? [end - start] : [0]
                }
                return try emit(name, name.hasSuffix("_like") ? [a[0]] : [], [out])[0]
            }
            // No rule: an output of unknown shape; its node is left out and named.
            return try emit(name, a, [nil])[0]
        }
    }

    /// Ops whose output has the first input's shape.
    static let sameShape: Set<String> = [
        "relu", "relu6", "hardtanh", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid", "leaky_relu", "elu", "selu",
        "celu", "mish", "softplus", "exp", "log", "log1p", "sqrt", "rsqrt", "neg", "abs", "clamp", "clamp_min", "clamp_max",
        "dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout", "contiguous", "clone", "detach", "batch_norm",
        "instance_norm", "layer_norm", "group_norm", "softmax", "log_softmax", "_softmax", "to", "sign", "reciprocal",
        "logical_not", "sin", "cos", "erf", "floor", "ceil", "round", "square", "copy", "fill",
        "zero", "masked_fill", "prelu", "threshold", "hardshrink", "softsign", "bitwise_not", "cumsum", "flip", "roll",
        "normalize", "local_response_norm",
    ]

    /// Ops broadcasting their (first two, or three for `where`) inputs.
    static let elementwise: Set<String> = [
        "add", "sub", "rsub", "mul", "div", "true_divide", "maximum", "minimum", "pow", "eq", "ne", "lt", "le", "gt", "ge",
        "where", "logical_and", "logical_or", "logical_xor", "floor_divide", "remainder", "fmod", "atan2", "bitwise_and",
        "bitwise_or", "__and__", "__or__", "floordiv", "trunc_divide",
    ]

    /// Ops that make a tensor from sizes.
    static let creation: Set<String> = [
        "zeros", "ones", "full", "empty", "rand", "randn", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like",
        "randn_like", "arange", "tensor", "scalar_tensor",
    ]

    static func matmul(_ a: [Int]?, _ b: [Int]?) -> [Int]? {
        guard var x = a, var y = b, !x.isEmpty, !y.isEmpty else { return nil }
        let xVector = x.count == 1, yVector = y.count == 1
        if xVector { x = [1] + x }
        if yVector { y = y + [1] }
        guard x[x.count - 1] == y[y.count - 2] else { return nil }
        guard let batch = broadcast([Array(x.dropLast(2)), Array(y.dropLast(2))]) else { return nil }
        var out = batch + [x[x.count - 2], y[y.count - 1]]
        if yVector { out.removeLast() }
        if xVector { out.remove(at: out.count - (yVector ? 1 : 2)) }
        return out
    }

    /// `view`'s shape: one -1 takes what is left.
    static func reshape(_ from: [Int], _ to: [Int]) -> [Int]? {
        guard let total = volume(from) else { return nil }
        var known = 1, free: Int? = nil
        for (k, d) in to.enumerated() {
            if d == -1 { guard free == nil else { return nil }; free = k; continue }
            guard d >= 0, let p = mul(known, d) else { return nil }
            known = p
        }
        var out = to
        if let free {
            guard known > 0, total % known == 0 else { return nil }
            out[free] = total / known
        } else if known != total {
            return nil
        }
        return out
    }

    /// `torch.lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)` (and gru,
    /// rnn_*, whose hx is one tensor): the output [seq, batch, H·directions] (batch first: [batch, seq, …]) and the
    /// final states [layers·directions, batch, H].
    mutating func recurrent(_ name: String, _ a: [Value]) throws(Failure) -> Value {
        let isLSTM = name == "lstm"
        guard a.count >= 9, let xs = shape(a[0]), xs.count == 3 else {
            return .tuple(try emit(name, a, isLSTM ? [nil, nil, nil] : [nil, nil]))
        }
        let weights = Self.tensors([a[2]]).compactMap { shapes[$0] }.filter { $0.count == 2 }
        let bidirectional = Self.truth(a[7]) ?? false
        let batchFirst = Self.truth(a[8]) ?? false
        let layers = Self.int(a[4]) ?? 1
        var out: [Int]? = nil, state: [Int]? = nil
        if let whh = weights.dropFirst().first {
            let h = whh[1], dirs = bidirectional ? 2 : 1
            let batch = batchFirst ? xs[0] : xs[1]
            out = batchFirst ? [xs[0], xs[1], h * dirs] : [xs[0], xs[1], h * dirs]
            if let n = Self.mul(layers, dirs) { state = [n, batch, h] }
        }
        // ATenAnalyzer's rule reads the input first and the weight matrices as the only rank-2 inputs.
        let inputs: [Value] = [a[0], a[2]]
        return .tuple(try emit(name, inputs, isLSTM ? [out, state, state] : [out, state]))
    }

    /// Calls on integers, floats, bools, strings and lists; nil when `name` is not one or the values are unknown.
    func scalar(_ name: String, _ a: [Value]) -> Value? {
        func i(_ k: Int) -> Int? { k < a.count ? Self.int(a[k]) : nil }
        func f(_ k: Int) -> Double? {
            guard k < a.count else { return nil }
            if case .float(let d) = a[k] { return d }
            return Self.int(a[k]).map(Double.init)
        }
        let isFloat = a.contains { if case .float = $0 { return true }; return false }
        switch name {
        case "add":
            if a.count == 2, case .list(let x) = a[0], case .list(let y) = a[1] {
                return x.count + y.count <= Self.maxElements ? .list(x + y) : .unknown
            }
            if case .string(let x)? = a.first, a.count == 2, case .string(let y) = a[1] {
                return x.utf8.count + y.utf8.count <= Self.maxElements ? .string(x + y) : .unknown
            }
            if isFloat { return f(0).flatMap { x in f(1).map { .float(x + $0) } } ?? .unknown }
            return i(0).flatMap { x in i(1).flatMap { Self.add(x, $0) } }.map(Value.int) ?? .unknown
        case "sub":
            if isFloat { return f(0).flatMap { x in f(1).map { .float(x - $0) } } ?? .unknown }
            return i(0).flatMap { x in i(1).flatMap { Self.sub(x, $0) } }.map(Value.int) ?? .unknown
        case "mul":
            if isFloat { return f(0).flatMap { x in f(1).map { .float(x * $0) } } ?? .unknown }
            return i(0).flatMap { x in i(1).flatMap { Self.mul(x, $0) } }.map(Value.int) ?? .unknown
        case "div":
            return f(0).flatMap { x in f(1).flatMap { $0 == 0 ? nil : Value.float(x / $0) } } ?? .unknown
        case "trunc_divide":
            guard !isFloat, let x = i(0), let y = i(1), y != 0, !(x == .min && y == -1) else { return .unknown }
            return .int(x / y)
        case "floordiv":
            if isFloat { return .unknown }
            return i(0).flatMap { x in i(1).flatMap { Self.floorDiv(x, $0) } }.map(Value.int) ?? .unknown
        case "remainder":
            if isFloat { return .unknown }
            guard let x = i(0), let y = i(1), y != 0, let q = Self.floorDiv(x, y), let p = Self.mul(q, y), let r = Self.sub(x, p) else { return .unknown }
            return .int(r)
        case "neg":
            if case .float(let d)? = a.first { return .float(-d) }
            return i(0).flatMap { Self.sub(0, $0) }.map(Value.int) ?? .unknown
        case "eq", "ne", "lt", "gt", "le", "ge":
            var r: Bool? = nil
            if a.count == 2, case .string(let x) = a[0], case .string(let y) = a[1] { r = x == y }
            if a.count == 2, case .none = a[0], case .none = a[1] { r = true }
            if r == nil, let x = f(0), let y = f(1) {
                switch name {
                case "eq": r = x == y
                case "ne": r = x != y
                case "lt": r = x < y
                case "gt": r = x > y
                case "le": r = x <= y
                default: r = x >= y
                }
            } else if name == "ne", r != nil { r = !r! }
            return r.map(Value.bool) ?? .unknown
        case "__not__": return a.first.flatMap(Self.truth).map { .bool(!$0) } ?? .unknown
        case "__is__": return a.count == 2 ? Self.identity(a[0], a[1]).map(Value.bool) ?? .unknown : .unknown
        case "__isnot__": return a.count == 2 ? Self.identity(a[0], a[1]).map { .bool(!$0) } ?? .unknown : .unknown
        case "__contains__":
            guard a.count == 2, case .list(let x) = a[0], let v = Self.int(a[1]) else { return .unknown }
            let values = x.map(Self.int)
            if values.contains(v) { return .bool(true) }
            return values.contains(nil) ? .unknown : .bool(false)
        case "__range_length":
            guard let lo = i(0), let hi = i(1), let st = i(2), st != 0 else { return .unknown }
            if st > 0 { return .int(hi > lo ? (hi - lo + st - 1) / st : 0) }
            return .int(lo > hi ? (lo - hi - st - 1) / -st : 0)
        case "__derive_index":
            guard let idx = i(0), let start = i(1), let st = i(2), let p = Self.mul(idx, st), let r = Self.add(start, p) else { return .unknown }
            return .int(r)
        case "len":
            if case .list(let x)? = a.first { return .int(x.count) }
            if case .tuple(let x)? = a.first { return .int(x.count) }
            if case .string(let s)? = a.first { return .int(s.count) }
            return .unknown
        case "__getitem__":
            guard a.count == 2, let k = Self.int(a[1]) else { return .unknown }
            switch a[0] {
            case .list(let x), .tuple(let x):
                let j = k < 0 ? x.count + k : k
                return j >= 0 && j < x.count ? x[j] : .unknown
            default: return .unknown
            }
        case "min", "max":
            if case .list(let x)? = a.first, a.count == 1 {
                let v = x.compactMap(Self.int)
                guard v.count == x.count, !v.isEmpty else { return .unknown }
                return .int(name == "min" ? v.min()! : v.max()!)
            }
            guard a.count == 2, !isFloat, let x = i(0), let y = i(1) else { return .unknown }
            return .int(name == "min" ? min(x, y) : max(x, y))
        case "list": return a.first ?? .unknown
        case "Int", "int":
            if case .float(let d)? = a.first, d.isFinite { return .int(Int(saturating: d)) }
            return i(0).map(Value.int) ?? .unknown
        case "Float", "float": return f(0).map(Value.float) ?? .unknown
        case "Bool", "bool": return a.first.flatMap(Self.truth).map(Value.bool) ?? .unknown
        case "format", "warn", "str": return .unknown
        default: return nil
        }
    }
}
