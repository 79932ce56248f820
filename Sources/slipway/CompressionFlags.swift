import ArgumentParser
import Compression

extension QuantizationType: ExpressibleByArgument {}

/// The quantization and pruning flags `estimate MODEL` and `convert MODEL` share: one spelling, one
/// validation and one default, so an estimate predicts the conversion made with the same flags.
struct CompressionFlags: ParsableArguments {
    @Option(help: "The type weights are stored in (bfloat16: safetensors only).")
    var weights: QuantizationType?

    @Option(help: "per-tensor, per-channel or per-block:N (default per-channel; per-block:32 for 4-bit types).")
    var granularity: String?

    @Flag(help: "Asymmetric scales with zero points (default: symmetric).")
    var asymmetric = false

    @Flag(help: "7-bit range for 8-bit types (x86-64 without VNNI).")
    var reduceRange = false

    @Option(help: "Magnitude pruning: the fraction of each tensor's smallest weights to zero (0 ≤ S < 1).")
    var sparsity: Double?

    @Option(help: "Magnitude pruning: zero every |x| below T.")
    var threshold: Float?

    @Option(help: "N:M structured sparsity along the reduction axis, e.g. 2:4.")
    var pattern: String?

    @Option(help: "Tensor names to keep in float (a glob; repeatable).")
    var skip: [String] = []

    func validate() throws {
        if [sparsity != nil, threshold != nil, pattern != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--sparsity, --threshold and --pattern are alternatives: give one")
        }
        if let s = sparsity, !(s >= 0 && s < 1) {
            throw ValidationError("--sparsity \(s): expected a fraction in [0, 1)")
        }
        if let t = threshold, !(t >= 0 && t.isFinite) {
            throw ValidationError("--threshold \(t): expected a non-negative number")
        }
        if let g = granularity, Granularity(parsing: g) == nil {
            throw ValidationError("--granularity \(g): expected per-tensor, per-channel or per-block:N (N ≥ 1)")
        }
        if let p = pattern, NMPattern(parsing: p) == nil {
            throw ValidationError("--pattern \(p): expected N:M with 1 ≤ N ≤ M ≤ 64, e.g. 2:4")
        }
    }

    /// Any of the flags given (a manifest brings its own settings, so these are refused with one).
    var given: Bool {
        weights != nil || granularity != nil || asymmetric || reduceRange || sparsity != nil || threshold != nil
            || pattern != nil || !skip.isEmpty
    }

    /// The granularity asked for, else per-channel, except for 4-bit types, whose one scale per output channel
    /// loses too much: per-block:32 there (the block of GGUF's Q4_0).
    func granularity(for weights: QuantizationType) -> Granularity {
        if let g = granularity.flatMap(Granularity.init(parsing:)) { return g }
        return weights.bits == 4 ? .perBlock(size: 32) : .perChannel
    }

    var nmPattern: NMPattern? { pattern.flatMap(NMPattern.init(parsing:)) }
}
