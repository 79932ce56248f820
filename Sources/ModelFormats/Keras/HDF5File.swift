import CLibHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libhdf5 keeps global state and Debian's serial build is not thread-safe: every call goes through this lock.
enum HDF5Lock {
    nonisolated(unsafe) static var mutex: pthread_mutex_t = {
        var m = pthread_mutex_t()
        pthread_mutex_init(&m, nil)
        return m
    }()
    static func run<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        _ = slipway_h5_init()
        return try body()
    }
}

/// An HDF5 file opened in place from bytes already mapped (the model file, or an entry of a zip): libhdf5
/// reads the image, never the path, so every open still goes through `RegularFile`. Use only inside
/// `HDF5Lock.run`. Errors name the file and the HDF5 path that failed.
final class HDF5Image {
    let id: hid_t
    let path: String

    init(bytes: UnsafeRawBufferPointer, path: String) throws(ModelError) {
        self.path = path
        guard let base = bytes.baseAddress else { throw ModelError(.malformed, file: path, "is empty") }
        // libhdf5 is loaded on first use (CLibHDF5): a host without it cannot read Keras models, and says so.
        if let why = slipway_h5_load_error() {
            throw ModelError(.io, file: path, "cannot be read as a Keras HDF5 model: \(String(cString: why))")
        }
        // Before libhdf5 walks any group: a symbol table that points past the image crashes it (HDF5Guard).
        if let at = HDF5Guard.brokenSymbolTable(bytes) {
            throw Self.refused(path, "symbol table message at byte \(at)",
                             "its B-tree or local heap address is past the file's \(bytes.count) bytes (libhdf5 would read through it)")
        }
        // Every structure libhdf5 would follow to the objects the readers open, read and bounded first (HDF5Walk).
        do throws(HDF5Refusal) {
            _ = try HDF5Walk.check(bytes)
        } catch {
            throw Self.refused(path, "\(error.structure) at byte \(error.offset)", error.reason)
        }
        let id = slipway_h5_open_image(base, bytes.count)
        guard id >= 0 else {
            throw ModelError(.malformed, file: path, "is not a readable Keras HDF5 model: libhdf5 cannot open it (truncated or corrupt)")
        }
        self.id = id
    }

    deinit { slipway_H5Fclose(id) }

    /// Refuses the image when a global heap collection would hang or mislead libhdf5 (`HDF5Guard`). Call
    /// after opening and before reading any variable-length value: the datasets' storage is found first by
    /// walking the groups (links and dataset layouts live outside the global heap) and left unscanned.
    func guardGlobalHeaps(_ bytes: UnsafeRawBufferPointer) throws(ModelError) {
        var ranges: [Range<Int>] = []
        var visited = 0
        var seen: Set<UInt64> = []
        storage(id, ".", depth: 0, into: &ranges, visited: &visited, seen: &seen, imageSize: bytes.count)
        ranges.sort { $0.lowerBound < $1.lowerBound }
        if let at = HDF5Guard.brokenGlobalHeap(bytes, skipping: ranges) {
            throw Self.refused(path, "global heap at byte \(at)",
                             "an object's size does not fit its collection, or a value points at an object the collection does not hold (libhdf5 would loop or read outside it)")
        }
        if let at = HDF5Guard.brokenStringLength(bytes, skipping: ranges) {
            let length = bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
            throw Self.refused(path, "variable-length string at byte \(at)",
                             "its length \(length) is more than the file's \(bytes.count) bytes (a string of the file lies inside it; libhdf5 would allocate that much before reading)")
        }
        if let at = HDF5Guard.brokenStringType(bytes, skipping: ranges) {
            let size = bytes.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self).littleEndian
            throw Self.refused(path, "datatype at byte \(at)",
                             "a variable-length string of \(size)-byte characters (HDF5 strings have 1-byte characters; libhdf5 would allocate that much per character before reading)")
        }
    }

    /// Contiguous datasets' byte ranges under `group`, depth- and count-bounded, through hard links only and
    /// each object once (`seen`: a group that links itself twice would double the walk at every level); what
    /// cannot be read is skipped (the scan then covers it).
    private func storage(_ location: hid_t, _ group: String, depth: Int, into ranges: inout [Range<Int>], visited: inout Int,
                         seen: inout Set<UInt64>, imageSize: Int) {
        guard depth < 32 else { return }
        let g = slipway_h5_open_group(location, group)
        guard g >= 0 else { return }
        defer { slipway_H5Gclose(g) }
        guard let names = try? linkNames(g, field: group) else { return }
        for name in names {
            visited += 1
            guard visited < 1_000_000 else { return }
            guard let target = hardLinkTarget(g, name), seen.insert(target).inserted else { continue }
            if let d = try? dataset(g, name, field: name, imageSize: imageSize) {
                if let o = d.offset, d.bytes > 0 { ranges.append(o..<(o + d.bytes)) }
            } else {
                storage(g, name, depth: depth + 1, into: &ranges, visited: &visited, seen: &seen, imageSize: imageSize)
            }
        }
    }

    /// The address of the object `name` in `group` is a hard link to, or nil for a soft or external link. The
    /// readers follow hard links only: Keras and h5py write no others, a soft link can loop back to its own group,
    /// and an external link names a file on disk that libhdf5 would open by path (outside `RegularFile`).
    func hardLinkTarget(_ group: hid_t, _ name: String) -> UInt64? {
        let target = slipway_h5_hard_link_target(group, name)
        return target == UInt64.max ? nil : target
    }

    /// A structure the guards refuse before libhdf5 reads it: the error says what the file was taken for.
    static func refused(_ path: String, _ field: String, _ reason: String) -> ModelError {
        ModelError(.malformed, file: path, field: field, reason + "; not a readable Keras HDF5 model")
    }

    func error(_ field: String, _ message: String) -> ModelError {
        ModelError(.malformed, file: path, field: field, message)
    }

    /// Whether `name` (a path) leads to an object through hard links only (see `hardLinkTarget`).
    func exists(_ location: hid_t, link name: String) -> Bool {
        // H5Lexists fails on a path through a missing group; check each step.
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += prefix.isEmpty ? String(part) : "/" + part
            if slipway_h5_link_exists(location, prefix) <= 0 || hardLinkTarget(location, prefix) == nil { return false }
        }
        return !prefix.isEmpty
    }

    /// The names of a group's links, in name order.
    func linkNames(_ group: hid_t, field: String) throws(ModelError) -> [String] {
        let n = slipway_h5_link_count(group)
        guard n >= 0, n <= 1_000_000 else { throw error(field, "has \(n) links, not a readable group") }
        var names: [String] = []
        for i in 0..<Int(n) {
            let length = slipway_h5_link_name(group, UInt64(i), nil, 0)
            guard length >= 0, length < 65_536 else { throw error(field, "link \(i) has no readable name") }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            guard buffer.withUnsafeMutableBufferPointer({ slipway_h5_link_name(group, UInt64(i), $0.baseAddress, $0.count) }) == length else {
                throw error(field, "link \(i) has no readable name")
            }
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    func hasAttribute(_ location: hid_t, _ name: String) -> Bool { slipway_h5_attribute_exists(location, name) > 0 }

    /// A string attribute (variable-length or fixed), or each string of a one-dimensional string attribute.
    /// An empty array stored with a numeric type (h5py's `np.array([])`) is an empty list.
    func strings(_ location: hid_t, attribute name: String, field: String) throws(ModelError) -> [String] {
        let a = slipway_h5_open_attribute(location, name)
        guard a >= 0 else { throw error(field, "attribute '\(name)' cannot be opened") }
        defer { slipway_H5Aclose(a) }
        let type = slipway_H5Aget_type(a)
        guard type >= 0 else { throw error(field, "attribute '\(name)' has no readable type") }
        defer { slipway_H5Tclose(type) }
        let space = slipway_H5Aget_space(a)
        guard space >= 0 else { throw error(field, "attribute '\(name)' has no readable dataspace") }
        defer { slipway_H5Sclose(space) }
        let points = slipway_H5Sget_simple_extent_npoints(space)
        guard points >= 0, points <= 1_000_000 else { throw error(field, "attribute '\(name)' holds \(points) elements") }
        let count = Int(points)
        guard slipway_h5_class(type) == slipway_h5_class_string() else {
            if count == 0 { return [] }
            throw error(field, "attribute '\(name)' is not a string")
        }
        if count == 0 { return [] }
        if slipway_H5Tis_variable_str(type) > 0 {
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let r = pointers.withUnsafeMutableBufferPointer { p in slipway_h5_read_vlen_strings(a, p.baseAddress) }
            guard r == 0 else { throw error(field, "attribute '\(name)' cannot be read") }
            defer { pointers.withUnsafeMutableBufferPointer { p in slipway_h5_free_strings(p.baseAddress, count) } }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        let size = slipway_H5Tget_size(type)
        guard size > 0, size <= 64 << 20 else { throw error(field, "attribute '\(name)' has strings of \(size) bytes") }
        let (total, overflow) = Int(size).multipliedReportingOverflow(by: count)
        guard !overflow, total <= 256 << 20 else { throw error(field, "attribute '\(name)' is over 256 MiB") }
        var raw = [UInt8](repeating: 0, count: total)
        let r = raw.withUnsafeMutableBytes { p in slipway_h5_read_fixed(a, type, p.baseAddress) }
        guard r == 0 else { throw error(field, "attribute '\(name)' cannot be read") }
        return (0..<count).map { i in
            let slice = raw[(i * Int(size))..<((i + 1) * Int(size))]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: raw[slice.startIndex..<end], as: UTF8.self)
        }
    }

    /// Keras splits string lists over 64 KiB into `name0`, `name1`, ... (HDF5's attribute header limit).
    func chunkedStrings(_ location: hid_t, attribute name: String, field: String) throws(ModelError) -> [String] {
        if hasAttribute(location, name) { return try strings(location, attribute: name, field: field) }
        var all: [String] = []
        var i = 0
        while hasAttribute(location, "\(name)\(i)"), i < 100_000 {
            all += try strings(location, attribute: "\(name)\(i)", field: field)
            i += 1
        }
        return all
    }

    struct Dataset {
        var dtype: DType
        var shape: [Int]
        var elements: Int
        var bytes: Int
        /// Where the little-endian bytes lie in the image, when stored contiguous, unfiltered and little-endian.
        var offset: Int?
        /// Why the bytes are not in place (chunked, compressed, big-endian...), for the reader's message.
        var notInPlace: String?
    }

    func dataset(_ location: hid_t, _ name: String, field: String, imageSize: Int) throws(ModelError) -> Dataset {
        let d = slipway_h5_open_dataset(location, name)
        guard d >= 0 else { throw error(field, "dataset '\(name)' cannot be opened") }
        defer { slipway_H5Dclose(d) }
        let type = slipway_H5Dget_type(d)
        guard type >= 0 else { throw error(field, "dataset '\(name)' has no readable type") }
        defer { slipway_H5Tclose(type) }
        let size = Int(slipway_H5Tget_size(type))
        let cls = slipway_h5_class(type)
        let signed = slipway_h5_is_signed(type) != 0
        let dtype: DType?
        switch (cls, size) {
        case (slipway_h5_class_float(), 8): dtype = .float64
        case (slipway_h5_class_float(), 4): dtype = .float32
        case (slipway_h5_class_float(), 2): dtype = .float16
        case (slipway_h5_class_integer(), 8): dtype = signed ? .int64 : .uint64
        case (slipway_h5_class_integer(), 4): dtype = signed ? .int32 : .uint32
        case (slipway_h5_class_integer(), 2): dtype = signed ? .int16 : .uint16
        case (slipway_h5_class_integer(), 1): dtype = signed ? .int8 : .uint8
        case (slipway_h5_class_enum(), 1): dtype = .bool  // h5py stores numpy bool as an int8 enum
        default: dtype = nil
        }
        guard let dtype else { throw error(field, "dataset '\(name)' has HDF5 type class \(cls) of \(size) bytes, not a number") }
        let space = slipway_H5Dget_space(d)
        guard space >= 0 else { throw error(field, "dataset '\(name)' has no readable dataspace") }
        defer { slipway_H5Sclose(space) }
        let rank = Int(slipway_H5Sget_simple_extent_ndims(space))
        guard rank >= 0, rank <= 32 else { throw error(field, "dataset '\(name)' has rank \(rank)") }
        var dims = [hsize_t](repeating: 0, count: rank)
        if rank > 0 {
            guard dims.withUnsafeMutableBufferPointer({ slipway_H5Sget_simple_extent_dims(space, $0.baseAddress, nil) }) == Int32(rank) else {
                throw error(field, "dataset '\(name)' has unreadable dimensions")
            }
        }
        var shape: [Int] = []
        for d in dims {
            guard d <= UInt64(Int.max) else { throw error(field, "dataset '\(name)' has a dimension of \(d)") }
            shape.append(Int(d))
        }
        guard let elements = ElementCount.of(shape), let bytes = dtype.byteCount(elements: elements) else {
            throw error(field, "dataset '\(name)' of shape \(shape): the element count overflows")
        }
        var offset: Int?
        var notInPlace: String?
        let layout = slipway_h5_layout(d)
        if slipway_h5_is_little_endian(type) == 0 && size > 1 {
            notInPlace = "stored big-endian"
        } else if layout != 1 {
            notInPlace = layout == 2 ? "stored in chunks" : layout == 0 ? "stored compact, in its header" : "stored with an unknown layout"
        } else if slipway_h5_filter_count(d) != 0 {
            notInPlace = "stored filtered (compressed)"
        } else if bytes > 0 {
            let at = slipway_h5_offset(d)
            guard at != UInt64.max, at <= UInt64(imageSize), UInt64(bytes) <= UInt64(imageSize) - at else {
                throw error(field, "dataset '\(name)' claims \(bytes) bytes at offset \(at), past the end of the file (\(imageSize) bytes)")
            }
            offset = Int(at)
        }
        return Dataset(dtype: dtype, shape: shape, elements: elements, bytes: bytes, offset: offset, notInPlace: notInPlace)
    }
}
