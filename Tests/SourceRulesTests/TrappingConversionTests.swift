import Foundation
import XCTest

/// The daemon never dies of input: on the paths that read models, manifests and client messages, no Swift
/// construct that traps on a bad value may appear. Swift traps cannot be caught, so this is checked in the
/// source text: float-to-integer conversions go through `CheckedMath` (`Int(saturating:)`,
/// `Int(roundingSaturating:)`), and forced unwraps, forced casts, `try!` and `fatalError` are absent.
final class TrappingConversionTests: XCTestCase {
    /// Modules whose code runs on values read from files or messages.
    static let inputPaths = [
        "JSON", "Diagnostics", "YAMLSyntax", "Manifest", "FlatBuffers", "ProtobufWire", "ModelFormats", "Compression",
        "Targets", "Estimation", "Checking", "LanguageServer", "Conversion",
    ]

    static var sourcesFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    struct Finding: CustomStringConvertible {
        var file: String, line: Int, text: String, rule: String
        var description: String { "\(file):\(line): \(rule): \(text.trimmingCharacters(in: .whitespaces))" }
    }

    /// An unlabeled integer conversion whose argument is floating point by its look: a `.rounded` call, a
    /// Double/Float construction or a decimal literal.
    static let floatToInt = try! NSRegularExpression(
        pattern: #"\b(U?Int(8|16|32|64)?)\((?!saturating:|roundingSaturating:|truncatingIfNeeded:|clamping:|exactly:|bitPattern:|littleEndian:|bigEndian:)([^()]|\([^()]*\))*?(\.rounded|Double\(|Float\(|\b\d+\.\d+\b|\be\d)"#)
    static let trapping = try! NSRegularExpression(pattern: #"try!|\bas!|fatalError\(|preconditionFailure\("#)

    static func findings(in text: String, file: String) -> [Finding] {
        var out: [Finding] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let code = line.components(separatedBy: "//").first ?? ""
            let range = NSRange(code.startIndex..., in: code)
            if floatToInt.firstMatch(in: code, range: range) != nil {
                out.append(Finding(file: file, line: i + 1, text: String(line), rule: "float-to-integer conversion that can trap"))
            }
            if trapping.firstMatch(in: code, range: range) != nil {
                out.append(Finding(file: file, line: i + 1, text: String(line), rule: "trapping construct"))
            }
        }
        return out
    }

    func testTheRulesCatchWhatTheyAreFor() {
        let bad = """
            let a = Int(x.rounded())
            let b = Int((share * 100).rounded())
            let c = Int64(Double(n) * 1.5)
            let d = try! parse()
            let e = v as! Int
            """
        XCTAssertEqual(Self.findings(in: bad, file: "t").map(\.line), [1, 2, 3, 4, 5])
        let good = """
            let a = Int(roundingSaturating: x)
            let b = Int(truncatingIfNeeded: v)
            let c = Int(someString)
            let d = Int(st.st_size)
            // let e = Int(x.rounded()) in a comment
            """
        XCTAssertEqual(Self.findings(in: good, file: "t").map(\.line), [])
    }

    func testNoTrappingConstructOnTheInputPaths() throws {
        var all: [Finding] = []
        var filesRead = 0
        for module in Self.inputPaths {
            let folder = Self.sourcesFolder.appendingPathComponent(module)
            guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
                XCTFail("no folder \(folder.path)")
                continue
            }
            for case let url as URL in walker where url.pathExtension == "swift" {
                // Generated tables hold literals only.
                if url.lastPathComponent.hasPrefix("Embedded") || url.path.contains("/Generated/") { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                filesRead += 1
                all += Self.findings(in: text, file: "\(module)/\(url.lastPathComponent)")
            }
        }
        XCTAssertGreaterThan(filesRead, 100)
        XCTAssertEqual(all.map(\.description), [])
    }
}
