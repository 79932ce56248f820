/// Reads GGUF v2 and v3: a header, typed metadata key/values, tensor infos, then tensor data aligned to
/// `general.alignment`. Every count is bounded by the bytes left before anything is allocated.
struct GGUFReader {
    let file: MappedFile
    var position = 0

    static let maxArrayDepth = 8
    static let maxRank = 4  // GGML_MAX_DIMS
    /// Arrays longer than this are summarised in `metadata` rather than spelled out.
    static let maxRenderedArray = 16

    init(file: MappedFile) { self.file = file }

    func malformed(_ field: String, _ message: String) -> ModelError {
        ModelError(.malformed, file: file.path, field: field, message)
    }

    var remaining: Int { file.count - position }

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(ModelError) -> T {
        guard remaining >= MemoryLayout<T>.size else {
            throw malformed(field, "truncated: needs \(MemoryLayout<T>.size) bytes at offset \(position), \(remaining) remain")
        }
        let v = T(littleEndian: file.bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return v
    }

    /// A u64 count, refused when even `minimumSize` bytes per item cannot fit in what remains.
    mutating func count(_ field: String, minimumSize: Int) throws(ModelError) -> Int {
        let n = try load(UInt64.self, field)
        guard n <= UInt64(remaining / max(1, minimumSize)) else {
            throw malformed(field, "count \(n) cannot fit in the \(remaining) bytes that remain")
        }
        return Int(n)
    }

    mutating func string(_ field: String) throws(ModelError) -> String {
        let n = try count(field, minimumSize: 1)
        let s = String(decoding: file.bytes[position..<(position + n)], as: UTF8.self)
        position += n
        return s
    }

    mutating func read() throws(ModelError) -> Model {
        let magic = try load(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw malformed("magic", "is not GGUF") }
        let version = try load(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            throw malformed("version", "GGUF version \(version) is not supported (2 and 3 are)")
        }
        // A tensor info takes at least 8 (name) + 4 (rank) + 4 (type) + 8 (offset) bytes; a key/value 8 + 4 + 1.
        let tensorCount = try count("tensor_count", minimumSize: 24)
        let kvCount = try count("metadata_kv_count", minimumSize: 13)
        var metadata: [String: String] = [:]
        var alignment = 32
        for i in 0..<kvCount {
            let key = try string("metadata[\(i)].key")
            let field = "metadata[\(key)]"
            let type = try load(UInt32.self, "\(field).type")
            if key == "general.alignment" {
                guard type == 4 else { throw malformed(field, "must be a uint32") }
                let a = Int(try load(UInt32.self, field))
                guard a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                    throw malformed(field, "\(a) is not a power of two up to 1 MiB")
                }
                alignment = a
                metadata[key] = String(a)
                continue
            }
            metadata[key] = try value(type: type, field: field, depth: 0)
        }
        var tensors: [ConstantTensor] = []
        var infos: [(offset: Int, bytes: Int, field: String)] = []
        for i in 0..<tensorCount {
            let name = try string("tensor_infos[\(i)].name")
            let field = "tensor_infos[\(i)](\(name))"
            let rank = Int(try load(UInt32.self, "\(field).n_dimensions"))
            guard rank <= Self.maxRank else { throw malformed("\(field).n_dimensions", "\(rank) exceeds \(Self.maxRank)") }
            var ggmlShape: [Int] = []
            var elements = 1
            for d in 0..<rank {
                let dim = try load(UInt64.self, "\(field).dimensions[\(d)]")
                guard dim <= UInt64(Int.max) else { throw malformed("\(field).dimensions[\(d)]", "\(dim) is too large") }
                let (p, o) = elements.multipliedReportingOverflow(by: Int(dim))
                guard !o else { throw malformed("\(field).dimensions", "the element count overflows") }
                elements = p
                ggmlShape.append(Int(dim))
            }
            let typeCode = try load(UInt32.self, "\(field).type")
            guard let ggml = GGMLType(rawValue: typeCode) else {
                throw malformed("\(field).type", "unknown ggml type \(typeCode)")
            }
            let offset = try load(UInt64.self, "\(field).offset")
            let dtype = ggml.plainDType ?? .ggml(ggml)
            guard let bytes = dtype.byteCount(elements: elements) else {
                throw malformed("\(field).dimensions", "\(elements) elements are not whole \(ggml.name) blocks of \(ggml.blockSize)")
            }
            guard offset <= UInt64(file.count), Int(offset) % alignment == 0 else {
                throw malformed("\(field).offset", "\(offset) is past the file or not aligned to \(alignment)")
            }
            infos.append((Int(offset), bytes, "\(field).offset"))
            // ggml lists the fastest-varying dimension first; the shape is reported outermost first like numpy.
            tensors.append(ConstantTensor(
                name: name, dtype: dtype, shape: ggmlShape.reversed(), elementCount: elements, storedBytes: bytes,
                storage: .file(offset: Int(offset), length: bytes), graph: 0, consumers: [], quantization: nil,
                sparseValueCount: nil))
        }
        let dataStart = (position + alignment - 1) / alignment * alignment
        for (i, info) in infos.enumerated() {
            guard info.offset <= file.count - dataStart, info.bytes <= file.count - dataStart - info.offset else {
                throw malformed(info.field, "data \(info.offset)..<\(info.offset &+ info.bytes) runs past the end of the file")
            }
            tensors[i].storage = .file(offset: dataStart + info.offset, length: info.bytes)
        }
        let sorted = infos.indices.sorted { infos[$0].offset < infos[$1].offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where infos[a].offset + infos[a].bytes > infos[b].offset {
            throw malformed(infos[b].field, "overlaps tensor '\(tensors[a].name)'")
        }
        return Model(
            format: .gguf, path: file.path, fileSize: file.count,
            producer: metadata["general.name"], formatVersion: Int(version),
            graphs: [], tensors: tensors, inputs: [], outputs: [], opsets: [:],
            metadata: metadata, signatures: [], file: file)
    }

    /// Reads one value of GGUF type `type` and renders it as text for `Model.metadata`.
    mutating func value(type: UInt32, field: String, depth: Int) throws(ModelError) -> String {
        switch type {
        case 0: return String(try load(UInt8.self, field))
        case 1: return String(try load(Int8.self, field))
        case 2: return String(try load(UInt16.self, field))
        case 3: return String(try load(Int16.self, field))
        case 4: return String(try load(UInt32.self, field))
        case 5: return String(try load(Int32.self, field))
        case 6: return String(Float(bitPattern: try load(UInt32.self, field)))
        case 7:
            let b = try load(UInt8.self, field)
            guard b <= 1 else { throw malformed(field, "bool value \(b) is neither 0 nor 1") }
            return b == 1 ? "true" : "false"
        case 8: return try string(field)
        case 9:
            guard depth < Self.maxArrayDepth else { throw malformed(field, "arrays nested deeper than \(Self.maxArrayDepth)") }
            let elementType = try load(UInt32.self, "\(field).type")
            let size = Self.minimumSize(of: elementType)
            guard size > 0 else { throw malformed("\(field).type", "unknown value type \(elementType)") }
            let n = try count("\(field).count", minimumSize: size)
            var rendered: [String] = []
            for i in 0..<n {
                if i >= Self.maxRenderedArray, elementType == 8 {
                    // Vocabularies hold 100k+ strings: past the rendered ones, skip their bytes unread.
                    position += try count("\(field)[\(i)]", minimumSize: 1)
                    continue
                }
                let v = try value(type: elementType, field: "\(field)[\(i)]", depth: depth + 1)
                if i < Self.maxRenderedArray { rendered.append(v) }
            }
            if n > Self.maxRenderedArray { return "[\(n) × \(Self.typeName(elementType))]" }
            return "[" + rendered.joined(separator: ", ") + "]"
        case 10: return String(try load(UInt64.self, field))
        case 11: return String(try load(Int64.self, field))
        case 12: return String(Double(bitPattern: try load(UInt64.self, field)))
        default: throw malformed("\(field).type", "unknown value type \(type)")
        }
    }

    /// The fewest bytes one value of a type can take (0 for unknown types).
    static func minimumSize(of type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 10, 11, 12, 8: return 8
        case 9: return 12
        default: return 0
        }
    }

    static func typeName(_ type: UInt32) -> String {
        let names = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"]
        return Int(type) < names.count ? names[Int(type)] : "type \(type)"
    }
}
