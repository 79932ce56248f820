import Compression
import Diagnostics
import JSON
import Manifest
import Testing
import TestSupport

@testable import Evaluation

/// SW6007: a failed test measured with `--layers` names the quantized layer that lost the most, and its fix keeps
/// that layer's weights in float through the target's `optimize.quantize.skip` (docs/test.md, docs/diagnostics.md).
@Suite struct WorstLayerSpec {
    /// conv0 loses 10 dB itself; conv1 and fc mostly inherit it, though fc's output is the lowest.
    static let layers = [
        LayerSQNR(value: "c0", node: "conv0", op: "Conv", sqnrDB: 10, exact: false, weights: ["conv0.weight"]),
        LayerSQNR(value: "r0", node: "conv0.relu", op: "Relu", sqnrDB: 10, exact: false, inputSQNRDB: 10),
        LayerSQNR(value: "c1", node: "conv1", op: "Conv", sqnrDB: 9.5, exact: false, inputSQNRDB: 10, weights: ["conv1.weight"]),
        LayerSQNR(value: "fc", node: "fc", op: "Gemm", sqnrDB: 9.4, exact: false, inputSQNRDB: 9.5, weights: ["fc.weight"]),
        LayerSQNR(value: "sm", node: "softmax", op: "Softmax", sqnrDB: nil, exact: true),
    ]

    @Test func theLayerThatAddsTheMostNoiseComesFirstNotTheLowestOutput() {
        #expect(LayerSQNR.worstFirst(Self.layers).first?.node == "fc")
        #expect(LayerSQNR.attribution(Self.layers).map(\.node) == ["conv0", "conv1", "fc"])
        // Noise-to-signal ratios add: conv1's own is 10^-0.95 - 10^-1 of the signal.
        #expect(abs((Self.layers[2].ownSQNRDB ?? 0) - 19.136) < 0.001)
        #expect(abs((Self.layers[0].ownSQNRDB ?? 0) - 10) < 1e-9)
        // A node whose output is no worse than its input adds nothing; an exact one has no figure.
        #expect(Self.layers[1].ownSQNRDB == nil)
        #expect(Self.layers[4].ownSQNRDB == nil)
    }

    static func record(_ status: String = "failed", layers: [LayerSQNR] = LayerSQNR.attribution(WorstLayerSpec.layers)) -> TestRecord {
        TestRecord(status: status, metrics: ["sqnr_db": 9.4], runtime: "1.23.2",
                   checks: [ToleranceCheck(key: "sqnr_db", limit: 30, measured: 9.4, passed: false)],
                   artifactSHA: "a", modelSHA: "m", samplesSHA: "s", worstLayers: layers)
    }

    /// The check of `marked` with the record for target `server`; the manifest text after SW6007's fix.
    static func check(_ marked: String, record: TestRecord = record(), stale: [String] = [])
        -> (fixture: MarkedText, found: [Diagnostic], fixed: String?)
    {
        let f = MarkedText(marked + "\n")
        let bytes = Array(f.text.utf8)
        let m = ManifestFile(bytes: bytes).documents[0].manifest
        let found = TestRecordFindings.diagnostics(manifest: m, summaries: ["server": .init(record: record, stale: stale)], text: bytes)
            .filter { $0.code == .lastTestWorstLayer }
        guard let edit = found.first?.fixes.first?.edits.first else { return (f, found, nil) }
        var out = bytes
        out.replaceSubrange(edit.range.start..<edit.range.end, with: Array(edit.newText.utf8))
        return (f, found, String(decoding: out, as: UTF8.self))
    }

    @Test func aDriftTheLastTestMeasuredAboveTheMonitorsThresholdIsSaidOnIt() {
        // The record's drift between the artifact's outputs and the original's: 0.31 by PSI, 0.12 by Jensen–Shannon.
        let record = TestRecord(status: "passed", metrics: ["drift_psi": 0.31, "drift_jensen_shannon": 0.12], runtime: "1.23.2",
                                checks: [], artifactSHA: "a", modelSHA: "m", samplesSHA: "s")
        func found(_ monitor: String) -> [Diagnostic] {
            let f = MarkedText("slipway: 1\nmodel: {path: m.onnx}\ntargets: {server: {runtime: onnxruntime}}\nmonitor:\n" + monitor + "\n")
            let m = ManifestFile(bytes: Array(f.text.utf8)).documents[0].manifest
            let ds = TestRecordFindings.diagnostics(manifest: m, summaries: ["server": .init(record: record, stale: [])])
                .filter { $0.code == .monitorBreachedByTest }
            #expect(ds.allSatisfy { $0.range == f.ranges.first }, "\(ds.map(\.range)) vs \(f.ranges)")
            return ds
        }
        let psi = found("  max_output_drift: ⟦0.2⟧")
        #expect(psi.map(\.message) == ["monitor.max_output_drift 0.2 is below the drift 0.31 (PSI) between the outputs of target server and the original's on the last test's samples: against a baseline of the original's outputs, the alert would fire from the start"])
        // The manifest's measure decides: 0.12 by Jensen–Shannon holds under 0.2, breaks 0.1.
        #expect(found("  max_output_drift: 0.2\n  drift_measure: jensen_shannon").isEmpty)
        #expect(found("  max_output_drift: ⟦0.1⟧\n  drift_measure: jensen_shannon").first?.message.contains("the drift 0.12 (Jensen–Shannon distance)") == true)
    }

    @Test func aFailedRecordNamesTheLayerOnTheQuantizeWeightsAndAddsASkipKey() {
        let (f, found, fixed) = Self.check("""
            slipway: 1
            model: {path: m.onnx}
            targets:
              server:
                runtime: onnxruntime
                optimize:
                  quantize:
                    weights: ⟦int8⟧
                    granularity: per-tensor
            """)
        #expect(found.count == 1)
        #expect(found.first?.range == f.ranges[0])
        #expect(found.first?.severity == .information)
        #expect(found.first?.targets == ["server"])
        #expect(found.first?.message == "target server: in the last `slipway test` the quantized layer that lost the most is conv0 (Conv): "
            + "10 dB of its own (its output 10 dB, its inputs exact); keep its weight 'conv0.weight' in float with optimize.quantize.skip; "
            + "next: conv1 (Conv) 19.1 dB, fc (Gemm) 25.8 dB")
        #expect(found.first?.fixes.first?.title == "Keep conv0 in float (add 'conv0.weight' to this target's quantize.skip)")
        #expect(found.first?.fixes.first?.edits.first?.newText == "        skip: [\"conv0.weight\"]\n")
        #expect(fixed == """
            slipway: 1
            model: {path: m.onnx}
            targets:
              server:
                runtime: onnxruntime
                optimize:
                  quantize:
                    weights: int8
                    granularity: per-tensor
                    skip: ["conv0.weight"]

            """)
    }

    @Test func theNameIsAppendedToABlockSequenceAtItsIndentation() {
        let (_, found, fixed) = Self.check("""
            slipway: 1
            model: {path: m.onnx}
            targets:
              server:
                runtime: onnxruntime
                optimize:
                  quantize:
                    weights: int8
                    skip:
                    - "head.*"    # the classifier stays float
            """)
        #expect(found.first?.fixes.first?.edits.first?.newText == "\n        - \"conv0.weight\"")
        #expect(fixed == """
            slipway: 1
            model: {path: m.onnx}
            targets:
              server:
                runtime: onnxruntime
                optimize:
                  quantize:
                    weights: int8
                    skip:
                    - "head.*"    # the classifier stays float
                    - "conv0.weight"

            """)
    }

    @Test func theNameIsAppendedToAFlowSequence() {
        let (f, found, fixed) = Self.check("""
            slipway: 1
            model: {path: m.onnx}
            targets:
              server: {runtime: onnxruntime, optimize: {quantize: {weights: ⟦int8⟧, skip: [head.weight]}}}
            """)
        #expect(found.first?.range == f.ranges[0])
        #expect(found.first?.fixes.first?.edits.first?.newText == ", \"conv0.weight\"")
        #expect(fixed == """
            slipway: 1
            model: {path: m.onnx}
            targets:
              server: {runtime: onnxruntime, optimize: {quantize: {weights: int8, skip: [head.weight, "conv0.weight"]}}}

            """)
    }

    @Test func aTargetInheritingTheDefaultsGetsItsOwnListWithTheInheritedEntries() {
        // A target's `skip` replaces the manifest's: the edit repeats the inherited entries, and other targets keep theirs.
        let (f, found, fixed) = Self.check("""
            slipway: 1
            model: {path: m.onnx}
            optimize:
              quantize: {weights: ⟦int8⟧, skip: ["head.*"]}
            targets:
              server:
                runtime: onnxruntime
              mobile:
                runtime: litert
            """)
        #expect(found.first?.range == f.ranges[0])
        #expect(fixed == """
            slipway: 1
            model: {path: m.onnx}
            optimize:
              quantize: {weights: int8, skip: ["head.*"]}
            targets:
              server:
                runtime: onnxruntime
                optimize: {quantize: {skip: ["head.*", "conv0.weight"]}}
              mobile:
                runtime: litert

            """)
    }

    @Test func namesAreWrittenAsGlobsThatMatchExactlyThem() {
        #expect(ManifestEdits.literalGlob("blocks[0].attn*w?") == "blocks[[]0].attn[*]w[?]")
        // The converters' skip matching (Compression.Glob) takes it for that name and no other.
        let glob = Glob(ManifestEdits.literalGlob("blocks[0].attn*w?\\x"))
        #expect(glob.matches("blocks[0].attn*w?\\x"))
        #expect(!glob.matches("blocks0.attnXwYx") && !glob.matches("blocks[0].attn*w?x"))
        let layer = LayerSQNR(value: "v", node: "n", op: "MatMul", sqnrDB: 5, exact: false, weights: ["blocks[0].w"])
        let (_, found, fixed) = Self.check("""
            slipway: 1
            model: {path: m.onnx}
            targets: {server: {optimize: {quantize: {weights: int8}}}}
            """, record: Self.record(layers: [layer]))
        #expect(found.first?.message.contains("keep its weight 'blocks[0].w' in float") == true)
        #expect(fixed?.contains(#"{quantize: {weights: int8, skip: ["blocks[[]0].w"]}}"#) == true)
    }

    @Test func nothingWhenTheLayerIsAlreadySkippedPassedStaleOrMeasuredWithoutLayers() {
        let skipped = """
            slipway: 1
            model: {path: m.onnx}
            targets: {server: {optimize: {quantize: {weights: int8, skip: ["conv*"]}}}}
            """
        // The artifact predates the edit: the next test measures again, rather than blaming conv1 from old figures.
        #expect(Self.check(skipped).found.isEmpty)
        let plain = "slipway: 1\nmodel: {path: m.onnx}\ntargets: {server: {optimize: {quantize: {weights: int8}}}}\n"
        #expect(Self.check(plain).found.count == 1)
        #expect(Self.check(plain, record: Self.record("passed")).found.isEmpty)
        #expect(Self.check(plain, stale: ["the artifact changed since it was tested"]).found.isEmpty)
        #expect(Self.check(plain, record: Self.record(layers: [])).found.isEmpty)
    }

    @Test func theRecordKeepsTheWorstLayersThroughJSON() throws {
        let r = Self.record()
        let back = TestRecord.parse(try JSONValue.parse(bytes: Array(r.json.serialized(pretty: true).utf8)))
        #expect(back?.worstLayers.map(\.node) == ["conv0", "conv1", "fc"])
        #expect(back?.worstLayers[1].inputSQNRDB == 10)
        #expect(back?.worstLayers[1].weights == ["conv1.weight"])
        #expect(TestRecordFindings.Summary(record: r, stale: []).line.hasSuffix(" · worst layer conv0 10 dB"))
    }
}
