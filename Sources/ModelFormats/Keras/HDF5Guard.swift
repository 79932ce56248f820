import CLibHDF5

/// Checks libhdf5 1.10 does not make before it trusts a structure, done here first on the image's bytes.
///
/// A global heap collection (`GCOL`, where variable-length strings such as `model_config` live) is walked by
/// `H5HG__cache_heap_deserialize` object by object, advancing by each object's size; a free-space object of
/// size 0 advances by nothing and the walk never ends (found by fuzz-keras:
/// Tests/Fixtures/fuzz/keras/timeout-8177b470b8b651b6), and an oversized one points objects past the
/// collection. Every `GCOL` signature of the image whose header is a plausible collection is walked the same
/// way here, and an image where a walk would not end inside its collection is refused.
enum HDF5Guard {
    static let signature: [UInt8] = Array("GCOL".utf8)

    /// nil when every collection walks to its end; else the offset of the collection that does not.
    /// `skipping`: byte ranges known to be dataset storage (weights), sorted; they are not scanned, so the
    /// check touches the file's metadata, not its weights' pages.
    static func brokenGlobalHeap(_ b: UnsafeRawBufferPointer, skipping: [Range<Int>] = []) -> Int? {
        guard let base = b.baseAddress, b.count >= 16 else { return nil }
        var from = 0
        var gaps = skipping.makeIterator()
        var nextSkip = gaps.next()
        while from <= b.count - 16 {
            while let s = nextSkip, s.upperBound <= from { nextSkip = gaps.next() }
            if let s = nextSkip, s.lowerBound <= from { from = s.upperBound; continue }
            // Search up to the next skipped range (plus 3 bytes, for a signature that straddles its start).
            let limit = min(b.count, (nextSkip?.lowerBound).map { $0 + 3 } ?? b.count)
            guard limit - from >= 4 else { from = limit; continue }
            let found = signature.withUnsafeBytes { sig in
                slipway_memmem(base + from, limit - from, sig.baseAddress, 4)
            }
            guard let hit = found else { from = limit; continue }
            let at = UnsafeRawPointer(hit) - base
            from = at + 4
            guard at <= b.count - 16, b[at + 4] == 1 else { continue }
            let size = b.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian
            // libhdf5 writes collections of at least 4 KiB; a smaller one is not a collection it reads.
            guard size >= 4096, size <= UInt64(b.count - at) else { continue }
            if !walks(b, start: at, end: at + Int(size)) { return at }
        }
        return nil
    }

    /// The walk of H5HG__cache_heap_deserialize: 16-byte header, then objects (index u16, references u16,
    /// reserved u32, size u64, data padded to 8 bytes); index 0 is free space whose size is the rest.
    static func walks(_ b: UnsafeRawBufferPointer, start: Int, end: Int) -> Bool {
        var p = start + 16
        var steps = 0
        while p < end {
            if end - p < 16 { return true }  // too small for an object header: libhdf5 takes it as free space
            let index = b.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian
            let size = b.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self).littleEndian
            let remaining = UInt64(end - p)
            let need: UInt64
            if index > 0 {
                guard size <= remaining else { return false }
                need = 16 + (size + 7) / 8 * 8
            } else {
                need = size
            }
            guard need > 0, need <= remaining else { return false }
            p += Int(need)
            steps += 1
            if steps > 1 << 20 { return false }
        }
        return true
    }
}
