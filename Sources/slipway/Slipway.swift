import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// The one executable: a CLI for pre-commit and CI, and (with `serve`) the language server.
/// Each subcommand is a thin shell over engine calls; none of them holds engine logic.
struct Slipway: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "slipway",
        abstract: "Deployment manifests for ML models: checked, estimated and converted by one engine.",
        version: version,
        subcommands: [
            CheckCommand.self, ServeCommand.self, SchemaCommand.self, InspectCommand.self, TargetsCommand.self,
            ConvertCommand.self, TestCommand.self,
            EstimateCommand.self, DeployCommand.self, VerifyCommand.self, MonitorCommand.self, WorkerCommand.self,
        ]
    )
}

/// Exit codes are a contract with CI: 0 clean, 1 problems found, 2 usage or I/O errors. ArgumentParser
/// would use 64 for usage errors, so the entry point maps them.
@main
enum Main {
    static func main() async {
        do {
            // A worker is started once per check and per server restart: parsing only its own options skips
            // building every command's argument tree (about a fifth of a short process's time).
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == WorkerCommand.configuration.commandName {
                try WorkerCommand.parse(Array(arguments.dropFirst())).run()
                return
            }
            var command = try Slipway.parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Slipway.exit(withError: code)
        } catch {
            if Slipway.exitCode(for: error) == .success { Slipway.exit(withError: error) }
            let message = Slipway.fullMessage(for: error)
            printError(message)
            exit(2)
        }
    }
}

/// Writes to stderr (diagnostic chatter that must never mix with machine output on stdout).
func printError(_ s: String) {
    writeAll(STDERR_FILENO, s.hasSuffix("\n") ? s : s + "\n")
}

/// Writes machine output (reports, JSON) to stdout in full.
func writeStdout(_ s: String) {
    writeAll(STDOUT_FILENO, s)
}

func writeAll(_ fd: Int32, _ s: String) {
    var bytes = Array(s.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress.map { $0 + done }, $0.count - done) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { return }
        done += n
    }
}
