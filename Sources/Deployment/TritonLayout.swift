#if canImport(Glibc)
import Glibc
#endif
import Conversion
import Manifest
import ModelFormats

/// `triton`: `<repository>/<model>/<version>/model.<ext>` with the artifact's data file, `report.json` and
/// `provenance.intoto.json` beside it, and `<repository>/<model>/config.pbtxt`. Versions are integers; a
/// deploy adds the next one and never touches the others (Triton's version policy serves the newest).
enum TritonLayout {
    static func modelName(manifest: Manifest, release: ReleaseSource) -> String {
        let stem = manifest.name?.value ?? DeployFiles.lastComponent(release.modelPath).split(separator: ".").first.map(String.init) ?? "model"
        // Triton names folders after models: keep to characters every file system and URL takes.
        let raw = "\(stem)-\(release.target)"
        return String(raw.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    /// The integer-named version folders under a model folder, ascending.
    static func versions(in folder: String) -> [Int] {
        DeployFiles.entries(of: folder).compactMap { name in
            guard !name.isEmpty, name.count <= 18, name.allSatisfy(\.isASCII), name.allSatisfy(\.isNumber),
                  let v = Int(name), DeployFiles.isFolder(folder + "/" + name) else { return nil }
            return v
        }.sorted()
    }

    static func plan(release: ReleaseSource, target: TargetSpec, manifest: Manifest, repository: String,
                     provenance: (_ subjects: [Provenance.Subject], _ reportSHA: String) -> [UInt8])
        throws(DeployError) -> DeploymentPlan
    {
        let name = modelName(manifest: manifest, release: release)
        let model: Model
        do throws(ModelError) { model = try ModelReader.read(path: release.artifact) } catch {
            throw DeployError(.io, "target \(release.target): cannot read the artifact \(release.artifact) to describe it to Triton: \(error)")
        }
        let config: TritonConfig
        switch TritonConfig.make(name: name, model: model, format: release.format, target: target, spec: manifest.deploy?.triton) {
        case .success(let c): config = c
        case .failure(let e): throw e
        }
        let modelFolder = repository + "/" + name
        let existing = versions(in: modelFolder)
        let report = try release.digests.digest(of: release.report)
        var subjects = [Provenance.Subject(name: config.modelFile, sha256: release.artifactSHA)]
        var dataFile: ReleaseFile?
        if let d = release.externalData {
            let got = try release.digests.digest(of: d)
            // The model refers to its data by the name it was written with: the data keeps that name.
            let dataName = DeployFiles.lastComponent(d)
            subjects.append(Provenance.Subject(name: dataName, sha256: got.sha256))
            dataFile = .copy(d, to: dataName, sha256: got.sha256, bytes: got.size)
        }
        let provenanceBytes = provenance(subjects, report.sha256)
        var relative: [ReleaseFile] = [.copy(release.artifact, to: config.modelFile, sha256: release.artifactSHA, bytes: release.artifactBytes)]
        if let dataFile { relative.append(dataFile) }
        relative.append(.copy(release.report, to: "report.json", sha256: report.sha256, bytes: report.size))
        relative.append(.written(provenanceBytes, to: "provenance.intoto.json"))
        let configFile = ReleaseFile.written(Array(config.text.utf8), to: modelFolder + "/config.pbtxt")
        // The newest version already holding these very files is this release: nothing to add.
        if let last = existing.last {
            let folder = "\(modelFolder)/\(last)"
            let same = relative.allSatisfy { f in (try? release.digests.digest(of: folder + "/" + f.path))?.sha256 == f.sha256 }
            let configSame = (try? DeployFiles.digest(of: configFile.path))?.sha256 == configFile.sha256
            if same && configSame {
                return DeploymentPlan(
                    target: release.target, layout: .triton, destination: folder, version: String(last),
                    files: relative.map { rebased($0, folder) }, status: .upToDate, forced: [], commit: .none)
            }
        }
        let next = (existing.last ?? 0) &+ 1
        let folder = "\(modelFolder)/\(next)"
        return DeploymentPlan(
            target: release.target, layout: .triton, destination: folder, version: String(next),
            files: relative.map { rebased($0, folder) }, status: .ready, forced: [],
            commit: .tritonVersion(modelFolder: modelFolder, version: next, config: configFile))
    }

    static func rebased(_ f: ReleaseFile, _ folder: String) -> ReleaseFile {
        var g = f
        g.path = folder + "/" + f.path
        return g
    }

    /// The version folder is staged beside the others and renamed into place whole: Triton, polling the
    /// repository, sees no version or a complete one. The configuration follows.
    static func publish(_ plan: DeploymentPlan, cancellation: @Sendable () -> Bool) throws(DeployError) {
        guard case .tritonVersion(let modelFolder, let version, let config) = plan.commit else { return }
        let made = try DeployFiles.makeFolders(modelFolder)
        // A version folder a killed deploy was staging is removed (its writer's PID is gone).
        StaleTemporaries.sweep(folder: modelFolder)
        let final = "\(modelFolder)/\(version)"
        let staging = try DeployFiles.makeStagingFolder(beside: final)
        var done = false
        defer {
            if !done {
                DeployFiles.removeStaging(staging)
                DeployFiles.removeEmptyFolders(made)
            }
        }
        for f in plan.files {
            if cancellation() { throw DeployError(.cancelled, "cancelled") }
            var staged = f
            staged.path = staging + "/" + DeployFiles.lastComponent(f.path)
            try PlainLayout.land(staged, digests: plan.digests, cancellation: cancellation)
        }
        DeployFiles.setFixedTime(path: staging)
        // rename(2) onto an existing folder would replace an empty one: a version that appeared meanwhile
        // (another deploy) is never replaced.
        if DeployFiles.isFolder(final) {
            throw DeployError(.unsafe, "target \(plan.target): \(final) appeared while deploying (another deploy?); nothing was replaced — run deploy again")
        }
        guard rename(staging, final) == 0 else {
            throw DeployError(.io, "cannot rename \(staging) to \(final): \(DeployFiles.errnoText())")
        }
        done = true
        DeployFiles.fsyncDirectory(modelFolder)
        if case .bytes(let b) = config.content { try DeployFiles.replace(config.path, bytes: b) }
        DeployFiles.setFixedTime(path: config.path)
    }
}
