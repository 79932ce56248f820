public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case error, warning, information, hint

    /// Errors sort first.
    private var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .information: 2
        case .hint: 3
        }
    }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One replacement of source bytes. Edits of one fix never overlap.
public struct TextEdit: Sendable, Hashable {
    public var range: ByteRange
    public var newText: String
    public init(range: ByteRange, newText: String) {
        self.range = range
        self.newText = newText
    }
}

/// A machine-applicable fix: a title for the editor's menu and the edits that make it.
public struct Fix: Sendable, Hashable {
    public var title: String
    public var edits: [TextEdit]
    /// True when applying it is what the user nearly always wants (a single did-you-mean, quoting a trap).
    public var isPreferred: Bool
    public init(title: String, edits: [TextEdit], isPreferred: Bool = false) {
        self.title = title
        self.edits = edits
        self.isPreferred = isPreferred
    }
}

/// A location that explains a diagnostic: another place in the same file (`file == nil`), or another file
/// (the model, a rule's source document).
public struct RelatedLocation: Sendable, Hashable {
    public var file: String?
    public var range: ByteRange?
    public var message: String
    public init(file: String? = nil, range: ByteRange? = nil, message: String) {
        self.file = file
        self.range = range
        self.message = message
    }
}

public enum DiagnosticTag: String, Sendable, Hashable { case unnecessary, deprecated }

public struct Diagnostic: Sendable, Hashable {
    public var code: DiagnosticCode
    public var severity: Severity
    public var message: String
    public var range: ByteRange
    public var related: [RelatedLocation]
    public var fixes: [Fix]
    public var tags: [DiagnosticTag]
    /// The manifest targets the diagnostic concerns (empty: the manifest or the model as a whole). A field, so
    /// that merging across targets and `convert`'s refusal never read it back out of the message.
    public var targets: [String] = []

    public init(
        _ code: DiagnosticCode, _ message: String, at range: ByteRange, severity: Severity? = nil,
        related: [RelatedLocation] = [], fixes: [Fix] = [], tags: [DiagnosticTag] = []
    ) {
        self.code = code
        self.severity = severity ?? code.defaultSeverity
        self.message = message
        self.range = range
        self.related = related
        self.fixes = fixes
        self.tags = tags
    }

    /// Diagnostics in source order, then by severity and code, for stable output.
    public static func sortedForOutput(_ ds: [Diagnostic]) -> [Diagnostic] {
        ds.sorted {
            ($0.range.start, $0.range.end, $0.severity, $0.code.rawValue)
                < ($1.range.start, $1.range.end, $1.severity, $1.code.rawValue)
        }
    }
}

private func < (a: (Int, Int, Severity, String), b: (Int, Int, Severity, String)) -> Bool {
    if a.0 != b.0 { return a.0 < b.0 }
    if a.1 != b.1 { return a.1 < b.1 }
    if a.2 != b.2 { return a.2 < b.2 }
    return a.3 < b.3
}
