import JSON

/// Reads a safetensors file: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range in the data that follows, and optional string `__metadata__`.
struct SafetensorsReader {
    let file: MappedFile

    /// The reference implementation refuses headers over 100 MB; so does this reader, before parsing.
    static let maxHeaderBytes = 100_000_000
    static let maxRank = 1024

    func malformed(_ field: String, _ message: String) -> ModelError {
        ModelError(.malformed, file: file.path, field: field, message)
    }

    static func dtype(_ name: String) -> DType? {
        switch name {
        case "F64": return .float64
        case "F32": return .float32
        case "F16": return .float16
        case "BF16": return .bfloat16
        case "I64": return .int64
        case "I32": return .int32
        case "I16": return .int16
        case "I8": return .int8
        case "U64": return .uint64
        case "U32": return .uint32
        case "U16": return .uint16
        case "U8": return .uint8
        case "BOOL": return .bool
        case "F8_E4M3": return .float8e4m3fn
        case "F8_E5M2": return .float8e5m2
        case "F8_E8M0": return .float8e8m0
        case "F6_E2M3": return .float6e2m3
        case "F6_E3M2": return .float6e3m2
        case "F4": return .float4e2m1
        case "C64": return .complex64
        default: return nil
        }
    }

    func read() throws(ModelError) -> Model {
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw malformed("header_size", "the file is shorter than its 8-byte header size") }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderBytes) else {
            throw malformed("header_size", "\(declared) bytes exceeds the \(Self.maxHeaderBytes)-byte limit")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw malformed("header_size", "\(headerLength) bytes runs past the end of the file (\(bytes.count) bytes)")
        }
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]).bindMemory(to: UInt8.self)
        let json: JSONValue
        do { json = try JSONValue.parse(bytes: header, maxDepth: 16) } catch {
            throw malformed("header", error.description)
        }
        guard case .object(let entries) = json else { throw malformed("header", "is not a JSON object") }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var tensors: [ConstantTensor] = []
        var metadata: [String: String] = [:]
        var ranges: [(Range<Int>, String)] = []
        for (name, value) in entries.entries {
            if name == "__metadata__" {
                guard case .object(let m) = value else { throw malformed("__metadata__", "is not an object") }
                for (k, v) in m.entries {
                    guard let s = v.stringValue else { throw malformed("__metadata__.\(k)", "is not a string") }
                    metadata[k] = s
                }
                continue
            }
            let field = "header[\"\(name)\"]"
            guard let dtypeName = value["dtype"]?.stringValue else { throw malformed("\(field).dtype", "is missing") }
            guard let dtype = Self.dtype(dtypeName) else {
                throw malformed("\(field).dtype", "unknown dtype '\(dtypeName)'")
            }
            guard let shapeValues = value["shape"]?.arrayValue, shapeValues.count <= Self.maxRank else {
                throw malformed("\(field).shape", "is missing or not a list of at most \(Self.maxRank) sizes")
            }
            var shape: [Int] = []
            for v in shapeValues {
                guard case .int(let d) = v, d >= 0 else { throw malformed("\(field).shape", "holds '\(v.serialized())', not a size") }
                shape.append(d)
            }
            guard let elements = ElementCount.of(shape) else { throw malformed("\(field).shape", "the element count overflows") }
            guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
                case .int(let begin) = offsets[0], case .int(let end) = offsets[1], begin >= 0, begin <= end
            else { throw malformed("\(field).data_offsets", "is not a [begin, end] pair of byte offsets") }
            guard end <= dataLength else {
                throw malformed("\(field).data_offsets", "end \(end) lies past the data (\(dataLength) bytes)")
            }
            guard let needed = dtype.byteCount(elements: elements), needed == end - begin else {
                throw malformed(
                    "\(field).data_offsets",
                    "spans \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(dtype.byteCount(elements: elements) ?? -1)")
            }
            ranges.append((begin..<end, name))
            tensors.append(ConstantTensor(
                name: name, dtype: dtype, shape: shape, elementCount: elements, storedBytes: end - begin,
                storage: .file(offset: dataStart + begin, length: end - begin),
                graph: 0, consumers: [], quantization: nil, sparseValueCount: nil))
        }
        ranges.sort { $0.0.lowerBound < $1.0.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.0.upperBound > b.0.lowerBound {
            throw malformed("header[\"\(b.1)\"].data_offsets", "overlaps tensor '\(a.1)'")
        }
        return Model(
            format: .safetensors, path: file.path, fileSize: file.count,
            producer: metadata["format"], formatVersion: nil,
            graphs: [], tensors: tensors, inputs: [], outputs: [], opsets: [:],
            metadata: metadata, signatures: [], file: file)
    }
}
