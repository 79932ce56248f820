/// A rewrite that cannot be laid out: the model contradicts what the selection found in it (a bug, since
/// both read the same `Model`). The converter reports it as a model error.
public struct LayoutError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
