import ArgumentParser
import ModelFormats

#if canImport(Glibc)
import Glibc
#endif

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a model holds: format, operators, parameters, inputs and outputs, quantization."
    )

    @Argument(help: "An ONNX, TFLite, safetensors or GGUF file (the format is read from its bytes).")
    var model: String

    @Flag(help: "Print the inspection as one JSON document.")
    var json = false

    func run() throws {
        let m: Model
        do {
            m = try ModelReader.read(path: model)
        } catch {
            // An I/O error (2, as for `check` and `estimate`): say why on stderr, without the usage text.
            let message = Array("error: \(error)\n".utf8)
            _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            throw ExitCode(2)
        }
        print(json ? m.inspectionJSON().serialized(pretty: true) : m.textSummary())
    }
}
