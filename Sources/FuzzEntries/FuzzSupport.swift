import Checking
import Dispatch
import TestSupport

/// What every fuzz entry shares: the repository's fixtures (read once, for the in-memory projects the
/// entries check against) and the sync bridge for the server's async entry.
enum FuzzSupport {
    /// The package root, from this file's place in it (the entries run from the fuzz binaries and from the tests).
    static let root: String = {
        var dir = PathUtil.directory(of: #filePath)
        for _ in 0..<2 { dir = PathUtil.directory(of: dir) }
        return dir
    }()

    static func fixture(_ relative: String) -> [UInt8] {
        (try? LocalFileSystem().read(root + "/" + relative, limit: 16 << 20)) ?? []
    }

    /// A project folder in memory: the models the seed manifests name (small fixtures under the example
    /// names), and the data folders. Nothing a fuzzed input names can reach the disk.
    static let project: InMemoryFileSystem = {
        let onnx = fixture("Tests/Fixtures/models/small_cnn.onnx")
        let tflite = fixture("Tests/Fixtures/models/small_cnn_float.tflite")
        return InMemoryFileSystem(
            binary: [
                "/fuzz/project/models/model.onnx": onnx,
                "/fuzz/project/models/ds_cnn_kws.onnx": onnx,
                "/fuzz/project/models/mobilenet_tiny.onnx": onnx,
                "/fuzz/project/models/encoder.onnx": onnx,
                "/fuzz/project/models/model.tflite": tflite,
                "/fuzz/project/models/weights.safetensors": fixture("Tests/Fixtures/models/all_dtypes.safetensors"),
                "/fuzz/project/models/model.gguf": fixture("Tests/Fixtures/models/small.gguf"),
            ],
            folders: ["/fuzz/project/data/calib", "/fuzz/project/data/test"])
    }()
}

/// Runs `body` to completion from synchronous code (libFuzzer's callback). Never call it from a task: it
/// blocks its thread until the work is done.
public func blockingWait(_ body: @escaping @Sendable () async -> [String]) -> [String] {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox()
    Task.detached {
        box.set(await body())
        done.signal()
    }
    done.wait()
    return box.get()
}

final class ResultBox: @unchecked Sendable {  // written once before the semaphore signals, read after
    private var value: [String] = []
    func set(_ v: [String]) { value = v }
    func get() -> [String] { value }
}
