import JSON

/// The editor's `slipway` settings section (pulled with `workspace/configuration`, or pushed with
/// `workspace/didChangeConfiguration`). Unknown keys are ignored; a wrong type keeps the default.
struct Settings: Sendable, Equatable {
    /// Diagnostic codes the editor should not show (the CLI still reports them; suppression comments are
    /// the way to silence a code for everyone).
    var ignore: Set<String> = []

    init() {}

    init(_ json: JSONValue) {
        if let codes = json["ignore"]?.arrayValue {
            ignore = Set(codes.compactMap(\.stringValue).map { $0.uppercased() })
        }
    }
}
