extension Node {
    /// An ONNX recurrence's (LSTM, GRU, RNN) directions: 2 when `direction` is "bidirectional", else 1.
    public var recurrenceDirections: Int {
        if case .string(let d)? = attributes["direction"], d == "bidirectional" { return 2 }
        return 1
    }
}
