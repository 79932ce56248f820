import Conversion
import Manifest

/// The engine entry point of deploys, for the CLI and the server: plans each target's release (what lands
/// where, with which digests, or why it may not ship) and publishes plans. No terminal or LSP knowledge.
public enum Deployer {
    /// One plan per target (all, or those named), in manifest order. A target that cannot ship gets a
    /// `.refused` plan saying why; `options.force` turns gate refusals into `forced` entries.
    public static func plan(manifest: Manifest, manifestPath: String, targets names: [String] = [], options: DeployOptions)
        -> [DeploymentPlan]
    {
        let folder = DeployFiles.directory(of: manifestPath)
        let chosen = names.isEmpty ? manifest.targets : manifest.targets.filter { names.contains($0.name.value) }
        return chosen.map { target in
            let name = target.name.value
            let layout = DeployLayout.of(target: target, manifest: manifest, override: options.layout)
            func refused(_ why: [String]) -> DeploymentPlan {
                DeploymentPlan(target: name, layout: layout, destination: "", version: manifest.deploy?.version?.value ?? "0",
                               files: [], status: .refused(why), forced: [], commit: .none)
            }
            let gates = options.blockers[name] ?? []
            if !gates.isEmpty && !options.force { return refused(gates + ["(pass --force to deploy anyway; it is recorded in the provenance)"]) }
            let release: ReleaseSource
            switch ReleaseSource.resolve(target: target, manifest: manifest, manifestPath: manifestPath, digests: DigestCache()) {
            case .success(let r): release = r
            case .failure(let e): return refused([e.message])
            }
            // Where it lands: --to, else deploy.repository (triton, oci), else the default; inside the project.
            let base: String?
            switch layout {
            case .plain: base = options.to
            case .triton, .oci: base = options.to ?? manifest.deploy?.repository?.value ?? layout.defaultRepository
            }
            let root = base.map { Containment.destination($0, folder: folder) }
            if let base, !options.allowOutsideProject,
               !Containment.isInside(base, folder: folder, resolve: Containment.disk) {
                return refused(["the destination \(base) lies outside the manifest's folder \(folder); pass --allow-outside-project to allow it"])
            }
            let test = options.testResults[name]
            func provenance(_ subjects: [Provenance.Subject], _ reportSHA: String) -> [UInt8] {
                Provenance.bytes(Provenance.statement(
                    subjects: subjects, release: release, layout: layout, forced: options.force ? gates : [], test: test,
                    toolVersion: options.toolVersion, reportSHA: reportSHA))
            }
            do throws(DeployError) {
                var plan: DeploymentPlan
                switch layout {
                case .plain: plan = try PlainLayout.plan(release: release, target: target, manifest: manifest, base: root, provenance: provenance)
                case .triton: plan = try TritonLayout.plan(release: release, target: target, manifest: manifest, repository: root ?? folder, provenance: provenance)
                case .oci: plan = try OCILayout.plan(release: release, manifest: manifest, root: root ?? folder, force: options.force, provenance: provenance)
                }
                plan.digests = release.digests
                if options.force {
                    plan.forced = gates
                    if case .refused(let why) = plan.status, layout == .plain {
                        // --force also lets a plain deploy replace a release of the same version.
                        plan.forced += why
                        plan.status = .ready
                    }
                }
                return plan
            } catch {
                return refused([error.message])
            }
        }
    }

    /// Carries out a `.ready` plan; other plans are left alone. A failure or a cancellation leaves the
    /// previous release as it was (staged files are removed).
    public static func publish(_ plan: DeploymentPlan, cancellation: @escaping @Sendable () -> Bool = { false })
        throws(DeployError)
    {
        guard plan.status == .ready else { return }
        switch plan.layout {
        case .plain: try PlainLayout.publish(plan, cancellation: cancellation)
        case .triton: try TritonLayout.publish(plan, cancellation: cancellation)
        case .oci: try OCILayout.publish(plan, cancellation: cancellation)
        }
    }
}
