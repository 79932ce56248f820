// fuzz-keras (FuzzTargets.keras): Keras HDF5 and .keras archives. scripts/fuzz.sh builds it with -D SLIPWAY_LIBFUZZER and -sanitize=fuzzer,address:
// main then hands over to libFuzzer's driver. In the normal build it replays the files it is given.
#if canImport(Glibc)
import Glibc
#endif
import FuzzEntries

@main
enum Main {
    static func main() {
        #if SLIPWAY_LIBFUZZER
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
        #else
        exit(FuzzDriver.replay(FuzzTargets.keras, arguments: Array(CommandLine.arguments.dropFirst())))
        #endif
    }
}

#if SLIPWAY_LIBFUZZER
// SwiftPM names an executable's entry point itself, so libFuzzer's own main is not linked: its driver is called.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

// libFuzzer's main (linked by -sanitize=fuzzer) asks for this symbol too.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { FuzzDriver.testOneInput(FuzzTargets.keras, data, size) }

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int) -> Int

// Found by libFuzzer by name: the checksum-resealing HDF5 mutation (HDF5Mutator), or its own when that does not apply.
@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    FuzzDriver.customMutator(FuzzTargets.keras, data, size, maxSize, seed, fallback: LLVMFuzzerMutate)
}
#endif
