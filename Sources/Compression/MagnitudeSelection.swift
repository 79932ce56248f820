/// The exact k-th smallest |x| by radix selection on the float bit pattern (for non-negative floats the
/// bit pattern orders like the value; NaN sorts last, as in numpy): a 2048-bucket histogram of the top 11
/// bits in the first pass, the values of the one bucket that holds rank k collected in the second pass, and
/// two 1024-bucket histograms over those. O(n), no sort, and no copy of the tensor.
enum MagnitudeSelection {
    static let buckets = 2048
    static let shift: UInt32 = 20
    /// Buckets at or above this hold ±Inf and NaN.
    static let nonFiniteBucket = Int(0x7F80_0000 >> 20)

    @inline(__always) static func magnitudeBits(_ x: Float) -> UInt32 { x.bitPattern & 0x7FFF_FFFF }

    /// Adds the top-bit histogram of |p[0..<n]| into `hist` and the Σx² of each bucket into `energy` (finite
    /// values only), so that the energy above any bucket is known without another look at the values. Four
    /// interleaved sub-histograms, so that runs of similar magnitudes do not serialise on one counter.
    static func histogram(_ p: UnsafePointer<Float>, _ n: Int, into hist: UnsafeMutablePointer<UInt32>,
                          energy: UnsafeMutablePointer<Double>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 4 * buckets) { sub in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * buckets) { esub in
            guard let h = sub.baseAddress, let e = esub.baseAddress else { return }
            h.initialize(repeating: 0, count: 4 * buckets)
            e.initialize(repeating: 0, count: 4 * buckets)
            let u = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
            var i = 0
            while i + 4 <= n {
                for k in 0..<4 {
                    let b = Int((u[i + k] & 0x7FFF_FFFF) >> shift) &+ k &* buckets
                    let x = Double(p[i + k])
                    h[b] &+= 1
                    e[b] += x * x
                }
                i += 4
            }
            while i < n {
                let b = Int((u[i] & 0x7FFF_FFFF) >> shift)
                h[b] &+= 1
                e[b] += Double(p[i]) * Double(p[i])
                i += 1
            }
            for b in 0..<buckets {
                hist[b] &+= h[b] &+ h[b + buckets] &+ h[b + 2 * buckets] &+ h[b + 3 * buckets]
                // Inf and NaN land in the top buckets; their energy is left out like everywhere else.
                if b < nonFiniteBucket {
                    energy[b] += (e[b] + e[b + buckets]) + (e[b + 2 * buckets] + e[b + 3 * buckets])
                }
            }
        }}
    }

    /// The bucket holding rank k (0-based) and the count of values in lower buckets; nil if k is out of range.
    static func locate(rank k: Int, in hist: [Int]) -> (bucket: Int, below: Int)? {
        var cum = 0
        for (b, c) in hist.enumerated() {
            if k < cum + c { return (b, cum) }
            cum += c
        }
        return nil
    }

    /// Second pass over one chunk: the bit patterns of the |x| that fall in bucket `b0` or `b1` (the tensor's
    /// and the model's target buckets), into `out`, which must hold this chunk's count of both plus one.
    /// Stores are unconditional and the cursor only advances on a match: no unpredictable branch (a vector
    /// "any lane in the bucket?" test mispredicts about half the time when the bucket holds ~10 % of values).
    static func collect(_ p: UnsafePointer<Float>, _ n: Int, _ b0: UInt32, _ b1: UInt32,
                        into out: UnsafeMutablePointer<UInt32>) -> Int {
        var k = 0
        let u = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
        for i in 0..<n {
            let m = u[i] & 0x7FFF_FFFF
            let b = m >> shift
            let h0 = b == b0 ? 1 : 0, h1 = b == b1 ? 1 : 0  // not ||, which compiles to a branch
            out[k] = m
            k &+= h0 | h1
        }
        return k
    }

    /// Second-level bins (bits 19…9) of the values in bucket `b0` into `h0`, and in `b1` into `h1` (each of
    /// `buckets + 1` counters, the last a sink for the other values): for models whose target buckets hold
    /// too many values to collect.
    static func level2(_ p: UnsafePointer<Float>, _ n: Int, _ b0: UInt32, _ h0: UnsafeMutablePointer<UInt32>,
                       _ b1: UInt32, _ h1: UnsafeMutablePointer<UInt32>) {
        let u = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
        for i in 0..<n {
            let m = u[i] & 0x7FFF_FFFF
            let b = m >> shift
            let l = Int((m >> 9) & 0x7FF)
            h0[b == b0 ? l : buckets] &+= 1
            h1[b == b1 ? l : buckets] &+= 1
        }
    }

    /// Third pass of the two-level selection: the values whose top 22 bits are `p0` or `p1`, and the Σx² of
    /// the values in the same top-level bucket above each prefix.
    static func collectRefined(_ p: UnsafePointer<Float>, _ n: Int, _ p0: UInt32, _ p1: UInt32,
                               into out: UnsafeMutablePointer<UInt32>) -> (count: Int, above0: Double, above1: Double) {
        let u = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
        var k = 0
        var e0 = 0.0, e1 = 0.0
        let t0 = p0 >> 11, t1 = p1 >> 11
        for i in 0..<n {
            let m = u[i] & 0x7FFF_FFFF
            let q = m >> 9
            let h0 = q == p0 ? 1 : 0, h1 = q == p1 ? 1 : 0
            out[k] = m
            k &+= h0 | h1
            let x = Double(p[i])
            let b = m >> shift
            e0 += b == t0 && q > p0 ? x * x : 0
            e1 += b == t1 && q > p1 ? x * x : 0
        }
        return (k, e0, e1)
    }

    /// The rank-r smallest of `candidates` (bit patterns sharing their top 11 bits), and how many are smaller.
    static func select(rank r: Int, among candidates: [UInt32]) -> (bits: UInt32, less: Int)? {
        guard r >= 0, r < candidates.count, let first = candidates.first else { return nil }
        var prefix = first & 0xFFF0_0000
        var less = 0
        var rank = r
        var pool = candidates
        for level in 0..<2 {
            let sh: UInt32 = level == 0 ? 10 : 0
            var h = [Int](repeating: 0, count: 1024)
            for v in pool { h[Int((v >> sh) & 0x3FF)] += 1 }
            guard let (bin, below) = locate(rank: rank, in: h) else { return nil }
            less += below
            rank -= below
            prefix |= UInt32(bin) << sh
            if level == 0 { pool = pool.filter { ($0 >> 10) & 0x3FF == UInt32(bin) } }
        }
        return (prefix, less)
    }
}
