import Compression
import ModelFormats
import Testing

@testable import Conversion

@Suite("float16 weights")
struct Float16Tests {
    @Test("binary16 rounding matches IEEE round-to-nearest-even, overflow goes to ±infinity and is counted")
    func rounding() {
        #expect(HalfPrecision.bits(1) == 0x3C00)
        #expect(HalfPrecision.bits(-2) == 0xC000)
        #expect(HalfPrecision.bits(65504) == 0x7BFF)
        #expect(HalfPrecision.bits(65519) == 0x7BFF)  // rounds down to the largest finite value
        #expect(HalfPrecision.bits(65520) == 0x7C00)  // the tie goes to even: infinity
        #expect(HalfPrecision.bits(-1e9) == 0xFC00)
        #expect(HalfPrecision.bits(1 + 1.0 / 2048) == 0x3C00)  // tie, even below
        #expect(HalfPrecision.bits(1 + 3.0 / 2048) == 0x3C02)  // tie, even above
        #expect(HalfPrecision.bits(5.960_464_5e-8) == 0x0001)  // 2⁻²⁴, the least subnormal
        #expect(HalfPrecision.bits(2.980_232_2e-8) == 0x0000)  // 2⁻²⁵ ties to zero
        #expect(HalfPrecision.bits(-0.0) == 0x8000)
        #expect(HalfPrecision.bits(.infinity) == 0x7C00)
        #expect(HalfPrecision.bits(.nan) & 0x7C00 == 0x7C00 && HalfPrecision.bits(.nan) & 0x03FF != 0)
        let (raw, overflow) = HalfPrecision.encode([1, 70000, -65520, 65504, .infinity])
        #expect(raw.count == 10 && raw[0] == 0x00 && raw[1] == 0x3C)
        #expect(overflow == 2)  // infinity itself is no overflow
        #if !(os(macOS) && arch(x86_64))
        // Swift's Float16 conversion rounds the same way: compare over a spread of bit patterns.
        var state: UInt32 = 12345
        for _ in 0..<200_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            let x = Float(bitPattern: state)
            guard !x.isNaN else { continue }
            #expect(HalfPrecision.bits(x) == Float16(x).bitPattern, "\(x)")
        }
        #endif
    }

    /// The float tensors of a written model, by name (Constants under their output name).
    func tensors(_ path: String) throws -> [String: ConstantTensor] {
        let model = try ModelReader.read(path: path)
        return Dictionary(model.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("initializers, a Constant and both If branches become FLOAT16 behind a Cast; the report says so")
    func convertsEverywhere() async throws {
        let dir = temporaryFolder()
        let out = dir + "/m.onnx"
        let r = try await Converter.convert(model: fixture("constant_if_loop.onnx"), output: out,
                                            settings: ConversionSettings(float16: true))
        #expect(r.json["settings"]?["float16"]?.stringValue == "weights")
        let converted = (r.json["tensors"]?.arrayValue ?? []).filter { $0["action"]?.stringValue == "float16" }
        let names = Set(converted.compactMap { $0["name"]?.stringValue })
        #expect(names.isSuperset(of: ["w_const", "w_then", "w_else", "w_loop"]))
        #expect(converted.allSatisfy { $0["overflow"]?.intValue == 0 })
        let written = try tensors(out)
        for name in ["w_const", "w_then", "w_else", "w_loop"] {
            #expect(written[name + "_fp16"]?.dtype == .float16, "\(name)")
        }
        let model = try ModelReader.read(path: out)
        let casts = model.graphs.flatMap(\.nodes).filter { $0.opType == "Cast" }
        #expect(Set(casts.flatMap(\.outputs)).isSuperset(of: names))
        #expect(casts.allSatisfy { $0.attributes["to"] == .int(1) })
        #expect(model.graphs.count >= 4)  // the If branches and the Loop body are still there
        // weights: float16 is the same conversion, spelled as a weight type.
        let r2 = try await Converter.convert(model: fixture("constant_if_loop.onnx"), output: dir + "/w.onnx",
                                             settings: ConversionSettings(weights: .float16))
        #expect(r2.json["output"]?["sha256"] == r.json["output"]?["sha256"])
        #expect(r2.json["settings"] == r.json["settings"])
    }

    @Test("values beyond the float16 range are counted per tensor and by the engine")
    func overflowCounted() async throws {
        let dir = temporaryFolder()
        let src = dir + "/big.onnx"
        var bytes = try readFile(fixture("constant_if_loop.onnx"), limit: 1 << 24)
        let model = try ModelReader.read(bytes: bytes, path: src)
        let t = try #require(model.tensors.first { $0.name == "w_then" })
        guard case .file(let offset, _) = t.storage else {
            Issue.record("w_then is not stored as raw data")
            return
        }
        // Three values out of range (1e5, -7e4, 65520) and one that rounds down to 65504.
        for (k, v) in [Float(1e5), -7e4, 65520, 65510].enumerated() {
            let b = v.bitPattern
            for j in 0..<4 { bytes[offset + 4 * k + j] = UInt8(truncatingIfNeeded: b >> (8 * UInt32(j))) }
        }
        try SafeWriter.write(bytes, to: src)
        let r = try await Converter.convert(model: src, output: dir + "/out.onnx", settings: ConversionSettings(float16: true))
        let entry = (r.json["tensors"]?.arrayValue ?? []).first { $0["name"]?.stringValue == "w_then" }
        #expect(entry?["overflow"]?.intValue == 3)
        let engine = (r.json["compression"]?["tensors"]?.arrayValue ?? []).first {
            $0["name"]?.stringValue?.hasPrefix("w_then") ?? false
        }
        // The engine reports the overflowing values as its clipped fraction (w_then holds 8 × 4 values).
        #expect(engine?["clipped_fraction"]?.doubleValue == 3.0 / 32)
    }

    @Test("float16 cannot be combined with an integer weight type; bfloat16 is still refused")
    func refusals() {
        for s in [ConversionSettings(weights: .int8, float16: true), ConversionSettings(weights: .bfloat16)] {
            #expect(throws: ConversionError.self) { _ = try ONNXConverter.convert(path: fixture("opset11_gemm.onnx"), settings: s) }
        }
    }
}
