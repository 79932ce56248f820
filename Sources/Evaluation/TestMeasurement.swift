import Conversion
import Hashing
import JSON

/// What one `slipway test` run measured for a target, kept in its record (`<artifact>.test.json`) so that the next
/// run on the same artifact, original, samples, runtime versions and delegate reuses it instead of running the
/// models again. The verdict is not kept: the tolerances are judged again on these figures, so a changed
/// `test.tolerance` applies without a run.
public struct TestMeasurement: Sendable, Equatable {
    public var outputs: [OutputMetrics]
    public var latencyMS: [Double]
    public var originalLatencyMS: [Double]
    public var peakRSSKB: Int?
    /// The artifact's runtime version, and the original's (they differ for a Keras original run in TensorFlow).
    public var runtimeVersion: String
    public var originalRuntimeVersion: String
    /// The target's `delegate` when measured, what ran, and why that differs.
    public var delegate: String?
    public var ranOn: String?
    public var placementNote: String?
    public var integerMatmul: IntegerMatmul?
    /// The runner's digest of the samples as it read them (report.json's `samples.sha256`).
    public var samplesSHA256: String?
    /// With `--layers`; nil when the run did not measure them.
    public var layers: [LayerSQNR]?
    /// With `--layers`: what `layers` covers (nil in a record written before it was measured: measured again).
    public var layersCoverage: LayerCoverage?
    /// The digest of the runner that measured it (`scripts/runners/run_models.py` as embedded, with the version of
    /// the comparison that made its figures): another runner or comparison pairs and reads outputs its own way, so
    /// its figures are measured again (nil in a record written before this).
    public var runnerSHA256: String? = TestMeasurement.runner

    /// This Slipway's runner's digest.
    public static let runner = SHA256.hex(EmbeddedRunners.runModels + "\ncomparison \(comparison)")
    /// Raised when the figures are computed otherwise from the same runner's outputs: 3 since an output stored
    /// channels last is compared in the original's layout, the better reading where the shapes cannot tell
    /// (`OutputLayout`).
    static let comparison = 3

    /// Per-layer figures kept for reuse at most: a record stays small whatever the model's size.
    static let layersKept = 5_000

    var json: JSONValue {
        var o = JSONObject()
        o["outputs"] = .array(outputs.map { m in
            [
                "name": .string(m.name), "per_sample": .int(m.perSample), "samples": .int(m.samples),
                "cosine_min": .double(m.cosineMin), "cosine_mean": .double(m.cosineMean), "max_abs": .double(m.maxAbs),
                "mean_abs": .double(m.meanAbs), "sqnr_db": m.sqnrDB.isFinite ? .double(m.sqnrDB) : .null,
                "top1": m.top1.map { .double($0) } ?? .null, "top5": m.top5.map { .double($0) } ?? .null,
                "drift_psi": m.driftPSI.map { .double($0) } ?? .null,
                "drift_jensen_shannon": m.driftJensenShannon.map { .double($0) } ?? .null,
                "sample_max_abs": .array(m.sampleMaxAbs.map { .double($0) }),
                "sample_cosine": .array(m.sampleCosine.map { .double($0) }),
            ]
        })
        o["latency_ms"] = .array(latencyMS.map { .double($0) })
        o["original_latency_ms"] = .array(originalLatencyMS.map { .double($0) })
        o["peak_rss_kb"] = peakRSSKB.map { .int($0) } ?? .null
        o["runtime_version"] = .string(runtimeVersion)
        o["original_runtime_version"] = .string(originalRuntimeVersion)
        o["runner_sha256"] = runnerSHA256.map { .string($0) } ?? .null
        o["delegate"] = delegate.map { .string($0) } ?? .null
        o["ran_on"] = ranOn.map { .string($0) } ?? .null
        o["placement_note"] = placementNote.map { .string($0) } ?? .null
        o["integer_matmul"] = integerMatmul.map { .string($0.rawValue) } ?? .null
        o["samples_sha256"] = samplesSHA256.map { .string($0) } ?? .null
        o["layers"] = layers.map { list in
            .array(list.prefix(Self.layersKept).map { l in
                ["value": .string(l.value), "node": .string(l.node), "op": .string(l.op),
                 "sqnr_db": l.sqnrDB.map { .double($0) } ?? .null, "exact": .bool(l.exact),
                 "input_sqnr_db": l.inputSQNRDB.map { .double($0) } ?? .null, "weights": .array(l.weights.map { .string($0) })]
            })
        } ?? .null
        o["layers_coverage"] = layersCoverage?.json ?? .null
        return .object(o)
    }

    /// Nil for a record without a measurement, or one this version cannot read (then the models run again).
    static func parse(_ j: JSONValue?) -> TestMeasurement? {
        guard let j, j.objectValue != nil, let version = j["runtime_version"]?.stringValue,
              let originalVersion = j["original_runtime_version"]?.stringValue,
              let rawOutputs = j["outputs"]?.arrayValue else { return nil }
        func doubles(_ v: JSONValue?) -> [Double]? { v?.arrayValue?.compactMap(\.doubleValue) }
        var outputs: [OutputMetrics] = []
        for o in rawOutputs {
            guard let name = o["name"]?.stringValue, let perSample = o["per_sample"]?.intValue, let samples = o["samples"]?.intValue,
                  let cosMin = o["cosine_min"]?.doubleValue, let cosMean = o["cosine_mean"]?.doubleValue,
                  let maxAbs = o["max_abs"]?.doubleValue, let meanAbs = o["mean_abs"]?.doubleValue,
                  let sampleMax = doubles(o["sample_max_abs"]), let sampleCos = doubles(o["sample_cosine"])
            else { return nil }
            outputs.append(OutputMetrics(
                name: name, perSample: perSample, samples: samples, cosineMin: cosMin, cosineMean: cosMean, maxAbs: maxAbs,
                meanAbs: meanAbs, sqnrDB: o["sqnr_db"]?.doubleValue ?? .infinity, top1: o["top1"]?.doubleValue,
                top5: o["top5"]?.doubleValue, sampleMaxAbs: sampleMax, sampleCosine: sampleCos,
                driftPSI: o["drift_psi"]?.doubleValue, driftJensenShannon: o["drift_jensen_shannon"]?.doubleValue))
        }
        let layers = j["layers"]?.arrayValue.map { list in
            list.compactMap { l -> LayerSQNR? in
                guard let value = l["value"]?.stringValue else { return nil }
                return LayerSQNR(value: value, node: l["node"]?.stringValue ?? value, op: l["op"]?.stringValue ?? "",
                                 sqnrDB: l["sqnr_db"]?.doubleValue, exact: l["exact"]?.boolValue ?? false,
                                 inputSQNRDB: l["input_sqnr_db"]?.doubleValue,
                                 weights: (l["weights"]?.arrayValue ?? []).compactMap(\.stringValue))
            }
        }
        return TestMeasurement(
            outputs: outputs, latencyMS: doubles(j["latency_ms"]) ?? [], originalLatencyMS: doubles(j["original_latency_ms"]) ?? [],
            peakRSSKB: j["peak_rss_kb"]?.intValue, runtimeVersion: version, originalRuntimeVersion: originalVersion,
            delegate: j["delegate"]?.stringValue, ranOn: j["ran_on"]?.stringValue, placementNote: j["placement_note"]?.stringValue,
            integerMatmul: j["integer_matmul"]?.stringValue.flatMap(IntegerMatmul.init(rawValue:)),
            samplesSHA256: j["samples_sha256"]?.stringValue, layers: layers,
            layersCoverage: LayerCoverage.parse(j["layers_coverage"]), runnerSHA256: j["runner_sha256"]?.stringValue)
    }
}

extension TargetTestResult {
    /// The figures a later run may reuse; nil when the target was not measured.
    func measurement(delegate: String?, originalRuntimeVersion: String?, samplesSHA256: String?, layersMeasured: Bool) -> TestMeasurement? {
        guard status == .passed || status == .failed, !outputs.isEmpty, let version = runtimeVersion,
              let originalVersion = originalRuntimeVersion else { return nil }
        return TestMeasurement(
            outputs: outputs, latencyMS: latencyMS, originalLatencyMS: originalLatencyMS, peakRSSKB: peakRSSKB,
            runtimeVersion: version, originalRuntimeVersion: originalVersion, delegate: delegate, ranOn: ranOn,
            placementNote: placementNote, integerMatmul: integerMatmul, samplesSHA256: samplesSHA256,
            layers: layersMeasured && layersError == nil ? layers : nil,
            layersCoverage: layersMeasured && layersError == nil ? layersCoverage : nil)
    }

    /// This target as `m` measured it, before the tolerances are judged again.
    mutating func restore(_ m: TestMeasurement, layersAsked: Bool) {
        outputs = m.outputs
        latencyMS = m.latencyMS
        originalLatencyMS = m.originalLatencyMS
        peakRSSKB = m.peakRSSKB
        runtimeVersion = m.runtimeVersion
        ranOn = m.ranOn
        placementNote = m.placementNote
        integerMatmul = m.integerMatmul
        layers = layersAsked ? m.layers ?? [] : []
        layersCoverage = layersAsked ? m.layersCoverage : nil
        reused = true
    }
}
