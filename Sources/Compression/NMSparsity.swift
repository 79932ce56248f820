/// An N:M structured-sparsity pattern: at most N non-zeros in every M consecutive weights along the
/// reduction axis (2:4 is what sparse tensor cores run).
public struct NMPattern: Sendable, Hashable, CustomStringConvertible {
    public var n: Int
    public var m: Int
    public init(_ n: Int, _ m: Int) { self.n = n; self.m = m }
    public var description: String { "\(n):\(m)" }
    public static let twoFour = NMPattern(2, 4)
    public static let fourEight = NMPattern(4, 8)
    /// Bounded so that the per-group scratch stays small.
    var isValid: Bool { n >= 1 && n <= m && m <= 64 }
}

struct NMAccum: Sendable {
    var groups = 0
    var compliant = 0
    var energyKept: Double = 0

    mutating func merge(_ o: NMAccum) {
        groups += o.groups
        compliant += o.compliant
        energyKept += o.energyKept
    }
}

enum NMSparsity {
    /// Groups of the tensor viewed as [outer][r][inner], grouping along r. [lo, hi) must start on a group
    /// row (the engine aligns its chunks); a last group shorter than M (r not a multiple of M) counts its
    /// missing members as zeros. Non-finite values count as non-zero and add no energy.
    static func measure(_ p: UnsafePointer<Float>, lo: Int, hi: Int, r: Int, inner: Int,
                        pattern: NMPattern) -> NMAccum {
        var acc = NMAccum()
        guard r > 0, inner > 0, pattern.isValid else { return acc }
        let m = pattern.m, keepN = pattern.n
        withUnsafeTemporaryAllocation(of: Double.self, capacity: m) { sq in
            guard let sq = sq.baseAddress else { return }
            var e = lo
            while e < hi {
                let k = e / inner
                let a = k % r
                let rows = min(m - a % m, r - a, (hi - e) / inner)
                guard rows > 0 else { break }
                let base = p + (e - lo)
                for i in 0..<inner {
                    var nonZero = 0
                    for rr in 0..<rows {
                        let x = base[rr * inner + i]
                        if x != 0 { nonZero += 1 }
                        sq[rr] = isFinite(x) ? Double(x) * Double(x) : 0
                    }
                    // Largest keepN squares: partial selection sort on at most M values.
                    var kept = 0.0
                    let take = min(keepN, rows)
                    for t in 0..<take {
                        var best = t
                        for j in (t + 1)..<max(rows, t + 1) where sq[j] > sq[best] { best = j }
                        let v = sq[best]
                        sq[best] = sq[t]
                        sq[t] = v
                        kept += v
                    }
                    acc.groups += 1
                    if nonZero <= keepN { acc.compliant += 1 }
                    acc.energyKept += kept
                }
                e += rows * inner
            }
        }
        return acc
    }
}
