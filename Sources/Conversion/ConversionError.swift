/// Why a conversion did not produce an artifact. Every case reads as a complete sentence for the user: the
/// CLI prints it as is and the language server will show it in a message.
public struct ConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The settings ask for something this model or format cannot hold (opset too old to raise, …).
        case unsupported
        /// The conversion needs an external tool that is not installed.
        case missingTool
        /// The model could not be read.
        case model
        /// Refused for the user's safety: the output would overwrite the source or leave the project.
        case unsafe
        /// Reading or writing files failed.
        case io
        /// The manifest does not say enough (no model path, unknown target).
        case manifest
        case cancelled
        /// An external converter ran and failed (its exit status and log tail are in the message).
        case toolFailed
    }

    public var kind: Kind
    /// The sentence, without the target (that is `target`, a field, so no caller names it twice).
    public var message: String
    /// The manifest target whose conversion failed (nil for a one-shot conversion of a model).
    public var target: String?

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { target.map { "target \($0): \(message)" } ?? message }
}
