import JSON

/// How much of the original `slipway test --layers` measured: every float value its nodes compute, in every graph
/// (the top-level graph, If branches, Loop and Scan bodies), is either one of the target's `layers` or left out
/// here with the reason — a value whose type shape inference does not know, one in a branch no sample ran, one the
/// artifact does not compute, the values of a body onnxruntime could not run surfaced… — so that a partial
/// measurement says it is partial.
public struct LayerCoverage: Sendable, Equatable {
    /// The values left out for one reason: how many, and the first few (graph order), by path.
    public struct Reason: Sendable, Equatable {
        public var reason: String
        public var values: Int
        public var examples: [String]

        public init(reason: String, values: Int, examples: [String]) {
            self.reason = reason
            self.values = values
            self.examples = examples
        }
    }

    /// The values in `layers`.
    public var measured: Int
    public var leftOut: Int
    /// The most frequent first.
    public var reasons: [Reason]

    public init(measured: Int, leftOut: Int, reasons: [Reason]) {
        self.measured = measured
        self.leftOut = leftOut
        self.reasons = reasons
    }

    /// `report.json`'s and the record's `layers_coverage` (the runner writes the same keys).
    public var json: JSONValue {
        [
            "measured": .int(measured), "left_out": .int(leftOut),
            "reasons": .array(reasons.map { r in
                ["reason": .string(r.reason), "values": .int(r.values), "examples": .array(r.examples.map { .string($0) })]
            }),
        ]
    }

    /// Nil when absent or not of this shape (a record written before coverage was measured).
    public static func parse(_ j: JSONValue?) -> LayerCoverage? {
        guard let j, let measured = j["measured"]?.intValue, let leftOut = j["left_out"]?.intValue,
              let reasons = j["reasons"]?.arrayValue else { return nil }
        return LayerCoverage(measured: measured, leftOut: leftOut, reasons: reasons.compactMap { r in
            guard let reason = r["reason"]?.stringValue, let values = r["values"]?.intValue else { return nil }
            return Reason(reason: reason, values: values, examples: (r["examples"]?.arrayValue ?? []).compactMap(\.stringValue))
        })
    }

    /// One line for the text report: what was left out and why (nil when nothing was).
    public var summary: String? {
        guard leftOut > 0 else { return nil }
        let why = reasons.map { "\($0.values) \($0.reason)" }.joined(separator: "; ")
        return "\(leftOut) of \(measured + leftOut) float values left out: \(why)"
    }
}
