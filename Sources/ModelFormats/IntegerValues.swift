import ProtobufWire

/// Integer tensors (shapes, axes, slice bounds, indices) read exactly. A float32 detour would round
/// 9223372036854775807 — the INT64_MAX end PyTorch writes for `x[:, 1:]` — to 2^63, which no Int holds:
/// shape and index values stay integers end to end.
extension Model {
    /// The values of an integer or boolean `tensor` of at most `limit` elements, or nil when the tensor is not
    /// of an integer type or is larger. uint64 values above Int64.max saturate (no shape or index needs them).
    public func integerValues(of tensor: ConstantTensor, limit: Int = 1 << 16) throws(ModelError) -> [Int64]? {
        try Self.integerValues(of: tensor, in: file, path: path, limit: limit)
    }

    /// The same, for a reader that has the mapping but no `Model` yet (node attributes).
    static func integerValues(of tensor: ConstantTensor, in file: MappedFile, path: String, limit: Int) throws(ModelError) -> [Int64]? {
        guard tensor.elementCount <= limit, let width = Self.integerWidth(tensor.dtype) else { return nil }
        let field = "tensors[\(tensor.name)]"
        let count = tensor.elementCount
        switch tensor.storage {
        case .none:
            return count == 0 ? [] : nil
        case .external(let externalPath, let offset, let length):
            let external = try MappedFile(path: externalPath)
            guard let bytes = external.slice(offset: offset, length: length) else {
                throw ModelError(.malformed, file: externalPath, field: field, "data lies outside the file")
            }
            guard count <= bytes.count / width else {
                throw ModelError(.malformed, file: externalPath, field: field, "holds fewer bytes than \(count) \(tensor.dtype.name) values")
            }
            let dtype = tensor.dtype
            return withExtendedLifetime(external) { (0..<count).map { Self.integer(at: $0 * width, of: bytes, dtype) } }
        case .protobufField(let message, let number):
            var out: [Int64] = []
            var r = ProtoReader(file.bytes, range: message)
            do {
                while let f = try r.next() {
                    guard f.number == number else { continue }
                    try r.forEachValue(of: f, as: .varint) { v in
                        if out.count < limit { out.append(Self.integer(fromVarint: v, tensor.dtype)) }
                    }
                }
            } catch {
                throw ModelError(.malformed, file: path, field: field, error.description)
            }
            guard out.count == count else {
                throw ModelError(.malformed, file: path, field: field, "holds \(out.count) values, not the \(count) its shape says")
            }
            return out
        case .file(let offset, let length):
            let dtype = tensor.dtype
            guard let bytes = file.slice(offset: offset, length: length) else {
                throw ModelError(.malformed, file: path, field: field, "data lies outside the file")
            }
            let values: [Int64]? = count <= bytes.count / width ? (0..<count).map { Self.integer(at: $0 * width, of: bytes, dtype) } : nil
            guard let values else {
                throw ModelError(.malformed, file: path, field: field, "holds fewer bytes than \(count) \(dtype.name) values")
            }
            return values
        }
    }

    static func integerWidth(_ dtype: DType) -> Int? {
        switch dtype {
        case .int64, .uint64: return 8
        case .int32, .uint32: return 4
        case .int16, .uint16: return 2
        case .int8, .uint8, .bool: return 1
        default: return nil
        }
    }

    /// ONNX stores int32/int16/int8/uint8/bool in `int32_data` and int64 in `int64_data` as sign-extended varints;
    /// uint32 and uint64 in `uint64_data`.
    static func integer(fromVarint v: UInt64, _ dtype: DType) -> Int64 {
        switch dtype {
        case .uint64: return v > UInt64(Int64.max) ? Int64.max : Int64(v)
        case .uint32: return Int64(UInt32(truncatingIfNeeded: v))
        case .int32: return Int64(Int32(truncatingIfNeeded: v))
        case .int16: return Int64(Int16(truncatingIfNeeded: v))
        case .int8: return Int64(Int8(truncatingIfNeeded: v))
        case .uint16: return Int64(UInt16(truncatingIfNeeded: v))
        case .uint8, .bool: return Int64(UInt8(truncatingIfNeeded: v))
        default: return Int64(bitPattern: v)
        }
    }

    static func integer(at offset: Int, of bytes: UnsafeRawBufferPointer, _ dtype: DType) -> Int64 {
        switch dtype {
        case .int64: return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
        case .uint64:
            let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            return v > UInt64(Int64.max) ? Int64.max : Int64(v)
        case .int32: return Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .uint32: return Int64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .int16: return Int64(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        case .uint16: return Int64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .int8: return Int64(Int8(bitPattern: bytes[offset]))
        default: return Int64(bytes[offset])
        }
    }
}
