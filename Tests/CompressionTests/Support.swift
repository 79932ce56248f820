@testable import Compression

/// Deterministic pseudo-random numbers for property tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Roughly normal (sum of uniforms), scaled.
    mutating func gaussian(_ sigma: Float = 1) -> Float {
        var s: Float = 0
        for _ in 0..<4 { s += Float.random(in: -1...1, using: &self) }
        return s * sigma * 0.866
    }
}

func tensor(_ shape: [Int], _ values: [Float], name: String = "w", channelAxis: Int? = 0,
            reductionAxis: Int? = nil) -> WeightTensor {
    WeightTensor(name: name, shape: shape, channelAxis: channelAxis, reductionAxis: reductionAxis,
                 values: .array(values))
}

func analyze(_ tensors: [WeightTensor], _ schemes: [QuantizationScheme],
             pruning: PruningOptions? = nil, workers: Int = 2, chunk: Int = 1 << 16) throws -> CompressionReport {
    try CompressionEngine.analyze(
        tensors, options: CompressionOptions(schemes: schemes, pruning: pruning, workers: workers, chunkElements: chunk))
}

func db(signal: Double, noise: Double) -> Double { 10 * Math.log10(signal / noise) }

func close(_ a: Double?, _ b: Double?, _ tol: Double = 1e-9) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return abs(a - b) <= tol * max(1, abs(b))
}

let int8PerTensor = QuantizationScheme(.int8)
let int8PerChannel = QuantizationScheme(.int8, granularity: .perChannel)
