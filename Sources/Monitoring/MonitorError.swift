/// Why monitoring could not be set up or evaluated. Messages name the key, file or URL and what is wrong.
public struct MonitorError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The manifest's `monitor:` does not say enough, or says something invalid.
        case manifest
        /// The source (a Prometheus server, a file) could not be read.
        case source
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
