import CheckedMath
import JSON
import Synchronization

/// Work-done progress for long commands: the tokens in flight and whether the client cancelled them.
final class ProgressRegistry: Sendable {
    private let state = Mutex<(next: Int, cancelled: Set<String>, live: Set<String>)>((1, [], []))

    func begin() -> String {
        state.withLock { s in
            let token = "slipway-progress-\(s.next)"
            s.next += 1
            s.live.insert(token)
            return token
        }
    }

    func cancel(_ token: String) { state.withLock { s in if s.live.contains(token) { s.cancelled.insert(token) } } }
    func isCancelled(_ token: String) -> Bool { state.withLock { $0.cancelled.contains(token) } }
    func end(_ token: String) {
        state.withLock { s in
            s.live.remove(token)
            s.cancelled.remove(token)
        }
    }
}

/// Reports one command's progress to the client, when it supports `window.workDoneProgress`.
struct ProgressReporter: Sendable {
    let token: String?
    let send: @Sendable (JSONValue) -> Void

    init(_ context: Features.Context, title: String) {
        send = context.send
        guard context.capabilities.workDoneProgress else {
            token = nil
            return
        }
        let t = context.progress.begin()
        token = t
        send(["jsonrpc": "2.0", "id": .string(t), "method": "window/workDoneProgress/create", "params": ["token": .string(t)]])
        notify(["kind": "begin", "title": .string(title), "cancellable": true, "percentage": 0])
    }

    func report(_ message: String, fraction: Double) {
        notify(["kind": "report", "message": .string(message), "percentage": .int(Int(roundingSaturating: fraction * 100))])
    }

    func end(_ message: String, _ context: Features.Context) {
        notify(["kind": "end", "message": .string(message)])
        if let token { context.progress.end(token) }
    }

    private func notify(_ value: JSONValue) {
        guard let token else { return }
        send(["jsonrpc": "2.0", "method": "$/progress", "params": ["token": .string(token), "value": value]])
    }
}
