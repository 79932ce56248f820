import Diagnostics

public enum ScalarStyle: String, Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
    public var isQuoted: Bool { self == .singleQuoted || self == .doubleQuoted }
}

public struct YAMLScalar: Sendable, Hashable {
    public let text: String
    public let style: ScalarStyle
    /// The value under the YAML 1.2 core schema, resolved once when the scalar is read (validation and
    /// decoding both ask for it, many times).
    public let resolved: ResolvedScalar

    public init(text: String, style: ScalarStyle, tag: String? = nil) {
        self.text = text
        self.style = style
        resolved = YAMLNode.resolve(text: text, style: style, tag: tag)
    }

    public static func == (a: YAMLScalar, b: YAMLScalar) -> Bool { a.text == b.text && a.style == b.style }
    public func hash(into h: inout Hasher) {
        h.combine(text)
        h.combine(style)
    }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
    /// True when the pair came from a `<<` merge key rather than being written in this mapping.
    public var isMerged: Bool
    public init(key: YAMLNode, value: YAMLNode, isMerged: Bool = false) {
        self.key = key
        self.value = value
        self.isMerged = isMerged
    }
}

/// A node of the YAML tree. Every node knows its byte range in the source; a node reached through an
/// alias keeps the range of its anchored definition, and `aliasRange` says where the alias stands.
///
/// Nodes are immutable objects: the tree is built once per parse and then only read (by the validator,
/// the decoder and the server's queries), so sharing beats copying deep values around.
public final class YAMLNode: Sendable {
    public enum Value: Sendable {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
        /// What stands where a node could not be read: an unresolved alias, or the rest of a document after
        /// a syntax error. Validation skips it (the syntax diagnostic already explains it).
        case invalid
    }

    public let value: Value
    public let range: ByteRange
    /// The explicit tag as written (`!!str` expanded to `tag:yaml.org,2002:str`), if any.
    public let tag: String?
    public let anchor: String?
    public let aliasRange: ByteRange?

    public init(_ value: Value, range: ByteRange, tag: String? = nil, anchor: String? = nil, aliasRange: ByteRange? = nil) {
        self.value = value
        self.range = range
        self.tag = tag
        self.anchor = anchor
        self.aliasRange = aliasRange
    }

    /// The same node, as reached through the alias at `range`.
    public func aliased(at range: ByteRange) -> YAMLNode {
        YAMLNode(value, range: self.range, tag: tag, anchor: anchor, aliasRange: range)
    }

    public var scalar: YAMLScalar? { if case .scalar(let s) = value { return s }; return nil }
    public var pairs: [YAMLPair]? { if case .mapping(let p) = value { return p }; return nil }
    public var items: [YAMLNode]? { if case .sequence(let i) = value { return i }; return nil }
    public var isInvalid: Bool { if case .invalid = value { return true }; return false }

    /// The range a diagnostic about this node should underline: the alias when reached through one, so the
    /// user sees the problem where it takes effect.
    public var reportRange: ByteRange { aliasRange ?? range }

    /// The value for a scalar key, first match. (Duplicate keys are reported by the parser.)
    public subscript(key: String) -> YAMLNode? {
        pairs?.first(where: { $0.key.scalar?.text == key })?.value
    }

    public func pair(_ key: String) -> YAMLPair? {
        pairs?.first(where: { $0.key.scalar?.text == key })
    }

    /// What a human calls this kind of node, for messages.
    public var kindDescription: String {
        switch value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .invalid: return "an invalid node"
        case .scalar: return resolved.description
        }
    }

    /// The innermost nodes whose range touches `offset`, outermost first: what the cursor is on.
    public func path(to offset: Int) -> [YAMLNode] {
        var out: [YAMLNode] = []
        var current: YAMLNode? = self
        while let n = current, n.range.touches(offset) || out.isEmpty {
            out.append(n)
            current = nil
            switch n.value {
            case .mapping(let pairs):
                for p in pairs where !p.isMerged {
                    if p.key.range.touches(offset) { out.append(p.key); return out }
                    if p.value.range.touches(offset) { current = p.value; break }
                }
            case .sequence(let items):
                current = items.first(where: { $0.range.touches(offset) })
            default: break
            }
        }
        return out
    }
}

/// One `---` document of a stream. Documents stand alone: anchors do not cross them.
public struct YAMLDocument: Sendable {
    public var root: YAMLNode?
    public var range: ByteRange
    public init(root: YAMLNode?, range: ByteRange) {
        self.root = root
        self.range = range
    }
}

/// Everything read from one text: documents (possibly partial), the diagnostics found while reading them,
/// and the line index every later layer converts positions through.
public struct YAMLStream: Sendable {
    public var documents: [YAMLDocument]
    public var diagnostics: [Diagnostic]
    public var lineIndex: LineIndex
    /// False when the text could not be read to the end (syntax error, limit exceeded, not text).
    public var isComplete: Bool
}
