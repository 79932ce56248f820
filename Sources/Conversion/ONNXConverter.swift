import ArtifactLayout
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Compression
import Manifest
import Dispatch
import JSON
import ModelFormats
import ProtobufWire

/// One tensor's fate in a conversion, for the report.
public struct ConvertedTensor: Sendable, Hashable {
    public var name: String
    /// "initializer" or "Constant"; `graph` is 0 for the main graph, higher for If/Loop/Scan bodies.
    public var holder: String
    public var graph: Int
    public var shape: [Int]
    /// "quantized", "pruned", "pruned+quantized", "float16", "pruned+float16", or "kept" (with `reason`).
    public var action: String
    public var reason: String?
    public var sparsity: Double?
    /// float16: finite values that became ±infinity (|x| ≥ 65520, the first magnitudes that do not round to 65504).
    public var overflow: Int?
    /// Quantized: how the codes are read: "DequantizeLinear" (weight-only), "MatMulInteger" or "ConvInteger"
    /// (dynamic quantization).
    public var form: String?
}

/// An ONNX model rewritten in memory as a rope over the source mapping, ready for `SafeWriter`.
public struct ONNXConversion: @unchecked Sendable {  // the mapping is read-only and outlives the rope
    public let source: MappedFile
    public let output: WireOutput
    public var tensors: [ConvertedTensor]
    public var opsetBefore: Int?
    public var opsetAfter: Int?
    /// The engine's statistics of the written weights (nil when nothing was quantized or pruned).
    public var compression: CompressionReport?
    /// The tensor data file written beside the model, when the output has the external-data layout.
    var externalData: ExternalDataLayout? = nil
    /// Dynamic quantization: the statistics of the Gather data written in uint8 (their own scheme).
    public var gatherCompression: CompressionReport?
}

/// ONNX → ONNX weight conversion: pruning (zeros written in place), weight-only quantization as
/// `DequantizeLinear` on the weights (QDQ), and float16 weights as `Cast(to=FLOAT)` on the weights, for
/// initializers, `Constant` nodes and tensors of any sub-graph.
///
/// float16 stores the weights only: every operator still reads float32 (the Cast's output keeps the original
/// name), so the inputs, outputs and kernels are those of the source model and every runtime runs it; the
/// file about halves. Computing in float16 is `Float16Compute` (`--float16-compute`); dynamic quantization
/// (MatMulInteger/ConvInteger, `integerNodes`) replaces the weights' consumers instead.
public enum ONNXConverter {
    public static func convert(path: String, settings given: ConversionSettings, layout: LayoutOptions = LayoutOptions())
        throws(ConversionError) -> ONNXConversion
    {
        var settings = given
        if settings.dynamic {
            if settings.float16Compute {
                // MatMulInteger/ConvInteger take and give integers and Mul/DynamicQuantizeLinear float32 only.
                throw ConversionError(.unsupported, "dynamic quantization (DynamicQuantizeLinear, MatMulInteger/ConvInteger) computes in float32 and int8; it cannot be combined with float16 compute (--float16-compute, activations: float16). Use one or the other")
            }
            if settings.isFloat16 {
                throw ConversionError(.unsupported, "dynamic quantization stores int8 or uint8 weights; it cannot be combined with float16 weights")
            }
            if settings.weights == nil { settings.weights = .int8 }
            if let w = settings.weights, w != .int8, w != .uint8 {
                throw ConversionError(.unsupported, "dynamic quantization (MatMulInteger/ConvInteger) takes int8 or uint8 weights, not \(w.rawValue); use weight-only quantization for 4-bit weights")
            }
            if case .perBlock = settings.granularity {
                throw ConversionError(.unsupported, "dynamic quantization takes per-tensor or per-channel scales (MatMulInteger has at most one zero point per column), not \(settings.granularity.label)")
            }
        }
        let float16 = settings.isFloat16
        if settings.float16, let w = settings.weights, w != .float16 {
            throw ConversionError(.unsupported, "--float16 stores the weights as float16; it cannot be combined with \(w.rawValue) weights")
        }
        if let w = settings.weights, w == .bfloat16 {
            throw ConversionError(.unsupported, "bfloat16 weights are not implemented yet for ONNX; use int8, uint8, int4, uint4 or float16")
        }
        let file: MappedFile
        let model: Model
        do {
            file = try MappedFile(path: path)
            model = try ModelReader.read(file: file)
        } catch {
            throw ConversionError(.model, "cannot read the model: \(error)")
        }
        guard model.format == .onnx else {
            throw ConversionError(.unsupported, "\(path) is a \(model.format) model; this conversion rewrites ONNX models")
        }
        if settings.float16Compute {
            return try Float16Compute.convert(file: file, model: model, settings: settings, layout: layout)
        }
        let readers = SourceReaders()
        // The integer scheme; float16 weights are written by their own branch below.
        let scheme = float16 ? nil : settings.scheme
        let opsetBefore = model.opsets[""]
        // Dynamic quantization plans its opset once it knows which tensors take the integer form.
        // Nodes an older opset's upgrade rewrites (OpsetUpgrade), and the names they took.
        var upgradeNames: NameTable? = NameTable(model)
        var upgradeEdits: [Int: NodeEdit] = [:]
        var (newOpset, newIR) = settings.dynamic ? (nil, nil)
            : try opsetPlan(model: model, scheme: scheme, float16: float16, upgradeNames: &upgradeNames, upgradeEdits: &upgradeEdits)

        // Which tensors: the engine's selection policy, fed with each tensor's consumers. float16 also takes
        // rank-1 tensors (biases, norm scales): they are float weights too and lose little in float16, while
        // quantizing them per channel would not pay. Scalars stay: two bytes saved do not pay for a Cast.
        // The skip lists apply per action (quantize.skip keeps a tensor in float, prune.skip keeps it dense);
        // a tensor that neither action takes is reported as skipped by the pattern that kept it.
        let selection = WeightSelection.onnx(float16: float16, channelAxis: settings.channelAxis)
        let quantizeSkip = settings.skip.map(Glob.init), pruneSkip = settings.pruneSkip.map(Glob.init)
        let converts = scheme != nil || float16
        var report: [ConvertedTensor] = []
        struct Selected: Sendable {
            var index: Int; var report: Int; var key: Int; var channel: Int; var reduction: Int
            /// In place in the mapping (aligned float32 in the model file) unless pruning needs a copy to zero:
            /// a conversion holds no second copy of the weights, so its peak memory stays near the model's size.
            var values: WeightValues
            /// Which actions take it: quantize.skip keeps a tensor in float, prune.skip keeps it dense.
            var quantize = true
            var prune = false

            func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws(ConversionError) -> R) throws(ConversionError) -> R {
                switch values {
                case .buffer(let b): return try body(b)
                case .array(let a):
                    let r = a.withUnsafeBufferPointer { p -> Result<R, ConversionError> in
                        do throws(ConversionError) { return .success(try body(p)) } catch { return .failure(error) }
                    }
                    return try r.get()
                case .chunks(let n, let fill):
                    // One tensor at a time, freed when `body` returns.
                    var copy = self
                    copy.values = .array(try ONNXConverter.readAll(n, fill))
                    return try copy.withValues(body)
                }
            }

            /// The values in memory (`.chunks` read whole), for several passes over one tensor.
            func materialized() throws(ConversionError) -> Selected {
                guard case .chunks(let n, let fill) = values else { return self }
                var copy = self
                copy.values = .array(try ONNXConverter.readAll(n, fill))
                return copy
            }

            var array: [Float] {
                get { if case .array(let a) = values { return a }; return (try? withValues { Array($0) }) ?? [] }
                set { values = .array(newValue) }
            }
        }
        var selected: [Selected] = []
        for (i, t) in model.tensors.enumerated() {
            let holder = holderKind(model, t, index: i)
            var entry = ConvertedTensor(name: t.name, holder: holder, graph: t.graph, shape: t.shape, action: "kept")
            let key: Int?
            switch t.storage {
            case .file(let offset, _): key = offset
            case .protobufField(let message, _): key = message.lowerBound
            case .external: key = t.message?.lowerBound  // the TensorProto's offset, as the rewriter finds it
            case .none: key = nil
            }
            let uses = t.consumers.compactMap { c -> OperatorUse? in
                guard c.graph < model.graphs.count, c.node < model.graphs[c.graph].nodes.count else { return nil }
                let n = model.graphs[c.graph].nodes[c.node]
                return OperatorUse(n.opType, input: c.inputIndex, transB: n.attributes["transB"] == .int(1))
            }
            let decision = selection.decide(TensorCandidate(name: t.name, dtype: t.dtype.name, shape: t.shape, consumers: uses))
            guard case .compress(let ch, let red, _) = decision else {
                if case .skip(let reason) = decision { entry.reason = reason.message }
                report.append(entry)
                continue
            }
            let quantizeGlob = quantizeSkip.first { $0.matches(t.name) }
            let pruneGlob = pruneSkip.first { $0.matches(t.name) }
            let quantize = converts && quantizeGlob == nil
            let prune = settings.pruning != nil && pruneGlob == nil && t.shape.count >= 2
            guard quantize || prune else {
                if let g = quantizeGlob ?? pruneGlob { entry.reason = SkipReason.matchedSkipPattern(g.pattern).message }
                report.append(entry)
                continue
            }
            guard t.dtype == .float32 else {
                entry.reason = "\(t.dtype.name) weights are not converted yet (float32 only)"
                report.append(entry)
                continue
            }
            guard t.sparseValueCount == nil, holder != "sparse", let key else {
                entry.reason = t.sparseValueCount != nil ? "sparse initializers are not converted" : "external data is not rewritten yet"
                report.append(entry)
                continue
            }
            // A Constant's `value_float(s)` attribute is no TensorProto the rewriter could replace (typed
            // TensorProto data is field 4); only float16 selects rank-1 tensors, where these occur.
            if case .protobufField(_, let field) = t.storage, field != 4 {
                entry.reason = "a Constant's value_floats attribute is not rewritten"
                report.append(entry)
                continue
            }
            let values: WeightValues
            do {
                values = try inPlace(model, t, copy: settings.pruning != nil, readers: readers)
            } catch {
                throw ConversionError(.model, "cannot read the values of \(t.name): \(error)")
            }
            let finite: Bool
            switch values {
            case .buffer(let b): finite = b.allSatisfy(\.isFinite)
            case .array(let a): finite = a.allSatisfy(\.isFinite)
            case .chunks:
                // Read from the file: checked in the parallel pass below, with the same read that computes the
                // codes (a serial read of every weight here cost a fifth of a conversion's time).
                finite = true
            }
            guard finite else {
                entry.reason = "holds NaN or infinite values"
                report.append(entry)
                continue
            }
            let rank = max(t.shape.count, 1)
            selected.append(Selected(index: i, report: report.count, key: key, channel: min(max(ch ?? 0, 0), rank - 1),
                                     reduction: min(max(red ?? rank - 1, 0), rank - 1), values: values,
                                     quantize: quantize, prune: prune))
            report.append(entry)
        }

        // Pruning first, with the engine's thresholds, then quantization of the pruned values.
        // Pruning keeps to the tensors quantization would take (rank 2 and up): float16 also selects biases and
        // norm scales, and zeroing half of a LayerNorm's scale is not what a sparsity target means.
        let prunable = { (s: Selected) in s.prune }
        if let p = settings.pruning {
            let thresholds = try pruningThresholds(p, scope: settings.pruneScope, selected.filter(prunable).map { s in
                WeightTensor(name: uniqueName(model, s.index), shape: model.tensors[s.index].shape, channelAxis: s.channel,
                             reductionAxis: s.reduction, values: s.values)
            })
            for k in selected.indices where prunable(selected[k]) {
                let shape = model.tensors[selected[k].index].shape
                switch p {
                case .sparsity, .threshold:
                    if let th = thresholds[uniqueName(model, selected[k].index)] { Pruner.zeroBelow(th, &selected[k].array) }
                case .pattern(let nm):
                    Pruner.applyPattern(nm, shape: shape, axis: selected[k].reduction, &selected[k].array)
                }
            }
        }
        // Dynamic quantization writes a Gather's data as quantize_dynamic does: the gathered rows are
        // activations, so uint8 asymmetric over the full 8 bits (reduce_range concerns integer kernels only).
        let gatherScheme = scheme.map { IntegerRewrite.dynamicGatherScheme($0) }
        let gathered = settings.dynamic
            ? Set(selected.filter { $0.quantize && IntegerRewrite.isGatherData(model, model.tensors[$0.index]) }.map(\.index)) : []
        // The engine measures what is written, in the scheme it is written in: the quantized tensors (all pruned
        // ones when the weights stay float), the Gather data apart.
        // The engine's statistics are made in the parallel pass below, from each tensor's values while it is
        // in memory (reading the weights twice more for them cost a third of a conversion), with the chunks
        // the whole set would have, then combined: the report `analyze` makes of the set.
        let isMeasured: @Sendable (Selected) -> Bool = { s in s.quantize || !converts }
        let mainScheme = float16 ? QuantizationScheme(.float16) : scheme ?? QuantizationScheme(.int8, granularity: .perChannel)
        func statisticsOptions(_ scheme: QuantizationScheme, _ list: [Selected]) -> CompressionOptions {
            var o = CompressionOptions(schemes: [scheme], pruning: nil, workers: 1)
            o.chunkElements = CompressionEngine.chunkElements(total: list.reduce(0) { $0 + $1.values.count }, options: o)
            return o
        }
        let mainOptions = statisticsOptions(mainScheme, selected.filter { isMeasured($0) && !gathered.contains($0.index) })
        let gatherOptions = gatherScheme.map { statisticsOptions($0, selected.filter { isMeasured($0) && gathered.contains($0.index) }) }

        var names = upgradeNames ?? NameTable(model)
        var edits: [Int: TensorEdit] = [:]
        var integerWeights: [IntegerWeight] = []
        var weightOnly = false
        // The codes of every tensor, computed on all cores (each tensor read once, then freed): names and
        // edits are made in order afterwards, so the output does not depend on scheduling.
        let computed = ParallelResults<ComputedTensor>(count: selected.count)
        let work = selected, dynamic = settings.dynamic
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            computed.set(i, Result { () throws(ConversionError) -> ComputedTensor in
                let s = try work[i].materialized()
                let t = model.tensors[s.index]
                let (zeros, nonFinite) = try s.withValues { WeightQuantizer.counts($0) }
                let finite = nonFinite == 0
                var c = ComputedTensor(zeros: zeros)
                if finite, isMeasured(s) {
                    let options = gathered.contains(s.index) ? gatherOptions ?? mainOptions : mainOptions
                    do {
                        c.statistics = try CompressionEngine.analyze(
                            [WeightTensor(name: uniqueName(model, s.index), shape: t.shape, channelAxis: s.channel,
                                          reductionAxis: s.reduction, values: s.values)], options: options)
                    } catch {
                        throw ConversionError(.unsupported, "the compression settings are invalid: \(error)")
                    }
                }
                if !finite {
                    c.nonFinite = true
                } else if !s.quantize {
                    c.pruned = s.array
                } else if float16 {
                    c.half = try s.withValues { HalfPrecision.encode($0) }
                } else if let scheme {
                    let effective = scheme.granularity.effective(
                        dims: t.shape.isEmpty ? [1] : t.shape, channelAxis: s.channel, reductionAxis: s.reduction)
                    var tensorScheme = scheme
                    tensorScheme.granularity = effective.granularity
                    if gathered.contains(s.index), let gatherScheme { tensorScheme = gatherScheme }
                    // Gemm's transB weight [N, K] is stored transposed for MatMulInteger (its scales per column N).
                    let transpose = dynamic && t.shape.count == 2
                        && IntegerRewrite.integerForm(model, t, scheme: scheme).0 == .gemmTransposed
                    c.codes = try s.withValues { buffer throws(ConversionError) in
                        do throws(WeightQuantizer.Failure) {
                            if tensorScheme.type.bits == 8 {
                                // 8-bit codes are their own bytes: written straight into the stored buffer.
                                var bytes = [UInt8](repeating: 0, count: buffer.count)
                                let q = try bytes.withUnsafeMutableBufferPointer { out throws(WeightQuantizer.Failure) in
                                    try WeightQuantizer.quantize(buffer, shape: t.shape, scheme: tensorScheme,
                                                                 axis: effective.axis, into: out)
                                }
                                return .success((q, transpose ? transposed(bytes, rows: t.shape[0], columns: t.shape[1]) : bytes))
                            }
                            var q = try WeightQuantizer.quantize(buffer, shape: t.shape, scheme: tensorScheme, axis: effective.axis)
                            let codes = transpose ? transposed(q.codes, rows: t.shape[0], columns: t.shape[1]) : q.codes
                            let packed = pack(codes, tensorScheme.type)
                            q.codes = []  // 4 bytes a value: only the packed bytes are kept until written
                            return .success((q, packed))
                        } catch { return .failure(error) }
                    }
                } else {
                    c.pruned = s.array
                }
                return c
            })
        }
        // Tensors read from the file are checked for NaN and infinities in the pass above: those are kept in
        // float, as the check before it would have, and neither measured nor written.
        var results: [ComputedTensor] = []
        var kept: [Selected] = []
        for (i, s) in selected.enumerated() {
            let c = try computed.get(i)
            if c.nonFinite {
                report[s.report].reason = "holds NaN or infinite values"
                continue
            }
            results.append(c)
            kept.append(s)
        }
        selected = kept
        func combined(_ inGather: Bool, _ options: CompressionOptions) -> CompressionReport? {
            let parts = selected.indices.filter { isMeasured(selected[$0]) && gathered.contains(selected[$0].index) == inGather }
                .compactMap { results[$0].statistics }
            return parts.isEmpty ? nil : CompressionEngine.combine(parts, options: options)
        }
        let compression = combined(false, mainOptions)
        let gatherCompression = gatherOptions.flatMap { combined(true, $0) }

        for (i, s) in selected.enumerated() {
            let c = results[i]
            let t = model.tensors[s.index]
            let r = s.report
            let count = s.values.count
            report[r].sparsity = count == 0 ? nil : Double(c.zeros) / Double(count)
            if !s.quantize {
                // Pruned only (its name matches quantize.skip, or the weights stay float): the zeros in float32.
                edits[s.key] = TensorEdit(originalName: t.name, storedName: t.name, dataType: 1, dims: t.shape,
                                          raw: ONNXEncode.float32LE(c.pruned))
                report[r].action = "pruned"
                continue
            }
            if float16 {
                // The stored tensor takes a new name; a Cast back to float32 produces the original one, so no
                // consumer, value_info or graph output changes.
                let (raw, overflow) = c.half ?? ([], 0)
                let stored = names.fresh("\(t.name)_fp16")
                edits[s.key] = TensorEdit(
                    originalName: t.name, storedName: stored, dataType: 10, dims: t.shape, raw: raw,
                    producerNode: ONNXEncode.node(opType: "Cast", name: names.fresh("\(t.name)_Cast"), inputs: [stored],
                                                  outputs: [t.name], intAttributes: [("to", 1)]))
                report[r].action = settings.pruning != nil && prunable(s) ? "pruned+float16" : "float16"
                report[r].overflow = overflow
                continue
            }
            guard let scheme else { continue }
            // The engine's rule for this tensor (a block longer than the reduction axis becomes per-channel),
            // so the written scales are the ones `estimate` measured.
            let effective = scheme.granularity.effective(
                dims: t.shape.isEmpty ? [1] : t.shape, channelAxis: s.channel, reductionAxis: s.reduction)
            var form: IntegerForm?
            if settings.dynamic {
                let (f, why) = IntegerRewrite.integerForm(model, t, scheme: scheme)
                form = f
                if f == nil { report[r].reason = why }
                if f == .gather {
                    report[r].reason = "a Gather's data (an embedding table): uint8 asymmetric per tensor, the rows gathered from the codes then dequantized, as quantize_dynamic writes it"
                }
            }
            var tensorScheme = scheme
            tensorScheme.granularity = effective.granularity
            if gathered.contains(s.index), let gatherScheme { tensorScheme = gatherScheme }
            let q: QuantizedWeights
            let packed: [UInt8]
            switch c.codes {
            case .success(let (quantized, bytes))?:
                q = quantized
                packed = bytes
            case .failure(let error)?:
                report[r].reason = "\(error)"
                continue
            case nil:
                continue
            }
            let code = dataTypeCode(tensorScheme.type)
            let stored = names.fresh("\(t.name)_quantized")
            let scaleName = names.fresh("\(t.name)_scale")
            let zeroName = names.fresh("\(t.name)_zero_point")
            if let form {
                // No DequantizeLinear: the consumers are rewritten to read the codes, scale and zero point.
                // Gemm's transB weight [N, K] is stored transposed for MatMulInteger (transposed with the codes
                // in the parallel pass), its scales per column N.
                var dims = t.shape
                if form == .gemmTransposed, t.shape.count == 2 { dims = [t.shape[1], t.shape[0]] }
                edits[s.key] = TensorEdit(
                    originalName: t.name, storedName: stored, dataType: code, dims: dims, raw: packed,
                    extraInitializers: [
                        ONNXEncode.tensor(name: scaleName, dataType: 1, dims: q.scaleShape, raw: ONNXEncode.float32LE(q.scales)),
                        ONNXEncode.tensor(name: zeroName, dataType: code, dims: q.scaleShape, raw: pack(q.zeroPoints, tensorScheme.type)),
                    ])
                integerWeights.append(IntegerWeight(tensor: s.index, form: form, codes: stored, scale: scaleName,
                                                    zeroPoint: zeroName, rank: t.shape.count))
                report[r].action = s.prune ? "pruned+quantized" : "quantized"
                report[r].form = form.operatorType
                continue
            }
            weightOnly = true
            report[r].form = "DequantizeLinear"

            var attributes: [(String, Int64)] = []
            if let a = q.axis { attributes.append(("axis", Int64(a))) }
            if case .perBlock(let b) = tensorScheme.granularity { attributes.append(("block_size", Int64(b))) }
            if let note = effective.note { report[r].reason = note }
            edits[s.key] = TensorEdit(
                originalName: t.name, storedName: stored, dataType: code, dims: t.shape,
                raw: packed,
                extraInitializers: [
                    ONNXEncode.tensor(name: scaleName, dataType: 1, dims: q.scaleShape, raw: ONNXEncode.float32LE(q.scales)),
                    ONNXEncode.tensor(name: zeroName, dataType: code, dims: q.scaleShape, raw: pack(q.zeroPoints, tensorScheme.type)),
                ],
                producerNode: ONNXEncode.node(
                    opType: "DequantizeLinear", name: names.fresh("\(t.name)_DequantizeLinear"),
                    inputs: [stored, scaleName, zeroName], outputs: [t.name], intAttributes: attributes))
            report[r].action = s.prune ? "pruned+quantized" : "quantized"
        }
        let nodeEdits: [Int: NodeEdit]
        do { nodeEdits = try IntegerRewrite.integerNodes(model, integerWeights, names: &names) } catch { throw ConversionError(.model, error.message) }
        if settings.dynamic, !edits.isEmpty {
            upgradeNames = names
            (newOpset, newIR) = try opsetPlan(model: model, scheme: weightOnly ? scheme : nil,
                                              dynamic: !integerWeights.isEmpty, upgradeNames: &upgradeNames,
                                              upgradeEdits: &upgradeEdits)
        }
        var allNodeEdits = nodeEdits
        if !edits.isEmpty {
            for (k, e) in upgradeEdits {
                guard allNodeEdits[k] == nil else {
                    throw ConversionError(.model, "internal error: a node is both quantized and upgraded")
                }
                allNodeEdits[k] = e
            }
        }

        var rewriter = ONNXRewriter(bytes: file.bytes, edits: edits, nodeEdits: allNodeEdits,
                                    newOpset: edits.isEmpty ? nil : newOpset, newIRVersion: edits.isEmpty ? nil : newIR)
        rewriter.inputShapes = InputShapeFix(model: model, given: settings.inputShapes)
        let (output, data) = try ONNXLayout.rewrite(&rewriter, model: model, layout: layout)
        guard rewriter.applied == Set(edits.keys), rewriter.appliedNodes == Set(allNodeEdits.keys) else {
            // Never write a model in which a planned edit silently did not happen.
            throw ConversionError(.model, "internal error: \(edits.count - rewriter.applied.count) planned tensor edits and \(allNodeEdits.count - rewriter.appliedNodes.count) node edits were not found while rewriting")
        }
        return ONNXConversion(source: file, output: output, tensors: report, opsetBefore: opsetBefore,
                              opsetAfter: edits.isEmpty ? opsetBefore : max(opsetBefore ?? 0, newOpset ?? 0),
                              compression: compression, externalData: data,
                              gatherCompression: gatherCompression)
    }

    /// `n` values from a `.chunks` source, read whole (one tensor, freed by the caller).
    static func readAll(_ n: Int, _ fill: (Range<Int>, UnsafeMutableBufferPointer<Float>) throws -> Void)
        throws(ConversionError) -> [Float]
    {
        do {
            // Filled whole by `fill` (or the read fails), so it needs no zeroing first.
            return try [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                try fill(0..<n, buffer)
                initialized = n
            }
        } catch {
            throw ConversionError(.io, "cannot read the weights: \(error)")
        }
    }

    /// A tensor's float32 values, read with pread from the model file or its external data file (a tensor at a
    /// time, through the page cache), else decoded once; `copy` when the caller will modify them.
    static func inPlace(_ model: Model, _ t: ConstantTensor, copy: Bool, readers: SourceReaders? = nil)
        throws(ModelError) -> WeightValues
    {
        #if _endian(little)
            var located: (SourceReader, Int)?
            if t.dtype == .float32, let readers {
                // `length / 4`, not `4 × count`: the count is the file's word and its product may overflow.
                switch t.storage {
                case .file(let offset, let length) where length / 4 >= t.elementCount:
                    located = readers.reader(model.path).map { ($0, offset) }
                case .external(let path, let offset, let length) where length / 4 >= t.elementCount:
                    located = readers.reader(path).map { ($0, offset) }
                default: break
                }
            }
            if let (reader, offset) = located {
                let values = reader.values(offset: offset, count: t.elementCount)
                guard copy, case .chunks(let n, let fill) = values else { return values }
                do { return .array(try readAll(n, fill)) } catch {
                    throw ModelError(.malformed, file: reader.path, field: "tensors[\(t.name)]", error.message)
                }
            }
        #endif
        return .array(try model.withFloat32Values(of: t) { Array($0) })
    }

    /// The opset and IR version the scheme's DequantizeLinear form needs, or a refusal naming the operators
    /// that keep the opset from being raised.
    static func opsetPlan(model: Model, scheme: QuantizationScheme?, float16: Bool = false, dynamic: Bool = false)
        throws(ConversionError) -> (Int?, Int?)
    {
        var names: NameTable? = nil, edits: [Int: NodeEdit] = [:]
        return try opsetPlan(model: model, scheme: scheme, float16: float16, dynamic: dynamic,
                             upgradeNames: &names, upgradeEdits: &edits)
    }

    /// As above; with `upgradeNames`, an older opset is raised by the node edits `OpsetUpgrade` plans
    /// (returned in `upgradeEdits`) instead of being refused.
    static func opsetPlan(model: Model, scheme: QuantizationScheme?, float16: Bool = false, dynamic: Bool = false,
                          upgradeNames: inout NameTable?, upgradeEdits: inout [Int: NodeEdit])
        throws(ConversionError) -> (Int?, Int?)
    {
        // The opsets each form needs are the plan's (Schemas/conversion/paths.json), so check predicts this.
        var asked = PlannedSettings(optimize: OptimizeSpec())
        asked.weights = float16 ? .float16 : scheme?.type
        asked.granularity = scheme?.granularity ?? .perTensor
        asked.symmetric = scheme?.symmetric ?? true
        asked.dynamic = dynamic
        guard let (needed, why) = TargetPlan.neededOpset(asked) else { return (nil, nil) }
        let current = model.opsets[""] ?? 1
        let ir = model.formatVersion ?? 3
        guard current < needed else { return (current, max(ir, OpsetPolicy.minimumIRVersion(forOpset: current))) }
        guard var names = upgradeNames else {
            // Callers that cannot add nodes (float16 compute) keep the fixed table's refusal.
            var ops = Set<String>()
            for g in model.graphs { for n in g.nodes where n.domain.isEmpty || n.domain == "ai.onnx" { ops.insert(n.opType) } }
            let blockers = OpsetPolicy.blockers(operators: ops, from: current, to: needed)
            guard blockers.isEmpty else {
                let list = blockers.map { "\($0.op) (changed in opset \($0.version))" }.joined(separator: ", ")
                throw ConversionError(.unsupported, "\(why) needs opset \(needed) but the model has opset \(current), and it cannot be raised without changing what these operators mean: \(list). Convert the model to opset \(needed) first (onnx.version_converter), or use \(needed > 13 ? "int8 per-channel" : "per-tensor") quantization")
            }
            return (needed, max(ir, OpsetPolicy.minimumIRVersion(forOpset: needed)))
        }
        let (edits, refusals) = try OpsetUpgrade.plan(model, from: current, to: needed, names: &names)
        guard refusals.isEmpty else {
            var seen = Set<String>()
            let list = refusals.filter { seen.insert("\($0.op)/\($0.version)").inserted }
                .map { "\($0.op) (changed in opset \($0.version): \($0.why))" }.joined(separator: ", ")
            throw ConversionError(.unsupported, "\(why) needs opset \(needed) but the model has opset \(current), and the upgrade cannot keep what these operators mean: \(list). Convert the model to opset \(needed) first (onnx.version_converter), or use \(needed > 13 ? "int8 per-channel" : "per-tensor") quantization")
        }
        upgradeNames = names
        upgradeEdits = edits
        return (needed, max(ir, OpsetPolicy.minimumIRVersion(forOpset: needed)))
    }

    static func holderKind(_ model: Model, _ t: ConstantTensor, index: Int) -> String {
        if t.sparseValueCount != nil { return "sparse" }
        for n in model.graphs[t.graph].nodes where n.opType == "Constant" {
            for (_, v) in n.attributes where v == .tensor(index) { return "Constant" }
        }
        return "initializer"
    }

    /// Tensor names are unique per graph only; the engine's report needs one name per tensor.
    static func uniqueName(_ model: Model, _ index: Int) -> String {
        let t = model.tensors[index]
        return t.graph == 0 ? t.name : "\(t.name)@graph\(t.graph)"
    }

    static func pruningThresholds(_ p: PruningSettings, scope: PruneScope = .perTensor, _ weights: [WeightTensor])
        throws(ConversionError) -> [String: Float]
    {
        switch p {
        case .threshold(let t):
            return Dictionary(uniqueKeysWithValues: weights.map { ($0.name, t) })
        case .pattern:
            return [:]
        case .sparsity(let s):
            guard s >= 0, s < 1 else { throw ConversionError(.unsupported, "sparsity \(s) must be in [0, 1)") }
            guard !weights.isEmpty else { return [:] }
            let report: CompressionReport
            do {
                report = try CompressionEngine.analyze(weights, options: CompressionOptions(
                    schemes: [QuantizationScheme(.int8)], pruning: PruningOptions(targetSparsity: s, patterns: [])))
            } catch {
                throw ConversionError(.unsupported, "the pruning settings are invalid: \(error)")
            }
            var out: [String: Float] = [:]
            if scope == .global {
                // The engine's model-wide threshold: the ⌊s · Σn⌋-th smallest |x| over these tensors, the one
                // `slipway estimate` reports.
                guard let th = report.pruning?.global.threshold else { return [:] }
                for w in weights { out[w.name] = th }
                return out
            }
            for t in report.tensors { if let th = t.pruning?.perTensor.threshold { out[t.name] = th } }
            return out
        }
    }

    static func dataTypeCode(_ t: QuantizationType) -> Int64 {
        switch t {
        case .int8: return 3
        case .uint8: return 2
        case .int4: return 22
        case .uint4: return 21
        case .float16: return 10
        case .bfloat16: return 16
        }
    }

    /// Codes as ONNX stores them: one byte each for 8-bit types; two per byte for 4-bit types, the first
    /// element in the low nibble (onnx.proto, "int4 ... packed").
    static func pack(_ codes: [Int32], _ t: QuantizationType) -> [UInt8] {
        guard t.bits == 4 else { return codes.map { UInt8(truncatingIfNeeded: $0) } }
        var out = [UInt8](repeating: 0, count: (codes.count + 1) / 2)
        for (i, c) in codes.enumerated() {
            let nibble = UInt8(truncatingIfNeeded: c) & 0x0F
            out[i / 2] |= i % 2 == 0 ? nibble : nibble << 4
        }
        return out
    }
}

/// What the parallel pass computes for one selected tensor.
struct ComputedTensor: Sendable {
    var zeros: Int
    /// Holds NaN or infinities (found in this pass for tensors read from the file): left in float.
    var nonFinite = false
    /// The engine's report of this tensor alone (measured tensors), combined with the others' afterwards.
    var statistics: CompressionReport?
    var half: (raw: [UInt8], overflow: Int)?
    var codes: Result<(QuantizedWeights, [UInt8]), WeightQuantizer.Failure>?
    var pruned: [Float] = []
}

/// One result slot per work item, each written by exactly one `concurrentPerform` iteration and read after
/// all of them returned.
final class ParallelResults<T>: @unchecked Sendable {
    private var slots: [Result<T, ConversionError>?]
    private let lock = NSLockLess()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<T, ConversionError>) {
        lock.with { if slots.indices.contains(i) { slots[i] = r } }
    }

    func get(_ i: Int) throws(ConversionError) -> T {
        guard slots.indices.contains(i), let r = slots[i] else {
            throw ConversionError(.model, "internal error: tensor \(i) was not computed")
        }
        return try r.get()
    }
}

/// A pthread mutex (no Foundation).
final class NSLockLess: @unchecked Sendable {
    private let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(m, nil) }
    deinit {
        pthread_mutex_destroy(m)
        m.deallocate()
    }
    func with<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return body()
    }
}

extension ONNXConverter {
    static func transposed<Code>(_ codes: [Code], rows: Int, columns: Int) -> [Code] {
        guard rows * columns == codes.count else { return codes }
        var out = codes
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = codes[r * columns + c] }
        }
        return out
    }
}
