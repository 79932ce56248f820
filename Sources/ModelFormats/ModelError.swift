/// Why a model could not be read: the file, the field that was being read (a dotted path such as
/// `graph.node[3].attribute[0].t.raw_data`), and what was wrong with it.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The file could not be opened or mapped (missing, a directory, unreadable, empty).
        case io
        /// The bytes are a known format that Slipway does not read (yet); the message says how to convert.
        case unsupportedFormat
        /// The bytes are not a valid model of the detected format.
        case malformed
    }

    public var kind: Kind
    public var file: String
    public var field: String
    public var message: String

    public init(_ kind: Kind, file: String, field: String = "", _ message: String) {
        self.kind = kind
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(file): \(message)" : "\(file): \(field): \(message)"
    }
}
