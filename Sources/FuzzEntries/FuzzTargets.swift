/// The fuzz targets by name: each one's entry (a pure function of the input's bytes that returns the
/// invariants it found broken and never traps) and its structure-aware mutator, if it has one. The
/// `fuzz-<name>` executables, `scripts/fuzz.sh` and the regression tests all go through this table, so an
/// input means the same thing in each.
public struct FuzzTarget: Sendable {
    public let name: String
    public let run: @Sendable ([UInt8]) -> [String]
    /// One structure-aware mutation (nil: not the structure this mutator knows, use libFuzzer's own).
    public let mutate: (@Sendable ([UInt8], UInt64) -> [UInt8]?)?
}

public enum FuzzTargets {
    public static let manifest = FuzzTarget(name: "manifest", run: { fuzzManifest($0) }, mutate: nil)
    public static let framing = FuzzTarget(name: "framing", run: { fuzzFramingBlocking($0) }, mutate: nil)
    public static let onnx = FuzzTarget(name: "onnx", run: { fuzzONNX($0) }, mutate: ProtobufMutator.mutate)
    public static let tflite = FuzzTarget(name: "tflite", run: { fuzzTFLite($0) }, mutate: FlatBufferMutator.mutate)
    public static let safetensors = FuzzTarget(name: "safetensors", run: { fuzzSafetensors($0) }, mutate: nil)
    public static let gguf = FuzzTarget(name: "gguf", run: { fuzzGGUF($0) }, mutate: nil)
    public static let keras = FuzzTarget(name: "keras", run: { fuzzKeras($0) }, mutate: HDF5Mutator.mutate)
    public static let pytorch = FuzzTarget(name: "pytorch", run: { fuzzPyTorch($0) }, mutate: nil)
    public static let torchscript = FuzzTarget(name: "torchscript", run: { fuzzTorchScript($0) }, mutate: nil)
    /// Converter inputs are models of the three formats the native converters read; ONNX is the one whose
    /// rewrite walks the wire format, so it gets the protobuf mutator (TFLite inputs fall back when it does not parse).
    public static let convert = FuzzTarget(name: "convert", run: { fuzzConvert($0) }, mutate: { data, seed in
        FlatBufferMutator.mutate(data, seed: seed) ?? ProtobufMutator.mutate(data, seed: seed)
    })

    public static let monitor = FuzzTarget(name: "monitor", run: { fuzzMonitor($0) }, mutate: nil)

    public static let all = [manifest, framing, onnx, tflite, safetensors, gguf, keras, pytorch, torchscript, convert, monitor]
}
