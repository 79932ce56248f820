#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hashing
import ModelFormats

/// What a test result was measured on, for the report: the SHA-256 of the original and of each artifact (the sample
/// set's digest comes from the runner, which reads each sample once), so a result can be traced to exact inputs.
enum Provenance {
    /// The file's SHA-256 (read through `RegularFile.open`, 1 MiB at a time), or nil when it cannot be read.
    static func sha256(ofFile path: String) -> String? {
        guard case .success(let f) = RegularFile.open(path) else { return nil }
        defer { close(f.fd) }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, 1 << 20) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
        }
        return hash.finalize()
    }
}
