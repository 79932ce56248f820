import Checking
import Diagnostics
import JSON

/// Output formats of `slipway check`. Each turns results into one string; the CLI writes it.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text, json, sarif, github
}

/// 1-based line and column (Unicode scalars) of a diagnostic, the CLI's coordinates.
public struct CLIRange: Sendable, Equatable {
    public var line: Int, column: Int, endLine: Int, endColumn: Int

    public init(_ r: ByteRange, in index: LineIndex) {
        let s = index.position(of: r.start, unit: .scalars)
        let e = index.position(of: r.end, unit: .scalars)
        line = s.line + 1
        column = s.column + 1
        endLine = e.line + 1
        endColumn = e.column + 1
    }
}

public enum Reporter {
    public static func render(_ results: [CheckResult], format: OutputFormat, color: Bool = false) -> String {
        switch format {
        case .text: return TextReporter(color: color).render(results)
        case .json: return jsonDiagnostics(results).serialized(pretty: true) + "\n"
        case .sarif: return sarif(results).serialized(pretty: true) + "\n"
        case .github: return github(results)
        }
    }

    // MARK: JSON

    public static func jsonDiagnostics(_ results: [CheckResult]) -> JSONValue {
        var rows: [JSONValue] = []
        for r in results {
            for d in r.diagnostics {
                let c = CLIRange(d.range, in: r.lineIndex)
                var o: JSONObject = [
                    "file": .string(r.path), "line": .int(c.line), "column": .int(c.column),
                    "endLine": .int(c.endLine), "endColumn": .int(c.endColumn),
                    "severity": .string(d.severity.rawValue), "code": .string(d.code.rawValue),
                    "message": .string(d.message),
                ]
                // The targets a finding concerns, so that a tool need not parse "target 'x':" out of the message.
                if !d.targets.isEmpty { o["targets"] = .array(d.targets.map { .string($0) }) }
                if !d.related.isEmpty {
                    o["related"] = .array(d.related.map { rel in
                        var ro: JSONObject = ["message": .string(rel.message), "file": .string(rel.file ?? r.path)]
                        if let rr = rel.range, rel.file == nil {
                            let rc = CLIRange(rr, in: r.lineIndex)
                            ro["line"] = .int(rc.line)
                            ro["column"] = .int(rc.column)
                        }
                        return .object(ro)
                    })
                }
                if !d.fixes.isEmpty {
                    o["fixes"] = .array(d.fixes.map { f in
                        [
                            "title": .string(f.title),
                            "edits": .array(f.edits.map { e in
                                let ec = CLIRange(e.range, in: r.lineIndex)
                                return [
                                    "line": .int(ec.line), "column": .int(ec.column), "endLine": .int(ec.endLine),
                                    "endColumn": .int(ec.endColumn), "startByte": .int(e.range.start), "endByte": .int(e.range.end),
                                    "newText": .string(e.newText),
                                ]
                            }),
                        ]
                    })
                }
                rows.append(.object(o))
            }
        }
        return .array(rows)
    }

    // MARK: SARIF 2.1.0

    public static let toolVersion = "0.1.0"
    public static let informationURI = "https://github.com/slipway-dev/slipway"

    public static func sarif(_ results: [CheckResult]) -> JSONValue {
        let codes = DiagnosticCode.allCases
        let rules: [JSONValue] = codes.map { c in
            [
                "id": .string(c.rawValue),
                "name": .string(c.title.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()),
                "shortDescription": ["text": .string(c.title)],
                "helpUri": .string(c.documentationURL),
                "defaultConfiguration": ["level": .string(sarifLevel(c.defaultSeverity))],
            ]
        }
        var sarifResults: [JSONValue] = []
        for r in results {
            for d in r.diagnostics {
                let c = CLIRange(d.range, in: r.lineIndex)
                var res: JSONObject = [
                    "ruleId": .string(d.code.rawValue),
                    "ruleIndex": .int(codes.firstIndex(of: d.code) ?? 0),
                    "level": .string(sarifLevel(d.severity)),
                    "message": ["text": .string(d.message)],
                    "locations": [
                        [
                            "physicalLocation": [
                                "artifactLocation": ["uri": .string(uri(r.path))],
                                "region": [
                                    "startLine": .int(c.line), "startColumn": .int(c.column),
                                    "endLine": .int(c.endLine), "endColumn": .int(c.endColumn),
                                ],
                            ]
                        ]
                    ],
                ]
                if !d.fixes.isEmpty {
                    res["fixes"] = .array(d.fixes.map { f in
                        [
                            "description": ["text": .string(f.title)],
                            "artifactChanges": [
                                [
                                    "artifactLocation": ["uri": .string(uri(r.path))],
                                    "replacements": .array(f.edits.map { e in
                                        let ec = CLIRange(e.range, in: r.lineIndex)
                                        return [
                                            "deletedRegion": [
                                                "startLine": .int(ec.line), "startColumn": .int(ec.column),
                                                "endLine": .int(ec.endLine), "endColumn": .int(ec.endColumn),
                                            ],
                                            "insertedContent": ["text": .string(e.newText)],
                                        ]
                                    }),
                                ]
                            ],
                        ]
                    })
                }
                sarifResults.append(.object(res))
            }
        }
        return [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": "slipway", "version": .string(toolVersion),
                            "informationUri": .string(informationURI), "rules": .array(rules),
                        ]
                    ],
                    // Our columns count Unicode characters, not UTF-16 units (SARIF's default).
                    "columnKind": "unicodeCodePoints",
                    "results": .array(sarifResults),
                ]
            ],
        ]
    }

    static func sarifLevel(_ s: Severity) -> String {
        switch s {
        case .error: return "error"
        case .warning: return "warning"
        case .information, .hint: return "note"
        }
    }

    /// A relative URI reference for a path (percent-encoding what a URI cannot hold).
    static func uri(_ path: String) -> String {
        PercentEncoding.encodePath(path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }

    // MARK: GitHub workflow commands

    public static func github(_ results: [CheckResult]) -> String {
        var out = ""
        for r in results {
            for d in r.diagnostics {
                let c = CLIRange(d.range, in: r.lineIndex)
                let level: String
                switch d.severity {
                case .error: level = "error"
                case .warning: level = "warning"
                case .information, .hint: level = "notice"
                }
                out += "::\(level) file=\(ghProperty(r.path)),line=\(c.line),col=\(c.column),endLine=\(c.endLine),endColumn=\(c.endColumn),title=\(ghProperty("\(d.code.rawValue) \(d.code.title)"))::\(ghData(d.message))\n"
            }
        }
        return out
    }

    /// Escaping rules of GitHub's workflow commands (actions/toolkit `command.ts`).
    static func ghData(_ s: String) -> String {
        s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }
    static func ghProperty(_ s: String) -> String {
        ghData(s).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}
