import Compression
import JSON
import Manifest
import ModelFormats
import Testing

@testable import Conversion

/// Dynamic quantization as onnxruntime's `quantize_dynamic` writes it (DynamicQuantizeLinear on the activation,
/// MatMulInteger / ConvInteger on the codes, Cast, Mul by the two scales), also where `quantize_dynamic` does
/// not look: Constant nodes and If/Loop bodies.
@Suite("Dynamic quantization (MatMulInteger / ConvInteger)")
struct DynamicQuantizationTests {
    let example = { (name: String) in repoRoot + "/examples/" + name }

    func convert(_ source: String, _ settings: ConversionSettings) async throws -> (Model, ConversionReport) {
        let out = temporaryFolder() + "/m.onnx"
        let r = try await Converter.convert(model: source, output: out, settings: settings)
        return (try ModelReader.read(path: out), r)
    }

    func ops(_ g: Graph) -> [String] { g.nodes.map(\.opType) }

    @Test("every MatMul weight, in a Constant, both If branches and a Loop body, is read by MatMulInteger")
    func everywhere() async throws {
        let (m, r) = try await convert(fixture("constant_if_loop.onnx"), ConversionSettings(dynamic: true))
        let byName = Dictionary(m.graphs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for g in ["constant_if_loop", "then_branch", "else_branch", "loop_body"] {
            let graph = try #require(byName[g])
            #expect(!ops(graph).contains("MatMul"), "\(g)")
            #expect(ops(graph).filter { $0 == "MatMulInteger" }.count == 1, "\(g)")
            // The form quantize_dynamic writes, in this order.
            let chain = ops(graph).filter { ["DynamicQuantizeLinear", "Mul", "MatMulInteger", "Cast"].contains($0) }
            #expect(chain == ["DynamicQuantizeLinear", "Mul", "MatMulInteger", "Cast", "Mul"], "\(g)")
            let mmi = try #require(graph.nodes.first { $0.opType == "MatMulInteger" })
            let dql = try #require(graph.nodes.first { $0.opType == "DynamicQuantizeLinear" })
            #expect(mmi.inputs[0] == dql.outputs[0] && mmi.inputs[2] == dql.outputs[2])
            #expect(mmi.inputs[1].hasSuffix("_quantized") && mmi.inputs[3].hasSuffix("_zero_point"))
        }
        // The codes are int8 (the default), per column: scale and zero point of length N.
        let codes = m.tensors.filter { $0.name.hasSuffix("_quantized") }
        #expect(codes.count == 4 && codes.allSatisfy { $0.dtype == .int8 })
        let zero = try #require(m.tensors.first { $0.name == "w_const_zero_point" })
        #expect(zero.shape == [8] && zero.dtype == .int8)
        let tensors = r.json["tensors"]?.arrayValue ?? []
        let forms = tensors.filter { $0["action"]?.stringValue == "quantized" }.compactMap { $0["form"]?.stringValue }
        #expect(forms == Array(repeating: "MatMulInteger", count: 4))
        #expect(r.json["settings"]?["dynamic"] == .bool(true))
        #expect(r.json["settings"]?["weights"] == "int8" || r.json["settings"]?["weights"] == .null)
        #expect(r.json["settings"]?["format"] == "qoperator")
        #expect(m.opsets[""] == 13)  // DynamicQuantizeLinear needs 11; per-column zero points need nothing more
    }

    @Test("one DynamicQuantizeLinear per activation; the embedding's codes feed q, k and v as they are")
    func sharedActivation() async throws {
        let (m, _) = try await convert(example("transformer-server/models/encoder.onnx"), ConversionSettings(dynamic: true))
        let g = m.graphs[0]
        let dql = g.nodes.filter { $0.opType == "DynamicQuantizeLinear" }
        let mmi = g.nodes.filter { $0.opType == "MatMulInteger" }
        // Seven: q, k and v of layer 0 read the embedding's gathered codes directly (below).
        #expect(mmi.count == 12 && dql.count == 7)
        #expect(Set(dql.map { $0.inputs[0] }).count == dql.count)  // one per activation
        // Each DynamicQuantizeLinear precedes every MatMulInteger that reads it.
        for (k, n) in g.nodes.enumerated() where n.opType == "MatMulInteger" {
            let producer = try #require(g.nodes.firstIndex { $0.outputs.contains(n.inputs[0]) })
            #expect(producer < k)
        }
        // The embedding table is a Gather's data, as quantize_dynamic writes it: uint8 codes with one scale,
        // gathered, then only the gathered rows dequantized.
        let gather = try #require(g.nodes.first { $0.opType == "Gather" })
        let table = try #require(m.tensors.first { $0.name == gather.inputs[0] })
        #expect(table.dtype == .uint8 && table.shape == [512, 64])
        let dq = try #require(g.nodes.first { $0.inputs.first == gather.outputs[0] })
        #expect(dq.opType == "DequantizeLinear" && dq.outputs == ["embeddings_out"])
        #expect(m.tensors.first { $0.name == dq.inputs[1] }?.shape == [])
        let fromCodes = mmi.filter { $0.inputs[0] == gather.outputs[0] }
        #expect(fromCodes.count == 3 && fromCodes.allSatisfy { $0.inputs[2] == dq.inputs[2] })
    }

    @Test("int8 Conv weights stay weight-only: onnxruntime's ConvInteger takes uint8 weights only")
    func convInt8() async throws {
        let (m, r) = try await convert(example("mobile-cnn/models/mobilenet_tiny.onnx"), ConversionSettings(dynamic: true))
        #expect(!ops(m.graphs[0]).contains("ConvInteger"))
        let conv = (r.json["tensors"]?.arrayValue ?? []).filter { ($0["name"]?.stringValue ?? "").hasSuffix("weight") }
        let convReasons = conv.compactMap { $0["reason"]?.stringValue }.filter { $0.contains("ConvInteger takes uint8") }
        #expect(convReasons.count == 11)
    }

    @Test("uint8 per-tensor Conv weights: ConvInteger with Conv's attributes and the bias added after the scales")
    func convUInt8() async throws {
        let s = ConversionSettings(weights: .uint8, granularity: .perTensor, symmetric: false, dynamic: true)
        let source = try ModelReader.read(path: example("mobile-cnn/models/mobilenet_tiny.onnx"))
        let (m, _) = try await convert(example("mobile-cnn/models/mobilenet_tiny.onnx"), s)
        let g = m.graphs[0]
        let convs = source.graphs[0].nodes.filter { $0.opType == "Conv" }
        let integer = g.nodes.filter { $0.opType == "ConvInteger" }
        #expect(!ops(g).contains("Conv") && integer.count == convs.count)
        for c in convs {
            // The Conv's output is now produced by the Add of its bias, fed by ConvInteger → Cast → Mul.
            let add = try #require(g.nodes.first { $0.outputs == c.outputs })
            #expect(add.opType == "Add")
            let reshape = try #require(g.nodes.first { $0.outputs.contains(add.inputs[1]) })
            #expect(reshape.opType == "Reshape" && reshape.inputs[0] == c.inputs[2])
            let ci = try #require(integer.first { $0.outputs[0].hasPrefix(c.outputs[0]) })
            #expect(ci.attributes["group"] == c.attributes["group"])
            #expect(ci.attributes["strides"] == c.attributes["strides"] && ci.attributes["pads"] == c.attributes["pads"])
            let w = try #require(m.tensors.first { $0.name == ci.inputs[1] })
            #expect(w.dtype == .uint8)
            #expect(m.tensors.first { $0.name == ci.inputs[3] }?.shape == [])
        }
    }

    @Test("Conv weights in a Constant and both If branches become ConvInteger (uint8 per tensor)")
    func convEverywhere() async throws {
        let s = ConversionSettings(weights: .uint8, granularity: .perTensor, symmetric: false, dynamic: true)
        let (m, r) = try await convert(fixture("conv_constant_if.onnx"), s)
        for g in m.graphs {
            #expect(ops(g).contains("ConvInteger") && !ops(g).contains("Conv"), "\(g.name)")
        }
        let forms = (r.json["tensors"]?.arrayValue ?? []).compactMap { $0["form"]?.stringValue }
        #expect(forms == ["ConvInteger", "ConvInteger", "ConvInteger"])
        // The grouped convolution keeps its group.
        let grouped = m.graphs.flatMap(\.nodes).filter { $0.opType == "ConvInteger" && $0.attributes["group"] == .int(4) }
        #expect(grouped.count == 1)
    }

    @Test("Gemm with transB becomes MatMulInteger on the transposed codes, plus Add of C")
    func gemm() async throws {
        let (m, r) = try await convert(fixture("opset11_gemm.onnx"), ConversionSettings(dynamic: true))
        #expect(ops(m.graphs[0]) == ["DynamicQuantizeLinear", "Mul", "MatMulInteger", "Cast", "Mul", "Add", "Relu"])
        let codes = try #require(m.tensors.first { $0.name == "w_quantized" })
        #expect(codes.shape == [16, 8] && codes.dtype == .int8)  // [N, K] = [8, 16] stored as [K, N]
        #expect(m.tensors.first { $0.name == "w_scale" }?.shape == [8])
        #expect(r.json["opset"]?["after"] == .int(11))
    }

    @Test("forms with no integer operator are refused with what would work")
    func refusals() {
        let cases: [(ConversionSettings, String)] = [
            (ConversionSettings(weights: .int4, granularity: .perBlock(size: 32), dynamic: true), "int8 or uint8"),
            (ConversionSettings(weights: .int8, granularity: .perBlock(size: 32), dynamic: true), "per-tensor or per-channel"),
            (ConversionSettings(dynamic: true, float16: true), "float16"),
        ]
        for (s, text) in cases {
            do {
                _ = try ONNXConverter.convert(path: fixture("constant_if_loop.onnx"), settings: s)
                Issue.record("expected a refusal for \(s)")
            } catch {
                #expect(error.kind == .unsupported && error.message.contains(text), "\(error.message)")
            }
        }
    }
}

@Suite("Converter: manifest spellings of dynamic quantization, prune scope and skip lists")
struct DynamicManifestTests {
    func target(_ optimize: String) throws -> TargetSpec {
        let text = """
            slipway: 1
            model: {path: m.onnx}
            targets:
              cpu: {runtime: onnxruntime, format: onnx, optimize: \(optimize)}
            """
        return try #require(ManifestFile(text).documents.first?.manifest.targets.first)
    }

    @Test("activations: dynamic, and format: qoperator without static activations, are dynamic quantization")
    func dynamicSpellings() throws {
        for o in ["{quantize: {weights: int8, activations: dynamic}}", "{quantize: {weights: uint8, format: qoperator}}",
                  "{quantize: {activations: dynamic}}"] {
            let s = try Converter.settings(for: target(o))
            #expect(s.dynamic && s.weights != nil, "\(o)")
        }
        #expect(try !Converter.settings(for: target("{quantize: {weights: int8}}")).dynamic)
        for o in ["{quantize: {weights: int8, activations: int8, calibration: c/}}",
                  "{quantize: {weights: int8, activations: float16, format: qoperator}}"] {
            #expect(throws: ConversionError.self, "\(o)") { try Converter.settings(for: target(o)) }
        }
    }

    @Test("prune.scope global and prune.skip are their own settings, apart from quantize.skip")
    func pruneSettings() throws {
        let s = try Converter.settings(for: target(
            "{quantize: {weights: int8, skip: [a]}, prune: {sparsity: 0.5, scope: global, skip: [b]}}"))
        #expect(s.pruneScope == .global && s.skip == ["a"] && s.pruneSkip == ["b"])
        #expect(try Converter.settings(for: target("{prune: {sparsity: 0.5}}")).pruneScope == .perTensor)
    }
}

@Suite("Pruning scope and separate skip lists in the converter")
struct PruneScopeTests {
    func zeros(_ model: Model, _ name: String) throws -> (Int, Int) {
        let t = try #require(model.tensors.first { $0.name == name })
        let v = try model.withFloat32Values(of: t) { Array($0) }
        return (v.filter { $0 == 0 }.count, v.count)
    }

    @Test("global: one threshold over all tensors zeroes ⌊s·N⌋ values in total, unevenly per tensor")
    func global() async throws {
        let src = repoRoot + "/examples/transformer-server/models/encoder.onnx"
        var s = ConversionSettings(pruning: .sparsity(0.5))
        s.pruneScope = .global
        let out = temporaryFolder() + "/g.onnx"
        let r = try await Converter.convert(model: src, output: out, settings: s)
        let m = try ModelReader.read(path: out)
        let pruned = (r.json["tensors"]?.arrayValue ?? []).filter { $0["action"] == "pruned" }.compactMap { $0["name"]?.stringValue }
        var total = 0, count = 0
        var fractions: [Double] = []
        for n in pruned {
            let (z, c) = try zeros(m, n)
            total += z
            count += c
            fractions.append(Double(z) / Double(c))
        }
        // Random float weights have no ties at the threshold: exactly ⌊0.5·N⌋ are below it.
        #expect(total == count / 2)
        #expect((fractions.max() ?? 0) - (fractions.min() ?? 0) > 0.05)
        #expect(r.json["settings"]?["prune_scope"] == "global")
    }

    @Test("quantize.skip keeps a tensor in float but it is still pruned; prune.skip keeps it dense but quantized")
    func separateSkips() async throws {
        var s = ConversionSettings(weights: .int8, pruning: .sparsity(0.5), skip: ["w_const"])
        s.pruneSkip = ["w_loop"]
        let out = temporaryFolder() + "/s.onnx"
        let r = try await Converter.convert(model: fixture("constant_if_loop.onnx"), output: out, settings: s)
        let action = Dictionary((r.json["tensors"]?.arrayValue ?? []).compactMap { t in
            t["name"]?.stringValue.map { ($0, t["action"]?.stringValue ?? "") }
        }, uniquingKeysWith: { a, _ in a })
        #expect(action["w_const"] == "pruned" && action["w_loop"] == "quantized")
        #expect(action["w_then"] == "pruned+quantized")
        let m = try ModelReader.read(path: out)
        let (z, c) = try zeros(m, "w_const")
        #expect(z == c / 2)
    }
}
