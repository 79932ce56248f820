/// Quantiles as Prometheus and numpy compute them, so figures agree with what people check them against.
enum Quantiles {
    /// `histogram_quantile(q, …)` over cumulative buckets `(upper bound, count)`: linear interpolation inside
    /// the bucket the rank falls in, the lower bound of the first bucket 0, the `+Inf` bucket answered with
    /// the largest finite bound (Prometheus's rules). Nil without observations.
    static func histogram(_ q: Double, buckets: [(le: Double, count: Double)]) -> Double? {
        let b = buckets.sorted { $0.le < $1.le }
        guard let total = b.last?.count, total > 0, b.last?.le == .infinity else { return nil }
        let rank = q * total
        var lowerBound = 0.0, lowerCount = 0.0
        for (i, bucket) in b.enumerated() {
            if bucket.count >= rank {
                if bucket.le == .infinity { return i > 0 ? b[i - 1].le : nil }
                if i == 0 && bucket.le <= 0 { return bucket.le }
                let inBucket = bucket.count - lowerCount
                guard inBucket > 0 else { return bucket.le }
                return lowerBound + (bucket.le - lowerBound) * (rank - lowerCount) / inBucket
            }
            lowerBound = bucket.le
            lowerCount = bucket.count
        }
        return nil
    }

    /// numpy's default (`linear`) quantile of raw values.
    static func linear(_ q: Double, sorted v: [Double]) -> Double? {
        guard !v.isEmpty else { return nil }
        let pos = q * Double(v.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, v.count - 1)
        return v[lo] + (v[hi] - v[lo]) * (pos - Double(lo))
    }
}
