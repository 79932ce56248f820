import Diagnostics
import JSON
import Testing

@testable import Targets

/// The catalogue is data with sources: it loads, every cross-reference resolves, the binary carries exactly
/// the committed files, and docs/rules.md is what the data says.
@Suite struct CatalogueSpec {
    @Test func embeddedCatalogueLoads() throws {
        let c = try Catalogue.embedded.get()
        #expect(c.runtime("onnxruntime")?.version("1.20")?.maxOpset == 21)
        #expect(c.runtime("tflite")?.name == "litert")
        #expect(c.device("arm64-v8a")?.name == "android-phone")
        #expect(c.operatorSet("edgetpu")?.maxRank == 3)
    }

    @Test func embeddedTextIsTheCommittedFiles() {
        #expect(EmbeddedCatalogue.files.map(\.name) == Catalogue.fileNames)
        for (name, text) in EmbeddedCatalogue.files {
            var committed = Repo.text("Schemas/targets/\(name)") ?? ""
            if committed.hasSuffix("\n") { committed.removeLast() }
            #expect(text == committed, "\(name) differs from Sources/Targets/EmbeddedCatalogue.swift: run `make catalogue`")
        }
    }

    @Test func everyRuleTheChecksConsultIsInTheCatalogue() {
        for id in TargetChecks.ruleIDs { #expect(catalogue.rule(id) != nil, "rule \(id) is missing") }
        // Known-bad tool versions (SW4015) are all evaluated by one generic check (ToolChecksTests covers each).
        for r in catalogue.rules where r.code != .knownBadToolVersion {
            #expect(TargetChecks.ruleIDs.contains(r.id), "rule \(r.id) is never checked")
        }
    }

    @Test func everyRuleAndFigureCitesAKnownSource() {
        var refs = catalogue.rules.map(\.source) + catalogue.devices.map(\.source)
        refs += catalogue.runtimes.flatMap { $0.delegates.map(\.source) } + catalogue.operatorSets.map(\.source)
        for r in refs { #expect(catalogue.sources[r.id] != nil && !r.section.isEmpty, "\(r)") }
    }

    @Test func rulesDocumentIsCurrent() {
        let committed = Repo.text("docs/rules.md")
        #expect(committed == CatalogueDocument.markdown(catalogue), "docs/rules.md is stale: run `make rules`")
    }

    @Test(arguments: [
        ("runtimes.json", "{", "invalid JSON"),
        ("runtimes.json", #"{"runtimes": 3}"#, "runtimes: must be an array"),
        ("devices.json", #"{"devices": [{"name": "x"}]}"#, "devices[0].cpu: is missing"),
        ("rules.json", #"{"rules": [{"id": "a.b", "code": "SW9999", "runtimes": ["*"], "text": "t", "source": {"id": "ort-compat", "section": "s"}}]}"#, "SW9999"),
        ("rules.json", #"{"rules": [{"id": "a.b", "code": "SW4002", "runtimes": ["*"], "text": "t", "source": {"id": "nowhere", "section": "s"}}]}"#, "'nowhere' is not one of the catalogue's sources"),
        ("operators.json", #"{"tflite_op_versions": {"source": {"id": "tflite-runtime-version", "section": "s"}, "operators": {}}, "operator_sets": [{"id": "x", "title": "x", "source": {"id": "coral-models", "section": "s"}, "tensor_types": [], "operators": [], "checks": [{"id": "c", "operators": ["*"], "kind": "sideways", "text": "t"}]}], "onnx_to_tflite": {"source": {"id": "onnx2tf", "section": "s"}, "operators": {}}}"#, "operator_sets[0].checks[0].kind: 'sideways' is not a check kind"),
        ("operators.json", #"{"tflite_op_versions": {"source": {"id": "tflite-runtime-version", "section": "s"}, "operators": {}}, "operator_sets": [{"id": "x", "title": "x", "source": {"id": "coral-models", "section": "s"}, "tensor_types": [], "operators": ["A"], "constraints": {"A": "One. Two."}, "unchecked": {"A": "Three."}}], "onnx_to_tflite": {"source": {"id": "onnx2tf", "section": "s"}, "operators": {}}}"#, "operator_sets[0].unchecked.A: is not part of the operator's constraints"),
        ("operators.json", #"{"tflite_op_versions": {"source": {"id": "tflite-runtime-version", "section": "s"}, "operators": {}}, "operator_sets": [{"id": "x", "title": "x", "source": {"id": "coral-models", "section": "s"}, "tensor_types": [], "operators": [], "checks": [{"id": "c", "operators": ["*"], "kind": "rank", "before": "soon", "text": "t"}]}], "onnx_to_tflite": {"source": {"id": "onnx2tf", "section": "s"}, "operators": {}}}"#, "operator_sets[0].checks[0].before: must be a dotted version"),
    ])
    func corruptFilesGiveAnErrorNamingFileAndValue(file: String, text: String, fragment: String) {
        var files = EmbeddedCatalogue.files
        if let i = files.firstIndex(where: { $0.name == file }) { files[i].text = text }
        do {
            _ = try Catalogue.load(files: files)
            Issue.record("\(file) loaded")
        } catch {
            #expect(error.file == file)
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test func aKeyDefinedTwiceIsRefused() {
        let files = EmbeddedCatalogue.files + [(name: "extra.json", text: #"{"devices": []}"#)]
        #expect(throws: CatalogueError.self) { try Catalogue.load(files: files) }
    }

    @Test func versionsCompareNumerically() {
        #expect(VersionNumber("2.16")! > VersionNumber("2.9")!)
        #expect(VersionNumber("1.20") == VersionNumber("1.20.0"))
        #expect(VersionNumber("x") == nil)
    }
}
