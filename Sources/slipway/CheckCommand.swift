import ArgumentParser
import Checking
import Estimation
import Reporting
import Targets

#if canImport(Glibc)
import Glibc
#endif

extension OutputFormat: ExpressibleByArgument {}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check manifests: YAML syntax, the schema, and the files they name.",
        discussion: """
            PATH may be files or folders; a folder means every *.slipway.yaml, *.slipway.yml and slipway.yaml \
            below it. Files are checked in parallel.
            Exit status: 0 when clean, 1 when any error (or warning, with --strict), 2 for usage or I/O errors.
            """
    )

    @Argument(help: "Manifest files or folders (default: the current folder).")
    var paths: [String] = []

    @Option(help: "Output format: text, json, sarif or github.")
    var format: OutputFormat = .text

    @Flag(help: "Fail (exit 1) on warnings too.")
    var strict = false

    @Option(help: "Colour in text output: auto (a terminal without NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    @Flag(help: "Neither read nor write the cache folder: estimates, file digests, and the model-dependent findings remembered from earlier checks of unchanged files (see `slipway estimate --help`).")
    var noCache = false

    @Flag(help: "Analyse models in this process instead of worker processes (faster for one small model; a model that crashes the analysis then ends the whole check).")
    var inProcess = false

    /// Worker processes for a check of many manifests: one per core, at most four.
    static var workers: Int { max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    func run() throws {
        // Model work runs in worker processes, so a model that crashes the analysis costs its manifest's
        // check (exit 2), not every other one. A worker that will be needed starts before the catalogue loads:
        // its start-up (the program, the catalogue) runs on another core meanwhile. None is needed when every
        // manifest's model half is remembered from an earlier run on the same files (`TargetCheckMemo`).
        let fs = LocalFileSystem()
        let expansion = Discovery.expand(paths.isEmpty ? ["."] : paths, fileSystem: fs)
        let memo = noCache ? nil : EstimateCommand.cacheFolder().flatMap {
            TargetCheckMemo(store: DiskEstimateCache(directory: $0, maxEntries: 1024, subfolder: "checks"))
        }
        let pool = inProcess ? nil : WorkerCommand.pool(cache: noCache ? .none : .disk, size: Self.workers)
        let catalogueless = ManifestChecker(fileSystem: fs, catalogue: nil, estimateCache: nil, memo: memo)
        if let pool, expansion.files.contains(where: { catalogueless.needsModelWork(path: $0) }) { pool.prestart() }
        defer { pool?.shutdown() }
        if !noCache { EstimateCommand.persistDigests() }
        // The target checks need the catalogue compiled into the binary: refuse clearly rather than check less.
        let catalogue: Catalogue
        switch Catalogue.embedded {
        case .success(let c): catalogue = c
        case .failure(let e):
            printError("slipway: \(e)")
            throw ExitCode(2)
        }
        for e in expansion.errors { printError("slipway: \(e)") }
        if let why = expansion.incomplete { printError("slipway: warning: the folder walk was incomplete: \(why)") }
        // Many manifests often name one model: read it once.
        let checker = ManifestChecker(
            fileSystem: ModelCachingFileSystem(fs), catalogue: catalogue,
            estimateCache: noCache ? nil : EstimateCommand.defaultCache(), isolation: pool, memo: memo)
        let results = Discovery.checkAll(expansion.files, checker: checker)
        for r in results { if let f = r.workerFailure { printError("slipway: \(r.path): \(f)") } }
        let useColor: Bool
        switch color {
        case .always: useColor = true
        case .never: useColor = false
        case .auto: useColor = isatty(STDOUT_FILENO) == 1 && getenv("NO_COLOR").map { String(cString: $0).isEmpty } ?? true
        }
        if !(results.isEmpty && !expansion.errors.isEmpty && format == .text) {
            writeStdout(Reporter.render(results, format: format, color: useColor))
        }

        let ioError = !expansion.errors.isEmpty
            || results.contains { $0.diagnostics.contains { $0.code == .fileUnreadable } || $0.workerFailure != nil }
        if ioError { throw ExitCode(2) }
        if results.isEmpty && paths.isEmpty {
            printError("slipway: no manifests (*.slipway.yaml, *.slipway.yml, slipway.yaml) below the current folder")
        }
        let failing = results.contains { r in
            r.diagnostics.contains { $0.severity == .error || (strict && $0.severity == .warning) }
        }
        if failing { throw ExitCode(1) }
    }
}
