import JSON

/// `slipway test --json` and `report.json` (docs/test.md documents every key). Version 1.
extension TestRun {
    public static let schemaVersion = 1

    /// Everything but the diagnostics, whose positions need the manifest's line index (the caller adds them).
    public var json: JSONObject {
        var root = JSONObject()
        root["slipway_test"] = .int(Self.schemaVersion)
        root["manifest"] = .string(manifestPath)
        root["samples"] = .object([
            "count": .int(samples.count), "sha256": samplesSHA256.map { .string($0) } ?? .null,
            "files": .array(samples.map { .string($0) }),
        ])
        root["original"] = .object([
            "path": originalPath.map { .string($0) } ?? .null, "sha256": originalSHA256.map { .string($0) } ?? .null,
            "runtime": originalRuntime.map { .string($0) } ?? .null,
            "runtime_version": originalRuntimeVersion.map { .string($0) } ?? .null,
        ])
        root["exit"] = .int(Int(exitCode))
        root["setup_error"] = setupError.map { .string($0) } ?? .null
        root["targets"] = .array(targets.map { .object($0.json(samples: samples)) })
        return root
    }
}

extension TargetTestResult {
    func json(samples: [String]) -> JSONObject {
        var o = JSONObject()
        o["name"] = .string(name)
        o["status"] = .string(status.rawValue)
        o["reason"] = reason.map { .string($0) } ?? .null
        o["artifact"] = artifact.map { .string($0) } ?? .null
        o["artifact_sha256"] = artifactSHA256.map { .string($0) } ?? .null
        o["runtime"] = runtime.map { .string($0) } ?? .null
        o["runtime_version"] = runtimeVersion.map { .string($0) } ?? .null
        o["peak_rss_kb"] = peakRSSKB.map { .int($0) } ?? .null
        o["integer_matmul"] = integerMatmul.map { .string($0.rawValue) } ?? .null
        o["reused"] = .bool(reused)
        o["ran_on"] = ranOn.map { .string($0) } ?? .null
        o["placement_note"] = placementNote.map { .string($0) } ?? .null
        o["latency_ms"] = Self.latency(latencyMS)
        o["original_latency_ms"] = Self.latency(originalLatencyMS)
        o["outputs"] = .array(outputs.map { m in
            var out = JSONObject()
            out["name"] = .string(m.name)
            out["values_per_sample"] = .int(m.perSample)
            out["cosine_min"] = .double(m.cosineMin)
            out["cosine_mean"] = .double(m.cosineMean)
            out["max_abs"] = .double(m.maxAbs)
            out["mean_abs"] = .double(m.meanAbs)
            // JSON has no infinity: identical outputs have no noise, and their SQNR is null.
            out["sqnr_db"] = m.sqnrDB.isFinite ? .double(m.sqnrDB) : .null
            out["top1"] = m.top1.map { .double($0) } ?? .null
            out["top5"] = m.top5.map { .double($0) } ?? .null
            out["drift_psi"] = m.driftPSI.map { .double($0) } ?? .null
            out["drift_jensen_shannon"] = m.driftJensenShannon.map { .double($0) } ?? .null
            let worst = m.sampleMaxAbs.indices.sorted { m.sampleMaxAbs[$0] > m.sampleMaxAbs[$1] }.prefix(5)
            out["worst_samples"] = .array(worst.map { i in
                ["file": .string(i < samples.count ? samples[i] : "#\(i)"), "max_abs": .double(m.sampleMaxAbs[i]),
                 "cosine": .double(m.sampleCosine[i])]
            })
            out["sample_max_abs"] = .array(m.sampleMaxAbs.map { .double($0) })
            return .object(out)
        })
        // Per-layer attribution (`--layers`): null when not asked for or not made; in graph order.
        if !layers.isEmpty || layersError != nil {
            o["layers"] = .array(layers.map { l in
                ["value": .string(l.value), "node": .string(l.node), "op": .string(l.op),
                 "sqnr_db": l.sqnrDB.map { .double($0) } ?? .null, "exact": .bool(l.exact),
                 "input_sqnr_db": l.inputSQNRDB.map { .double($0) } ?? .null, "weights": .array(l.weights.map { .string($0) })]
            })
            o["layers_coverage"] = layersCoverage?.json ?? .null
            o["layers_error"] = layersError.map { .string($0) } ?? .null
        } else {
            o["layers"] = .null
            o["layers_coverage"] = .null
        }
        o["tolerances"] = .array(checks.map { c in
            ["key": .string(c.key), "limit": .double(c.limit), "measured": c.measured.map { .double($0) } ?? .null,
             "passed": .bool(c.passed)]
        })
        return o
    }

    static func latency(_ values: [Double]) -> JSONValue {
        guard !values.isEmpty else { return .null }
        return [
            "p50": .double(percentile(values, 0.5) ?? 0), "p95": .double(percentile(values, 0.95) ?? 0),
            "mean": .double(values.reduce(0, +) / Double(values.count)), "runs": .array(values.map { .double($0) }),
        ]
    }
}
