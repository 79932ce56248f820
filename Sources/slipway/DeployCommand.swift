import ArgumentParser
import Checking
import Deployment
import Evaluation
import JSON
import Manifest
import Targets

#if canImport(Glibc)
import Glibc
#endif

extension DeployLayout: ExpressibleByArgument {}

/// The SIGINT/SIGTERM that asked a deploy to stop; the copy loops poll it and discard what they staged.
nonisolated(unsafe) private var deployInterrupted: sig_atomic_t = 0

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Publish each target's converted artifact with provenance: plain files, a Triton model repository, or an OCI layout.",
        discussion: """
            A target ships only when `slipway check` finds no error in it (or in the manifest around it), its \
            artifact is the one its conversion report describes, made from the current model, and its last \
            `slipway test` (if any) passed and is not stale; --force overrides the check and test gates and is \
            recorded in the provenance. Layouts (deploy.layout, a target's layout, --layout):
              plain   the deploy.to path (under --to when given), its report and <artifact>.intoto.json
              triton  <repository>/<name>-<target>/<N>/model.onnx|model.plan, config.pbtxt; N is the next integer
              oci     an OCI image layout tagged <target>-<version> (CNCF ModelPack media types)
            Every artifact gets an in-toto Statement v1 with a SLSA provenance v1 predicate; `slipway verify DIR` \
            re-hashes a deployed tree against it. Writes are staged and renamed: an interrupted deploy leaves the \
            previous release intact, and a deploy never deletes or replaces a version it did not write.
            Exit status: 0 when every target was published or already was, 1 when one was refused or failed, 2 on \
            usage or I/O errors.
            """)

    @Argument(help: "The manifest (*.slipway.yaml).")
    var manifest: String

    @Option(name: .customLong("target"), help: "Deploy only this target (repeatable).")
    var targets: [String] = []

    @Option(help: "The repository folder (triton, oci) or the base of the deploy.to path (plain).")
    var to: String?

    @Option(help: "plain, triton or oci (overrides the manifest).")
    var layout: DeployLayout?

    @Flag(help: "Deploy despite check errors, and re-point an existing tag or version; recorded in the provenance.")
    var force = false

    @Flag(help: "Print what would be published (files, sizes, SHA-256) and write nothing.")
    var dryRun = false

    @Flag(help: "Let the destination lie outside the manifest's folder.")
    var allowOutsideProject = false

    @Flag(help: "Print the plans as one JSON array on stdout.")
    var json = false

    func run() throws {
        EstimateCommand.persistDigests()
        for s in [SIGINT, SIGTERM] { signal(s) { deployInterrupted = $0 } }
        let catalogue: Catalogue
        switch Catalogue.embedded {
        case .success(let c): catalogue = c
        case .failure(let e):
            printError("slipway: \(e)")
            throw ExitCode(2)
        }
        // The same check `slipway check` runs gates the deploy.
        let checker = ManifestChecker(fileSystem: LocalFileSystem(), catalogue: catalogue, estimateCache: EstimateCommand.defaultCache())
        let result = checker.check(path: manifest)
        if result.diagnostics.contains(where: { $0.code == .fileUnreadable }) || result.file == nil {
            printError("slipway: cannot read \(manifest)")
            throw ExitCode(2)
        }
        guard let file = result.file, let doc = file.documents.first else {
            printError("slipway: \(manifest) holds no manifest")
            throw ExitCode(2)
        }
        let known = Set(doc.manifest.targets.map(\.name.value))
        for t in targets where !known.contains(t) {
            printError("slipway: \(manifest) has no target \(t); it has \(known.sorted().joined(separator: ", "))")
            throw ExitCode(2)
        }
        var blockers = DeployGates.blockers(diagnostics: result.diagnostics, manifest: doc.manifest, path: manifest, lineIndex: file.lineIndex)
        // The last `slipway test` of each target: a failed or stale one blocks it; the result goes into the provenance.
        var tests: [String: Deployment.TestRecord] = [:]
        for t in doc.manifest.targets {
            guard let (record, stale) = Evaluation.TestRecord.last(target: t, manifest: doc.manifest, manifestPath: manifest) else { continue }
            let name = t.name.value
            if record.status == "failed" {
                let figures = record.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(($0.value * 10_000).rounded() / 10_000)" }.joined(separator: ", ")
                blockers[name, default: []].append("target \(name): its last `slipway test` failed (\(figures)); fix the artifact and test again")
            }
            if !stale.isEmpty {
                blockers[name, default: []].append("target \(name): its last `slipway test` is stale (\(stale.joined(separator: "; "))); run `slipway test \(manifest) --target \(name)`")
            }
            tests[name] = Deployment.TestRecord(status: stale.isEmpty ? record.status : "stale", metrics: record.metrics, runtime: record.runtime)
        }
        let options = DeployOptions(to: to, layout: layout, force: force, dryRun: dryRun, allowOutsideProject: allowOutsideProject,
                                    toolVersion: Slipway.version, blockers: blockers, testResults: tests)
        let plans = Deployer.plan(manifest: doc.manifest, manifestPath: manifest, targets: targets, options: options)
        var failed = false
        var outcomes: [JSONValue] = []
        for plan in plans {
            var entry = plan.json
            if case .refused(let why) = plan.status {
                failed = true
                if !json { printError("slipway: \(plan.target): not deployed:\n" + why.map { "  " + $0 }.joined(separator: "\n")) }
            } else if !dryRun {
                do throws(DeployError) {
                    try Deployer.publish(plan, cancellation: { deployInterrupted != 0 })
                } catch {
                    failed = true
                    if case .object(var o) = entry { o["status"] = "failed"; o["error"] = .string(error.message); entry = .object(o) }
                    if !json { printError("slipway: \(plan.target): \(error.message)") }
                }
            }
            outcomes.append(entry)
            if !json, case .object(let o) = entry, o["status"]?.stringValue != "refused", o["status"]?.stringValue != "failed" {
                writeStdout(Self.describe(plan, dryRun: dryRun))
            }
        }
        if json { writeStdout(JSONValue.array(outcomes).serialized(pretty: true) + "\n") }
        if deployInterrupted != 0 { throw ExitCode(130) }
        if failed { throw ExitCode(1) }
    }

    static func describe(_ plan: DeploymentPlan, dryRun: Bool) -> String {
        let verb: String
        switch plan.status {
        case .upToDate: verb = "up to date"
        default: verb = dryRun ? "would publish" : "published"
        }
        var s = "\(plan.target): \(verb) (\(plan.layout.rawValue), version \(plan.version)) → \(plan.destination)\n"
        if dryRun || plan.status == .ready {
            for f in plan.json["files"]?.arrayValue ?? [] {
                s += "  \(f["path"]?.stringValue ?? "")  \(f["bytes"]?.intValue ?? 0) B  sha256:\(f["sha256"]?.stringValue ?? "")\n"
            }
        }
        return s
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash a deployed tree against its provenance (*.intoto.json, OCI blobs and descriptors).",
        discussion: "Exit status: 0 when every file matches, 1 on any mismatch or missing file, 2 when DIR holds nothing to verify.")

    @Argument(help: "A folder `slipway deploy` published to.")
    var folder: String

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        switch DeployedTreeVerifier.verify(folder) {
        case .failure(let e):
            printError("slipway: \(e.message)")
            throw ExitCode(2)
        case .success(let o):
            if json {
                writeStdout(JSONValue.object([
                    "files_checked": .int(o.filesChecked), "statements": .int(o.statements),
                    "problems": .array(o.problems.map { .string($0) }), "ok": .bool(o.problems.isEmpty),
                ]).serialized(pretty: true) + "\n")
            } else {
                for p in o.problems { writeStdout("mismatch: \(p)\n") }
                writeStdout("\(folder): \(o.filesChecked) files, \(o.statements) statements checked, \(o.problems.isEmpty ? "all match" : "\(o.problems.count) problems")\n")
            }
            if !o.problems.isEmpty { throw ExitCode(1) }
        }
    }
}
