#if canImport(Glibc)
import Glibc
#endif
import Hashing

/// SHA-256s of files by their identity (path, device, inode, size, modification and change times, to the
/// nanosecond), kept in `<folder>/deploy-digests/`, so that a deploy does not re-read a large model or
/// artifact it has already hashed. A file modified within the last two seconds is hashed but not remembered
/// (its next change could keep the same timestamps, as git's index rules out "racy" entries the same way).
public struct DigestCache: Sendable {
    /// Nil: no cache, every digest is computed.
    public var folder: String?

    public init(folder: String?) { self.folder = folder }

    struct Identity: Equatable {
        var dev: UInt64, ino: UInt64, size: Int
        var mtime: Int, mtimeNS: Int, ctime: Int, ctimeNS: Int
    }

    static func identity(_ path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Identity(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), size: Int(st.st_size),
                        mtime: Int(st.st_mtim.tv_sec), mtimeNS: Int(st.st_mtim.tv_nsec),
                        ctime: Int(st.st_ctim.tv_sec), ctimeNS: Int(st.st_ctim.tv_nsec))
    }

    func entry(_ path: String, _ id: Identity) -> String? {
        guard let folder else { return nil }
        let absolute = path.hasPrefix("/") ? path : (PathText.workingFolder() + "/" + path)
        let key = DeployFiles.digest(of: Array("\(absolute)\u{0}\(id.dev)\u{0}\(id.ino)\u{0}\(id.size)\u{0}\(id.mtime).\(id.mtimeNS)\u{0}\(id.ctime).\(id.ctimeNS)".utf8))
        return "\(folder)/deploy-digests/\(key)"
    }

    /// The file's SHA-256 and size, from the cache when its identity is unchanged.
    func digest(of path: String) throws(DeployError) -> (sha256: String, size: Int) {
        guard let id = Self.identity(path) else { throw DeployError(.io, "cannot open \(path): not a readable file") }
        let e = entry(path, id)
        if let e, let b = DeployFiles.readSmall(e, limit: 64), b.count == 64,
           b.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) {
            return (String(decoding: b, as: UTF8.self), id.size)
        }
        let got = try DeployFiles.digest(of: path)
        // Remember it only if the file did not change while it was read, and is not "racy".
        if let e, Self.identity(path) == id, time(nil) - id.mtime > 2, time(nil) - id.ctime > 2 {
            _ = try? DeployFiles.makeFolders(DeployFiles.directory(of: e))
            try? DeployFiles.replace(e, bytes: Array(got.sha256.utf8), durable: false)
        }
        return got
    }
}

enum PathText {
    static func workingFolder() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
