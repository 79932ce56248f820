/// A checksummed HDF5 metadata structure: its bytes in the image and where its 4-byte lookup3 checksum lies.
/// For most structures the checksum is their last 4 bytes, over the bytes before it; a fractal heap direct block
/// holds it inside, over the whole block with the field zeroed (`H5HF__cache_dblock_verify_chksum`).
public struct HDF5ChecksummedStructure: Equatable, Sendable {
    public let range: Range<Int>
    public let field: Int
}

/// The checksummed structures of an HDF5 image, as the guard's walk meets them, and their checksums rewritten:
/// for the keras fuzz target's mutator, which changes a field of a version 2 structure and recomputes its
/// checksum, so that the mutation reaches the checks behind it (the guard's and libhdf5's) instead of the
/// checksum.
public enum HDF5Checksums {
    /// Each checksummed structure the walk reads before it ends or refuses the image (the one it refuses for its
    /// checksum included).
    public static func structures(_ bytes: [UInt8]) -> [HDF5ChecksummedStructure] {
        bytes.withUnsafeBytes { b in
            let walk = HDF5Walk(b)
            do throws(HDF5Refusal) { try walk.run() } catch {}
            return walk.checksummed
        }
    }

    /// Rewrites `s`'s checksum over its bytes as they are now.
    public static func reseal(_ bytes: inout [UInt8], _ s: HDF5ChecksummedStructure) {
        guard s.range.lowerBound >= 0, s.range.upperBound <= bytes.count, s.field >= s.range.lowerBound,
              s.field + 4 <= s.range.upperBound else { return }
        let sum: UInt32
        if s.field == s.range.upperBound - 4 {
            sum = bytes[s.range.lowerBound..<s.field].withUnsafeBytes { HDF5Lookup3.hash($0) }
        } else {
            var copy = Array(bytes[s.range])
            for i in 0..<4 { copy[s.field - s.range.lowerBound + i] = 0 }
            sum = copy.withUnsafeBytes { HDF5Lookup3.hash($0) }
        }
        withUnsafeBytes(of: sum.littleEndian) { for (i, v) in $0.enumerated() { bytes[s.field + i] = v } }
    }
}
