import Hashing
import Compression
import ArtifactLayout
import JSON
import ModelFormats
import Planning

/// A tensor the estimate will measure: its index in `Model.tensors` and the axes of its consumer.
public struct PlannedTensor: Sendable, Hashable {
    public var index: Int
    public var name: String
    public var channelAxis: Int?
    public var reductionAxis: Int?
    /// Why an axis was not derived from the consumers, if so.
    public var note: String?
    /// The runtime stores one scale for it (TFLite's BATCH_MATMUL and GATHER weights).
    public var perTensorOnly = false
}

/// Which tensors an estimate measures and which it leaves out (with why), before any value is read.
public struct EstimatePlan: Sendable, Hashable {
    public var tensors: [PlannedTensor]
    public var skipped: [SkippedTensor]
    /// Names, types, shapes and axes of the selection: part of the cache key.
    public var digest: String
}

/// "What will these settings do to this model": the one engine call the CLI, the checks and the language
/// server share. It selects the weight tensors (`TensorSelection`, with each consumer's axes), streams their
/// values from the model's mapping into `CompressionEngine.analyze`, and keeps the result in the cache.
public enum ModelEstimator {
    /// Part of every cache key: raise it when the engine's figures change for the same input.
    public static let engineVersion = "compression-3"

    /// The selection for `model`. Graph formats (ONNX, TFLite) compress the constant weight inputs of the
    /// operators `TensorSelection.axes` knows (Conv, ConvTranspose, MatMul, Gemm, Gather embeddings, LSTM,
    /// GRU, RNN, Attention; CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV, BATCH_MATMUL, …), in
    /// every graph and `Constant` node; weight-only formats (safetensors, GGUF) every float tensor with at
    /// least two dimensions.
    public static func plan(_ model: Model, settings: EstimateSettings) -> EstimatePlan {
        // TFLite: what the native converter (as TFLite's own) converts. float16 takes every float constant an
        // operator reads, biases included; int8 only hybrid-kernel weights of at least 1024 elements.
        let tfliteFloat16 = model.format == .tflite && settings.quantize && settings.weights == .float16
        let tfliteInteger = model.format == .tflite && settings.quantize && settings.weights.isInteger
        // A weight file converted to float16 / bfloat16 has its biases and norm scales converted too.
        let floatWeightFile = model.graphs.isEmpty && settings.quantize
            && (settings.weights == .float16 || settings.weights == .bfloat16)
        // ONNX: the converter's own selection (Planning.WeightSelection), so the size estimated is the one written.
        let selection = model.format == .onnx
            ? WeightSelection.onnx(float16: settings.quantize && settings.weights == .float16, channelAxis: settings.channelAxis,
                                   skip: settings.skip)
            : TensorSelection(
                skip: settings.skip, minimumRank: tfliteFloat16 || floatWeightFile ? 1 : 2, channelAxisOverride: settings.channelAxis,
                includeOtherConsumers: model.graphs.isEmpty || settings.includeNonWeights || tfliteFloat16)
        var planned: [PlannedTensor] = []
        var skipped: [SkippedTensor] = []
        var digest = SHA256()
        let absent = Set(settings.absent)
        for (i, t) in model.tensors.enumerated() {
            if absent.contains(t.name) {
                skipped.append(SkippedTensor(name: t.name, reason: .untakenBranch, elements: t.elementCount))
                digest.update("-\(t.name)|\(SkipReason.untakenBranch.code)\n")
                continue
            }
            // Tied weights: measured (and written) once, under the first name.
            if let j = t.sharedWith, j < model.tensors.count {
                let reason = SkipReason.sharedStorage(with: model.tensors[j].name)
                skipped.append(SkippedTensor(name: t.name, reason: reason, elements: t.elementCount))
                digest.update("-\(t.name)|\(reason.code)\n")
                continue
            }
            let candidate = TensorCandidate(name: t.name, dtype: t.dtype.name, shape: t.shape,
                                            consumers: t.consumers.compactMap { use(of: $0, in: model) })
            var decision = selection.decide(candidate)
            // GATHER's table is a weight for TFLite's converter though no kernel reads it as one.
            if tfliteInteger, case .skip(.notAWeight) = decision, t.shape.count >= 2,
               TFLiteRules.isHybridWeight(candidate.consumers) {
                decision = .compress(channelAxis: 0, reductionAxis: t.shape.count - 1, note: nil)
            }
            if tfliteInteger, decision.isCompressed {
                if !TFLiteRules.isHybridWeight(candidate.consumers) { decision = .skip(.notAWeight) }
                else if t.elementCount < TFLiteRules.minimumElements {
                    decision = .skip(.belowMinimumElements(elements: t.elementCount, minimum: TFLiteRules.minimumElements))
                }
            }
            switch decision {
            case .compress(let channel, let reduction, let note):
                let oneScale = tfliteInteger
                    && !Set(candidate.consumers.map(\.operatorType)).isDisjoint(with: TFLiteRules.perTensorOnly)
                planned.append(PlannedTensor(index: i, name: t.name, channelAxis: channel, reductionAxis: reduction,
                                             note: note, perTensorOnly: oneScale))
                digest.update("+\(t.name)|\(t.dtype.name)|\(t.shape)|\(channel ?? -1)|\(reduction ?? -1)\(oneScale ? "|1" : "")\n")
            case .skip(let reason):
                skipped.append(SkippedTensor(name: t.name, reason: reason, elements: t.elementCount))
                digest.update("-\(t.name)|\(reason.code)\n")
            }
        }
        return EstimatePlan(tensors: planned, skipped: skipped, digest: digest.hexDigest())
    }

    /// `aten.<op>.<overload>` as the ONNX operator whose weight layout it shares: convolutions' weights are
    /// OIHW (Conv), transposed ones IOHW (ConvTranspose), `linear`'s [out, in] (Gemm with transB), `addmm`'s
    /// third argument and `mm`/`matmul`'s second [in, out] (MatMul), `embedding`'s table (Gather's data).
    static func atenUse(_ op: String, input: Int) -> OperatorUse {
        let base = op.split(separator: ".").prefix(2).joined(separator: ".")
        switch base {
        case "aten.conv1d", "aten.conv2d", "aten.conv3d", "aten.convolution", "aten._convolution":
            return OperatorUse("Conv", input: input)
        case "aten.conv_transpose1d", "aten.conv_transpose2d", "aten.conv_transpose3d":
            return OperatorUse("ConvTranspose", input: input)
        case "aten.linear": return OperatorUse("Gemm", input: input, transB: true)
        case "aten.mm", "aten.matmul", "aten.bmm": return OperatorUse("MatMul", input: input)
        case "aten.addmm": return OperatorUse("MatMul", input: input == 2 ? 1 : input + 2)
        case "aten.embedding": return OperatorUse("Gather", input: input)
        default: return OperatorUse(op, input: input)
        }
    }

    static func use(of c: TensorConsumer, in model: Model) -> OperatorUse? {
        guard c.graph >= 0, c.graph < model.graphs.count else { return nil }
        let nodes = model.graphs[c.graph].nodes
        guard c.node >= 0, c.node < nodes.count else { return nil }
        let n = nodes[c.node]
        // A Keras layer's weights follow its inbound values; the axes go by the weight's place in the layer.
        if n.domain == "keras", case .int(let inbound)? = n.attributes["keras.inbound"] {
            return OperatorUse("keras.\(n.opType)", input: c.inputIndex &- Int(truncatingIfNeeded: inbound))
        }
        // An ExportedProgram's ATen calls read their weights as the ONNX operators of the same meaning do.
        if n.domain == "aten" { return atenUse(n.opType, input: c.inputIndex) }
        var transB = false
        if case .int(let v)? = n.attributes["transB"] { transB = v != 0 }
        return OperatorUse(n.opType, input: c.inputIndex, transB: transB)
    }

    /// The estimate of `settings` on `model`, from `cache` when it holds one for the same file contents,
    /// selection and settings; computed (and stored) otherwise.
    /// With `cachedOnly`, a result the cache does not hold is not computed: `EstimateError.notCached`.
    public static func estimate(
        _ model: Model, settings: EstimateSettings, cache: (any EstimateCache)? = nil, cachedOnly: Bool = false
    ) throws -> EstimateResult {
        let plan = plan(model, settings: settings)
        let files = [model.path] + model.externalDataFiles
        // The identity is taken before and after computing: a file that changed meanwhile is not cached
        // under the old identity.
        let identity = cache?.identity(of: files)
        let key = identity.map { cacheKey(identity: $0, settings: settings, plan: plan) }
        if let cache, let key, let stored = cache.load(key: key), var result = EstimateResult(json: stored) {
            result.fromCache = true
            return result
        }
        if cachedOnly { throw EstimateError.notCached }
        var report = try analyze(model, plan: plan, settings: settings)
        if let pruneSkip = settings.pruneSkip, settings.pruning != nil {
            // prune.skip apart from quantize.skip: the model's pruning figures over the tensors pruning takes.
            var p = settings
            p.skip = pruneSkip
            p.pruneSkip = nil
            report.pruning = try analyze(model, plan: Self.plan(model, settings: p), settings: p).pruning
        }
        // Through text and back, as a cached entry is: a fresh and a cached result are the same values.
        guard let json = try? JSONValue.parse(resultJSON(report, model: model, plan: plan, settings: settings).serialized()),
            let result = EstimateResult(json: json)
        else { throw EstimateError.inconsistentResult }
        if let cache, let key, cache.identity(of: files) == identity { cache.store(key: key, value: json) }
        return result
    }

    static func cacheKey(identity: String, settings: EstimateSettings, plan: EstimatePlan) -> String {
        "slipway-estimate\nengine=\(engineVersion)\nmodel=\(identity)\nsettings=\(settings.canonical)\ntensors=\(plan.digest)"
    }


    /// Runs the engine on the planned tensors, with their values read in place from the model's mapping.
    public static func analyze(_ model: Model, plan: EstimatePlan, settings: EstimateSettings) throws -> CompressionReport {
        var weights: [WeightTensor] = []
        var skipped = plan.skipped
        var external: [String: MappedFile] = [:]
        // Past the threshold, values are streamed out of the mapping and its pages let go behind the reader,
        // so RSS stays bounded whatever the model's size.
        let planned = plan.tensors.reduce(0) { total, p in
            guard p.index >= 0, p.index < model.tensors.count else { return total }
            return total &+ max(0, model.tensors[p.index].storedBytes)
        }
        let streaming = planned >= MappedFile.streamingThreshold
        for p in plan.tensors {
            guard p.index >= 0, p.index < model.tensors.count else { continue }
            let t = model.tensors[p.index]
            switch values(of: t, in: model, external: &external, streaming: streaming) {
            case .success(let v):
                weights.append(WeightTensor(name: t.name, shape: t.shape, channelAxis: p.channelAxis,
                                            reductionAxis: p.reductionAxis, storedBytes: t.storedBytes, values: v,
                                            perTensorOnly: p.perTensorOnly))
            case .failure(let e):
                skipped.append(SkippedTensor(name: t.name, reason: .readFailed(e.message), elements: t.elementCount))
            }
        }
        // The values point into the model's mapping (and the external files'): both live until the end.
        return try withExtendedLifetime((model, external)) {
            try CompressionEngine.analyze(weights, skipped: skipped, options: settings.options)
        }
    }

    struct ReadError: Error { var message: String }

    /// The bytes of a mapping, shared with the engine's reader threads: read-only, alive for the analysis.
    struct Bytes: @unchecked Sendable {
        let raw: UnsafeRawBufferPointer
    }

    static func values(of t: ConstantTensor, in model: Model, external: inout [String: MappedFile], streaming: Bool = false)
        -> Result<WeightValues, ReadError>
    {
        let n = t.elementCount
        let raw: UnsafeRawBufferPointer
        switch t.storage {
        case .none:
            return n == 0 ? .success(.array([])) : .failure(ReadError(message: "no stored data"))
        case .protobufField:
            // Typed protobuf fields are not contiguous: decoded once (they are small in practice).
            do {
                return .success(.array(try model.withFloat32Values(of: t) { Array($0) }))
            } catch {
                return .failure(ReadError(message: error.description))
            }
        case .file:
            do {
                // The mapping belongs to `model`, which the caller keeps alive while the engine reads.
                raw = try model.withStoredBytes(of: t) { $0 }
            } catch {
                return .failure(ReadError(message: error.description))
            }
        case .external(let path, let offset, let length):
            let file: MappedFile
            if let f = external[path] {
                file = f
            } else {
                do { file = try MappedFile(path: path) } catch { return .failure(ReadError(message: error.description)) }
                external[path] = file
            }
            guard let bytes = file.slice(offset: offset, length: length) else {
                return .failure(ReadError(message: "data lies outside \(path)"))
            }
            raw = bytes
        }
        guard let width = elementBytes(t.dtype) else {
            return .failure(ReadError(message: "\(t.dtype.name) values cannot be read as float32"))
        }
        guard n <= raw.count / width else {
            return .failure(ReadError(message: "holds \(raw.count) bytes, fewer than \(n) values"))
        }
        if n == 0 { return .success(.array([])) }
        if streaming {
            // Decoded (or copied) a chunk at a time, each chunk's pages released once read.
            MappedFile.adviseSequential(UnsafeRawBufferPointer(rebasing: raw[0..<n * width]))
            let bytes = Bytes(raw: raw)
            let dtype = t.dtype
            return .success(.chunks(count: n) { range, out in
                decode(bytes.raw, dtype, range, into: out)
                MappedFile.release(UnsafeRawBufferPointer(rebasing: bytes.raw[range.lowerBound * width..<range.upperBound * width]))
            })
        }
        #if _endian(little)
            if t.dtype == .float32, let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                return .success(.buffer(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: n)))
            }
        #endif
        let bytes = Bytes(raw: raw)
        let dtype = t.dtype
        return .success(.chunks(count: n) { range, out in
            decode(bytes.raw, dtype, range, into: out)
        })
    }

    static func elementBytes(_ d: DType) -> Int? {
        switch d {
        case .float32: return 4
        case .float16, .bfloat16: return 2
        case .float64: return 8
        default: return nil
        }
    }

    /// Little-endian float32 (unaligned), float16, bfloat16 and float64 to float32, values `range`.
    static func decode(_ raw: UnsafeRawBufferPointer, _ d: DType, _ range: Range<Int>,
                       into out: UnsafeMutableBufferPointer<Float>) {
        var j = 0
        switch d {
        case .float32:
            for i in range { out[j] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))); j += 1 }
        case .float16:
            for i in range {
                out[j] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
                j += 1
            }
        case .bfloat16:
            for i in range {
                out[j] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
                j += 1
            }
        case .float64:
            for i in range { out[j] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))); j += 1 }
        default:
            for k in 0..<out.count { out[k] = .nan }
        }
    }

    /// The report as the CLI prints it, plus the model's sizes and the settings; this is also what the cache
    /// stores, so that a cached and a fresh result are read back through the same code.
    static func resultJSON(_ r: CompressionReport, model: Model, plan: EstimatePlan, settings: EstimateSettings) -> JSONValue {
        guard case .object(var root) = r.json else { return r.json }
        PruneOnly.rewrite(&root, settings: settings)
        let before = max(0, model.fileSize - model.storedBytesInFile) &+ model.storedBytes
        let measuredBefore = root["total"]?["bytes_before"]?.intValue ?? r.totals.first?.bytesBefore ?? 0
        let measuredAfter = root["total"]?["bytes_after"]?.intValue ?? r.totals.first?.bytesAfter ?? 0
        // The stored type of each measured tensor (the engine sees float32 values only).
        if case .array(let tensors)? = root["tensors"] {
            var dtypes: [String: String] = [:]
            for p in plan.tensors where p.index < model.tensors.count { dtypes[p.name] = model.tensors[p.index].dtype.name }
            root["tensors"] = .array(tensors.map { t in
                guard case .object(var o) = t, let name = o["name"]?.stringValue, let d = dtypes[name] else { return t }
                o["dtype"] = .string(d)
                return .object(o)
            })
        }
        // What the ONNX rewrite adds around the data (names, scale headers, DequantizeLinear or integer nodes).
        var indices: [String: Int] = [:]
        for p in plan.tensors { indices[p.name] = p.index }
        let sized = r.tensors.compactMap { t -> SizedTensor? in
            guard let i = indices[t.name], let result = t.schemes.first else { return nil }
            let dims = t.shape.isEmpty ? [1] : t.shape
            let channel = min(max(t.channelAxis, 0), dims.count - 1), reduction = min(max(t.reductionAxis, 0), dims.count - 1)
            // The engine's own rule for the scales it used (a block longer than its axis falls back per channel).
            switch result.scheme.granularity.effective(dims: dims, channelAxis: channel, reductionAxis: reduction).granularity {
            case .perTensor: return SizedTensor(index: i, scaleDims: [])
            case .perChannel: return SizedTensor(index: i, scaleDims: [dims[channel]])
            case .perBlock(let b):
                var s = dims
                s[reduction] = (dims[reduction] + max(b, 1) - 1) / max(b, 1)
                return SizedTensor(index: i, scaleDims: s, blockSize: b)
            }
        }
        let structure = ONNXArtifactSize.structureBytes(model: model, tensors: sized, scheme: settings.scheme,
                                                        dynamic: settings.dynamic)
        root["model"] = [
            "path": .string(model.path), "format": .string(model.format.rawValue),
            "bytes_before": .int(before),
            "bytes_after": .int(max(0, before - measuredBefore + measuredAfter + structure
                                    + (settings.quantize ? TFLiteArtifactSize.overhead(r, model: model, weights: settings.weights) : 0))),
        ]
        root["settings"] = settings.json
        let notes = plan.tensors.compactMap { p in p.note.map { JSONValue.object(["name": .string(p.name), "note": .string($0)]) } }
        if !notes.isEmpty { root["axis_notes"] = .array(notes) }
        return .object(root)
    }
}

public enum EstimateError: Error, CustomStringConvertible {
    case inconsistentResult
    /// Asked for a cached result only, and the cache holds none for this model and these settings.
    case notCached
    public var description: String {
        switch self {
        case .inconsistentResult: return "the engine's result could not be read back (a bug: please report it)"
        case .notCached: return "not estimated yet"
        }
    }
}

extension EstimateSettings {
    public var json: JSONValue {
        var o: JSONObject = [
            "weights": .string(quantize ? weights.rawValue : "none"), "granularity": .string(granularityText),
            "symmetric": .bool(symmetric), "reduce_range": .bool(reduceRange), "widen_range_to_zero": .bool(widenRangeToZero),
            "channel_axis": channelAxis.map { .int($0) } ?? .null, "scheme": .string(scheme.label),
            "skip": .array(skip.map { .string($0) }),
        ]
        switch pruning {
        case .sparsity(let s)?: o["prune"] = ["sparsity": .double(s)]
        case .threshold(let t)?: o["prune"] = ["threshold": .double(Double(t))]
        case .pattern(let n, let m)?: o["prune"] = ["pattern": .string("\(n):\(m)")]
        case nil: o["prune"] = .null
        }
        if let pruneScope, case .object(var p)? = o["prune"] {
            p["scope"] = .string(pruneScope)
            o["prune"] = .object(p)
        }
        return .object(o)
    }

    /// The manifest's spelling (`per-block:32`).
    public var granularityText: String {
        switch granularity {
        case .perTensor: return "per-tensor"
        case .perChannel: return "per-channel"
        case .perBlock(let n): return "per-block:\(n)"
        }
    }
}
