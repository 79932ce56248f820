import ArtifactLayout
import Compression
import JSON
import ModelFormats
import ProtobufWire

/// safetensors → safetensors: float32 tensors stored as float16 or bfloat16 (round to nearest, ties to
/// even; values that overflow float16 are counted in the report), and magnitude pruning (zeros written into
/// rank ≥ 2 float32 tensors, with the engine's thresholds). The header keeps its entries in order and
/// `__metadata__` as it was; tensors keep their order in the data, with offsets recomputed; the header is
/// padded with spaces to a multiple of 8 bytes, as the reference writer does, so the data stays aligned.
/// Tensors that do not change are copied from the source as they are.
enum SafetensorsConverter {
    static func convert(path: String, settings: ConversionSettings) throws(ConversionError) -> ONNXConversion {
        var target: QuantizationType?
        if settings.isFloat16 {
            if settings.float16, let w = settings.weights, w != .float16 {
                throw ConversionError(.unsupported, "--float16 stores the weights as float16; it cannot be combined with \(w.rawValue) weights")
            }
            target = .float16
        } else if let w = settings.weights {
            guard w == .bfloat16 else {
                throw ConversionError(.unsupported, "safetensors weights: \(w.rawValue) is not written; safetensors has no place for quantization scales, use float16 or bfloat16")
            }
            target = .bfloat16
        }
        if settings.dynamic { throw ConversionError(.unsupported, "--dynamic applies to ONNX models, not safetensors") }
        let file: MappedFile
        let model: Model
        do {
            file = try MappedFile(path: path)
            model = try ModelReader.read(file: file)
        } catch {
            throw ConversionError(.model, "cannot read the model: \(error)")
        }
        guard model.format == .safetensors else {
            throw ConversionError(.unsupported, "\(path) is a \(model.format) model; this conversion rewrites safetensors files")
        }
        // The header again, for its order and its exact __metadata__ (the reader keeps a dictionary).
        let bytes = file.bytes
        let headerLength = Int(UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)))
        let header: JSONValue
        do {
            header = try JSONValue.parse(
                bytes: UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]).bindMemory(to: UInt8.self), maxDepth: 16)
        } catch {
            throw ConversionError(.model, "cannot read the header of \(path): \(error)")
        }
        guard case .object(let entries) = header else { throw ConversionError(.model, "the header of \(path) is not a JSON object") }

        // Rank ≥ 1: biases and norm scales too (as `estimate` selects them); a scalar saves two bytes.
        // quantize.skip and prune.skip both leave a tensor as it is here (the ONNX rewriter applies them apart).
        let selection = TensorSelection(skip: settings.skip + settings.pruneSkip, minimumRank: 1)
        var report: [ConvertedTensor] = []
        var newData: [String: (dtype: String, raw: [UInt8])] = [:]
        var weights: [WeightTensor] = []
        var values: [String: [Float]] = [:]
        var mapped: [String: UnsafeBufferPointer<Float>] = [:]
        for t in model.tensors {
            var entry = ConvertedTensor(name: t.name, holder: "tensor", graph: 0, shape: t.shape, action: "kept")
            let decision = selection.decide(TensorCandidate(name: t.name, dtype: t.dtype.name, shape: t.shape))
            if case .skip(let reason) = decision { entry.reason = reason.message }
            else if t.dtype != .float32 { entry.reason = "\(t.dtype.name) tensors are not converted (float32 only)" }
            else if target == nil, settings.pruning == nil || t.shape.count < 2 { entry.reason = "not changed by the settings" }
            else if settings.pruning == nil, let p = Self.inPlace(model, t) {
                // Nothing changes the values: the engine and the encoder read them in the mapping, so a large
                // checkpoint is not copied in float32 (only its float16 / bfloat16 output is held).
                mapped[t.name] = p
                weights.append(WeightTensor(name: t.name, shape: t.shape, channelAxis: 0,
                                            reductionAxis: max(t.shape.count, 1) - 1, values: .buffer(p)))
            } else {
                do { values[t.name] = try model.withFloat32Values(of: t) { Array($0) } } catch {
                    throw ConversionError(.model, "cannot read the values of \(t.name): \(error)")
                }
                let rank = max(t.shape.count, 1)
                weights.append(WeightTensor(name: t.name, shape: t.shape, channelAxis: 0, reductionAxis: rank - 1,
                                            values: .array(values[t.name] ?? [])))
            }
            report.append(entry)
        }
        if let p = settings.pruning {
            let prunable = weights.filter { $0.shape.count >= 2 }
            let thresholds = try ONNXConverter.pruningThresholds(p, scope: settings.pruneScope, prunable)
            for w in prunable {
                guard var v = values[w.name] else { continue }
                switch p {
                case .sparsity, .threshold: if let th = thresholds[w.name] { Pruner.zeroBelow(th, &v) }
                case .pattern(let nm): Pruner.applyPattern(nm, shape: w.shape, axis: w.shape.count - 1, &v)
                }
                values[w.name] = v
            }
            weights = weights.map { w in
                WeightTensor(name: w.name, shape: w.shape, channelAxis: 0, reductionAxis: max(w.shape.count, 1) - 1,
                             values: .array(values[w.name] ?? []))
            }
        }
        var compression: CompressionReport?
        if !weights.isEmpty {
            do {
                compression = try CompressionEngine.analyze(weights, options: CompressionOptions(
                    schemes: [QuantizationScheme(target ?? .float16)], pruning: nil, workers: nil))
            } catch {
                throw ConversionError(.unsupported, "the compression settings are invalid: \(error)")
            }
        }
        func encode<C: Collection>(_ v: C, _ r: Int, pruned: Bool) where C.Element == Float {
            let name = report[r].name
            report[r].sparsity = v.isEmpty ? nil : Double(v.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }) / Double(v.count)
            switch target {
            case .float16?:
                let (raw, overflow) = HalfPrecision.encode(Array(v))  // one tensor's copy at a time
                newData[name] = ("F16", raw)
                report[r].overflow = overflow
                report[r].action = pruned ? "pruned+float16" : "float16"
            case .bfloat16?:
                let (raw, overflow) = BFloat16.encode(v)
                newData[name] = ("BF16", raw)
                report[r].overflow = overflow
                report[r].action = pruned ? "pruned+bfloat16" : "bfloat16"
            default:
                newData[name] = ("F32", ONNXEncode.float32LE(Array(v)))
                report[r].action = pruned ? "pruned" : "kept"
            }
        }
        withExtendedLifetime(file) {
            for r in report.indices where report[r].reason == nil {
                let name = report[r].name
                if let p = mapped[name] {
                    encode(p, r, pruned: false)
                } else if let v = values[name] {
                    values[name] = nil  // one float copy less at a time
                    encode(v, r, pruned: settings.pruning != nil && report[r].shape.count >= 2)
                }
            }
        }

        // The data in the source's order; each tensor's new bytes or its source range.
        let order = model.tensors.sorted { a, b in
            if case .file(let x, _) = a.storage, case .file(let y, _) = b.storage { return x < y }
            return false
        }
        var offsets: [String: (Int, Int)] = [:]
        var data = WireOutput()
        for t in order {
            let begin = data.count
            if let n = newData[t.name] {
                data.append(n.raw)
            } else if case .file(let offset, let length) = t.storage {
                data.copy(offset..<(offset + length))
            }
            offsets[t.name] = (begin, data.count)
        }
        var out = JSONObject()
        for (name, value) in entries.entries {
            guard name != "__metadata__", case .object(var o) = value, let range = offsets[name] else {
                out[name] = value
                continue
            }
            if let n = newData[name] { o["dtype"] = .string(n.dtype) }
            o["data_offsets"] = .array([.int(range.0), .int(range.1)])
            out[name] = .object(o)
        }
        var headerBytes = Array(JSONValue.object(out).serialized().utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var output = WireOutput()
        output.append(withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) })
        output.append(headerBytes)
        output.append(data)
        return ONNXConversion(source: file, output: output, tensors: report, opsetBefore: nil, opsetAfter: nil,
                              compression: compression)
    }
}

extension SafetensorsConverter {
    /// A float32 tensor's values in the mapping, when they are aligned for direct reads (little-endian host).
    static func inPlace(_ model: Model, _ t: ConstantTensor) -> UnsafeBufferPointer<Float>? {
        guard t.dtype == .float32 else { return nil }
        let p = try? model.withStoredBytes(of: t) { raw -> UnsafeBufferPointer<Float>? in
            guard raw.count % 4 == 0, raw.count / 4 == t.elementCount, let base = raw.baseAddress, Int(bitPattern: base) % 4 == 0 else { return nil }
            return UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: t.elementCount)
        }
        return p ?? nil
    }
}

/// float32 → bfloat16: the upper 16 bits, rounded to nearest, ties to even.
enum BFloat16 {
    static func bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }  // stays a quiet NaN
        let bias: UInt32 = 0x7FFF + ((b >> 16) & 1)
        return UInt16(truncatingIfNeeded: (b &+ bias) >> 16)
    }

    static func encode<C: Collection>(_ values: C) -> (raw: [UInt8], overflow: Int) where C.Element == Float {
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 2)
        var overflow = 0
        for v in values {
            let h = bits(v)
            if h & 0x7FFF == 0x7F80, v.isFinite { overflow += 1 }
            raw.append(UInt8(truncatingIfNeeded: h))
            raw.append(UInt8(truncatingIfNeeded: h >> 8))
        }
        return (raw, overflow)
    }
}
