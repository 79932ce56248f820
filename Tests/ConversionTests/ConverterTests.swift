import Compression
import Hashing
import JSON
import Manifest
import ModelFormats
import Testing

@testable import Conversion

#if canImport(Glibc)
import Glibc
#endif

/// The repository root, from this file's path.
let repoRoot: String = {
    let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    return parts.dropLast(3).joined(separator: "/")
}()

func fixture(_ name: String) -> String { repoRoot + "/Tests/Fixtures/conversion/" + name }

/// A fresh folder under /tmp for one test.
func temporaryFolder() -> String {
    var template = Array("/tmp/slipway-conversion-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
    guard made != nil else { return "/tmp" }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func copyFile(_ from: String, _ to: String) throws {
    let bytes = try readFile(from, limit: 1 << 24)
    try SafeWriter.write(bytes, to: to)
}

func listing(_ folder: String) -> [String] {
    guard let d = opendir(folder) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = DirectoryEntry.name(e)
        if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
}

@Suite("Converter: one-shot conversions and their safety")
struct ConverterTests {
    let int8 = ConversionSettings(weights: .int8)

    @Test("a conversion writes the artifact and its report, and nothing else")
    func writesArtifactAndReport() async throws {
        let dir = temporaryFolder()
        let out = dir + "/m.onnx"
        let r = try await Converter.convert(model: fixture("constant_if_loop.onnx"), output: out, settings: int8)
        #expect(!r.upToDate)
        #expect(listing(dir) == ["m.onnx", "m.onnx.report.json"])
        #expect(r.json["output"]?["sha256"]?.stringValue == (try sha256(ofFile: out)))
        #expect(r.json["settings"]?["scheme"]?.stringValue == "int8-sym-per-channel")
        let actions = (r.json["tensors"]?.arrayValue ?? []).compactMap { $0["action"]?.stringValue }
        #expect(actions.filter { $0 == "quantized" }.count == 4)
    }

    @Test("the same inputs and settings are up to date; --force or other settings convert again")
    func upToDate() async throws {
        let dir = temporaryFolder()
        let out = dir + "/m.onnx"
        _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: int8)
        let again = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: int8)
        #expect(again.upToDate)
        let forced = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: int8,
                                                 options: ConvertOptions(force: true))
        #expect(!forced.upToDate)
        var other = int8
        other.granularity = .perTensor
        let changed = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: out, settings: other)
        #expect(!changed.upToDate)
        #expect(changed.json["opset"]?["after"]?.intValue == 11)
    }

    @Test("the source is never the output: same path, symbolic link, hard link")
    func neverOverSource() async throws {
        let dir = temporaryFolder()
        let src = dir + "/m.onnx"
        try copyFile(fixture("opset11_gemm.onnx"), src)
        let before = try sha256(ofFile: src)
        symlink(src, dir + "/sym.onnx")
        link(src, dir + "/hard.onnx")
        for out in [src, dir + "/sym.onnx", dir + "/hard.onnx", dir + "/./m.onnx"] {
            await #expect(throws: ConversionError.self) {
                _ = try await Converter.convert(model: src, output: out, settings: int8)
            }
        }
        #expect(try sha256(ofFile: src) == before)
    }

    @Test("a refused conversion leaves no file behind")
    func refusalLeavesNothing() async throws {
        let dir = temporaryFolder()
        // (opset11_squeeze.onnx per channel is no longer refused: the opset upgrade rewrites its Squeeze.)
        var invalid = int8
        invalid.pruning = .sparsity(1.5)
        await #expect(throws: ConversionError.self) {
            _ = try await Converter.convert(model: fixture("opset11_squeeze.onnx"), output: dir + "/x/m.onnx", settings: invalid)
        }
        #expect(listing(dir).isEmpty)
    }

    @Test("cancellation before the rename removes the temporary")
    func cancellation() async throws {
        let dir = temporaryFolder()
        await #expect(throws: ConversionError(.cancelled, "cancelled")) {
            _ = try await Converter.convert(model: fixture("opset11_gemm.onnx"), output: dir + "/m.onnx", settings: int8,
                                            cancellation: { true })
        }
        #expect(listing(dir).isEmpty)
    }

    @Test("not implemented forms are refused with what to use instead")
    func notImplemented() {
        for s in [ConversionSettings(weights: .int4, granularity: .perBlock(size: 32), dynamic: true),
                  ConversionSettings(weights: .bfloat16)] {
            #expect(throws: ConversionError.self) { _ = try ONNXConverter.convert(path: fixture("opset11_gemm.onnx"), settings: s) }
        }
    }
}

@Suite("Converter: manifest targets")
struct ManifestTargetTests {
    func manifest(_ text: String) throws -> Manifest {
        try #require(ManifestFile(text).documents.first?.manifest)
    }

    let text = """
        slipway: 1
        name: enc
        model: {path: m.onnx}
        optimize:
          quantize: {weights: int8, granularity: per-channel, skip: ["emb.*"]}
          prune: {sparsity: 0.25}
        targets:
          cpu: {runtime: onnxruntime, format: onnx}
          tensor: {runtime: onnxruntime, format: onnx, optimize: {quantize: {granularity: per-tensor, symmetric: false}}}
          phone: {runtime: litert, format: tflite}
          mac: {runtime: coreml, format: mlpackage}
        deploy: {to: "dist/{target}/{name}-{version}.{ext}", version: "1.2"}
        """

    @Test("a target's effective optimize becomes the settings")
    func settings() throws {
        let m = try manifest(text)
        let cpu = try Converter.settings(for: m.targets[0])
        #expect(cpu == ConversionSettings(weights: .int8, granularity: .perChannel, pruning: .sparsity(0.25), skip: ["emb.*"]))
        let tensor = try Converter.settings(for: m.targets[1])
        #expect(tensor.granularity == .perTensor && !tensor.symmetric)
    }

    @Test("deploy.to places each artifact")
    func outputPath() throws {
        let m = try manifest(text)
        #expect(Converter.outputPath(target: m.targets[0], manifest: m, modelPath: "m.onnx") == "dist/cpu/enc-1.2.onnx")
    }

    @Test("targets needing an external converter go to it: Core ML from ONNX is refused, onnx2tf does not prune")
    func externalTools() async throws {
        let m = try manifest(text)
        let dir = temporaryFolder()
        try copyFile(fixture("opset11_gemm.onnx"), dir + "/m.onnx")
        var errors: [ConversionError] = []
        for target in [m.targets[2], m.targets[3]] {
            do {
                _ = try await Converter.convert(target: target, manifest: m, manifestPath: dir + "/a.slipway.yaml",
                                                options: ConvertOptions(python: "slipway-no-such-python"))
                Issue.record("expected a refusal")
            } catch { errors.append(error) }
        }
        #expect(errors.map(\.kind) == [.unsupported, .unsupported])
        // The plan's words, the same `check` reports as SW4018.
        #expect(errors.first?.message.contains("onnx2tf (onnx → tflite) does not prune; prune the onnx model first") == true)
        #expect(errors.last?.message.contains("no ONNX frontend") == true)
    }

    @Test("convert's plan reads a zip archive's kind from its entries, as check does: .pt2 is an ExportedProgram")
    func archiveKinds() throws {
        let m = try manifest("""
            slipway: 1
            model: {path: m.pt2}
            targets:
              t: {runtime: onnxruntime, format: onnx}
            """)
        let models = repoRoot + "/Tests/Fixtures/models/pytorch/"
        let program = Converter.targetPlan(target: m.targets[0], modelPath: models + "exported.pt2")
        #expect(program.source == "pytorch-exported-program" && program.exportOpset == 18)
        let script = Converter.targetPlan(target: m.targets[0], modelPath: models + "torchscript.pt", runtimeMaxOpset: 15)
        #expect(script.source == "pytorch" && script.exportOpset == 15)
        #expect(Converter.targetPlan(target: m.targets[0], modelPath: models + "state_dict.pt").source == "pytorch-state-dict")
    }

    @Test("convert plans with the runtime's highest opset, as check does: int4 for an opset-20 runtime is refused")
    func runtimeOpset() async throws {
        let m = try manifest("""
            slipway: 1
            model: {path: m.onnx}
            targets:
              old: {runtime: onnxruntime@1.17, optimize: {quantize: {weights: int4, granularity: per-block:32}}}
            """)
        let dir = temporaryFolder()
        try copyFile(fixture("opset11_gemm.onnx"), dir + "/m.onnx")
        var options = ConvertOptions()
        options.runtimeMaxOpset = { $0.runtime?.value.name == "onnxruntime" ? 20 : nil }
        await #expect(throws: ConversionError.self) {
            _ = try await Converter.convert(target: m.targets[0], manifest: m, manifestPath: dir + "/a.slipway.yaml", options: options)
        }
        do {
            _ = try await Converter.convert(target: m.targets[0], manifest: m, manifestPath: dir + "/a.slipway.yaml", options: options)
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.message == "int4 DequantizeLinear needs opset 21; onnxruntime@1.17 runs models up to opset 20; use int8 per-channel weights, or a newer runtime")
        }
        #expect(listing(dir) == ["m.onnx"])  // nothing written
    }
}

@Suite("Building blocks")
struct BuildingBlockTests {
    @Test("SHA-256 of the FIPS 180-2 examples")
    func sha() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Array(repeating: 0x61, count: 1000)).count == 64)
    }

    @Test("raising the opset is refused only for operators whose meaning changed in between")
    func opsetBlockers() {
        #expect(OpsetPolicy.blockers(operators: ["Gemm", "Relu"], from: 11, to: 13).isEmpty)
        #expect(OpsetPolicy.blockers(operators: ["Squeeze", "Conv"], from: 11, to: 13).map(\.op) == ["Squeeze"])
        #expect(OpsetPolicy.blockers(operators: ["Squeeze"], from: 13, to: 21).isEmpty)
        #expect(OpsetPolicy.blockers(operators: ["ReduceMean"], from: 17, to: 21).map(\.version) == [18])
    }

    @Test("2:4 keeps the two largest magnitudes of every four along the reduction axis, earlier on ties")
    func pattern() {
        // [4, 2]: reduction axis 0, so each column is one group.
        var v: [Float] = [1, -4, -3, 1, 2, 1, 0.5, 3]
        Pruner.applyPattern(NMPattern(2, 4), shape: [4, 2], axis: 0, &v)
        #expect(v == [0, -4, -3, 0, 2, 0, 0, 3])
    }

    @Test("a threshold zeroes magnitudes strictly below it")
    func threshold() {
        var v: [Float] = [0.1, -0.2, 0.3, -0.05]
        Pruner.zeroBelow(0.2, &v)
        #expect(v == [0, -0.2, 0.3, 0])
    }
}
