import Conversion
import JSON
import Manifest

/// `oci`: an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md) holding
/// one manifest per target and version, tagged `<target>-<version>` in `index.json`. The manifest follows the
/// CNCF ModelPack model-spec (https://github.com/modelpack/model-spec/blob/main/docs/spec.md): artifact type
/// `application/vnd.cncf.model.manifest.v1+json`, a ModelPack config, the artifact (and its data file) as raw
/// weight layers, the conversion report as a raw doc layer, the provenance as an in-toto layer. Blobs are
/// content-addressed, so a deploy only adds; `index.json` is replaced last, atomically.
enum OCILayout {
    static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    static let indexMediaType = "application/vnd.oci.image.index.v1+json"
    static let artifactType = "application/vnd.cncf.model.manifest.v1+json"
    static let configMediaType = "application/vnd.cncf.model.config.v1+json"
    static let weightMediaType = "application/vnd.cncf.model.weight.v1.raw"
    static let docMediaType = "application/vnd.cncf.model.doc.v1.raw"
    static let refAnnotation = "org.opencontainers.image.ref.name"
    static let titleAnnotation = "org.opencontainers.image.title"
    static let filepathAnnotation = "org.cncf.model.filepath"

    static func blobPath(_ root: String, _ sha: String) -> String { "\(root)/blobs/sha256/\(sha)" }

    static func descriptor(_ f: ReleaseFile, mediaType: String, title: String?) -> JSONValue {
        var o: JSONObject = ["mediaType": .string(mediaType), "digest": .string("sha256:" + f.sha256), "size": .int(f.bytes)]
        if let title { o["annotations"] = .object([filepathAnnotation: .string(title), titleAnnotation: .string(title)]) }
        return .object(o)
    }

    static func plan(release: ReleaseSource, manifest: Manifest, root: String, force: Bool,
                     provenance: (_ subjects: [Provenance.Subject], _ reportSHA: String) -> [UInt8])
        throws(DeployError) -> DeploymentPlan
    {
        let artifactName = DeployFiles.lastComponent(release.artifact)
        let report = try release.digests.digest(of: release.report)
        var subjects = [Provenance.Subject(name: artifactName, sha256: release.artifactSHA)]
        var layers: [(ReleaseFile, String, String)] = [
            (.copy(release.artifact, to: blobPath(root, release.artifactSHA), sha256: release.artifactSHA, bytes: release.artifactBytes),
             weightMediaType, artifactName),
        ]
        if let d = release.externalData {
            let got = try release.digests.digest(of: d)
            subjects.append(Provenance.Subject(name: DeployFiles.lastComponent(d), sha256: got.sha256))
            layers.append((.copy(d, to: blobPath(root, got.sha256), sha256: got.sha256, bytes: got.size),
                           weightMediaType, DeployFiles.lastComponent(d)))
        }
        layers.append((.copy(release.report, to: blobPath(root, report.sha256), sha256: report.sha256, bytes: report.size),
                       docMediaType, DeployFiles.lastComponent(release.report)))
        let prov = provenance(subjects, report.sha256)
        let provFile = ReleaseFile.written(prov, to: blobPath(root, DeployFiles.digest(of: prov)))
        layers.append((provFile, Provenance.mediaType, "provenance.intoto.json"))

        let precision = release.reportJSON["settings"]?["weights"]?.stringValue ?? "float32"
        let config: JSONValue = .object([
            "descriptor": .object([
                "name": .string(manifest.name?.value ?? artifactName), "version": .string(release.version),
            ]),
            "config": .object(["format": .string(release.format), "precision": .string(precision)]),
            "modelfs": .object(["type": "layers", "diffIds": .array(layers.map { .string("sha256:" + $0.0.sha256) })]),
        ])
        let configBytes = Array(config.serialized().utf8)
        let configFile = ReleaseFile.written(configBytes, to: blobPath(root, DeployFiles.digest(of: configBytes)))
        let ociManifest: JSONValue = .object([
            "schemaVersion": 2,
            "mediaType": .string(manifestMediaType),
            "artifactType": .string(artifactType),
            "config": descriptor(configFile, mediaType: configMediaType, title: nil),
            "layers": .array(layers.map { descriptor($0.0, mediaType: $0.1, title: $0.2) }),
            "annotations": .object([
                "org.opencontainers.image.title": .string(manifest.name?.value ?? artifactName),
                "org.opencontainers.image.version": .string(release.version),
            ]),
        ])
        let manifestBytes = Array(ociManifest.serialized().utf8)
        let manifestFile = ReleaseFile.written(manifestBytes, to: blobPath(root, DeployFiles.digest(of: manifestBytes)))

        let ref = "\(release.target)-\(release.version)"
        let entry: JSONValue = .object([
            "mediaType": .string(manifestMediaType), "artifactType": .string(artifactType),
            "digest": .string("sha256:" + manifestFile.sha256), "size": .int(manifestFile.bytes),
            "annotations": .object([refAnnotation: .string(ref)]),
        ])
        let indexPath = root + "/index.json"
        let (indexBytes, previous) = try merged(index: indexPath, ref: ref, entry: entry)
        var status = DeploymentPlan.Status.ready
        if let previous {
            if previous == "sha256:" + manifestFile.sha256 {
                status = .upToDate
            } else if !force {
                status = .refused(["\(root) already holds \(ref) with other content (\(previous)); bump deploy.version or pass --force to re-point the tag (the old blobs stay)"])
            }
        }
        let indexFile = ReleaseFile.written(indexBytes, to: indexPath)
        let layout = ReleaseFile.written(Array("{\"imageLayoutVersion\":\"1.0.0\"}".utf8), to: root + "/oci-layout")
        return DeploymentPlan(
            target: release.target, layout: .oci, destination: root + ":" + ref, version: release.version,
            files: layers.map(\.0) + [configFile, manifestFile, layout], status: status, forced: [],
            commit: .ociIndex(root: root, index: indexFile, ref: ref, entry: entry))
    }

    /// `index.json` with `entry` tagged `ref` added or re-pointed, every other entry kept, sorted by tag; and
    /// the digest `ref` pointed to before, if it existed.
    static func merged(index path: String, ref: String, entry: JSONValue) throws(DeployError) -> ([UInt8], String?) {
        var entries: [(ref: String, value: JSONValue)] = []
        if let bytes = DeployFiles.readSmall(path) {
            guard let existing = try? JSONValue.parse(bytes: bytes), let list = existing["manifests"]?.arrayValue else {
                throw DeployError(.unsafe, "\(path) is not an OCI index Slipway can read; nothing was changed — move it away or deploy elsewhere")
            }
            for m in list { entries.append((m["annotations"]?[refAnnotation]?.stringValue ?? "", m)) }
        }
        var previous: String?
        if let i = entries.firstIndex(where: { $0.ref == ref }) {
            previous = entries[i].value["digest"]?.stringValue ?? ""
            entries[i].value = entry
        } else {
            entries.append((ref, entry))
        }
        entries.sort { $0.ref < $1.ref }
        let index: JSONValue = .object([
            "schemaVersion": 2, "mediaType": .string(indexMediaType), "manifests": .array(entries.map(\.value)),
        ])
        return (Array(index.serialized().utf8), previous)
    }

    /// Blobs land by content address (one already present is left as is: its name is its digest), the
    /// `oci-layout` marker if missing, and `index.json` last.
    static func publish(_ plan: DeploymentPlan, cancellation: @Sendable () -> Bool) throws(DeployError) {
        guard case .ociIndex(let root, _, let ref, let entry) = plan.commit else { return }
        let made = try DeployFiles.makeFolders(root + "/blobs/sha256")
        StaleTemporaries.sweep(folder: root)
        StaleTemporaries.sweep(folder: root + "/blobs/sha256")
        var done = false
        defer { if !done { DeployFiles.removeEmptyFolders(made) } }
        for f in plan.files {
            if cancellation() { throw DeployError(.cancelled, "cancelled") }
            if let existing = try? plan.digests.digest(of: f.path), existing.sha256 == f.sha256 { continue }
            try PlainLayout.land(f, digests: plan.digests, cancellation: cancellation)
        }
        // Re-read at the last moment: other targets of this run (or another run) may have tagged meanwhile.
        let (index, _) = try merged(index: root + "/index.json", ref: ref, entry: entry)
        try DeployFiles.replace(root + "/index.json", bytes: index)
        done = true
    }
}
