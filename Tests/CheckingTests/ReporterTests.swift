import Checking
import Diagnostics
import JSON
import Reporting
import Testing
import TestSupport

private func result(_ text: String, path: String = "m.slipway.yaml") -> CheckResult {
    let folder = PathUtil.directory(of: path)
    let fs = InMemoryFileSystem(binary: [PathUtil.normalize(PathUtil.join(folder, "models/kws.onnx")): kwsModel])
    return ManifestChecker(fileSystem: fs).check(bytes: Array(text.utf8), path: path)
}

/// A manifest with one problem after wide characters, so that columns in every format are tested where
/// byte-offset tools go wrong.
private let wide = "slipway: 1\ndescription: \"名前 🚀\"\nmodel: {path: models/kws.onnx, 名: x}\ntargets: {a: {runtime: litert}}\n"

@Suite struct ReporterSpec {
    @Test func textIsCompilerStyleWithTheRangeUnderlined() {
        let out = Reporter.render([result(wide)], format: .text)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "m.slipway.yaml:3:32: error[SW2001]: unknown key '名' in 'model'; valid keys: path, format, inputs, context_length")
        #expect(lines[2] == "3 | model: {path: models/kws.onnx, 名: x}")
        // The CJK key is two terminal columns wide: two carets under it.
        #expect(lines[3] == "  |                                ^^")
        #expect(lines.last(where: { !$0.isEmpty }) == "1 file checked: 1 error, 0 warnings in 1 file")
        #expect(!out.contains("\u{1B}["))
    }

    @Test func colourOnlyWhenAsked() {
        #expect(Reporter.render([result(wide)], format: .text, color: true).contains("\u{1B}[1;31m"))
    }

    @Test func cleanRunSaysSo() {
        let out = Reporter.render([result("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: litert}}\n")], format: .text)
        #expect(out == "✓ 1 file checked, no problems\n")
    }

    @Test func jsonHasTheContractKeysWithOneBasedCharacterColumns() throws {
        let json = try JSONValue.parse(Reporter.render([result(wide)], format: .json))
        let d = json[0]
        #expect(d?["file"] == "m.slipway.yaml")
        #expect(d?["line"] == 3)
        #expect(d?["column"] == 32)
        #expect(d?["endLine"] == 3)
        #expect(d?["endColumn"] == 33)
        #expect(d?["severity"] == "error")
        #expect(d?["code"] == "SW2001")
        #expect(d?["message"]?.stringValue?.hasPrefix("unknown key") == true)
    }

    /// A finding about one target names it in `targets`; one about the manifest or the model has none.
    @Test func jsonNamesTheTargetsAFindingConcerns() throws {
        let r = result("slipway: 1\nmodel: {path: models/kws.onnx, 名: x}\ntargets: {a: {runtime: litert, budget: {size_mb: 0.001}}, b: {runtime: litert}}\n")
        let rows = try #require(JSONValue.parse(Reporter.render([r], format: .json)).arrayValue)
        #expect(rows.map { $0["code"]?.stringValue } == ["SW2001", "SW5101"])
        #expect(rows[0]["targets"] == nil)
        #expect(rows[1]["targets"] == ["a"])
    }

    @Test func sarifNamesRulesAndCountsColumnsInCodePoints() throws {
        let sarif = try JSONValue.parse(Reporter.render([result(wide)], format: .sarif))
        #expect(sarif["version"] == "2.1.0")
        let run = sarif["runs"]?[0]
        #expect(run?["columnKind"] == "unicodeCodePoints")
        #expect(run?["tool"]?["driver"]?["rules"]?.arrayValue?.count == DiagnosticCode.allCases.count)
        let res = run?["results"]?[0]
        #expect(res?["ruleId"] == "SW2001")
        #expect(res?["level"] == "error")
        #expect(res?["locations"]?[0]?["physicalLocation"]?["region"]?["startColumn"] == 32)
    }

    @Test func githubAnnotationsEscapeTheirProperties() {
        let out = Reporter.render([result(wide, path: "dir,x/m.slipway.yaml")], format: .github)
        #expect(out.hasPrefix("::error file=dir%2Cx/m.slipway.yaml,line=3,col=32,endLine=3,endColumn=33,title=SW2001 Unknown key::unknown key '名'"))
    }

    @Test func fixesAndRelatedLocationsAreShown() {
        let r = result("slipway: 1\nmodel: {pth: models/kws.onnx}\ntargets: {a: {runtime: litert}, a: {runtime: coreml}}\n")
        let out = Reporter.render([r], format: .text)
        #expect(out.contains("  fix: Change 'pth' to 'path'"))
        #expect(out.contains("  note: first definition of 'a' at m.slipway.yaml:3:11"))
    }
}
