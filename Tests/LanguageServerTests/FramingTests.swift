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
