import ProtobufWire

/// Encoders for the few messages a conversion adds.
public enum ONNXEncode {
    public static func tensor(name: String, dataType: Int64, dims: [Int], raw: [UInt8]) -> [UInt8] {
        var out = WireOutput()
        for d in dims { out.int64Field(1, Int64(d)) }
        out.int64Field(2, dataType)
        out.stringField(8, name)
        out.bytesField(9, raw)
        return out.materialize(source: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public static func node(opType: String, name: String, inputs: [String], outputs: [String], intAttributes: [(String, Int64)])
        -> [UInt8]
    {
        var out = WireOutput()
        for i in inputs { out.stringField(1, i) }
        for o in outputs { out.stringField(2, o) }
        out.stringField(3, name)
        out.stringField(4, opType)
        for (k, v) in intAttributes {
            var a = WireOutput()
            a.stringField(1, k)
            a.int64Field(3, v)
            a.int64Field(20, 2)  // AttributeType INT
            out.messageField(5, a)
        }
        return out.materialize(source: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public static func float32LE(_ values: [Float]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * 4)
        for v in values { out.append(contentsOf: ProtoEncoding.fixed32(v.bitPattern)) }
        return out
    }
}
