#if canImport(Glibc)
import Glibc
#endif
import Checking

/// Files of this repository, found from this source file's path (tests run from any folder).
enum Repository {
    static let root: String = {
        var dir = PathUtil.directory(of: #filePath)
        for _ in 0..<2 { dir = PathUtil.directory(of: dir) }
        return dir
    }()

    static func bytes(_ relative: String) -> [UInt8]? {
        try? LocalFileSystem().read(PathUtil.join(root, relative), limit: 64 << 20)
    }

    static func read(_ relative: String) -> String? {
        guard let bytes = try? LocalFileSystem().read(PathUtil.join(root, relative), limit: 64 << 20) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
