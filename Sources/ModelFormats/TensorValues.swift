import ProtobufWire

/// Tensor data as float32, read from the mapping. Little-endian float32 stored contiguously and aligned
/// is passed to the caller in place; everything else (unaligned float32, float16, bfloat16, float64,
/// integers, protobuf typed fields) is decoded into a temporary buffer of at most one chunk.
extension Model {
    /// The default number of values decoded at a time by `forEachFloat32Chunk`.
    public static let defaultChunkSize = 1 << 20

    /// Calls `body` with the tensor's stored bytes in place (little-endian, packed as the format stores them:
    /// ggml blocks, int4 pairs, float8 codes). Typed protobuf fields have no contiguous bytes and are refused.
    public func withStoredBytes<R>(of tensor: ConstantTensor, _ body: (UnsafeRawBufferPointer) -> R) throws(ModelError) -> R {
        let field = "tensors[\(tensor.name)]"
        switch tensor.storage {
        case .none:
            return body(UnsafeRawBufferPointer(start: nil, count: 0))
        case .file(let offset, let length):
            guard let bytes = file.slice(offset: offset, length: length) else {
                throw ModelError(.malformed, file: path, field: field, "data lies outside the file")
            }
            return body(bytes)
        case .external(let externalPath, let offset, let length):
            let external = try MappedFile(path: externalPath)
            guard let bytes = external.slice(offset: offset, length: length) else {
                throw ModelError(.malformed, file: externalPath, field: field, "data lies outside the file")
            }
            return withExtendedLifetime(external) { body(bytes) }
        case .protobufField:
            throw ModelError(.malformed, file: path, field: field, "is stored in typed protobuf fields, not as contiguous bytes")
        }
    }

    /// Calls `body` once with all values of `tensor` as float32.
    public func withFloat32Values<R>(of tensor: ConstantTensor, _ body: (UnsafeBufferPointer<Float>) -> R)
        throws(ModelError) -> R
    {
        var result: R?
        var whole: [Float] = []
        var inPlace = false
        try forEachFloat32Chunk(of: tensor, chunkSize: Int.max) { chunk, start in
            if start == 0, chunk.count == tensor.elementCount {
                result = body(chunk)
                inPlace = true
            } else {
                whole.append(contentsOf: chunk)
            }
        }
        if inPlace, let result { return result }
        return whole.withUnsafeBufferPointer { body($0) }
    }

    /// Calls `body` with successive chunks of at most `chunkSize` values and the index of each chunk's first
    /// value, so that a multi-GB tensor is never decoded whole.
    public func forEachFloat32Chunk(
        of tensor: ConstantTensor, chunkSize: Int = Model.defaultChunkSize,
        _ body: (UnsafeBufferPointer<Float>, Int) -> Void
    ) throws(ModelError) {
        let field = "tensors[\(tensor.name)]"
        let chunk = max(1, chunkSize)
        if let n = tensor.sparseValueCount, n < tensor.elementCount, case .file = tensor.storage {
            throw ModelError(.malformed, file: path, field: field, "is stored sparse (\(n) of \(tensor.elementCount) values, TFLite sparsity); its dense values are not decoded")
        }
        switch tensor.storage {
        case .none:
            guard tensor.elementCount == 0 else { throw ModelError(.malformed, file: path, field: field, "has no stored data") }
        case .file(let offset, let length):
            guard let bytes = file.slice(offset: offset, length: length) else {
                throw ModelError(.malformed, file: path, field: field, "data lies outside the file")
            }
            try Self.decodeRaw(bytes, tensor, chunk, file: path, field: field, body)
        case .external(let externalPath, let offset, let length):
            let external = try MappedFile(path: externalPath)
            guard let bytes = external.slice(offset: offset, length: length) else {
                throw ModelError(.malformed, file: externalPath, field: field, "data lies outside the file")
            }
            try withExtendedLifetime(external) { () throws(ModelError) in
                try Self.decodeRaw(bytes, tensor, chunk, file: externalPath, field: field, body)
            }
        case .protobufField(let message, let number):
            var values: [Float] = []
            values.reserveCapacity(min(tensor.elementCount, message.count))  // each value takes a byte at least
            let encoding: ScalarEncoding
            switch tensor.dtype {
            case .float32: encoding = .fixed32
            case .float64: encoding = .fixed64
            default: encoding = .varint
            }
            let dtype = tensor.dtype
            var r = ProtoReader(file.bytes, range: message)
            do {
                while let f = try r.next() {
                    guard f.number == number else { continue }
                    try r.forEachValue(of: f, as: encoding) { v in values.append(Self.float(fromProtobuf: v, dtype)) }
                }
            } catch {
                throw ModelError(.malformed, file: path, field: field, error.description)
            }
            var start = 0
            while start < values.count {
                let end = min(values.count, start + min(chunk, values.count - start))
                values[start..<end].withUnsafeBufferPointer { body($0, start) }
                start = end
            }
        }
    }

    static func float(fromProtobuf v: UInt64, _ dtype: DType) -> Float {
        switch dtype {
        case .float32: return Float(bitPattern: UInt32(truncatingIfNeeded: v))
        case .float64: return Float(Double(bitPattern: v))
        case .float16: return FloatDecoding.half(UInt16(truncatingIfNeeded: v))
        case .bfloat16: return Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: v)) << 16)
        case .uint64: return Float(v)
        case .uint8, .uint16, .uint32, .bool: return Float(UInt32(truncatingIfNeeded: v))
        default: return Float(Int64(bitPattern: v))
        }
    }

    static func decodeRaw(
        _ bytes: UnsafeRawBufferPointer, _ tensor: ConstantTensor, _ chunk: Int, file: String, field: String,
        _ body: (UnsafeBufferPointer<Float>, Int) -> Void
    ) throws(ModelError) {
        guard let width = tensor.dtype.bitsPerElement, width % 8 == 0,
            let decode = FloatDecoding.decoder(for: tensor.dtype)
        else {
            throw ModelError(.malformed, file: file, field: field, "\(tensor.dtype.name) values cannot be read as float32")
        }
        let size = width / 8
        let count = tensor.elementCount
        guard count <= bytes.count / size else {
            throw ModelError(.malformed, file: file, field: field, "holds \(bytes.count) bytes, fewer than \(count) values")
        }
        #if _endian(little)
            if tensor.dtype == .float32, let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                var start = 0
                while start < count {
                    let n = min(chunk, count - start)
                    (base + start * 4).withMemoryRebound(to: Float.self, capacity: n) { body(UnsafeBufferPointer(start: $0, count: n), start) }
                    start += n
                }
                return
            }
        #endif
        let bufferSize = min(chunk, count)
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, bufferSize))
        defer { buffer.deallocate() }
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            for i in 0..<n { buffer[i] = decode(bytes, (start + i) * size) }
            body(UnsafeBufferPointer(rebasing: buffer[0..<n]), start)
            start += n
        }
    }
}

/// Element decoders from little-endian bytes at a byte offset (unaligned loads throughout).
enum FloatDecoding {
    typealias Decoder = (UnsafeRawBufferPointer, Int) -> Float

    static func decoder(for dtype: DType) -> Decoder? {
        switch dtype {
        case .float32: return { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self))) }
        case .float64: return { Float(Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self)))) }
        case .float16: return { half(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self))) }
        case .bfloat16: return { Float(bitPattern: UInt32(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self))) << 16) }
        case .int8: return { Float(Int8(bitPattern: $0[$1])) }
        case .uint8, .bool: return { Float($0[$1]) }
        case .int16: return { Float(Int16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int16.self))) }
        case .uint16: return { Float(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self))) }
        case .int32: return { Float(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int32.self))) }
        case .uint32: return { Float(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self))) }
        case .int64: return { Float(Int64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int64.self))) }
        case .uint64: return { Float(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self))) }
        default: return nil
        }
    }

    /// IEEE 754 binary16 to binary32, subnormals, infinities and NaN included.
    static func half(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // ±0 or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
