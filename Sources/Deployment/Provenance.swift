import JSON

/// The in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md) that
/// every deployed artifact carries, with a SLSA Provenance v1 predicate (https://slsa.dev/spec/v1.0/provenance):
/// what was built (the artifact's name and SHA-256), from what (the source model and the manifest, by digest),
/// how (the target's settings, the converter and Slipway versions) and what it passed (the last test). No
/// timestamps: two deploys of the same inputs write the same bytes.
enum Provenance {
    static let statementType = "https://in-toto.io/Statement/v1"
    static let predicateType = "https://slsa.dev/provenance/v1"
    /// The build type's URI names this document's version; docs/deploy.md describes its parameters.
    static let buildType = "https://slipway.dev/deploy/v1"
    /// The media type of an in-toto statement as a file or an OCI layer.
    static let mediaType = "application/vnd.in-toto+json"

    struct Subject {
        var name: String
        var sha256: String
    }

    static func statement(
        subjects: [Subject], release: ReleaseSource, layout: DeployLayout, forced: [String], test: TestRecord?,
        toolVersion: String, reportSHA: String
    ) -> JSONValue {
        let settings = release.reportJSON["settings"] ?? .null
        let tools = release.reportJSON["tools"] ?? .null
        var external: JSONObject = [
            "manifest": .string(DeployFiles.lastComponent(release.manifestPath)),
            "target": .string(release.target),
            "version": .string(release.version),
            "layout": .string(layout.rawValue),
            "settings": settings,
        ]
        // Gates overridden with --force stay on record with the artifact they let through.
        if !forced.isEmpty { external["forced"] = .array(forced.map { .string($0) }) }
        var testJSON: JSONObject = ["name": "test-results"]
        if let test {
            var annotations: JSONObject = ["status": .string(test.status)]
            for (k, v) in test.metrics.sorted(by: { $0.key < $1.key }) { annotations[k] = .double(v) }
            if let r = test.runtime { annotations["runtime"] = .string(r) }
            testJSON["annotations"] = .object(annotations)
        } else {
            testJSON["annotations"] = .object(["status": "not run"])
        }
        let predicate: JSONValue = .object([
            "buildDefinition": .object([
                "buildType": .string(buildType),
                "externalParameters": .object(external),
                "internalParameters": .object(["tools": tools]),
                "resolvedDependencies": .array([
                    .object(["uri": .string("file:" + DeployFiles.lastComponent(release.modelPath)),
                             "digest": .object(["sha256": .string(release.modelSHA)])]),
                    .object(["uri": .string("file:" + DeployFiles.lastComponent(release.manifestPath)),
                             "digest": .object(["sha256": .string(release.manifestSHA)])]),
                ]),
            ]),
            "runDetails": .object([
                "builder": .object([
                    "id": .string("https://slipway.dev/slipway"),
                    "version": .object(["slipway": .string(toolVersion)]),
                ]),
                "metadata": .object(["invocationId": .string("\(release.target)@\(release.version)")]),
                "byproducts": .array([
                    .object(["name": .string(DeployFiles.lastComponent(release.report)),
                             "digest": .object(["sha256": .string(reportSHA)])]),
                    .object(testJSON),
                ]),
            ]),
        ])
        return .object([
            "_type": .string(statementType),
            "subject": .array(subjects.map { .object(["name": .string($0.name), "digest": .object(["sha256": .string($0.sha256)])]) }),
            "predicateType": .string(predicateType),
            "predicate": predicate,
        ])
    }

    static func bytes(_ statement: JSONValue) -> [UInt8] {
        Array((statement.serialized(pretty: true) + "\n").utf8)
    }
}
