import ArgumentParser
import LanguageServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the language server: JSON-RPC (LSP 3.17) over stdin and stdout.",
        discussion: "Editors start it; see editors/. Nothing but protocol is written to stdout; logs go to stderr."
    )

    @Option(help: "Also append logs to this file.")
    var logFile: String?

    @Option(help: "Record every message in both directions to this file, for bug reports.")
    var trace: String?

    @Flag(help: "Accepted for editors that pass it; stdio is the only transport.")
    var stdio = false

    @Flag(help: "Analyse models in the server's own process (a model that crashes the analysis then ends the session).")
    var inProcess = false

    func run() async throws {
        EstimateCommand.persistDigests()
        // Models are analysed by a worker process the server supervises: a model that traps the analysis
        // costs a diagnostic and a restart, not the editor's session.
        let pool = inProcess ? nil : WorkerCommand.pool(cache: .memory, size: 1)
        let code = await StdioTransport.serve(StdioTransport.Options(logFile: logFile, traceFile: trace, isolation: pool))
        if code != 0 { throw ExitCode(code) }
    }
}
