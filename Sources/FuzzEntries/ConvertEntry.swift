#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Compression
import Conversion
import ModelFormats
import Synchronization

/// fuzz-convert: bytes → a file in a private temporary folder → the native converter its first bytes choose
/// (ONNX, TFLite or safetensors), with the settings the input's last byte picks → the rewritten model
/// assembled in memory and read back. The converters read from a path, so the bytes go through one file;
/// nothing is written beside it. An output the converter produced must be a model Slipway reads.
/// Returns the invariants found broken; never traps.
@discardableResult
public func fuzzConvert(_ data: [UInt8]) -> [String] {
    guard let folder = ConvertScratch.folder else { return ["no temporary folder for the converter's input"] }
    let path = folder + "/input-\(ConvertScratch.counter.add(1, ordering: .relaxed).newValue).bin"
    guard ConvertScratch.store(data, to: path) else { return ["cannot write \(path)"] }
    defer { unlink(path) }
    let kind = NativeConversion.kind(path)
    let variants = ConvertScratch.settings[kind] ?? []
    guard !variants.isEmpty else { return [] }
    let settings = variants[Int(data.last ?? 0) % variants.count]
    guard let conversion = try? NativeConversion.convert(path: path, kind: kind, settings: settings) else { return [] }
    var output: [UInt8] = []
    output.reserveCapacity(conversion.output.count)
    for piece in conversion.output.pieces {
        switch piece {
        case .bytes(let b): output += b
        case .source(let r):
            guard r.lowerBound >= 0, r.upperBound <= conversion.source.count else {
                return ["the output copies source bytes \(r), past the \(conversion.source.count)-byte source"]
            }
            output += conversion.source.bytes[r]
        }
    }
    do {
        _ = try ModelReader.read(bytes: output, path: folder + "/output.\(kind.rawValue)")
    } catch {
        return ["the \(kind.rawValue) conversion (\(settings)) wrote a model Slipway cannot read: \(error)"]
    }
    return []
}

enum ConvertScratch {
    static let counter = Atomic<Int>(0)

    /// One private folder per process, made on first use.
    static let folder: String? = {
        var template = Array("/tmp/slipway-fuzz-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
    }()

    static func store(_ data: [UInt8], to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var done = 0
        while done < data.count {
            let n = data.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + done }, data.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// The settings each converter is driven with; the input's last byte picks one.
    static let settings: [NativeConversion.Kind: [ConversionSettings]] = {
        var dynamic = ConversionSettings(weights: .int8, dynamic: true)
        dynamic.skip = ["*bias*"]
        var global = ConversionSettings(pruning: .sparsity(0.5))
        global.pruneScope = .global
        // A static-shape target's input sizes (the seeds' common input names), written into the value infos.
        var sized = ConversionSettings(weights: .int8)
        sized.inputShapes = ["x": [2, 3, 4, 4, 5], "input": [1, 16000], "data": [1, 3, 224, 224], "input_ids": [1, 128]]
        return [
            .onnx: [
                ConversionSettings(weights: .int8),
                ConversionSettings(weights: .int4, granularity: .perBlock(size: 32), symmetric: false),
                ConversionSettings(weights: .uint8, granularity: .perTensor, symmetric: false),
                ConversionSettings(float16: true),
                dynamic,
                ConversionSettings(weights: .int8, pruning: .pattern(NMPattern(2, 4))),
                global,
                sized,
            ],
            .tflite: [
                ConversionSettings(weights: .int8),
                ConversionSettings(weights: .float16),
                ConversionSettings(pruning: .sparsity(0.5)),
            ],
            .safetensors: [
                ConversionSettings(weights: .float16),
                ConversionSettings(weights: .bfloat16),
                ConversionSettings(pruning: .sparsity(0.5)),
            ],
        ]
    }()
}
