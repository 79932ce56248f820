import ModelFormats
import Testing

@testable import Conversion

@Suite("float16 compute")
struct Float16ComputeTests {
    func compute() -> ConversionSettings {
        var s = ConversionSettings(float16: true)
        s.float16Compute = true
        return s
    }

    @Test("the embedded rules are Schemas/conversion/*.json verbatim and load")
    func embeddedRules() throws {
        for (name, text) in EmbeddedConversionRules.files {
            var committed = String(decoding: try readFile(repoRoot + "/Schemas/conversion/" + name, limit: 1 << 20),
                                   as: UTF8.self)
            if committed.hasSuffix("\n") { committed.removeLast() }  // the raw literal ends before the last newline
            #expect(text == committed,
                    "\(name) differs from Sources/Conversion/EmbeddedConversionRules.swift: run scripts/embed_conversion_rules.py")
        }
        let rules = try Float16Rules.load()
        #expect(rules.keep["Resize"] != nil && rules.keep["TopK"] != nil && rules.keep["MatMul"] == nil)
        #expect(rules.outputTypes["TopK"] == ["T", "int64"])
    }

    @Test("float32 tensors become float16 in place; the interface keeps float32 through Casts; Resize stays float32")
    func mixedGraph() async throws {
        let dir = temporaryFolder()
        let out = dir + "/m.onnx"
        let r = try await Converter.convert(model: fixture("fp16_mixed.onnx"), output: out, settings: compute())
        #expect(r.json["settings"]?["float16"]?.stringValue == "compute")
        let entries = Dictionary(uniqueKeysWithValues: (r.json["tensors"]?.arrayValue ?? []).compactMap { t in
            t["name"]?.stringValue.map { ($0, t) }
        })
        for name in ["w", "ln_scale", "ln_bias", "mask", "half", "zero", "two"] {
            #expect(entries[name]?["action"]?.stringValue == "float16", "\(name)")
        }
        #expect(entries["scales"]?["action"]?.stringValue == "kept")
        #expect(entries["mask"]?["overflow"]?.intValue == 2)  // -1e9 saturates at -65504

        let model = try ModelReader.read(path: out)
        let stored = Dictionary(model.tensors.map { ($0.name, $0.dtype) }, uniquingKeysWith: { a, _ in a })
        #expect(stored["w"] == .float16 && stored["scales"] == .float32)
        // Same inputs and outputs, by name and type.
        #expect(model.inputs.map(\.name) == ["x"] && model.inputs.allSatisfy { $0.dtype == .float32 })
        #expect(model.outputs.map(\.name) == ["y", "sm"] && model.outputs.allSatisfy { $0.dtype == .float32 })
        let nodes = model.graphs[0].nodes
        // x is cast to float16 before the MatMul reads it; y and sm are made by Casts to float32.
        let mm = try #require(nodes.first { $0.name == "mm" })
        let castOfX = try #require(nodes.first { $0.opType == "Cast" && $0.inputs == ["x"] })
        #expect(castOfX.attributes["to"] == .int(10) && mm.inputs.first == castOfX.outputs.first)
        for output in ["y", "sm"] {
            let cast = try #require(nodes.first { $0.outputs == [output] })
            #expect(cast.opType == "Cast" && cast.attributes["to"] == .int(1))
        }
        // Resize reads float32: its data input comes from a Cast to float32.
        let resize = try #require(nodes.first { $0.name == "resize" })
        let feed = try #require(nodes.first { $0.outputs.first == resize.inputs.first })
        #expect(feed.opType == "Cast" && feed.attributes["to"] == .int(1))
        // An internal Cast(to=FLOAT) now produces float16.
        #expect(nodes.first { $0.name == "cast_idx" }?.attributes["to"] == .int(10))
        // The If branches return float16 (their outputs were retyped with the values around them).
        let branches = model.graphs.dropFirst()
        #expect(!branches.isEmpty && branches.allSatisfy { $0.outputs.allSatisfy { $0.dtype == .float16 } })
    }

    @Test("pruning and integer weights do not combine with float16 compute")
    func refusals() {
        var pruned = compute()
        pruned.pruning = .sparsity(0.5)
        var int8 = compute()
        int8.weights = .int8
        for s in [pruned, int8] {
            #expect(throws: ConversionError.self) { _ = try ONNXConverter.convert(path: fixture("fp16_mixed.onnx"), settings: s) }
        }
    }
}
