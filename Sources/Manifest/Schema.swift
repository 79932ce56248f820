import JSON

/// A small schema language, just rich enough for the manifest. It is the one source of truth: it drives
/// validation (with ranges and fixes), generates `Schemas/slipway.schema.json` for other YAML tools, and
/// supplies hover text and completions to the language server.
public final class Schema: Sendable {
    public indirect enum Kind: Sendable {
        case object(properties: [Property], exclusive: [[String]], requireOneOf: [String]?)
        /// A mapping from user-chosen names (targets, model inputs) to values of one schema.
        case map(values: Schema, keyPattern: String, keyDescription: String, minEntries: Int)
        case array(items: Schema, minItems: Int, maxItems: Int?)
        case string(StringRule)
        case integer(min: Int?, max: Int?)
        case number(min: Double?, max: Double?, exclusiveMax: Bool, exclusiveMin: Bool)
        case boolean
        /// Any of several schemas (a dimension is a positive integer or a symbolic name).
        case anyOf([Schema])
    }

    public let kind: Kind
    public let title: String?
    public let description: String
    public let defaultValue: JSONValue?
    public let examples: [JSONValue]
    /// `null` is accepted (in a target's `optimize`, `prune: null` turns pruning off for that target).
    public let nullable: Bool
    /// For a `.map`: the names it usually has, with their meanings (hover and completion text). Other names
    /// matching the key pattern are still accepted, with a did-you-mean warning, because the list can lag
    /// the tools people use (a tool pin's name is open-ended, a typo in it silently disables its checks).
    public let knownKeys: [(value: String, description: String)]

    public init(
        _ kind: Kind, title: String? = nil, _ description: String, default defaultValue: JSONValue? = nil,
        examples: [JSONValue] = [], nullable: Bool = false, knownKeys: [(String, String)] = []
    ) {
        self.knownKeys = knownKeys.map { (value: $0.0, description: $0.1) }
        self.kind = kind
        self.title = title
        self.description = description
        self.defaultValue = defaultValue
        self.examples = examples
        self.nullable = nullable
    }

    public var properties: [Property] {
        if case .object(let p, _, _) = kind { return p }
        return []
    }

    public func property(_ name: String) -> Property? { properties.first { $0.name == name } }

    /// The schema of the value under `path` (keys; any string for a map entry; an index for an array).
    public func descend(_ path: [String]) -> Schema? {
        var s: Schema? = self
        for key in path {
            guard let cur = s else { return nil }
            switch cur.kind {
            case .object(let props, _, _): s = props.first { $0.name == key }?.schema
            case .map(let values, _, _, _): s = values
            case .array(let items, _, _): s = items
            // The first form that has the key (a shape's index, when a value or a shape may stand here).
            case .anyOf(let options): s = options.lazy.compactMap { $0.descend([key]) }.first
            default: return nil
            }
        }
        return s
    }
}

public struct Property: Sendable {
    public let name: String
    public let schema: Schema
    public let required: Bool
    public init(_ name: String, _ schema: Schema, required: Bool = false) {
        self.name = name
        self.schema = schema
        self.required = required
    }
}

/// What a string may be. `format` names a structured string the validator parses itself (for a precise
/// message); `pattern` is its equivalent for JSON-Schema tools.
public struct StringRule: Sendable {
    public var values: [(value: String, description: String)]
    public var pattern: String?
    public var format: StringFormat?
    public var minLength: Int

    public init(
        values: [(String, String)] = [], pattern: String? = nil, format: StringFormat? = nil, minLength: Int = 0
    ) {
        self.values = values.map { (value: $0.0, description: $0.1) }
        self.pattern = pattern ?? format?.pattern
        self.format = format
        self.minLength = minLength
    }
}

public enum StringFormat: String, Sendable {
    /// A file or folder path, relative to the manifest's folder.
    case path
    /// `runtime` or `runtime@version`.
    case runtime
    /// `per-tensor`, `per-channel` or `per-block:N`.
    case granularity
    /// `N:M` structured sparsity.
    case nmPattern
    /// A glob over tensor or node names.
    case glob
    /// `ios17`, `macos14.2`, `android14`.
    case osVersion
    /// A deploy path template with `{target}`, `{name}`, `{version}`, `{ext}`.
    case pathTemplate

    var pattern: String? {
        switch self {
        case .runtime: return "^(\(Vocabulary.runtimes.map(\.value).joined(separator: "|")))(@[0-9]+(\\.[0-9]+){0,2})?$"
        case .granularity: return "^(per-tensor|per-channel|per-block:[1-9][0-9]*)$"
        case .nmPattern: return "^[1-9][0-9]*:[1-9][0-9]*$"
        case .osVersion: return "^(\(Vocabulary.operatingSystems.joined(separator: "|")))[0-9]+(\\.[0-9]+)?$"
        case .path, .glob, .pathTemplate: return nil
        }
    }
}
