/// How far the artifact's outputs are from the original's, over every sample, for one output: the figures
/// `slipway test` reports and judges tolerances on.
public struct OutputMetrics: Sendable, Equatable {
    public var output: String
    public var samples: Int
    /// Mean over samples of the cosine similarity of the flattened outputs (1 when both are zero).
    public var cosineMean: Double
    public var cosineMin: Double
    public var maxAbs: Double
    public var meanAbs: Double
    /// 10·log10(Σ original² / Σ (original − artifact)²) over all samples; nil when the outputs are identical.
    public var sqnrDB: Double?
    /// Shares of samples whose top class agrees / whose original top class is in the artifact's top 5; nil
    /// when the output is not classifier-shaped (a vector of at least two scores per sample).
    public var top1: Double?
    public var top5: Double?
    /// Sample indices from the worst cosine up (at most five).
    public var worstSamples: [Int]
    /// Histogram of |original − artifact| over all values: bin upper edges and counts.
    public var errorHistogram: [(edge: Double, count: Int)]

    public static func == (a: OutputMetrics, b: OutputMetrics) -> Bool {
        a.output == b.output && a.samples == b.samples && a.cosineMean == b.cosineMean && a.maxAbs == b.maxAbs
            && a.sqnrDB == b.sqnrDB && a.top1 == b.top1
    }

    /// `original[i]` and `artifact[i]` are one sample's values of this output (same element count).
    /// `classifier`: the output is one vector of scores per sample ([C] or [1, C]), so top-k agreement applies.
    static func compare(output: String, original: [[Double]], artifact: [[Double]], classifier: Bool) -> OutputMetrics? {
        guard !original.isEmpty, original.count == artifact.count else { return nil }
        var cos: [Double] = []
        var maxAbs = 0.0, sumAbs = 0.0, count = 0
        var signal = 0.0, noise = 0.0
        var agree1 = 0, agree5 = 0, classified = 0
        var diffs: [Double] = []
        for (a, b) in zip(original, artifact) {
            guard a.count == b.count else { return nil }
            var dot = 0.0, na = 0.0, nb = 0.0
            for (x, y) in zip(a, b) {
                dot += x * y
                na += x * x
                nb += y * y
                let d = abs(x - y)
                maxAbs = max(maxAbs, d)
                sumAbs += d
                noise += (x - y) * (x - y)
                diffs.append(d)
            }
            signal += na
            count += a.count
            cos.append(na == 0 && nb == 0 ? 1 : (na == 0 || nb == 0 ? 0 : dot / (na.squareRoot() * nb.squareRoot())))
            if classifier && a.count >= 2 {
                classified += 1
                let ta = argmax(a), order = b.indices.sorted { b[$0] > b[$1] }
                if order.first == ta { agree1 += 1 }
                if order.prefix(5).contains(ta) { agree5 += 1 }
            }
        }
        let worst = cos.indices.sorted { cos[$0] < cos[$1] }.prefix(5)
        return OutputMetrics(
            output: output, samples: original.count, cosineMean: cos.reduce(0, +) / Double(cos.count),
            cosineMin: cos.min() ?? 1, maxAbs: maxAbs, meanAbs: count > 0 ? sumAbs / Double(count) : 0,
            sqnrDB: noise > 0 ? 10 * log10(signal / noise) : nil,
            top1: classified == original.count ? Double(agree1) / Double(classified) : nil,
            top5: classified == original.count ? Double(agree5) / Double(classified) : nil,
            worstSamples: Array(worst), errorHistogram: histogram(diffs, maxAbs))
    }

    static func argmax(_ v: [Double]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }

    /// 20 equal bins from 0 to the largest error.
    static func histogram(_ d: [Double], _ top: Double) -> [(edge: Double, count: Int)] {
        guard top > 0 else { return [(0, d.count)] }
        var counts = [Int](repeating: 0, count: 20)
        for x in d { counts[min(19, max(0, Int(saturating: x / top * 20)))] += 1 }
        return counts.enumerated().map { (top * Double($0.offset + 1) / 20, $0.element) }
    }
}

import CheckedMath
#if canImport(Glibc)
import Glibc
#endif
