#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hashing
import ModelFormats
import ProtobufWire

/// The external-data layout of a written model: tensor bytes go to one file beside the model
/// (`<output>.data`, named relative to it), each at a 64-byte aligned offset, and the model's `TensorProto`s
/// say where (`data_location: EXTERNAL`, `external_data` location/offset/length, as onnx.save writes them).
/// Used when the source kept its weights outside the model, and when the model would pass protobuf's 2 GiB.
///
/// A class: the rewriter appends to it while it walks the graphs (sub-graphs included).
final class ExternalDataLayout: @unchecked Sendable {  // filled by one rewrite, then only read
    enum Piece: Sendable, Equatable {
        /// A range of the source model file.
        case model(Range<Int>)
        /// A range of one of the source's external data files (already checked to lie inside it).
        case file(path: String, offset: Int, length: Int)
        case bytes([UInt8])
        case zeros(Int)
    }

    /// The data file's name, relative to the model's folder.
    let location: String
    /// Tensors with fewer data bytes stay in the model (onnx.save's default `size_threshold`).
    let minimumBytes: Int
    /// The source's external tensors by the offset of their `TensorProto`.
    let sources: [Int: (path: String, offset: Int, length: Int)]
    private(set) var pieces: [Piece] = []
    private(set) var count = 0

    init(location: String, minimumBytes: Int = 1024, sources: [Int: (path: String, offset: Int, length: Int)]) {
        self.location = location
        self.minimumBytes = minimumBytes
        self.sources = sources
    }

    /// Appends a tensor's bytes at the next aligned offset; returns the `external_data` and `data_location`
    /// fields that point at them.
    func place(_ piece: Piece, length: Int) -> WireOutput {
        let padding = (64 - count % 64) % 64
        if padding > 0 { pieces.append(.zeros(padding)); count += padding }
        let offset = count
        pieces.append(piece)
        count += length
        var out = WireOutput()
        for (k, v) in [("location", location), ("offset", String(offset)), ("length", String(length))] {
            var entry = WireOutput()
            entry.stringField(1, k)
            entry.stringField(2, v)
            out.messageField(13, entry)
        }
        out.int64Field(14, 1)  // DataLocation EXTERNAL
        return out
    }
}

extension ONNXRewriter {
    /// A `TensorProto` copied with its data moved to the external file: raw data of at least the layout's
    /// minimum, or data that was already external (from the source's data file). Other tensors are copied.
    func externalized(_ range: Range<Int>, _ layout: ExternalDataLayout) throws(WireError) -> WireOutput {
        var r = ProtoReader(bytes, range: range)
        var raw: Range<Int>?
        var external = false
        while let f = try r.next() {
            if f.number == 9, f.wireType == .lengthDelimited { raw = f.payload }
            if f.number == 14, f.wireType == .varint, f.int64 == 1 { external = true }
        }
        var out = WireOutput()
        let placed: WireOutput
        if external {
            guard let s = layout.sources[range.lowerBound] else {
                throw WireError(offset: range.lowerBound, message: "a tensor with external data that the model reader did not resolve")
            }
            placed = layout.place(.file(path: s.path, offset: s.offset, length: s.length), length: s.length)
        } else if let raw, raw.count >= layout.minimumBytes {
            placed = layout.place(.model(raw), length: raw.count)
        } else {
            out.copy(range)
            return out
        }
        r = ProtoReader(bytes, range: range)
        while let f = try r.next() {
            if [9, 13, 14].contains(f.number) { continue }
            out.copy(f.start..<r.position)
        }
        out.append(placed)
        return out
    }
}

extension SafeWriter {
    /// Writes a model and its external data file atomically as a pair: both to temporaries in the destination
    /// folder, both fsynced, then the data file renamed before the model (a reader of the new model finds its
    /// data). A failure or a cancellation before the renames removes both temporaries.
    static func write(
        _ output: WireOutput, source: UnsafeRawBufferPointer, to path: String,
        data layout: ExternalDataLayout, cancellation: CancellationCheck
    ) throws(ConversionError) -> (model: String, data: String) {
        let (model, data) = try stage(output, source: source, to: path, data: layout, cancellation: cancellation)
        try commit([data, model], cancellation: cancellation)
        return (model.sha256, data.sha256)
    }

    /// Both temporaries of the pair, written and fsynced, not renamed (commit the data file before the model).
    static func stage(
        _ output: WireOutput, source: UnsafeRawBufferPointer, to path: String,
        data layout: ExternalDataLayout, cancellation: CancellationCheck
    ) throws(ConversionError) -> (model: StagedFile, data: StagedFile) {
        let dataPath = directory(of: path) + "/" + layout.location
        let tmpData = temporaryPath(for: dataPath)
        let tmpModel = temporaryPath(for: path)
        var staged = false
        defer {
            if !staged {
                unlink(tmpData)
                unlink(tmpModel)
            }
        }
        let dataSHA = try writeFile(tmpData, cancellation: cancellation) { fd, sha throws(ConversionError) in
            var mapped: [String: MappedFile] = [:]
            for piece in layout.pieces {
                if cancellation() { throw ConversionError(.cancelled, "cancelled") }
                switch piece {
                case .model(let r):
                    guard r.lowerBound >= 0, r.upperBound <= source.count else {
                        throw ConversionError(.io, "internal error: a copied range lies outside the source")
                    }
                    try copySlices(UnsafeRawBufferPointer(rebasing: source[r]), fd, &sha, tmpData, cancellation)
                case .file(let p, let offset, let length):
                    if mapped[p] == nil {
                        do { mapped[p] = try MappedFile(path: p) } catch {
                            throw ConversionError(.io, "cannot read the external data file \(p): \(error)")
                        }
                    }
                    guard let bytes = mapped[p]?.slice(offset: offset, length: length) else {
                        throw ConversionError(.io, "the external data file \(p) no longer holds bytes \(offset)..<\(offset + length)")
                    }
                    try copySlices(bytes, fd, &sha, tmpData, cancellation)
                case .bytes(let b):
                    sha.update(b)
                    try writeAll(fd, b, path: tmpData)
                case .zeros(let n):
                    let z = [UInt8](repeating: 0, count: n)
                    sha.update(z)
                    try writeAll(fd, z, path: tmpData)
                }
            }
        }
        let modelSHA = try writeFile(tmpModel, cancellation: cancellation) { fd, sha throws(ConversionError) in
            for piece in output.pieces {
                switch piece {
                case .source(let r):
                    guard r.lowerBound >= 0, r.upperBound <= source.count else {
                        throw ConversionError(.io, "internal error: a copied range lies outside the source")
                    }
                    try copySlices(UnsafeRawBufferPointer(rebasing: source[r]), fd, &sha, tmpModel, cancellation)
                case .bytes(let b):
                    sha.update(b)
                    try writeAll(fd, b, path: tmpModel)
                }
            }
        }
        if cancellation() { throw ConversionError(.cancelled, "cancelled") }
        staged = true
        return (StagedFile(temporary: tmpModel, path: path, sha256: modelSHA),
                StagedFile(temporary: tmpData, path: dataPath, sha256: dataSHA))
    }

    /// Creates `tmp`, lets `body` fill it, fsyncs and closes it; returns the SHA-256 of what was written.
    static func writeFile(
        _ tmp: String, cancellation: CancellationCheck, _ body: (Int32, inout SHA256) throws(ConversionError) -> Void
    ) throws(ConversionError) -> String {
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConversionError(.io, "cannot create \(tmp): \(errnoText())") }
        var sha = SHA256()
        do throws(ConversionError) {
            try body(fd, &sha)
            guard fsync(fd) == 0 else { throw ConversionError(.io, "cannot flush \(tmp) to disk: \(errnoText())") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw ConversionError(.io, "cannot close \(tmp): \(errnoText())") }
        return sha.finalize()
    }

    /// In slices of 8 MiB so that cancellation is noticed within a large tensor too.
    static func copySlices(
        _ bytes: UnsafeRawBufferPointer, _ fd: Int32, _ sha: inout SHA256, _ path: String, _ cancellation: CancellationCheck
    ) throws(ConversionError) {
        var lo = 0
        while lo < bytes.count {
            if cancellation() { throw ConversionError(.cancelled, "cancelled") }
            let hi = min(lo + (8 << 20), bytes.count)
            let slice = UnsafeRawBufferPointer(rebasing: bytes[lo..<hi])
            sha.update(slice)
            try writeAll(fd, slice, path: path)
            lo = hi
        }
    }
}

/// Where an ONNX output's tensor data goes when it takes the external-data layout.
public struct LayoutOptions: Sendable {
    /// The data file's name, relative to the output's folder (`<output name>.data`).
    public var dataLocation: String
    /// An output larger than this moves its tensors out (protobuf's limit; tests lower it).
    public var threshold: Int

    public init(dataLocation: String = "model.onnx.data", threshold: Int = ONNXLayout.protobufLimit) {
        self.dataLocation = dataLocation
        self.threshold = threshold
    }
}

/// The rewrite shared by the ONNX conversions: inline when the source had no external data and the result fits
/// protobuf's limit, else again with every large tensor moved to `<output>.data`.
public enum ONNXLayout {
    /// protobuf's limit on one message: 2 GiB − 1.
    public static let protobufLimit = Int(Int32.max)

    static func rewrite(
        _ rewriter: inout ONNXRewriter, model: Model, layout options: LayoutOptions
    ) throws(ConversionError) -> (WireOutput, ExternalDataLayout?) {
        var sources: [Int: (path: String, offset: Int, length: Int)] = [:]
        for t in model.tensors {
            guard case .external(let p, let offset, let length) = t.storage else { continue }
            guard let m = t.message, t.sparseValueCount == nil else {
                throw ConversionError(.unsupported, "the sparse initializer \(t.name) keeps its values in external data, which the converter does not move; store it densely or inline")
            }
            sources[m.lowerBound] = (p, offset, length)
        }
        do {
            let inline = try rewriter.model()
            guard !sources.isEmpty || inline.count > options.threshold else { return (inline, nil) }
            let layout = ExternalDataLayout(location: options.dataLocation, sources: sources)
            rewriter.externalData = layout
            rewriter.resetApplied()
            let output = try rewriter.model()
            guard output.count <= protobufLimit else {
                throw ConversionError(.unsupported, "the model without its tensor data is still \(output.count) bytes, over protobuf's 2 GiB limit")
            }
            return (output, layout)
        } catch let e as ConversionError {
            throw e
        } catch {
            throw ConversionError(.model, "cannot rewrite the model: \(error)")
        }
    }
}
