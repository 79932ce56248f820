/// Why a deploy (or a verify) did not do what was asked. Every message is a complete sentence naming the
/// target or file it is about, the offending value, and what would be valid.
public struct DeployError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The manifest does not say enough (no model, no version for a layout that needs one).
        case manifest
        /// A gate refused the target: check errors, a failed or stale test, a stale artifact.
        case refused
        /// The layout cannot carry this artifact (a TFLite model in a Triton repository).
        case unsupported
        /// Refused for safety: a destination outside the project, or an existing release with other content.
        case unsafe
        case io
        case cancelled
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
