#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import Checking

@Suite struct ModelCacheSpec {
    @Test func aModelIsReadOnceUntilItsFileChanges() throws {
        let dir = "/tmp/slipway-model-cache-\(getpid())"
        mkdir(dir, 0o755)
        defer { unlink(dir + "/m.onnx"); rmdir(dir) }
        let source = Repository.root + "/examples/kws-mcu/models/ds_cnn_kws.onnx"
        let bytes = try LocalFileSystem().read(source, limit: 1 << 24)
        func write(_ b: [UInt8]) {
            let fd = open(dir + "/m.onnx", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = b.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        write(bytes)
        let fs = ModelCachingFileSystem()
        let a = try fs.readModel(dir + "/m.onnx")
        _ = try fs.readModel(dir + "/m.onnx")
        #expect(fs.cachedCount == 1)
        let before = ModelCachingFileSystem.identity(dir + "/m.onnx")
        // Rewritten with other contents: a new identity, so the next read is a miss that replaces the entry.
        write(bytes + [0x00])
        #expect(ModelCachingFileSystem.identity(dir + "/m.onnx") != before)
        #expect(throws: (any Error).self) { try fs.readModel(dir + "/m.onnx") }  // the trailing byte breaks it
        write(bytes)
        let b = try fs.readModel(dir + "/m.onnx")
        #expect(a.parameterCount == b.parameterCount)
        #expect(fs.cachedCount == 1)
        fs.invalidate()
        #expect(fs.cachedCount == 0)
    }
}
