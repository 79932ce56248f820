/// Reads a PyTorch zip archive in place: a `torch.save` state dict (`.pt`, `.pth`) or a TorchScript module
/// (`torch.jit.save`). `<archive>/data.pkl` is read by the bounded `Pickle` subset; every tensor it rebuilds
/// (`torch._utils._rebuild_tensor_v2`) points into a storage entry `<archive>/data/<key>`, which torch writes
/// stored (uncompressed), so the tensors' bytes are read where they lie. Names are the state dict's keys, or
/// for a TorchScript module the attribute paths (`conv1.weight`). The archive holds weights, not a graph.
struct PyTorchReader {
    let file: MappedFile

    static let maxPickleBytes = 256 << 20
    static let maxDepth = 64
    static let maxRank = 64
    static let maxTensors = 1 << 20
    /// The names the walk makes (key paths, each a tensor's name or a container's) may total this many bytes: a
    /// memoized tensor is listed under every path that reaches it, so a pickle of a few hundred KB that refers
    /// to one tensor 100,000 times under a 60 KB key would name it with 6 GB of text.
    static let maxNameBytes = 64 << 20

    func bad(_ field: String, _ message: String) -> ModelError { ModelError(.malformed, file: file.path, field: field, message) }

    /// torch's storage classes and the dtype of their elements.
    static func dtype(storage name: String) -> DType? {
        switch name {
        case "FloatStorage": return .float32
        case "DoubleStorage": return .float64
        case "HalfStorage": return .float16
        case "BFloat16Storage": return .bfloat16
        case "LongStorage": return .int64
        case "IntStorage": return .int32
        case "ShortStorage": return .int16
        case "CharStorage": return .int8
        case "ByteStorage": return .uint8
        case "BoolStorage": return .bool
        case "ComplexFloatStorage": return .complex64
        case "ComplexDoubleStorage": return .complex128
        case "Float8_e4m3fnStorage": return .float8e4m3fn
        case "Float8_e5m2Storage": return .float8e5m2
        default: return nil
        }
    }

    struct Storage {
        var key: String
        var dtype: DType
        var entry: ZipEntry
    }

    func read() throws(ModelError) -> Model {
        let entries = try ZipEntries.read(file.bytes, path: file.path)
        if let program = entries.first(where: { $0.name.hasSuffix("serialized_exported_program.json") }) {
            return try ExportedProgramReader(reader: self, entries: entries, program: program).read()
        }
        let (tensors, metadata, script) = try archive(entries)
        return Model(
            format: .pytorch, path: file.path, fileSize: file.count, producer: nil, formatVersion: nil,
            graphs: [], tensors: tensors, inputs: [], outputs: [], opsets: [:],
            metadata: metadata, signatures: [], file: file, torchScript: script)
    }

    /// A TorchScript archive's code, parsed (never run): the classes and functions of `code/__torch__/**.py`,
    /// the root module's class, and its modules' plain attributes. A file outside the parsed subset leaves the
    /// program out and says why (`failure`): the archive's weights are read all the same.
    func torchScript(_ byName: [String: ZipEntry], root: String?, attributes: [String: TorchScriptConstant]) -> TorchScriptArchive {
        var archive = TorchScriptArchive(program: TorchScriptProgram(), rootClass: root, attributes: attributes)
        var total = 0
        for (name, e) in byName.sorted(by: { $0.key < $1.key }) where name.hasPrefix("code/__torch__") && name.hasSuffix(".py") {
            total += e.size
            guard total <= TorchScriptProgram.maxTotalBytes else { archive.failure = "the code files total over \(TorchScriptProgram.maxTotalBytes) bytes"; break }
            // torch deflates its code files (method 8) and stores its weights.
            let raw = UnsafeRawBufferPointer(rebasing: file.bytes[e.data])
            var text: [UInt8] = []
            switch e.method {
            case 0: text = Array(raw)
            case 8:
                do { text = try Inflate.decode(raw, limit: TorchScriptProgram.maxFileBytes) } catch {
                    archive.failure = "\(name): \(error.message)"
                    break
                }
            default: archive.failure = "\(name): zip method \(e.method) is not read"
            }
            if archive.failure != nil { break }
            // code/__torch__/torch/nn/modules/conv.py → __torch__.torch.nn.modules.conv
            let module = name.dropFirst("code/".count).dropLast(".py".count).split(separator: "/").joined(separator: ".")
            do { try archive.program.parse(text, path: name, module: module) } catch {
                archive.failure = error.message
                break
            }
        }
        if archive.failure != nil { archive.program = TorchScriptProgram() }
        return archive
    }

    /// A stored entry's bytes, or why not.
    func stored(_ e: ZipEntry) throws(ModelError) -> Range<Int> {
        guard e.method == 0, e.size == e.compressedSize else {
            throw ModelError(.unsupportedFormat, file: file.path, field: e.name,
                             "is compressed (zip method \(e.method)); torch writes its archives stored: save it again with torch")
        }
        return e.data
    }

    /// The entries of a zip stored inside the archive (an ExportedProgram's `serialized_state_dict.pt`), with
    /// their data ranges in the file.
    func nested(_ e: ZipEntry) throws(ModelError) -> [ZipEntry] {
        let range = try stored(e)
        let inner = try ZipEntries.read(UnsafeRawBufferPointer(rebasing: file.bytes[range]), path: file.path + ":" + e.name)
        return inner.map { i in
            var i = i
            i.data = (i.data.lowerBound + range.lowerBound)..<(i.data.upperBound + range.lowerBound)
            return i
        }
    }

    /// A TorchScript archive's `constants.pkl` (the tensors its code names `CONSTANTS.c0`, …, stored under
    /// `constants/<key>`): each one's shape, and its value when it is one integer (`CONSTANTS.c0` = 2 groups); and
    /// the tensors themselves under those names (a traced `torch.tensor(…)`: stored data, as the weights are).
    func constants(_ byName: [String: ZipEntry], prefix: String) throws(ModelError)
        -> (values: [String: TorchScriptArchive.Constant], tensors: [ConstantTensor])
    {
        guard let entry = byName["constants.pkl"], entry.method == 0, entry.size <= Self.maxPickleBytes else { return ([:], []) }
        var pickle = Pickle(UnsafeRawBufferPointer(rebasing: file.bytes[entry.data]))
        guard let root = try? pickle.run() else { return ([:], []) }
        var storages: [String: ZipEntry] = [:]
        for (k, e) in byName where k.hasPrefix("constants/") { storages["data/" + k.dropFirst("constants/".count)] = e }
        var walk = Walk(pickle: pickle, reader: self, entries: storages, prefix: prefix + "constants/")
        try walk.visit(root, path: "", depth: 0)
        var out: [String: TorchScriptArchive.Constant] = [:]
        var tensors: [ConstantTensor] = []
        for t in walk.tensors {
            var scalar: Int? = nil
            if t.elementCount == 1, case .file(let offset, let length) = t.storage, [.int64, .int32].contains(t.dtype), length <= 8 {
                var v: Int64 = 0
                for k in 0..<length { v |= Int64(file.bytes[offset + k]) << (8 * Int64(k)) }
                if length == 4 { v = Int64(Int32(truncatingIfNeeded: v)) }
                scalar = Int(exactly: v)
            }
            out["CONSTANTS.c" + t.name] = .init(shape: t.shape, scalar: scalar)
            var named = t
            named.name = "CONSTANTS.c" + t.name
            tensors.append(named)
        }
        return (out, tensors)
    }

    /// The tensors of one `torch.save` / TorchScript archive (its entries' data ranges in the file).
    func archive(_ entries: [ZipEntry]) throws(ModelError) -> ([ConstantTensor], [String: String], TorchScriptArchive?) {
        let bytes = file.bytes
        guard let pickleEntry = entries.first(where: { $0.name.hasSuffix("/data.pkl") || $0.name == "data.pkl" }) else {
            throw ModelError(.unsupportedFormat, file: file.path, "is a zip without data.pkl: not a PyTorch archive")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        var byName: [String: ZipEntry] = [:]
        for e in entries where e.name.hasPrefix(prefix) { byName[String(e.name.dropFirst(prefix.count))] = e }
        if let order = byName["byteorder"], order.method == 0 {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[order.data]), as: UTF8.self)
            guard text == "little" else { throw bad("byteorder", "is '\(text)': only little-endian archives are read") }
        }
        let pickleBytes = try stored(pickleEntry)
        guard pickleEntry.size <= Self.maxPickleBytes else {
            throw bad(pickleEntry.name, "is \(pickleEntry.size) bytes, over the \(Self.maxPickleBytes)-byte limit")
        }
        var pickle = Pickle(UnsafeRawBufferPointer(rebasing: bytes[pickleBytes]))
        let root: Pickle.Value
        do { root = try pickle.run() } catch {
            throw ModelError(.unsupportedFormat, file: file.path, field: pickleEntry.name,
                             "is a PyTorch archive whose pickle Slipway does not read: \(error.message); Slipway reads state dicts and TorchScript archives (save model.state_dict(), or torch.jit.save a scripted module)")
        }
        var walk = Walk(pickle: pickle, reader: self, entries: byName, prefix: prefix)
        try walk.visit(root, path: "", depth: 0)
        var metadata: [String: String] = ["pytorch.archive": String(prefix.dropLast())]
        var script: TorchScriptArchive? = nil
        if byName["code/"] != nil || byName.keys.contains(where: { $0.hasPrefix("code/") }) {
            metadata["pytorch.kind"] = "torchscript"
            var rootClass: String? = nil
            if case .object(let i) = root, case .call(let c, _, _, _) = pickle.objects[i] {
                let (m, n) = walk.global(c)
                if m.hasPrefix("__torch__") { rootClass = m + "." + n }
            }
            script = torchScript(byName, root: rootClass, attributes: walk.attributes)
            let stored = try constants(byName, prefix: prefix)
            script?.constants = stored.values
            walk.tensors += stored.tensors
            if let why = script?.whyNotRead { metadata["pytorch.code_not_read"] = why }
        } else {
            metadata["pytorch.kind"] = "state_dict"
        }
        if let v = byName["version"] ?? byName[".data/version"], v.method == 0, v.size < 64 {
            metadata["pytorch.archive_version"] = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[v.data]), as: UTF8.self)
                .trimmingTrailingNewlines()
        }
        return (walk.tensors, metadata, script)
    }

    /// The walk from the pickle's root to its tensors, naming each by its path.
    struct Walk {
        let pickle: Pickle
        let reader: PyTorchReader
        let entries: [String: ZipEntry]
        let prefix: String
        var tensors: [ConstantTensor] = []
        /// Containers already walked: pickles share objects (and may loop), so each is walked once. A tensor
        /// reached by two names (tied weights) is listed under both, as in the state dict.
        var seen: Set<Int> = []
        /// The bytes of the names made so far (`maxNameBytes`).
        var nameBytes = 0
        /// TorchScript modules' plain attributes (ints, floats, bools, strings, None and lists of them) by path
        /// (`_model.context_size_samples`): the code reads them as constants.
        var attributes: [String: TorchScriptConstant] = [:]

        mutating func visit(_ v: Pickle.Value, path: String, depth: Int) throws(ModelError) {
            // Only objects are walked (and named: plain values, such as a TorchScript constant's ints, cost no name).
            guard case .object(let i) = v else { return }
            guard depth <= PyTorchReader.maxDepth else { throw reader.bad(path, "nests deeper than \(PyTorchReader.maxDepth) levels") }
            guard tensors.count < PyTorchReader.maxTensors else { throw reader.bad(path, "holds over \(PyTorchReader.maxTensors) tensors") }
            if case .call(let c, _, _, _) = pickle.objects[i], global(c).0 == "torch._utils" {
                // a tensor: named at every path that reaches it
            } else if !seen.insert(i).inserted {
                return
            }
            switch pickle.objects[i] {
            case .dict(let items):
                for (k, value) in items where value.isObject { try visit(value, path: try child(path, Self.keyText(k)), depth: depth + 1) }
            case .list(let items), .tuple(let items):
                for (n, value) in items.enumerated() where value.isObject { try visit(value, path: try child(path, String(n)), depth: depth + 1) }
            case .call(let callable, let args, let state, let entries):
                switch global(callable) {
                case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
                    tensors.append(try tensor(args, name: path))
                case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
                    if case .object(let a) = args, case .tuple(let items) = pickle.objects[a], let data = items.first {
                        try visit(data, path: path, depth: depth + 1)
                    }
                default:
                    if global(callable).0.hasPrefix("__torch__"), let state, case .object(let s) = state, case .dict(let items) = pickle.objects[s],
                       attributes.count < PyTorchReader.maxTensors {
                        for (k, value) in items {
                            guard case .string(let key) = k else { continue }
                            guard let c = constant(value) else { continue }
                            attributes[path.isEmpty ? key : path + "." + key] = c
                        }
                    }
                    // OrderedDict(), a TorchScript module object, torch.jit._pickle.build_*: their items and state
                    // (a state dict's `_metadata` holds versions, no tensors).
                    for (k, value) in entries where value.isObject { try visit(value, path: try child(path, Self.keyText(k)), depth: depth + 1) }
                    if let state { try visit(state, path: path, depth: depth + 1) }
                    try visit(args, path: path, depth: depth + 1)
                }
            case .global, .persistent:
                return
            }
        }

        /// The name of `key` under `path`, counted against `maxNameBytes`.
        mutating func child(_ path: String, _ key: String) throws(ModelError) -> String {
            let name = path.isEmpty ? key : path + "." + key
            nameBytes += name.utf8.count
            guard nameBytes <= PyTorchReader.maxNameBytes else {
                throw reader.bad(String(path.prefix(200)), "its tensors' and containers' names total over \(PyTorchReader.maxNameBytes) bytes (values referred to again and again under long keys): not a state dict torch writes")
            }
            return name
        }

        static func keyText(_ k: Pickle.Value) -> String {
            switch k {
            case .string(let s): return s
            case .int(let n): return String(n)
            default: return "?"
            }
        }

        func global(_ v: Pickle.Value) -> (String, String) {
            guard case .object(let i) = v, case .global(let m, let n) = pickle.objects[i] else { return ("", "") }
            return (m, n)
        }

        /// A plain value, or a short list or tuple of them (`sample_rates: [8000, 16000]`); nil for anything else.
        func constant(_ v: Pickle.Value) -> TorchScriptConstant? {
            switch v {
            case .none: return TorchScriptConstant.none
            case .bool(let b): return .bool(b)
            case .int(let n): return .int(n)
            case .float(let f): return .float(f)
            case .string(let s): return .string(s)
            case .bytes: return nil
            case .object:
                guard let x = items(v), x.count <= 64 else { return nil }
                var out: [TorchScriptConstant] = []
                for i in x {
                    guard !i.isObject, let c = constant(i) else { return nil }
                    out.append(c)
                }
                return .list(out)
            }
        }

        func items(_ v: Pickle.Value) -> [Pickle.Value]? {
            guard case .object(let i) = v else { return nil }
            switch pickle.objects[i] {
            case .tuple(let x), .list(let x): return x
            default: return nil
            }
        }

        func int(_ v: Pickle.Value) -> Int? {
            if case .int(let n) = v, n >= 0, n <= Int64(Int.max) { return Int(n) }
            return nil
        }

        /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, …)`.
        func tensor(_ args: Pickle.Value, name: String) throws(ModelError) -> ConstantTensor {
            guard let a = items(args), a.count >= 4 else { throw reader.bad(name, "a tensor rebuilt from fewer than 4 arguments") }
            let storage = try self.storage(a[0], name: name)
            guard let offset = int(a[1]) else { throw reader.bad(name, "a negative or missing storage offset") }
            guard let sizeItems = items(a[2]), let strideItems = items(a[3]), sizeItems.count == strideItems.count,
                  sizeItems.count <= PyTorchReader.maxRank
            else { throw reader.bad(name, "size and stride are not two tuples of one rank (at most \(PyTorchReader.maxRank))") }
            var shape: [Int] = [], strides: [Int] = []
            for (s, t) in zip(sizeItems, strideItems) {
                guard let d = int(s), let st = int(t) else { throw reader.bad(name, "a negative or non-integer size or stride") }
                shape.append(d)
                strides.append(st)
            }
            guard let elements = ElementCount.of(shape), let width = storage.dtype.byteCount(elements: 1) else {
                throw reader.bad(name, "the element count of \(shape) overflows")
            }
            // Row-major strides: the bytes are one run. (torch.save keeps views' storages whole; a view with
            // other strides is named but its values are not read.)
            var expected = 1
            var contiguous = true
            for k in stride(from: shape.count - 1, through: 0, by: -1) where shape[k] != 1 {
                if strides[k] != expected { contiguous = false }
                let (p, o) = expected.multipliedReportingOverflow(by: shape[k])
                if o { contiguous = false; break }
                expected = p
            }
            let (startBytes, o1) = offset.multipliedReportingOverflow(by: width)
            let (lengthBytes, o2) = elements.multipliedReportingOverflow(by: width)
            let available = storage.entry.data.count
            guard !o1, !o2, startBytes <= available, lengthBytes <= available - startBytes || !contiguous else {
                throw reader.bad(name, "\(elements) \(storage.dtype.name) values at element \(offset) run past storage \(storage.key) (\(available) bytes)")
            }
            let at = storage.entry.data.lowerBound + startBytes
            return ConstantTensor(
                name: name, dtype: storage.dtype, shape: shape, elementCount: elements,
                storedBytes: contiguous ? lengthBytes : 0,
                storage: contiguous && lengthBytes > 0 ? .file(offset: at, length: lengthBytes) : .none,
                graph: 0, consumers: [], quantization: nil, sparseValueCount: nil)
        }

        /// A persistent id `('storage', <torch.XStorage>, key, location, numel)` and its entry `data/<key>`.
        func storage(_ v: Pickle.Value, name: String) throws(ModelError) -> Storage {
            guard case .object(let i) = v, case .persistent(let pid) = pickle.objects[i], let p = items(pid), p.count >= 3,
                  case .string("storage") = p[0]
            else { throw reader.bad(name, "a tensor whose storage is not a ('storage', …) reference") }
            let (_, typeName) = global(p[1])
            guard let dtype = PyTorchReader.dtype(storage: typeName) else {
                throw ModelError(.unsupportedFormat, file: reader.file.path, field: name, "storage type '\(typeName)' is not read")
            }
            guard case .string(let key) = p[2] else { throw reader.bad(name, "a storage key that is not a string") }
            guard let entry = entries["data/" + key] else { throw reader.bad(name, "storage \(key) has no entry \(prefix)data/\(key)") }
            _ = try reader.stored(entry)
            return Storage(key: key, dtype: dtype, entry: entry)
        }
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        return s
    }
}
