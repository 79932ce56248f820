import Compression
import ModelFormats

/// Magnitude pruning written into the values: the same rules whose sparsity and energy the engine reports.
enum Pruner {
    /// Zeroes every |x| < threshold (the engine's convention: the threshold value itself is kept).
    static func zeroBelow(_ threshold: Float, _ values: inout [Float]) {
        for i in values.indices where abs(values[i]) < threshold { values[i] = 0 }
    }

    /// In each run of M consecutive values along `axis` (the tensor viewed as [outer][r][inner]), keeps the
    /// N largest |x| and zeroes the rest; ties keep the earlier value, so the result is deterministic. A last
    /// run shorter than M keeps at most N values too.
    static func applyPattern(_ p: NMPattern, shape: [Int], axis: Int, _ values: inout [Float]) {
        let dims = shape.isEmpty ? [1] : shape
        guard axis >= 0, axis < dims.count, p.n >= 1, p.m >= p.n else { return }
        let r = dims[axis]
        // Products that overflow (a zero dimension lets the file's other dimensions be anything) match no tensor.
        guard let inner = ElementCount.of(Array(dims[(axis + 1)...])), let outer = ElementCount.of(Array(dims[..<axis])),
              r > 0, inner > 0, ElementCount.of([outer, r, inner]) == values.count else { return }
        var members: [Int] = []
        members.reserveCapacity(p.m)
        for o in 0..<outer {
            for i in 0..<inner {
                var start = 0
                while start < r {
                    members.removeAll(keepingCapacity: true)
                    for k in start..<min(start + p.m, r) { members.append((o * r + k) * inner + i) }
                    if members.count > p.n {
                        let order = members.enumerated().sorted { a, b in
                            let x = abs(values[a.element]), y = abs(values[b.element])
                            return x != y ? x > y : a.offset < b.offset
                        }
                        for (_, e) in order.dropFirst(p.n) { values[e] = 0 }
                    }
                    start += p.m
                }
            }
        }
    }
}
