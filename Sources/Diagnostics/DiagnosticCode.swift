/// Every diagnostic Slipway emits has a stable code, grouped by the layer that finds it:
///
/// - `SW0xxx` input files (not text, too large, unreadable)
/// - `SW1xxx` YAML syntax and structure
/// - `SW2xxx` the manifest schema
/// - `SW3xxx` files the manifest names (the model, data folders)
/// - `SW4xxx` target compatibility (reserved for the Targets layer)
/// - `SW5xxx` estimate findings (reserved for the Compression layer)
///
/// Codes are contracts: never renumber one. `docs/diagnostics.md` has a section per code with a failing
/// example and its fix, and a test keeps the two in step.
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable, Codable {
    case fileNotText = "SW0001"
    case fileTooLarge = "SW0002"
    case fileUnreadable = "SW0003"

    case yamlSyntax = "SW1001"
    case duplicateKey = "SW1002"
    case aliasExpansionLimit = "SW1003"
    case undefinedAlias = "SW1004"
    case nestingTooDeep = "SW1005"
    case notAManifest = "SW1006"

    case unknownKey = "SW2001"
    case wrongType = "SW2002"
    case outOfRange = "SW2003"
    case invalidEnumValue = "SW2004"
    case missingRequiredKey = "SW2005"
    case invalidFormat = "SW2006"
    case yaml11Boolean = "SW2007"
    case yaml11Number = "SW2008"
    case unsupportedVersion = "SW2009"
    case conflictingKeys = "SW2010"
    case unusedSuppression = "SW2011"

    case modelNotFound = "SW3001"
    case modelNotAFile = "SW3002"
    case dataPathNotFound = "SW3003"
    case pathEscapesProject = "SW3004"

    public var defaultSeverity: Severity {
        switch self {
        case .yaml11Boolean, .yaml11Number, .dataPathNotFound, .unusedSuppression, .pathEscapesProject:
            return .warning
        case .notAManifest:
            return .information
        default:
            return .error
        }
    }

    /// A short title, used as the heading of the code's section in docs/diagnostics.md and as SARIF's
    /// rule name.
    public var title: String {
        switch self {
        case .fileNotText: "File is not UTF-8 text"
        case .fileTooLarge: "File is too large to be a manifest"
        case .fileUnreadable: "File cannot be read"
        case .yamlSyntax: "YAML syntax error"
        case .duplicateKey: "Duplicate key"
        case .aliasExpansionLimit: "Alias expansion limit exceeded"
        case .undefinedAlias: "Alias to an undefined anchor"
        case .nestingTooDeep: "Nesting too deep"
        case .notAManifest: "Not a Slipway manifest"
        case .unknownKey: "Unknown key"
        case .wrongType: "Wrong type"
        case .outOfRange: "Value out of range"
        case .invalidEnumValue: "Invalid value"
        case .missingRequiredKey: "Missing required key"
        case .invalidFormat: "Invalid format"
        case .yaml11Boolean: "YAML 1.1 boolean where a string is meant"
        case .yaml11Number: "Number that YAML 1.1 and 1.2 read differently"
        case .unsupportedVersion: "Unsupported manifest version"
        case .conflictingKeys: "Conflicting keys"
        case .unusedSuppression: "Suppression comment that suppresses nothing"
        case .modelNotFound: "Model file not found"
        case .modelNotAFile: "Model path is not a file"
        case .dataPathNotFound: "Data path not found"
        case .pathEscapesProject: "Path outside the project folder"
        }
    }

    /// Where the code is documented, relative to the repository root; the server turns this into a
    /// `codeDescription` link.
    public var documentationAnchor: String { "docs/diagnostics.md#\(rawValue.lowercased())" }

    /// Where the project's documents are published; codes link to their section there.
    public static let documentationBase = "https://github.com/slipway-dev/slipway/blob/main/"
    public var documentationURL: String { DiagnosticCode.documentationBase + documentationAnchor }
}
