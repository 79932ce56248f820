/// Every diagnostic Slipway emits has a stable code, grouped by the layer that finds it:
///
/// - `SW0xxx` input files (not text, too large, unreadable)
/// - `SW1xxx` YAML syntax and structure
/// - `SW2xxx` the manifest schema
/// - `SW3xxx` files the manifest names (the model, data folders)
/// - `SW4xxx` target compatibility (reserved for the Targets layer)
/// - `SW5xxx` estimate findings (`SW50xx` the Compression layer's, `SW51xx` the Targets layer's budgets)
/// - `SW6xxx` measurements of `slipway test` (the Evaluation layer)
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
    case modelUnreadable = "SW3005"
    case modelInputUnknown = "SW3006"
    case modelInputShape = "SW3007"
    case modelInputValue = "SW3008"

    case unknownRuntimeVersion = "SW4001"
    case opsetUnsupported = "SW4002"
    case irVersionUnsupported = "SW4003"
    case operatorUnsupported = "SW4004"
    case operatorsOnCPU = "SW4005"
    case delegateUnavailable = "SW4006"
    case minimumOSTooOld = "SW4007"
    case quantizationUnsupported = "SW4008"
    case quantizationSlow = "SW4009"
    case calibrationMissing = "SW4010"
    case alreadyQuantized = "SW4011"
    case dynamicShapes = "SW4012"
    case deprecatedDelegate = "SW4013"
    case unknownDevice = "SW4014"
    case knownBadToolVersion = "SW4015"
    case operatorConstraint = "SW4016"
    case analysisIncomplete = "SW4017"
    case noConversionPath = "SW4018"
    case ggufUnsupported = "SW4019"
    case restrictionUnchecked = "SW4020"
    case conversionDeviates = "SW4021"
    case lastConversionFailed = "SW4022"
    case convertedAtSampledSizes = "SW4023"

    // Estimate findings: the Compression engine on the model's real weights, through Estimation.
    case betterGranularity = "SW5001"
    case int4NeedsPerBlock = "SW5002"
    case tensorsLoseMost = "SW5003"
    case nonFiniteWeights = "SW5004"
    case alreadySparse = "SW5005"
    // Budgets (the Targets layer, with the size after quantization from Estimation when there is one).
    case sizeOverBudget = "SW5101"
    case memoryOverBudget = "SW5102"
    case latencyOverBudget = "SW5103"
    case budgetUnconfirmed = "SW5104"

    case testToleranceFailed = "SW6001"
    case testSampleMismatch = "SW6002"
    case testArtifactFailed = "SW6003"
    // The last `slipway test` result (the record beside the artifact), read by `check` and the server.
    case lastTestFailed = "SW6004"
    case lastTestStale = "SW6005"
    case monitorBreachedByTest = "SW6006"
    case lastTestWorstLayer = "SW6007"

    public var defaultSeverity: Severity {
        switch self {
        case .yaml11Boolean, .yaml11Number, .dataPathNotFound, .unusedSuppression, .pathEscapesProject,
            .unknownRuntimeVersion, .operatorsOnCPU, .quantizationSlow, .alreadyQuantized, .deprecatedDelegate,
            .unknownDevice, .knownBadToolVersion, .operatorConstraint, .conversionDeviates, .convertedAtSampledSizes, .latencyOverBudget, .betterGranularity, .int4NeedsPerBlock, .tensorsLoseMost,
            .nonFiniteWeights, .alreadySparse, .budgetUnconfirmed, .lastTestFailed, .monitorBreachedByTest:
            return .warning
        case .notAManifest, .analysisIncomplete, .restrictionUnchecked, .lastTestStale, .lastTestWorstLayer:
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
        case .modelUnreadable: "Model file cannot be read"
        case .unknownRuntimeVersion: "Runtime version not in the catalogue"
        case .opsetUnsupported: "ONNX opset outside the runtime's range"
        case .irVersionUnsupported: "ONNX IR version newer than the runtime reads"
        case .operatorUnsupported: "Operator the runtime cannot run"
        case .operatorsOnCPU: "Operators fall back to the CPU"
        case .delegateUnavailable: "Delegate not available for the runtime"
        case .minimumOSTooOld: "Minimum OS too old for the configuration"
        case .quantizationUnsupported: "Quantization the target cannot run"
        case .quantizationSlow: "Quantization settings that are slow on the target"
        case .calibrationMissing: "Activation quantization without calibration data"
        case .alreadyQuantized: "Quantizing a model that is already quantized"
        case .dynamicShapes: "Dynamic input dimensions on a static-shape target"
        case .deprecatedDelegate: "Deprecated delegate"
        case .unknownDevice: "Device not in the catalogue"
        case .knownBadToolVersion: "Known-bad tool version"
        case .operatorConstraint: "Operator outside the delegate's or runtime's constraints"
        case .analysisIncomplete: "Figures cover part of the model"
        case .noConversionPath: "No conversion path for the target"
        case .ggufUnsupported: "GGUF content the llama.cpp release cannot load"
        case .restrictionUnchecked: "Operator restrictions Slipway does not check"
        case .conversionDeviates: "The converted model computes otherwise than the source"
        case .lastConversionFailed: "The target's last conversion failed, and nothing it depends on changed"
        case .convertedAtSampledSizes: "The converter builds the file at sizes the manifest leaves free"
        case .modelInputUnknown: "The model has no input of that name"
        case .modelInputShape: "Input shape does not fit the model's input"
        case .modelInputValue: "Input value given for an input that is not a scalar"
        case .betterGranularity: "Finer quantization scales would keep much more accuracy"
        case .int4NeedsPerBlock: "4-bit weights without per-block scales"
        case .tensorsLoseMost: "Tensors that quantization damages most"
        case .nonFiniteWeights: "Weights hold NaN or infinite values"
        case .alreadySparse: "Pruning a tensor that is already sparse"
        case .sizeOverBudget: "Size over budget"
        case .memoryOverBudget: "Memory over budget"
        case .latencyOverBudget: "Latency estimate over budget"
        case .budgetUnconfirmed: "Budget cannot be confirmed from a partial analysis"
        case .testToleranceFailed: "Test tolerance not met"
        case .testSampleMismatch: "Test sample does not fit the model"
        case .testArtifactFailed: "Artifact does not run in its runtime"
        case .lastTestFailed: "The target's last test failed"
        case .lastTestStale: "The target's last test result is stale"
        case .monitorBreachedByTest: "Monitor threshold already breached by the last test"
        case .lastTestWorstLayer: "The quantized layer that lost the most in the last failed test"
        }
    }

    /// Where the code is documented, relative to the repository root; the server turns this into a
    /// `codeDescription` link.
    public var documentationAnchor: String { "docs/diagnostics.md#\(rawValue.lowercased())" }

    /// Where the project's documents are published; codes link to their section there.
    public static let documentationBase = "https://github.com/slipway-dev/slipway/blob/main/"
    public var documentationURL: String { DiagnosticCode.documentationBase + documentationAnchor }
}
