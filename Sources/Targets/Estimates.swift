import CheckedMath
import JSON
import Manifest
import ModelFormats

/// The precision a target computes in, and the bits its weights are stored in.
public struct TargetPrecision: Sendable, Hashable {
    /// A key of the device's peak figures: `float32`, `float16`, `int8`, ...
    public var compute: String
    /// Bits per weight after optimization (nil: as stored).
    public var weightBits: Int?
    public var activationBytes: Int
    public var processor: Processor
}

/// Size, memory and latency of one model on one target.
public struct TargetEstimate: Sendable {
    public var target: String
    public var device: Device?
    public var precision: TargetPrecision
    public var sizeBytes: Int
    /// True when the size came from the caller (the Compression engine), not from the simple estimate here.
    public var sizeFromCaller: Bool
    public var weightBytes: Int
    public var peakActivationBytes: Int
    /// A microcontroller (a device without an OS): weights execute from flash, only the arena is in RAM.
    public var isMicrocontroller: Bool { device?.os == "none" }
    /// Run-time memory: weights plus peak activations; on a microcontroller the RAM alone (the arena).
    public var memoryBytes: Int { isMicrocontroller ? peakActivationBytes : weightBytes &+ peakActivationBytes }
    /// Flash the model takes on a microcontroller (nil elsewhere): the whole artifact, weights and graph, which
    /// TFLite Micro reads in place from flash.
    public var flashBytes: Int? { isMicrocontroller ? sizeBytes : nil }
    public var macs: Int
    public var latencyMS: Double?
    /// The part of `latencyMS` that is per-operator dispatch overhead.
    public var dispatchOverheadMS: Double?
    public var cpuFallbackPartitions: Int
    public var budget: (size: Double?, memory: Double?, latency: Double?)
    public var flashBudget: Double?
    /// How much of the model the MACs, activation memory and latency cover: when incomplete they are lower bounds.
    public var coverage: AnalysisCoverage = .complete
    /// How `peakActivationBytes` was found: `tflite-micro-greedy` (TFLite Micro's arena, head and tail),
    /// `litert-arena` (LiteRT's activation arena), `kv-cache` (a language model: its KV cache at the context
    /// length), or `liveness` (the largest sum of live activations).
    public var activationPlanner: String = "liveness"
    /// The calibration the latency was computed with (nil: the uncalibrated roofline), and the roofline figure
    /// it replaced when the device cites the roofline's peak and bandwidth.
    public var latencyCalibration: LatencyCalibration? = nil
    /// The accelerator calibration the latency was computed with (the Edge TPU's compute and streaming terms).
    public var acceleratorCalibration: AcceleratorCalibration? = nil
    /// The calibration measured on the device itself under the target's runtime (the Raspberry Pi 5 in ONNX
    /// Runtime or LiteRT, the Jetson Orin NX in TensorRT).
    public var deviceCalibration: DeviceCalibration? = nil
    public var rooflineLatencyMS: Double? = nil

    /// Whose measurements calibrated the latency, in words (nil: the roofline).
    public var calibratedOn: String? {
        if let d = deviceCalibration {
            return "calibrated on published \(d.device) \(d.runtime) \(d.processor.rawValue) \(d.precision) measurements (\(d.publishedBy))"
        }
        if let a = acceleratorCalibration { return "calibrated on published \(a.accelerator) \(a.attachment) \(a.precision) measurements" }
        if let c = latencyCalibration { return "calibrated on published \(c.core) \(c.precision) measurements" }
        return nil
    }

    public var isLowerBound: Bool { !coverage.isComplete }

    /// Size comes from the stored weights, whatever the shape analysis found.
    public var sizeMet: Bool? { budget.size.map { Double(sizeBytes) / 1e6 <= $0 } }
    /// Flash comes from the stored weights, whatever the shape analysis found.
    public var flashMet: Bool? {
        guard let b = flashBudget, let f = flashBytes else { return nil }
        return Double(f) / 1e6 <= b
    }
    /// Nil when there is no budget, or when a partial analysis's lower bound is within it (unconfirmed):
    /// a budget is never "met" on a partial figure, and a lower bound over it is a miss.
    public var memoryMet: Bool? { Self.judge(Double(memoryBytes) / 1e6, budget.memory, complete: coverage.isComplete) }
    public var latencyMet: Bool? {
        guard let l = latencyMS else { return nil }
        return Self.judge(l, budget.latency, complete: coverage.isComplete)
    }
    public var memoryUnconfirmed: Bool { budget.memory != nil && memoryMet == nil }
    public var latencyUnconfirmed: Bool { budget.latency != nil && latencyMS != nil && latencyMet == nil }

    static func judge(_ value: Double, _ budget: Double?, complete: Bool) -> Bool? {
        guard let budget else { return nil }
        if value > budget { return false }
        return complete ? true : nil
    }
}

public enum TargetEstimates {
    /// Fixed cost of each switch between the delegate and the CPU (synchronisation and copies), in ms.
    /// A rough figure for the roofline model; docs/rules.md says how estimates are made.
    public static let fallbackPenaltyMS = 0.1

    static func bits(of type: String) -> Int? {
        switch type {
        case "float16", "bfloat16": return 16
        case "int8", "uint8": return 8
        case "int4", "uint4": return 4
        default: return nil
        }
    }

    /// The precision `target` computes in on its processor.
    /// `model`: a TFLite model the manifest leaves as stored whose inputs are all int8/uint8 is already fully
    /// quantized, so it computes in int8 on a CPU or an NPU (the MLPerf Tiny reference models, Edge TPU models).
    public static func precision(target: TargetSpec, runtime: Runtime?, catalogue: Catalogue, model: Model? = nil) -> TargetPrecision {
        let q = target.optimize.quantize
        let weights = q?.weights?.value ?? "none"
        let activations = q?.activations?.value ?? "none"
        var processor = runtime?.processor ?? .cpu
        var delegateFloat: String?
        if let d = target.delegate?.value, let del = runtime?.delegate(d) {
            processor = del.processor
            delegateFloat = del.floatCompute
        }
        if runtime?.name == "coreml" {
            switch target.computeUnits?.value ?? "all" {
            case "cpu-only": processor = .cpu
            case "cpu-and-gpu": processor = .gpu
            default: processor = .npu
            }
        }
        var compute = "float32"
        var actBytes = 4
        // Fully int8 as stored: a CPU or an integer NPU (the Edge TPU) computes in int8; a GPU delegate dequantizes.
        let storedInt8 = activations == "none" && weights == "none" && model.map { m in
            m.format == .tflite && !m.inputs.isEmpty && m.inputs.allSatisfy { $0.dtype == .int8 || $0.dtype == .uint8 }
        } == true
        if activations == "int8" || activations == "uint8" || (storedInt8 && processor == .npu) {
            compute = "int8"
            actBytes = 1
        } else if activations == "int16" {
            compute = "int8"
            actBytes = 2
        } else if activations == "float16" || weights == "float16" || (processor != .cpu && delegateFloat != "float32") {
            // GPU delegates and the Neural Engine compute in float16 (unless the catalogue says the delegate does not).
            compute = "float16"
            actBytes = 2
        } else if storedInt8 {
            compute = "int8"
            actBytes = 1
        } else if (weights == "int8" || weights == "uint8") && runtime?.name == "onnxruntime" {
            // ONNX Runtime's dynamic quantization quantizes activations on the fly: integer compute.
            compute = "int8"
        }
        return TargetPrecision(compute: compute, weightBits: bits(of: weights), activationBytes: actBytes, processor: processor)
    }

    /// Artifact size after optimization: every stored constant at its new bit width (skipped and 1-D
    /// tensors keep theirs; biases and norms stay float), scales added, plus the source file's non-tensor bytes.
    public static func sizeBytes(model: Model, target: TargetSpec) -> Int {
        let q = target.optimize.quantize
        let weights = q?.weights?.value ?? "none"
        let bits = bits(of: weights)
        let skip = (q?.skip ?? []).map(\.value)
        let consumers = model.graphs.first?.nodes ?? []
        var total = 0
        var stored = 0
        for t in model.tensors where t.sharedWith == nil {
            stored &+= t.storedBytes
            guard let b = bits, t.dtype == .float32 || t.dtype == .float16 || t.dtype == .bfloat16 || t.dtype == .float64,
                let own = t.dtype.bitsPerElement, b < own
            else {
                total &+= t.storedBytes
                continue
            }
            let names = [t.name] + t.consumers.compactMap { c in
                c.graph == 0 && c.node < consumers.count ? consumers[c.node].name : nil
            }
            let skipped = names.contains { n in skip.contains { Glob.matches($0, n) } }
            // float16 converts everything; integer quantization touches weight matrices and kernels only.
            if skipped || (b < 16 && t.shape.count < 2) {
                total &+= t.storedBytes
                continue
            }
            var bytes = (t.elementCount &* b &+ 7) / 8
            if b < 16 {
                switch q?.granularity?.value {
                case .perBlock(let n)?: bytes &+= ((t.elementCount &+ n &- 1) / n) &* 2
                case .perTensor?: bytes &+= 4
                default: bytes &+= (t.shape.first ?? 1) &* 4
                }
            }
            total &+= bytes
        }
        return total &+ max(0, model.fileSize - stored)
    }

    /// Estimates for `target`. `sizeBytes` lets the caller supply the size after optimization (the
    /// Compression engine's figure); without it the simple estimate above is used.
    public static func estimate(
        target: TargetSpec, model: Model, analysis: GraphAnalysis, coverage: CoverageReport?, catalogue: Catalogue,
        sizeBytes callerSize: Int? = nil
    ) -> TargetEstimate {
        let runtime = target.runtime.flatMap { catalogue.runtime($0.value.name) }
        let device = target.device.flatMap { catalogue.device($0.value) }
        let p = precision(target: target, runtime: runtime, catalogue: catalogue, model: model)
        let size = callerSize ?? sizeBytes(model: model, target: target)
        let container = max(0, model.fileSize - model.storedBytes)
        // An artifact in the source's own format keeps its container (names, graph); one in another format (an ONNX
        // export of a TorchScript archive, a TFLite conversion) does not: its weights are the optimized tensors, at
        // most the whole artifact.
        let sameFormat = (target.format?.value).map { $0 == model.format.rawValue } ?? true
        let weightBytes = sameFormat ? max(0, size - container) : min(size, max(0, sizeBytes(model: model, target: target) - container))
        var peak = analysis.peakActivationElements &* p.activationBytes
        var planner = "liveness"
        if let t = analysis.transformer {
            peak = t.kvCacheBytes
            planner = "kv-cache"
        }
        // A TFLite model whose activations the target keeps as stored: the arena its runtime plans.
        if model.format == .tflite, (target.optimize.quantize?.activations?.value ?? "none") == "none",
            let arenas = TFLiteArenas.of(model: model)
        {
            if runtime?.name == "tflite-micro" {
                // The catalogue's microcontrollers are 32-bit.
                peak = arenas.micro(pointerBytes: 4)
                planner = "tflite-micro-greedy"
            } else if runtime?.name == "litert", p.processor == .cpu,
                !(model.graphs.first?.tensorShapes.contains { $0.signature.contains(-1) } ?? true)
            {
                peak = arenas.litert
                planner = "litert-arena"
            }
        }

        var latency: Double?
        var overhead = 0.0
        // A roofline needs the device's bandwidth and a peak figure: without a cited one there is no latency
        // estimate (and a latency budget is not judged) rather than one from a guessed figure.
        if let device, let bandwidthGBps = device.bandwidthGBps, let accel = Self.peakOps(device, p.processor, p.compute) {
            let bandwidth = bandwidthGBps * 1e9
            let cpu = Self.peakOps(device, .cpu, p.compute == "float16" ? "float32" : p.compute) ?? accel
            let bytesPerParam = Double(p.weightBits ?? 32) / 8
            // The fixed cost of dispatching each operator (catalogue figures, measured or cited): without it a
            // small model reads as nearly free.
            let cpuOverhead = catalogue.dispatchOverhead(runtime: runtime?.name, processor: .cpu)
            let accelOverhead = catalogue.dispatchOverhead(runtime: runtime?.name, processor: p.processor)
            var seconds = 0.0
            for n in analysis.nodes {
                let flops = Double(n.macs) * 2
                let bytes = Double(n.parameterElements) * bytesPerParam
                    + Double(n.inputElements &+ n.outputElements) * Double(p.activationBytes)
                let onCPU = coverage?.cpuNodes.contains(n.index) ?? false
                let peakOps = onCPU ? cpu : accel
                let roofline = max(flops / peakOps, bytes / bandwidth)
                let node = Self.withOverhead(roofline, onCPU || p.processor == .cpu ? cpuOverhead : accelOverhead)
                overhead += node - roofline
                seconds += node
            }
            // A CPU delegate (XNNPACK) hands its refused nodes to the builtin kernels on the same processor and
            // memory: no switch to pay for.
            let switches = p.processor == .cpu ? 0 : coverage?.cpuPartitions ?? 0
            latency = seconds * 1000 + Double(switches) * fallbackPenaltyMS
            if let t = analysis.transformer {
                // One token: every weight and the KV cache are read once (decoding is bandwidth bound), or the
                // compute, whichever is longer.
                // A file without weights (a vocabulary-only GGUF) reads as the parameters its metadata counts.
                let weights = t.parametersFromTensors ? Double(weightBytes) : Double(t.parameters) * bytesPerParam
                let bytes = weights + Double(t.kvCacheBytes)
                latency = max(Double(t.macsPerToken) * 2 / accel, bytes / bandwidth) * 1000
            }
        }
        // A CPU core with published measurements of known architectures: the model's MACs at the fitted cycles
        // per MAC and the device's clock replace the roofline (the fit absorbs memory and dispatch costs).
        var calibration: LatencyCalibration?
        var roofline: Double?
        if analysis.transformer == nil, p.processor == .cpu, let device, let clock = device.clockMHz,
            let c = catalogue.latencyCalibration(device, precision: p.compute)
        {
            roofline = latency
            calibration = c
            latency = Double(analysis.totalMACs) * c.cyclesPerMAC / (clock * 1e6) * 1000
            overhead = 0
        }
        // An accelerator with published measurements (the Edge TPU): its compute term and the parameters beyond
        // its on-chip cache streamed from the host on every inference replace the roofline, which knows neither.
        // Only for a model that runs whole on the accelerator: the fit says nothing of a CPU remainder.
        var accelerator: AcceleratorCalibration?
        if analysis.transformer == nil, p.processor == .npu, let device, coverage?.runsWhole ?? true,
            let c = catalogue.acceleratorCalibration(device, precision: p.compute)
        {
            roofline = latency
            accelerator = c
            latency = c.latencyMS(macs: analysis.totalMACs, parameterBytes: weightBytes)
            overhead = 0
        }
        // The device's own published measurements under this runtime: its MACs at the fitted cost per GMAC plus
        // the fitted constant replace the roofline (they absorb memory, dispatch and the runtime's own costs).
        // Only for a model that runs whole on the calibrated processor: the fit says nothing of a CPU remainder.
        var measured: DeviceCalibration?
        if analysis.transformer == nil, calibration == nil, accelerator == nil, let device, let runtime,
            p.processor == .cpu || coverage?.runsWhole ?? true,
            let c = catalogue.deviceCalibration(device, runtime: runtime.name, delegate: target.delegate.flatMap { runtime.delegate($0.value)?.name },
                                                processor: p.processor, precision: p.compute)
        {
            roofline = latency
            measured = c
            latency = c.latencyMS(macs: analysis.totalMACs)
            overhead = 0
        }
        return TargetEstimate(
            target: target.name.value, device: device, precision: p, sizeBytes: size, sizeFromCaller: callerSize != nil,
            weightBytes: weightBytes, peakActivationBytes: peak, macs: analysis.totalMACs, latencyMS: latency,
            dispatchOverheadMS: latency == nil ? nil : overhead * 1000, cpuFallbackPartitions: coverage?.cpuPartitions ?? 0,
            budget: (target.budget.sizeMB?.value, target.budget.memoryMB?.value, target.budget.latencyMS?.value),
            flashBudget: target.budget.flashMB?.value, coverage: analysis.coverage, activationPlanner: planner,
            latencyCalibration: calibration, acceleratorCalibration: accelerator, deviceCalibration: measured,
            rooflineLatencyMS: roofline)
    }

    /// How the latency was made: the calibration (core, stack, cycles per MAC and its spread, the source) or
    /// `uncalibrated-roofline`; null without a latency.
    static func calibrationJSON(_ e: TargetEstimate, _ catalogue: Catalogue) -> JSONValue {
        guard e.latencyMS != nil else { return .null }
        if let a = e.acceleratorCalibration {
            let streamed = a.streamedBytes(parameterBytes: e.weightBytes)
            return .object([
                "method": .string("calibrated"), "class": .string(a.accelerator), "attachment": .string(a.attachment),
                "precision": .string(a.precision), "ms_per_gmac": .double(a.msPerGMAC),
                "ms_per_streamed_mb": .double(a.msPerStreamedMB), "constant_ms": .double(a.constantMS),
                "cache_bytes": .int(a.cacheBytes), "parameter_bytes": .int(e.weightBytes), "streamed_bytes": .int(streamed),
                "compute_ms": .double((Double(e.macs) / 1e9 * a.msPerGMAC * 1000).rounded() / 1000),
                "streaming_ms": .double((Double(streamed) / 1e6 * a.msPerStreamedMB * 1000).rounded() / 1000),
                "ratio_spread": .array(a.ratioSpread.map { .double($0) }), "stack": .string(a.stack),
                "source": .string(catalogue.cite(a.source)), "cache_source": .string(catalogue.cite(a.cacheSource)),
            ])
        }
        if let d = e.deviceCalibration {
            return .object([
                "method": .string("calibrated"), "class": .string("device"), "device": .string(d.device),
                "runtime": .string(d.runtime), "delegate": d.delegate.map { .string($0) } ?? .null, "processor": .string(d.processor.rawValue),
                "precision": .string(d.precision), "ms_per_gmac": .double(d.msPerGMAC), "constant_ms": .double(d.constantMS),
                "ratio_spread": .array(d.ratioSpread.map { .double($0) }), "stack": .string(d.stack),
                "published_by": .string(d.publishedBy), "fitted_on": d.fittedOn.map { .string($0) } ?? .null,
                "source": .string(catalogue.cite(d.source)), "models_source": .string(catalogue.cite(d.modelsSource)),
                "fitted_macs": d.fittedMACs.map { .array([.int($0.lowerBound), .int($0.upperBound)]) } ?? .null,
                "extrapolated": .bool(d.extrapolates(macs: e.macs)),
            ])
        }
        guard let c = e.latencyCalibration, let clock = e.device?.clockMHz else {
            return .object(["method": .string("uncalibrated-roofline")])
        }
        return .object([
            "method": .string("calibrated"), "class": .string(c.core), "precision": .string(c.precision),
            "clock_mhz": .double(clock), "cycles_per_mac": .double(c.cyclesPerMAC),
            "cycles_per_mac_spread": .array([.double(c.spread.0), .double(c.spread.1)]), "stack": .string(c.stack),
            "source": .string(catalogue.cite(c.source)),
        ])
    }

    /// A node's time with the dispatch overhead: serial dispatch adds to the roofline time; asynchronous
    /// launches (GPUs) overlap the previous kernel, so a node costs at least the launch interval.
    static func withOverhead(_ roofline: Double, _ o: DispatchOverhead?) -> Double {
        guard let o else { return roofline }
        let s = o.microseconds / 1e6
        return o.overlapsCompute ? max(roofline, s) : roofline + s
    }

    /// Operations per second for `precision` on `processor`, falling back to float32 (then the lowest figure
    /// the processor lists) and then to the CPU when the device lists no figure; nil when it lists none at all.
    static func peakOps(_ d: Device, _ processor: Processor, _ precision: String) -> Double? {
        guard let table = d.peakTOPS[processor] ?? d.peakTOPS[.cpu],
              let tops = table[precision] ?? table["float32"] ?? table.values.min() else { return nil }
        return tops * 1e12
    }

    /// The per-target table for `slipway estimate` (as JSON, and as text), one row per target with a runtime.
    /// `sizeBytes` supplies sizes after optimization by target name (the Compression engine's, through
    /// Estimation); targets without one get the simple estimate.
    public static func table(
        manifest: Manifest, model: Model?, catalogue: Catalogue, sizeBytes: [String: Int] = [:]
    ) -> JSONValue {
        var rows: [JSONValue] = []
        guard let model else { return .object(["targets": .array([]), "note": "no model could be read"]) }
        let analysis = GraphAnalysis.analyze(model: model, inputs: manifestInputDims(manifest), values: manifestInputValues(manifest), contextLength: manifest.model?.contextLength?.value)
        for t in manifest.targets {
            let runtime = t.runtime.flatMap { catalogue.runtime($0.value.name) }
            let coverage = runtime.map { rt in
                Coverage.check(
                    model: model, runtime: rt, version: t.runtime?.value.version,
                    delegate: t.delegate.flatMap { rt.delegate($0.value) }, catalogue: catalogue, analysis: analysis,
                    loweredActivations: Coverage.loweredActivations(t, model: model),
                    appliedByDefault: t.delegate == nil ? rt.defaultDelegate : nil)
            }
            let e = estimate(target: t, model: model, analysis: analysis, coverage: coverage, catalogue: catalogue,
                             sizeBytes: sizeBytes[t.name.value])
            func met(_ b: Bool?) -> JSONValue { b.map { .bool($0) } ?? .null }
            func status(_ b: Bool?, _ budget: Double?) -> JSONValue {
                guard budget != nil else { return .null }
                return .string(b.map { $0 ? "met" : "missed" } ?? "unconfirmed")
            }
            rows.append(.object([
                "target": .string(t.name.value),
                "device": e.device.map { .string($0.name) } ?? .null,
                "precision": .string(e.precision.compute),
                "size_bytes": .int(e.sizeBytes),
                "size_source": .string(e.sizeFromCaller ? "compression" : "estimate"),
                "macs": .int(e.macs),
                "weight_bytes": .int(e.weightBytes),
                "peak_activation_bytes": .int(e.peakActivationBytes),
                "memory_bytes": .int(e.memoryBytes),
                "memory_kind": .string(e.isMicrocontroller ? "ram" : "weights+activations"),
                "activation_planner": .string(e.activationPlanner),
                "flash_bytes": e.flashBytes.map { .int($0) } ?? .null,
                "flash_budget": status(e.flashMet, e.flashBytes == nil ? nil : e.flashBudget),
                "latency_ms": e.latencyMS.map { .double(($0 * 1000).rounded() / 1000) } ?? .null,
                "dispatch_overhead_ms": e.dispatchOverheadMS.map { .double(($0 * 1000).rounded() / 1000) } ?? .null,
                "latency_roofline_ms": e.rooflineLatencyMS.map { .double(($0 * 1000).rounded() / 1000) } ?? .null,
                "latency_calibration": calibrationJSON(e, catalogue),
                "cpu_fallback_partitions": .int(e.cpuFallbackPartitions),
                "size_budget_met": met(e.sizeMet),
                "memory_budget_met": met(e.memoryMet),
                "latency_budget_met": met(e.latencyMet),
                "size_budget": status(e.sizeMet, e.budget.size),
                "memory_budget": status(e.memoryMet, e.budget.memory),
                "latency_budget": status(e.latencyMet, e.latencyMS == nil ? nil : e.budget.latency),
                "lower_bounds": .bool(e.isLowerBound),
            ]))
            // Which nodes run on the CPU instead of the delegate, and why the delegate refused the ones it did
            // (graph node indices), for a target whose delegate has an operator table.
            if let c = coverage, t.delegate.flatMap({ d in runtime?.delegate(d.value)?.operators }) != nil,
               case .object(var row)? = rows.last
            {
                row["cpu_nodes"] = .array(c.cpuNodes.sorted().map { .int($0) })
                row["refused_nodes"] = .array(c.refused.map { f in
                    .object(["node": .int(f.node), "operator": .string(f.opType), "reason": .string(f.reason),
                             "check": f.check.map { .string($0.id) } ?? .null])
                })
                rows[rows.count - 1] = .object(row)
            }
            // The builtins the conversion is predicted to write, by count (an ONNX or Keras model bound for LiteRT
            // or TFLite Micro), and how many nodes the lowering tables do not know: what `convert`'s artifact holds.
            if let c = coverage, model.format != .tflite, c.operators.contains(where: { !$0.builtins.isEmpty }),
               case .object(var row)? = rows.last
            {
                row["builtins"] = .object(JSONObject(distinctEntries: c.builtinCounts.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.int($0.value)) }))
                row["builtins_unknown"] = .int(c.unknown.count)
                rows[rows.count - 1] = .object(row)
            }
            if let tf = analysis.transformer, case .object(var row)? = rows.last {
                row["per"] = .string("token")
                row["kv_cache_bytes"] = .int(tf.kvCacheBytes)
                row["context_length"] = .int(tf.contextLength)
                row["context_source"] = .string(tf.contextSource)
                rows[rows.count - 1] = .object(row)
            }
        }
        var table: JSONObject = [
            "targets": .array(rows),
            "assumed_dimensions": .array(analysis.assumedDimensions.map { .string($0) }),
            "unresolved_nodes": .array(analysis.unresolved.map { .string($0) }),
            "coverage": analysis.coverage.json,
        ]
        if let t = analysis.transformer { table["language_model"] = t.json }
        return .object(table)
    }

    /// The same table as aligned text.
    public static func text(_ table: JSONValue) -> String {
        let header = ["target", "device", "size", "MACs", "peak act.", "memory", "latency", "budgets"]
        var lines = [header]
        for row in table["targets"]?.arrayValue ?? [] {
            func mb(_ k: String) -> String {
                guard let b = row[k]?.intValue else { return "-" }
                return formatMB(Double(b) / 1e6)
            }
            let budgets = budgetSummary(row)
            // A partial analysis gives lower bounds: said on every figure it touches.
            let atLeast = atLeast(row)
            lines.append([
                row["target"]?.stringValue ?? "", row["device"]?.stringValue ?? "-", mb("size_bytes"),
                atLeast + formatCount(row["macs"]?.intValue ?? 0), atLeast + mb("peak_activation_bytes"),
                atLeast + mb("memory_bytes"),
                row["latency_ms"]?.doubleValue.map { atLeast + formatMS($0) } ?? "-", budgets.joined(separator: ", "),
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for l in lines { for (i, c) in l.enumerated() { widths[i] = max(widths[i], c.count) } }
        return lines.map { l in
            l.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }.joined(separator: "  ")
        }.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n") + "\n"
            + coverageNote(table["coverage"])
    }

    /// "figures cover 2 of 3 nodes (unresolved: Unique ×1, from Unique 'dedup'): ≥ marks lower bounds", or nothing.
    public static func coverageNote(_ c: JSONValue?) -> String {
        guard let c, c["complete"]?.boolValue == false else { return "" }
        var ops: [String: Int] = [:]
        for (k, v) in c["unresolved_ops"]?.objectValue?.entries ?? [] { ops[k] = v.intValue ?? 0 }
        var coverage = AnalysisCoverage(
            nodesResolved: c["nodes_resolved"]?.intValue ?? 0, nodesTotal: c["nodes_total"]?.intValue ?? 0,
            unresolvedOps: ops, firstUnresolved: c["first_unresolved"]?.stringValue)
        coverage.weightsOnly = c["weights_only"]?.boolValue == true
        coverage.freeDimensions = (c["free_dimensions"]?.arrayValue ?? []).compactMap(\.stringValue)
        return coverage.sentence + "\n"
    }

    /// Megabytes for people: whole MB from 10, three decimals down to 0.01 MB, kilobytes below that.
    public static func formatMB(_ mb: Double) -> String {
        guard mb.isFinite else { return "? MB" }
        if mb >= 10 { return "\(Int(roundingSaturating: mb)) MB" }
        if mb >= 0.01 || mb == 0 { return "\(Double(Int(saturating: mb * 1000)) / 1000) MB" }
        return "\(Double(Int(roundingSaturating: mb * 1e5)) / 100) kB"
    }
    public static func formatMS(_ ms: Double) -> String {
        guard ms.isFinite, ms < 1e12 else { return "> 10⁹ s" }
        return ms >= 10 ? "\(Int(roundingSaturating: ms)) ms" : "\(Double(Int(saturating: ms * 1000)) / 1000) ms"
    }
    public static func formatCount(_ n: Int) -> String {
        if n >= 1_000_000_000 { return "\(Double(n / 10_000_000) / 100) G" }
        if n >= 1_000_000 { return "\(Double(n / 10_000) / 100) M" }
        if n >= 1000 { return "\(Double(n / 10) / 100) k" }
        return String(n)
    }

    /// "size ok, memory unconfirmed, latency MISSED" from a row of `table`.
    public static func budgetSummary(_ row: JSONValue) -> [String] {
        var budgets: [String] = []
        for (k, name) in [("size_budget", "size"), ("memory_budget", "memory"), ("flash_budget", "flash"), ("latency_budget", "latency")] {
            switch row[k]?.stringValue {
            case "met"?: budgets.append("\(name) ok")
            case "missed"?: budgets.append("\(name) MISSED")
            case "unconfirmed"?: budgets.append("\(name) unconfirmed")
            default: break
            }
        }
        return budgets
    }

    /// "≥ " when the row's analysis figures are lower bounds, else "".
    public static func atLeast(_ row: JSONValue) -> String { row["lower_bounds"]?.boolValue == true ? "≥ " : "" }
}

/// Shell-style wildcards (`*`, `?`) over whole names, for the manifest's `skip` patterns.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
