#if canImport(Glibc)
import Glibc
#endif
import Conversion
import Hashing
import JSON
import Manifest

/// The last `slipway test` result of a target, kept beside its artifact as `<artifact>.test.json`, with the
/// digests it was measured on (artifact, original model, samples) and the runtime's version. A result whose
/// digests no longer match is stale; `deploy` refuses a failed or stale one.
public struct TestRecord: Sendable, Equatable {
    public var status: String
    public var metrics: [String: Double]
    public var runtime: String?
    public var artifactSHA: String
    public var modelSHA: String
    public var samplesSHA: String

    public static func path(artifact: String) -> String { artifact + ".test.json" }

    /// SHA-256 over the sample files' names and contents, in order.
    static func digest(samples: [String]) -> String {
        var h = SHA256()
        for s in samples {
            h.update(SafeWriter.lastComponent(s) + "\u{0}")
            h.update(fileDigest(s) ?? "unreadable")
        }
        return h.finalize()
    }

    static func fileDigest(_ path: String) -> String? {
        guard let b = Runner.read(path) else { return nil }
        var h = SHA256()
        h.update(b)
        return h.finalize()
    }

    var json: JSONValue {
        .object([
            "slipway_test_record": 1, "status": .string(status), "runtime": runtime.map { .string($0) } ?? .null,
            "metrics": .object(JSONObject(distinctEntries: metrics.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
            "artifact_sha256": .string(artifactSHA), "model_sha256": .string(modelSHA), "samples_sha256": .string(samplesSHA),
        ])
    }

    static func parse(_ j: JSONValue) -> TestRecord? {
        guard j["slipway_test_record"]?.intValue == 1, let status = j["status"]?.stringValue,
              let a = j["artifact_sha256"]?.stringValue, let m = j["model_sha256"]?.stringValue,
              let s = j["samples_sha256"]?.stringValue else { return nil }
        var metrics: [String: Double] = [:]
        for (k, v) in j["metrics"]?.objectValue?.entries ?? [] { if let d = v.doubleValue { metrics[k] = d } }
        return TestRecord(status: status, metrics: metrics, runtime: j["runtime"]?.stringValue, artifactSHA: a, modelSHA: m, samplesSHA: s)
    }

    /// Writes each tested target's record beside its artifact (skipped and failed-to-run targets have none).
    static func store(_ run: TestRun, modelPath: String) {
        guard let model = fileDigest(modelPath) else { return }
        let samples = digest(samples: run.samples)
        for t in run.targets where t.status == .passed || t.status == .failed {
            guard let artifact = t.artifact, let sha = fileDigest(artifact) else { continue }
            var metrics: [String: Double] = [:]
            if let w = t.outputs.min(by: { $0.cosineMean < $1.cosineMean }) {
                metrics["cosine"] = w.cosineMean
                metrics["max_abs"] = t.outputs.map(\.maxAbs).max() ?? w.maxAbs
                if let s = t.outputs.compactMap(\.sqnrDB).min() { metrics["sqnr_db"] = s }
                if let t1 = t.outputs.compactMap(\.top1).min() { metrics["top1"] = t1 }
            }
            if let p = t.latencyP95 { metrics["latency_ms_p95"] = p }
            let record = TestRecord(status: t.status.rawValue, metrics: metrics, runtime: t.runtime, artifactSHA: sha,
                                    modelSHA: model, samplesSHA: samples)
            try? SafeWriter.write(Array((record.json.serialized(pretty: true) + "\n").utf8), to: path(artifact: artifact))
        }
    }

    /// A target's last result, and whether it still describes this artifact, model and samples.
    public static func last(target: TargetSpec, manifest: Manifest, manifestPath: String) -> (record: TestRecord, stale: [String])? {
        let folder = SafeWriter.directory(of: manifestPath)
        guard let modelRel = manifest.model?.path?.value else { return nil }
        let modelPath = Containment.destination(modelRel, folder: folder)
        let artifact = Containment.destination(Converter.outputPath(target: target, manifest: manifest, modelPath: modelPath), folder: folder)
        guard let b = Runner.read(path(artifact: artifact), limit: 1 << 20), let j = try? JSONValue.parse(bytes: b),
              let r = parse(j) else { return nil }
        var stale: [String] = []
        if fileDigest(artifact) != r.artifactSHA { stale.append("the artifact changed since it was tested") }
        if fileDigest(modelPath) != r.modelSHA { stale.append("the model changed since the artifact was tested") }
        if let spec = manifest.test?.samples?.value,
           digest(samples: TestRunner.samples(spec, folder: folder)) != r.samplesSHA {
            stale.append("the samples changed since the last test")
        }
        return (r, stale)
    }
}
