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

    /// Adds the top-bit histogram of |p[0..<n]| into `hist` (`buckets` counters). Four interleaved
    /// sub-histograms, so that runs of similar magnitudes do not serialise on one counter.
    static func histogram(_ p: UnsafePointer<Float>, _ n: Int, into hist: UnsafeMutablePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 4 * buckets) { sub in
            guard let h = sub.baseAddress else { return }
            h.initialize(repeating: 0, count: 4 * buckets)
            let h1 = h + buckets, h2 = h + 2 * buckets, h3 = h + 3 * buckets
            let u = UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self)
            var i = 0
            while i + 4 <= n {
                h[Int((u[i] & 0x7FFF_FFFF) >> shift)] &+= 1
                h1[Int((u[i + 1] & 0x7FFF_FFFF) >> shift)] &+= 1
                h2[Int((u[i + 2] & 0x7FFF_FFFF) >> shift)] &+= 1
                h3[Int((u[i + 3] & 0x7FFF_FFFF) >> shift)] &+= 1
                i += 4
            }
            while i < n {
                h[Int((u[i] & 0x7FFF_FFFF) >> shift)] &+= 1
                i += 1
            }
            for b in 0..<buckets { hist[b] &+= h[b] &+ h1[b] &+ h2[b] &+ h3[b] }
        }
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

    /// Second pass over one chunk: for each target bucket, Σx² of the finite values in higher buckets, and
    /// the bit patterns of the values inside the bucket.
    struct Target: Sendable {
        var bucket: Int
        var energyAbove: Double = 0
        var candidates: [UInt32] = []
    }

    static func collect(_ p: UnsafePointer<Float>, _ n: Int, _ targets: inout [Target]) {
        for t in targets.indices {
            let bucket = UInt32(clamping: targets[t].bucket)
            var cand = targets[t].candidates
            targets[t].candidates = []
            let vb = SIMD8<UInt32>(repeating: bucket)
            let vinf = SIMD8<UInt32>(repeating: UInt32(nonFiniteBucket))
            var e0 = D4(), e1 = D4()
            var i = 0
            while i + 8 <= n {
                let x = load8(p, i)
                let b = (unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF) &>> shift
                let above = (b .> vb) .& (b .< vinf)
                let xa = F8(repeating: 0).replacing(with: x, where: above)
                let lo = D4(xa.lowHalf), hi = D4(xa.highHalf)
                e0 += lo * lo
                e1 += hi * hi
                if any(b .== vb) {
                    for j in 0..<8 where b[j] == bucket { cand.append(magnitudeBits(x[j])) }
                }
                i += 8
            }
            var tail = 0.0
            while i < n {
                let mb = magnitudeBits(p[i])
                let b = mb >> shift
                if b > bucket && Int(b) < nonFiniteBucket { tail += Double(p[i]) * Double(p[i]) }
                if b == bucket { cand.append(mb) }
                i += 1
            }
            targets[t].energyAbove += (e0 + e1).sum() + tail
            targets[t].candidates = cand
        }
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
