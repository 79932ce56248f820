import Manifest
import ModelFormats

/// A Triton Inference Server model configuration (`config.pbtxt`, protobuf text format of
/// `inference.ModelConfig`, https://github.com/triton-inference-server/common/blob/main/protobuf/model_config.proto):
/// the platform from the artifact's format, inputs and outputs with data types and dims from the artifact
/// itself, batching from the manifest's `deploy.triton`, the instance kind from the target's runtime.
struct TritonConfig: Sendable, Equatable {
    struct Tensor: Sendable, Equatable {
        var name: String
        var dataType: String
        var dims: [Int]
    }

    var name: String
    var platform: String
    var modelFile: String
    var maxBatchSize: Int
    var inputs: [Tensor]
    var outputs: [Tensor]
    var dynamicBatching: Bool
    var maxQueueDelayMicroseconds: Int
    var instanceKind: String
    var instances: Int

    /// The platform and model file name Triton expects for a format; nil for formats Triton does not serve.
    static func platform(format: String) -> (platform: String, file: String)? {
        switch format {
        case "onnx": return ("onnxruntime_onnx", "model.onnx")
        case "engine", "plan": return ("tensorrt_plan", "model.plan")
        default: return nil
        }
    }

    /// The Triton data type of a tensor element type (model_config.proto's `DataType`).
    static func dataType(_ d: DType?) -> String? {
        switch d {
        case .float32?: return "TYPE_FP32"
        case .float16?: return "TYPE_FP16"
        case .bfloat16?: return "TYPE_BF16"
        case .float64?: return "TYPE_FP64"
        case .int8?: return "TYPE_INT8"
        case .int16?: return "TYPE_INT16"
        case .int32?: return "TYPE_INT32"
        case .int64?: return "TYPE_INT64"
        case .uint8?: return "TYPE_UINT8"
        case .uint16?: return "TYPE_UINT16"
        case .uint32?: return "TYPE_UINT32"
        case .uint64?: return "TYPE_UINT64"
        case .bool?: return "TYPE_BOOL"
        case .string?: return "TYPE_STRING"
        default: return nil
        }
    }

    /// Builds the configuration, or says why Triton could not serve this artifact as the manifest asks.
    static func make(name: String, model: Model, format: String, target: TargetSpec, spec: TritonSpec?)
        -> Result<TritonConfig, DeployError>
    {
        let t = target.name.value
        guard let p = platform(format: format) else {
            return .failure(DeployError(.unsupported, "target \(t): Triton serves ONNX (onnxruntime backend) and TensorRT plans; a \(format) artifact needs layout `plain` or `oci`"))
        }
        let maxBatch = spec?.maxBatchSize?.value ?? 0
        let dynamic = spec?.dynamicBatching?.value ?? false
        if dynamic && maxBatch == 0 {
            return .failure(DeployError(.manifest, "target \(t): deploy.triton.dynamic_batching needs deploy.triton.max_batch_size above 0 (Triton batches only models that take a batch dimension)"))
        }
        func tensors(_ values: [ValueInfo], role: String) -> Result<[Tensor], DeployError> {
            var out: [Tensor] = []
            for v in values {
                guard let dt = dataType(v.dtype) else {
                    return .failure(DeployError(.unsupported, "target \(t): \(role) \(v.name) has element type \(v.dtype.map { "\($0)" } ?? "unknown"), which Triton has no data type for"))
                }
                var dims = (v.shape ?? []).map { d -> Int in
                    if case .fixed(let n) = d { return n }
                    return -1
                }
                if v.shape == nil {
                    return .failure(DeployError(.unsupported, "target \(t): \(role) \(v.name) has no declared shape; Triton needs its rank"))
                }
                if maxBatch > 0 {
                    // With max_batch_size > 0 Triton owns the first dimension: the model's must be free.
                    guard let first = dims.first, first == -1 else {
                        return .failure(DeployError(.manifest, "target \(t): deploy.triton.max_batch_size \(maxBatch) needs a dynamic first (batch) dimension, but \(role) \(v.name) has shape [\(dims.map(String.init).joined(separator: ", "))]; export with a dynamic batch axis or set max_batch_size: 0"))
                    }
                    dims.removeFirst()
                }
                out.append(Tensor(name: v.name, dataType: dt, dims: dims))
            }
            return .success(out)
        }
        let ins: [Tensor], outs: [Tensor]
        switch tensors(model.inputs, role: "input") {
        case .success(let x): ins = x
        case .failure(let e): return .failure(e)
        }
        switch tensors(model.outputs, role: "output") {
        case .success(let x): outs = x
        case .failure(let e): return .failure(e)
        }
        let gpu = target.runtime?.value.name == "tensorrt" || ["cuda", "tensorrt"].contains(target.delegate?.value ?? "")
        return .success(TritonConfig(
            name: name, platform: p.platform, modelFile: p.file, maxBatchSize: maxBatch, inputs: ins, outputs: outs,
            dynamicBatching: dynamic, maxQueueDelayMicroseconds: spec?.maxQueueDelayMicroseconds?.value ?? 0,
            instanceKind: gpu ? "KIND_GPU" : "KIND_CPU", instances: spec?.instances?.value ?? 1))
    }

    /// The protobuf text format, fields in model_config.proto's order, so the file is stable across runs.
    var text: String {
        var s = "# Generated by slipway deploy from the artifact and the manifest; edits are replaced on the next deploy.\n"
        s += "name: \(Self.quoted(name))\n"
        s += "platform: \(Self.quoted(platform))\n"
        s += "default_model_filename: \(Self.quoted(modelFile))\n"
        s += "max_batch_size: \(maxBatchSize)\n"
        // The newest version serves; older versions stay on disk for a rollback.
        s += "version_policy: { latest: { num_versions: 1 } }\n"
        func block(_ key: String, _ ts: [Tensor]) {
            guard !ts.isEmpty else { return }
            s += "\(key) [\n"
            for (i, t) in ts.enumerated() {
                s += "  {\n    name: \(Self.quoted(t.name))\n    data_type: \(t.dataType)\n    dims: [ \(t.dims.map(String.init).joined(separator: ", ")) ]\n  }\(i + 1 < ts.count ? "," : "")\n"
            }
            s += "]\n"
        }
        block("input", inputs)
        block("output", outputs)
        s += "instance_group [\n  {\n    count: \(instances)\n    kind: \(instanceKind)\n  }\n]\n"
        if dynamicBatching {
            s += "dynamic_batching {\n  max_queue_delay_microseconds: \(maxQueueDelayMicroseconds)\n}\n"
        }
        return s
    }

    /// A protobuf text-format string literal.
    static func quoted(_ v: String) -> String {
        var out = "\""
        for u in v.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let o = String(u.value, radix: 8)
                    out += "\\" + String(repeating: "0", count: 3 - o.count) + o
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
