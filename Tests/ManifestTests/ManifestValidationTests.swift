import Diagnostics
import Manifest
import Testing
import TestSupport

/// Fixture in, diagnostics out: each `⟦…⟧` is where the diagnostic at the same position in the list is.
private func check(_ text: String, _ expected: [Expected], sourceLocation: SourceLocation = #_sourceLocation) {
    let m = MarkedText(text)
    let file = ManifestFile(m.text)
    for p in mismatches(file.diagnostics, m, expected) { Issue.record(Comment(rawValue: p), sourceLocation: sourceLocation) }
}

private let valid = """
    slipway: 1
    name: kws-mobile
    model:
      path: models/kws.onnx
      inputs:
        audio: [1, 16000]
        mask: [batch, 49]
    optimize:
      quantize: {weights: int8, activations: int8, granularity: per-channel, calibration: data/calib/}
      prune: {sparsity: 0.5, skip: ["*bias*"]}
    targets:
      android:
        runtime: litert@2.16
        device: arm64-v8a
        delegate: gpu
        format: tflite
        budget: {size_mb: 4, memory_mb: 64, latency_ms: 20}
      ios:
        runtime: coreml
        minimum_os: ios17
        format: mlpackage
        optimize: {quantize: {weights: int4, granularity: "per-block:32"}, prune: null}
    test:
      samples: data/test/
      tolerance: {cosine: 0.999, max_abs: 0.05}
    deploy:
      to: dist/{target}/{name}-{version}.{ext}
      version: "1.0.0"
    monitor:
      latency_p95_ms: 25
      max_output_drift: 0.02
    """

@Suite struct SchemaDiagnosticsSpec {
    @Test func aValidManifestHasNoDiagnostics() { check(valid, []) }

    @Test func unknownKeyWithDidYouMean() {
        // The typo stands for the missing required 'path': one diagnostic, not two.
        check("slipway: 1\nmodel:\n  ⟦pth⟧: m.onnx\ntargets: {a: {runtime: coreml}}\n", [
            Expected(.unknownKey, "unknown key 'pth' in 'model'; did you mean 'path'?")
        ])
    }

    @Test func missingRequiredKeyGoesOnTheParentKey() {
        check("slipway: 1\n⟦model⟧:\n  format: onnx\ntargets: {a: {runtime: coreml}}\n", [
            Expected(.missingRequiredKey, "missing required key 'path' in 'model'")
        ])
    }

    @Test func aRuntimeIsRequiredUnlessTheFormatImpliesOne() {
        // GGUF runs in llama.cpp and safetensors in transformers: those targets may leave `runtime` out.
        check("slipway: 1\nmodel: {path: m.gguf}\ntargets: {a: {}, b: {format: gguf}}\n", [])
        check("slipway: 1\nmodel: {path: m/model.safetensors}\ntargets: {a: {format: safetensors}}\n", [])
        // ONNX runs in onnxruntime and TensorRT, TFLite in LiteRT and TFLite Micro: the target must say which.
        check("slipway: 1\nmodel: {path: m.onnx}\ntargets: {⟦a⟧: {device: arm64-v8a}}\n", [
            Expected(.missingRequiredKey, "missing required key 'runtime' in 'targets.a': onnx models run in more than one runtime"),
        ])
        check("slipway: 1\nmodel: {path: m.gguf}\ntargets: {⟦a⟧: {format: tflite}}\n", [
            Expected(.missingRequiredKey, "missing required key 'runtime' in 'targets.a': tflite models run in more than one runtime"),
        ])
        let implied = ManifestFile("slipway: 1\nmodel: {path: m.gguf}\ntargets: {a: {}}\n").documents[0].manifest.targets[0]
        #expect(implied.runtime == nil && implied.runtimeName == "llama.cpp")
    }

    @Test func yamlThatIsNoManifestIsSaidOnce() {
        check("⟦on⟧:\n  push: {branches: [main]}\njobs: {}\n", [Expected(.notAManifest, "not a Slipway manifest")])
    }

    @Test func missingTopLevelKeysGoOnTheFirstKey() {
        check("⟦⟦name⟧⟧: x\nmodel: {path: m}\n", [
            Expected(.missingRequiredKey, "'slipway'"),
            Expected(.missingRequiredKey, "'targets'"),
        ])
    }

    @Test func sparsityOutOfRange() {
        check("slipway: 1\nmodel: {path: m.onnx}\noptimize:\n  prune: {sparsity: ⟦1.2⟧}\ntargets: {a: {runtime: coreml}}\n", [
            Expected(.outOfRange, "'optimize.prune.sparsity' is 1.2; it must be less than 1 (valid: 0 ≤ value < 1)")
        ])
    }

    @Test func badEnumValueListsTheValidOnes() {
        check("slipway: 1\nmodel: {path: m.onnx}\noptimize:\n  quantize: {weights: ⟦int9⟧}\ntargets: {a: {runtime: coreml}}\n", [
            Expected(.invalidEnumValue, "did you mean 'int8'? Valid values: none, float16, bfloat16, int8, uint8, int4, uint4")
        ])
    }

    @Test func wrongTypes() {
        check("""
            slipway: 1
            model: ⟦[m.onnx]⟧
            optimize:
              quantize: {symmetric: ⟦"true"⟧, channel_axis: ⟦1.5⟧}
            targets: {a: {runtime: coreml, budget: {size_mb: ⟦"4"⟧}}}
            """, [
            Expected(.wrongType, "'model' is a list; expected a mapping"),
            Expected(.wrongType, "'optimize.quantize.symmetric' is the string 'true'; expected true or false"),
            Expected(.wrongType, "expected an integer"),
            Expected(.wrongType, "remove the quotes"),
        ])
    }

    @Test func yaml11Traps() {
        check("""
            slipway: 1
            name: ⟦no⟧
            model: {path: m.onnx}
            optimize:
              quantize: {symmetric: ⟦on⟧, channel_axis: ⟦01⟧}
              prune: {threshold: ⟦1e3⟧}
            targets: {a: {runtime: coreml}}
            deploy: {version: ⟦1.10⟧}
            """, [
            Expected(.yaml11Boolean, "boolean false to YAML 1.1 tools"),
            Expected(.wrongType, "a string in YAML 1.2 (a boolean only in YAML 1.1); write true"),
            Expected(.yaml11Number, "octal 1 to YAML 1.1"),
            Expected(.yaml11Number, "write 1.0e+3"),
            Expected(.wrongType, "the number 1.1 ('1.10'); expected a string"),
        ])
    }

    @Test func conflictingPruneCriteria() {
        check("slipway: 1\nmodel: {path: m.onnx}\noptimize:\n  prune: {sparsity: 0.5, ⟦threshold⟧: 0.1}\ntargets: {a: {runtime: coreml}}\n", [
            Expected(.conflictingKeys, "sets 'sparsity' and 'threshold'")
        ])
    }

    @Test func structuredStrings() {
        check("""
            slipway: 1
            model: {path: m.onnx}
            optimize:
              quantize: {granularity: ⟦per-block:x⟧}
              prune: {pattern: ⟦"4:2"⟧}
            targets:
              a: {runtime: ⟦onnxruntime@1.x⟧, minimum_os: ⟦ois17⟧}
              ⟦b c⟧: {runtime: coreml}
            deploy: {to: ⟦"dist/{tgt}"⟧}
            """, [
            Expected(.invalidFormat, "'x' is not a block size"),
            Expected(.invalidFormat, "N (kept) must be less than M"),
            Expected(.invalidFormat, "'1.x' is not a version"),
            Expected(.invalidFormat, "did you mean 'ios17'?"),
            Expected(.invalidFormat, "'b c' is not a valid name in 'targets'"),
            Expected(.invalidFormat, "unknown placeholder '{tgt}'"),
        ])
    }

    /// What was read before a syntax error is still validated; keys after it are not called missing.
    @Test func syntaxErrorStillChecksWhatCameBefore() {
        check("slipway: 1\nmodel:\n  ⟦pth⟧: m.onnx\n  format: onnx⟦:⟧ x\n", [
            Expected(.unknownKey, "did you mean 'path'?"),
            Expected(.yamlSyntax, "mapping values are not allowed"),
        ])
    }

    @Test func newerManifestVersion() {
        check("slipway: ⟦2⟧\nmodel: {path: m.onnx}\ntargets: {a: {runtime: coreml}}\n", [
            Expected(.unsupportedVersion, "manifest version 2 is newer")
        ])
    }

    @Test func extensionKeysAreAllowed() {
        check("slipway: 1\nx-team: vision\nmodel: {path: m.onnx, x-note: hi}\ntargets: {a: {runtime: coreml}}\n", [])
    }

    @Test func emptyFileIsNotAManifest() {
        check("⟦⟧# only a comment\n", [Expected(.missingRequiredKey, "the file is empty")])
    }

    @Test func targetsNeedAtLeastOne() {
        check("slipway: 1\nmodel: {path: m.onnx}\n⟦targets⟧: {}\n", [Expected(.missingRequiredKey, "at least 1 entry")])
    }

    @Test func anchorsAndMergeKeysValidateWhereTheAliasStands() {
        check("""
            slipway: 1
            model: {path: m.onnx}
            x-defaults: &d {runtime: coreml, format: mlpackage, compute_units: ⟦gpu⟧}
            targets:
              a: {<<: *d}
            """, [Expected(.invalidEnumValue, "'gpu' is not a valid value for 'targets.a.compute_units'")])
    }
}

@Suite struct FixSpec {
    @Test func didYouMeanFixReplacesTheKey() {
        let m = MarkedText("slipway: 1\nmodel:\n  ⟦pth⟧: m.onnx\ntargets: {a: {runtime: coreml}}\n")
        let d = ManifestFile(m.text).diagnostics.first { $0.code == .unknownKey }
        #expect(d?.fixes.first?.edits == [TextEdit(range: m.ranges[0], newText: "path")])
    }

    @Test func missingKeyFixInsertsALineAtTheMappingsIndentation() {
        let text = "slipway: 1\nmodel:\n  format: onnx\ntargets: {a: {runtime: coreml}}\n"
        let d = ManifestFile(text).diagnostics.first { $0.code == .missingRequiredKey }
        let edit = d?.fixes.first?.edits.first
        #expect(edit?.newText == "  path: models/kws.onnx\n")
        #expect(edit?.range == .at(18))
    }

    @Test func quoteFixQuotesTheTrap() {
        let d = ManifestFile("slipway: 1\nname: no\nmodel: {path: m}\ntargets: {a: {runtime: coreml}}\n").diagnostics.first
        #expect(d?.fixes.first?.edits.first?.newText == "\"no\"")
    }
}

@Suite struct DecodingSpec {
    @Test func typedValuesKeepTheirRanges() {
        let file = ManifestFile(valid)
        let m = file.documents[0].manifest
        #expect(m.version?.value == 1)
        #expect(m.name?.value == "kws-mobile")
        #expect(m.model?.path?.value == "models/kws.onnx")
        #expect(m.model?.inputs.map(\.name.value) == ["audio", "mask"])
        #expect(m.model?.inputs[1].dims.map(\.value) == [.symbolic("batch"), .fixed(49)])
        #expect(m.targets.map(\.name.value) == ["android", "ios"])
        let android = m.targets[0]
        #expect(android.runtime?.value == RuntimeRef(name: "litert", version: "2.16"))
        #expect(android.budget.sizeMB?.value == 4)
        #expect(android.optimize.quantize?.weights?.value == "int8")
        #expect(android.optimize.prune?.criterion?.value == .sparsity(0.5))
        let bytes = Array(valid.utf8)
        let r = android.runtime?.range ?? .at(0)
        #expect(String(decoding: bytes[r.start..<r.end], as: UTF8.self) == "litert@2.16")
    }

    @Test func targetOverridesMergeKeyByKeyAndNullTurnsAStepOff() {
        let ios = ManifestFile(valid).documents[0].manifest.target(named: "ios")
        #expect(ios?.optimize.quantize?.weights?.value == "int4")
        #expect(ios?.optimize.quantize?.granularity?.value == .perBlock(32))
        #expect(ios?.optimize.quantize?.activations?.value == "int8")  // inherited
        #expect(ios?.optimize.prune == nil)
        #expect(ios?.minimumOS?.value == OSVersion(os: "ios", major: 17, minor: 0))
    }

    @Test func invalidValuesDecodeAsAbsent() {
        let m = ManifestFile("slipway: 1\nmodel: {path: 3}\noptimize: {quantize: {weights: int9}}\ntargets: {a: {runtime: litrt}}\n").documents[0].manifest
        #expect(m.model?.path == nil)
        #expect(m.optimize.quantize?.weights == nil)
        #expect(m.targets.first?.runtime == nil)
    }

    @Test func eachDocumentStandsAlone() {
        let f = ManifestFile("slipway: 1\nmodel: {path: a}\ntargets: {a: {runtime: coreml}}\n---\nslipway: 1\nmodel: {path: b}\ntargets: {b: {runtime: coreml}}\n")
        #expect(f.documents.map { $0.manifest.model?.path?.value } == ["a", "b"])
        #expect(f.diagnostics.isEmpty)
    }
}

/// A target's `tools` pins: quoted versions by package name, decoded with their ranges. An unknown tool is
/// only a warning (the list can lag the tools people use), with a did-you-mean.
@Suite struct ToolPinsSpec {
    private let head = "slipway: 1\nmodel: {path: m.onnx}\n"

    @Test func pinnedToolsAreValidAndDecoded() throws {
        let text = head + "targets:\n  a:\n    runtime: coreml\n    tools: {coremltools: \"7.2\", torch: \"2.1.1\", onnx2tf: \"1.22.3\"}\n"
        check(text, [])
        let t = try #require(ManifestFile(text).documents.first?.manifest.targets.first)
        #expect(t.tools.map { $0.name.value } == ["coremltools", "torch", "onnx2tf"])
        #expect(t.tools.map { $0.version.value } == ["7.2", "2.1.1", "1.22.3"])
        let r = t.tools[0].version.range
        #expect(String(decoding: Array(text.utf8)[r.start..<r.end], as: UTF8.self) == "\"7.2\"")
    }

    @Test func anUnknownToolIsAWarningWithDidYouMean() throws {
        let text = head + "targets: {a: {runtime: coreml, tools: {⟦coremltool⟧: \"7.2\", ⟦mytool⟧: \"1.0\"}}}\n"
        check(text, [
            Expected(.unknownKey, "'coremltool' is not a name Slipway knows in 'targets.a.tools', so no checks apply to it; did you mean 'coremltools'?"),
            Expected(.unknownKey, "'mytool' is not a name Slipway knows"),
        ])
        let d = ManifestFile(MarkedText(text).text).diagnostics
        #expect(d.allSatisfy { $0.severity == .warning })
        #expect(d.first?.fixes.first?.edits.first?.newText == "coremltools")
    }

    @Test func anUnquotedVersionIsANumberToQuote() {
        check(head + "targets: {a: {runtime: coreml, tools: {torch: ⟦2.10⟧}}}\n", [
            Expected(.wrongType, "read as a number, so quote it")
        ])
    }
}
