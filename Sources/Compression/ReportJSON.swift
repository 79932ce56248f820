import JSON

/// The JSON the CLI prints (`slipway estimate`), built here so that the command stays a thin shell.
/// Keys are snake_case; SQNR is null when exact; byte counts are integers.
extension CompressionReport {
    public var json: JSONValue {
        var root = JSONObject()
        root["tensors"] = .array(tensors.map(\.json))
        root["total"] = totalJSON
        if let p = pruning { root["pruning"] = p.json }
        root["schemes"] = .array(totals.map(\.json))
        root["skipped"] = .array(skipped.map(\.json))
        root["findings"] = .array(findings.map(\.json))
        return .object(root)
    }

    /// The primary scheme's totals, with the keys the CLI contract names.
    var totalJSON: JSONValue {
        var o = JSONObject()
        o["parameters"] = .int(parameters)
        o["tensors"] = .int(tensors.count)
        o["skipped"] = .int(skipped.count)
        if let t = totals.first {
            o["scheme"] = .string(t.scheme.label)
            o["sqnr_db_aggregate"] = num(t.sqnrDBAggregate)
            o["sqnr_db_weighted"] = num(t.sqnrDBWeighted)
            o["sqnr_db_min"] = num(t.sqnrDBMin)
            o["tensors_exact"] = .int(t.exactTensors)
            o["bytes_before"] = .int(t.bytesBefore)
            o["bytes_after"] = .int(t.bytesAfter)
            o["worst"] = .array(t.worst.map { ["name": .string($0.name), "sqnr_db": .double($0.sqnrDB)] })
        }
        o["non_finite"] = .int(nonFinite)
        return .object(o)
    }
}

private func num(_ d: Double?) -> JSONValue { d.map { $0.isFinite ? .double($0) : .null } ?? .null }
private func num(_ f: Float?) -> JSONValue { num(f.map(Double.init)) }

extension TensorReport {
    public var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["shape"] = .array(shape.map { .int($0) })
        o["elements"] = .int(elements)
        let primary = schemes.first
        o["sqnr_db"] = num(primary?.sqnrDB)
        o["scale"] = primary.map(scaleJSON) ?? .null
        if let z = primary?.zeroPoint { o["zero_point"] = .int(z) }
        o["mse"] = num(primary?.mse)
        o["max_abs_error"] = num(primary?.maxAbsError)
        o["clipped_fraction"] = num(primary?.clippedFraction)
        o["bytes_before"] = .int(bytesBefore)
        o["bytes_after"] = primary.map { .int($0.bytesAfter) } ?? .null
        o["channel_axis"] = .int(channelAxis)
        o["reduction_axis"] = .int(reductionAxis)
        o["min"] = num(min)
        o["max"] = num(max)
        o["zeros"] = .int(zeros)
        if nonFinite > 0 { o["non_finite"] = .int(nonFinite) }
        if schemes.count > 1 { o["schemes"] = .array(schemes.map(\.json)) } else if let f = primary?.fallback {
            o["fallback"] = .string(f)
        }
        if let p = pruning { o["pruning"] = p.json }
        return .object(o)
    }

    /// A number for one group; a summary object per channel or block.
    private func scaleJSON(_ s: SchemeResult) -> JSONValue {
        if let v = s.scale { return .double(v) }
        return s.scales.map(\.json) ?? .null
    }
}

extension ScaleSummary {
    var json: JSONValue {
        var o = JSONObject()
        o["groups"] = .int(groups)
        o["exact_groups"] = .int(exactGroups)
        o["min"] = num(min)
        o["max"] = num(max)
        o["mean"] = num(mean)
        if let a = zeroPointMin, let b = zeroPointMax { o["zero_point_min"] = .int(a); o["zero_point_max"] = .int(b) }
        return .object(o)
    }
}

extension SchemeResult {
    var json: JSONValue {
        var o = JSONObject()
        o["scheme"] = .string(scheme.label)
        o["sqnr_db"] = num(sqnrDB)
        if let v = scale { o["scale"] = .double(v) } else if let s = scales { o["scale"] = s.json }
        if let z = zeroPoint { o["zero_point"] = .int(z) }
        o["mse"] = num(mse)
        o["max_abs_error"] = num(maxAbsError)
        o["clipped_fraction"] = num(clippedFraction)
        o["bytes_after"] = .int(bytesAfter)
        if let v = overflow { o["overflow"] = .int(v) }
        if let v = underflow { o["underflow"] = .int(v) }
        if let v = subnormal { o["subnormal"] = .int(v) }
        if let f = fallback { o["fallback"] = .string(f) }
        return .object(o)
    }
}

extension SchemeTotals {
    var json: JSONValue {
        [
            "scheme": .string(scheme.label), "parameters": .int(parameters),
            "sqnr_db_aggregate": num(sqnrDBAggregate), "sqnr_db_weighted": num(sqnrDBWeighted),
            "sqnr_db_min": num(sqnrDBMin), "tensors_exact": .int(exactTensors),
            "bytes_before": .int(bytesBefore), "bytes_after": .int(bytesAfter),
            "worst": .array(worst.map { ["name": .string($0.name), "sqnr_db": .double($0.sqnrDB)] }),
        ]
    }
}

extension ThresholdResult {
    var json: JSONValue {
        ["threshold": num(threshold), "sparsity": .double(sparsity), "energy_retained": num(energyRetained)]
    }
}

extension NMResult {
    var json: JSONValue {
        ["pattern": .string(pattern.description), "groups": .int(groups),
         "compliant_fraction": .double(compliantFraction), "energy_kept": num(energyKept)]
    }
}

extension SparseSizes {
    var json: JSONValue {
        var o: JSONObject = ["dense": .int(dense), "bitmask": .int(bitmask), "csr": .int(csr)]
        if let v = bitmaskQuantized { o["bitmask_quantized"] = .int(v) }
        if let v = csrQuantized { o["csr_quantized"] = .int(v) }
        return .object(o)
    }
}

extension TensorPruning {
    var json: JSONValue {
        var o = JSONObject()
        o["threshold"] = num(perTensor.threshold)
        o["sparsity"] = .double(perTensor.sparsity)
        o["energy_retained"] = num(perTensor.energyRetained)
        if let g = atGlobalThreshold { o["at_global_threshold"] = g.json }
        if let g = atGivenThreshold { o["at_given_threshold"] = g.json }
        if !nm.isEmpty { o["nm"] = .array(nm.map(\.json)) }
        o["bytes"] = sizes.json
        return .object(o)
    }
}

extension ModelPruning {
    /// `threshold`, `sparsity` and `energy_retained` are the global (one threshold for the model) figures.
    var json: JSONValue {
        var o = JSONObject()
        o["target_sparsity"] = .double(targetSparsity)
        o["threshold"] = num(global.threshold)
        o["sparsity"] = .double(global.sparsity)
        o["energy_retained"] = num(global.energyRetained)
        o["per_tensor"] = [
            "sparsity": .double(perTensorSparsity), "energy_retained": num(perTensorEnergyRetained),
            "threshold_weighted": num(perTensorThresholdWeighted),
        ]
        if let g = given { o["given"] = g.json }
        if !nm.isEmpty { o["nm"] = .array(nm.map(\.json)) }
        o["bytes"] = sizes.json
        return .object(o)
    }
}

extension SkippedTensor {
    var json: JSONValue {
        var o: JSONObject = ["name": .string(name), "reason": .string(reason.code), "message": .string(reason.message)]
        if let e = elements { o["elements"] = .int(e) }
        return .object(o)
    }
}

extension Finding {
    public var json: JSONValue {
        var o: JSONObject = ["kind": .string(kind.rawValue), "tensors": .array(tensors.map { .string($0) }),
                             "message": .string(message)]
        if let s = scheme { o["scheme"] = .string(s) }
        if let s = alternative { o["alternative"] = .string(s) }
        if let v = fromDB { o["from_db"] = num(v) }
        if let v = toDB { o["to_db"] = num(v) }
        if let v = value { o["value"] = num(v) }
        return .object(o)
    }
}
