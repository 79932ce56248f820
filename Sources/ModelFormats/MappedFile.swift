#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Tensor data is read through it in place: the kernel pages in
/// only what is touched, so inspecting a multi-GB model costs the bytes of its structure, not of its weights.
/// The mapping lives as long as this object; views handed out must not outlive it.
public final class MappedFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    public let path: String
    public let count: Int
    private let base: UnsafeMutableRawPointer?

    /// Files larger than this are refused before mapping (the address space is not the limit; sanity is).
    public static let defaultMaximumSize = 1 << 42  // 4 TiB

    public init(path: String, maximumSize: Int = MappedFile.defaultMaximumSize) throws(ModelError) {
        self.path = path
        // Never a blocking open: a FIFO or device as a model path is refused, not waited on.
        let opened: RegularFile.Opened
        switch RegularFile.open(path) {
        case .success(let o): opened = o
        case .failure(.directory): throw ModelError(.io, file: path, "is a directory, not a model file")
        case .failure(.system(let e)): throw ModelError(.io, file: path, "cannot open: \(String(cString: strerror(e)))")
        case .failure(let f): throw ModelError(.io, file: path, f.description)
        }
        let fd = opened.fd
        defer { close(fd) }
        let size = opened.size
        guard size > 0 else { throw ModelError(.io, file: path, "is empty (0 bytes)") }
        guard size <= maximumSize else {
            throw ModelError(.io, file: path, "is \(size) bytes, over the limit of \(maximumSize)")
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ModelError(.io, file: path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        self.base = p
        self.count = size
    }

    /// An anonymous mapping holding a copy of `bytes`, named `path` in errors: lets tests feed the readers
    /// thousands of mutated files without touching the disk.
    init(copying bytes: [UInt8], path: String) throws(ModelError) {
        self.path = path
        guard !bytes.isEmpty else { throw ModelError(.io, file: path, "is empty (0 bytes)") }
        guard let p = mmap(nil, bytes.count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            throw ModelError(.io, file: path, "cannot map \(bytes.count) bytes")
        }
        bytes.withUnsafeBytes { src in if let from = src.baseAddress { p.copyMemory(from: from, byteCount: bytes.count) } }
        self.base = p
        self.count = bytes.count
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The whole file.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A bounds-checked view of `range`, or nil when the range leaves the file.
    public func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer? {
        guard range.lowerBound >= 0, range.upperBound <= count else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// Bytes of mapped data from which a reader streams values and lets go of them (`release`) instead of
    /// keeping every page it touched: a mapping's pages count in the process's RSS until unmapped, so a
    /// 10 GB model read through its mapping reached 10.5 GB RSS (issue 17).
    public static let streamingThreshold = 256 << 20

    /// Tells the kernel that `bytes` (inside a mapping) will be read front to back: read ahead, drop behind.
    public static func adviseSequential(_ bytes: UnsafeRawBufferPointer) {
        guard let r = pageRange(bytes, outward: true) else { return }
        _ = madvise(r.start, r.count, MADV_SEQUENTIAL)
    }

    /// Lets go of the pages wholly inside `bytes`, which must lie in a read-only mapping: they leave this
    /// process's RSS, stay in the page cache, and a later read faults them in again with the same content.
    public static func release(_ bytes: UnsafeRawBufferPointer) {
        guard let r = pageRange(bytes, outward: false) else { return }
        _ = madvise(r.start, r.count, MADV_DONTNEED)
    }

    static let pageSize = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    /// The page-aligned span of `bytes`: widened to whole pages (the mapping's own pages, so still inside it)
    /// or narrowed to the pages it covers entirely.
    static func pageRange(_ bytes: UnsafeRawBufferPointer, outward: Bool) -> (start: UnsafeMutableRawPointer, count: Int)? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        let mask = pageSize - 1
        let lo = Int(bitPattern: base), hi = lo + bytes.count
        let start = outward ? lo & ~mask : (lo + mask) & ~mask
        let end = outward ? (hi + mask) & ~mask : hi & ~mask
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return nil }
        return (p, end - start)
    }

    /// A view of `length` bytes at `offset`, or nil when it leaves the file or the arithmetic overflows.
    public func slice(offset: Int, length: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        return slice(offset..<(offset + length))
    }
}
