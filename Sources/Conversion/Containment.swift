#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Manifest

/// Whether a manifest's output stays inside the manifest's folder. One function decides it for `convert`
/// (which refuses) and `check` (which reports SW3004 on the YAML value to blame), so the two always agree.
///
/// The decision is made on the lexically normalised path (`.` and `..` resolved as text against the folder),
/// then on the symbolic links of the part that exists, and before any folder is created: resolving the deepest
/// existing folder first and appending the rest (`nosuchdir/../../x`) would let `..` climb past the check.
public enum Containment {
    /// Resolves an existing path through its symbolic links (realpath), or nil when it does not exist.
    /// `check` passes nil for a file system without links (in-memory trees): the lexical test alone decides.
    public typealias LinkResolver = @Sendable (String) -> String?

    /// The disk's resolver.
    public static let disk: LinkResolver = { PathSafety.realPath($0) }

    /// Removes `.` and resolves `..` as text; a leading `..` that climbs above a relative start is kept, one
    /// above `/` is dropped (as the kernel does).
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var out: [Substring] = []
        for c in path.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == "..", let last = out.last, last != ".." {
                out.removeLast()
            } else if c == "..", absolute {
                continue
            } else {
                out.append(c)
            }
        }
        let joined = out.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// The path a conversion writes for `rel` (relative to `folder`, or absolute): joined and normalised as
    /// text, so that what is checked is what is opened (`link/..` is not left for the kernel to resolve).
    public static func destination(_ rel: String, folder: String) -> String {
        if rel.hasPrefix("/") { return normalize(rel) }
        if folder.isEmpty || folder == "." { return normalize(rel) }
        return normalize(folder + "/" + rel)
    }

    /// True when `rel` (relative to `folder`, or absolute) lies strictly inside `folder`: lexically first, then
    /// (with a resolver) with the links of its existing part resolved against the resolved folder.
    public static func isInside(_ rel: String, folder: String, resolve: LinkResolver?) -> Bool {
        let lexical = normalize(rel)
        if !rel.hasPrefix("/") {
            // Lexically outside (or the folder itself): no link can bring it back in.
            if lexical == "." || lexical == ".." || lexical.hasPrefix("../") { return false }
            guard let resolve else { return true }
            // The folder itself may not exist yet (an editor's unsaved buffer): resolved like the output.
            guard let root = resolvedExistingPrefix(folder.isEmpty ? "." : folder, resolve: resolve),
                  let resolved = resolvedExistingPrefix((folder.isEmpty ? "." : folder) + "/" + lexical, resolve: resolve)
            else { return false }
            return resolved.hasPrefix(root == "/" ? "/" : root + "/") && resolved != root
        }
        // An absolute output is inside only when, resolved, it lands in the resolved folder.
        guard let resolve, let root = resolvedExistingPrefix(folder.isEmpty ? "." : folder, resolve: resolve),
              let resolved = resolvedExistingPrefix(lexical, resolve: resolve)
        else { return false }
        return resolved.hasPrefix(root == "/" ? "/" : root + "/") && resolved != root
    }

    /// `path` (without `..` after its existing part) with its deepest existing ancestor resolved through its links
    /// and the missing components appended (they will be created as plain folders). Nil when a component is a
    /// dangling link: where it would lead cannot be checked.
    static func resolvedExistingPrefix(_ path: String, resolve: LinkResolver) -> String? {
        var existing = path
        var rest: [String] = []
        while true {
            if let base = resolve(existing) {
                return ([base] + rest).joined(separator: "/").replacingSlashes()
            }
            var st = stat()
            if lstat(existing, &st) == 0 { return nil }  // exists (a dangling link, or unreadable): refuse
            let name = SafeWriter.lastComponent(existing)
            if name == ".." { return nil }
            rest.insert(name, at: 0)
            let parent = SafeWriter.directory(of: existing)
            if parent == existing { return nil }
            existing = parent
        }
    }

    /// An output of a target that leaves the manifest's folder: the path and the YAML value that puts it there.
    public struct Escape: Sendable {
        /// The artifact path, relative to the manifest's folder (as the target's settings make it).
        public var output: String
        /// The value to blame: the target's `output`, or `deploy.to`, `deploy.version` or `name` when the
        /// template or one of its placeholders climbs out.
        public var value: Located<String>
        /// The manifest key of `value`, for messages.
        public var key: String
    }

    /// The escape of `target`'s artifact, or nil when it stays inside `folder`.
    public static func escape(
        target: TargetSpec, manifest: Manifest, folder: String, resolve: LinkResolver?
    ) -> Escape? {
        let modelPath = manifest.model?.path?.value ?? "model"
        let rel = Converter.outputPath(target: target, manifest: manifest, modelPath: modelPath)
        if isInside(rel, folder: folder, resolve: resolve) { return nil }
        if let o = target.output, !o.value.isEmpty {
            return Escape(output: rel, value: o, key: "targets.\(target.name.value).output")
        }
        // The template with harmless placeholder values: if it still climbs out, the template is to blame.
        var harmless = manifest
        if let v = harmless.deploy?.version { harmless.deploy?.version = Located("v", v.range) }
        if let n = harmless.name { harmless.name = Located("n", n.range) }
        let templated = Converter.outputPath(target: target, manifest: harmless, modelPath: "model")
        if let to = manifest.deploy?.to, !isInside(templated, folder: folder, resolve: resolve) {
            return Escape(output: rel, value: to, key: "deploy.to")
        }
        var onlyVersion = manifest
        if let n = onlyVersion.name { onlyVersion.name = Located("n", n.range) }
        if let v = manifest.deploy?.version,
           !isInside(Converter.outputPath(target: target, manifest: onlyVersion, modelPath: "model"), folder: folder, resolve: resolve) {
            return Escape(output: rel, value: v, key: "deploy.version")
        }
        if let n = manifest.name { return Escape(output: rel, value: n, key: "name") }
        if let to = manifest.deploy?.to { return Escape(output: rel, value: to, key: "deploy.to") }
        return Escape(output: rel, value: target.name, key: "targets.\(target.name.value)")
    }
}
