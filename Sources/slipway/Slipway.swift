import ArgumentParser

/// The one executable: a CLI for pre-commit and CI, and (with `serve`) the language server.
/// Each subcommand is a thin shell over engine calls; none of them holds engine logic.
@main
struct Slipway: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "slipway",
        abstract: "Deployment manifests for ML models: checked, estimated and converted by one engine.",
        version: version,
        subcommands: [CheckCommand.self, SchemaCommand.self, InspectCommand.self]
    )
}
