import CheckedMath
import Diagnostics
import JSON

extension Catalogue {
    /// The catalogue compiled into the binary (see EmbeddedCatalogue.swift, generated from Schemas/targets by
    /// scripts/embed_catalogue.py), so that `slipway` installed anywhere has it. Decoded once.
    public static let embedded: Result<Catalogue, CatalogueError> = {
        do throws(CatalogueError) {
            return .success(try Catalogue.load(files: EmbeddedCatalogue.files))
        } catch {
            return .failure(error)
        }
    }()

    /// Decodes the catalogue from the text of its files (name, JSON text), in `fileNames` order. Every
    /// problem is a `CatalogueError` naming the file and the value; nothing traps.
    public static func load(files: [(name: String, text: String)]) throws(CatalogueError) -> Catalogue {
        var merged = JSONObject()
        var origin: [String: String] = [:]
        for (name, text) in files {
            let value: JSONValue
            do {
                value = try JSONValue.parse(text)
            } catch {
                throw CatalogueError(file: name, path: "", error.description)
            }
            guard let object = value.objectValue else { throw CatalogueError(file: name, path: "", "is not a JSON object") }
            for (k, v) in object.entries {
                if let first = origin[k] { throw CatalogueError(file: name, path: k, "is also defined in \(first)") }
                merged[k] = v
                origin[k] = name
            }
        }
        var d = Decoder(origin: origin)
        return try d.catalogue(merged)
    }
}

/// Reads the merged JSON with paths in errors. Required values throw; the schema test keeps the data honest,
/// this keeps a hand-edited file from crashing the tool. Paths are autoclosures: built only for an error
/// (interpolating one per field was a third of loading the catalogue, at every start of the program).
private struct Decoder {
    let origin: [String: String]

    func fail(_ path: String, _ message: String) -> CatalogueError {
        let top = String(path.split(separator: ".").first?.split(separator: "[").first ?? "")
        return CatalogueError(file: origin[top] ?? "catalogue", path: path, message)
    }

    func object(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> JSONObject {
        guard let o = v?.objectValue else { throw fail(path(), v == nil ? "is missing" : "must be an object") }
        return o
    }
    func array(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> [JSONValue] {
        guard let a = v?.arrayValue else { throw fail(path(), v == nil ? "is missing" : "must be an array") }
        return a
    }
    func string(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> String {
        guard let s = v?.stringValue else { throw fail(path(), v == nil ? "is missing" : "must be a string") }
        return s
    }
    func strings(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> [String] {
        var out: [String] = []
        for (i, x) in try array(v, path()).enumerated() { out.append(try string(x, "\(path())[\(i)]")) }
        return out
    }
    func number(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> Double {
        guard let d = v?.doubleValue else { throw fail(path(), v == nil ? "is missing" : "must be a number") }
        return d
    }
    func int(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> Int? {
        guard let v else { return nil }
        guard let i = v.intValue else { throw fail(path(), "must be an integer") }
        return i
    }
    func ints(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> [Int] {
        var out: [Int] = []
        for (i, x) in try array(v, path()).enumerated() {
            guard let n = x.intValue else { throw fail("\(path())[\(i)]", "must be an integer") }
            out.append(n)
        }
        return out
    }
    /// An object of name → non-negative integer (ggml type ids).
    func namedInts(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> [String: Int] {
        var out: [String: Int] = [:]
        for (k, x) in try object(v, path()).entries {
            guard let n = x.intValue, n >= 0 else { throw fail("\(path()).\(k)", "must be a non-negative integer") }
            out[k] = n
        }
        return out
    }
    func source(_ v: JSONValue?, _ path: @autoclosure () -> String, sources: [String: Source]) throws(CatalogueError) -> SourceRef {
        let o = try object(v, path())
        let id = try string(o["id"], "\(path()).id")
        guard sources[id] != nil else { throw fail("\(path()).id", "'\(id)' is not one of the catalogue's sources") }
        return SourceRef(id: id, section: try string(o["section"], "\(path()).section"))
    }
    func optionalSource(_ v: JSONValue?, _ path: @autoclosure () -> String, sources: [String: Source]) throws(CatalogueError) -> SourceRef? {
        guard let v else { return nil }
        return try source(v, path(), sources: sources)
    }
    func processor(_ v: JSONValue?, _ path: @autoclosure () -> String) throws(CatalogueError) -> Processor {
        let s = try string(v, path())
        guard let p = Processor(rawValue: s) else { throw fail(path(), "'\(s)' is not cpu, gpu or npu") }
        return p
    }

    mutating func catalogue(_ root: JSONObject) throws(CatalogueError) -> Catalogue {
        var sources: [String: Source] = [:]
        for (id, v) in try object(root["sources"], "sources").entries {
            let o = try object(v, "sources.\(id)")
            sources[id] = Source(id: id, title: try string(o["title"], "sources.\(id).title"), url: try string(o["url"], "sources.\(id).url"))
        }

        var runtimes: [Runtime] = []
        for (i, v) in try array(root["runtimes"], "runtimes").enumerated() {
            let p = "runtimes[\(i)]"
            let o = try object(v, p)
            var versions: [RuntimeVersion] = []
            for (j, vv) in try array(o["versions"], "\(p).versions").enumerated() {
                let vp = "\(p).versions[\(j)]"
                let vo = try object(vv, vp)
                let version = try string(vo["version"], "\(vp).version")
                guard VersionNumber(version) != nil else { throw fail("\(vp).version", "'\(version)' is not a dotted version") }
                versions.append(RuntimeVersion(
                    version: version, maxOpset: try int(vo["max_opset"], "\(vp).max_opset"),
                    maxMLOpset: try int(vo["max_ml_opset"], "\(vp).max_ml_opset"), maxIR: try int(vo["max_ir"], "\(vp).max_ir"),
                    source: try optionalSource(vo["source"], "\(vp).source", sources: sources),
                    revision: try vo["revision"].map { v throws(CatalogueError) in try string(v, "\(vp).revision") },
                    ggufVersions: try vo["gguf_versions"].map { v throws(CatalogueError) in try ints(v, "\(vp).gguf_versions") },
                    ggmlTypes: try vo["ggml_types"].map { v throws(CatalogueError) in try namedInts(v, "\(vp).ggml_types") }))
            }
            var sizes: [String: GGMLBlock] = [:]
            if let sv = o["ggml_type_sizes"] {
                for (name, b) in try object(sv, "\(p).ggml_type_sizes").entries {
                    let bp = "\(p).ggml_type_sizes.\(name)"
                    let pair = try ints(b, bp)
                    guard pair.count == 2, pair[0] > 0, pair[1] > 0 else { throw fail(bp, "must be [elements, bytes], both positive") }
                    sizes[name] = GGMLBlock(elements: pair[0], bytes: pair[1])
                }
            }
            var delegates: [Delegate] = []
            for (j, dv) in try array(o["delegates"], "\(p).delegates").enumerated() {
                let dp = "\(p).delegates[\(j)]"
                let d = try object(dv, dp)
                var partitioning: Partitioning?
                if let s = d["partitioning"] {
                    let raw = try string(s, "\(dp).partitioning")
                    guard let part = Partitioning(rawValue: raw) else {
                        throw fail("\(dp).partitioning", "'\(raw)' is not largest, prefix or per_node")
                    }
                    partitioning = part
                }
                delegates.append(Delegate(
                    name: try string(d["name"], "\(dp).name"), title: try string(d["title"], "\(dp).title"),
                    processor: try processor(d["processor"], "\(dp).processor"),
                    operators: try d["operators"].map { v throws(CatalogueError) in try string(v, "\(dp).operators") },
                    partitioning: partitioning, staticShapes: d["static_shapes"]?.boolValue ?? false,
                    source: try source(d["source"], "\(dp).source", sources: sources),
                    floatCompute: try d["float_compute"].map { v throws(CatalogueError) in try string(v, "\(dp).float_compute") },
                    floatComputeSource: try optionalSource(d["float_compute_source"], "\(dp).float_compute_source", sources: sources),
                    appliedByDefault: d["applied_by_default"]?.boolValue ?? false))
            }
            var forms: [QuantizationForm] = []
            for (j, fv) in (o["quantization_forms"] == nil ? [] : try array(o["quantization_forms"], "\(p).quantization_forms")).enumerated() {
                let fp = "\(p).quantization_forms[\(j)]"
                let f = try object(fv, fp)
                guard let symmetric = f["symmetric"]?.boolValue else { throw fail("\(fp).symmetric", "is not a boolean") }
                forms.append(QuantizationForm(
                    id: try string(f["id"], "\(fp).id"), activations: try string(f["activations"], "\(fp).activations"),
                    weights: try string(f["weights"], "\(fp).weights"), granularity: try strings(f["granularity"], "\(fp).granularity"),
                    symmetric: symmetric, source: try source(f["source"], "\(fp).source", sources: sources)))
            }
            runtimes.append(Runtime(
                name: try string(o["name"], "\(p).name"),
                aliases: o["aliases"] == nil ? [] : try strings(o["aliases"], "\(p).aliases"),
                title: try string(o["title"], "\(p).title"),
                modelFormats: try strings(o["model_formats"], "\(p).model_formats"),
                processor: try processor(o["processor"], "\(p).processor"),
                minOpset: try int(o["min_opset"], "\(p).min_opset"),
                operatorDomains: o["operator_domains"] == nil ? nil : try strings(o["operator_domains"], "\(p).operator_domains"),
                operators: try o["operators"].map { v throws(CatalogueError) in try string(v, "\(p).operators") },
                foldedOperators: o["folded_operators"] == nil ? [] : try strings(o["folded_operators"], "\(p).folded_operators"),
                foldedOperatorsSource: try optionalSource(o["folded_operators_source"], "\(p).folded_operators_source", sources: sources),
                staticShapes: o["static_shapes"]?.boolValue ?? false,
                versions: versions,
                versionsSource: try optionalSource(o["versions_source"], "\(p).versions_source", sources: sources),
                delegates: delegates,
                computeUnits: o["compute_units"] == nil ? [] : try strings(o["compute_units"], "\(p).compute_units"),
                quantizationForms: forms,
                ggmlTypesRemoved: o["ggml_types_removed"] == nil ? [:] : try namedInts(o["ggml_types_removed"], "\(p).ggml_types_removed"),
                ggmlTypeSizes: sizes))
        }

        var devices: [Device] = []
        for (i, v) in try array(root["devices"], "devices").enumerated() {
            let p = "devices[\(i)]"
            let o = try object(v, p)
            let cpu = try object(o["cpu"], "\(p).cpu")
            let gpu = o["gpu"]?.objectValue
            var peaks: [Processor: [String: Double]] = [:]
            for (k, pv) in try (o["peak_tops"] == nil ? JSONObject() : object(o["peak_tops"], "\(p).peak_tops")).entries {
                guard let proc = Processor(rawValue: k) else { throw fail("\(p).peak_tops.\(k)", "is not cpu, gpu or npu") }
                var byPrecision: [String: Double] = [:]
                for (prec, x) in try object(pv, "\(p).peak_tops.\(k)").entries {
                    let n = try number(x, "\(p).peak_tops.\(k).\(prec)")
                    guard n > 0 else { throw fail("\(p).peak_tops.\(k).\(prec)", "must be positive") }
                    byPrecision[prec] = n
                }
                peaks[proc] = byPrecision
            }
            // Figures without a cited source stay absent; one that is present must be positive.
            func figure(_ key: String, in object: JSONObject? = nil, at prefix: String? = nil) throws(CatalogueError) -> Double? {
                let path = prefix.map { "\(p).\($0).\(key)" } ?? "\(p).\(key)"
                guard let x = (object ?? o)[key] else { return nil }
                let n = try number(x, path)
                guard n > 0 else { throw fail(path, "must be positive") }
                return n
            }
            var also: [SourceRef] = []
            if let list = o["also"] {
                for (j, s) in try array(list, "\(p).also").enumerated() {
                    also.append(try source(s, "\(p).also[\(j)]", sources: sources))
                }
            }
            devices.append(Device(
                name: try string(o["name"], "\(p).name"),
                aliases: o["aliases"] == nil ? [] : try strings(o["aliases"], "\(p).aliases"),
                isClass: o["class"]?.boolValue ?? false,
                title: try string(o["title"], "\(p).title"), os: try string(o["os"], "\(p).os"),
                isa: try string(cpu["isa"], "\(p).cpu.isa"), cpuFeatures: try strings(cpu["features"], "\(p).cpu.features"),
                gpuArchitecture: gpu?["architecture"]?.stringValue, computeCapability: gpu?["compute_capability"]?.stringValue,
                memoryGB: try figure("memory_gb"), storageGB: try figure("storage_gb"),
                bandwidthGBps: try figure("bandwidth_gbps"), peakTOPS: peaks,
                source: try source(o["source"], "\(p).source", sources: sources), also: also,
                core: try cpu["core"].map { v throws(CatalogueError) in try string(v, "\(p).cpu.core") },
                clockMHz: try figure("clock_mhz", in: cpu, at: "cpu"),
                accelerator: try o["accelerator"].map { v throws(CatalogueError) in
                    let a = try object(v, "\(p).accelerator")
                    return DeviceAccelerator(
                        name: try string(a["name"], "\(p).accelerator.name"),
                        attachment: try string(a["attachment"], "\(p).accelerator.attachment"))
                }))
        }

        var architectures: [GPUArchitecture] = []
        if let list = root["gpu_architectures"] {
            for (i, v) in try array(list, "gpu_architectures").enumerated() {
                let p = "gpu_architectures[\(i)]"
                let o = try object(v, p)
                architectures.append(GPUArchitecture(
                    name: try string(o["name"], "\(p).name"), computeCapability: try string(o["compute_capability"], "\(p).compute_capability"),
                    order: try int(o["order"], "\(p).order") ?? 0))
            }
        }

        var overheads: [DispatchOverhead] = []
        if let list = root["dispatch_overheads"] {
            for (i, v) in try array(list, "dispatch_overheads").enumerated() {
                let p = "dispatch_overheads[\(i)]"
                let o = try object(v, p)
                let raw = try string(o["processor"], "\(p).processor")
                guard let proc = Processor(rawValue: raw) else { throw fail("\(p).processor", "'\(raw)' is not cpu, gpu or npu") }
                let us = try number(o["us_per_op"], "\(p).us_per_op")
                guard us > 0 else { throw fail("\(p).us_per_op", "must be positive") }
                let runtime = try o["runtime"].map { v throws(CatalogueError) in try string(v, "\(p).runtime") }
                if let runtime, !runtimes.contains(where: { $0.name == runtime }) {
                    throw fail("\(p).runtime", "'\(runtime)' is not one of the runtimes")
                }
                guard let overlaps = o["overlaps_compute"]?.boolValue else { throw fail("\(p).overlaps_compute", "must be a boolean") }
                overheads.append(DispatchOverhead(
                    runtime: runtime, processor: proc, microseconds: us, overlapsCompute: overlaps,
                    measured: try o["measured"].map { v throws(CatalogueError) in try string(v, "\(p).measured") },
                    source: try source(o["source"], "\(p).source", sources: sources)))
            }
        }

        var calibrations: [LatencyCalibration] = []
        if let list = root["latency_calibrations"] {
            for (i, v) in try array(list, "latency_calibrations").enumerated() {
                let p = "latency_calibrations[\(i)]"
                let o = try object(v, p)
                let cpm = try number(o["cycles_per_mac"], "\(p).cycles_per_mac")
                guard cpm > 0 else { throw fail("\(p).cycles_per_mac", "must be positive") }
                let spread = try array(o["spread"], "\(p).spread")
                guard spread.count == 2, let lo = spread[0].doubleValue, let hi = spread[1].doubleValue, lo <= cpm, cpm <= hi else {
                    throw fail("\(p).spread", "must be [min, max] around cycles_per_mac")
                }
                calibrations.append(LatencyCalibration(
                    core: try string(o["core"], "\(p).core"), precision: try string(o["precision"], "\(p).precision"),
                    cyclesPerMAC: cpm, spread: (lo, hi), stack: try string(o["stack"], "\(p).stack"),
                    fittedOn: try o["fitted_on"].map { v throws(CatalogueError) in try string(v, "\(p).fitted_on") },
                    source: try source(o["source"], "\(p).source", sources: sources)))
            }
        }

        var accelerators: [AcceleratorCalibration] = []
        if let list = root["accelerator_calibrations"] {
            for (i, v) in try array(list, "accelerator_calibrations").enumerated() {
                let p = "accelerator_calibrations[\(i)]"
                let o = try object(v, p)
                func nonNegative(_ key: String) throws(CatalogueError) -> Double {
                    let n = try number(o[key], "\(p).\(key)")
                    guard n >= 0 else { throw fail("\(p).\(key)", "must not be negative") }
                    return n
                }
                let spread = try array(o["ratio_spread"], "\(p).ratio_spread").compactMap(\.doubleValue)
                guard spread.count == 2, spread[0] > 0, spread[0] <= spread[1] else {
                    throw fail("\(p).ratio_spread", "must be [min, max] of published / estimate")
                }
                let cacheMB = try nonNegative("cache_mb")
                accelerators.append(AcceleratorCalibration(
                    accelerator: try string(o["accelerator"], "\(p).accelerator"),
                    attachment: try string(o["attachment"], "\(p).attachment"),
                    precision: try string(o["precision"], "\(p).precision"),
                    msPerGMAC: try nonNegative("ms_per_gmac"), msPerStreamedMB: try nonNegative("ms_per_streamed_mb"),
                    constantMS: try nonNegative("constant_ms"), cacheBytes: Int(roundingSaturating: cacheMB * 1e6),
                    ratioSpread: spread, stack: try string(o["stack"], "\(p).stack"),
                    fittedOn: try o["fitted_on"].map { v throws(CatalogueError) in try string(v, "\(p).fitted_on") },
                    cacheSource: try source(o["cache_source"], "\(p).cache_source", sources: sources),
                    source: try source(o["source"], "\(p).source", sources: sources)))
            }
        }

        var deviceCalibrations: [DeviceCalibration] = []
        if let list = root["device_calibrations"] {
            for (i, v) in try array(list, "device_calibrations").enumerated() {
                let p = "device_calibrations[\(i)]"
                let o = try object(v, p)
                let perGMAC = try number(o["ms_per_gmac"], "\(p).ms_per_gmac")
                guard perGMAC > 0 else { throw fail("\(p).ms_per_gmac", "must be positive") }
                let constant = try number(o["constant_ms"], "\(p).constant_ms")
                guard constant >= 0 else { throw fail("\(p).constant_ms", "must not be negative") }
                let spread = try array(o["ratio_spread"], "\(p).ratio_spread").compactMap(\.doubleValue)
                guard spread.count == 2, spread[0] > 0, spread[0] <= spread[1] else {
                    throw fail("\(p).ratio_spread", "must be [min, max] of published / estimate")
                }
                let device = try string(o["device"], "\(p).device")
                guard devices.contains(where: { $0.name == device }) else {
                    throw fail("\(p).device", "'\(device)' is not one of the devices")
                }
                let runtime = try string(o["runtime"], "\(p).runtime")
                guard runtimes.contains(where: { $0.name == runtime }) else {
                    throw fail("\(p).runtime", "'\(runtime)' is not one of the runtimes")
                }
                let proc = try string(o["processor"], "\(p).processor")
                guard let processor = Processor(rawValue: proc) else {
                    throw fail("\(p).processor", "'\(proc)' is not a processor")
                }
                let delegate = try o["delegate"].map { v throws(CatalogueError) in try string(v, "\(p).delegate") }
                if let delegate, runtimes.first(where: { $0.name == runtime })?.delegate(delegate) == nil {
                    throw fail("\(p).delegate", "'\(delegate)' is not a delegate of \(runtime)")
                }
                deviceCalibrations.append(DeviceCalibration(
                    device: device, runtime: runtime, delegate: delegate, processor: processor,
                    precision: try string(o["precision"], "\(p).precision"), msPerGMAC: perGMAC, constantMS: constant,
                    ratioSpread: spread, stack: try string(o["stack"], "\(p).stack"),
                    publishedBy: try string(o["published_by"], "\(p).published_by"),
                    fittedOn: try o["fitted_on"].map { v throws(CatalogueError) in try string(v, "\(p).fitted_on") },
                    modelsSource: try source(o["models_source"], "\(p).models_source", sources: sources),
                    source: try source(o["source"], "\(p).source", sources: sources),
                    fittedMACs: {
                        let macs = (o["models"]?.objectValue?.entries ?? []).compactMap { $0.1["macs"]?.intValue }
                        guard let lo = macs.min(), let hi = macs.max() else { return nil }
                        return lo...hi
                    }()))
            }
        }

        var rules: [Rule] = []
        for (i, v) in try array(root["rules"], "rules").enumerated() {
            let p = "rules[\(i)]"
            let o = try object(v, p)
            let id = try string(o["id"], "\(p).id")
            let codeRaw = try string(o["code"], "\(p).code")
            guard let code = DiagnosticCode(rawValue: codeRaw) else {
                throw fail("\(p).code", "'\(codeRaw)' is not a diagnostic code this version of Slipway knows")
            }
            rules.append(Rule(
                id: id, code: code, runtimes: try strings(o["runtimes"], "\(p).runtimes"), text: try string(o["text"], "\(p).text"),
                params: o["params"]?.objectValue ?? JSONObject(),
                source: try source(o["source"], "\(p).source", sources: sources),
                also: try optionalSource(o["also"], "\(p).also", sources: sources)))
        }

        let opv = try object(root["tflite_op_versions"], "tflite_op_versions")
        var opVersions: [String: [Int: String]] = [:]
        for (op, v) in try object(opv["operators"], "tflite_op_versions.operators").entries {
            var m: [Int: String] = [:]
            for (ver, rt) in try object(v, "tflite_op_versions.operators.\(op)").entries {
                guard let n = Int(ver) else { throw fail("tflite_op_versions.operators.\(op).\(ver)", "is not an operator version") }
                m[n] = try string(rt, "tflite_op_versions.operators.\(op).\(ver)")
            }
            opVersions[op] = m
        }

        var sets: [OperatorSet] = []
        for (i, v) in try array(root["operator_sets"], "operator_sets").enumerated() {
            let p = "operator_sets[\(i)]"
            let o = try object(v, p)
            var constraints: [String: String] = [:]
            for (k, c) in o["constraints"]?.objectValue?.entries ?? [] { constraints[k] = try string(c, "\(p).constraints.\(k)") }
            // The part of a restriction its checks leave out: sentences of the restriction itself, so that it cannot
            // outlive the text it was cut from.
            var unchecked: [String: String] = [:]
            for (k, c) in o["unchecked"]?.objectValue?.entries ?? [] {
                let part = try string(c, "\(p).unchecked.\(k)")
                guard let whole = constraints[k], part.split(separator: ". ").allSatisfy({ whole.contains($0) }) else {
                    throw fail("\(p).unchecked.\(k)", "is not part of the operator's constraints")
                }
                unchecked[k] = part
            }
            let setSource = try source(o["source"], "\(p).source", sources: sources)
            var format = OperatorSet.Format.tflite
            if let f = o["model_format"] {
                let raw = try string(f, "\(p).model_format")
                guard let parsed = OperatorSet.Format(rawValue: raw) else { throw fail("\(p).model_format", "'\(raw)' is not tflite, onnx or aten") }
                format = parsed
            }
            var maxVersions: [String: Int] = [:]
            var maxVersionsSource: SourceRef?
            if let mv = o["max_versions"] {
                let mo = try object(mv, "\(p).max_versions")
                maxVersionsSource = try source(mo["source"], "\(p).max_versions.source", sources: sources)
                for (op, v) in try object(mo["versions"], "\(p).max_versions.versions").entries {
                    maxVersions[op] = try int(v, "\(p).max_versions.versions.\(op)")
                }
            }
            var checks: [OperatorCheck] = []
            for (j, cv) in (o["checks"] == nil ? [] : try array(o["checks"], "\(p).checks")).enumerated() {
                let cp = "\(p).checks[\(j)]"
                let c = try object(cv, cp)
                let kindRaw = try string(c["kind"], "\(cp).kind")
                guard let kind = OperatorCheck.Kind(rawValue: kindRaw) else { throw fail("\(cp).kind", "'\(kindRaw)' is not a check kind Slipway knows") }
                var inputs: [Int] = []
                for (k, x) in (c["inputs"] == nil ? [] : try array(c["inputs"], "\(cp).inputs")).enumerated() {
                    guard let i = x.intValue, i >= 0 else { throw fail("\(cp).inputs[\(k)]", "must be an input index") }
                    inputs.append(i)
                }
                var outputs: [Int] = []
                for (k, x) in (c["outputs"] == nil ? [] : try array(c["outputs"], "\(cp).outputs")).enumerated() {
                    guard let i = x.intValue, i >= 0 else { throw fail("\(cp).outputs[\(k)]", "must be an output index") }
                    outputs.append(i)
                }
                var before: VersionNumber?
                if let b = c["before"] {
                    guard let text = b.stringValue, let v = VersionNumber(text) else { throw fail("\(cp).before", "must be a dotted version") }
                    before = v
                }
                var when: AttributeCondition?
                if let w = c["when"] {
                    let wo = try object(w, "\(cp).when")
                    when = AttributeCondition(attribute: try string(wo["attribute"], "\(cp).when.attribute"), value: try string(wo["value"], "\(cp).when.value"),
                                              defaultValue: wo["default"]?.stringValue)
                }
                // The parameters a quantization check cannot run without.
                if kind == .quantizedDimension, c["dimension"] == nil { throw fail("\(cp).dimension", "is missing") }
                if kind == .scaleRatio, inputs.isEmpty { throw fail("\(cp).inputs", "is missing") }
                if kind == .scaleRatio, c["scale_min"] == nil || c["scale_max"] == nil {
                    throw fail("\(cp).\(c["scale_min"] == nil ? "scale_min" : "scale_max")", "is missing")
                }
                if kind == .sameXNNPACKDatatypes, inputs.count != 2 { throw fail("\(cp).inputs", "must name two inputs") }
                if kind == .normalAttribute, c["attribute"]?.stringValue == nil { throw fail("\(cp).attribute", "is missing") }
                if kind == .tensorRanks, c["max"] == nil { throw fail("\(cp).max", "is missing") }
                checks.append(OperatorCheck(
                    id: try string(c["id"], "\(cp).id"), operators: try strings(c["operators"], "\(cp).operators"), kind: kind,
                    input: try int(c["input"], "\(cp).input") ?? 0, min: try int(c["min"], "\(cp).min"), max: try int(c["max"], "\(cp).max"),
                    inputs: inputs, outputs: outputs, squeezed: c["squeezed"]?.boolValue ?? false,
                    bindsLowered: c["lowered"]?.boolValue ?? true, refusesModel: c["refuses_model"]?.boolValue ?? false,
                    attribute: c["attribute"]?.stringValue,
                    attributes: c["attributes"] == nil ? [] : try strings(c["attributes"], "\(cp).attributes"),
                    dimension: try int(c["dimension"], "\(cp).dimension"),
                    scaleMin: c["scale_min"] == nil ? nil : try number(c["scale_min"], "\(cp).scale_min"),
                    scaleMax: c["scale_max"] == nil ? nil : try number(c["scale_max"], "\(cp).scale_max"),
                    scaleMaxInclusive: c["scale_max_inclusive"]?.boolValue ?? false,
                    factorAttribute: c["factor_attribute"]?.stringValue,
                    magnitudeMin: c["magnitude_min"] == nil ? nil : try number(c["magnitude_min"], "\(cp).magnitude_min"),
                    before: before, when: when,
                    values: c["values"] == nil ? [] : try strings(c["values"], "\(cp).values"), defaultValue: c["default"]?.stringValue,
                    text: try string(c["text"], "\(cp).text"),
                    source: try optionalSource(c["source"], "\(cp).source", sources: sources) ?? setSource))
            }
            var fusions: [OperatorFusion] = []
            for (j, fv) in (o["fusions"] == nil ? [] : try array(o["fusions"], "\(p).fusions")).enumerated() {
                let fp = "\(p).fusions[\(j)]"
                let fo = try object(fv, fp)
                fusions.append(OperatorFusion(
                    op: try string(fo["operator"], "\(fp).operator"), after: try strings(fo["after"], "\(fp).after"),
                    before: try strings(fo["before"], "\(fp).before"), text: try string(fo["text"], "\(fp).text"),
                    source: try source(fo["source"], "\(fp).source", sources: sources)))
            }
            var missingIn: [String: [String]] = [:]
            for (release, ops) in o["missing_in"]?.objectValue?.entries ?? [] {
                guard VersionNumber(release) != nil else { throw fail("\(p).missing_in.\(release)", "'\(release)' is not a dotted version") }
                missingIn[release] = try strings(ops, "\(p).missing_in.\(release)")
            }
            var opsets: [String: [OpsetRange]] = [:]
            for (op, ranges) in o["opsets"]?.objectValue?.entries ?? [] {
                for (j, r) in try array(ranges, "\(p).opsets.\(op)").enumerated() {
                    let pair = try array(r, "\(p).opsets.\(op)[\(j)]")
                    guard pair.count == 2 else { throw fail("\(p).opsets.\(op)[\(j)]", "must be [since, until or null]") }
                    let since = try int(pair[0], "\(p).opsets.\(op)[\(j)][0]") ?? 0
                    let until = pair[1].isNull ? nil : try int(pair[1], "\(p).opsets.\(op)[\(j)][1]")
                    if let until, until < since { throw fail("\(p).opsets.\(op)[\(j)]", "ends before it starts") }
                    opsets[op, default: []].append(OpsetRange(since: since, until: until))
                }
            }
            var partial: [String: [String: String]] = [:]
            for (release, ops) in o["partial"]?.objectValue?.entries ?? [] {
                for (op, share) in try object(ops, "\(p).partial.\(release)").entries {
                    partial[release, default: [:]][op] = try string(share, "\(p).partial.\(release).\(op)")
                }
            }
            sets.append(OperatorSet(
                id: try string(o["id"], "\(p).id"), title: try string(o["title"], "\(p).title"),
                source: setSource, format: format,
                tensorTypes: try strings(o["tensor_types"], "\(p).tensor_types"), maxRank: try int(o["max_rank"], "\(p).max_rank"),
                operators: try strings(o["operators"], "\(p).operators"),
                constraints: constraints, unchecked: unchecked, maxVersions: maxVersions, maxVersionsSource: maxVersionsSource, checks: checks,
                fusions: fusions, missingIn: missingIn, partial: partial, measured: o["measured"]?.stringValue, opsets: opsets))
        }

        let low = try object(root["onnx_to_tflite"], "onnx_to_tflite")
        var lowering: [String: [String]?] = [:]
        for (op, v) in try object(low["operators"], "onnx_to_tflite.operators").entries {
            lowering[op] = v.isNull ? .some(nil) : .some(try strings(v, "onnx_to_tflite.operators.\(op)"))
        }
        var notes: [String: String] = [:]
        for (k, v) in low["special"]?.objectValue?.entries ?? [] { notes[k] = try string(v, "onnx_to_tflite.special.\(k)") }
        // An operator the hand-kept table lacks takes what onnx2tf wrote for ONNX's own node tests of it
        // (scripts/catalogue/derive_onnx_lowering.py), rather than being unknown.
        if let measured = root["onnx_to_tflite_measured"] {
            let m = try object(measured, "onnx_to_tflite_measured")
            _ = try source(m["source"], "onnx_to_tflite_measured.source", sources: sources)
            for (op, v) in try object(m["operators"], "onnx_to_tflite_measured.operators").entries where lowering[op] == nil {
                let p = "onnx_to_tflite_measured.operators.\(op)"
                let e = try object(v, p)
                switch e["verdict"]?.stringValue {
                case "builtins":
                    lowering[op] = .some(try strings(e["builtins"], "\(p).builtins"))
                    notes[op] = notes[op] ?? e["test"]?.stringValue.map { "measured on ONNX's node test \($0)" }
                case "flex":
                    lowering[op] = .some(nil)
                    notes[op] = notes[op] ?? "measured: every node test of it needed Select TF ops"
                case "none":
                    lowering[op] = .some(nil)
                    notes[op] = notes[op] ?? "measured: TensorFlow's converter has neither a builtin nor a Select TF op for it"
                default:
                    // onnx2tf failed on every node test: that says nothing of the operator, which stays unknown.
                    continue
                }
            }
        }

        var kerasLowering: [String: KerasLowering] = [:]
        var kerasLoweringSource: SourceRef?
        if let k = root["keras_to_tflite"] {
            let ko = try object(k, "keras_to_tflite")
            kerasLoweringSource = try source(ko["source"], "keras_to_tflite.source", sources: sources)
            for label in ["keras2", "keras3"] {
                let p = "keras_to_tflite.\(label)"
                let g = try object(ko[label], p)
                func table(_ key: String) throws(CatalogueError) -> [String: [String]?] {
                    var out: [String: [String]?] = [:]
                    for (n, v) in try object(g[key], "\(p).\(key)").entries {
                        out[n] = v.isNull ? .some(nil) : .some(try strings(v, "\(p).\(key).\(n)"))
                    }
                    return out
                }
                kerasLowering[label] = KerasLowering(
                    layers: try table("layers"), activations: try table("activations"),
                    needFixedBatch: Set(try strings(g["need_fixed_batch"], "\(p).need_fixed_batch")),
                    atDynamicBatch: try (table("at_dynamic_batch")).compactMapValues { $0 },
                    fullIntegerFails: Set(try strings(g["full_integer_fails"], "\(p).full_integer_fails")))
            }
        }

        var atenToEdge = ATenToEdge()
        if let a = root["aten_to_edge"] {
            let ao = try object(a, "aten_to_edge")
            atenToEdge.source = try source(ao["source"], "aten_to_edge.source", sources: sources)
            for (op, v) in try object(ao["operators"], "aten_to_edge.operators").entries {
                atenToEdge.operators[op] = try strings(v, "aten_to_edge.operators.\(op)")
            }
            for (op, v) in try object(ao["by_arguments"], "aten_to_edge.by_arguments").entries {
                var variants: [ATenToEdge.Variant] = []
                for (i, x) in try array(v, "aten_to_edge.by_arguments.\(op)").enumerated() {
                    let p = "aten_to_edge.by_arguments.\(op)[\(i)]"
                    let xo = try object(x, p)
                    var arguments: [String: [Int64]] = [:]
                    for (k, n) in try object(xo["arguments"], "\(p).arguments").entries {
                        arguments[k] = try ints(n, "\(p).arguments.\(k)").map(Int64.init)
                    }
                    variants.append(ATenToEdge.Variant(arguments: arguments, edge: try strings(xo["edge"], "\(p).edge")))
                }
                atenToEdge.byArguments[op] = variants
            }
        }

        // Cross-references the schema cannot express.
        for (i, r) in rules.enumerated() where r.code == .knownBadToolVersion {
            if let problem = ToolRule.problem(r) { throw fail("rules[\(i)].params", "(rule '\(r.id)') \(problem)") }
        }
        for r in runtimes {
            if let id = r.operators, !sets.contains(where: { $0.id == id }) {
                throw fail("runtimes.\(r.name).operators", "'\(id)' is not one of the operator_sets")
            }
            for d in r.delegates {
                if let id = d.operators, !sets.contains(where: { $0.id == id }) {
                    throw fail("runtimes.\(r.name).delegates.\(d.name).operators", "'\(id)' is not one of the operator_sets")
                }
            }
        }
        for d in devices {
            if let a = d.gpuArchitecture, !architectures.contains(where: { $0.name == a }) {
                throw fail("devices.\(d.name).gpu.architecture", "'\(a)' is not one of the gpu_architectures")
            }
        }

        var atenToONNX = ATenToONNX()
        if let a = root["aten_to_onnx"] {
            let ao = try object(a, "aten_to_onnx")
            atenToONNX.source = try source(ao["source"], "aten_to_onnx.source", sources: sources)
            for (name, v) in try object(ao["exporters"], "aten_to_onnx.exporters").entries {
                let p = "aten_to_onnx.exporters.\(name)"
                guard let exporter = ATenToONNX.Exporter(rawValue: name) else {
                    throw fail(p, "is not an exporter (torchscript, dynamo)")
                }
                let eo = try object(v, p)
                var operators: [String: [String]] = [:]
                for (op, x) in try object(eo["operators"], "\(p).operators").entries {
                    operators[op] = try strings(x, "\(p).operators.\(op)")
                }
                atenToONNX.tables[exporter] = ATenToONNX.Table(opset: try int(eo["opset"], "\(p).opset") ?? 0, operators: operators)
            }
        }

        var catalogue = Catalogue(
            sources: sources, runtimes: runtimes, devices: devices, architectures: architectures,
            architecturesSource: try optionalSource(root["gpu_architectures_source"], "gpu_architectures_source", sources: sources),
            rules: rules, tfliteOpVersions: opVersions,
            tfliteOpVersionsSource: try source(opv["source"], "tflite_op_versions.source", sources: sources),
            operatorSets: sets, lowering: lowering, loweringNotes: notes,
            loweringSource: try source(low["source"], "onnx_to_tflite.source", sources: sources),
            dispatchOverheads: overheads, kerasLowering: kerasLowering, kerasLoweringSource: kerasLoweringSource,
            latencyCalibrations: calibrations, acceleratorCalibrations: accelerators, atenToEdge: atenToEdge,
            deviceCalibrations: deviceCalibrations)
        catalogue.atenToONNX = atenToONNX
        if let r = low["recurrences"] { catalogue.recurrences = try recurrentLowering(r) }
        for (op, v) in low["rank_rewritten_above"]?.objectValue?.entries ?? [] {
            guard let n = v.intValue, n >= 1 else { throw fail("onnx_to_tflite.rank_rewritten_above.\(op)", "must be a rank (a positive integer)") }
            catalogue.loweringRankRewrittenAbove[op] = n
        }
        for (op, v) in low["rank_rewritten_keeps"]?.objectValue?.entries ?? [] {
            guard catalogue.loweringRankRewrittenAbove[op] != nil else {
                throw fail("onnx_to_tflite.rank_rewritten_keeps.\(op)", "names an operator rank_rewritten_above does not")
            }
            catalogue.loweringRankRewrittenKeeps[op] = Set(try strings(v, "onnx_to_tflite.rank_rewritten_keeps.\(op)"))
        }
        if let measured = low["rank_above_6_measured"] {
            let m = try object(measured, "onnx_to_tflite.rank_above_6_measured")
            _ = try source(m["source"], "onnx_to_tflite.rank_above_6_measured.source", sources: sources)
            var flex: [String: [String]] = [:]
            var converted: Set<String> = []
            for (name, v) in try object(m["cases"], "onnx_to_tflite.rank_above_6_measured.cases").entries {
                let p = "onnx_to_tflite.rank_above_6_measured.cases.\(name)"
                let e = try object(v, p)
                let op = try string(e["operator"], "\(p).operator")
                if e["kept"] != nil {
                    converted.insert(op)
                    catalogue.loweringRankKeptAbove6[op, default: []].formUnion(try strings(e["kept"], "\(p).kept"))
                } else if e["flex"] != nil {
                    flex[op, default: []] += try strings(e["flex"], "\(p).flex")
                }  // a form onnx2tf failed on says nothing of the rank
            }
            // Refused above 6-D only where no form of the operator converted to builtins.
            for (op, ops) in flex where !converted.contains(op) { catalogue.loweringFlexAbove6[op] = Array(Set(ops)).sorted() }
        }
        for (op, v) in low["rank_rewritten_builtins"]?.objectValue?.entries ?? [] {
            guard catalogue.loweringRankRewrittenAbove[op] != nil else {
                throw fail("onnx_to_tflite.rank_rewritten_builtins.\(op)", "names an operator rank_rewritten_above does not")
            }
            catalogue.loweringRankRewrittenBuiltins[op] = try strings(v, "onnx_to_tflite.rank_rewritten_builtins.\(op)")
        }
        return catalogue
    }
}

extension Decoder {
    /// `onnx_to_tflite.recurrences`: counts by builtin.
    func recurrentLowering(_ v: JSONValue) throws(CatalogueError) -> RecurrentLowering {
        let p = "onnx_to_tflite.recurrences"
        let o = try object(v, p)
        var r = RecurrentLowering()
        r.measured = try string(o["measured"], "\(p).measured")
        for (op, c) in try object(o["operators"], "\(p).operators").entries {
            let cell = try object(c, "\(p).operators.\(op)")
            var noBias: RecurrentLowering.NoBias? = nil
            if let nb = cell["no_bias"] {
                let q = "\(p).operators.\(op).no_bias"
                let o = try object(nb, q)
                noBias = RecurrentLowering.NoBias(
                    loopSaves: try namedInts(o["loop_saves"], "\(q).loop_saves"), stepSaves: try namedInts(o["step_saves"], "\(q).step_saves"),
                    zeroStateSaves: try namedInts(o["zero_state_saves"], "\(q).zero_state_saves"))
            }
            r.cells[op] = RecurrentLowering.Cell(
                step: try namedInts(cell["step"], "\(p).operators.\(op).step"),
                zeroStateSaves: try namedInts(cell["zero_state_saves"], "\(p).operators.\(op).zero_state_saves"), noBias: noBias)
        }
        r.perNode = try namedInts(o["node"], "\(p).node")
        let unrolled = try object(o["unrolled"], "\(p).unrolled")
        r.unrolledPerSequence = try namedInts(unrolled["sequence"], "\(p).unrolled.sequence")
        r.unrolledPerDirection = try namedInts(unrolled["direction"], "\(p).unrolled.direction")
        let bi = try object(o["bidirectional"], "\(p).bidirectional")
        r.bidirectionalLoop = try namedInts(bi["loop"], "\(p).bidirectional.loop")
        r.bidirectionalLoopPerSequence = try namedInts(bi["loop_sequence"], "\(p).bidirectional.loop_sequence")
        r.bidirectionalUnrolled = try namedInts(bi["unrolled"], "\(p).bidirectional.unrolled")
        r.givenState = try namedInts(o["given_state"], "\(p).given_state")
        if let one = o["one_step"] {
            let step = try object(one, "\(p).one_step")
            r.oneStepNode = try namedInts(step["node"], "\(p).one_step.node")
            r.oneStepDirection = try namedInts(step["direction"], "\(p).one_step.direction")
            r.oneStepTranspose = try strings(step["transpose"], "\(p).one_step.transpose")
        }
        return r
    }
}
