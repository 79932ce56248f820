import ModelFormats

/// Structure-aware mutation of HDF5 images for fuzz-keras. Every version 2 structure (object headers and their
/// continuation chunks, fractal heap blocks, version 2 B-tree nodes, the superblock) carries a lookup3 checksum
/// that libFuzzer's byte mutations break nearly every time, so its inputs stop at the guard's checksum check and
/// never reach what lies behind it. This mutator first rewrites the checksum of every structure the guard's walk
/// meets (`HDF5Checksums`: a fixed structure lets the walk go further, so it repeats while more are found), then
/// overwrites one to three fields inside those structures with edge values and rewrites their checksums: the
/// mutation then reaches the guard's other checks and, past them, libhdf5.
public enum HDF5Mutator {
    public static func mutate(_ data: [UInt8], seed: UInt64) -> [UInt8]? {
        guard data.count >= 48, data.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) else { return nil }
        var out = data
        var structures: [HDF5ChecksummedStructure] = []
        for _ in 0..<4 {
            let found = HDF5Checksums.structures(out)
            for s in found { HDF5Checksums.reseal(&out, s) }
            if found.count == structures.count { break }
            structures = found
        }
        guard !structures.isEmpty else { return nil }
        var g = SplitMix64(seed: seed)
        for _ in 0..<(1 + Int(g.next() % 3)) {
            let s = structures[Int(g.next() % UInt64(structures.count))]
            // A field of 1, 2, 4 or 8 bytes anywhere in the structure but its checksum.
            let size = [1, 2, 4, 8][Int(g.next() % 4)]
            let before = max(0, s.field - size - s.range.lowerBound + 1)
            let after = max(0, s.range.upperBound - size - (s.field + 4) + 1)
            guard before + after > 0 else { continue }
            let r = Int(g.next() % UInt64(before + after))
            let at = r < before ? s.range.lowerBound + r : s.field + 4 + (r - before)
            let old = FlatBufferMutator.load(out, at, size)
            FlatBufferMutator.store(&out, at, size, InterestingValues.replacement(for: old, using: &g))
            HDF5Checksums.reseal(&out, s)
        }
        return out == data ? nil : out
    }
}
