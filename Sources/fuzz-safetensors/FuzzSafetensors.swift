// fuzz-safetensors: see FuzzTargets.safetensors. Built by scripts/fuzz.sh with -D SLIPWAY_LIBFUZZER and -sanitize=fuzzer,address
// (libFuzzer supplies main); in the normal build it replays the files given as arguments.
import FuzzEntries

#if SLIPWAY_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzDriver.testOneInput(FuzzTargets.safetensors, data, size)
}
#else
#if canImport(Glibc)
import Glibc
#endif

@main
enum Replay {
    static func main() { exit(FuzzDriver.replay(FuzzTargets.safetensors, arguments: Array(CommandLine.arguments.dropFirst()))) }
}
#endif
