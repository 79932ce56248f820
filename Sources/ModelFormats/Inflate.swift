/// A bounded DEFLATE decoder (RFC 1951) for the small zip entries torch compresses (a TorchScript archive's
/// `code/**.py`; weights are stored, never compressed). The output stops at `limit` bytes; a malformed stream
/// fails with what was wrong, never traps.
enum Inflate {
    struct Failure: Error { var message: String }

    static func decode(_ input: UnsafeRawBufferPointer, limit: Int) throws(Failure) -> [UInt8] {
        var s = State(input: input, limit: limit)
        try s.run()
        return s.out
    }

    /// A canonical Huffman code: symbols by code length, counts per length.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws(Failure) {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var left = 1
            for len in 1..<16 {
                left <<= 1
                left -= counts[len]
                guard left >= 0 else { throw Failure(message: "an over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (sym, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = sym
                offsets[l] += 1
            }
        }
    }

    struct State {
        let input: UnsafeRawBufferPointer
        let limit: Int
        var out: [UInt8] = []
        var position = 0
        var bitBuffer = 0
        var bitCount = 0

        init(input: UnsafeRawBufferPointer, limit: Int) {
            self.input = input
            self.limit = limit
        }

        mutating func bits(_ n: Int) throws(Failure) -> Int {
            while bitCount < n {
                guard position < input.count else { throw Failure(message: "the stream ends early") }
                bitBuffer |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let v = bitBuffer & ((1 << n) - 1)
            bitBuffer >>= n
            bitCount -= n
            return v
        }

        mutating func decode(_ h: Huffman) throws(Failure) -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try bits(1)
                let count = h.counts[len]
                if code - count < first { return h.symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw Failure(message: "a code not in its Huffman table")
        }

        static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                   4097, 6145, 8193, 12289, 16385, 24577]
        static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

        mutating func emit(_ b: UInt8) throws(Failure) {
            guard out.count < limit else { throw Failure(message: "inflates past \(limit) bytes") }
            out.append(b)
        }

        mutating func run() throws(Failure) {
            var last = 0
            repeat {
                last = try bits(1)
                switch try bits(2) {
                case 0:
                    bitBuffer = 0
                    bitCount = 0
                    guard position + 4 <= input.count else { throw Failure(message: "a stored block's header ends early") }
                    let len = Int(input[position]) | Int(input[position + 1]) << 8
                    let nlen = Int(input[position + 2]) | Int(input[position + 3]) << 8
                    guard len == ~nlen & 0xFFFF else { throw Failure(message: "a stored block's length check fails") }
                    position += 4
                    guard position + len <= input.count else { throw Failure(message: "a stored block runs past the stream") }
                    for k in 0..<len { try emit(input[position + k]) }
                    position += len
                case 1:
                    let lit = try Huffman(lengths: [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112)
                        + [Int](repeating: 7, count: 24) + [Int](repeating: 8, count: 8))
                    let dist = try Huffman(lengths: [Int](repeating: 5, count: 30))
                    try block(lit, dist)
                case 2:
                    let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
                    guard nlen <= 286, ndist <= 30 else { throw Failure(message: "a dynamic block with too many codes") }
                    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                    var codeLengths = [Int](repeating: 0, count: 19)
                    for k in 0..<ncode { codeLengths[order[k]] = try bits(3) }
                    let lencode = try Huffman(lengths: codeLengths)
                    var lengths: [Int] = []
                    while lengths.count < nlen + ndist {
                        let sym = try decode(lencode)
                        if sym < 16 {
                            lengths.append(sym)
                        } else {
                            var repeatValue = 0, times = 0
                            switch sym {
                            case 16:
                                guard let p = lengths.last else { throw Failure(message: "a repeat with no previous length") }
                                repeatValue = p
                                times = 3 + (try bits(2))
                            case 17: times = 3 + (try bits(3))
                            default: times = 11 + (try bits(7))
                            }
                            guard lengths.count + times <= nlen + ndist else { throw Failure(message: "code lengths run past their count") }
                            lengths += [Int](repeating: repeatValue, count: times)
                        }
                    }
                    guard lengths[256] != 0 else { throw Failure(message: "no end-of-block code") }
                    try block(try Huffman(lengths: Array(lengths[..<nlen])), try Huffman(lengths: Array(lengths[nlen...])))
                default:
                    throw Failure(message: "a block of reserved type 3")
                }
            } while last == 0
        }

        mutating func block(_ lit: Huffman, _ dist: Huffman) throws(Failure) {
            while true {
                let sym = try decode(lit)
                if sym < 256 {
                    try emit(UInt8(sym))
                } else if sym == 256 {
                    return
                } else {
                    let i = sym - 257
                    guard i < Self.lengthBase.count else { throw Failure(message: "a length code out of range") }
                    let length = Self.lengthBase[i] + (try bits(Self.lengthExtra[i]))
                    let d = try decode(dist)
                    guard d < Self.distanceBase.count else { throw Failure(message: "a distance code out of range") }
                    let distance = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
                    guard distance <= out.count else { throw Failure(message: "a distance before the start of the output") }
                    for _ in 0..<length { try emit(out[out.count - distance]) }
                }
            }
        }
    }
}
