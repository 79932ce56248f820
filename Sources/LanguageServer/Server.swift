import Checking
import Diagnostics
import Isolation
import JSON

/// The language server: one actor that owns the documents and the protocol state.
///
/// Ordering: the transport feeds messages one at a time to `receive`; document notifications are applied
/// inside it, so edits to a document are applied in order. Requests take a snapshot of their document
/// before `receive` returns and run in their own task off the actor (reads are concurrent, cancellable);
/// results computed for an older version are dropped. Diagnostics for a burst of edits coalesce: while
/// one check runs, later edits only mark the document dirty, and one more check follows.
public actor Server {
    public typealias Send = @Sendable (JSONValue) -> Void

    enum Phase { case uninitialized, running, shuttingDown }

    let send: Send
    let log: @Sendable (String) -> Void
    let onExit: @Sendable (Int32) -> Void
    let checker: ManifestChecker

    var phase = Phase.uninitialized
    var unit: ColumnUnit = .utf16
    var capabilities = ClientCapabilities(JSONValue.null)
    var documents: [String: Document] = [:]
    var analyses: [String: Analysis] = [:]
    var checks: [String: CheckState] = [:]
    var inFlight: [RequestID: Task<Void, Never>] = [:]
    /// Recently finished request ids, so a late `$/cancelRequest` is quietly ignored.
    var finished: [RequestID] = []
    var nextOutgoingID = 1
    var workspaceFolders: [String] = []
    var settings = Settings()
    let progress = ProgressRegistry()
    /// Our outgoing `workspace/configuration` requests awaiting an answer.
    var configurationRequests: Set<RequestID> = []

    /// How long diagnostics and requests wait for model work before the server answers from the manifest
    /// alone (a partial analysis) and lets the model work finish in the background, with work-done progress.
    let modelWorkDeadline: Duration

    struct CheckState {
        /// The work-done progress shown while the model work of a check runs past the deadline.
        var progressToken: String?
        var running = false
        var dirty = false
        var waiting = false
        var passes = 0
        var lastChange = ContinuousClock.now
        var dirtySince = ContinuousClock.now
    }

    /// Edits closer together than this are a burst (a paste, a replayed macro, a formatter): their checks
    /// wait for a quiet moment. An edit after a pause is checked at once.
    static let burstGap = Duration.milliseconds(5)
    /// The longest a burst may hold diagnostics back, so continuous typing still sees them refresh.
    static let maxBurstWait = Duration.milliseconds(100)

    public init(
        checker: ManifestChecker = ManifestChecker(fileSystem: ModelCachingFileSystem()), send: @escaping Send, log: @escaping @Sendable (String) -> Void = { _ in },
        onExit: @escaping @Sendable (Int32) -> Void, modelWorkDeadline: Duration = .milliseconds(10)
    ) {
        self.checker = checker
        self.modelWorkDeadline = modelWorkDeadline
        self.send = send
        self.log = log
        self.onExit = onExit
    }

    // MARK: incoming

    /// Handles one frame's body. Never throws: every problem is an error response or a log line.
    public func receive(_ body: [UInt8]) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: body)
        } catch {
            log("bad JSON (\(error)); answered with a parse error")
            send(Outgoing.error(nil, ResponseError(.parseError, error.description)))
            return
        }
        switch Message.decode(json) {
        case .failure(let invalid):
            log("invalid message: \(invalid.error.message)")
            send(Outgoing.error(invalid.id, invalid.error))
        case .success(.response(let id, let result, let error)):
            handleResponse(id: id, result: result, error: error)
        case .success(.notification(let method, let params)):
            handleNotification(method, params)
        case .success(.request(let id, let method, let params)):
            handleRequest(id, method, params)
        }
    }

    func handleResponse(id: RequestID?, result: JSONValue?, error: JSONValue?) {
        if let id, configurationRequests.remove(id) != nil, let section = result?[0] {
            apply(Settings(section))
            return
        }
        // Other answers (registerCapability, refresh requests): nothing waits on them.
        if let error { log("client answered request \(id?.description ?? "?") with an error: \(error.serialized())") }
    }

    /// Settings changed: every open manifest is checked again under them.
    func apply(_ new: Settings) {
        guard new != settings else { return }
        settings = new
        for uri in documents.keys {
            analyses[uri] = nil
            scheduleCheck(uri)
        }
    }

    /// Pulls the `slipway` section when the client supports `workspace/configuration`.
    func pullConfiguration() {
        guard capabilities.configuration else { return }
        let id = RequestID.string("slipway-\(nextOutgoingID)")
        nextOutgoingID += 1
        configurationRequests.insert(id)
        send(Outgoing.request(id, "workspace/configuration", ["items": [["section": "slipway"]]]))
    }

    func handleNotification(_ method: String, _ params: JSONValue) {
        if method == "exit" {
            onExit(phase == .shuttingDown ? 0 : 1)
            return
        }
        guard phase != .uninitialized else { return }  // notifications before initialize are dropped
        do {
            switch method {
            case "initialized": initialized()
            case "textDocument/didOpen": try didOpen(params)
            case "textDocument/didChange": try didChange(params)
            case "textDocument/didClose": try didClose(params)
            case "textDocument/didSave": break
            case "$/cancelRequest": cancel(params)
            case "window/workDoneProgress/cancel":
                if let token = params["token"]?.stringValue { progress.cancel(token) }
            case "workspace/didChangeWatchedFiles": watchedFilesChanged()
            case "workspace/didChangeConfiguration":
                // Clients that support pulling get asked; others push the settings in the notification.
                if capabilities.configuration { pullConfiguration() } else if let section = params["settings"]?["slipway"] { apply(Settings(section)) }
            case "$/setTrace": break
            case "workspace/didChangeWorkspaceFolders": changeFolders(params)
            default:
                if !method.hasPrefix("$/") { log("ignored notification \(method)") }
            }
        } catch {
            log("\(method): \(error.message)")
        }
    }

    func handleRequest(_ id: RequestID, _ method: String, _ params: JSONValue) {
        switch phase {
        case .uninitialized where method != "initialize":
            send(Outgoing.error(id, ResponseError(.serverNotInitialized, "the server is not initialized: send 'initialize' first")))
            return
        case .shuttingDown:
            send(Outgoing.error(id, ResponseError(.invalidRequest, "the server is shutting down")))
            return
        case .running where method == "initialize":
            send(Outgoing.error(id, ResponseError(.invalidRequest, "'initialize' was already received")))
            return
        default: break
        }
        switch method {
        case "initialize":
            send(Outgoing.response(id, initialize(params)))
        case "shutdown":
            phase = .shuttingDown
            for t in inFlight.values { t.cancel() }
            send(Outgoing.response(id, .null))
        default:
            guard let handler = Features.handler(for: method) else {
                send(Outgoing.error(id, ResponseError(.methodNotFound, "unknown method '\(method)'")))
                return
            }
            startRequest(id, method, params, handler)
        }
    }

    // MARK: requests

    /// Runs a feature on a snapshot, off the actor. The snapshot (document + cached analysis) is taken
    /// here, so the request sees exactly the edits received before it.
    func startRequest(_ id: RequestID, _ method: String, _ params: JSONValue, _ handler: @escaping Features.Handler) {
        // A command about a document (slipway.convert) names its URI as the first argument.
        let uri = params["textDocument"]?["uri"]?.stringValue
            ?? (method == "workspace/executeCommand" ? params["arguments"]?[0]?.stringValue : nil)
        let doc = uri.flatMap { documents[$0] }
        if uri != nil && doc == nil && method.hasPrefix("textDocument/") {
            send(Outgoing.error(id, ResponseError(.invalidParams, "document '\(uri ?? "")' is not open")))
            return
        }
        let cached = uri.flatMap { analyses[$0] }.flatMap { a in a.version == doc?.version ? a : nil }
        let context = Features.Context(
            unit: unit, capabilities: capabilities, checker: checker, workspaceFolders: workspaceFolders, settings: settings,
            send: send, progress: progress)
        let deadline = modelWorkDeadline
        let task = Task.detached { [weak self] in
            var analysis = cached
            if analysis == nil, let doc {
                // Model work blocks (a worker's pipe, or the analysis itself): never on the cooperative pool.
                let full = Task.detached { await OwnThread.run { Analysis.compute(doc, checker: context.checker) } }
                if let done = await Deadline.value(of: full, within: deadline) {
                    analysis = done
                } else {
                    // Slower than the deadline: answer from the manifest alone; the full analysis is kept
                    // when it ends.
                    analysis = await OwnThread.run { Analysis.compute(doc, checker: context.checker, modelWork: false) }
                    Task.detached { [weak self] in
                        let a = await full.value
                        await self?.keep(uri: uri, a)
                    }
                }
            }
            let outcome: Result<Features.Reply, ResponseError>
            if Task.isCancelled {
                outcome = .failure(ResponseError(.requestCancelled, "cancelled"))
            } else {
                outcome = await handler(Features.Request(params: params, document: doc, analysis: analysis, context: context))
            }
            await self?.finish(id, uri: uri, version: doc?.version, analysis: cached == nil ? analysis : nil, outcome)
        }
        inFlight[id] = task
    }

    /// Keeps an analysis of the current version, unless a full one is already kept (a partial one never
    /// replaces it).
    func keep(uri: String?, _ analysis: Analysis) {
        guard let uri, documents[uri]?.version == analysis.version else { return }
        if analysis.partial, let kept = analyses[uri], kept.version == analysis.version { return }
        analyses[uri] = analysis
    }

    func finish(_ id: RequestID, uri: String?, version: Int?, analysis: Analysis?, _ outcome: Result<Features.Reply, ResponseError>) {
        guard inFlight.removeValue(forKey: id) != nil else { return }  // already answered (cancelled)
        remember(id)
        if let analysis { keep(uri: uri, analysis) }
        switch outcome {
        case .success(let reply):
            if let uri, let version, let current = documents[uri]?.version, current != version, Features.isPositional(reply.result) {
                // Computed for a version the client no longer has: positions would be wrong.
                send(Outgoing.error(id, ResponseError(.contentModified, "the document changed while the request ran")))
            } else {
                for n in reply.notifications { send(n) }
                send(Outgoing.response(id, reply.result))
            }
        case .failure(let e):
            send(Outgoing.error(id, e))
        }
    }

    func cancel(_ params: JSONValue) {
        guard let id = RequestID(params["id"]) else { return }
        guard let task = inFlight.removeValue(forKey: id) else { return }  // finished, or never ours
        task.cancel()
        remember(id)
        send(Outgoing.error(id, ResponseError(.requestCancelled, "request \(id) was cancelled")))
    }

    func remember(_ id: RequestID) {
        finished.append(id)
        if finished.count > 10 { finished.removeFirst() }
    }

    // MARK: lifecycle

    func initialize(_ params: JSONValue) -> JSONValue {
        capabilities = ClientCapabilities(params["capabilities"] ?? .null)
        unit = capabilities.positionEncodings.contains("utf-8") ? .utf8 : .utf16
        for f in params["workspaceFolders"]?.arrayValue ?? [] {
            if let uri = f["uri"]?.stringValue, let p = LSP.path(ofURI: uri) { workspaceFolders.append(p) }
        }
        if workspaceFolders.isEmpty, let root = params["rootUri"]?.stringValue, let p = LSP.path(ofURI: root) {
            workspaceFolders.append(p)
        }
        phase = .running
        return [
            "capabilities": .object(ServerCapabilities.make(for: capabilities, unit: unit)),
            "serverInfo": ["name": "slipway", "version": .string(ServerInfo.version)],
        ]
    }

    func initialized() {
        pullConfiguration()
        guard capabilities.watchedFilesDynamicRegistration else { return }
        let id = RequestID.string("slipway-\(nextOutgoingID)")
        nextOutgoingID += 1
        let watchers: [JSONValue] = ServerCapabilities.watchedGlobs.map { ["globPattern": .string($0)] }
        send(
            Outgoing.request(
                id, "client/registerCapability",
                [
                    "registrations": [
                        [
                            "id": "slipway-watched-files", "method": "workspace/didChangeWatchedFiles",
                            "registerOptions": ["watchers": .array(watchers)],
                        ]
                    ]
                ]))
    }

    func changeFolders(_ params: JSONValue) {
        for f in params["event"]?["removed"]?.arrayValue ?? [] {
            if let p = f["uri"]?.stringValue.flatMap(LSP.path(ofURI:)) { workspaceFolders.removeAll { $0 == p } }
        }
        for f in params["event"]?["added"]?.arrayValue ?? [] {
            if let p = f["uri"]?.stringValue.flatMap(LSP.path(ofURI:)) { workspaceFolders.append(p) }
        }
    }

    /// A model or manifest changed on disk: cached models are dropped (their identity check would catch
    /// most changes; this also catches a file replaced within the same second) and open manifests are
    /// checked again, which refreshes their diagnostics.
    func watchedFilesChanged() {
        (checker.fileSystem as? ModelCachingFileSystem)?.invalidate()
        for uri in documents.keys {
            analyses[uri] = nil
            scheduleCheck(uri)
        }
        if capabilities.codeLensRefresh {
            let id = RequestID.string("slipway-\(nextOutgoingID)")
            nextOutgoingID += 1
            send(Outgoing.request(id, "workspace/codeLens/refresh", .null))
        }
    }

    // MARK: documents

    func didOpen(_ params: JSONValue) throws(ResponseError) {
        guard let td = params["textDocument"], let uri = td["uri"]?.stringValue, let text = td["text"]?.stringValue else {
            throw .invalidParams("didOpen needs textDocument.uri and textDocument.text")
        }
        documents[uri] = Document(
            uri: uri, version: td["version"]?.intValue ?? 0, languageID: td["languageId"]?.stringValue ?? "yaml", text: text)
        analyses[uri] = nil
        scheduleCheck(uri)
    }

    func didChange(_ params: JSONValue) throws(ResponseError) {
        guard let uri = params["textDocument"]?["uri"]?.stringValue, var doc = documents[uri] else {
            throw .invalidParams("didChange for a document that is not open")
        }
        // A change without a version counts up; from Int.max it cannot, and is refused (logged) rather than trapping.
        let next = doc.version.addingReportingOverflow(1)
        guard let version = params["textDocument"]?["version"]?.intValue ?? (next.overflow ? nil : next.partialValue) else {
            throw .invalidParams("didChange without a version after version \(doc.version): the version cannot be incremented")
        }
        try doc.apply(params["contentChanges"]?.arrayValue ?? [], unit: unit)
        doc.version = version
        documents[uri] = doc
        analyses[uri] = nil
        scheduleCheck(uri)
    }

    func didClose(_ params: JSONValue) throws(ResponseError) {
        guard let uri = params["textDocument"]?["uri"]?.stringValue else { throw .invalidParams("didClose needs textDocument.uri") }
        documents[uri] = nil
        analyses[uri] = nil
        checks[uri]?.dirty = false
        if !capabilities.pullDiagnostics {
            send(Outgoing.notification("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []]))
        }
    }

    // MARK: diagnostics

    /// Starts a check now if none is running for this document; otherwise marks it dirty so one more
    /// pass follows the running one. A burst of edits therefore costs a handful of passes.
    func scheduleCheck(_ uri: String) {
        var state = checks[uri] ?? CheckState()
        let now = ContinuousClock.now
        if !state.dirty { state.dirtySince = now }
        state.dirty = true
        state.lastChange = now
        checks[uri] = state
        guard !state.running, !state.waiting else { return }
        runCheck(uri)
    }

    /// After a pass, if edits came in meanwhile: check again now if they have stopped, otherwise wait for
    /// a gap in the burst (bounded by `maxBurstWait`).
    func followUp(_ uri: String) {
        guard let state = checks[uri], state.dirty, !state.running, !state.waiting else { return }
        let now = ContinuousClock.now
        if now - state.lastChange >= Server.burstGap || now - state.dirtySince >= Server.maxBurstWait {
            runCheck(uri)
            return
        }
        checks[uri]?.waiting = true
        Task { [weak self] in
            try? await Task.sleep(for: Server.burstGap)
            await self?.endWait(uri)
        }
    }

    func endWait(_ uri: String) {
        checks[uri]?.waiting = false
        followUp(uri)
    }

    func runCheck(_ uri: String) {
        guard var state = checks[uri], state.dirty, let doc = documents[uri] else {
            checks[uri]?.running = false
            return
        }
        state.dirty = false
        state.running = true
        state.passes += 1
        checks[uri] = state
        let checker = self.checker
        let deadline = modelWorkDeadline
        Task.detached { [weak self] in
            // Both at once: the manifest's own diagnostics are ready when the deadline passes.
            let full = Task.detached { await OwnThread.run { Analysis.compute(doc, checker: checker) } }
            let quick = Task.detached { await OwnThread.run { Analysis.compute(doc, checker: checker, modelWork: false) } }
            if await Deadline.value(of: full, within: deadline) == nil {
                // The model work is slow (a cold, large model): the manifest's own diagnostics now.
                let quick = await quick.value
                if quick.partial { await self?.showPartial(uri, doc, quick) }
            }
            let analysis = await full.value
            await self?.checked(uri, doc, analysis)
            // Then the models and estimates hovers and lenses read, into the server's caches.
            await OwnThread.run { Analysis.warm(doc, checker: checker) }
            await self?.warmed(uri)
        }
    }

    /// Diagnostics from the manifest alone while the model work runs, marked `partial`, with work-done
    /// progress when the client takes it.
    func showPartial(_ uri: String, _ doc: Document, _ analysis: Analysis) {
        guard documents[uri]?.version == doc.version, analyses[uri]?.version != doc.version else { return }
        analyses[uri] = analysis
        publish(uri, doc, analysis, partial: true)
        guard capabilities.workDoneProgress, checks[uri]?.progressToken == nil else { return }
        let token = progress.begin()
        checks[uri]?.progressToken = token
        send(Outgoing.request(.string(token), "window/workDoneProgress/create", ["token": .string(token)]))
        let name = analysis.manifest?.model?.path?.value ?? "the model"
        send(Outgoing.notification("$/progress", [
            "token": .string(token), "value": ["kind": "begin", "title": .string("Slipway: analysing \(name)"), "cancellable": false],
        ]))
    }

    func checked(_ uri: String, _ doc: Document, _ analysis: Analysis) {
        if let current = documents[uri], current.version == doc.version {
            analyses[uri] = analysis
            publish(uri, doc, analysis, partial: false)
        }
        checks[uri]?.running = false
        followUp(uri)
    }

    /// The background pass ended: its progress closes, and lenses computed meanwhile are asked for again.
    func warmed(_ uri: String) {
        guard let token = checks[uri]?.progressToken else { return }
        checks[uri]?.progressToken = nil
        send(Outgoing.notification("$/progress", ["token": .string(token), "value": ["kind": "end", "message": "model analysed"]]))
        progress.end(token)
        if capabilities.codeLensRefresh {
            let id = RequestID.string("slipway-\(nextOutgoingID)")
            nextOutgoingID += 1
            send(Outgoing.request(id, "workspace/codeLens/refresh", .null))
        }
    }

    func publish(_ uri: String, _ doc: Document, _ analysis: Analysis, partial: Bool) {
        if capabilities.pullDiagnostics {
            if capabilities.diagnosticRefresh { refreshDiagnostics() }
            return
        }
        var params: JSONObject = [
            "uri": .string(uri), "version": .int(doc.version),
            "diagnostics": .array(DiagnosticConversion.lsp(analysis, doc, unit: unit, capabilities: capabilities, settings: settings)),
        ]
        // Not in the protocol (clients ignore it): tells a client, or a spec, that more diagnostics follow.
        if partial { params["partial"] = true }
        send(Outgoing.notification("textDocument/publishDiagnostics", .object(params)))
    }

    func refreshDiagnostics() {
        let id = RequestID.string("slipway-\(nextOutgoingID)")
        nextOutgoingID += 1
        send(Outgoing.request(id, "workspace/diagnostic/refresh", .null))
    }

    /// The exit code when stdin closes without an `exit` notification.
    public func exitCodeAtEndOfInput() -> Int32 { phase == .shuttingDown ? 0 : 1 }

    /// Diagnostic passes run so far for a document (for tests and benchmarks of debouncing).
    public func checkPasses(_ uri: String) -> Int { checks[uri]?.passes ?? 0 }

    /// True when no check is running or pending for any document.
    public func isIdle() -> Bool { checks.values.allSatisfy { !$0.running && !$0.dirty } && inFlight.isEmpty }
}

public enum ServerInfo {
    public static let version = "0.1.0"
}
