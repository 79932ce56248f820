/// A small deterministic generator for the structure-aware mutators: libFuzzer hands each call a seed, and the
/// same seed must give the same mutation.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Integers that find the edges of checked arithmetic: signed and unsigned extremes, 0 and -1, sizes just
/// past 2³¹ and 2³², huge dimensions whose products overflow, and the value's own neighbours.
enum InterestingValues {
    static let int64: [Int64] = [
        0, 1, -1, 2, 3, 7, 8, 16, 255, 256, 1023, 1024, 65535, 65536,
        Int64(Int32.max), Int64(Int32.min), Int64(Int32.max) + 1, Int64(UInt32.max), Int64(UInt32.max) + 1,
        1 << 40, 1 << 62, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1, -2, -(1 << 31), 3_037_000_500,
    ]

    static func replacement(for value: Int64, using g: inout SplitMix64) -> Int64 {
        switch g.next() % 4 {
        case 0: return value &+ Int64(Int(g.next() % 5) - 2)
        case 1: return value &* 2
        default: return int64[Int(g.next() % UInt64(int64.count))]
        }
    }
}
