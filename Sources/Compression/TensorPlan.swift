/// One tensor, validated, with the axes and layouts it is measured with.
struct Item: Sendable {
    let tensor: WeightTensor
    let n: Int
    let channelAxis: Int
    let reductionAxis: Int
    /// Distinct group layouts; layout 0 is per tensor.
    let layouts: [GroupLayout]
    /// For each scheme, its layout index and the note if its granularity had to change.
    let schemeLayout: [Int]
    let fallbacks: [String?]
    let chunkLength: Int

    enum Prepared { case measured(Item), skipped(SkippedTensor) }

    static func make(_ t: WeightTensor, options: CompressionOptions, chunkElements: Int) -> Prepared {
        let n = t.values.count
        let implied = t.shapeElementCount
        guard implied == n else {
            return .skipped(SkippedTensor(name: t.name, reason: .shapeMismatch(shapeElements: implied, values: n),
                                          elements: n))
        }
        guard n > 0 else { return .skipped(SkippedTensor(name: t.name, reason: .empty, elements: 0)) }
        let rank = t.shape.count
        let dims = t.shape.isEmpty ? [1] : t.shape
        func axis(_ a: Int?, default d: Int, what: String) -> (Int, String?) {
            guard let a else { return (d, "\(what) axis unknown; axis \(d) used") }
            let v = a < 0 ? a + rank : a
            if v >= 0 && v < dims.count { return (v, nil) }
            return (d, "\(what) axis \(a) is out of range for rank \(rank); axis \(d) used")
        }
        let (ch, chNote) = axis(t.channelAxis, default: 0, what: "channel")
        let (red, redNote) = axis(t.reductionAxis, default: dims.count - 1, what: "reduction")
        var layouts = [GroupLayout.make(shape: dims, granularity: .perTensor, axis: 0)]
        var schemeLayout: [Int] = []
        var fallbacks: [String?] = []
        for scheme in options.schemes {
            var s = scheme
            let limited = t.perTensorOnly && s.type.isInteger && s.granularity != .perTensor
            if limited { s.granularity = .perTensor }
            let e = s.granularity.effective(dims: dims, channelAxis: ch, reductionAxis: red)
            let axisNote: String? = {
                switch s.granularity {
                case .perTensor: return nil
                case .perChannel: return chNote
                case .perBlock: return e.note == nil ? redNote : chNote
                }
            }()
            let limit: String? = limited ? "the runtime stores one scale for this tensor; measured per tensor" : nil
            let note = [axisNote, e.note, limit].compactMap { $0 }.joined(separator: "; ")
            let l = GroupLayout.make(shape: dims, granularity: e.granularity, axis: e.axis)
            if let i = layouts.firstIndex(of: l) { schemeLayout.append(i) } else {
                layouts.append(l)
                schemeLayout.append(layouts.count - 1)
            }
            fallbacks.append(note.isEmpty ? nil : note)
        }
        // N:M groups and scale blocks must not straddle two chunks: align chunks to whole group rows. An
        // alignment beyond the tensor means one chunk for the whole tensor.
        var align = 1
        if let p = options.pruning, !p.patterns.isEmpty {
            let r = dims[red]
            let inner = dims[(red + 1)...].reduce(1, *)
            let l = p.patterns.reduce(1) { lcm($0, $1.m) }
            align = r % l == 0 ? l * inner : r * inner
        }
        for l in layouts where l.isChunkLocal { align = min(lcm(align, l.alignment), n) }
        let base = min(max(chunkElements, 1024), 1 << 26)
        let chunk = min(((base + align - 1) / align) * align, max(n, 1))
        return .measured(Item(tensor: t, n: n, channelAxis: ch, reductionAxis: red, layouts: layouts,
                             schemeLayout: schemeLayout, fallbacks: fallbacks, chunkLength: max(chunk, 1)))
    }

    static func lcm(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        guard x != 0 else { return 0 }
        let (p, overflow) = (a / x).multipliedReportingOverflow(by: b)
        return overflow ? Int.max : p  // callers clamp to the tensor size
    }

    var dims: [Int] { tensor.shape.isEmpty ? [1] : tensor.shape }

    /// Runs `body` on values [lo, hi), copying them into `scratch` only for chunked sources.
    func withValues(_ lo: Int, _ hi: Int, scratch: UnsafeMutablePointer<Float>,
                    _ body: (UnsafePointer<Float>) -> Void) throws {
        switch tensor.values {
        case .buffer(let b):
            guard let base = b.baseAddress else { return }
            body(base + lo)
        case .array(let a):
            a.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { body(base + lo) }
            }
        case .chunks(_, let fill):
            try fill(lo..<hi, UnsafeMutableBufferPointer(start: scratch, count: hi - lo))
            body(UnsafePointer(scratch))
        }
    }
}
