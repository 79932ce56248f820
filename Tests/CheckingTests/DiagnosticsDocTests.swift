import Checking
import Diagnostics
import Manifest
import Testing
import TestSupport

/// docs/diagnostics.md is a specification the tests execute: every code has a section; in each section the
/// first `yaml` example reports the code and the second (the fix) does not.
@Suite struct DiagnosticsDocSpec {
    struct Section {
        var code: String
        var examples: [String]
    }

    static func sections() -> [Section] {
        guard let doc = Repository.read("docs/diagnostics.md") else { return [] }
        var out: [Section] = []
        var inYAML = false
        var block = ""
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## SW") {
                out.append(Section(code: String(line.dropFirst(3).prefix(6)), examples: []))
            } else if line == "```yaml", !out.isEmpty {
                inYAML = true
                block = ""
            } else if line == "```", inYAML {
                inYAML = false
                out[out.count - 1].examples.append(block)
            } else if inYAML {
                block += line + "\n"
            }
        }
        return out
    }

    @Test func everyCodeHasASectionAndEverySectionACode() {
        let documented = Self.sections().map(\.code)
        #expect(documented == DiagnosticCode.allCases.map(\.rawValue))
    }

    // SW6xxx are measurements of `slipway test`, not findings of `check`: Tests/integration/test_test.py runs them.
    // SW4022 reads the record a failed conversion leaves: Tests/integration/test_convert_failures.py runs it.
    @Test(arguments: sections().filter { !$0.code.hasPrefix("SW0") && !$0.code.hasPrefix("SW6") && $0.code != "SW4022" })
    func failingExampleReportsTheCodeAndTheFixDoesNot(section: Section) {
        #expect(section.examples.count == 2, "\(section.code) needs a failing example and its fix")
        guard section.examples.count == 2, let code = DiagnosticCode(rawValue: section.code) else { return }
        let checker = ManifestChecker(fileSystem: projectFiles)
        let failing = checker.check(bytes: Array(section.examples[0].utf8), path: "kws.slipway.yaml")
        #expect(failing.diagnostics.contains { $0.code == code }, "\(section.code) example reported \(failing.diagnostics.map { "\($0.code.rawValue): \($0.message)" })")
        // A fix is a manifest Slipway builds: no other finding either (SW4018 included). SW4020 says what a table
        // restricts that no check evaluates, about the model rather than the fix: only its own section counts it.
        let fixed = checker.check(bytes: Array(section.examples[1].utf8), path: "kws.slipway.yaml")
        let other = fixed.diagnostics.filter { code == .restrictionUnchecked || $0.code != .restrictionUnchecked }
        #expect(other.isEmpty, "\(section.code) fix still reports \(fixed.diagnostics.map { "\($0.code.rawValue): \($0.message)" })")
    }
}

extension DiagnosticsDocSpec.Section: CustomTestStringConvertible {
    var testDescription: String { code }
}

/// The committed schema is what `slipway schema` prints: one source of truth, checked.
@Suite struct SchemaFileSpec {
    @Test func committedSchemaMatchesTheSwiftDefinition() {
        let committed = Repository.read("Schemas/slipway.schema.json")
        let generated = ManifestSchema.root.jsonSchema().serialized(pretty: true) + "\n"
        #expect(committed == generated, "Schemas/slipway.schema.json is stale: run `make schema`")
    }
}
