/// Converts libyaml mark indices to byte offsets.
///
/// libyaml's `mark.index` counts Unicode scalars (a CRLF counts two), not bytes. For ASCII text the two
/// agree; otherwise we keep the byte offset of every 64th scalar and walk at most 63 scalars from there,
/// which bounds memory at 1/8 of the text and each lookup at a few dozen byte reads.
struct ScalarOffsets {
    private let bytes: [UInt8]
    private let base: Int
    private let checkpoints: [Int]  // byte offset of scalar k*64, relative to `base`; empty when ASCII
    private static let stride = 64

    init(bytes: [UInt8], base: Int) {
        self.bytes = bytes
        self.base = base
        var ascii = true
        for i in base..<bytes.count where bytes[i] >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            checkpoints = []
            return
        }
        var cps: [Int] = []
        cps.reserveCapacity((bytes.count - base) / ScalarOffsets.stride + 1)
        var scalar = 0
        var i = base
        while i < bytes.count {
            if scalar % ScalarOffsets.stride == 0 { cps.append(i - base) }
            i += ScalarOffsets.width(bytes[i])
            scalar += 1
        }
        cps.append(bytes.count - base)  // sentinel: scalars past the end clamp to the end
        checkpoints = cps
    }

    static func width(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// Byte offset in the whole text of the scalar at `index` (counted from `base`).
    func byteOffset(_ index: Int) -> Int {
        let idx = max(0, index)
        if checkpoints.isEmpty { return min(base + idx, bytes.count) }
        let k = idx / ScalarOffsets.stride
        guard k < checkpoints.count - 1 else { return bytes.count }
        var o = base + checkpoints[k]
        var remaining = idx - k * ScalarOffsets.stride
        while remaining > 0, o < bytes.count {
            o += ScalarOffsets.width(bytes[o])
            remaining -= 1
        }
        return min(o, bytes.count)
    }
}
