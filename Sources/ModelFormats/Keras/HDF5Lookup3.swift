/// Bob Jenkins' lookup3 `hashlittle`, the checksum of every HDF5 metadata structure written since the 1.8
/// format (HDF5 File Format Specification Version 3.0, II.A "Checksum" and each structure's checksum field;
/// libhdf5's `H5_checksum_lookup3` in H5checksum.c, called with an initial value of 0 by
/// `H5_checksum_metadata`). The bytes are read one at a time, little-endian, as the portable path of lookup3 does.
enum HDF5Lookup3 {
    static func hash(_ b: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var a: UInt32 = 0xdead_beef &+ UInt32(truncatingIfNeeded: b.count) &+ initial
        var bb = a, c = a
        var at = 0
        var length = b.count
        func word(_ i: Int) -> UInt32 {
            UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        }
        while length > 12 {
            a &+= word(at)
            bb &+= word(at + 4)
            c &+= word(at + 8)
            // mix(a, b, c)
            a &-= c; a ^= rotate(c, 4); c &+= bb
            bb &-= a; bb ^= rotate(a, 6); a &+= c
            c &-= bb; c ^= rotate(bb, 8); bb &+= a
            a &-= c; a ^= rotate(c, 16); c &+= bb
            bb &-= a; bb ^= rotate(a, 19); a &+= c
            c &-= bb; c ^= rotate(bb, 4); bb &+= a
            length -= 12
            at += 12
        }
        if length == 0 { return c }
        // The last 1…12 bytes, zero-padded (lookup3's switch on the remaining length).
        var tail = [UInt8](repeating: 0, count: 12)
        for i in 0..<length { tail[i] = b[at + i] }
        func tailWord(_ i: Int) -> UInt32 {
            UInt32(tail[i]) | UInt32(tail[i + 1]) << 8 | UInt32(tail[i + 2]) << 16 | UInt32(tail[i + 3]) << 24
        }
        a &+= tailWord(0)
        bb &+= tailWord(4)
        c &+= tailWord(8)
        // final(a, b, c)
        c ^= bb; c &-= rotate(bb, 14)
        a ^= c; a &-= rotate(c, 11)
        bb ^= a; bb &-= rotate(a, 25)
        c ^= bb; c &-= rotate(bb, 16)
        a ^= c; a &-= rotate(c, 4)
        bb ^= a; bb &-= rotate(a, 14)
        c ^= bb; c &-= rotate(bb, 24)
        return c
    }

    @inline(__always) private static func rotate(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }
}
