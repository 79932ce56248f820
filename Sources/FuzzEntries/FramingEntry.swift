import Checking
import JSON
import LanguageServer

/// fuzz-framing: a byte stream as the editor would write it → `FrameReader` → each frame to a fresh in-process
/// `Server` (the LSP handling: lifecycle, documents, checks, every feature request), which is then awaited
/// until idle. Checks run against an in-memory project. The two commands that touch the disk
/// (`slipway.convert` and `slipway.test` write artifacts beside the manifest, `slipway.inspect` maps any path) are dropped
/// before the server sees them: a fuzzer must not write files or read devices.
/// Returns the invariants found broken; never traps.
@discardableResult
/// `busyLimit`: how long the server may stay busy after the last frame before it reads as a hang. libFuzzer
/// runs one input at a time (20 s); the regression spec shares two cores with every other suite, whose
/// synchronous work can hold the cooperative pool for tens of seconds, so it allows longer.
public func fuzzFraming(_ data: [UInt8], busyLimit: Duration = .seconds(20)) async -> [String] {
    var problems: [String] = []
    var reader = FrameReader()
    reader.append(data)
    var frames: [[UInt8]] = []
    // Each event consumes input, so more events than bytes means the reader stopped advancing.
    var events = 0
    while let event = reader.next() {
        events += 1
        if events > data.count + 1 {
            problems.append("FrameReader returned \(events) events for \(data.count) bytes")
            break
        }
        if case .frame(let body) = event, frames.count < 64, !touchesDisk(body) { frames.append(body) }
    }
    let server = Server(
        checker: ManifestChecker(fileSystem: FuzzSupport.project, estimateCache: nil),
        send: { message in _ = message.serialized() }, onExit: { _ in })
    for f in frames { await server.receive(f) }
    // Requests and checks run in tasks of their own: wait for them (bounded), so one input's work never
    // overlaps the next one's (libFuzzer's -timeout=30 catches real hangs).
    let clock = ContinuousClock()
    let deadline = clock.now + busyLimit
    while await !server.isIdle() {
        if clock.now > deadline {
            problems.append("the server was still busy \(busyLimit) after the last of \(frames.count) frames")
            break
        }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return problems
}

/// The synchronous form for libFuzzer's callback.
@discardableResult
public func fuzzFramingBlocking(_ data: [UInt8]) -> [String] { blockingWait { await fuzzFraming(data) } }

func touchesDisk(_ body: [UInt8]) -> Bool {
    guard let json = try? JSONValue.parse(bytes: body) else { return false }
    let messages = json.arrayValue ?? [json]
    return messages.contains { m in
        m["method"]?.stringValue == "workspace/executeCommand"
            && ["slipway.convert", "slipway.inspect", "slipway.test"].contains(m["params"]?["command"]?.stringValue ?? "")
    }
}
