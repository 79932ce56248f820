#if canImport(Glibc)
import Glibc
#endif

/// How far an output's distribution in production moved from a reference (the test set's outputs), over
/// ten bins cut at the reference's deciles (so each holds a tenth of the reference).
public enum Drift {
    /// The bin edges: the reference's 10th … 90th percentiles (numpy's linear method).
    static func edges(reference sorted: [Double]) -> [Double] {
        (1...9).compactMap { Quantiles.linear(Double($0) / 10, sorted: sorted) }
    }

    /// The share of values in each bin; a value equal to an edge falls in the upper bin.
    static func shares(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count + 1)
        for v in values where !v.isNaN {
            var lo = 0, hi = edges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if v < edges[mid] { hi = mid } else { lo = mid + 1 }
            }
            counts[lo] += 1
        }
        let total = counts.reduce(0, +)
        return total > 0 ? counts.map { $0 / total } : counts
    }

    /// The reference's bins and their shares, cut once for every measure taken against it.
    public struct Bins: Sendable {
        let edges: [Double]
        let referenceShares: [Double]

        /// Nil when the reference holds no number.
        public init?(reference: [Double]) {
            let sorted = reference.filter { !$0.isNaN }.sorted()
            guard !sorted.isEmpty else { return nil }
            edges = Drift.edges(reference: sorted)
            referenceShares = Drift.shares(sorted, edges: edges)
        }

        /// Population stability index Σ (p − q)·ln(p / q), each share floored at 1e-4 so an empty bin counts
        /// as rare rather than infinite (the usual convention; 0.1 moderate, 0.25 large shift).
        public func psi(observed: [Double]) -> Double? {
            guard !observed.isEmpty else { return nil }
            let p = Drift.shares(observed, edges: edges)
            var s = 0.0
            for (pi, qi) in zip(p, referenceShares) {
                let a = max(pi, 1e-4), b = max(qi, 1e-4)
                s += (a - b) * log(a / b)
            }
            return s
        }

        /// Jensen–Shannon distance (the square root of the divergence, base 2: 0 same, 1 disjoint), as
        /// `scipy.spatial.distance.jensenshannon(p, q, base=2)` computes it over the same bins.
        public func jensenShannon(observed: [Double]) -> Double? {
            guard !observed.isEmpty else { return nil }
            let p = Drift.shares(observed, edges: edges)
            var d = 0.0
            for (pi, qi) in zip(p, referenceShares) {
                let m = (pi + qi) / 2
                if pi > 0 { d += pi * log2(pi / m) / 2 }
                if qi > 0 { d += qi * log2(qi / m) / 2 }
            }
            return max(d, 0).squareRoot()
        }
    }

    public static func psi(reference: [Double], observed: [Double]) -> Double? {
        Bins(reference: reference)?.psi(observed: observed)
    }

    public static func jensenShannon(reference: [Double], observed: [Double]) -> Double? {
        Bins(reference: reference)?.jensenShannon(observed: observed)
    }
}
