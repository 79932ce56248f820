import ArgumentParser

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Check manifests.")
    @Argument var paths: [String] = []
    func run() async throws {}
}
