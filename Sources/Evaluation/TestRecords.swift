#if canImport(Glibc)
import Glibc
#endif
import Conversion
import Hashing
import JSON
import Manifest

/// The last `slipway test` result of a target, kept beside its artifact as `<artifact>.test.json`, with the
/// digests it was measured on (artifact, original model, samples). A result whose digests no longer match is
/// stale; `deploy` refuses a failed or stale one and records the result in the provenance.
public struct TestRecord: Sendable, Equatable {
    /// 2 since the samples' digest is the runner's (`digest(samples:)`); a version 1 record's is not comparable.
    public var version = 2
    public var status: String
    /// The worst output's figures: cosine, max_abs, sqnr_db, top1; and the artifact's host latency_ms_p95 and latency_ms_p50.
    public var metrics: [String: Double]
    public var runtime: String?
    /// The tolerances judged, as `slipway test` judged them (key, limit, measured, passed).
    public var checks: [ToleranceCheck] = []
    public var artifactSHA: String
    public var modelSHA: String
    public var samplesSHA: String
    /// The manifest's input shapes, scalar values and preprocessing the samples were fed with (`feeds`).
    public var feeds = ""
    /// With `--layers`: the quantized layers that lost the most (`LayerSQNR.attribution`, at most
    /// `worstLayersKept`), for `check`'s SW6007 and its fix; empty otherwise.
    public var worstLayers: [LayerSQNR] = []
    /// What the run measured, for the next run to reuse when nothing it rests on changed.
    public var measured: TestMeasurement? = nil

    /// Enough for a fix and the next candidates, and a record stays small whatever the model's size.
    static let worstLayersKept = 10

    public static func path(artifact: String) -> String { artifact + ".test.json" }

    /// What a run feeds the models besides the sample files, as one canonical string ("" when the manifest
    /// states none of it): `model.inputs` shapes and scalar values (`sr: 16000`, fed to a PyTorch forward and to
    /// an artifact's input of that name) and `test.preprocess`. The same files fed otherwise measure another thing.
    public static func feeds(_ manifest: Manifest) -> String {
        var o = JSONObject()
        let shapes = manifest.model?.inputs ?? []
        if !shapes.isEmpty {
            var s = JSONObject()
            for i in shapes { s[i.name.value] = .array(i.dims.map { .string("\($0.value)") }) }
            o["inputs"] = .object(s)
        }
        let values = manifest.model?.inputValues ?? []
        if !values.isEmpty {
            var v = JSONObject()
            for i in values { v[i.name.value] = .int(i.value.value) }
            o["values"] = .object(v)
        }
        if let p = manifest.test?.preprocess { o["preprocess"] = p.json }
        return o.count == 0 ? "" : JSONValue.object(o).serialized()
    }

    /// The sample set's digest, as the runner computes it while it reads the samples and report.json states
    /// it: SHA-256 over one line `name sha256` per file, in order. Remembered by the files' identities when
    /// digests persist: a check then stats the samples instead of reading them. `read` is the runner's digest
    /// and the identities the files had before it read them: while they still have them, it describes these
    /// files, and no sample is read a second time for the record.
    static func digest(samples: [String], read: (sha256: String, identities: [FileDigests.Identity])? = nil) -> String {
        var identities: [(name: String, identity: FileDigests.Identity)] = []
        for s in samples {
            guard let id = FileDigests.Identity.of(s) else { return hashed(samples: samples) }
            identities.append((s, id))
        }
        let known = read.flatMap { $0.identities == identities.map(\.identity) ? $0.sha256 : nil }
        return FileDigests.shared.combined(identities) { known ?? hashed(samples: samples) }
    }

    static func hashed(samples: [String]) -> String {
        var h = SHA256()
        for s in samples {
            h.update("\(s.split(separator: "/").last ?? "") \(Provenance.sha256(ofFile: s) ?? "unreadable")\n")
        }
        return h.finalize()
    }

    var json: JSONValue {
        .object([
            "slipway_test_record": .int(version), "status": .string(status), "runtime": runtime.map { .string($0) } ?? .null,
            "metrics": .object(JSONObject(distinctEntries: metrics.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
            "checks": .array(checks.map { c in
                ["key": .string(c.key), "limit": .double(c.limit), "measured": c.measured.map { .double($0) } ?? .null, "passed": .bool(c.passed)]
            }),
            "artifact_sha256": .string(artifactSHA), "model_sha256": .string(modelSHA), "samples_sha256": .string(samplesSHA), "feeds": .string(feeds),
            "worst_layers": .array(worstLayers.map { l in
                ["value": .string(l.value), "node": .string(l.node), "op": .string(l.op), "sqnr_db": l.sqnrDB.map { .double($0) } ?? .null,
                 "input_sqnr_db": l.inputSQNRDB.map { .double($0) } ?? .null, "weights": .array(l.weights.map { .string($0) })]
            }),
            "measured": measured?.json ?? .null,
        ])
    }

    static func parse(_ j: JSONValue) -> TestRecord? {
        guard let version = j["slipway_test_record"]?.intValue, (1...2).contains(version), let status = j["status"]?.stringValue,
              let a = j["artifact_sha256"]?.stringValue, let m = j["model_sha256"]?.stringValue,
              let s = j["samples_sha256"]?.stringValue else { return nil }
        var metrics: [String: Double] = [:]
        for (k, v) in j["metrics"]?.objectValue?.entries ?? [] { if let d = v.doubleValue { metrics[k] = d } }
        let checks = (j["checks"]?.arrayValue ?? []).compactMap { c -> ToleranceCheck? in
            guard let key = c["key"]?.stringValue, let limit = c["limit"]?.doubleValue, let passed = c["passed"]?.boolValue else { return nil }
            return ToleranceCheck(key: key, limit: limit, measured: c["measured"]?.doubleValue, passed: passed)
        }
        let worst = (j["worst_layers"]?.arrayValue ?? []).prefix(worstLayersKept).compactMap { l -> LayerSQNR? in
            guard let value = l["value"]?.stringValue else { return nil }
            return LayerSQNR(value: value, node: l["node"]?.stringValue ?? value, op: l["op"]?.stringValue ?? "",
                             sqnrDB: l["sqnr_db"]?.doubleValue, exact: false, inputSQNRDB: l["input_sqnr_db"]?.doubleValue,
                             weights: (l["weights"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        return TestRecord(version: version, status: status, metrics: metrics, runtime: j["runtime"]?.stringValue, checks: checks, artifactSHA: a, modelSHA: m,
                          samplesSHA: s, feeds: j["feeds"]?.stringValue ?? "", worstLayers: worst, measured: TestMeasurement.parse(j["measured"]))
    }

    /// Writes each measured target's record beside its artifact (skipped targets, and those that did not
    /// run, have none).
    public static func store(_ run: TestRun) {
        guard let model = run.originalSHA256, !run.samples.isEmpty else { return }
        let read = run.samplesSHA256.flatMap { sha in run.sampleIdentities.map { (sha256: sha, identities: $0) } }
        let samples = digest(samples: run.samples, read: read)
        for t in run.targets where t.status == .passed || t.status == .failed {
            guard let artifact = t.artifact, let sha = t.artifactSHA256 ?? Provenance.sha256(ofFile: artifact) else { continue }
            var metrics: [String: Double] = [:]
            if !t.outputs.isEmpty {
                metrics["cosine"] = t.outputs.map(\.cosineMean).min()
                metrics["max_abs"] = t.outputs.map(\.maxAbs).max()
                metrics["sqnr_db"] = t.outputs.map(\.sqnrDB).min()
                if let t1 = t.outputs.compactMap(\.top1).min() { metrics["top1"] = t1 }
                // The largest over outputs, as `monitor check` takes it.
                metrics["drift_psi"] = t.outputs.compactMap(\.driftPSI).max()
                metrics["drift_jensen_shannon"] = t.outputs.compactMap(\.driftJensenShannon).max()
            }
            // Host latency, whether or not a tolerance asks for it: `monitor.latency_p95_ms` is compared with it.
            metrics["latency_ms_p95"] = percentile(t.latencyMS, 0.95)
            metrics["latency_ms_p50"] = percentile(t.latencyMS, 0.5)
            let record = TestRecord(status: t.status.rawValue, metrics: metrics.compactMapValues { $0.isFinite ? $0 : nil },
                                    runtime: t.runtimeVersion ?? t.runtime, checks: t.checks.filter { $0.limit.isFinite && ($0.measured?.isFinite ?? true) }, artifactSHA: sha, modelSHA: model, samplesSHA: samples,
                                    feeds: run.feeds, worstLayers: Array(LayerSQNR.attribution(t.layers).prefix(worstLayersKept)),
                                    measured: t.measurement(delegate: t.delegate, originalRuntimeVersion: run.originalRuntimeVersion,
                                                            samplesSHA256: run.samplesSHA256, layersMeasured: run.layersAsked))
            try? SafeWriter.write(Array((record.json.serialized(pretty: true) + "\n").utf8), to: path(artifact: artifact))
        }
    }

    /// A target's last result, and why it no longer describes this artifact, model and samples (empty: current).
    public static func last(target: TargetSpec, manifest: Manifest, manifestPath: String) -> (record: TestRecord, stale: [String])? {
        let folder = SafeWriter.directory(of: manifestPath)
        guard let modelRel = manifest.model?.path?.value else { return nil }
        let modelPath = Containment.destination(modelRel, folder: folder)
        let artifact = Containment.destination(Converter.outputPath(target: target, manifest: manifest, modelPath: modelPath), folder: folder)
        guard let b = PathSafety.contents(path(artifact: artifact), limit: 16 << 20), let j = try? JSONValue.parse(bytes: b),
              let r = parse(j)
        else { return nil }
        var stale: [String] = []
        if Provenance.sha256(ofFile: artifact) != r.artifactSHA { stale.append("the artifact changed since it was tested") }
        if Provenance.sha256(ofFile: modelPath) != r.modelSHA { stale.append("the model changed since the artifact was tested") }
        if let spec = manifest.test?.samples?.value {
            var samplesFolder = Containment.destination(spec, folder: folder)
            while samplesFolder.count > 1, samplesFolder.hasSuffix("/") { samplesFolder.removeLast() }
            if r.version < 2 {
                stale.append("the record was written by an earlier Slipway, whose digest of the samples is not comparable: test again")
            } else if case .success(let files) = SampleFiles.list(samplesFolder), digest(samples: files) != r.samplesSHA {
                stale.append("the samples changed since the last test")
            }
        }
        if feeds(manifest) != r.feeds { stale.append("model.inputs or test.preprocess changed since the last test") }
        return (r, stale)
    }
}
