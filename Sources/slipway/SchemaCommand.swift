import ArgumentParser

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the manifest (the contract shared with other YAML tools)."
    )
    func run() throws {
        print("{}")
    }
}
