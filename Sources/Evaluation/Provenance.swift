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
    /// Remembered per file identity (device, inode, size, modification time), so that `check` and the server,
    /// which compare test records on every run, hash a large artifact once and not on every keystroke.
    static func sha256(ofFile path: String) -> String? {
        guard case .success(let f) = RegularFile.open(path) else { return nil }
        defer { close(f.fd) }
        var st = stat()
        let key: DigestMemo.Key? = fstat(f.fd, &st) == 0
            ? DigestMemo.Key(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                             seconds: Int64(st.st_mtim.tv_sec), nanoseconds: Int64(st.st_mtim.tv_nsec))
            : nil
        if let key, let known = DigestMemo.shared.value(for: key) { return known }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, 1 << 20) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
        }
        let digest = hash.finalize()
        if let key { DigestMemo.shared.store(digest, for: key) }
        return digest
    }
}
