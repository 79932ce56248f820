import ArgumentParser
import Targets

/// `slipway targets`: what the catalogue knows (runtimes, versions, delegates, devices, rules).
struct TargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets",
        abstract: "List the runtimes, versions, delegates and devices Slipway checks targets against."
    )

    @Flag(help: "Print the catalogue as one JSON document.")
    var json = false

    @Flag(help: "Print docs/rules.md (every rule and figure with its source).")
    var markdown = false

    func run() throws {
        let catalogue: Catalogue
        switch Catalogue.embedded {
        case .success(let c): catalogue = c
        case .failure(let e):
            printError("error: \(e)")
            throw ExitCode(2)
        }
        if markdown {
            writeStdout(CatalogueDocument.markdown(catalogue))
        } else if json {
            writeStdout(CatalogueDocument.json(catalogue).serialized(pretty: true) + "\n")
        } else {
            writeStdout(CatalogueDocument.text(catalogue))
        }
    }
}
