import CheckedMath
import JSON

/// What `slipway inspect` shows, built here so that the command stays a thin shell.
extension Model {
    /// The `--json` document. Keys in a stable order; the contract keys are `format`, `bytes`, `parameters`,
    /// `operators`, `tensors`, `inputs`, `outputs`.
    public func inspectionJSON() -> JSONValue {
        var o = JSONObject()
        o["file"] = .string(path)
        o["format"] = .string(format.rawValue)
        o["bytes"] = .int(fileSize)
        o["producer"] = producer.map(JSONValue.string) ?? .null
        o["format_version"] = formatVersion.map(JSONValue.int) ?? .null
        var opsetObject = JSONObject()
        for (domain, version) in opsets.sorted(by: { $0.key < $1.key }) {
            opsetObject[domain.isEmpty ? "ai.onnx" : domain] = .int(version)
        }
        o["opsets"] = .object(opsetObject)
        o["parameters"] = .int(parameterCount)
        var byDType = JSONObject()
        for (name, n) in parametersByDType { byDType[name] = .int(n) }
        o["parameters_by_dtype"] = .object(byDType)
        var ops = JSONObject()
        for (name, n) in sortedOperators { ops[name] = .int(n) }
        o["operators"] = .object(ops)
        o["graphs"] = .int(graphs.count)
        o["tensors"] = .array(tensors.map { t in
            var j = Self.json(t)
            if let s = t.sharedWith, s < tensors.count, case .object(var o) = j {
                o["shares_storage_with"] = .string(tensors[s].name)
                j = .object(o)
            }
            return j
        })
        o["inputs"] = .array(inputs.map(Self.json))
        o["outputs"] = .array(outputs.map(Self.json))
        let q = quantizationSummary
        o["quantization"] = [
            "quantized": .bool(q.isQuantized), "scheme": q.scheme.map(JSONValue.string) ?? .null,
            "low_precision_share": .double(q.lowPrecisionShare), "evidence": .array(q.evidence.map(JSONValue.string)),
        ]
        if !layers.isEmpty { o["layers"] = .array(layers.map(Self.json)) }
        var meta = JSONObject()
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { meta[k] = .string(v) }
        o["metadata"] = .object(meta)
        if !signatures.isEmpty {
            o["signatures"] = .array(signatures.map { s in
                var so = JSONObject()
                so["key"] = .string(s.key)
                so["subgraph"] = .int(s.subgraph)
                so["inputs"] = .object(Self.sortedObject(s.inputs))
                so["outputs"] = .object(Self.sortedObject(s.outputs))
                return .object(so)
            })
        }
        return .object(o)
    }

    /// Parameters per dtype name, largest first.
    public var parametersByDType: [(String, Int)] {
        var byType: [DType: Int] = [:]
        for t in tensors where t.sharedWith == nil { byType[t.dtype, default: 0] &+= t.elementCount }
        let counts = byType.map { ($0.key.name, $0.value) }
        return counts.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// The operator histogram, most frequent first.
    public var sortedOperators: [(String, Int)] {
        operatorHistogram.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    }

    static func sortedObject(_ d: [String: String]) -> JSONObject {
        var o = JSONObject()
        for (k, v) in d.sorted(by: { $0.key < $1.key }) { o[k] = .string(v) }
        return o
    }

    static func json(_ t: ConstantTensor) -> JSONValue {
        var o = JSONObject()
        o["name"] = .string(t.name)
        o["dtype"] = .string(t.dtype.name)
        o["shape"] = .array(t.shape.map(JSONValue.int))
        o["elements"] = .int(t.elementCount)
        o["bytes"] = .int(t.storedBytes)
        if let n = t.sparseValueCount { o["stored_values"] = .int(n) }
        if let q = t.quantization {
            o["quantization"] = [
                "scales": .array(q.scales.map { .double(Double($0)) }),
                "zero_points": .array(q.zeroPoints.map { .int(Int($0)) }),
                "axis": q.axis.map(JSONValue.int) ?? .null,
            ]
        }
        return .object(o)
    }

    /// A Keras layer: `name`, `class`, `inbound`, `output_shape` (null when not inferred; null dimensions are
    /// Keras's None), `parameters`.
    static func json(_ l: KerasLayer) -> JSONValue {
        var o = JSONObject()
        o["name"] = .string(l.name)
        o["class"] = .string(l.className)
        o["inbound"] = .array(l.inbound.map(JSONValue.string))
        o["output_shape"] = l.outputShape.map { .array($0.map(json)) } ?? .null
        o["parameters"] = .int(l.parameters)
        return .object(o)
    }

    static func json(_ v: ValueInfo) -> JSONValue {
        [
            "name": .string(v.name), "dtype": v.dtype.map { .string($0.name) } ?? .null,
            "shape": v.shape.map { .array($0.map(json)) } ?? .null,
        ]
    }

    static func json(_ d: Dimension) -> JSONValue {
        switch d {
        case .fixed(let n): return .int(n)
        case .named(let s): return .string(s)
        case .unknown: return .null
        }
    }

    /// The human summary: format, producer, opsets, parameters by dtype, size, operators, inputs and
    /// outputs, quantization, and the largest tensors.
    public func textSummary(largest: Int = 10) -> String {
        var lines: [String] = []
        let version = formatVersion.map { " (\(format == .onnx ? "ir_version" : "version") \($0))" } ?? ""
        lines.append("\(path): \(Self.formatName(format))\(version), \(Self.bytes(fileSize))")
        if let producer, !producer.isEmpty { lines.append("producer: \(producer)") }
        if !opsets.isEmpty {
            lines.append("opsets: " + opsets.sorted { $0.key < $1.key }
                .map { "\($0.key.isEmpty ? "ai.onnx" : $0.key) \($0.value)" }.joined(separator: ", "))
        }
        let byDType = parametersByDType.map { "\($0.0) \(Self.count($0.1))" }.joined(separator: ", ")
        lines.append("parameters: \(Self.count(parameterCount)) in \(tensors.count) tensors" + (byDType.isEmpty ? "" : " (\(byDType))"))
        let q = quantizationSummary
        let share = Int(roundingSaturating: q.lowPrecisionShare * 100)
        lines.append("quantized: " + (q.isQuantized ? "yes, \(q.scheme ?? "unknown scheme") (\(share)% of parameters below 16 bits)" : "no"))
        if !graphs.isEmpty {
            let nodes = graphs.reduce(0) { $0 + $1.nodes.count }
            lines.append("operators: \(nodes) in \(graphs.count) graph\(graphs.count == 1 ? "" : "s")")
            for (name, n) in sortedOperators { lines.append("  \(Self.pad(name, 28)) \(n)") }
        }
        if !layers.isEmpty {
            lines.append("layers: \(layers.count)")
            for l in layers {
                let shape = l.outputShape.map { dims in
                    "[" + dims.map { d -> String in
                        if case .fixed(let n) = d { return String(n) }
                        return "?"
                    }.joined(separator: ", ") + "]"
                } ?? "?"
                lines.append("  \(Self.pad(l.name, 28)) \(Self.pad(l.className, 24)) \(Self.pad(shape, 22)) \(Self.count(l.parameters))")
            }
        }
        if !inputs.isEmpty {
            lines.append("inputs:")
            for v in inputs { lines.append("  " + Self.describe(v)) }
        }
        if !outputs.isEmpty {
            lines.append("outputs:")
            for v in outputs { lines.append("  " + Self.describe(v)) }
        }
        if !tensors.isEmpty {
            let top = tensors.sorted { $0.elementCount > $1.elementCount }.prefix(largest)
            lines.append("largest tensors:")
            for t in top {
                let tied = t.sharedWith.flatMap { $0 < tensors.count ? "  (tied: the bytes of \(tensors[$0].name))" : nil } ?? ""
                lines.append("  \(Self.pad(t.name, 40)) \(Self.pad(t.dtype.name, 9)) \(Self.pad("[" + t.shape.map(String.init).joined(separator: ", ") + "]", 22)) \(Self.count(t.elementCount))\(tied)")
            }
        }
        if !metadata.isEmpty {
            lines.append("metadata:")
            for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
                let shown = v.count > 80 ? String(v.prefix(77)) + "..." : v
                lines.append("  \(k): \(shown)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func formatName(_ f: ModelFormat) -> String {
        switch f {
        case .onnx: return "ONNX"
        case .tflite: return "TFLite"
        case .safetensors: return "safetensors"
        case .gguf: return "GGUF"
        case .keras: return "Keras"
        case .pytorch: return "PyTorch"
        }
    }

    static func describe(_ v: ValueInfo) -> String {
        let shape = v.shape.map { dims in
            "[" + dims.map { d -> String in
                switch d {
                case .fixed(let n): return String(n)
                case .named(let s): return s
                case .unknown: return "?"
                }
            }.joined(separator: ", ") + "]"
        } ?? "(unknown rank)"
        return "\(pad(v.name, 30)) \(pad(v.dtype?.name ?? "?", 9)) \(shape)"
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// 1234567 → "1,234,567".
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func bytes(_ n: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB"]
        var v = Double(n)
        var u = 0
        while v >= 1000, u < units.count - 1 { v /= 1000; u += 1 }
        let tenths = Int(roundingSaturating: v * 10)
        return u == 0 ? "\(n) bytes" : "\(tenths / 10).\(tenths % 10) \(units[u])"
    }
}
