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

    public init(value: String, node: String, op: String, sqnrDB: Double?, exact: Bool) {
        self.value = value
        self.node = node
        self.op = op
        self.sqnrDB = sqnrDB
        self.exact = exact
    }

    /// The lowest SQNR first (exact values last): where to look first.
    public static func worstFirst(_ layers: [LayerSQNR]) -> [LayerSQNR] {
        layers.filter { $0.sqnrDB != nil }.sorted { ($0.sqnrDB ?? .infinity) < ($1.sqnrDB ?? .infinity) }
    }
}
