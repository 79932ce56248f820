import ArgumentParser
import Manifest

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the manifest (the file committed as Schemas/slipway.schema.json).",
        discussion: "Point yaml-language-server at it with `# yaml-language-server: $schema=Schemas/slipway.schema.json`, or validate with check-jsonschema."
    )

    func run() throws {
        print(ManifestSchema.root.jsonSchema().serialized(pretty: true))
    }
}
