import Glibc
import JSON

/// What the last failed run of an external converter leaves beside the artifact it did not write
/// (`<artifact>.failed.json`): the source's digest, the settings and the converter, and its words. `check` and the
/// server read it (`ConversionFailureFindings`) and err on the target while the model and the settings are those
/// the converter refused: a failure inside onnx2tf that no rule foresees is then said where the manifest is edited,
/// not only in a log. A successful run removes it; a cancelled one leaves it as it was.
public enum ConversionFailures {
    public static let version = 1

    public static func path(for output: String) -> String { output + ".failed.json" }

    /// The record, written atomically; a record that cannot be written is left out (the error the run throws says
    /// the same, and the log holds the rest).
    static func record(output: String, target: String, converter: String, settings: JSONValue, sourceSHA: String,
                       reason: String, log: String) {
        let json = JSONValue.object([
            "slipway_conversion_failure": .int(version), "target": .string(target), "converter": .string(converter),
            "settings": settings, "source_sha256": .string(sourceSHA), "reason": .string(reason), "log": .string(log),
        ])
        try? SafeWriter.write(Array((json.serialized(pretty: true) + "\n").utf8), to: path(for: output))
    }

    static func clear(output: String) { unlink(path(for: output)) }

    /// A record as read back: nil for a file that is not one (another version, missing keys).
    public struct Record: Sendable, Equatable {
        public var target: String
        public var converter: String
        public var settings: JSONValue
        public var sourceSHA: String
        public var reason: String
        public var log: String

        public init?(_ json: JSONValue) {
            guard json["slipway_conversion_failure"]?.intValue == ConversionFailures.version,
                  let target = json["target"]?.stringValue, let converter = json["converter"]?.stringValue,
                  let settings = json["settings"], let sha = json["source_sha256"]?.stringValue,
                  let reason = json["reason"]?.stringValue, let log = json["log"]?.stringValue
            else { return nil }
            (self.target, self.converter, self.settings, self.sourceSHA, self.reason, self.log) = (target, converter, settings, sha, reason, log)
        }
    }
}
