import JSON

/// How an artifact of one format is made from a source of another (Schemas/conversion/paths.json): natively,
/// by an external tool, or not at all, with the settings each path writes.
public struct ConversionPath: Sendable, Hashable {
    public var from: String
    public var to: String
    /// "native", a tool's name from Schemas/converters.json, or "none".
    public var via: String
    /// Nil: the path does not constrain the setting.
    public var activations: [String]?
    public var weights: [String]?
    public var granularity: [String]?
    public var prunes: Bool?
    /// The input and output element types the path writes (`quantize.io`); nil: float32 only.
    public var io: [String]? = nil
    /// Why the path is impossible (via "none"), or why the weights it writes are limited.
    public var reason: String?
    public var source: String
    /// "native" when Slipway's own converter runs on the tool's product (an exporter writes the float ONNX graph,
    /// Slipway quantizes and prunes it): the settings are those of the native path.
    public var then: String? = nil
    /// The opsets an exporter's route writes (`exporter_opset`): nil for a route that keeps the source's opset.
    public var exporterOpset: ExporterOpset? = nil
}

/// The default-domain opset an exporter writes unless asked (`default`) and the lowest it can be asked for: the
/// plan asks for the default, or the target runtime's highest opset when that is lower.
public struct ExporterOpset: Sendable, Hashable {
    public var `default`: Int
    public var lowest: Int
}

/// The ONNX default-domain opset each written form needs.
public struct ONNXFormOpsets: Sendable, Hashable {
    public var dequantizeLinear: Int
    public var perChannel: Int
    public var perBlock: Int
    public var fourBit: Int
    public var dynamicQuantizeLinear: Int
    public var castIntegerTo: Int
}

/// A document a path or a figure comes from.
public struct PathSource: Sendable, Hashable {
    public var title: String
    public var url: String
}

public struct ConversionPaths: Sendable {
    public var paths: [ConversionPath]
    public var sources: [String: PathSource]
    /// Runtime → the formats it loads, its default first.
    public var runtimeFormats: [String: [String]]
    public var opsets: ONNXFormOpsets

    /// The embedded table; a corrupt one is a build error that the tests catch (`PlanningTests`).
    public static let embedded: Result<ConversionPaths, PathsError> = parse(EmbeddedConversionPaths.text)

    /// The table, or an empty one when it does not read (the tests fail then; checks and conversions still run
    /// and the converters keep their own refusals).
    public static var table: ConversionPaths {
        switch embedded {
        case .success(let t): return t
        case .failure:
            return ConversionPaths(paths: [], sources: [:], runtimeFormats: [:], opsets: ONNXFormOpsets(
                dequantizeLinear: 10, perChannel: 13, perBlock: 21, fourBit: 21, dynamicQuantizeLinear: 11, castIntegerTo: 6))
        }
    }

    public struct PathsError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    static func parse(_ text: String) -> Result<ConversionPaths, PathsError> {
        func fail(_ s: String) -> Result<ConversionPaths, PathsError> { .failure(PathsError(description: "Schemas/conversion/paths.json: \(s)")) }
        guard let root = try? JSONValue.parse(text) else { return fail("not JSON") }
        var sourceTable: [String: PathSource] = [:]
        for (k, v) in root["sources"]?.objectValue?.entries ?? [] {
            guard let t = v["title"]?.stringValue, let u = v["url"]?.stringValue else { return fail("sources.\(k) needs title and url") }
            sourceTable[k] = PathSource(title: t, url: u)
        }
        let sources = Set(sourceTable.keys)
        var paths: [ConversionPath] = []
        for (i, e) in (root["paths"]?.arrayValue ?? []).enumerated() {
            guard let from = e["from"]?.stringValue, let to = e["to"]?.stringValue, let via = e["via"]?.stringValue,
                  let source = e["source"]?.stringValue
            else { return fail("paths[\(i)] needs from, to, via and source") }
            guard sources.contains(source) else { return fail("paths[\(i)].source \(source) is not in sources") }
            func list(_ k: String) -> [String]? { e[k]?.arrayValue.map { $0.compactMap(\.stringValue) } }
            var p = ConversionPath(from: from, to: to, via: via, activations: list("activations"), weights: list("weights"),
                                   granularity: list("granularity"), prunes: e["prunes"]?.boolValue,
                                   io: list("io"), reason: e["reason"]?.stringValue, source: source, then: e["then"]?.stringValue)
            if let x = e["exporter_opset"] {
                guard let d = x["default"]?.intValue, let l = x["lowest"]?.intValue, l <= d else {
                    return fail("paths[\(i)].exporter_opset needs integers default and lowest, lowest ≤ default")
                }
                p.exporterOpset = ExporterOpset(default: d, lowest: l)
            }
            if via == "none", p.reason == nil { return fail("paths[\(i)] is impossible (via none) and needs a reason") }
            paths.append(p)
        }
        var runtimeFormats: [String: [String]] = [:]
        for (k, v) in root["runtime_formats"]?.objectValue?.entries ?? [] where k != "comment" {
            guard let l = v.arrayValue?.compactMap(\.stringValue), !l.isEmpty else { return fail("runtime_formats.\(k) is not a list of formats") }
            runtimeFormats[k] = l
        }
        let o = root["onnx_opsets"]
        guard let dq = o?["dequantize_linear"]?.intValue, let pc = o?["per_channel"]?.intValue,
              let pb = o?["per_block"]?.intValue, let fb = o?["four_bit"]?.intValue,
              let dy = o?["dynamic_quantize_linear"]?.intValue, let ca = o?["cast_integer_to"]?.intValue
        else { return fail("onnx_opsets needs dequantize_linear, per_channel, per_block, four_bit, dynamic_quantize_linear, cast_integer_to") }
        return .success(ConversionPaths(paths: paths, sources: sourceTable, runtimeFormats: runtimeFormats, opsets: ONNXFormOpsets(
            dequantizeLinear: dq, perChannel: pc, perBlock: pb, fourBit: fb, dynamicQuantizeLinear: dy, castIntegerTo: ca)))
    }
}
