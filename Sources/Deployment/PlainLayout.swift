import Conversion
import Hashing
import Manifest

/// `plain`: the artifact at its `deploy.to` path (filled under `--to` when given, else where `convert` wrote
/// it), its report beside it, and `<artifact>.intoto.json`. In place (no `--to`), only the provenance is new.
enum PlainLayout {
    static func plan(release: ReleaseSource, target: TargetSpec, manifest: Manifest, base: String?,
                     provenance: (_ subjects: [Provenance.Subject], _ reportSHA: String) -> [UInt8])
        throws(DeployError) -> DeploymentPlan
    {
        let report = try release.digests.digest(of: release.report)
        var subjects = [Provenance.Subject(name: DeployFiles.lastComponent(release.artifact), sha256: release.artifactSHA)]
        var files: [ReleaseFile] = []
        var destination = release.artifact
        var data: (path: String, sha: String, size: Int)?
        if let d = release.externalData {
            let got = try release.digests.digest(of: d)
            data = (d, got.sha256, got.size)
            subjects.append(Provenance.Subject(name: DeployFiles.lastComponent(d), sha256: got.sha256))
        }
        if let base {
            let rel = Converter.outputPath(target: target, manifest: manifest, modelPath: release.modelPath)
            destination = Containment.destination(rel, folder: base)
            files.append(.copy(release.artifact, to: destination, sha256: release.artifactSHA, bytes: release.artifactBytes))
            if let data {
                files.append(.copy(data.path, to: destination + ".data", sha256: data.sha, bytes: data.size))
            }
            files.append(.copy(release.report, to: Converter.reportPath(for: destination), sha256: report.sha256, bytes: report.size))
        }
        files.append(.written(provenance(subjects, report.sha256), to: destination + ".intoto.json"))
        // A release already in place is left alone; one that differs in its artifact is not overwritten.
        var conflicts: [String] = []
        var same = true
        for f in files {
            guard let existing = try? release.digests.digest(of: f.path) else { same = false; continue }
            if existing.sha256 != f.sha256 {
                same = false
                if case .file = f.content, !f.path.hasSuffix(".report.json") {
                    conflicts.append("\(f.path) already holds another build (sha256 \(existing.sha256.prefix(12))…); bump deploy.version or pass --force")
                }
            }
        }
        return DeploymentPlan(
            target: release.target, layout: .plain, destination: destination, version: release.version, files: files,
            status: same ? .upToDate : (conflicts.isEmpty ? .ready : .refused(conflicts)), forced: [], commit: .files)
    }

    /// Each file lands by its own rename; the artifact's data before the artifact, the provenance last, so a
    /// provenance never describes a file that is not there yet.
    static func publish(_ plan: DeploymentPlan, cancellation: @Sendable () -> Bool) throws(DeployError) {
        var made: [String] = []
        var done = false
        defer { if !done { DeployFiles.removeEmptyFolders(made) } }
        for f in plan.files {
            if cancellation() { throw DeployError(.cancelled, "cancelled") }
            if let existing = try? plan.digests.digest(of: f.path), existing.sha256 == f.sha256 { continue }
            made += try DeployFiles.makeFolders(DeployFiles.directory(of: f.path))
            // What a killed deploy (or conversion) left here is removed first.
            StaleTemporaries.sweep(folder: DeployFiles.directory(of: f.path))
            try land(f, digests: plan.digests, cancellation: cancellation)
        }
        done = true
    }

    /// One file to its path through a temporary beside it; a copy whose bytes are not the planned ones (the
    /// source changed meanwhile) is discarded.
    static func land(_ f: ReleaseFile, digests: DigestCache, cancellation: @Sendable () -> Bool) throws(DeployError) {
        let tmp = DeployFiles.temporaryName(beside: f.path)
        switch f.content {
        case .bytes(let b):
            try DeployFiles.create(tmp, bytes: b)
        case .file(let source):
            do throws(DeployError) {
                // The digest of the source as it is now (cached by identity), then a kernel copy that checks
                // the identity did not change: the bytes published are the bytes the plan names.
                guard let id = FileDigests.Identity.of(source) else { throw DeployError(.io, "cannot open \(source)") }
                let now = try digests.digest(of: source)
                guard now.sha256 == f.sha256, FileDigests.Identity.of(source) == id else {
                    throw DeployError(.refused, "\(source) changed after the deploy was planned; nothing was published for it")
                }
                try DeployFiles.kernelCopy(source, to: tmp, identity: id, cancellation: cancellation)
            } catch {
                unlink(tmp)
                throw error
            }
        }
        guard rename(tmp, f.path) == 0 else {
            let e = DeployFiles.errnoText()
            unlink(tmp)
            throw DeployError(.io, "cannot rename \(tmp) to \(f.path): \(e)")
        }
        DeployFiles.fsyncDirectory(DeployFiles.directory(of: f.path))
    }
}

#if canImport(Glibc)
import Glibc
#endif
