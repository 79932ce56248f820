import JSON

extension PreprocessSpec {
    /// `test.preprocess` as the runner (run_models.py) and the converters' check of a written file
    /// (artifact_fidelity.py) read it: {layout, color, scale, mean, std, dtype, sample_rate}.
    public var json: JSONValue {
        var o = JSONObject()
        if let v = layout { o["layout"] = .string(v.value) }
        if let v = color { o["color"] = .string(v.value) }
        if let v = scale { o["scale"] = .double(v.value) }
        if !mean.isEmpty { o["mean"] = .array(mean.map { .double($0) }) }
        if !std.isEmpty { o["std"] = .array(std.map { .double($0) }) }
        if let v = dtype { o["dtype"] = .string(v.value) }
        if let v = sampleRate { o["sample_rate"] = .int(v.value) }
        return .object(o)
    }
}
