import Checking
import Estimation
import Manifest
import ModelFormats

/// What a request may do with a manifest's model without waiting on model work. In `serve` the checker's
/// file system caches models (`ModelCachingFileSystem`): requests use only the copy the background pass has
/// read, and only cached estimates, and say "being read" otherwise. Any other file system (the specs'
/// in-memory trees, which cannot be cached) is read directly.
extension Features.Context {
    var defersModelWork: Bool { checker.fileSystem is ModelCachingFileSystem }

    func readyModel(_ path: String) -> Model? {
        if let caching = checker.fileSystem as? ModelCachingFileSystem { return caching.cachedModel(path) }
        return try? checker.fileSystem.readModel(path)
    }
}

extension Analysis {
    /// The background half of a check: reads each model the document names into the server's cache (after
    /// the worker has read it without crashing) and estimates its targets into the estimate cache, so that
    /// hovers and lenses then answer from memory. Nothing to do where models are not cached.
    static func warm(_ doc: Document, checker: ManifestChecker) {
        guard checker.fileSystem is ModelCachingFileSystem, let path = LSP.path(ofURI: doc.uri) else { return }
        let file = ManifestFile(bytes: doc.bytes, limits: checker.limits)
        for d in file.documents {
            guard let rel = d.manifest.model?.path?.value else { continue }
            let full = PathUtil.join(PathUtil.directory(of: path), rel)
            guard case .file = checker.fileSystem.kind(of: full), let model = try? checker.fileSystem.readModel(full) else { continue }
            if !d.manifest.targets.isEmpty {
                _ = TargetEstimation.run(manifest: d.manifest, model: model, cache: checker.estimateCache)
            }
        }
    }
}
