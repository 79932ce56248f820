import CheckedMath
import JSON

/// Output shapes of Keras layers from their configs, in layer order (a Functional config lists a layer after
/// its inputs), following each layer's `compute_output_shape` in Keras 3 (`keras/src/layers/...`). Batch
/// first; `.unknown` for a dimension Keras leaves as None. A layer these rules do not know gets nil, and so
/// does everything after it that needs its shape.
enum KerasShapes {
    static func infer(_ layers: inout [KerasLayer]) {
        var byName: [String: [Dimension]] = [:]
        for i in layers.indices {
            let inputs = layers[i].inbound.map { byName[$0] }
            let known = inputs.compactMap { $0 }
            let shape: [Dimension]?
            if layers[i].className == "InputLayer" {
                shape = dims(layers[i].config["batch_shape"] ?? layers[i].config["batch_input_shape"])
            } else if known.count == inputs.count, !known.isEmpty {
                shape = output(layers[i].className, layers[i].config, known)
            } else {
                shape = nil
            }
            layers[i].outputShape = shape
            if let shape { byName[layers[i].name] = shape }
        }
    }

    static func dims(_ v: JSONValue?) -> [Dimension]? {
        guard let a = v?.arrayValue else { return nil }
        return a.map { d in d.intValue.map { $0 >= 0 ? Dimension.fixed($0) : .unknown } ?? .unknown }
    }

    static func ints(_ v: JSONValue?, rank: Int, default d: Int) -> [Int] {
        if let n = v?.intValue { return Array(repeating: n, count: rank) }
        if let a = v?.arrayValue, a.count == rank { return a.map { $0.intValue ?? d } }
        return Array(repeating: d, count: rank)
    }

    /// Layers that keep their input's shape.
    static let sameShape: Set<String> = [
        "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU", "Dropout", "SpatialDropout1D",
        "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "BatchNormalization",
        "LayerNormalization", "GroupNormalization", "UnitNormalization", "Normalization", "Rescaling", "Masking",
        "ActivityRegularization", "Identity",
    ]
    static let merges: Set<String> = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]

    static func output(_ cls: String, _ c: JSONValue, _ inputs: [[Dimension]]) -> [Dimension]? {
        guard let x = inputs.first else { return nil }
        if sameShape.contains(cls) { return x }
        if merges.contains(cls) {
            // Broadcast: a fixed size wins over 1 or unknown.
            var out = x
            for other in inputs.dropFirst() where other.count == out.count {
                for (i, d) in other.enumerated() {
                    if case .fixed(let n) = d, n != 1 { out[i] = d }
                }
            }
            return out
        }
        let channelsFirst = c["data_format"]?.stringValue == "channels_first"
        switch cls {
        case "Dense":
            guard let units = c["units"]?.intValue, !x.isEmpty else { return nil }
            return x.dropLast() + [.fixed(units)]
        case "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
             "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose":
            let rank = x.count - 2
            guard rank >= 1 else { return nil }
            let kernel = ints(c["kernel_size"], rank: rank, default: 1)
            let strides = ints(c["strides"], rank: rank, default: 1)
            let dilation = ints(c["dilation_rate"], rank: rank, default: 1)
            let padding = c["padding"]?.stringValue ?? "valid"
            let transpose = cls.hasSuffix("Transpose")
            var spatial: [Dimension] = []
            for i in 0..<rank {
                guard case .fixed(let n) = x[channelsFirst ? i + 2 : i + 1] else { spatial.append(.unknown); continue }
                spatial.append(transpose
                    ? transposedLength(n, kernel[i], strides[i], dilation[i], padding)
                    : convLength(n, kernel[i], strides[i], dilation[i], padding))
            }
            let inChannels = x[channelsFirst ? 1 : x.count - 1]
            let channels: Dimension
            if cls.hasPrefix("Depthwise") {
                let multiplier = c["depth_multiplier"]?.intValue ?? 1
                if case .fixed(let n) = inChannels { channels = .fixed(n.multipliedReportingOverflow(by: multiplier).overflow ? 0 : n * multiplier) } else { channels = .unknown }
            } else {
                guard let filters = c["filters"]?.intValue else { return nil }
                channels = .fixed(filters)
            }
            return channelsFirst ? [x[0], channels] + spatial : [x[0]] + spatial + [channels]
        case "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D":
            let rank = x.count - 2
            guard rank >= 1 else { return nil }
            let pool = ints(c["pool_size"], rank: rank, default: 2)
            let strides = c["strides"].flatMap { $0.isNull ? nil : $0 }.map { ints($0, rank: rank, default: 1) } ?? pool
            let padding = c["padding"]?.stringValue ?? "valid"
            var out = x
            for i in 0..<rank {
                let axis = channelsFirst ? i + 2 : i + 1
                if case .fixed(let n) = x[axis] { out[axis] = convLength(n, pool[i], strides[i], 1, padding) }
            }
            return out
        case "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
             "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D":
            guard x.count >= 3 else { return nil }
            if c["keepdims"]?.boolValue == true {
                return x.enumerated().map { i, d in (channelsFirst ? i >= 2 : (i >= 1 && i < x.count - 1)) ? .fixed(1) : d }
            }
            return [x[0], channelsFirst ? x[1] : x[x.count - 1]]
        case "Flatten":
            var product = 1
            for d in x.dropFirst() {
                guard case .fixed(let n) = d else { return [x[0], .unknown] }
                let (p, o) = product.multipliedReportingOverflow(by: n)
                if o { return [x[0], .unknown] }
                product = p
            }
            return [x[0], .fixed(product)]
        case "Reshape":
            guard let target = c["target_shape"]?.arrayValue?.map({ $0.intValue ?? -1 }) else { return nil }
            var known = 1
            for d in x.dropFirst() {
                guard case .fixed(let n) = d else { return [x[0]] + target.map { $0 >= 0 ? .fixed($0) : .unknown } }
                known = known.multipliedReportingOverflow(by: n).overflow ? 0 : known * n
            }
            let fixedProduct = target.filter { $0 > 0 }.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? 0 : $0 * $1 }
            return [x[0]] + target.map { $0 >= 0 ? .fixed($0) : (fixedProduct > 0 ? .fixed(known / fixedProduct) : .unknown) }
        case "Concatenate":
            var axis = c["axis"]?.intValue ?? -1
            if axis < 0 { axis += x.count }
            guard axis >= 0, axis < x.count, inputs.allSatisfy({ $0.count == x.count }) else { return nil }
            var out = x
            var total = 0
            for input in inputs {
                guard case .fixed(let n) = input[axis] else { out[axis] = .unknown; return out }
                total = total.addingReportingOverflow(n).overflow ? 0 : total + n
            }
            out[axis] = .fixed(total)
            return out
        case "Embedding":
            guard let dim = c["output_dim"]?.intValue else { return nil }
            return x + [.fixed(dim)]
        case "LSTM", "GRU", "SimpleRNN":
            guard let units = c["units"]?.intValue, x.count == 3 else { return nil }
            return c["return_sequences"]?.boolValue == true ? [x[0], x[1], .fixed(units)] : [x[0], .fixed(units)]
        case "Bidirectional":
            guard let inner = c["layer"], let innerClass = inner["class_name"]?.stringValue, let innerConfig = inner["config"],
                  let one = output(innerClass, innerConfig, inputs), case .fixed(let n)? = one.last
            else { return nil }
            let merge = c["merge_mode"]?.stringValue ?? "concat"
            return merge == "concat" ? one.dropLast() + [.fixed(n.multipliedReportingOverflow(by: 2).overflow ? 0 : 2 * n)] : one
        case "MultiHeadAttention":
            if let out = c["output_shape"]?.arrayValue { return x.dropLast() + out.map { $0.intValue.map(Dimension.fixed) ?? .unknown } }
            return x
        case "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
             "Cropping1D", "Cropping2D", "Cropping3D":
            return resized(cls, c, x, channelsFirst: channelsFirst)
        default:
            return nil
        }
    }

    static func convLength(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ padding: String) -> Dimension {
        guard s > 0, k > 0, d > 0 else { return .unknown }
        if padding == "same" { return .fixed(add(n, s - 1) / s) }
        let effective = (k - 1).multipliedReportingOverflow(by: d)
        guard !effective.overflow, n - effective.partialValue > 0 else { return .fixed(0) }
        return .fixed((n - effective.partialValue - 1) / s + 1)
    }

    static func transposedLength(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ padding: String) -> Dimension {
        let (scaled, o) = n.multipliedReportingOverflow(by: s)
        guard !o, s > 0, k > 0, d > 0 else { return .unknown }
        if padding == "same" { return .fixed(scaled) }
        return .fixed(max(0, add(scaled, max(0, add(mul(k - 1, d), 1 - s)))))
    }

    /// Saturating arithmetic on sizes from the file.
    static func add(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? (b > 0 ? Int.max : Int.min) : r
    }
    static func mul(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? ((a < 0) != (b < 0) ? Int.min : Int.max) : r
    }

    static func resized(_ cls: String, _ c: JSONValue, _ x: [Dimension], channelsFirst: Bool) -> [Dimension]? {
        let rank = x.count - 2
        guard rank >= 1 else { return nil }
        var out = x
        for i in 0..<rank {
            let axis = channelsFirst ? i + 2 : i + 1
            guard case .fixed(let n) = x[axis] else { continue }
            if cls.hasPrefix("UpSampling") {
                let size = ints(c["size"], rank: rank, default: 2)[i]
                out[axis] = .fixed(n.multipliedReportingOverflow(by: size).overflow ? 0 : n * size)
            } else {
                let key = cls.hasPrefix("ZeroPadding") ? "padding" : "cropping"
                let pair: (Int, Int)
                if let v = c[key]?.intValue { pair = (v, v) }
                else if let a = c[key]?.arrayValue, a.count == rank, let p = a[i].arrayValue, p.count == 2 { pair = (p[0].intValue ?? 0, p[1].intValue ?? 0) }
                else if let a = c[key]?.arrayValue, a.count == rank, let v = a[i].intValue { pair = (v, v) }
                else if let a = c[key]?.arrayValue, a.count == 2, rank == 1 { pair = (a[0].intValue ?? 0, a[1].intValue ?? 0) }
                else { return nil }
                let sum = add(pair.0, pair.1)
                out[axis] = .fixed(max(0, key == "padding" ? add(n, sum) : (sum == Int.min ? 0 : add(n, -sum))))
            }
        }
        return out
    }
}

extension Model {
    /// The Keras layers with their shapes inferred again after fixing input dimensions (`inputs`: by input
    /// layer name, nil entries keep the model's); a dimension still unknown stays `.unknown`.
    public func kerasLayers(fixing inputs: [String: [Int?]]) -> [KerasLayer] {
        guard !inputs.isEmpty else { return layers }
        var fixed = layers
        for i in fixed.indices where fixed[i].className == "InputLayer" {
            guard let override = inputs[fixed[i].name], let shape = fixed[i].outputShape, override.count == shape.count,
                  case .object(var o) = fixed[i].config else { continue }
            let dims = zip(shape, override).map { d, v -> JSONValue in
                if let v { return .int(v) }
                if case .fixed(let n) = d { return .int(n) }
                return .null
            }
            o["batch_shape"] = .array(dims)
            o["batch_input_shape"] = nil
            fixed[i].config = .object(o)
        }
        KerasShapes.infer(&fixed)
        return fixed
    }
}
