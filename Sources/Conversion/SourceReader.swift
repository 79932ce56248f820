#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Compression
import Dispatch
import ModelFormats

/// Float32 weights read from the model file with pread(2) a chunk at a time instead of through the mapping:
/// the page cache holds them, not the process, so a conversion's peak memory is its output plus one tensor,
/// not the model (issue 7: peak RSS ≤ 1.5× the model size).
final class SourceReader: @unchecked Sendable {  // the descriptor is only read with pread, from any thread
    let fd: Int32
    let path: String

    init?(path: String) {
        fd = (try? RegularFile.open(path).get())?.fd ?? -1  // never blocks on a FIFO or device
        self.path = path
        if fd < 0 { return nil }
    }

    deinit { close(fd) }

    struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// `count` little-endian float32 values at byte `offset`, delivered on demand.
    func values(offset: Int, count: Int) -> WeightValues {
        .chunks(count: count) { [self] range, out in
            try self.read(at: offset + range.lowerBound * 4, into: UnsafeMutableRawBufferPointer(out))
        }
    }

    func read(at offset: Int, into out: UnsafeMutableRawBufferPointer) throws {
        guard let base = out.baseAddress else { return }
        var done = 0
        while done < out.count {
            let n = pread(fd, base + done, out.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw ReadFailure(description: "cannot read \(path) at byte \(offset + done): \(n == 0 ? "the file is shorter" : SafeWriter.errnoText())")
            }
            done += n
        }
    }
}

/// One reader per file (the model and its external data files), opened on first use.
final class SourceReaders: @unchecked Sendable {  // used by one conversion on one thread
    private var open: [String: SourceReader] = [:]

    func reader(_ path: String) -> SourceReader? {
        if let r = open[path] { return r }
        let r = SourceReader(path: path)
        open[path] = r
        return r
    }
}

/// The SHA-256 of a file, computed on another thread while the caller works (the conversion reads the same
/// file; hashing it first would add its whole time to every conversion).
final class BackgroundHash: @unchecked Sendable {  // `result` is written before `done` is signalled, read after
    private let done = DispatchGroup()
    private var result: Result<String, ConversionError> = .failure(ConversionError(.io, "not hashed"))

    init(path: String) {
        done.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            do throws(ConversionError) { result = .success(try sha256(ofFile: path)) } catch { result = .failure(error) }
            done.leave()
        }
    }

    func wait() throws(ConversionError) -> String {
        done.wait()
        return try result.get()
    }
}
