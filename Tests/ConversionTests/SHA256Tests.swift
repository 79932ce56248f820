import Testing

@testable import Hashing

@Suite("SHA-256")
struct SHA256Tests {
    @Test("the CPU's SHA instructions and the portable code agree, on every length and split of the input")
    func hardwareMatchesPortable() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes: [UInt8] = []
        for _ in 0..<(64 * 40 + 17) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 56))
        }
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, bytes.count] {
            let input = Array(bytes.prefix(length))
            var whole = SHA256()
            whole.update(input)
            // The same bytes in uneven pieces go through the partial-block path too.
            var pieces = SHA256()
            var i = 0
            var step = 1
            while i < input.count {
                let j = min(input.count, i + step)
                pieces.update(Array(input[i..<j]))
                i = j
                step = step * 3 % 97 + 1
            }
            let expected = portable(input)
            #expect(whole.finalize() == expected, "length \(length)")
            #expect(pieces.finalize() == expected, "length \(length) in pieces")
        }
        // FIPS 180-2: one million 'a'.
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The digest with the portable compression only (padding as FIPS 180-4 §5.1.1).
    func portable(_ input: [UInt8]) -> String {
        var s = SHA256()
        var message = input
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        let bits = UInt64(input.count) * 8
        for k in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bits >> UInt64(k))) }
        message.withUnsafeBytes { p in
            if let base = p.baseAddress { s.portableCompress(base, blocks: message.count / 64) }
        }
        return s.state.map { w in
            let h = String(w, radix: 16)
            return String(repeating: "0", count: 8 - h.count) + h
        }.joined()
    }
}
