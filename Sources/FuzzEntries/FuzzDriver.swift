#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ModelFormats

/// The process side of the `fuzz-<name>` executables. Output goes to stderr only (fd 2): these binaries
/// are never the language server, but nothing here should learn to write to stdout either.
public enum FuzzDriver {
    static func report(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(2, $0.baseAddress.map { $0 + done }, bytes.count - done) }
            if n <= 0 { return }
            done += n
        }
    }

    /// libFuzzer's callback: a broken invariant is a crash, so libFuzzer saves the input.
    public static func testOneInput(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        let problems = target.run(bytes)
        if !problems.isEmpty {
            report("fuzz-\(target.name): invariant broken:\n  " + problems.joined(separator: "\n  "))
            abort()
        }
        return 0
    }

    /// libFuzzer's custom mutator: the structure-aware mutation when it applies and fits, else `fallback`
    /// (libFuzzer's own byte-level `LLVMFuzzerMutate`).
    public static func customMutator(
        _ target: FuzzTarget, _ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32,
        fallback: (UnsafeMutablePointer<UInt8>?, Int, Int) -> Int
    ) -> Int {
        guard let data, let mutate = target.mutate else { return fallback(data, size, maxSize) }
        // Every fourth call stays byte-level: the structure-aware mutator cannot create what does not parse.
        if seed % 4 == 3 { return fallback(data, size, maxSize) }
        let input = Array(UnsafeBufferPointer(start: data, count: size))
        guard let out = mutate(input, UInt64(seed)), out.count <= maxSize, out != input else {
            return fallback(data, size, maxSize)
        }
        out.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { data.update(from: base, count: out.count) }
        }
        return out.count
    }

    /// The same binary built without the fuzzer: runs the given files (or every file in given folders)
    /// through the entry and reports broken invariants. Exit status 1 when any input broke one.
    public static func replay(_ target: FuzzTarget, arguments: [String]) -> Int32 {
        var failed = 0, count = 0
        for path in arguments.flatMap(files) {
            guard let bytes = readAll(path) else {
                report("\(path): cannot read")
                failed += 1
                continue
            }
            count += 1
            let problems = target.run(bytes)
            if !problems.isEmpty {
                failed += 1
                report("\(path): " + problems.joined(separator: "; "))
            }
        }
        report("fuzz-\(target.name): \(count) inputs replayed, \(failed) failed")
        return failed == 0 ? 0 : 1
    }

    static func files(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let e = readdir(dir) {
            let name = DirectoryEntry.name(e)
            if name != "." && name != ".." { out.append(path + "/" + name) }
        }
        return out.sorted()
    }

    static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out += chunk[0..<n]
        }
    }
}
