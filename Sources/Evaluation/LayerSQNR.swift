#if canImport(Glibc)
import Glibc
#endif

/// One value an artifact and its original both compute (`slipway test --layers`): the node that computes it and
/// the SQNR of the artifact's against the original's over every sample, so a user sees which layer loses accuracy.
public struct LayerSQNR: Sendable, Equatable {
    /// The value's name (the node's output).
    public var value: String
    /// The node that computes it in the original (its name, or the value's when it has none).
    public var node: String
    public var op: String
    /// Nil when the values are identical (exact) or the signal is zero.
    public var sqnrDB: Double?
    /// True when the artifact's values equal the original's on every sample.
    public var exact: Bool
    /// The lowest SQNR among the values the node reads (nil: they all arrive exact, or none was measured).
    public var inputSQNRDB: Double?
    /// The original's float weights the node reads that the artifact converted (quantized or cast): the names
    /// `quantize.skip` matches, so listing them there keeps this node in float.
    public var weights: [String]

    public init(value: String, node: String, op: String, sqnrDB: Double?, exact: Bool, inputSQNRDB: Double? = nil,
                weights: [String] = []) {
        self.value = value
        self.node = node
        self.op = op
        self.sqnrDB = sqnrDB
        self.exact = exact
        self.inputSQNRDB = inputSQNRDB
        self.weights = weights
    }

    /// The lowest SQNR first (exact values last): where to look first.
    public static func worstFirst(_ layers: [LayerSQNR]) -> [LayerSQNR] {
        layers.filter { $0.sqnrDB != nil }.sorted { ($0.sqnrDB ?? .infinity) < ($1.sqnrDB ?? .infinity) }
    }

    /// The noise this node adds itself, as an SQNR: noise-to-signal ratios add along a chain, so the node's own is
    /// its output's minus the worst input's (10^(−dB/10) each). The output's SQNR alone would blame the last layers,
    /// which inherit every earlier layer's error. Nil when the output is exact or the node adds no noise.
    public var ownSQNRDB: Double? {
        guard let out = sqnrDB else { return nil }
        let own = pow(10, -out / 10) - (inputSQNRDB.map { pow(10, -$0 / 10) } ?? 0)
        guard own > 0, own.isFinite else { return nil }
        return -10 * log10(own)
    }

    /// The quantized layers that lose the most: nodes that read a weight the artifact converted, the lowest own
    /// SQNR first (graph order among equals). Keeping the first one's weights in float removes the most noise
    /// one layer can remove; `check` offers it as SW6007.
    public static func attribution(_ layers: [LayerSQNR]) -> [LayerSQNR] {
        var ranked: [(order: Int, own: Double, layer: LayerSQNR)] = []
        for (k, l) in layers.enumerated() where !l.weights.isEmpty {
            if let own = l.ownSQNRDB { ranked.append((k, own, l)) }
        }
        ranked.sort { a, b in a.own != b.own ? a.own < b.own : a.order < b.order }
        return ranked.map(\.layer)
    }
}
