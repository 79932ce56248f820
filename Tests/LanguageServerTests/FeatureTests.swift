import JSON
import Testing
import TestSupport

@testable import LanguageServer

/// The editor features, each on a fixture with inline markers.
@Suite struct FeatureSpec {
    static let manifest = """
        slipway: 1
        model:
          pa1️⃣th: models/kws.onnx
        optimize:
          quantize:
            weights: in2️⃣t8
            granul3️⃣
        targets:
          android:
            runtime: lit4️⃣
            budget: {size_mb: 4, 5️⃣}
        """

    @Test func hoverOnAKeyShowsTheSchemaDescription() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open(FeatureSpec.manifest)
        let h = try await c.request("textDocument/hover", f.at("1️⃣"))
        let text = h["contents"]?["value"]?.stringValue ?? ""
        #expect(h["contents"]?["kind"] == "markdown")
        #expect(text.contains("**model.path**"))
        #expect(text.contains("The model file, relative to this manifest"))
    }

    @Test func hoverOnMonitorShowsTheAlertingRulesItWillGenerate() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("""
            slipway: 1
            name: kws
            model: {path: models/kws.onnx}
            targets: {mcu: {runtime: tflite-micro, device: cortex-m4}}
            moni1️⃣tor:
              latency_p95_ms: 15
              error_rate: 0.02
            """)
        let text = try await c.request("textDocument/hover", f.at("1️⃣"))["contents"]?["value"]?.stringValue ?? ""
        #expect(text.contains("Alerting rules (`slipway monitor rules`):"))
        #expect(text.contains(#"expr: "histogram_quantile(0.95, sum by (target, le) (rate(slipway_inference_duration_seconds_bucket{model=\"kws\"}[5m]))) > 0.015""#))
        #expect(text.contains("- alert: SlipwayErrorRateHigh"))
    }

    @Test func hoverOnATargetNameShowsThePathItsArtifactTakes() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("""
            slipway: 1
            model: {path: models/cnn.pt2}
            targets:
              o1️⃣ld: {runtime: onnxruntime@1.13, optimize: {quantize: {weights: int8}}}
              i2️⃣os: {runtime: coreml, optimize: {quantize: {weights: int4, granularity: "per-block:32"}}}
            """)
        let old = try await c.request("textDocument/hover", f.at("1️⃣"))["contents"]?["value"]?.stringValue ?? ""
        // The plan check and convert decide from: the dynamo exporter's 18 lowered to the runtime's highest opset.
        #expect(old.contains("**Conversion**: pytorch-exported-program → onnx by `torch-onnx-export`, then Slipway's ONNX converter, exported at opset 17"))
        #expect(old.contains("**ONNX Runtime**"))
        let ios = try await c.request("textDocument/hover", f.at("2️⃣"))["contents"]?["value"]?.stringValue ?? ""
        #expect(ios.contains("**Conversion**: pytorch-exported-program → mlpackage by `coremltools`\n- ✗ coremltools (pytorch-exported-program → mlpackage) writes weights:"))
    }

    @Test func hoverOnAValueShowsWhatTheValueMeans() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open(FeatureSpec.manifest)
        let text = try await c.request("textDocument/hover", f.at("2️⃣"))["contents"]?["value"]?.stringValue ?? ""
        #expect(text.contains("`int8`: 8-bit signed integers"))
    }

    @Test func hoverOnTheModelPathSummarisesTheModel() async throws {
        let root = Repository.root
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel:\n  path: models/mobilen1️⃣et_tiny.onnx\ntargets: {a: {runtime: litert}}\n", uri: "file://\(root)/examples/mobile-cnn/h.slipway.yaml")
        let text = try await c.request("textDocument/hover", f.at("1️⃣"))["contents"]?["value"]?.stringValue ?? ""
        #expect(text.contains("onnx"))
        #expect(text.contains("Conv"))
    }

    @Test func completionOffersTheKeysOfTheMappingAtTheCursorNotThoseAlreadySet() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open(FeatureSpec.manifest)
        let items = try await c.request("textDocument/completion", f.at("3️⃣"))["items"]?.arrayValue ?? []
        #expect(items.compactMap { $0["label"]?.stringValue } == ["granularity"])
        #expect(items.first?["textEdit"]?["newText"] == "granularity: ")
    }

    @Test func completionOffersValuesAfterAKey() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open(FeatureSpec.manifest)
        let weights = try await c.request("textDocument/completion", f.at("2️⃣"))["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue }
        #expect(weights == ["int8", "int4"])
        let runtimes = try await c.request("textDocument/completion", f.at("4️⃣"))["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue }
        #expect(runtimes == ["litert"])
    }

    @Test func runtimeHoverCitesTheCatalogueAndVersionsComplete() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets:\n  server:\n    runtime: onnxrun1️⃣time@1.17\n    device: 2️⃣\n  b: {runtime: onnxruntime@3️⃣}\n")
        let text = try await c.request("textDocument/hover", f.at("1️⃣"))["contents"]?["value"]?.stringValue ?? ""
        #expect(text.contains("Version 1.17: ONNX opset ≤ 20"))
        #expect(text.contains("Rules:"))
        #expect(text.contains("http"))
        let devices = try await c.request("textDocument/completion", f.at("2️⃣"))["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue } ?? []
        #expect(devices.contains("stm32h7"))
        let versions = try await c.request("textDocument/completion", f.at("3️⃣"))["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue } ?? []
        #expect(versions.contains("onnxruntime@1.20"))
    }

    @Test func toolPinsHoverWithTheirKnownBadCombinationsAndComplete() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets:\n  server:\n    runtime: onnxruntime@1.20\n    tools:\n      on1️⃣nx: \"1.16.0\"\n      coreml2️⃣\n")
        let text = try await c.request("textDocument/hover", f.at("1️⃣"))["contents"]?["value"]?.stringValue ?? ""
        #expect(text.contains("`onnx`: The `onnx` Python package"))
        #expect(text.contains("Known-bad combinations (SW4015)"))
        #expect(text.contains("microsoft/Olive#1411"))
        let names = try await c.request("textDocument/completion", f.at("2️⃣"))["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue }
        #expect(names == ["coremltools"])
    }

    @Test func completionInsideAFlowMapping() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open(FeatureSpec.manifest)
        let labels = try await c.request("textDocument/completion", f.at("5️⃣"))["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue }
        #expect(labels == ["memory_mb", "flash_mb", "latency_ms"])
    }

    @Test func completionOfTheModelPathListsModelFiles() async throws {
        let root = Repository.root
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel:\n  path: models/1️⃣\n", uri: "file://\(root)/examples/kws-mcu/c.slipway.yaml")
        let labels = try await c.request("textDocument/completion", f.at("1️⃣"))["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue }
        #expect(labels == ["models/ds_cnn_kws.onnx"])
    }

    @Test func skipGlobsCompleteWithTheModelsTensorAndNodeNames() async throws {
        let root = Repository.root
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/ds_cnn_kws.onnx}\noptimize:\n  quantize:\n    skip:\n      - fc1️⃣\n", uri: "file://\(root)/examples/kws-mcu/g.slipway.yaml")
        let items = try await c.request("textDocument/completion", f.at("1️⃣"))["items"]?.arrayValue ?? []
        #expect(items.compactMap { $0["label"]?.stringValue } == ["fc.weight", "fc"])
        #expect(items.first?["textEdit"]?["newText"] == "\"fc.weight\"")
    }

    @Test func quickFixesSuppressionsAndFixAll() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel:\n  ⟦pth⟧: m.onnx\noptimize: {quantize: {weights: ⟦int9⟧}}\ntargets: {a: {runtime: coreml}}\n")
        _ = try await c.diagnostics(f.uri)
        let actions = try await c.request("textDocument/codeAction", ["textDocument": f.textDocument, "range": f.range(0), "context": ["diagnostics": []]]).arrayValue ?? []
        let titles = actions.compactMap { $0["title"]?.stringValue }
        #expect(titles.contains("Change 'pth' to 'path'"))
        #expect(titles.contains("Suppress SW2001 on this line"))
        let fix = actions.first { $0["title"] == "Change 'pth' to 'path'" }
        #expect(fix?["isPreferred"] == true)
        #expect(fix?["edit"]?["changes"]?[f.uri]?[0]?["newText"] == "path")
        #expect(fix?["edit"]?["changes"]?[f.uri]?[0]?["range"] == f.range(0))
        let suppress = actions.first { $0["title"] == "Suppress SW2001 on this line" }
        #expect(suppress?["edit"]?["changes"]?[f.uri]?[0]?["newText"] == "  # slipway-ignore: SW2001\n")
        let all = try await c.request("textDocument/codeAction", ["textDocument": f.textDocument, "range": f.range(0), "context": ["diagnostics": [], "only": ["source.fixAll.slipway"]]]).arrayValue ?? []
        #expect(all.count == 1)
        #expect(all.first?["edit"]?["changes"]?[f.uri]?.arrayValue?.compactMap { $0["newText"]?.stringValue } == ["path", "int8"])
    }

    @Test func symbolsFoldingSelectionAndLinks() async throws {
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel:\n  path: models/kws.onnx\ntargets:\n  android:\n    runtime: lit1️⃣ert\n  ios:\n    runtime: coreml\n")
        let symbols = try await c.request("textDocument/documentSymbol", ["textDocument": f.textDocument]).arrayValue ?? []
        #expect(symbols.compactMap { $0["name"]?.stringValue } == ["slipway", "model", "targets"])
        #expect(symbols[2]["children"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["android", "ios"])
        let folds = try await c.request("textDocument/foldingRange", ["textDocument": f.textDocument]).arrayValue ?? []
        #expect(folds.contains(["startLine": 3, "endLine": 7]))
        let sel = try await c.request("textDocument/selectionRange", ["textDocument": f.textDocument, "positions": [f.position("1️⃣")]])
        #expect(sel[0]?["range"] == ["start": ["line": 5, "character": 13], "end": ["line": 5, "character": 19]])
        #expect(sel[0]?["parent"]?["range"] == ["start": ["line": 5, "character": 4], "end": ["line": 5, "character": 19]])
        let links = try await c.request("textDocument/documentLink", ["textDocument": f.textDocument]).arrayValue ?? []
        #expect(links.first?["target"] == "file:///tmp/slipway-tests/models/kws.onnx")
    }

    @Test func codeLensOnTheModelSaysWhatItIs() async throws {
        let root = Repository.root
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/ds_cnn_kws.onnx}\ntargets: {a: {runtime: tflite-micro}}\n", uri: "file://\(root)/examples/kws-mcu/l.slipway.yaml")
        let lenses = try await c.request("textDocument/codeLens", ["textDocument": f.textDocument]).arrayValue ?? []
        let title = lenses.first?["command"]?["title"]?.stringValue ?? ""
        #expect(title.hasPrefix("ONNX · "))
        #expect(title.hasSuffix(" · Inspect"))
        let inspected = try await c.request("workspace/executeCommand", ["command": "slipway.inspect", "arguments": lenses.first?["command"]?["arguments"] ?? []])
        #expect(inspected["format"] == "onnx")
    }

    @Test func checkWorkspacePublishesEveryManifest() async throws {
        let c = try await TestClient.initialized(rootPath: Repository.root + "/examples")
        let r = try await c.request("workspace/executeCommand", ["command": "slipway.checkWorkspace"])
        #expect(r["files"] == 4)
        // with-problems's 7; the three realistic examples are clean.
        #expect(r["errors"] == 7)
        let shown = try await c.notification("window/showMessage")
        #expect(shown["message"]?.stringValue?.hasPrefix("Slipway checked 4 manifests") == true)
    }
}

enum Repository {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ConvertCommandSpec {
    /// A project folder in /tmp with the keyword spotter and a manifest targeting ONNX Runtime in int8.
    static func project() throws -> String {
        var template = Array("/tmp/slipway-convert-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { b -> String? in
            guard let base = b.baseAddress, let made = mkdtemp(base) else { return nil }
            return String(cString: made)
        }
        guard let dir else { throw LSPError(code: 0, message: "mkdtemp") }
        mkdir(dir + "/models", 0o755)
        let fd = open(dir + "/models/kws.onnx", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = TestClient.kwsModel.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return dir
    }

    @Test func convertATargetWithProgressAndALensToStartIt() async throws {
        let dir = try Self.project()
        let c = try await TestClient.initialized(capabilities: ["window": ["workDoneProgress": true]])
        let f = await c.open(
            "slipway: 1\nmodel: {path: models/kws.onnx}\noptimize: {quantize: {weights: int8, granularity: per-channel}}\ntargets:\n  server: {runtime: onnxruntime@1.20, format: onnx}\n",
            uri: "file://\(dir)/kws.slipway.yaml")
        let lenses = try await c.request("textDocument/codeLens", ["textDocument": f.textDocument]).arrayValue ?? []
        let convert = try #require(lenses.first { $0["command"]?["command"] == "slipway.convert" })
        #expect(convert["command"]?["title"] == "▶ Convert")
        let r = try await c.request("workspace/executeCommand", ["command": "slipway.convert", "arguments": convert["command"]?["arguments"] ?? []])
        let row = try #require(r["targets"]?[0])
        #expect(row["target"] == "server")
        let output = try #require(row["output"]?.stringValue)
        #expect(access(output, F_OK) == 0)
        #expect(access(output + ".report.json", F_OK) == 0)
        let begin = try await c.notification("$/progress") { $0["params"]?["value"]?["kind"] == "begin" }
        #expect(begin["value"]?["cancellable"] == true)
        _ = try await c.notification("$/progress") { $0["params"]?["value"]?["kind"] == "end" }
        let shown = try await c.notification("window/showMessage")
        #expect(shown["message"]?.stringValue?.hasPrefix("Slipway converted server") == true)
        // A second run is up to date.
        let again = try await c.request("workspace/executeCommand", ["command": "slipway.convert", "arguments": convert["command"]?["arguments"] ?? []])
        #expect(again["targets"]?[0]?["upToDate"] == true)
    }

    @Test func externalConverterErrorsReachTheEditor() async throws {
        // The same engine call as the CLI: a TensorRT target runs trtexec, which this machine lacks.
        let dir = try Self.project()
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets:\n  gpu: {runtime: tensorrt, format: engine}\n",
                             uri: "file://\(dir)/t.slipway.yaml")
        let r = try await c.request("workspace/executeCommand", ["command": "slipway.convert", "arguments": [.string(f.uri)]])
        let error = try #require(r["targets"]?[0]?["error"]?.stringValue)
        #expect(error.contains("ONNX → TensorRT engine needs trtexec, which is not on PATH; install TensorRT"))
        let shown = try await c.notification("window/showMessage")
        #expect(shown["type"] == 1)
        #expect(access(dir + "/dist/gpu/t.engine", F_OK) != 0)
    }

    @Test func unknownTargetIsAnError() async throws {
        let dir = try Self.project()
        let c = try await TestClient.initialized()
        let f = await c.open("slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {a: {runtime: onnxruntime}}\n", uri: "file://\(dir)/k.slipway.yaml")
        await #expect(throws: LSPError.self) {
            try await c.request("workspace/executeCommand", ["command": "slipway.convert", "arguments": [.string(f.uri), "nope"]])
        }
    }
}

@Suite struct EstimateFeatureSpec {
    static let manifest = """
        slipway: 1
        model: {path: models/kws.onnx}
        optimize:
          quantize: {weights: int8, granularity: per-channel}
        targets:
          ser1️⃣ver:
            runtime: onnxruntime@1.20
            device: x86-64-avx512-vnni
            optimize:
              quantize: {weights: int42️⃣, granularity: "per-block:32"}
        """

    @Test func lensesHintsHoverAndTheCommandShowTheEstimate() async throws {
        let dir = try ConvertCommandSpec.project()
        let c = try await TestClient.initialized(capabilities: ["textDocument": ["inlayHint": [:], "hover": ["contentFormat": ["markdown"]]]])
        let f = await c.open(Self.manifest, uri: "file://\(dir)/e.slipway.yaml")
        let lenses = try await c.request("textDocument/codeLens", ["textDocument": f.textDocument]).arrayValue ?? []
        let estimate = try #require(lenses.first { $0["command"]?["command"] == "slipway.estimate" })
        let title = estimate["command"]?["title"]?.stringValue ?? ""
        #expect(title.contains(" → "))
        #expect(title.contains(" dB"))
        #expect(title.contains("~"))
        let hints = try await c.request("textDocument/inlayHint", ["textDocument": f.textDocument, "range": ["start": ["line": 0, "character": 0], "end": ["line": 20, "character": 0]]]).arrayValue ?? []
        #expect(hints.count == 1)
        #expect(hints.first?["position"] == f.position("2️⃣"))
        #expect(hints.first?["label"]?.stringValue?.hasPrefix("≈ ") == true)
        let hover = try await c.request("textDocument/hover", f.at("1️⃣"))["contents"]?["value"]?.stringValue ?? ""
        #expect(hover.contains("**Estimate for server**"))
        #expect(hover.contains("Worst tensor SQNR"))
        let row = try await c.request("workspace/executeCommand", ["command": "slipway.estimate", "arguments": [.string(f.uri), "server"]])
        #expect(row["scheme"]?.stringValue?.contains("int4") == true)
        #expect(row["sqnr_db_aggregate"]?.doubleValue != nil)
    }
}

@Suite struct PruningOnlyEstimateFeatureSpec {
    @Test func aTargetThatOnlyPrunesGetsItsLensAndHint() async throws {
        let dir = try ConvertCommandSpec.project()
        let c = try await TestClient.initialized(capabilities: ["textDocument": ["inlayHint": [:]]])
        let f = await c.open("""
            slipway: 1
            model: {path: models/kws.onnx}
            optimize:
              prune: {sparsity: 0.51️⃣}
            targets: {server: {runtime: onnxruntime@1.20, device: x86-64-avx2}}
            """, uri: "file://\(dir)/p.slipway.yaml")
        let lenses = try await c.request("textDocument/codeLens", ["textDocument": f.textDocument]).arrayValue ?? []
        let estimate = try #require(lenses.first { $0["command"]?["command"] == "slipway.estimate" })
        #expect(estimate["command"]?["title"]?.stringValue?.contains(" dB") == true)
        let hints = try await c.request("textDocument/inlayHint", ["textDocument": f.textDocument, "range": ["start": ["line": 0, "character": 0], "end": ["line": 9, "character": 0]]]).arrayValue ?? []
        #expect(hints.first?["position"] == f.position("1️⃣"))
        let row = try await c.request("workspace/executeCommand", ["command": "slipway.estimate", "arguments": [.string(f.uri), "server"]])
        #expect(row["scheme"]?.stringValue == "pruned-sparsity-0.5")
    }
}
