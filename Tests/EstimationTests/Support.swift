#if canImport(Glibc)
import Glibc
#endif
import Compression
import Estimation
import JSON
import ModelFormats

/// Files of this repository, found from this source file's path (tests run from any folder).
enum Repository {
    static let root: String = {
        var dir = String(#filePath)
        for _ in 0..<3 { if let slash = dir.lastIndex(of: "/") { dir = String(dir[..<slash]) } }
        return dir
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }
}

/// A safetensors file as the format specifies it (8-byte header length, JSON header padded with spaces to a
/// multiple of 8, little-endian data): small enough to state every value of the specs below.
func safetensors(_ tensors: [(name: String, shape: [Int], values: [Float])]) -> [UInt8] {
    var header = "{"
    var data: [UInt8] = []
    for (i, t) in tensors.enumerated() {
        let start = data.count
        for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        if i > 0 { header += "," }
        header += "\"\(t.name)\":{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],"
            + "\"data_offsets\":[\(start),\(data.count)]}"
    }
    header += "}"
    while (header.utf8.count + 8) % 8 != 0 { header += " " }
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out += $0 }
    return out + Array(header.utf8) + data
}

/// A fresh folder under /tmp, removed by the caller with `removeTree`.
func temporaryDirectory() -> String {
    var template = Array("/tmp/slipway-estimate-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { b in b.baseAddress.flatMap { mkdtemp($0) } }
    return made.map { String(cString: $0) } ?? "/tmp"
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var out: [String] = []
    while let e = readdir(dir) {
        let name = DirectoryEntry.name(e)
        if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
}

func removeTree(_ path: String) {
    for name in listDirectory(path) where unlink(path + "/" + name) != 0 { removeTree(path + "/" + name) }
    _ = rmdir(path)
}

/// A cache that counts what it is asked, over a memory cache whose identities are given by the test.
final class CountingCache: EstimateCache, @unchecked Sendable {
    let inner = MemoryEstimateCache()
    var identityValue: String?
    var loads = 0
    var stores = 0
    init(identity: String?) { identityValue = identity }
    func identity(of paths: [String]) -> String? { identityValue }
    func load(key: String) -> JSONValue? { loads += 1; return inner.load(key: key) }
    func store(key: String, value: JSONValue) { stores += 1; inner.store(key: key, value: value) }
}
