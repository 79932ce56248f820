#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CheckedMath
import Monitoring

/// How far an artifact's output strays from the original's, over every sample: the figures `slipway test`
/// reports and judges. Pure arithmetic on float32 values in sample order; no I/O.
public struct OutputMetrics: Sendable, Equatable {
    public var name: String
    /// Values per sample.
    public var perSample: Int
    public var samples: Int
    /// The lowest per-sample cosine similarity (the tolerance bounds the worst sample) and the mean.
    public var cosineMin: Double
    public var cosineMean: Double
    public var maxAbs: Double
    public var meanAbs: Double
    /// 10·log10(Σ ref² / Σ (ref − out)²) over all samples; +∞ when the outputs are equal.
    public var sqnrDB: Double
    /// For classifier-shaped outputs (one row of at least 2 scores per sample): the fraction of samples whose
    /// top-1 class agrees, and whose original top-1 is within the artifact's top 5 (at least 5 classes).
    public var top1: Double?
    public var top5: Double?
    /// Per-sample largest absolute error and cosine, for the worst-sample list and the histogram.
    public var sampleMaxAbs: [Double]
    public var sampleCosine: [Double]
    /// How far the artifact's values (all samples pooled) moved from the original's as a distribution, by the
    /// measures `monitor` alerts on (`Drift`, over the original's deciles): what the artifact carries from the
    /// start against a baseline of the original's outputs. Nil without values.
    public var driftPSI: Double? = nil
    public var driftJensenShannon: Double? = nil

    /// Nil when the two arrays cannot be compared (different lengths, or not whole samples).
    /// `shape` is one sample's: a classifier's output is one row of scores (every other dimension 1).
    public static func compare(name: String, shape: [Int], reference: [Float], output: [Float], samples: Int) -> OutputMetrics? {
        guard samples > 0, reference.count == output.count, reference.count % samples == 0 else { return nil }
        let n = reference.count / samples
        var cosMin = Double.infinity, cosSum = 0.0, maxAbs = 0.0, absSum = 0.0, signal = 0.0, noise = 0.0
        var agree1 = 0, agree5 = 0
        var sampleMax: [Double] = [], sampleCos: [Double] = []
        let classifier = n >= 2 && shape.last == n
        for s in 0..<samples {
            var dot = 0.0, rr = 0.0, oo = 0.0, worst = 0.0
            var bestR = 0, bestO = 0
            let base = s * n
            for i in 0..<n {
                let r = Double(reference[base + i]), o = Double(output[base + i])
                dot += r * o
                rr += r * r
                oo += o * o
                let d = abs(r - o)
                if d > worst || d.isNaN { worst = d }
                absSum += d
                noise += (r - o) * (r - o)
                if reference[base + i] > reference[base + bestR] { bestR = i }
                if output[base + i] > output[base + bestO] { bestO = i }
            }
            signal += rr
            // Two all-zero vectors agree; one zero vector against a non-zero one does not.
            let cos = rr == 0 && oo == 0 ? 1 : (rr == 0 || oo == 0 ? 0 : dot / (rr.squareRoot() * oo.squareRoot()))
            cosMin = min(cosMin, cos)
            cosSum += cos
            maxAbs = max(maxAbs, worst)
            sampleMax.append(worst)
            sampleCos.append(cos)
            if classifier {
                if bestR == bestO { agree1 += 1 }
                if n >= 5 {
                    // The original's class is within the artifact's top 5 when fewer than 5 scores beat it.
                    let score = output[base + bestR]
                    var above = 0
                    for i in 0..<n where output[base + i] > score { above += 1 }
                    if above < 5 { agree5 += 1 }
                }
            }
        }
        let sqnr = noise == 0 ? Double.infinity : 10 * log10(signal / noise)
        let bins = Drift.Bins(reference: reference.map(Double.init)), out = output.map(Double.init)
        return OutputMetrics(
            name: name, perSample: n, samples: samples, cosineMin: cosMin, cosineMean: cosSum / Double(samples),
            maxAbs: maxAbs, meanAbs: absSum / Double(reference.count), sqnrDB: sqnr,
            top1: classifier ? Double(agree1) / Double(samples) : nil,
            top5: classifier && n >= 5 ? Double(agree5) / Double(samples) : nil,
            sampleMaxAbs: sampleMax, sampleCosine: sampleCos,
            driftPSI: bins?.psi(observed: out), driftJensenShannon: bins?.jensenShannon(observed: out))
    }
}

/// Nearest-rank percentile (the smallest value with at least `p` of the values at or below it).
public func percentile(_ values: [Double], _ p: Double) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = (p * Double(sorted.count)).rounded(.up)
    let index = max(0, min(sorted.count - 1, Int(saturating: rank) - 1))
    return sorted[index]
}
