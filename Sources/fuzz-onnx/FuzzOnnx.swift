// fuzz-onnx: see FuzzTargets.onnx. Built by scripts/fuzz.sh with -D SLIPWAY_LIBFUZZER and -sanitize=fuzzer,address
// (libFuzzer supplies main); in the normal build it replays the files given as arguments.
import FuzzEntries

#if SLIPWAY_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzDriver.testOneInput(FuzzTargets.onnx, data, size)
}

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int) -> Int

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    FuzzDriver.customMutator(FuzzTargets.onnx, data, size, maxSize, seed, fallback: LLVMFuzzerMutate)
}
#else
#if canImport(Glibc)
import Glibc
#endif

@main
enum Replay {
    static func main() { exit(FuzzDriver.replay(FuzzTargets.onnx, arguments: Array(CommandLine.arguments.dropFirst()))) }
}
#endif
