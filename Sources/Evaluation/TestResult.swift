import Diagnostics
import JSON

/// One tolerance of `test.tolerance` judged on a target's measurements.
public struct ToleranceOutcome: Sendable, Equatable {
    /// The manifest key: cosine, max_abs, top1, sqnr_db, latency_ms_p95.
    public var name: String
    public var limit: Double
    /// The measured value it was judged on (the worst output's); nil when the outputs do not have it (top1
    /// of a non-classifier).
    public var measured: Double?
    public var passed: Bool
    public var range: ByteRange
}

/// What `slipway test` found for one target.
public struct TargetTestResult: Sendable {
    public enum Status: String, Sendable {
        case passed, failed
        /// The target's runtime does not run here (Core ML, TensorRT): never "passed".
        case skipped
        /// The test could not run (the artifact does not load, no sample fits).
        case error
    }

    public var target: String
    public var status: Status
    public var reason: String?
    public var artifact: String?
    /// The runtime (and version) that ran the artifact, and the one that ran the original.
    public var runtime: String?
    public var originalRuntime: String?
    /// The execution provider or delegate that ran, with a note when it is not the target's.
    public var provider: String?
    public var providerNote: String?
    public var outputs: [OutputMetrics] = []
    public var tolerances: [ToleranceOutcome] = []
    /// Host latency of the artifact and of the original, milliseconds, over the samples after warm-up.
    public var latencyP50: Double?
    public var latencyP95: Double?
    public var originalLatencyP50: Double?
    public var originalLatencyP95: Double?
    public var latencies: [Double] = []
    public var peakRSSKB: Int?
    public var diagnostics: [Diagnostic] = []
}

/// The outcome of one `slipway test` run.
public struct TestRun: Sendable {
    public var manifest: String
    public var samples: [String]
    public var targets: [TargetTestResult]
    /// Runner peak RSS (all models of the run share one runner process).
    public var peakRSSKB: Int?
    public var runtimes: [String: String]
}
