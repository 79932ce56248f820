#if canImport(Glibc)
import Glibc
#endif
import JSON

/// `slipway verify DIR`: re-hashes a deployed tree against what it claims. Every `*.intoto.json` statement's
/// subjects must exist beside it with their recorded SHA-256; in an OCI layout, every blob must hash to its
/// name, every descriptor's size must match, and each manifest's provenance layer must name the digests of
/// the weight layers it travels with.
public enum DeployedTreeVerifier {
    public struct Outcome: Sendable, Equatable {
        /// Files whose digests were recomputed.
        public var filesChecked: Int
        public var statements: Int
        public var problems: [String]
    }

    static let maxEntries = 200_000
    static let maxDepth = 16

    public static func verify(_ root: String) -> Result<Outcome, DeployError> {
        guard DeployFiles.isFolder(root) else { return .failure(DeployError(.io, "\(root) is not a folder")) }
        var out = Outcome(filesChecked: 0, statements: 0, problems: [])
        var statements: [String] = []
        var seen = 0
        func walk(_ dir: String, _ depth: Int) {
            guard depth <= maxDepth else { out.problems.append("\(dir): deeper than \(maxDepth) folders; not verified"); return }
            for name in DeployFiles.entries(of: dir) {
                seen += 1
                guard seen <= maxEntries else { return }
                let path = dir + "/" + name
                var st = stat()
                guard lstat(path, &st) == 0 else { continue }
                // Links are not followed: a deployed tree holds files, and a link could lead anywhere.
                if st.st_mode & S_IFMT == S_IFDIR {
                    if name == "blobs" && DeployFiles.fileSize(dir + "/oci-layout") != nil { continue }
                    walk(path, depth + 1)
                } else if st.st_mode & S_IFMT == S_IFREG, name.hasSuffix(".intoto.json") {
                    statements.append(path)
                }
            }
        }
        walk(root, 0)
        if seen > maxEntries { out.problems.append("\(root): more than \(maxEntries) entries; the rest were not verified") }
        for s in statements { verifyStatement(s, into: &out) }
        var layouts: [String] = []
        func findLayouts(_ dir: String, _ depth: Int) {
            if DeployFiles.fileSize(dir + "/oci-layout") != nil { layouts.append(dir); return }
            guard depth < 4 else { return }
            for name in DeployFiles.entries(of: dir) where DeployFiles.isFolder(dir + "/" + name) { findLayouts(dir + "/" + name, depth + 1) }
        }
        findLayouts(root, 0)
        for l in layouts { verifyOCI(l, into: &out) }
        if out.statements == 0 && layouts.isEmpty {
            return .failure(DeployError(.io, "\(root) holds no provenance (*.intoto.json) and no OCI layout: nothing to verify"))
        }
        return .success(out)
    }

    static func parse(_ path: String) -> JSONValue? {
        guard let b = DeployFiles.readSmall(path, limit: 16 << 20) else { return nil }
        return try? JSONValue.parse(bytes: b)
    }

    static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    static func verifyStatement(_ path: String, into out: inout Outcome) {
        guard let json = parse(path) else { out.problems.append("\(path): not readable JSON"); return }
        out.statements += 1
        guard json["_type"]?.stringValue == Provenance.statementType else {
            out.problems.append("\(path): _type is \(json["_type"]?.stringValue ?? "missing"), expected \(Provenance.statementType)")
            return
        }
        guard let subjects = json["subject"]?.arrayValue, !subjects.isEmpty else {
            out.problems.append("\(path): no subject")
            return
        }
        let folder = DeployFiles.directory(of: path)
        for s in subjects {
            guard let name = s["name"]?.stringValue, let sha = s["digest"]?["sha256"]?.stringValue else {
                out.problems.append("\(path): a subject without a name or a sha256 digest")
                continue
            }
            // Subjects name files beside the statement; a path that climbs out is not one this tree holds.
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                out.problems.append("\(path): subject \(name) is not a file name beside the statement")
                continue
            }
            let file = folder + "/" + name
            guard let got = try? DeployFiles.digest(of: file) else {
                out.problems.append("\(file): missing (named by \(DeployFiles.lastComponent(path)))")
                continue
            }
            out.filesChecked += 1
            if got.sha256 != sha {
                out.problems.append("\(file): sha256 \(got.sha256), but \(DeployFiles.lastComponent(path)) records \(sha)")
            }
        }
    }

    static func verifyOCI(_ root: String, into out: inout Outcome) {
        let blobs = root + "/blobs/sha256"
        var sizes: [String: Int] = [:]
        for name in DeployFiles.entries(of: blobs) {
            let path = blobs + "/" + name
            guard isDigest(name) else { out.problems.append("\(path): not a sha256 blob name"); continue }
            guard let got = try? DeployFiles.digest(of: path) else { out.problems.append("\(path): unreadable"); continue }
            out.filesChecked += 1
            sizes[name] = got.size
            if got.sha256 != name { out.problems.append("\(path): content hashes to \(got.sha256)") }
        }
        guard let index = parse(root + "/index.json"), let manifests = index["manifests"]?.arrayValue else {
            out.problems.append("\(root)/index.json: missing or not an OCI index")
            return
        }
        func check(_ d: JSONValue, _ context: String) -> String? {
            guard let digest = d["digest"]?.stringValue, digest.hasPrefix("sha256:") else {
                out.problems.append("\(context): a descriptor without a sha256 digest")
                return nil
            }
            let hex = String(digest.dropFirst(7))
            guard let size = sizes[hex] else { out.problems.append("\(context): blob \(digest) is missing"); return nil }
            if d["size"]?.intValue != size { out.problems.append("\(context): \(digest) has \(size) bytes, the descriptor says \(d["size"]?.intValue ?? -1)") }
            return hex
        }
        for m in manifests {
            let ref = m["annotations"]?[OCILayout.refAnnotation]?.stringValue ?? "(untagged)"
            guard let hex = check(m, "index.json \(ref)"), let manifest = parse(blobs + "/" + hex) else { continue }
            if let c = manifest["config"] { _ = check(c, "\(ref) config") }
            var weights: Set<String> = []
            var provenanceBlobs: [String] = []
            for l in manifest["layers"]?.arrayValue ?? [] {
                guard let h = check(l, "\(ref) layer") else { continue }
                switch l["mediaType"]?.stringValue {
                case OCILayout.weightMediaType?: weights.insert(h)
                case Provenance.mediaType?: provenanceBlobs.append(h)
                default: break
                }
            }
            for p in provenanceBlobs {
                guard let statement = parse(blobs + "/" + p) else { out.problems.append("\(ref): provenance layer unreadable"); continue }
                out.statements += 1
                let named = Set((statement["subject"]?.arrayValue ?? []).compactMap { $0["digest"]?["sha256"]?.stringValue })
                if named != weights {
                    out.problems.append("\(ref): the provenance names \(named.sorted()) but the weight layers are \(weights.sorted())")
                }
            }
            if provenanceBlobs.isEmpty { out.problems.append("\(ref): no provenance layer") }
        }
    }
}
