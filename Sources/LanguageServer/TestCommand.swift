import Checking
import Conversion
import Diagnostics
import Evaluation
import JSON
import Manifest

#if canImport(Glibc)
import Glibc
#endif

extension Commands {
    /// The manifest a command names by URI: the editor's buffer when it is open, else the file on disk.
    static func commandManifest(_ r: Features.Request, uri: String, command: String) throws(ResponseError) -> (path: String, bytes: [UInt8], manifest: Manifest) {
        guard let path = LSP.path(ofURI: uri) else { throw .invalidParams("\(command) needs the manifest's URI, and optionally a target name") }
        let bytes: [UInt8]
        if let doc = r.document, doc.uri == uri {
            bytes = doc.bytes
        } else {
            do { bytes = try r.context.checker.fileSystem.read(path, limit: 8 << 20) } catch { throw ResponseError(.requestFailed, error.description) }
        }
        guard let manifest = ManifestFile(bytes: bytes).documents.first?.manifest else { throw ResponseError(.requestFailed, "\(path) holds no manifest") }
        return (path, bytes, manifest)
    }

    /// `slipway test` for one target (or all) of the manifest at the URI, with progress the client can cancel:
    /// the artifacts are converted when missing or stale, run with the original in their runtimes' child
    /// processes, and the results recorded beside them; the manifest's diagnostics and lenses are refreshed.
    /// Runtimes come from `$SLIPWAY_RUNTIME_PYTHON` (default python3), as `slipway test --runtime-python`; a
    /// measurement recorded on the same files and runtime versions is reused unless the arguments say `force`.
    static func test(_ r: Features.Request, _ args: [JSONValue]) async throws(ResponseError) -> Features.Reply {
        guard let uri = args.first?.stringValue else { throw .invalidParams("slipway.test needs the manifest's URI, and optionally a target name") }
        let (path, bytes, manifest) = try commandManifest(r, uri: uri, command: "slipway.test")
        let wanted = args.dropFirst().first?.stringValue
        // A third argument {"force": true} runs every model again rather than reusing a current measurement.
        let force = args.dropFirst(2).first?["force"]?.boolValue ?? false
        let targets = manifest.targets.filter { wanted == nil || $0.name.value == wanted }
        if targets.isEmpty { throw .invalidParams("no target '\(wanted ?? "")' in \(path)") }
        if let model = manifest.model?.path?.value,
            let refusal = (r.context.checker.fileSystem as? ModelCachingFileSystem)?.clearance?.refusal(
                for: PathUtil.join(PathUtil.directory(of: path), model))
        {
            throw ResponseError(.requestFailed, "model '\(model)' is not tested from the server: \(refusal)")
        }
        let python = getenv("SLIPWAY_RUNTIME_PYTHON").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        let reporter = ProgressReporter(r.context, title: "Testing \(targets.count) target\(targets.count == 1 ? "" : "s")")
        let registry = r.context.progress
        let token = reporter.token
        var options = TestOptions(python: python, reuse: !force)
        let catalogue = r.context.checker.catalogue
        options.convert.decide(from: catalogue)
        let run = await ModelTester.test(
            manifest: manifest, manifestPath: path, targets: targets, options: options,
            progress: { message in reporter.report(message, fraction: 0.5) },
            cancellation: { Task.isCancelled || token.map(registry.isCancelled) == true })
        TestRecord.store(run)
        let rows: [JSONValue] = run.targets.map { t in
            [
                "target": .string(t.name), "status": .string(t.status.rawValue), "reason": t.reason.map(JSONValue.string) ?? .null,
                "reused": .bool(t.reused),
                "tolerances": .array(t.checks.map { c in
                    ["key": .string(c.key), "limit": .double(c.limit), "measured": c.measured.map(JSONValue.double) ?? .null, "passed": .bool(c.passed)]
                }),
            ]
        }
        let message: String
        if run.cancelled {
            message = "Slipway test cancelled"
        } else if let setup = run.setupError {
            message = "Slipway could not test: \(setup)"
        } else {
            message = "Slipway test: " + run.targets.map { "\($0.name) \($0.status.rawValue)" }.joined(separator: ", ")
        }
        reporter.end(message, r.context)
        let ok = !run.cancelled && run.exitCode == 0
        var notifications: [JSONValue] = [Outgoing.notification("window/showMessage", ["type": .int(ok ? 3 : 1), "message": .string(message)])]
        // The manifest's diagnostics now include the recorded results (SW6004-SW6006) and the test's own (SW6001-SW6003).
        if let doc = r.document, doc.uri == uri {
            let checked = r.context.checker.check(bytes: bytes, path: path)
            let all = Diagnostic.sortedForOutput(checked.diagnostics + run.diagnostics)
            let diags = all.map { DiagnosticConversion.lsp($0, doc, unit: r.unit, capabilities: r.context.capabilities) }
            notifications.append(Outgoing.notification("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": .array(diags)]))
        }
        if r.context.capabilities.codeLensRefresh {
            notifications.append(["jsonrpc": "2.0", "id": "slipway-lens-refresh", "method": "workspace/codeLens/refresh", "params": .null])
        }
        return Features.Reply(
            result: ["targets": .array(rows), "exit": .int(Int(run.exitCode)), "cancelled": .bool(run.cancelled),
                     "setup_error": run.setupError.map(JSONValue.string) ?? .null],
            notifications: notifications)
    }
}
