import Manifest

/// How `slipway deploy` publishes a target's artifact (manifest `deploy.layout`, a target's `layout`).
public enum DeployLayout: String, Sendable, CaseIterable {
    /// The artifact, its conversion report and provenance at the `deploy.to` path.
    case plain
    /// A Triton Inference Server model repository: `<repository>/<model>/<version>/model.<ext>` and a
    /// generated `config.pbtxt`.
    case triton
    /// An OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) with CNCF ModelPack media types.
    case oci

    /// The layout a target is published with: `--layout`, else the target's `layout`, else `deploy.layout`.
    public static func of(target: TargetSpec, manifest: Manifest, override: DeployLayout?) -> DeployLayout {
        if let override { return override }
        if let t = target.layout?.value, let l = DeployLayout(rawValue: t) { return l }
        if let d = manifest.deploy?.layout?.value, let l = DeployLayout(rawValue: d) { return l }
        return .plain
    }

    /// The repository folder of a `triton` or `oci` layout when neither `--to` nor `deploy.repository` names one.
    var defaultRepository: String { "deploy/\(rawValue)" }
}

/// What the caller decided before deploying; the engine knows nothing of the CLI or the server.
public struct DeployOptions: Sendable {
    /// `--to`: the repository folder (triton, oci) or the base the `deploy.to` template is filled under (plain).
    public var to: String?
    public var layout: DeployLayout?
    /// Deploy despite the gates; recorded in the provenance.
    public var force: Bool
    public var dryRun: Bool
    public var allowOutsideProject: Bool
    public var toolVersion: String
    /// Per target, the reasons it may not ship (check errors, failed or stale tests), gathered by the caller
    /// from the same engine calls `check` and `test` make.
    public var blockers: [String: [String]]
    /// Per target, the last test result to record in the provenance (JSON from the test engine), if any.
    public var testResults: [String: TestRecord]

    public init(
        to: String? = nil, layout: DeployLayout? = nil, force: Bool = false, dryRun: Bool = false,
        allowOutsideProject: Bool = false, toolVersion: String, blockers: [String: [String]] = [:],
        testResults: [String: TestRecord] = [:]
    ) {
        self.to = to
        self.layout = layout
        self.force = force
        self.dryRun = dryRun
        self.allowOutsideProject = allowOutsideProject
        self.toolVersion = toolVersion
        self.blockers = blockers
        self.testResults = testResults
    }
}

/// A target's last test outcome as the provenance records it.
public struct TestRecord: Sendable, Equatable {
    /// "passed", "failed", "skipped".
    public var status: String
    /// Measured values by metric name (cosine, top1, sqnr_db, latency_ms_p95 …).
    public var metrics: [String: Double]
    public var runtime: String?

    public init(status: String, metrics: [String: Double], runtime: String?) {
        self.status = status
        self.metrics = metrics
        self.runtime = runtime
    }
}
