import Foundation
import Testing

/// The layering ARCHITECTURE.md writes down, read from the sources' own `import` lines: `check` and `estimate`
/// decide from pure modules, and only the shells know LSP.
@Suite("Module layering")
struct LayeringSpec {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// The modules each Swift file of `module` imports.
    func imports(of module: String) throws -> Set<String> {
        let folder = Self.sources.appendingPathComponent(module)
        let files = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty, "no sources under \(folder.path)")
        var out: Set<String> = []
        for f in files {
            let text = try String(contentsOf: folder.appendingPathComponent(f), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                out.insert(String(line.dropFirst("import ".count)).trimmingCharacters(in: .whitespaces))
            }
        }
        return out
    }

    @Test("the plan and the artifact layout are pure: no operating system, no Foundation, no conversion")
    func pureModules() throws {
        for module in ["Planning", "ArtifactLayout"] {
            let found = try imports(of: module)
            #expect(found.isDisjoint(with: ["Glibc", "Darwin", "Foundation", "Conversion", "Isolation"]),
                    "\(module) imports \(found.sorted())")
        }
    }

    @Test("estimation sizes artifacts from ArtifactLayout, without the converter and its child processes")
    func estimationDoesNotImportConversion() throws {
        let found = try imports(of: "Estimation")
        #expect(!found.contains("Conversion"))
        #expect(found.contains("ArtifactLayout"))
    }

    @Test("no engine module knows LSP")
    func onlyTheServerKnowsLSP() throws {
        for module in ["Manifest", "Planning", "ArtifactLayout", "Targets", "Estimation", "Conversion", "Checking",
                       "Evaluation", "Deployment", "Monitoring"] {
            #expect(!(try imports(of: module)).contains("LanguageServer"), "\(module) imports LanguageServer")
        }
    }
}
