import Checking

/// A file tree in memory for specs: paths map to contents; folders are implied by the paths under them.
struct InMemoryFileSystem: FileSystem {
    var files: [String: [UInt8]]
    var folders: Set<String>

    init(files: [String: String] = [:], binary: [String: [UInt8]] = [:], folders: [String] = []) {
        self.files = files.mapValues { Array($0.utf8) }.merging(binary) { _, b in b }
        var all = Set(folders.map { PathUtil.normalize($0) })
        for path in Array(files.keys) + Array(binary.keys) + folders {
            var d = PathUtil.directory(of: path)
            while d != "." && d != "/" && !d.isEmpty {
                all.insert(d)
                d = PathUtil.directory(of: d)
            }
        }
        self.folders = all
    }

    func kind(of path: String) -> FileKind {
        let p = PathUtil.normalize(path)
        if let f = files[p] { return .file(size: f.count) }
        if folders.contains(p) || p == "." { return .directory }
        return .missing
    }

    func list(_ directory: String) -> [String] {
        let d = PathUtil.normalize(directory)
        let prefix = d == "." ? "" : d + "/"
        var names = Set<String>()
        for p in Array(files.keys) + Array(folders) where p.hasPrefix(prefix) && p != d {
            if let first = p.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(first)) }
        }
        return names.sorted()
    }

    func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        let p = PathUtil.normalize(path)
        if folders.contains(p) { throw FileError(path: path, reason: .isDirectory) }
        guard let f = files[p] else { throw FileError(path: path, reason: .notFound) }
        if f.count > limit { throw FileError(path: path, reason: .tooLarge(size: f.count, limit: limit)) }
        return f
    }
}

/// The project layout the doc examples and most specs assume. The models are real (read by the target
/// checks): `models/kws.onnx` is the DS-CNN keyword spotter of examples/kws-mcu, and every fixture under
/// Tests/Fixtures/targets/ is there as `models/<name>` for examples that need a particular model.
let projectFiles: InMemoryFileSystem = {
    var binary: [String: [UInt8]] = [:]
    let kws = kwsModel
    binary["models/kws.onnx"] = kws
    binary["models/other.onnx"] = kws
    binary["models/mobilenet_tiny.onnx"] = Repository.bytes("examples/mobile-cnn/models/mobilenet_tiny.onnx") ?? []
    binary["models/encoder.onnx"] = Repository.bytes("examples/transformer-server/models/encoder.onnx") ?? []
    binary["models/quantized_qdq.onnx"] = Repository.bytes("Tests/Fixtures/models/quantized_qdq.onnx") ?? []
    binary["models/small_cnn_float.tflite"] = Repository.bytes("Tests/Fixtures/models/small_cnn_float.tflite") ?? []
    binary["models/small_cnn_int8.tflite"] = Repository.bytes("Tests/Fixtures/models/small_cnn_int8.tflite") ?? []
    for name in TargetFixtures.names {
        binary["models/\(name)"] = Repository.bytes("Tests/Fixtures/targets/\(name)") ?? []
    }
    binary["models/broken.onnx"] = Array("not a model, just text".utf8)
    return InMemoryFileSystem(binary: binary, folders: ["data/calib", "data/test"])
}()

/// The DS-CNN keyword spotter of examples/kws-mcu, a real ONNX model the target checks can read.
let kwsModel: [UInt8] = Repository.bytes("examples/kws-mcu/models/ds_cnn_kws.onnx") ?? []

/// The models scripts/make_target_fixtures.py writes.
enum TargetFixtures {
    static let names = [
        "opset21.onnx", "custom_domain.onnx", "erf_gelu.onnx", "dynamic_batch.onnx", "batch2_conv.onnx",
        "tile_mid.onnx",
    ]
}
