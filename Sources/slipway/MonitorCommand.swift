import ArgumentParser
import Conversion
import Diagnostics
import JSON
import Manifest
import Monitoring

#if canImport(Glibc)
import Glibc
#endif

struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Production thresholds from the manifest's `monitor:`: Prometheus alerting rules, and checks against live data.",
        subcommands: [MonitorRulesCommand.self, MonitorCheckCommand.self])

    /// The manifest's thresholds, or exit 2 saying why there are none.
    static func thresholds(_ path: String) throws -> (MonitorThresholds, LineIndex) {
        guard let bytes = MonitorFiles.contents(path) else {
            printError("slipway: cannot read \(path)")
            throw ExitCode(2)
        }
        let file = ManifestFile(bytes: bytes)
        guard let doc = file.documents.first else {
            printError("slipway: \(path) holds no manifest")
            throw ExitCode(2)
        }
        switch MonitorThresholds.from(manifest: doc.manifest) {
        case .failure(let e):
            printError("slipway: \(path): \(e.message)")
            throw ExitCode(2)
        case .success(let t): return (t, file.lineIndex)
        }
    }
}

enum MonitorFiles {
    static func contents(_ path: String, limit: Int = 4 << 30) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, Int(st.st_size) <= limit else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < out.count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return filled == out.count ? out : nil
    }
}

struct MonitorRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Write Prometheus alerting rules for the manifest's monitor thresholds.",
        discussion: """
            One alert per threshold, firing per `target` label: SlipwayLatencyP95High (histogram_quantile over \
            the latency histogram's buckets), SlipwayErrorRateHigh (errors / requests), SlipwayThroughputLow \
            (requests per second) and SlipwayOutputDrift (the drift gauge), each over monitor.window. Metric \
            names default to slipway_inference_duration_seconds, slipway_inference_requests_total, \
            slipway_inference_errors_total and slipway_output_drift (monitor.metrics renames them); series are \
            selected by monitor.selector (default model: <name>). Check the file with `promtool check rules`.
            """)

    @Argument(help: "The manifest (*.slipway.yaml).")
    var manifest: String

    @Option(name: .shortAndLong, help: "Write the rules to this file (atomically) instead of stdout.")
    var output: String?

    func run() throws {
        let (t, _) = try MonitorCommand.thresholds(manifest)
        let yaml = AlertRules.yaml(t, source: SafeWriterPath.last(manifest))
        if let output {
            do throws(ConversionError) {
                try SafeWriter.write(Array(yaml.utf8), to: output)
            } catch {
                printError("slipway: \(error.message)")
                throw ExitCode(2)
            }
        } else {
            writeStdout(yaml)
        }
    }
}

enum SafeWriterPath {
    static func last(_ p: String) -> String { p.split(separator: "/").last.map(String.init) ?? p }
}

enum MonitorOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, github
}

struct MonitorCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Judge the monitor thresholds now against Prometheus, a scrape, or an inference log.",
        discussion: """
            --source http://HOST:PORT: a Prometheus server, asked the very expressions of the alerting rules \
            (/api/v1/query). --source FILE: a scrape in the Prometheus text format (latency from the histogram \
            buckets, error rate from the counters; a single scrape has no throughput), or a JSON Lines inference \
            log (*.jsonl: {"target", "ts", "latency_ms", "error", "outputs": {name: values}} per line; drift \
            against --baseline, the test set's outputs in the same format). A value the source cannot give is \
            reported as unknown, never as met.
            Exit status: 0 when every threshold holds, 1 when one is breached, 2 when the source cannot be read.
            """)

    @Argument(help: "The manifest (*.slipway.yaml).")
    var manifest: String

    @Option(help: "A Prometheus URL (http://host:port) or a file: a text-format scrape or a .jsonl inference log.")
    var source: String

    @Option(help: "Reference outputs for drift (JSON Lines, same format as the log).")
    var baseline: String?

    @Option(help: "text, json or github (annotations).")
    var format: MonitorOutputFormat = .text

    func run() throws {
        let (t, index) = try MonitorCommand.thresholds(manifest)
        var base: [UInt8]?
        if let baseline {
            guard let b = MonitorFiles.contents(baseline) else {
                printError("slipway: cannot read the baseline \(baseline)")
                throw ExitCode(2)
            }
            base = b
        }
        let outcomes: [ThresholdOutcome]
        switch MonitorCheck.evaluate(t, source: .of(source), read: { MonitorFiles.contents($0) }, baseline: base) {
        case .failure(let e):
            printError("slipway: \(e.message)")
            throw ExitCode(2)
        case .success(let o): outcomes = o
        }
        func unit(_ o: ThresholdOutcome) -> String { o.kind == .latencyP95 ? " ms" : "" }
        func number(_ v: Double) -> String {
            let r = (v * 10_000).rounded() / 10_000
            return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : "\(r)"
        }
        func message(_ o: ThresholdOutcome) -> String {
            let who = o.target.isEmpty ? "" : " on \(o.target)"
            guard let v = o.observed else { return "\(o.kind.rawValue)\(who): unknown — \(o.note ?? "")" }
            let rel = o.breached ? (o.kind == .throughput ? "<" : ">") : (o.kind == .throughput ? "≥" : "≤")
            return "\(o.kind.rawValue)\(who): \(number(v))\(unit(o)) \(rel) \(number(o.limit))\(unit(o))" + (o.note.map { " (\($0))" } ?? "")
        }
        switch format {
        case .json:
            writeStdout(JSONValue.array(outcomes.map { o in
                let p = index.position(of: o.range.start, unit: .scalars)
                return .object([
                    "threshold": .string(o.kind.rawValue), "target": .string(o.target),
                    "observed": o.observed.map { .double($0) } ?? .null, "limit": .double(o.limit),
                    "status": .string(o.observed == nil ? "unknown" : (o.breached ? "breached" : "ok")),
                    "note": o.note.map { .string($0) } ?? .null,
                    "file": .string(manifest), "line": .int(p.line + 1), "column": .int(p.column + 1),
                ])
            }).serialized(pretty: true) + "\n")
        case .github:
            for o in outcomes where o.breached || o.observed == nil {
                let p = index.position(of: o.range.start, unit: .scalars)
                writeStdout("::\(o.breached ? "error" : "warning") file=\(manifest),line=\(p.line + 1),col=\(p.column + 1),title=monitor \(o.kind.rawValue)::\(message(o))\n")
            }
        case .text:
            for o in outcomes {
                let p = index.position(of: o.range.start, unit: .scalars)
                let tag = o.observed == nil ? "unknown" : (o.breached ? "breached" : "ok")
                writeStdout("\(manifest):\(p.line + 1):\(p.column + 1): \(tag): \(message(o))\n")
            }
        }
        if outcomes.contains(where: \.breached) { throw ExitCode(1) }
    }
}
