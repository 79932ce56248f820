import CheckedMath

/// Thresholds for turning the figures into findings.
public struct AdviceOptions: Sendable, Hashable {
    /// How many tensors the "worst" lists and the keep-in-float finding name.
    public var worstCount: Int
    /// Tensors below this SQNR (primary scheme) are candidates to keep in float.
    public var keepInFloatBelowDB: Double
    /// A comparison scheme is worth a finding when it raises the worst tensor by at least this much.
    public var minImprovementDB: Double
    /// A tensor with at least this fraction of exact zeros is reported as already sparse.
    public var alreadySparseFraction: Double

    public init(worstCount: Int = 3, keepInFloatBelowDB: Double = 20, minImprovementDB: Double = 3,
                alreadySparseFraction: Double = 0.5) {
        self.worstCount = worstCount
        self.keepInFloatBelowDB = keepInFloatBelowDB
        self.minImprovementDB = minImprovementDB
        self.alreadySparseFraction = alreadySparseFraction
    }
}

/// What the numbers imply, as data: the checks turn findings into diagnostics, the server into quick fixes.
public struct Finding: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Another measured scheme raises the worst tensor (e.g. per-channel instead of per-tensor).
        case betterScheme = "better_scheme"
        /// int4 loses too much without per-block scales; a per-block scheme measured does much better.
        case int4NeedsPerBlock = "int4_needs_per_block"
        /// These tensors lose the most: keeping them in float raises the aggregate SQNR to `toDB`.
        case keepInFloat = "keep_in_float"
        case alreadySparse = "already_sparse"
        /// Values already on the scheme's grid (or stored as integers): quantising again changes nothing.
        case alreadyQuantized = "already_quantized"
        case nonFiniteValues = "non_finite_values"
    }

    public var kind: Kind
    public var tensors: [String]
    public var message: String
    /// The primary scheme's label, and the suggested one when there is one.
    public var scheme: String?
    public var alternative: String?
    public var fromDB: Double?
    public var toDB: Double?
    /// Kind-specific figure: the zero fraction (already sparse), the non-finite count.
    public var value: Double?

    /// For results read back from a cache (the Estimation layer's JSON round trip).
    public init(kind: Kind, tensors: [String], message: String, scheme: String? = nil, alternative: String? = nil,
                fromDB: Double? = nil, toDB: Double? = nil, value: Double? = nil) {
        self.kind = kind
        self.tensors = tensors
        self.message = message
        self.scheme = scheme
        self.alternative = alternative
        self.fromDB = fromDB
        self.toDB = toDB
        self.value = value
    }
}

enum Advice {
    static func findings(for r: CompressionReport, options: CompressionOptions) -> [Finding] {
        var out: [Finding] = []
        let a = options.advice
        guard let primary = r.totals.first else { return out }
        let label = primary.scheme.label
        // Comparison schemes of the same type.
        if let worst = primary.worst.first {
            for alt in r.totals.dropFirst() where alt.scheme.type == primary.scheme.type {
                guard let altMin = alt.sqnrDBMin, altMin - worst.sqnrDB >= a.minImprovementDB else { continue }
                let int4Block: Bool = {
                    guard primary.scheme.type.bits == 4, case .perBlock = alt.scheme.granularity else { return false }
                    if case .perBlock = primary.scheme.granularity { return false }
                    return true
                }()
                out.append(Finding(
                    kind: int4Block ? .int4NeedsPerBlock : .betterScheme, tensors: [worst.name],
                    message: "\(alt.scheme.label) would raise the worst tensor from \(db(worst.sqnrDB)) to \(db(altMin))"
                        + (int4Block ? "; int4 needs per-block scales here" : ""),
                    scheme: label, alternative: alt.scheme.label, fromDB: worst.sqnrDB, toDB: altMin))
            }
        }
        // The tensors that lose the most.
        let lossy = primary.worst.filter { $0.sqnrDB < a.keepInFloatBelowDB }
        if !lossy.isEmpty {
            let names = Set(lossy.map(\.name))
            var noise = 0.0, signal = 0.0
            for t in r.tensors where t.schemes.count > 0 {
                signal += t.signalSumSquares
                if !names.contains(t.name) { noise += t.schemes[0].noiseSumSquares }
            }
            let after = Stats.sqnr(signal: signal, noise: noise)
            out.append(Finding(
                kind: .keepInFloat, tensors: lossy.map(\.name),
                message: "\(lossy.count == 1 ? "this tensor loses" : "these \(lossy.count) tensors lose") the most "
                    + "(\(lossy.map { db($0.sqnrDB) }.joined(separator: ", "))); keep "
                    + "\(lossy.count == 1 ? "it" : "them") in float"
                    + (after.map { ": aggregate SQNR \(primary.sqnrDBAggregate.map(db) ?? "exact") → \(db($0))" } ?? ""),
                scheme: label, alternative: nil, fromDB: primary.sqnrDBAggregate, toDB: after))
        }
        for t in r.tensors where t.zeroFraction >= a.alreadySparseFraction {
            out.append(Finding(kind: .alreadySparse, tensors: [t.name],
                               message: "already \(Int(roundingSaturating: t.zeroFraction * 100))% zeros",
                               value: t.zeroFraction))
        }
        var quantized: [String] = []
        for t in r.tensors where t.signalSumSquares > 0 {
            // Exact with at least 16 values per scale: on the grid, not merely one value per channel.
            guard let s = t.schemes.first, s.sqnrDB == nil, t.elements >= 16 * (s.scales?.groups ?? 1) else { continue }
            quantized.append(t.name)
        }
        for s in r.skipped { if case .alreadyQuantized = s.reason { quantized.append(s.name) } }
        if !quantized.isEmpty {
            let total = r.tensors.count + r.skipped.filter { if case .alreadyQuantized = $0.reason { true } else { false } }.count
            let whole = quantized.count * 2 >= total
            out.append(Finding(
                kind: .alreadyQuantized, tensors: quantized,
                message: whole ? "the model is already quantized (\(quantized.count) of \(total) tensors)"
                    : "\(quantized.count) tensor\(quantized.count == 1 ? " is" : "s are") already quantized",
                scheme: label, value: Double(quantized.count) / Double(max(total, 1))))
        }
        for t in r.tensors where t.nonFinite > 0 {
            out.append(Finding(kind: .nonFiniteValues, tensors: [t.name],
                               message: "\(t.nonFinite) NaN or infinite values, left out of the statistics",
                               value: Double(t.nonFinite)))
        }
        return out
    }

    static func db(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return "\(r) dB"
    }
}
