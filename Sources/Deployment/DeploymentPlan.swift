import JSON

/// One file of a release as it will land, with the digest it will have.
public struct ReleaseFile: Sendable, Equatable {
    enum Content: Sendable, Equatable {
        /// Copied from this path (the artifact, its data file, its report).
        case file(String)
        /// Written by the deploy (provenance, config.pbtxt, OCI manifests).
        case bytes([UInt8])
    }

    /// Where the file lands.
    public var path: String
    public var sha256: String
    public var bytes: Int
    var content: Content
    /// The OCI media type, for layers.
    var mediaType: String?

    static func copy(_ source: String, to path: String, sha256: String, bytes: Int, mediaType: String? = nil) -> ReleaseFile {
        ReleaseFile(path: path, sha256: sha256, bytes: bytes, content: .file(source), mediaType: mediaType)
    }

    static func written(_ data: [UInt8], to path: String, mediaType: String? = nil) -> ReleaseFile {
        ReleaseFile(path: path, sha256: DeployFiles.digest(of: data), bytes: data.count, content: .bytes(data), mediaType: mediaType)
    }
}

/// What `deploy` will do for one target: `--dry-run` prints it, a real run carries it out.
public struct DeploymentPlan: Sendable {
    public enum Status: Sendable, Equatable {
        case ready
        /// The destination already holds exactly this release.
        case upToDate
        case refused([String])
    }

    public var target: String
    public var layout: DeployLayout
    /// The release's folder (triton: the version folder; oci: the layout root) or, for plain, the artifact.
    public var destination: String
    /// The version the release is published as (Triton: an integer; otherwise `deploy.version`).
    public var version: String
    public var files: [ReleaseFile]
    public var status: Status
    /// The gates `--force` overrode (recorded in the provenance).
    public var forced: [String]
    var commit: Commit
    /// The digests the plan was made with, for the copies to check against.
    var digests = DigestCache()

    /// How the files become visible at once.
    enum Commit: Sendable, Equatable {
        case none
        /// Each file by its own rename (plain).
        case files
        /// Version folder staged then renamed; `config.pbtxt` replaced after (triton).
        case tritonVersion(modelFolder: String, version: Int, config: ReleaseFile)
        /// Content-addressed blobs first, `index.json` last (oci).
        case ociIndex(root: String, index: ReleaseFile, ref: String, entry: JSONValue)
    }

    public var json: JSONValue {
        var o: JSONObject = [
            "target": .string(target), "layout": .string(layout.rawValue), "destination": .string(destination),
            "version": .string(version),
        ]
        switch status {
        case .ready: o["status"] = "ready"
        case .upToDate: o["status"] = "up to date"
        case .refused(let why):
            o["status"] = "refused"
            o["reasons"] = .array(why.map { .string($0) })
        }
        if !forced.isEmpty { o["forced"] = .array(forced.map { .string($0) }) }
        var all = files
        switch commit {
        case .tritonVersion(_, _, let config): all.append(config)
        case .ociIndex(_, let index, _, _): all.append(index)
        default: break
        }
        o["files"] = .array(all.map { .object(["path": .string($0.path), "bytes": .int($0.bytes), "sha256": .string($0.sha256)]) })
        return .object(o)
    }
}
