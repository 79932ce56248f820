import Testing

@testable import LanguageServer

@Suite struct FramingSpec {
    func frames(_ chunks: [String]) -> [FrameReader.Event] {
        var r = FrameReader()
        var out: [FrameReader.Event] = []
        for c in chunks {
            r.append(Array(c.utf8))
            while let e = r.next() { out.append(e) }
        }
        return out
    }

    @Test func framesSplitAnywhereAreReassembled() {
        let msg = "Content-Length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]"
        for cut in 0...msg.utf8.count {
            let b = Array(msg.utf8)
            let parts = [String(decoding: b[..<cut], as: UTF8.self), String(decoding: b[cut...], as: UTF8.self)]
            #expect(frames(parts) == [.frame(Array("{}".utf8)), .frame(Array("[1]".utf8))], "cut at \(cut)")
        }
    }

    @Test func contentTypeIsAcceptedInAnyOrderAndCase() {
        #expect(frames(["Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 2\r\n\r\n{}"]) == [.frame(Array("{}".utf8))])
    }

    @Test func badHeadersAreSkippedAndReadingResumes() {
        let events = frames(["garbage line\r\n\r\n", "Content-Length: x\r\n\r\n", "X-Other: 1\r\n\r\n", "Content-Length: 2\r\n\r\n{}"])
        #expect(events.count == 4)
        #expect(events.last == .frame(Array("{}".utf8)))
    }

    @Test func hugeLengthsAreRefusedWithoutAllocating() {
        let events = frames(["Content-Length: 99999999999\r\n\r\n", "Content-Length: 2\r\n\r\n{}"])
        #expect(events.first.map { if case .skipped = $0 { true } else { false } } == true)
        #expect(events.last == .frame(Array("{}".utf8)))
    }

    @Test func noHeaderEndInEightKilobytesIsGarbage() {
        let events = frames([String(repeating: "x", count: 9000), "Content-Length: 2\r\n\r\n{}"])
        #expect(events.last == .frame(Array("{}".utf8)))
    }
}

/// Issue 17: one frame with a wrong Content-Length (or a garbled header) must not cost any later frame.
@Suite struct FramingResynchronisationSpec {
    static let a = #"{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{"x":1}}"#
    static let b = #"{"jsonrpc":"2.0","method":"initialized","params":{}}"#
    static let c = #"{"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}"#

    static func frame(_ body: String, length: Int? = nil, contentType: Bool = false) -> [UInt8] {
        let type = contentType ? "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" : ""
        return Array("\(type)Content-Length: \(length ?? body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    /// Feeds `stream` in chunks of the given sizes (cycled); returns every event.
    static func events(_ stream: [UInt8], chunks: [Int] = [Int.max]) -> [FrameReader.Event] {
        var r = FrameReader()
        var out: [FrameReader.Event] = []
        var i = 0, k = 0
        while i < stream.count {
            let n = min(chunks[k % chunks.count], stream.count - i)
            r.append(stream[i..<i + n])
            i += n
            k += 1
            while let e = r.next() { out.append(e) }
        }
        return out
    }

    static func bodies(_ events: [FrameReader.Event]) -> [String] {
        events.compactMap { if case .frame(let b) = $0 { String(decoding: b, as: UTF8.self) } else { nil } }
    }

    @Test(arguments: [-3, -2, -1, 1, 2, 3], [false, true])
    func aLengthOffByUpToThreeCostsOnlyItsOwnFrame(delta: Int, contentType: Bool) {
        let a = Self.a, b = Self.b, c = Self.c
        let stream = Self.frame(a, length: a.utf8.count + delta) + Self.frame(b, contentType: contentType) + Self.frame(c)
        // Too short: the truncated body is delivered (the JSON parser refuses it); too long: it is cut
        // at the next header and skipped.
        let expected = delta < 0 ? [String(decoding: a.utf8.prefix(a.utf8.count + delta), as: UTF8.self), b, c] : [b, c]
        for chunks in [[Int.max], [1], [2], [7], [64], [5, 1, 13]] {
            #expect(Self.bodies(Self.events(stream, chunks: chunks)) == expected, "delta \(delta), chunks \(chunks)")
        }
        if delta > 0 {
            let events = Self.events(stream)
            #expect(events.count == 3)
            #expect(events.first.map { if case .skipped(let why) = $0 { why.contains("runs into the next header") } else { false } } == true)
        }
    }

    @Test func everySplitOfAnOffByOneStreamDeliversTheValidFrames() {
        for delta in [-1, 1] {
            let stream = Self.frame(Self.a, length: Self.a.utf8.count + delta) + Self.frame(Self.b) + Self.frame(Self.c)
            for cut in 1..<stream.count {
                let got = Self.bodies(Self.events(stream, chunks: [cut, stream.count]))
                #expect(Array(got.suffix(2)) == [Self.b, Self.c], "delta \(delta), cut \(cut)")
            }
        }
    }

    @Test(arguments: [
        "Content-Length: 5\r\n",  // a header cut before its blank line
        "Content-Length: 12",  // cut inside the line
        "Content-Len",
        "Content-Length: \r\n\r\n",
        "Content-Length: -1\r\n\r\n",
        "Content-Length: 0x10\r\n\r\n",
        "Content-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "Content-Length: 99999999999\r\n\r\n",
        "Content-Length: 999999999999999999999999999999\r\n\r\n",
        "Content-Length: 3\r\n\r\n",  // too long for nothing: swallows the next header's start
        "Content-Length: 40\r\n\r\n{\"a\"",  // a body cut short
        "\r\n\r\n",
        "garbage\r\n\r\n",
        "{\"jsonrpc\":\"2.0\"}",  // a body without a header
        "\u{0}\u{1}\u{FF}binary\r\n",
        "X-Other: 1\r\n\r\n",
        "content-length: 60\r\ncontent-type: x\r\n",
    ])
    func aGarbledOrTruncatedHeaderCostsOnlyItself(prefix: String) {
        let stream = Array(prefix.utf8) + Self.frame(Self.b) + Self.frame(Self.c)
        for chunks in [[Int.max], [1], [3], [17]] {
            let events = Self.events(stream, chunks: chunks)
            #expect(Self.bodies(events) == [Self.b, Self.c], "\(prefix.debugDescription), chunks \(chunks)")
            #expect(events.count > 2, "the bad prefix is reported")
        }
    }

    @Test func aBodyMentioningContentLengthIsNotCut() {
        let body = #"{"jsonrpc":"2.0","method":"m","params":{"text":"Content-Length: 5\r\n\r\nContent-Length: 7"}}"#
        #expect(Self.bodies(Self.events(Self.frame(body) + Self.frame(Self.b), chunks: [1])) == [body, Self.b])
    }

    @Test func aLengthFarTooLargeDoesNotWaitForTheBytesItClaims() {
        let stream = Self.frame(Self.a, length: 1_000_000) + Self.frame(Self.b)
        #expect(Self.bodies(Self.events(stream)) == [Self.b])
    }

    /// Random corruptions of one frame among six, fed in random chunks: every other frame is delivered,
    /// exactly and in order, and at most one broken body comes out in place of the damaged one.
    @Test func randomCorruptionsLoseAtMostTheDamagedFrame() {
        var rng = SplitMix64(seed: 17)
        for round in 0..<600 {
            var bodies: [String] = []
            for i in 0..<6 {
                // Text that mentions headers, escaped as JSON: a valid body never holds a raw CR.
                let alphabet: [String] = ["a", "b", " ", "Content-Length: 9", "{", "}", "[", "é", "\\\\", "\\\"", "\\r\\n"]
                let text = (0..<rng.next(12)).map { _ in alphabet[rng.next(alphabet.count)] }.joined()
                bodies.append(#"{"jsonrpc":"2.0","id":\#(i),"method":"m","params":{"text":"\#(text)"}}"#)
            }
            let k = rng.next(5)
            var frames = bodies.map { Self.frame($0, contentType: rng.next(3) == 0) }
            var damaged = frames[k]
            let kind = rng.next(5)
            switch kind {
            case 0:  // a wrong length, by -40…+40
                var d = rng.next(81) - 40
                if d == 0 { d = 1 }
                damaged = Self.frame(bodies[k], length: max(0, bodies[k].utf8.count + d))
            case 1:  // bytes of the header overwritten
                let headerLength = damaged.count - bodies[k].utf8.count
                for _ in 0..<1 + rng.next(4) { damaged[rng.next(headerLength)] = UInt8(rng.next(256)) }
            case 2:  // the frame cut anywhere
                damaged = Array(damaged.prefix(rng.next(damaged.count)))
            case 3:  // garbage before it
                damaged = (0..<1 + rng.next(30)).map { _ in UInt8(rng.next(256)) } + damaged
            default:  // bytes of the body deleted (its length is now too large)
                let headerLength = damaged.count - bodies[k].utf8.count
                let at = headerLength + rng.next(bodies[k].utf8.count)
                damaged.removeSubrange(at..<min(damaged.count, at + 1 + rng.next(10)))
            }
            frames[k] = damaged
            let stream = frames.flatMap { $0 }
            let chunks = (0..<4).map { _ in 1 + rng.next(80) }
            let got = Self.bodies(Self.events(stream, chunks: chunks))
            var intact = bodies
            intact.remove(at: k)
            let others = got.filter { $0 != bodies[k] }
            #expect(others.filter { intact.contains($0) } == intact, "round \(round), kind \(kind)")
            #expect(others.count <= intact.count + 1, "round \(round), kind \(kind)")
        }
    }
}

/// A small deterministic generator, so a failing round can be replayed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(max(1, bound)))
    }
}
