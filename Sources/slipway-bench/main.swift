// In-process benchmark of the manifest engine: `slipway-bench MANIFEST [ITERATIONS]` prints JSON with the
// median and p90 of parse-only and parse+validate+path-check times. bench/run.py drives it and compares
// the figures with references measured in the same run.
import Checking
import Dispatch
import Manifest
import YAMLSyntax

#if canImport(Glibc)
import Glibc
#endif

/// Results go to stdout with write(2): this is a tool, not the server, but it follows the same habit.
func emit(_ line: String, to fd: Int32 = STDOUT_FILENO) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func summarize(_ ns: [UInt64]) -> String {
    let s = ns.sorted()
    let med = Double(s[s.count / 2]) / 1e6
    let p90 = Double(s[min(s.count - 1, s.count * 9 / 10)]) / 1e6
    let mn = Double(s[0]) / 1e6
    return "{\"median_ms\": \(med), \"p90_ms\": \(p90), \"min_ms\": \(mn)}"
}

let args = CommandLine.arguments
guard args.count >= 2 else {
    emit("usage: slipway-bench MANIFEST [ITERATIONS]", to: STDERR_FILENO)
    exit(2)
}
let path = args[1]
let iterations = args.count > 2 ? Int(args[2]) ?? 50 : 50
let fs = LocalFileSystem()
guard let bytes = try? fs.read(path, limit: 64 << 20) else {
    emit("cannot read \(path)", to: STDERR_FILENO)
    exit(2)
}
let checker = ManifestChecker(fileSystem: fs)
var parse: [UInt64] = []
var full: [UInt64] = []
var diagnostics = 0
for _ in 0..<iterations {
    let t0 = now()
    let stream = YAMLParser.parse(bytes: bytes)
    let t1 = now()
    let result = checker.check(bytes: bytes, path: path)
    let t2 = now()
    if stream.documents.isEmpty && !bytes.isEmpty { emit("nothing parsed", to: STDERR_FILENO) }
    diagnostics = result.diagnostics.count
    parse.append(t1 - t0)
    full.append(t2 - t1)
}
emit("{\"bytes\": \(bytes.count), \"iterations\": \(iterations), \"diagnostics\": \(diagnostics), \"parse\": \(summarize(parse)), \"check\": \(summarize(full))}")
