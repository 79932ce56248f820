import Conversion

/// A file system whose paths resolve through symbolic links (the disk): `check` then decides whether an output
/// leaves the project exactly as `convert` does. One without (in-memory trees) is decided on the text alone.
public protocol LinkResolving: Sendable {
    var linkResolver: Containment.LinkResolver? { get }
}

extension LocalFileSystem: LinkResolving {
    public var linkResolver: Containment.LinkResolver? { Containment.disk }
}
