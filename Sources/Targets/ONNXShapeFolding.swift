import ModelFormats

/// Shape arithmetic evaluated during the walk. Exporters compute Reshape targets, Expand shapes, Resize sizes
/// and Slice bounds at run time (`Shape → Gather → Unsqueeze → Concat → Reshape`, PyTorch's `x.view(x.size(0),
/// -1)`); the analysis follows those chains on small integer tensors so the shapes after them are known.
/// Every operation is checked: an overflow or a division by zero leaves the value unknown, never traps.
extension Analyzer {
    /// Integer tensors of at most this many elements are evaluated.
    static let foldLimit = 64

    func value(_ args: Operands, _ i: Int) -> [Int]? {
        guard i < args.inputs.count else { return nil }
        let v = args.input(i)
        return v == ValueIDs.empty ? nil : values[v]
    }

    /// The small float constants (Resize scales), read from initializers and Constant nodes.
    func floatValue(_ args: Operands, _ i: Int) -> [Float]? {
        guard i < args.inputs.count else { return nil }
        let v = args.input(i)
        return v == ValueIDs.empty ? nil : floats[v]
    }

    /// Records the values of `Constant` attributes other than `value` (`value_int`, `value_ints`,
    /// `value_float`, `value_floats`), with their shapes.
    mutating func constantAttribute(_ node: Node, _ args: Operands) -> Bool {
        guard !args.outputs.isEmpty, case let out = args.output(0), out != ValueIDs.empty else { return false }
        switch (node.attributes["value_int"], node.attributes["value_ints"], node.attributes["value_float"], node.attributes["value_floats"]) {
        case (.int(let v)?, _, _, _):
            values[out] = [Int(truncatingIfNeeded: v)]
            shapes[out] = []
        case (_, .ints(let v)?, _, _):
            if v.count <= Self.foldLimit { values[out] = v.map { Int(truncatingIfNeeded: $0) } }
            shapes[out] = [v.count]
        case (_, _, .float(let f)?, _):
            floats[out] = [f]
            shapes[out] = []
        case (_, _, _, .floats(let f)?):
            if f.count <= Self.foldLimit { floats[out] = f }
            shapes[out] = [f.count]
        default:
            return false
        }
        isConstant[out] = true
        return true
    }

    /// Evaluates `node` on known small integer inputs; the result goes to `values` of its first output.
    mutating func fold(_ node: Node, _ args: Operands, ins: [[Int]?]) {
        guard !args.outputs.isEmpty, case let out = args.output(0), out != ValueIDs.empty else { return }
        // Every rule below but Shape's and Size's reads a known input value: without one there is nothing to fold.
        guard args.inputs.contains(where: { $0 != ValueIDs.empty && values[$0] != nil }) || node.opType == "Shape" || node.opType == "Size"
        else { return }
        var result: [Int]?
        switch node.opType {
        case "Shape":
            if let x = ins.first ?? nil { result = Array(x[shapeRange(node, rank: x.count)]) }
        case "Size":
            if let x = ins.first ?? nil { result = [Shapes.volume(x)] }
        case "Identity", "Cast", "Squeeze", "Unsqueeze", "Flatten", "Reshape":
            result = value(args, 0)  // values are kept flat: these change only the shape
        case "Expand":
            if let v = value(args, 0), v.count == 1, let target = value(args, 1), let n = Shapes.checkedVolume(target) {
                result = n <= Self.foldLimit ? Array(repeating: v[0], count: n) : nil
            }
        case "Gather":
            if let data = value(args, 0), let idx = value(args, 1), int(node, "axis", 0) == 0 || (ins.first ?? nil)?.count == 1 {
                var r: [Int] = []
                for i in idx {
                    let j = i < 0 ? i &+ data.count : i
                    guard data.indices.contains(j) else { return }
                    r.append(data[j])
                }
                result = r
            }
        case "Concat":
            var r: [Int] = []
            for i in node.inputs.indices {
                guard let v = value(args, i) else { return }
                r += v
            }
            result = r
        case "Add", "Sub", "Mul", "Div", "Mod", "Max", "Min":
            if let a = value(args, 0), let b = value(args, 1) { result = Self.elementwise(node.opType, a, b) }
        case "Neg":
            if let a = value(args, 0) { result = a.map { $0 == Int.min ? Int.max : -$0 } }
        case "Abs":
            if let a = value(args, 0) { result = a.map { $0 == Int.min ? Int.max : abs($0) } }
        case "Transpose":
            if let v = value(args, 0), let x = ins.first ?? nil, Shapes.checkedVolume(x) == v.count {
                let perm = ints(node, "perm") ?? Array((0..<x.count).reversed())
                guard perm.count == x.count, Set(perm) == Set(0..<x.count) else { return }
                result = Self.gather(v, shape: x, outShape: perm.map { x[$0] }) { out in
                    var src = [Int](repeating: 0, count: x.count)
                    for (i, p) in perm.enumerated() { src[p] = out[i] }
                    return src
                }
            }
        case "Slice" where (ins.first ?? nil).map({ $0.count > 1 }) == true:
            // A slice of a small N-D value (PyTorch's pad arithmetic reverses a [n, 2] table).
            if let v = value(args, 0), let x = ins.first ?? nil, Shapes.checkedVolume(x) == v.count,
                let starts = value(args, 1), let ends = value(args, 2)
            {
                let axes = node.inputs.count > 3 && !node.inputs[3].isEmpty ? value(args, 3) : Array(0..<starts.count)
                let steps = node.inputs.count > 4 && !node.inputs[4].isEmpty ? value(args, 4) : nil
                guard let axes, steps != nil || node.inputs.count <= 4 || node.inputs[4].isEmpty,
                    let outShape = Self.sliceShape(x, starts: starts, ends: ends, axes: axes, steps: steps)
                else { return }
                var first = [Int](repeating: 0, count: x.count), stride = [Int](repeating: 1, count: x.count)
                for (i, a) in axes.enumerated() {
                    guard let ax = Self.axis(a, rank: x.count), ax < x.count else { return }
                    let step = steps?[i] ?? 1, d = x[ax]
                    var st = starts[i] < 0 ? starts[i] &+ d : starts[i]
                    st = step > 0 ? min(max(st, 0), d) : min(max(st, 0), d - 1)
                    first[ax] = st
                    stride[ax] = step
                }
                result = Self.gather(v, shape: x, outShape: outShape) { out in
                    out.indices.map { first[$0] &+ out[$0] &* stride[$0] }
                }
            }
        case "Slice":
            if let v = value(args, 0), let x = ins.first ?? nil, x.count == 1, let starts = value(args, 1), let ends = value(args, 2),
                starts.count == 1, ends.count == 1
            {
                let step = value(args, 4)?.first ?? 1
                guard let n = Self.sliceShape([v.count], starts: starts, ends: ends, axes: [0], steps: [step])?.first, n > 0 else {
                    result = []
                    break
                }
                var s = starts[0] < 0 ? starts[0] &+ v.count : starts[0]
                s = step > 0 ? min(max(s, 0), v.count) : min(max(s, 0), v.count - 1)
                var r: [Int] = []
                var i = s
                for _ in 0..<n {
                    guard v.indices.contains(i) else { return }
                    r.append(v[i])
                    let (next, o) = i.addingReportingOverflow(step)
                    if o { break }
                    i = next
                }
                result = r
            }
        case "ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin":
            if let v = value(args, 0), (ins.first ?? nil)?.count ?? 0 <= 1 {
                var acc = node.opType == "ReduceProd" ? 1 : (node.opType == "ReduceSum" ? 0 : (v.first ?? 0))
                for x in v {
                    switch node.opType {
                    case "ReduceProd":
                        let (p, o) = acc.multipliedReportingOverflow(by: x)
                        if o { return }
                        acc = p
                    case "ReduceSum":
                        let (p, o) = acc.addingReportingOverflow(x)
                        if o { return }
                        acc = p
                    case "ReduceMax": acc = max(acc, x)
                    default: acc = min(acc, x)
                    }
                }
                result = [acc]
            }
        case "Range":
            if let s = value(args, 0)?.first, let l = value(args, 1)?.first, let d = value(args, 2)?.first,
                let n = Self.rangeCount(start: s, limit: l, delta: d), n <= Self.foldLimit
            {
                result = (0..<n).map { s &+ $0 &* d }
            }
        case "ConstantOfShape":
            if let dims = value(args, 0), let n = Shapes.checkedVolume(dims), n <= Self.foldLimit {
                // The fill is 0 unless `value` says otherwise; a value the reader did not keep is unknown.
                var fill: Int? = 0
                if let attribute = node.attributes["value"] {
                    fill = nil
                    if case .integers(let v) = attribute, let f = v.first { fill = Int(truncatingIfNeeded: f) }
                }
                if let fill { result = Array(repeating: fill, count: n) }
            }
        case "Equal", "Less", "Greater", "Where", "Not":
            if node.opType == "Where", let c = value(args, 0), let a = value(args, 1), let b = value(args, 2) {
                let n = max(c.count, a.count, b.count)
                guard [c.count, a.count, b.count].allSatisfy({ $0 == n || $0 == 1 }) else { return }
                result = (0..<n).map { i in c[c.count == 1 ? 0 : i] != 0 ? a[a.count == 1 ? 0 : i] : b[b.count == 1 ? 0 : i] }
            } else if let a = value(args, 0), let b = value(args, 1), node.opType != "Where", node.opType != "Not" {
                let n = max(a.count, b.count)
                guard a.count == n || a.count == 1, b.count == n || b.count == 1 else { return }
                result = (0..<n).map { i in
                    let x = a[a.count == 1 ? 0 : i], y = b[b.count == 1 ? 0 : i]
                    switch node.opType {
                    case "Equal": return x == y ? 1 : 0
                    case "Less": return x < y ? 1 : 0
                    default: return x > y ? 1 : 0
                    }
                }
            } else if node.opType == "Not", let a = value(args, 0) {
                result = a.map { $0 == 0 ? 1 : 0 }
            }
        default:
            break
        }
        if let result, result.count <= Self.foldLimit { values[out] = result }
    }

    /// The values of a small N-D tensor (flat, row-major, of `shape`) at the source index `source` gives for each
    /// index of `outShape`; nil when an index falls outside or the output is too large to fold.
    static func gather(_ v: [Int], shape: [Int], outShape: [Int], source: ([Int]) -> [Int]) -> [Int]? {
        guard let n = Shapes.checkedVolume(outShape), n <= foldLimit else { return nil }
        var strides = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] &* shape[i + 1] }
        var out: [Int] = []
        var index = [Int](repeating: 0, count: outShape.count)
        for _ in 0..<n {
            let src = source(index)
            var flat = 0
            for (i, s) in src.enumerated() {
                guard i < shape.count, s >= 0, s < shape[i] else { return nil }
                flat &+= s &* strides[i]
            }
            guard v.indices.contains(flat) else { return nil }
            out.append(v[flat])
            var k = outShape.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < outShape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return out
    }

    /// Opset 15's `start` and `end` of Shape, clamped like Slice's.
    func shapeRange(_ node: Node, rank r: Int) -> Range<Int> {
        var s = int(node, "start", 0), e = int(node, "end", r)
        if s < 0 { s = max(0, s &+ r) }
        if e < 0 { e = max(0, e &+ r) }
        s = min(s, r)
        e = min(max(e, s), r)
        return s..<e
    }

    /// NumPy broadcasting of two flat integer vectors (equal lengths, or one of length 1); nil on overflow or
    /// division by zero.
    static func elementwise(_ op: String, _ a: [Int], _ b: [Int]) -> [Int]? {
        let n = max(a.count, b.count)
        guard a.count == n || a.count == 1, b.count == n || b.count == 1 else { return nil }
        var out: [Int] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            let x = a[a.count == 1 ? 0 : i], y = b[b.count == 1 ? 0 : i]
            let r: (Int, Bool)
            switch op {
            case "Add": r = x.addingReportingOverflow(y)
            case "Sub": r = x.subtractingReportingOverflow(y)
            case "Mul": r = x.multipliedReportingOverflow(by: y)
            // ONNX integer Div truncates toward zero, as C does.
            case "Div": r = y == 0 ? (0, true) : x.dividedReportingOverflow(by: y)
            // Mod with fmod = 0 takes the divisor's sign, as Python does.
            case "Mod":
                if y == 0 { return nil }
                let m = x.remainderReportingOverflow(dividingBy: y)
                if m.overflow { return nil }
                r = ((m.partialValue != 0 && (m.partialValue < 0) != (y < 0)) ? m.partialValue &+ y : m.partialValue, false)
            case "Max": r = (max(x, y), false)
            default: r = (min(x, y), false)
            }
            if r.1 { return nil }
            out.append(r.0)
        }
        return out
    }

    /// ONNX Range's element count: max(ceil((limit - start) / delta), 0); nil for a zero delta or an overflow.
    static func rangeCount(start: Int, limit: Int, delta: Int) -> Int? {
        guard delta != 0 else { return nil }
        let (span, o) = limit.subtractingReportingOverflow(start)
        guard !o else { return nil }
        if (span > 0) != (delta > 0) || span == 0 { return 0 }
        let magnitude = span.magnitude, step = delta.magnitude
        let n = (magnitude + step - 1) / step
        return n <= UInt(Int.max) ? Int(n) : nil
    }
}

extension Shapes {
    /// The product of `dims`, or nil when a dimension is negative or the product overflows.
    static func checkedVolume(_ dims: [Int]) -> Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }
}
