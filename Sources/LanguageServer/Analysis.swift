import Checking
import Diagnostics
import Manifest
import YAMLSyntax

/// What the engine says about one version of a document. Computed off the message loop, cached per version.
struct Analysis: Sendable {
    let version: Int
    /// Nil when the document is not a Slipway manifest: such files get nothing from Slipway.
    let result: CheckResult?

    var file: ManifestFile? { result?.file }
    var manifest: Manifest? { result?.file?.documents.first?.manifest }

    /// Manifests are `*.slipway.yaml`, `*.slipway.yml`, `slipway.yaml`, or any YAML whose first document
    /// has the version key at its top level.
    static func isManifest(uri: String, bytes: [UInt8]) -> Bool {
        let name = uri.split(separator: "/").last.map(String.init) ?? uri
        if Discovery.isManifestName(name) { return true }
        // A cheap scan instead of a parse: the key at column 0 of a line, before any second document.
        let key = Array((ManifestSchema.versionKey + ":").utf8)
        var lineStart = 0
        var i = 0
        while i <= bytes.count {
            if i == bytes.count || bytes[i] == 0x0A {
                let line = bytes[lineStart..<i]
                if line.starts(with: key) { return true }
                if line.starts(with: Array("---".utf8)) && lineStart > 0 && containsContent(bytes[0..<lineStart]) { return false }
                lineStart = i + 1
            }
            i += 1
        }
        return false
    }

    private static func containsContent(_ b: ArraySlice<UInt8>) -> Bool {
        var lineStart = b.startIndex
        for i in b.indices where b[i] == 0x0A {
            if let first = b[lineStart..<i].first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }), first != UInt8(ascii: "#"),
                !b[lineStart..<i].starts(with: Array("---".utf8))
            {
                return true
            }
            lineStart = i + 1
        }
        return false
    }

    /// True when the model work was left out (`compute(_:checker:modelWork: false)`): the diagnostics are a
    /// subset of the full check's, shown while it runs.
    var partial: Bool { result?.partial ?? false }

    static func compute(_ doc: Document, checker: ManifestChecker, modelWork: Bool = true) -> Analysis {
        guard isManifest(uri: doc.uri, bytes: doc.bytes) else { return Analysis(version: doc.version, result: nil) }
        let path = LSP.path(ofURI: doc.uri) ?? doc.uri
        return Analysis(version: doc.version, result: checker.check(bytes: doc.bytes, path: path, modelWork: modelWork))
    }
}
