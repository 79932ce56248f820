import Diagnostics
import Testing
import TestSupport
@testable import YAMLSyntax

private func parse(_ marked: MarkedText, limits: YAMLLimits = .default) -> YAMLStream {
    YAMLParser.parse(marked.text, limits: limits)
}

private func text(_ m: MarkedText, _ r: ByteRange) -> String {
    String(decoding: Array(m.text.utf8)[r.start..<r.end], as: UTF8.self)
}

@Suite struct TreeSpec {
    @Test func mappingKeepsOrderAndEveryKeyAndValueHasItsRange() {
        let m = MarkedText("""
            ⟦slipway⟧: ⟦1⟧
            ⟦model⟧:
              ⟦path⟧: ⟦"m.onnx"⟧
            ⟦name⟧: ⟦kws⟧
            """)
        let s = parse(m)
        #expect(s.diagnostics.isEmpty)
        let root = s.documents.first?.root
        let pairs = root?.pairs ?? []
        #expect(pairs.map { $0.key.scalar?.text } == ["slipway", "model", "name"])
        #expect(pairs[0].key.range == m.ranges[0])
        #expect(pairs[0].value.range == m.ranges[1])
        #expect(pairs[1].key.range == m.ranges[2])
        let path = root?["model"]?.pair("path")
        #expect(path?.key.range == m.ranges[3])
        #expect(path?.value.range == m.ranges[4])
        #expect(path?.value.scalar == YAMLScalar(text: "m.onnx", style: .doubleQuoted))
        #expect(root?["name"]?.range == m.ranges[6])
    }

    @Test func scalarStylesAndTags() {
        let s = YAMLParser.parse("""
            a: plain
            b: 'single'
            c: "double"
            d: |
              literal
            e: >
              folded
              text
            f: !!str 12
            """)
        let r = s.documents[0].root
        #expect(r?["a"]?.scalar?.style == .plain)
        #expect(r?["b"]?.scalar?.style == .singleQuoted)
        #expect(r?["c"]?.scalar?.style == .doubleQuoted)
        #expect(r?["d"]?.scalar == YAMLScalar(text: "literal\n", style: .literal))
        #expect(r?["e"]?.scalar == YAMLScalar(text: "folded text\n", style: .folded))
        #expect(r?["f"]?.tag == "tag:yaml.org,2002:str")
        #expect(r?["f"]?.resolved == .string("12"))
    }

    @Test func blockScalarRangeStopsBeforeTrailingBlankLines() {
        let m = MarkedText("d: ⟦|\n  line⟧\n\n\nnext: 1\n")
        let s = parse(m)
        #expect(s.documents[0].root?["d"]?.range == m.ranges[0])
    }

    @Test func flowCollectionsSpanTheirBrackets() {
        let m = MarkedText("inputs: ⟦{audio: ⟦[1, 16000]⟧}⟧\n")
        let s = parse(m)
        let inputs = s.documents[0].root?["inputs"]
        #expect(inputs?.range == m.ranges[0])
        #expect(inputs?["audio"]?.range == m.ranges[1])
        #expect(inputs?["audio"]?.items?.map(\.resolved) == [.int(1), .int(16000)])
    }

    @Test func severalDocumentsStandAlone() {
        let s = YAMLParser.parse("a: &x 1\nb: *x\n---\nc: *x\n")
        #expect(s.documents.count == 2)
        #expect(s.documents[0].root?["b"]?.resolved == .int(1))
        // Anchors do not cross documents.
        #expect(s.diagnostics.map(\.code) == [.undefinedAlias])
        #expect(s.documents[1].root?["c"]?.isInvalid == true)
    }

    @Test func emptyTextHasNoDocumentsAndNoDiagnostics() {
        let s = YAMLParser.parse("")
        #expect(s.documents.isEmpty)
        #expect(s.diagnostics.isEmpty)
        #expect(s.isComplete)
    }

    @Test func cursorPathFindsTheInnermostNode() {
        let m = MarkedText("model:\n  path: m.o1️⃣nnx\n")
        let s = parse(m)
        let path = s.documents[0].root?.path(to: m["1️⃣"]) ?? []
        #expect(path.last?.scalar?.text == "m.onnx")
        #expect(path.count == 3)
    }
}

@Suite struct AliasSpec {
    @Test func aliasesResolveAndRememberWhereTheyStand() {
        let m = MarkedText("base: &b {weights: int8}\nother: ⟦*b⟧\n")
        let s = parse(m)
        let other = s.documents[0].root?["other"]
        #expect(other?["weights"]?.scalar?.text == "int8")
        #expect(other?.aliasRange == m.ranges[0])
        #expect(other?.reportRange == m.ranges[0])
    }

    @Test func mergeKeysMergeWithoutOverridingExplicitKeys() {
        let s = YAMLParser.parse("""
            defaults: &d {weights: int8, granularity: per-channel}
            target:
              <<: *d
              weights: int4
            """)
        let t = s.documents[0].root?["target"]
        #expect(s.diagnostics.isEmpty)
        #expect(t?["weights"]?.scalar?.text == "int4")
        #expect(t?["granularity"]?.scalar?.text == "per-channel")
        #expect(t?.pairs?.filter(\.isMerged).count == 1)
    }

    @Test func billionLaughsIsRefusedInBoundedTime() {
        var doc = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...12 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            doc += "a\(i): &a\(i) [\(refs)]\n"
        }
        let s = YAMLParser.parse(doc)
        #expect(s.diagnostics.map(\.code) == [.aliasExpansionLimit])
        #expect(s.diagnostics.first?.message.contains("alias bomb") == true)
    }

    @Test func aliasToItselfIsUndefined() {
        let s = YAMLParser.parse("a: &x [1, *x]\n")
        #expect(s.diagnostics.map(\.code) == [.undefinedAlias])
    }
}

@Suite struct ErrorSpec {
    @Test func duplicateKeysAreErrorsPointingAtTheSecondWithTheFirstRelated() {
        let m = MarkedText("⟦name⟧: a\nmodel: {}\n⟦name⟧: b\n")
        let s = parse(m)
        #expect(s.diagnostics.count == 1)
        let d = s.diagnostics[0]
        #expect(d.code == .duplicateKey)
        #expect(d.range == m.ranges[1])
        #expect(d.related.first?.range == m.ranges[0])
        #expect(d.message.contains("line 1, column 1"))
    }

    @Test func syntaxErrorKeepsWhatWasReadAndPointsAtTheProblem() {
        let m = MarkedText("slipway: 1\nname: kws\nmodel:\n  path: a\n ⟦b⟧ad: [\n")
        let s = parse(m)
        #expect(!s.isComplete)
        #expect(s.diagnostics.count == 1)
        #expect(s.diagnostics[0].code == .yamlSyntax)
        #expect(s.diagnostics[0].range.start == m.ranges[0].start)
        #expect(s.documents.first?.root?["name"]?.scalar?.text == "kws")
        #expect(s.documents.first?.root?["model"]?["path"]?.scalar?.text == "a")
    }

    @Test func tabIndentationGetsAHint() {
        let s = YAMLParser.parse("model:\n\tpath: a\n")
        #expect(s.diagnostics.first?.message.contains("tabs") == true)
    }

    /// libyaml counts columns in code points and breaks lines at U+2028; our ranges must still land on the
    /// right bytes after CJK, emoji, combining marks, tabs, CRLF and U+2028.
    @Test func errorPositionIsExactAfterWideCharactersCRLFAndLineSeparator() {
        let m = MarkedText("name: \"名前 🚀 e\u{301}\u{2028}x\"\r\nnote: a\tb\r\nbad: x: y\r\n")
        let s = parse(m)
        #expect(s.diagnostics.count == 1)
        // libyaml reports "mapping values are not allowed" at the second ':'.
        let d = s.diagnostics[0]
        let line = s.lineIndex.position(of: d.range.start, unit: .utf16)
        #expect(line == LineColumn(line: 2, column: 6))
        #expect(text(m, d.range) == ":")
        let nameNode = s.documents.first?.root?["name"]
        #expect(nameNode?.scalar?.text == "名前 🚀 e\u{301}\u{2028}x")
    }

    /// To libyaml, U+2028 inside a plain scalar ends the line, so `y` starts a new (broken) key; to LSP it
    /// is the same line. The error must still land on the exact byte, in LSP's lines.
    @Test func u2028InAPlainScalarIsALineBreakToLibyamlButNotToUs() {
        let m = MarkedText("a: x\u{2028}y\n⟦b⟧: z\n")
        let s = parse(m)
        #expect(s.diagnostics.count == 1)
        #expect(s.diagnostics.first?.range.start == m.ranges[0].start)
        #expect(s.lineIndex.position(of: m.ranges[0].start, unit: .utf16) == LineColumn(line: 1, column: 0))
        #expect(s.diagnostics.first?.message.contains("line 1, column 6") == true)
    }

    @Test func bomIsSkippedAndRangesStayExact() {
        let m = MarkedText("\u{FEFF}⟦a⟧: 1\n")
        let s = parse(m)
        #expect(s.diagnostics.isEmpty)
        #expect(s.documents.first?.root?.pairs?.first?.key.range == m.ranges[0])
    }

    @Test func deepNestingStopsWithADiagnostic() {
        let s = YAMLParser.parse(String(repeating: "[", count: 10_000))
        #expect(s.diagnostics.map(\.code) == [.nestingTooDeep])
    }

    @Test func binaryAndInvalidUTF8AreRefusedWithTheOffset() {
        let bin = YAMLParser.parse(bytes: [0x61, 0x3A, 0x00, 0x01])
        #expect(bin.diagnostics.map(\.code) == [.fileNotText])
        #expect(bin.diagnostics[0].range == ByteRange(2, 3))
        let latin1 = YAMLParser.parse(bytes: Array("name: caf".utf8) + [0xE9, 0x0A])
        #expect(latin1.diagnostics.map(\.code) == [.fileNotText])
        #expect(latin1.diagnostics[0].message.contains("0xE9"))
        let truncated = YAMLParser.parse(bytes: Array("a: ".utf8) + [0xF0, 0x9F])
        #expect(truncated.diagnostics.map(\.code) == [.fileNotText])
    }

    @Test func oversizedTextIsRefusedBeforeParsing() {
        let s = YAMLParser.parse(bytes: Array(repeating: 0x61, count: 200), limits: YAMLLimits(maxBytes: 100))
        #expect(s.diagnostics.map(\.code) == [.fileTooLarge])
    }

    @Test func controlCharactersAreASyntaxErrorAtTheirByte() {
        let m = MarkedText("a: b⟦\u{07}⟧\n")
        let s = parse(m)
        #expect(s.diagnostics.first?.code == .yamlSyntax)
        #expect(s.diagnostics.first?.range.start == m.ranges[0].start)
    }
}

@Suite struct ScalarResolutionSpec {
    @Test func coreSchema() {
        func r(_ t: String) -> ResolvedScalar { YAMLNode.resolve(YAMLScalar(text: t, style: .plain), tag: nil) }
        #expect(r("~") == .null)
        #expect(r("") == .null)
        #expect(r("true") == .bool(true))
        #expect(r("yes") == .string("yes"))
        #expect(r("12") == .int(12))
        #expect(r("0755") == .int(755))
        #expect(r("0x1F") == .int(31))
        #expect(r("1e3") == .float(1000))
        #expect(r("1.20") == .float(1.2))
        #expect(r(".5") == .float(0.5))
        #expect(r("1.2.3") == .string("1.2.3"))
        #expect(r("litert@2.16") == .string("litert@2.16"))
        #expect(YAMLNode.resolve(YAMLScalar(text: "12", style: .doubleQuoted), tag: nil) == .string("12"))
    }

    @Test func yaml11Traps() {
        func t(_ s: String) -> YAML11Trap? { YAML11Trap.detect(YAMLScalar(text: s, style: .plain)) }
        #expect(t("on") == .boolean(true))
        #expect(t("No") == .boolean(false))
        #expect(t("0755") == .octal(493))
        #expect(t("1e3") == .exponentWithoutDot)
        #expect(t("1.0e3") == nil)
        #expect(t("1_000") == .yaml11OnlyNumber)
        #expect(t("hello") == nil)
        #expect(YAML11Trap.detect(YAMLScalar(text: "on", style: .singleQuoted)) == nil)
    }
}
