import ArgumentParser
import Checking
import Estimation
import Isolation
import Targets

/// `slipway worker`: the child process that `serve` and `check` hand model work to (see `Isolation`). Not
/// for people: it speaks length-prefixed frames on stdin and stdout.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run model analysis for a supervising slipway process (internal).",
        shouldDisplay: false
    )

    enum CacheKind: String, ExpressibleByArgument { case memory, disk, none }

    @Option(help: "Where estimates are kept: memory (the server), disk (the CLI's cache), none.")
    var cache: CacheKind = .memory

    func run() throws {
        let catalogue: Catalogue
        switch Catalogue.embedded {
        case .success(let c): catalogue = c
        case .failure(let e):
            printError("slipway worker: \(e)")
            throw ExitCode(2)
        }
        let estimateCache: (any EstimateCache)?
        switch cache {
        case .memory: estimateCache = ManifestChecker.sharedEstimateCache
        case .disk: estimateCache = EstimateCommand.defaultCache()
        case .none: estimateCache = nil
        }
        let service = WorkerService(checker: ManifestChecker(
            fileSystem: ModelCachingFileSystem(LocalFileSystem()), catalogue: catalogue, estimateCache: estimateCache))
        let code = WorkerLoop.serveStdio { service.handle($0) }
        if code != 0 { throw ExitCode(code) }
    }

    /// The pool `serve` and `check` use: workers are this executable's `worker` subcommand.
    static func pool(cache: CacheKind, size: Int) -> WorkerPool? {
        guard let exe = WorkerLoop.currentExecutable() else { return nil }
        return WorkerPool(command: [exe, "worker", "--cache", cache.rawValue], size: size)
    }
}
