#if canImport(Glibc)
import Glibc
#endif
import ModelFormats
@testable import Targets

/// Repository files, found from this source file's path (tests run from any folder).
enum Repo {
    static let root: String = {
        var dir = #filePath
        for _ in 0..<3 {
            if let slash = dir.lastIndex(of: "/") { dir = String(dir[..<slash]) }
        }
        return dir
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func text(_ relative: String) -> String? {
        let b = bytes(relative)
        return b.isEmpty ? nil : String(decoding: b, as: UTF8.self)
    }

    static func bytes(_ relative: String) -> [UInt8] {
        guard let f = fopen(path(relative), "rb") else { return [] }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return bytes
    }

    static func model(_ relative: String) throws -> Model { try ModelReader.read(path: path(relative)) }
}

let catalogue: Catalogue = {
    switch Catalogue.embedded {
    case .success(let c): return c
    case .failure(let e):
        print("embedded catalogue: \(e)")
        return Catalogue(
            sources: [:], runtimes: [], devices: [], architectures: [], architecturesSource: nil, rules: [],
            tfliteOpVersions: [:], tfliteOpVersionsSource: SourceRef(id: "", section: ""), operatorSets: [],
            lowering: [:], loweringNotes: [:], loweringSource: SourceRef(id: "", section: ""))
    }
}()
