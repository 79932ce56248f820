import Hashing

/// File digests for a deploy, through the process's `FileDigests` (remembered by file identity, and persisted
/// in the CLI's cache folder), so that a deploy does not re-read a large model or artifact it has hashed
/// before; deploy's own error when a file cannot be read.
struct DigestCache: Sendable {
    func digest(of path: String) throws(DeployError) -> (sha256: String, size: Int) {
        guard let d = FileDigests.shared.sha256(ofFile: path) else { throw DeployError(.io, "cannot read \(path): not a readable file") }
        return d
    }
}
