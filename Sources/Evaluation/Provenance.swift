#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hashing

/// What a test result was measured on, for the report: the SHA-256 of the original and of each artifact (the sample
/// set's digest comes from the runner, which reads each sample once), so a result can be traced to exact inputs.
enum Provenance {
    /// The file's SHA-256, or nil when it cannot be read: through `FileDigests.shared`, which remembers it by
    /// the file's identity, so that `check` and the server, which compare test records on every run, hash a
    /// large artifact once, and not on every pre-commit run either once the CLI persists digests.
    static func sha256(ofFile path: String) -> String? {
        FileDigests.shared.sha256(ofFile: path)?.sha256
    }
}
