import Checking
import Conversion
import Diagnostics
import Evaluation
import Isolation
import JSON
import Manifest
import ModelFormats

/// `workspace/executeCommand`: inspect a model, check every manifest of the workspace, convert and test targets.
enum Commands {
    static func execute(_ r: Features.Request) async throws(ResponseError) -> Features.Reply {
        let args = r.params["arguments"]?.arrayValue ?? []
        switch r.params["command"]?.stringValue {
        case "slipway.inspect":
            guard let path = args.first?.stringValue else { throw .invalidParams("slipway.inspect needs the model's path") }
            let inspected = await OwnThread.run { () -> Result<JSONValue, ResponseError> in
                do { return .success(try r.context.checker.fileSystem.readModel(path).inspectionJSON()) } catch {
                    return .failure(ResponseError(.requestFailed, "\(error)"))
                }
            }
            return Features.Reply(result: try inspected.get())
        case "slipway.checkWorkspace":
            // The walk runs off the pool; a `$/cancelRequest` (the task's cancellation) reaches it through the flag.
            let cancelled = CancelFlag()
            return await withTaskCancellationHandler {
                await OwnThread.run { checkWorkspace(r, isCancelled: { cancelled.isSet }) }
            } onCancel: {
                cancelled.set()
            }
        case "slipway.convert":
            return try await convert(r, args)
        case "slipway.test":
            return try await test(r, args)
        case "slipway.estimate":
            // The per-target table of `slipway estimate MANIFEST`, for the manifest open at the URI.
            guard let view = EstimateView(r) else {
                throw ResponseError(.requestFailed, "no estimate: the manifest's model cannot be read, or the manifest is not open")
            }
            if let target = args.dropFirst().first?.stringValue {
                return Features.Reply(result: view.row(target) ?? .null)
            }
            return Features.Reply(result: view.table)
        case let other:
            throw .invalidParams("unknown command '\(other ?? "")'; known: \(ServerCapabilities.commands.joined(separator: ", "))")
        }
    }

    /// The server's bounds on a workspace walk: an editor may open `/` or a home folder as its workspace.
    static let workspaceLimits = (maxDepth: 24, maxEntries: 200_000, maxFiles: 2_000, maxDuration: Duration.seconds(20))

    /// Checks every manifest below the workspace folders and publishes their diagnostics. The walk is
    /// bounded (`workspaceLimits`) and stops on cancellation; the result says when it stopped early.
    static func checkWorkspace(_ r: Features.Request, isCancelled: @escaping @Sendable () -> Bool) -> Features.Reply {
        let fs = r.context.checker.fileSystem
        let l = workspaceLimits
        let expansion = Discovery.expand(
            r.context.workspaceFolders, fileSystem: fs,
            limits: Discovery.Limits(maxDepth: l.maxDepth, maxEntries: l.maxEntries, maxFiles: l.maxFiles, maxDuration: l.maxDuration, isCancelled: isCancelled))
        let files = expansion.files
        let results = Discovery.checkAll(files, checker: r.context.checker, isCancelled: isCancelled)
        var notifications: [JSONValue] = []
        var errors = 0, warnings = 0
        for res in results {
            errors += res.errorCount
            warnings += res.warningCount
            let doc = Document(uri: LSP.uri(ofPath: res.path), version: 0, languageID: "yaml", text: String(decoding: res.lineIndex.bytes, as: UTF8.self))
            let diags = res.diagnostics.map { DiagnosticConversion.lsp($0, doc, unit: r.unit, capabilities: r.context.capabilities) }
            notifications.append(Outgoing.notification("textDocument/publishDiagnostics", ["uri": .string(doc.uri), "diagnostics": .array(diags)]))
        }
        let message = "Slipway checked \(results.count) manifest\(results.count == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
            + (expansion.incomplete.map { " (the workspace walk was incomplete: \($0))" } ?? "")
        notifications.append(Outgoing.notification("window/showMessage", ["type": .int(errors > 0 ? 2 : 3), "message": .string(message)]))
        return Features.Reply(
            result: [
                "files": .int(results.count), "errors": .int(errors), "warnings": .int(warnings),
                "incomplete": expansion.incomplete.map(JSONValue.string) ?? .null,
            ], notifications: notifications)
    }

    /// Converts one target (or all) of the manifest open at the given URI, with progress the client can
    /// cancel. The manifest is read from the editor's buffer; the model from disk.
    static func convert(_ r: Features.Request, _ args: [JSONValue]) async throws(ResponseError) -> Features.Reply {
        guard let uri = args.first?.stringValue, let path = LSP.path(ofURI: uri) else {
            throw .invalidParams("slipway.convert needs the manifest's URI, and optionally a target name")
        }
        let file: ManifestFile
        if let doc = r.document, doc.uri == uri {
            file = ManifestFile(bytes: doc.bytes)
        } else {
            do { file = ManifestFile(bytes: try r.context.checker.fileSystem.read(path, limit: 8 << 20)) } catch {
                throw ResponseError(.requestFailed, error.description)
            }
        }
        guard let manifest = file.documents.first?.manifest else { throw ResponseError(.requestFailed, "\(path) holds no manifest") }
        let wanted = args.dropFirst().first?.stringValue
        let targets = manifest.targets.filter { wanted == nil || $0.name.value == wanted }
        if targets.isEmpty { throw .invalidParams("no target '\(wanted ?? "")' in \(path)") }
        // The conversion reads the model in this process: only a model a worker has read without crashing.
        if let model = manifest.model?.path?.value,
            let refusal = (r.context.checker.fileSystem as? ModelCachingFileSystem)?.clearance?.refusal(
                for: PathUtil.join(PathUtil.directory(of: path), model))
        {
            throw ResponseError(.requestFailed, "model '\(model)' is not converted in the server: \(refusal)")
        }
        // As the CLI: a target for which check reports errors is refused with the list, unless forced (the
        // command's third argument, `{"force": true}`).
        let force = args.dropFirst(2).first?["force"]?.boolValue ?? false
        var refused: [String: String] = [:]
        if !force {
            let bytes = (r.document?.uri == uri ? r.document?.bytes : nil) ?? (try? r.context.checker.fileSystem.read(path, limit: 8 << 20)) ?? []
            let checked = r.context.checker.check(bytes: bytes, path: path)
            for t in targets {
                let blockers = ConvertGate.blockers(checked.diagnostics, target: t.name.value)
                if !blockers.isEmpty { refused[t.name.value] = ConvertGate.refusal(blockers, path: path, lineIndex: checked.lineIndex) }
            }
        }
        let reporter = ProgressReporter(r.context, title: "Converting \(targets.count) target\(targets.count == 1 ? "" : "s")")
        let registry = r.context.progress
        let token = reporter.token
        var rows: [JSONValue] = []
        var failures: [String] = []
        for (i, t) in targets.enumerated() {
            let name = t.name.value
            if let why = refused[name] {
                failures.append("\(name): \(why)")
                rows.append(["target": .string(name), "error": .string(why)])
                continue
            }
            do {
                var options = ConvertOptions()
                let catalogue = r.context.checker.catalogue
                options.decide(from: catalogue)
                let report = try await Converter.convert(
                    target: t, manifest: manifest, manifestPath: path, options: options,
                    progress: { p in reporter.report("\(name): \(p.phase)", fraction: (Double(i) + p.fraction) / Double(targets.count)) },
                    cancellation: { Task.isCancelled || token.map(registry.isCancelled) == true })
                rows.append(["target": .string(name), "output": .string(report.outputPath), "report": .string(report.reportPath), "upToDate": .bool(report.upToDate)])
            } catch {
                failures.append("\(name): \(error.message)")
                rows.append(["target": .string(name), "error": .string(error.message)])
            }
        }
        let message = failures.isEmpty
            ? "Slipway converted \(targets.map(\.name.value).joined(separator: ", "))"
            : "Slipway could not convert: " + failures.joined(separator: "; ")
        reporter.end(message, r.context)
        var notifications: [JSONValue] = [Outgoing.notification("window/showMessage", ["type": .int(failures.isEmpty ? 3 : 1), "message": .string(message)])]
        if r.context.capabilities.codeLensRefresh {
            notifications.append(["jsonrpc": "2.0", "id": "slipway-lens-refresh", "method": "workspace/codeLens/refresh", "params": .null])
        }
        return Features.Reply(result: ["targets": .array(rows)], notifications: notifications)
    }
}
