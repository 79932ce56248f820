import FlatBuffers
import ModelFormats

typealias FB = FlatBufferBuilder

/// The kind of a TFLite schema field (see `TFLiteSchemaTables`, generated from the schema).
public enum FieldKind: Hashable, Sendable {
    case scalar(Int)
    case scalars(Int)
    case string
    case strings
    case table(String)
    case tables(String)
    /// The union's value; its type code is the field just before it (flatc's rule).
    case union(String)
}

/// Reads a TFLite flatbuffer into builder nodes, table by table from the schema's field layouts, so that a
/// rewrite keeps every field the schema knows. A field the schema does not describe (a newer schema, or a
/// deprecated field) is refused rather than dropped: silently losing it could change what the model does.
struct TFLiteTreeReader {
    let file: MappedFile
    let fb: FlatBuffer
    /// Bytes and tables copied so far: shared offsets could make a small file expand into a huge tree.
    var spent = 0
    let budget: Int

    init(file: MappedFile) {
        self.file = file
        self.fb = FlatBuffer(file.bytes)
        self.budget = 4 * file.count + 1_000_000
    }

    func malformed(_ path: String, _ error: FlatBufferError) -> ConversionError {
        ConversionError(.model, "cannot read the model \(file.path): \(path): \(error)")
    }

    mutating func spend(_ n: Int, _ path: String) throws(ConversionError) {
        spent += n
        guard spent <= budget else {
            throw ConversionError(.model, "cannot read the model \(file.path): \(path): the file references its tables and vectors more than its size allows (shared or cyclic offsets)")
        }
    }

    mutating func root() throws(ConversionError) -> FB.TableNode {
        let t: Table
        do { t = try fb.rootTable() } catch { throw malformed("Model", error) }
        return try table(t, type: "Model", path: "Model")
    }

    mutating func table(_ t: Table, type: String, path: String) throws(ConversionError) -> FB.TableNode {
        guard let layout = TFLiteSchemaTables.tables[type] else {
            throw ConversionError(.unsupported, "\(path): table type \(type) is not in the TFLite schema Slipway knows")
        }
        try spend(64, path)
        var node = FB.TableNode()
        do {
            for id in 0..<t.fieldCount where t.has(id) {
                let at = "\(path).field\(id)"
                guard let kind = layout[id] else {
                    throw ConversionError(.unsupported, "\(at): the \(type) table has field \(id), which the TFLite schema Slipway writes (ai-edge-litert 2.3.0) does not describe; a rewrite would drop it, so the model is not converted")
                }
                switch kind {
                case .scalar(let size):
                    if let b = try t.rawField(id, size: size) { node[id] = .scalar(b) }
                case .scalars(let size):
                    guard let v = try t.vector(id, elementSize: size) else { continue }
                    try spend(v.count * size, at)
                    let alignment = type == "Buffer" ? TFLiteTreeReader.bufferAlignment(v.count) : size
                    node[id] = .offset(.scalars(.raw(v.bytes), elementSize: size, alignment: alignment))
                case .string:
                    guard let v = try t.vector(id, elementSize: 1) else { continue }
                    try spend(v.count, at)
                    node[id] = .offset(.string(Array(v.bytes)))
                case .strings:
                    guard let v = try t.vector(id, elementSize: 4) else { continue }
                    try spend(v.count * 4, at)
                    var items: [FB.Node] = []
                    for i in 0..<v.count {
                        let b = try v.stringBytes(i)
                        try spend(b.count, at)
                        items.append(.string(Array(b)))
                    }
                    node[id] = .offset(.offsets(items))
                case .table(let child):
                    guard let c = try t.table(id) else { continue }
                    node[id] = .offset(.table(try table(c, type: child, path: at)))
                case .tables(let child):
                    guard let v = try t.vector(id, elementSize: 4) else { continue }
                    try spend(v.count * 4, at)
                    var items: [FB.Node] = []
                    for i in 0..<v.count { items.append(.table(try table(try v.table(i), type: child, path: "\(at)[\(i)]"))) }
                    node[id] = .offset(.offsets(items))
                case .union(let union):
                    guard id > 0 else { continue }  // flatc puts the type field just before; never at 0
                    let code = Int(try t.scalar(id - 1, default: UInt8(0)))
                    guard code != 0, let c = try t.table(id) else { continue }
                    guard let member = TFLiteSchemaTables.unions[union]?[code] else {
                        throw ConversionError(.unsupported, "\(at): \(union) type \(code) is not in the TFLite schema Slipway writes (ai-edge-litert 2.3.0); the model is not converted")
                    }
                    node[id] = .offset(.table(try table(c, type: member, path: at)))
                }
            }
        } catch let e as FlatBufferError {
            throw malformed(path, e)
        } catch let e as ConversionError {
            throw e
        } catch {
            throw ConversionError(.model, "\(path): \(error)")
        }
        if type == "Buffer" { try inlineOffsetBuffer(&node, path: path) }
        if type == "Operator", node.scalar(9, default: UInt64(0)) != 0 || node.scalar(10, default: UInt64(0)) != 0 {
            throw ConversionError(.unsupported, "\(path): large custom options stored after the flatbuffer (files over 2 GB) are not rewritten")
        }
        return node
    }

    /// A buffer stored after the flatbuffer (offset/size from the start of the file, the form of files over
    /// 2 GB) becomes inline data: its offset would not hold in the rewritten file.
    mutating func inlineOffsetBuffer(_ node: inout FB.TableNode, path: String) throws(ConversionError) {
        let offset = node.scalar(1, default: UInt64(0)), size = node.scalar(2, default: UInt64(0))
        node[1] = nil
        node[2] = nil
        guard offset > 1, size > 0 else { return }
        guard offset <= UInt64(file.count), size <= UInt64(file.count) - offset else {
            throw ConversionError(.model, "cannot read the model \(file.path): \(path): bytes \(offset)..<\(offset &+ size) lie past the end of the file")
        }
        try spend(Int(size), path)
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[Int(offset)..<Int(offset + size)])
        node[0] = .offset(.scalars(.raw(bytes), elementSize: 1, alignment: Self.bufferAlignment(Int(size))))
    }

    /// Weights of 1 KiB and more start on 16 bytes, so kernels may read them in place with vector loads;
    /// smaller buffers (scalars, shapes) on 4, as the TFLite converter leaves them, where 16 would only pad.
    static func bufferAlignment(_ count: Int) -> Int { count >= 1024 ? 16 : 4 }
}

// MARK: Reading and editing built nodes

extension FlatBufferBuilder.Bytes {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .array(let a): return a.withUnsafeBytes(body)
        case .raw(let r): return body(r)
        }
    }
}

extension FlatBufferBuilder.TableNode {
    func scalar<T: FixedWidthInteger>(_ id: Int, default value: T) -> T {
        guard case .scalar(let b)? = fields[id], b.count == MemoryLayout<T>.size else { return value }
        var v: UInt64 = 0
        for (i, byte) in b.enumerated() { v |= UInt64(byte) << (8 * UInt64(i)) }
        return T(truncatingIfNeeded: v)
    }

    func tables(_ id: Int) -> [FB.TableNode] {
        guard case .offset(.offsets(let nodes))? = fields[id] else { return [] }
        return nodes.compactMap { if case .table(let t) = $0 { return t } else { return nil } }
    }

    mutating func setTables(_ id: Int, _ tables: [FB.TableNode]) {
        fields[id] = .offset(.offsets(tables.map { .table($0) }))
    }

    func table(_ id: Int) -> FB.TableNode? {
        guard case .offset(.table(let t))? = fields[id] else { return nil }
        return t
    }

    /// The element bytes of a scalar vector field.
    func vectorBytes(_ id: Int) -> FB.Bytes? {
        guard case .offset(.scalars(let b, _, _))? = fields[id] else { return nil }
        return b
    }

    func int32s(_ id: Int) -> [Int32] {
        guard let b = vectorBytes(id) else { return [] }
        return b.withBytes { raw in
            (0..<(raw.count / 4)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        }
    }

    func string(_ id: Int) -> String? {
        guard case .offset(.string(let s))? = fields[id] else { return nil }
        return String(decoding: s, as: UTF8.self)
    }
}
