import Compression
import FlatBuffers
import JSON
import Testing

@testable import ModelFormats

@testable import Conversion

func modelFixture(_ name: String) -> String { repoRoot + "/Tests/Fixtures/models/" + name }

func tensor(_ m: Model, _ name: String) throws -> ConstantTensor {
    try #require(m.tensors.first { $0.name == name })
}

@Suite("TFLite → TFLite: as the TFLite converter's dynamic-range and float16 modes write it")
struct TFLiteConversionTests {
    let hidden = "functional_1/hidden_1/MatMul"

    func convert(_ source: String, _ settings: ConversionSettings) async throws -> (Model, ConversionReport) {
        let out = temporaryFolder() + "/out.tflite"
        let r = try await Converter.convert(model: modelFixture(source), output: out, settings: settings)
        return (try ModelReader.read(path: out), r)
    }

    @Test("int8: the weights the converter quantizes, with its codes, scales, axis and operator versions")
    func int8MatchesTheConverter() async throws {
        let (m, r) = try await convert("small_cnn_float.tflite", ConversionSettings(weights: .int8))
        let real = try ModelReader.read(path: modelFixture("small_cnn_dynamic.tflite"))
        // Only the 128×8 FULLY_CONNECTED weight reaches 1024 elements; the smaller ones stay float32.
        #expect(m.tensors.filter { $0.dtype == .int8 }.map(\.name) == [hidden])
        #expect(real.tensors.filter { $0.dtype == .int8 }.map(\.name) == [hidden])
        let ours = try tensor(m, hidden), theirs = try tensor(real, hidden)
        #expect(ours.quantization?.scales == theirs.quantization?.scales)
        #expect(ours.quantization?.zeroPoints == Array(repeating: 0, count: 128))
        #expect(ours.quantization?.axis == 0)
        let codes = { (model: Model, t: ConstantTensor) throws -> [UInt8] in
            guard case .file(let o, let n) = t.storage, let b = model.file.slice(offset: o, length: n) else { return [] }
            return Array(b)
        }
        #expect(try codes(m, ours) == codes(real, theirs))
        let fc = try #require(m.graphs[0].nodes.first { $0.opType == "FULLY_CONNECTED" })
        #expect(fc.version == 12)  // hybrid per-channel FULLY_CONNECTED (op_version.cc)
        #expect(r.json["tools"]?["converter"]?.stringValue == "native TFLite rewriter (in process)")
        let reasons = r.json["tensors"]?.arrayValue?.compactMap { $0["reason"]?.stringValue } ?? []
        #expect(reasons.contains { $0.contains("below the TFLite converter's minimum of 1024") })
    }

    @Test("float16: every float32 constant an operator reads, behind a DEQUANTIZE (version 3) to its old tensor")
    func float16() async throws {
        let (m, r) = try await convert("small_cnn_float.tflite", ConversionSettings(float16: true))
        let real = try ModelReader.read(path: modelFixture("small_cnn_float16.tflite"))
        #expect(m.tensors.filter { $0.dtype == .float16 }.count == real.tensors.filter { $0.dtype == .float16 }.count)
        #expect(!m.tensors.contains { $0.dtype == .float32 })
        let dq = m.graphs[0].nodes.prefix { $0.opType == "DEQUANTIZE" }
        #expect(dq.count == 5 && dq.allSatisfy { $0.version == 3 })
        // The convolution still reads its weight by the old name; that tensor is now DEQUANTIZE's output.
        let conv = try #require(m.graphs[0].nodes.first { $0.opType == "CONV_2D" })
        #expect(dq.contains { $0.outputs == [conv.inputs[1]] })
        #expect(r.json["tensors"]?.arrayValue?.filter { $0["action"]?.stringValue == "float16" }.count == 5)
    }

    @Test("everything else is written back: description, metadata, signatures, options, other subgraphs, custom ops")
    func preserves() async throws {
        for source in ["small_cnn_float.tflite", "control_flow.tflite"] {
            let before = try ModelReader.read(path: modelFixture(source))
            let (after, _) = try await convert(source, ConversionSettings(float16: true))
            #expect(after.producer == before.producer)
            // min_runtime_version rises to what DEQUANTIZE version 3 needs (1.15.0), as the converter writes it.
            #expect(after.metadata.filter { $0.key != "min_runtime_version" } == before.metadata.filter { $0.key != "min_runtime_version" })
            let raised = after.metadata["min_runtime_version"] ?? "", was = before.metadata["min_runtime_version"] ?? ""
            #expect(!TFLiteRules.runtime(raised, isBelow: was) && !TFLiteRules.runtime(raised, isBelow: "1.15.0"))
            #expect(after.signatures.map(\.key) == before.signatures.map(\.key))
            #expect(after.signatures.map(\.inputs) == before.signatures.map(\.inputs))
            #expect(after.graphs.count == before.graphs.count)
            for (a, b) in zip(after.graphs, before.graphs) {
                let ops = a.nodes.filter { $0.opType != "DEQUANTIZE" }
                #expect(ops.map(\.opType) == b.nodes.map(\.opType))
                #expect(ops.map(\.attributes) == b.nodes.map(\.attributes))
            }
        }
    }

    @Test("buffers stored after the flatbuffer (the over-2 GB form) are read and written inline")
    func offsetBuffers() async throws {
        let (m, _) = try await convert("buffer_offsets.tflite", ConversionSettings(weights: .int8))
        #expect(m.tensors.filter { $0.dtype == .int8 }.map(\.name) == [hidden])
        let (plain, _) = try await convert("small_cnn_float.tflite", ConversionSettings(weights: .int8))
        #expect(try tensor(m, hidden).quantization == tensor(plain, hidden).quantization)
    }

    @Test("weights beyond the 2 GB flatbuffer limit go after it (offset/size), unchanged ones copied from the source")
    func writesOffsetBuffers() throws {
        let source = modelFixture("small_cnn_float.tflite")
        let inline = try TFLiteConverter.convert(path: source, settings: ConversionSettings(weights: .int8))
        let offsets = try TFLiteConverter.convert(path: source, settings: ConversionSettings(weights: .int8), inlineLimit: 0)
        #expect(offsets.output.pieces.contains { if case .source = $0 { return true } else { return false } })
        let dir = temporaryFolder()
        try SafeWriter.write(inline.output, source: inline.source.bytes, to: dir + "/a.tflite")
        try SafeWriter.write(offsets.output, source: offsets.source.bytes, to: dir + "/b.tflite")
        let a = try ModelReader.read(path: dir + "/a.tflite"), b = try ModelReader.read(path: dir + "/b.tflite")
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
        for (x, y) in zip(a.tensors, b.tensors) {
            #expect(x.dtype == y.dtype && x.quantization == y.quantization)
            guard case .file(let o, let n) = x.storage, case .file(let p, let k) = y.storage else { continue }
            #expect(p % 16 == 0)
            #expect(a.file.slice(offset: o, length: n).map(Array.init) == b.file.slice(offset: p, length: k).map(Array.init))
        }
    }

    @Test("pruning zeros the weights int8 would take, with the engine's threshold")
    func pruning() async throws {
        let (m, r) = try await convert("small_cnn_float.tflite", ConversionSettings(pruning: .sparsity(0.5)))
        let t = try tensor(m, hidden)
        let values = try m.withFloat32Values(of: t) { Array($0) }
        #expect(values.filter { $0 == 0 }.count == 512)
        let entry = r.json["tensors"]?.arrayValue?.first { $0["name"]?.stringValue == hidden }
        #expect(entry?["action"]?.stringValue == "pruned")
    }

    @Test("settings TFLite's kernels cannot run are refused with what would work")
    func refusals() {
        for (s, says) in [
            (ConversionSettings(weights: .uint8), "use int8, or float16"),
            (ConversionSettings(weights: .int8, symmetric: false), "symmetric"),
            (ConversionSettings(weights: .int8, granularity: .perBlock(size: 32)), "per-channel or per-tensor"),
            (ConversionSettings(weights: .int8, channelAxis: 1), "channel axis"),
        ] {
            #expect {
                _ = try TFLiteConverter.convert(path: modelFixture("small_cnn_float.tflite"), settings: s)
            } throws: { ($0 as? ConversionError)?.message.contains(says) == true }
        }
    }

    @Test("a table field the schema does not describe is refused, not dropped")
    func unknownField() throws {
        let bytes = try FlatBufferBuilder.serialize(root: FB.TableNode([
            0: .int(UInt32(3)), 2: .offset(.offsets([.table(FB.TableNode([0: .offset(.offsets([]))]))])),
            30: .int(UInt32(1)),
        ]), fileIdentifier: "TFL3")
        let path = temporaryFolder() + "/unknown.tflite"
        try SafeWriter.write(bytes, to: path)
        #expect {
            _ = try TFLiteConverter.convert(path: path, settings: ConversionSettings(float16: true))
        } throws: { ($0 as? ConversionError)?.message.contains("has field 30") == true }
    }
}

@Suite("TFLite rewrite of damaged or unknown input")
struct TFLiteHostileInputTests {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = temporaryFolder() + "/m.tflite"
        try SafeWriter.write(bytes, to: path)
        return path
    }

    @Test("every truncation of a real model is an error naming the model, never a crash or an artifact")
    func truncated() throws {
        let whole = try readFile(modelFixture("small_cnn_float.tflite"), limit: 1 << 20)
        for cut in stride(from: 8, to: whole.count, by: 331) {
            let path = try write(Array(whole.prefix(cut)))
            #expect(throws: ConversionError.self) {
                _ = try TFLiteConverter.convert(path: path, settings: ConversionSettings(weights: .int8))
            }
        }
    }

    @Test("a union type the schema does not list is refused with its path")
    func unknownUnion() throws {
        let op = FB.TableNode([0: .int(UInt32(0)), 3: .int(UInt8(250)), 4: .offset(.table(FB.TableNode()))])
        let sg = FB.TableNode([0: .offset(.offsets([])), 3: .offset(.offsets([.table(op)]))])
        let model = FB.TableNode([0: .int(UInt32(3)),
                                  1: .offset(.offsets([.table(FB.TableNode([3: .int(Int32(0))]))])),
                                  2: .offset(.offsets([.table(sg)])),
                                  4: .offset(.offsets([.table(FB.TableNode())]))])
        let path = try write(try FlatBufferBuilder.serialize(root: model, fileIdentifier: "TFL3"))
        #expect {
            _ = try TFLiteConverter.convert(path: path, settings: ConversionSettings(float16: true))
        } throws: { ($0 as? ConversionError)?.message.contains("BuiltinOptions type 250") == true }
    }
}

@Suite("safetensors → safetensors")
struct SafetensorsConversionTests {
    func convert(_ settings: ConversionSettings) async throws -> (Model, [UInt8]) {
        let out = temporaryFolder() + "/out.safetensors"
        _ = try await Converter.convert(model: modelFixture("all_dtypes.safetensors"), output: out, settings: settings)
        return (try ModelReader.read(path: out), try readFile(out, limit: 1 << 20))
    }

    @Test("float16 and bfloat16: float32 tensors change type, the rest is copied, metadata and alignment kept")
    func types() async throws {
        let source = try ModelReader.read(path: modelFixture("all_dtypes.safetensors"))
        for (settings, dtype) in [(ConversionSettings(float16: true), DType.float16),
                                  (ConversionSettings(weights: .bfloat16), DType.bfloat16)] {
            let (m, bytes) = try await convert(settings)
            let header = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(header % 8 == 0)
            #expect(m.metadata == source.metadata)
            #expect(m.tensors.map(\.name) == source.tensors.map(\.name))
            for (a, b) in zip(m.tensors, source.tensors) {
                // Scalars stay float32 (two bytes saved); every other float32 tensor changes type.
                let converted = b.dtype == .float32 && !b.shape.isEmpty
                #expect(a.dtype == (converted ? dtype : b.dtype))
                #expect(a.shape == b.shape)
                guard converted else {
                    // Copied byte for byte.
                    guard case .file(let o, let n) = a.storage, case .file(let p, let k) = b.storage else { continue }
                    #expect(m.file.slice(offset: o, length: n).map(Array.init) == source.file.slice(offset: p, length: k).map(Array.init))
                    continue
                }
                let x = try m.withFloat32Values(of: a) { Array($0) }
                let y = try source.withFloat32Values(of: b) { Array($0) }
                for (u, v) in zip(x, y) { #expect(abs(u - v) <= abs(v) / 128) }
            }
        }
    }

    @Test("bfloat16 rounds to nearest, ties to even, and keeps NaN a NaN")
    func bfloat16Rounding() {
        #expect(BFloat16.bits(1.0) == 0x3F80)
        #expect(BFloat16.bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(BFloat16.bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(BFloat16.bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(BFloat16.bits(.nan) & 0x7FC0 == 0x7FC0)
        #expect(BFloat16.encode([Float.greatestFiniteMagnitude]).overflow == 1)
    }

    @Test("int8 has no place in safetensors and is refused")
    func refusal() {
        #expect(throws: ConversionError.self) {
            _ = try SafetensorsConverter.convert(path: modelFixture("all_dtypes.safetensors"), settings: ConversionSettings(weights: .int8))
        }
    }
}
