import Conversion
import JSON
import Manifest

/// What a target ships, found where `convert` left it: the artifact, its conversion report, the source model
/// and the manifest, each with its digest. A release is current only when the report describes this very
/// artifact made from this very model; anything else is stale and is not deployed.
struct ReleaseSource: Sendable {
    var target: String
    /// The artifact, as a path (relative to the working folder).
    var artifact: String
    /// The artifact's external-data file, when the report names one (shipped beside the artifact).
    var externalData: String?
    var report: String
    var reportJSON: JSONValue
    var artifactSHA: String
    var artifactBytes: Int
    var format: String
    var modelPath: String
    var modelSHA: String
    var manifestPath: String
    var manifestSHA: String
    var version: String
    var digests: DigestCache

    /// Resolves `target`'s release, or the reasons it cannot ship (in the order a user fixes them).
    static func resolve(target: TargetSpec, manifest: Manifest, manifestPath: String, digests: DigestCache)
        -> Result<ReleaseSource, DeployError>
    {
        let name = target.name.value
        let folder = DeployFiles.directory(of: manifestPath)
        guard let modelRel = manifest.model?.path?.value, !modelRel.isEmpty else {
            return .failure(DeployError(.manifest, "target \(name): the manifest names no model (model.path)"))
        }
        let modelPath = Containment.destination(modelRel, folder: folder)
        let rel = Converter.outputPath(target: target, manifest: manifest, modelPath: modelPath)
        let artifact = Containment.destination(rel, folder: folder)
        let report = Converter.reportPath(for: artifact)
        if DeployFiles.isFolder(artifact) {
            return .failure(DeployError(.unsupported, "target \(name): the artifact \(artifact) is a folder (a Core ML package); deploying folders is not supported yet — ship it with your app's build"))
        }
        guard DeployFiles.fileSize(artifact) != nil else {
            return .failure(DeployError(.refused, "target \(name): no artifact at \(artifact); run `slipway convert \(manifestPath) --target \(name)` first"))
        }
        guard let bytes = DeployFiles.readSmall(report), let json = try? JSONValue.parse(bytes: bytes) else {
            return .failure(DeployError(.refused, "target \(name): the artifact \(artifact) has no readable conversion report (\(report)); run `slipway convert \(manifestPath) --target \(name)` to rebuild it"))
        }
        let digestResult = Result { () throws(DeployError) in
            (try digests.digest(of: artifact), try digests.digest(of: modelPath), try DeployFiles.digest(of: manifestPath))
        }
        guard case .success(let (art, model, man)) = digestResult else {
            if case .failure(let e) = digestResult { return .failure(e) }
            return .failure(DeployError(.io, "target \(name): cannot read its files"))
        }
        // The report must describe this artifact, made from this model: otherwise the artifact is stale.
        if json["output"]?["sha256"]?.stringValue != art.sha256 {
            return .failure(DeployError(.refused, "target \(name): \(artifact) is not the artifact its report describes (it changed after conversion); run `slipway convert \(manifestPath) --target \(name) --force`"))
        }
        if let recorded = json["inputs"]?[0]?["sha256"]?.stringValue, recorded != model.sha256 {
            return .failure(DeployError(.refused, "target \(name): the artifact is stale — \(modelRel) changed since it was converted; run `slipway convert \(manifestPath) --target \(name)`"))
        }
        var data: String?
        if let d = json["output"]?["external_data"], let sha = d["sha256"]?.stringValue {
            let path = artifact + ".data"
            guard let got = try? digests.digest(of: path), got.sha256 == sha else {
                return .failure(DeployError(.refused, "target \(name): the external data \(path) is missing or not the one its report describes; run `slipway convert \(manifestPath) --target \(name) --force`"))
            }
            data = path
        }
        let format = target.format?.value ?? DeployFiles.lastComponent(artifact).split(separator: ".").last.map(String.init) ?? "bin"
        return .success(ReleaseSource(
            target: name, artifact: artifact, externalData: data, report: report, reportJSON: json,
            artifactSHA: art.sha256, artifactBytes: art.size, format: format, modelPath: modelPath,
            modelSHA: model.sha256, manifestPath: manifestPath, manifestSHA: man.sha256,
            version: manifest.deploy?.version?.value ?? "0", digests: digests))
    }
}

extension Result where Failure == DeployError {
    /// `Result(catching:)` for typed throws.
    init(_ body: () throws(DeployError) -> Success) {
        do throws(DeployError) { self = .success(try body()) } catch { self = .failure(error) }
    }
}
