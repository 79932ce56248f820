/// An N:M structured-sparsity pattern: at most N non-zeros in every M consecutive weights along the
/// reduction axis (2:4 is what sparse tensor cores run).
public struct NMPattern: Sendable, Hashable, CustomStringConvertible {
    public var n: Int
    public var m: Int
    public init(_ n: Int, _ m: Int) { self.n = n; self.m = m }
    public var description: String { "\(n):\(m)" }
    /// `N:M` as written on the command line; nil unless 1 ≤ N ≤ M ≤ 64.
    public init?(parsing s: String) {
        let parts = s.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        self.init(n, m)
        guard isValid else { return nil }
    }
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
    /// Sorting networks (descending) for the group sizes that hardware uses; others take the scalar path.
    static let network4: [(Int, Int)] = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)]
    static let network8: [(Int, Int)] = [
        (0, 2), (1, 3), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7), (0, 1), (2, 3), (4, 5), (6, 7),
        (2, 4), (3, 5), (1, 4), (3, 6), (1, 2), (3, 4), (5, 6),
    ]

    /// Eight groups at once, one per lane: `rows[r]` holds member r of each group as |x|. Sorts the members,
    /// adds the N largest squares to `kept` and counts the groups whose (N+1)-th largest is zero.
    @inline(__always)
    static func lanes(_ rows: UnsafeMutablePointer<F8>, m: Int, n: Int, network: [(Int, Int)], kept: inout D4,
                      compliant: inout Int) {
        for (a, b) in network {
            let x = rows[a], y = rows[b]
            rows[a] = vmax(x, y)
            rows[b] = vmin(x, y)
        }
        for k in 0..<n {
            let lo = D4(rows[k].lowHalf), hi = D4(rows[k].highHalf)
            kept += lo * lo + hi * hi
        }
        if n < m {
            let zero = rows[n] .== F8()
            compliant += Int(SIMD8<Int32>(repeating: 0).replacing(with: 1, where: zero).wrappedSum())
        } else {
            compliant += 8
        }
    }

    /// Groups of the tensor viewed as [outer][r][inner], grouping along r. [lo, hi) must start on a group
    /// row (the engine aligns its chunks); a last group shorter than M (r not a multiple of M) counts its
    /// missing members as zeros. Non-finite values count as non-zero and add no energy (`checked` chunks,
    /// which hold some, take the scalar path).
    static func measure(_ p: UnsafePointer<Float>, lo: Int, hi: Int, r: Int, inner: Int,
                        pattern: NMPattern, checked: Bool = false) -> NMAccum {
        var acc = NMAccum()
        guard r > 0, inner > 0, pattern.isValid else { return acc }
        let m = pattern.m, keepN = pattern.n
        let network: [(Int, Int)]? = checked ? nil : (m == 4 ? network4 : m == 8 ? network8 : nil)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: m) { sq in
        withUnsafeTemporaryAllocation(of: F8.self, capacity: m) { vrows in
            guard let sq = sq.baseAddress, let vrows = vrows.baseAddress else { return }
            var kept = D4()
            let absMask = SIMD8<UInt32>(repeating: 0x7FFF_FFFF)
            @inline(__always) func absLoad(_ q: UnsafePointer<Float>) -> F8 {
                unsafeBitCast(unsafeBitCast(load8(q, 0), to: SIMD8<UInt32>.self) & absMask, to: F8.self)
            }
            /// One group, scalar: members base[0], base[stride], … (`rows` of them).
            @inline(__always) func scalarGroup(_ base: UnsafePointer<Float>, _ stride: Int, _ rows: Int) {
                var nonZero = 0
                for rr in 0..<rows {
                    let x = base[rr * stride]
                    if x != 0 { nonZero += 1 }
                    sq[rr] = isFinite(x) ? Double(x) * Double(x) : 0
                }
                // Largest keepN squares: partial selection sort on at most M values.
                var k = 0.0
                let take = min(keepN, rows)
                for t in 0..<take {
                    var best = t
                    for j in (t + 1)..<max(rows, t + 1) where sq[j] > sq[best] { best = j }
                    let v = sq[best]
                    sq[best] = sq[t]
                    sq[t] = v
                    k += v
                }
                acc.groups += 1
                if nonZero <= keepN { acc.compliant += 1 }
                acc.energyKept += k
            }
            var e = lo
            while e < hi {
                let k = e / inner
                let a = k % r
                let rows = min(m - a % m, r - a, (hi - e) / inner)
                guard rows > 0 else { break }
                let base = p + (e - lo)
                if inner == 1, let network, rows == m {
                    // Contiguous groups: eight of them side by side, member r of group j in lane j.
                    var full = 1
                    while full < 8 {
                        let ee = e + full * m
                        guard ee + m <= hi else { break }
                        let kk = ee % r
                        if kk % m != 0 || r - kk < m { break }
                        full += 1
                    }
                    if full == 8 {
                        for rr in 0..<m {
                            let q = base + rr
                            vrows[rr] = F8(abs(q[0]), abs(q[m]), abs(q[2 * m]), abs(q[3 * m]), abs(q[4 * m]),
                                           abs(q[5 * m]), abs(q[6 * m]), abs(q[7 * m]))
                        }
                        var c = 0
                        lanes(vrows, m: m, n: keepN, network: network, kept: &kept, compliant: &c)
                        acc.groups += 8
                        acc.compliant += c
                        e += 8 * m
                        continue
                    }
                    scalarGroup(base, 1, rows)
                    e += m
                    continue
                }
                var i = 0
                if let network, inner >= 8 {
                    while i + 8 <= inner {
                        for rr in 0..<m { vrows[rr] = rr < rows ? absLoad(base + rr * inner + i) : F8() }
                        var c = 0
                        lanes(vrows, m: m, n: keepN, network: network, kept: &kept, compliant: &c)
                        acc.groups += 8
                        acc.compliant += c
                        i += 8
                    }
                }
                while i < inner {
                    scalarGroup(base + i, inner, rows)
                    i += 1
                }
                e += rows * inner
            }
            acc.energyKept += kept.sum()
        }}
        return acc
    }
}
