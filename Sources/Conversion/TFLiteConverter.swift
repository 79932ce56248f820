import ArtifactLayout
import Compression
import FlatBuffers
import ModelFormats
import ProtobufWire

/// TFLite → TFLite weight conversion, as the TFLite converter's post-training modes write it:
///
/// - **Dynamic-range int8** (`Optimize.DEFAULT`): float32 weights (input 1) of the operators with hybrid
///   kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV, BATCH_MATMUL; input 0 of GATHER) of 1024
///   elements and more become int8, symmetric (zero point 0, codes in ±127), per output channel by default along the
///   axis the kernel reads; operator-code versions are raised and `asymmetric_quantize_inputs` set as the
///   converter does. The rules are data: `Schemas/conversion/tflite.json` (`TFLiteRules`). GATHER tables,
///   which the converter also quantizes by rewriting the graph around them, stay float.
/// - **float16**: every float32 constant that an operator reads is stored as float16 behind a DEQUANTIZE to
///   float32 that keeps the original tensor, so no consumer changes.
/// - **Pruning** (alone or before either): zeros written into the weights the int8 mode would take (rank ≥ 2
///   weights of those operators), with the engine's thresholds.
///
/// The model is rebuilt from the schema's tables (`TFLiteTreeReader`), so everything else (operator
/// options, subgraphs, signature defs, metadata) is written back as it was.
enum TFLiteConverter {
    static let dequantizeCode: Int32 = 6

    enum Mode { case int8(perChannel: Bool), float16, none }

    static func mode(_ settings: ConversionSettings) throws(ConversionError) -> Mode {
        if settings.isFloat16 {
            if settings.float16, let w = settings.weights, w != .float16 {
                throw ConversionError(.unsupported, "--float16 stores the weights as float16; it cannot be combined with \(w.rawValue) weights")
            }
            return .float16
        }
        guard let w = settings.weights else { return .none }
        if settings.channelAxis != nil {
            throw ConversionError(.unsupported, "TFLite's hybrid kernels fix the channel axis (0; 3 for DEPTHWISE_CONV_2D); drop --channel-axis (channel_axis)")
        }
        guard w == .int8 else {
            throw ConversionError(.unsupported, "TFLite weights: \(w.rawValue) is not written; TFLite's hybrid kernels take int8 weights (use int8, or float16)")
        }
        guard settings.symmetric else {
            throw ConversionError(.unsupported, "TFLite's hybrid kernels take symmetric int8 weights (zero point 0); drop --asymmetric (symmetric: true)")
        }
        switch settings.granularity {
        case .perChannel: return .int8(perChannel: true)
        case .perTensor: return .int8(perChannel: false)
        case .perBlock:
            throw ConversionError(.unsupported, "TFLite has no per-block int8 weights; use per-channel or per-tensor granularity")
        }
    }

    struct Site { var graph: Int; var tensor: Int; var buffer: Int }

    static func convert(path: String, settings: ConversionSettings, inlineLimit: Int = defaultInlineLimit)
        throws(ConversionError) -> ONNXConversion
    {
        let mode = try mode(settings)
        let rules: TFLiteRules.Rules
        switch TFLiteRules.loaded {
        case .success(let r): rules = r
        case .failure(let e): throw ConversionError(.unsupported, "internal error: the TFLite conversion rules do not read: \(e)")
        }
        if settings.reduceRange {
            throw ConversionError(.unsupported, "--reduce-range is an onnxruntime option; TFLite's int8 weights use ±127")
        }
        let file: MappedFile
        let model: Model
        do {
            file = try MappedFile(path: path)
            model = try ModelReader.read(file: file)
        } catch {
            throw ConversionError(.model, "cannot read the model: \(error)")
        }
        guard model.format == .tflite else {
            throw ConversionError(.unsupported, "\(path) is a \(model.format) model; this conversion rewrites TFLite models")
        }
        var reader = TFLiteTreeReader(file: file)
        var root = try reader.root()
        var buffers = root.tables(4)
        var opcodes = root.tables(1)
        var subgraphs = root.tables(2)

        // Each subgraph's tensors and operators, edited in place and written back once at the end.
        var graphTensors = subgraphs.map { $0.tables(0) }
        var graphOperators = subgraphs.map { $0.tables(3) }
        // The reader's constant tensors, in its order: tensors whose buffer holds bytes.
        var sites: [Site] = []
        for (g, tensors) in graphTensors.enumerated() {
            for (i, t) in tensors.enumerated() {
                let b = Int(t.scalar(2, default: UInt32(0)))
                if b > 0, b < buffers.count, (buffers[b].vectorBytes(0)?.count ?? 0) > 0 {
                    sites.append(Site(graph: g, tensor: i, buffer: b))
                }
            }
        }
        guard sites.count == model.tensors.count else {
            throw ConversionError(.model, "internal error: \(sites.count) constant tensors found while rewriting, \(model.tensors.count) while reading")
        }

        // Operators that already read integer weights (hybrid kernels): they take their other constants
        // (biases) as float32 constants, so float16 leaves those alone.
        var hybridNodes = Set<[Int]>()
        for t in model.tensors where [.int8, .uint8, .int4, .int16].contains(t.dtype) {
            for c in t.consumers { hybridNodes.insert([c.graph, c.node]) }
        }
        // Which tensors: the engine's selection (skip globs, axes), then TFLite's own rules per mode.
        // quantize.skip and prune.skip both leave a tensor as it is here (the ONNX rewriter applies them apart).
        let selection = TensorSelection(skip: settings.skip + settings.pruneSkip, minimumRank: 1,
                                        channelAxisOverride: settings.channelAxis)
        var report: [ConvertedTensor] = []
        struct Selected {
            var index: Int; var report: Int; var channel: Int; var reduction: Int; var values: [Float]; var hybrid: Bool
            /// int8 for a reader whose weights the converter stores with one scale (BATCH_MATMUL, GATHER).
            var perTensorOnly = false
        }
        var selected: [Selected] = []
        for (k, t) in model.tensors.enumerated() {
            var entry = ConvertedTensor(name: t.name, holder: "buffer", graph: t.graph, shape: t.shape, action: "kept")
            let uses = t.consumers.compactMap { c -> OperatorUse? in
                guard c.graph < model.graphs.count, c.node < model.graphs[c.graph].nodes.count else { return nil }
                return OperatorUse(model.graphs[c.graph].nodes[c.node].opType, input: c.inputIndex)
            }
            let decision = selection.decide(TensorCandidate(name: t.name, dtype: t.dtype.name, shape: t.shape, consumers: uses))
            guard case .compress(let ch, let red, _) = decision else {
                if case .skip(let reason) = decision { entry.reason = reason.message }
                report.append(entry)
                continue
            }
            let tensorTable = graphTensors[sites[k].graph][sites[k].tensor]
            // Weight inputs of the hybrid kernels only: an int8 tensor anywhere else has no kernel to read it.
            let hybrid = TFLiteRules.isHybridWeight(uses) && t.shape.count >= 2
            var why: String?
            if t.dtype != .float32 { why = "\(t.dtype.name) weights are not converted (float32 only)" }
            else if tensorTable.scalar(5, default: UInt8(0)) != 0 { why = "a variable tensor" }
            else if tensorTable.table(6) != nil { why = "a sparse tensor" }
            else if uses.isEmpty { why = "no operator reads it" }
            else {
                switch mode {
                case .int8:
                    let kernelAxes = Set(uses.compactMap { rules.hybridOperators[$0.operatorType]?.channelAxis })
                    if !hybrid {
                        why = "read by \(Set(uses.map(\.operatorType)).sorted().joined(separator: ", ")), not only as the weights of \(rules.hybridOperators.keys.sorted().joined(separator: ", ")) (no hybrid kernel)"
                    } else if kernelAxes.count != 1 {
                        why = "its readers' hybrid kernels take scales along different axes"
                    } else if t.elementCount < TFLiteRules.minimumElements {
                        why = SkipReason.belowMinimumElements(elements: t.elementCount, minimum: TFLiteRules.minimumElements).message
                    }
                case .float16:
                    if t.consumers.contains(where: { hybridNodes.contains([$0.graph, $0.node]) }) {
                        why = "read by an operator with integer weights, whose kernel takes float32 constants"
                    }
                case .none: if settings.pruning == nil || !hybrid { why = "not a weight the settings change" }
                }
            }
            if let why {
                entry.reason = why
                report.append(entry)
                continue
            }
            let values: [Float]
            do {
                values = try model.withFloat32Values(of: t) { Array($0) }
            } catch {
                throw ConversionError(.model, "cannot read the values of \(t.name): \(error)")
            }
            guard values.allSatisfy(\.isFinite) else {
                entry.reason = "holds NaN or infinite values"
                report.append(entry)
                continue
            }
            let rank = max(t.shape.count, 1)
            // int8: the axis the hybrid kernel reads scales along (quantized_dimension), from the rules.
            var channel = ch ?? 0
            if case .int8 = mode, let axis = uses.compactMap({ rules.hybridOperators[$0.operatorType]?.channelAxis }).first {
                channel = axis
            }
            var oneScale = false
            if case .int8 = mode { oneScale = !Set(uses.map(\.operatorType)).isDisjoint(with: TFLiteRules.perTensorOnly) }
            selected.append(Selected(index: k, report: report.count, channel: min(max(channel, 0), rank - 1),
                                     reduction: min(max(red ?? rank - 1, 0), rank - 1), values: values, hybrid: hybrid,
                                     perTensorOnly: oneScale))
            report.append(entry)
        }

        func uniqueName(_ k: Int) -> String {
            let t = model.tensors[k]
            return t.graph == 0 ? t.name : "\(t.name)@graph\(t.graph)"
        }
        func weight(_ s: Selected) -> WeightTensor {
            WeightTensor(name: uniqueName(s.index), shape: model.tensors[s.index].shape, channelAxis: s.channel,
                         reductionAxis: s.reduction, values: .array(s.values), perTensorOnly: s.perTensorOnly)
        }
        // Pruning only where int8 would quantize (hybrid weights): zeroing biases is not what sparsity means.
        if let p = settings.pruning {
            let thresholds = try ONNXConverter.pruningThresholds(p, scope: settings.pruneScope,
                                                                 selected.filter(\.hybrid).map(weight))
            for k in selected.indices where selected[k].hybrid {
                switch p {
                case .sparsity, .threshold:
                    if let th = thresholds[uniqueName(selected[k].index)] { Pruner.zeroBelow(th, &selected[k].values) }
                case .pattern(let nm):
                    Pruner.applyPattern(nm, shape: model.tensors[selected[k].index].shape, axis: selected[k].reduction,
                                        &selected[k].values)
                }
            }
        }
        var compression: CompressionReport?
        let scheme: QuantizationScheme
        switch mode {
        case .int8(let perChannel): scheme = QuantizationScheme(.int8, granularity: perChannel ? .perChannel : .perTensor)
        case .float16, .none: scheme = QuantizationScheme(.float16)
        }
        if !selected.isEmpty {
            do {
                compression = try CompressionEngine.analyze(selected.map(weight), options: CompressionOptions(
                    schemes: [scheme], pruning: nil, workers: nil))
            } catch {
                throw ConversionError(.unsupported, "the compression settings are invalid: \(error)")
            }
        }

        // The edits. Each converted tensor gets a new buffer (buffers may be shared); a buffer no tensor
        // reads any more is emptied, keeping every index valid.
        func opcodeIndex(_ code: Int32, version: Int32) -> Int {
            if let i = opcodes.firstIndex(where: { max(Int32($0.scalar(0, default: Int8(0))), $0.scalar(3, default: Int32(0))) == code
                && $0.string(1) == nil }) {
                if opcodes[i].scalar(2, default: Int32(1)) < version { opcodes[i][2] = .int(version) }
                return i
            }
            opcodes.append(FB.TableNode([0: .int(Int8(truncatingIfNeeded: min(code, 127))), 2: .int(version), 3: .int(code)]))
            return opcodes.count - 1
        }
        var dequantizeOps: [Int: [FB.TableNode]] = [:]
        var runtimes: [String] = []  // minimum runtimes of the operator versions written
        var raiseVersions: [Int: Int32] = [:]  // opcode index → version
        var asymmetricInputs: [[Int]: TFLiteRules.OptionField] = [:]  // [graph, operator] → the option to set
        var int8Outputs: [Int: [Int: (int8: Int32, original: Int32, version: Int32)]] = [:]  // graph → operator → tensors
        // Tensors that shared a source buffer (tied weights) and convert alike share the new one too.
        var written: [String: Int] = [:]
        func buffer(_ key: String, _ bytes: () -> [UInt8]) -> UInt32 {
            if let b = written[key] { return UInt32(b) }
            let raw = bytes()
            buffers.append(FB.TableNode([0: .offset(.scalars(.array(raw), elementSize: 1,
                                                              alignment: TFLiteTreeReader.bufferAlignment(raw.count)))]))
            written[key] = buffers.count - 1
            return UInt32(buffers.count - 1)
        }
        for k in selected.indices {
            let s = selected[k]
            selected[k].values = []  // released after this tensor: one float copy at a time from here on
            let t = model.tensors[s.index]
            // Same source bytes, shape, axis and readers (which decide the granularity): the same output bytes.
            let readerKinds = Set(t.consumers.map { model.graphs[$0.graph].nodes[$0.node].opType }).sorted()
            let key = "\(sites[s.index].buffer)|\(t.shape)|\(s.channel)|\(s.reduction)|\(readerKinds)"
            let site = sites[s.index]
            let r = s.report
            let zeros = s.values.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
            report[r].sparsity = s.values.isEmpty ? nil : Double(zeros) / Double(s.values.count)
            var tensors = graphTensors[site.graph]
            var tensor = tensors[site.tensor]
            let pruned = settings.pruning != nil && s.hybrid
            switch mode {
            case .none:
                tensor[2] = .int(buffer(key) { ONNXEncode.float32LE(s.values) })
                report[r].action = "pruned"
            case .float16:
                let (raw, overflow) = HalfPrecision.encode(s.values)
                let index = buffer(key) { raw }
                var stored = tensor
                stored[1] = .int(Int8(1))  // FLOAT16
                stored[2] = .int(index)
                stored[3] = .offset(.string("\(t.name)_fp16"))
                stored[4] = nil
                tensor[2] = .int(UInt32(0))  // the original tensor is now DEQUANTIZE's output
                tensors.append(stored)
                let op = FB.TableNode([0: .int(UInt32(opcodeIndex(dequantizeCode, version: rules.dequantizeFloat16Version))),
                                       1: .offset(.int32s([Int32(tensors.count - 1)])),
                                       2: .offset(.int32s([Int32(site.tensor)]))])
                dequantizeOps[site.graph, default: []].append(op)
                if let v = rules.dequantizeFloat16Runtime { runtimes.append(v) }
                report[r].action = pruned ? "pruned+float16" : "float16"
                report[r].overflow = overflow
            case .int8(let perChannel):
                var tensorScheme = scheme
                let readers = Set(t.consumers.map { model.graphs[$0.graph].nodes[$0.node].opType })
                let perTensorOnly = readers.first(where: TFLiteRules.perTensorOnly.contains)
                if !perChannel || perTensorOnly != nil { tensorScheme.granularity = .perTensor }
                if perChannel, let op = perTensorOnly {
                    report[r].reason = "\(op): the TFLite converter writes one scale for its weights (per tensor)"
                }
                let q: QuantizedWeights
                do {
                    q = try s.values.withUnsafeBufferPointer { b throws(WeightQuantizer.Failure) in
                        try WeightQuantizer.quantize(b, shape: t.shape, scheme: tensorScheme, axis: s.channel)
                    }
                } catch {
                    report[r].reason = "\(error)"
                    continue
                }
                tensor[1] = .int(Int8(9))  // INT8
                tensor[2] = .int(buffer(key) { q.codes.map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0)) } })
                var scales = q.scales
                let consumers = t.consumers.map { model.graphs[$0.graph].nodes[$0.node].opType }
                if scales.count == 1, let only = consumers.first(where: TFLiteRules.perChannelOnly.contains),
                   let channels = t.shape.last, channels > 1 {
                    // The per-tensor scale, once per channel: \(only)'s hybrid kernel reads one per channel.
                    scales = Array(repeating: scales[0], count: channels)
                    report[r].reason = "\(only) has no per-tensor hybrid kernel: the per-tensor scale is stored per channel"
                }
                var quant = FB.TableNode([2: .offset(.float32s(scales)),
                                          3: .offset(.int64s(Array(repeating: 0, count: scales.count)))])
                if scales.count > 1 { quant[6] = .int(Int32(scales.count == q.scales.count ? s.channel : t.shape.count - 1)) }
                tensor[4] = .offset(.table(quant))
                for c in t.consumers {
                    let op = graphOperators[c.graph][c.node]
                    let index = Int(op.scalar(0, default: UInt32(0)))
                    let name = model.graphs[c.graph].nodes[c.node].opType
                    guard let v = rules.hybridOperators[name] else { continue }
                    let needed = scales.count > 1 ? v.versionPerChannel : v.versionPerTensor
                    raiseVersions[index] = max(raiseVersions[index] ?? 0, needed)
                    if let v = scales.count > 1 ? v.runtimePerChannel : v.runtimePerTensor { runtimes.append(v) }
                    if let field = v.asymmetricQuantizeInputs { asymmetricInputs[[c.graph, c.node]] = field }
                    // No hybrid kernel (GATHER): the operator writes int8 with the table's scale into a new
                    // tensor, and a DEQUANTIZE after it writes the original one, so no reader changes.
                    if let version = v.int8OutputDequantizeVersion, scales.count == 1,
                       let o = op.int32s(2).first, o >= 0, Int(o) < tensors.count {
                        var out8 = tensors[Int(o)]
                        out8[1] = .int(Int8(9))  // INT8
                        out8[2] = .int(UInt32(0))
                        out8[3] = .offset(.string("\(out8.string(3) ?? "output")_int8"))
                        out8[4] = .offset(.table(FB.TableNode([2: .offset(.float32s(scales)), 3: .offset(.int64s([0]))])))
                        tensors.append(out8)
                        int8Outputs[c.graph, default: [:]][c.node] = (Int32(tensors.count - 1), o, version)
                        if let r = v.int8OutputDequantizeRuntime { runtimes.append(r) }
                    }
                }
                report[r].action = pruned ? "pruned+quantized" : "quantized"
            }
            tensors[site.tensor] = tensor
            graphTensors[site.graph] = tensors
        }
        for (i, v) in raiseVersions where opcodes[i].scalar(2, default: Int32(1)) < v { opcodes[i][2] = .int(v) }
        for (key, option) in asymmetricInputs {
            var ops = graphOperators[key[0]]
            let current = ops[key[1]].scalar(3, default: UInt8(0))
            // Only into the options table the rule names (an operator carries its own type's table, or none).
            guard current == option.optionsType || current == 0 else { continue }
            var options = current == 0 ? FB.TableNode() : (ops[key[1]].table(4) ?? FB.TableNode())
            options[option.field] = .bool(true)  // asymmetric_quantize_inputs, as the converter sets it
            ops[key[1]][3] = .int(option.optionsType)
            ops[key[1]][4] = .offset(.table(options))
            graphOperators[key[0]] = ops
        }
        for (g, rewires) in int8Outputs {
            var ops: [FB.TableNode] = []
            for (i, var op) in graphOperators[g].enumerated() {
                guard let w = rewires[i] else {
                    ops.append(op)
                    continue
                }
                var outputs = op.int32s(2)
                if !outputs.isEmpty { outputs[0] = w.int8 }
                op[2] = .offset(.int32s(outputs))
                ops.append(op)
                ops.append(FB.TableNode([0: .int(UInt32(opcodeIndex(dequantizeCode, version: w.version))),
                                         1: .offset(.int32s([w.int8])), 2: .offset(.int32s([w.original]))]))
            }
            graphOperators[g] = ops
        }
        // DEQUANTIZE operators run first: their inputs are constants, and every reader comes after them.
        for (g, ops) in dequantizeOps { graphOperators[g] = ops + graphOperators[g] }
        for g in subgraphs.indices {
            if subgraphs[g].fields[0] != nil || !graphTensors[g].isEmpty { subgraphs[g].setTables(0, graphTensors[g]) }
            if subgraphs[g].fields[3] != nil || !graphOperators[g].isEmpty { subgraphs[g].setTables(3, graphOperators[g]) }
        }

        // min_runtime_version, as the converter writes it: the newest runtime any operator version needs.
        if let needed = runtimes.max(by: TFLiteRules.runtime(_:isBelow:)) {
            for m in root.tables(6) where m.string(0) == "min_runtime_version" {
                let b = Int(m.scalar(1, default: UInt32(0)))
                guard b > 0, b < buffers.count, let old = buffers[b].vectorBytes(0) else { continue }
                let current = old.withBytes { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard TFLiteRules.runtime(current, isBelow: needed) else { continue }
                // NUL-padded to its old length (16 in converter output), as TFLite's writer pads it.
                var text = Array(needed.utf8)
                text += [UInt8](repeating: 0, count: max(old.count, 16) - min(text.count, max(old.count, 16)))
                buffers[b][0] = .offset(.scalars(.array(text), elementSize: 1, alignment: 4))
            }
        }

        var referenced = Set<Int>()
        for tensors in graphTensors { for t in tensors { referenced.insert(Int(t.scalar(2, default: UInt32(0)))) } }
        for m in root.tables(6) { referenced.insert(Int(m.scalar(1, default: UInt32(0)))) }
        for b in root.int32s(5) { referenced.insert(Int(b)) }
        for s in sites where !referenced.contains(s.buffer) { buffers[s.buffer] = FB.TableNode() }

        root.setTables(1, opcodes)
        root.setTables(2, subgraphs)
        let dataBytes = buffers.reduce(0) { $0 + ($1.vectorBytes(0)?.count ?? 0) }
        let output = dataBytes > inlineLimit
            ? try writeWithOffsetBuffers(root: root, buffers: buffers, source: file)
            : try writeInline(root: root, buffers: buffers)
        return ONNXConversion(source: file, output: output, tensors: report, opsetBefore: nil, opsetAfter: nil,
                              compression: compression)
    }

    /// Weights beyond this many bytes do not fit in one flatbuffer (2 GB, less room for the tables): they are
    /// written after it, as the TFLite converter writes large models.
    static let defaultInlineLimit = FlatBufferBuilder.maximumSize - (64 << 20)

    static func serialize(_ root: FB.TableNode) throws(ConversionError) -> [UInt8] {
        do {
            return try FlatBufferBuilder.serialize(root: root, fileIdentifier: "TFL3")
        } catch {
            throw ConversionError(.unsupported, "cannot write the TFLite model: \(error)")
        }
    }

    static func writeInline(root: FB.TableNode, buffers: [FB.TableNode]) throws(ConversionError) -> WireOutput {
        var root = root
        root.setTables(4, buffers)
        var output = WireOutput()
        output.append(try serialize(root))
        return output
    }

    /// The form of files over 2 GB (schema.fbs, Buffer.offset/size): each buffer's bytes after the
    /// flatbuffer, 16-byte aligned, at an offset from the start of the file. Unchanged weights are copied
    /// from the source as ranges, so they never pass through memory.
    static func writeWithOffsetBuffers(root: FB.TableNode, buffers: [FB.TableNode], source: MappedFile)
        throws(ConversionError) -> WireOutput
    {
        var tables = buffers
        var data: [(index: Int, bytes: FB.Bytes)] = []
        for (i, b) in buffers.enumerated() {
            guard let bytes = b.vectorBytes(0), bytes.count > 0 else { continue }
            data.append((i, bytes))
            // Placeholders of the final width: the second pass lays out the same bytes.
            tables[i] = FB.TableNode([1: .int(UInt64(1)), 2: .int(UInt64(bytes.count))])
        }
        var withOffsets = root
        withOffsets.setTables(4, tables)
        let first = try serialize(withOffsets)
        var position = (first.count + 15) / 16 * 16
        var offsets: [Int] = []
        for d in data {
            offsets.append(position)
            position = (position + d.bytes.count + 15) / 16 * 16
        }
        for (d, offset) in zip(data, offsets) { tables[d.index][1] = .int(UInt64(offset)) }
        withOffsets.setTables(4, tables)
        let head = try serialize(withOffsets)
        guard head.count == first.count else {
            throw ConversionError(.model, "internal error: the flatbuffer changed size between its two layouts")
        }
        var output = WireOutput()
        output.append(head)
        let base = source.bytes.baseAddress.map { Int(bitPattern: $0) } ?? 0
        for (d, offset) in zip(data, offsets) {
            if offset > output.count { output.append([UInt8](repeating: 0, count: offset - output.count)) }
            switch d.bytes {
            case .array(let a): output.append(a)
            case .raw(let r):
                let start = (r.baseAddress.map { Int(bitPattern: $0) } ?? 0) - base
                if r.count > 0, start >= 0, start + r.count <= source.count {
                    output.copy(start..<(start + r.count))
                } else {
                    output.append(Array(r))
                }
            }
        }
        return output
    }
}
