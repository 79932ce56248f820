import CSHA256

/// SHA-256 (FIPS 180-4), for the report's input and output digests. Written here because the package takes
/// no cryptography dependency and Foundation on Linux has none; the tests compare it with Python's hashlib.
public struct SHA256: Sendable {
    private var h: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var block = [UInt8](repeating: 0, count: 64)
    private var filled = 0
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() {}

    /// The chaining value (tests compare the compression functions with it).
    var state: [UInt32] { h }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return }
        var i = 0
        while i < bytes.count {
            if filled == 0, bytes.count - i >= 64 {
                // Whole blocks straight from the caller's buffer: the common case for files.
                let blocks = (bytes.count - i) / 64
                compress(base + i, blocks: blocks)
                i += 64 * blocks
                continue
            }
            let n = min(64 - filled, bytes.count - i)
            for j in 0..<n { block[filled + j] = bytes[i + j] }
            filled += n
            i += n
            if filled == 64 {
                let b = block
                b.withUnsafeBytes { p in if let a = p.baseAddress { compress(a, blocks: 1) } }
                filled = 0
            }
        }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }
    public mutating func update(_ s: String) { update(Array(s.utf8)) }

    public mutating func finalize() -> String {
        let bits = length &* 8
        var pad: [UInt8] = [0x80]
        while (filled + pad.count) % 64 != 56 { pad.append(0) }
        for s in stride(from: 56, through: 0, by: -8) { pad.append(UInt8(truncatingIfNeeded: bits >> UInt64(s))) }
        let saved = length
        update(pad)
        length = saved
        return h.map { word in
            let s = String(word, radix: 16)
            return String(repeating: "0", count: 8 - s.count) + s
        }.joined()
    }

    /// The digest as lowercase hex (`finalize` by the name the cache code reads best with).
    public mutating func hexDigest() -> String { finalize() }

    public static func hex(_ s: String) -> String { hex(Array(s.utf8)) }

    public static func hex(_ bytes: [UInt8]) -> String {
        var s = SHA256()
        s.update(bytes)
        return s.finalize()
    }

    /// Compresses `blocks` consecutive 64-byte blocks at `p`. The message schedule lives on the stack and the
    /// state in locals: no allocation or bounds check per block (hashing a 500 MB model is on the convert path).
    /// The CPU's SHA-256 instructions, when it has them.
    static let hardware = csha256_available() == 1

    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        if Self.hardware {
            h.withUnsafeMutableBufferPointer { state in
                if let s = state.baseAddress, state.count == 8 {
                    csha256_compress(s, p.assumingMemoryBound(to: UInt8.self), blocks)
                }
            }
            return
        }
        portableCompress(p, blocks: blocks)
    }

    /// FIPS 180-4 in Swift: the fallback, and the reference the hardware path is tested against.
    mutating func portableCompress(_ p: UnsafeRawPointer, blocks: Int) {
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
        var h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7]
        Self.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for blockIndex in 0..<blocks {
                    let block = p + 64 * blockIndex
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let a = w[t - 15], b = w[t - 2]
                        let s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >> 3)
                        let s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7
                    for t in 0..<64 {
                        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
                        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ maj
                        hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= hh
                }
            }
        }
        h = [h0, h1, h2, h3, h4, h5, h6, h7]
    }
}
