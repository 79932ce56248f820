#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON

/// The Hugging Face `config.json` beside a safetensors file: a safetensors file holds weights only, and the
/// architecture (layers, heads, widths) a language model's estimate needs is in that file. Its top-level
/// scalars become `config.<key>` metadata; a missing, unreadable, oversized or malformed file adds nothing.
enum SidecarConfig {
    static let limit = 1 << 20

    /// The `config.json` in the model's folder.
    static func path(besideModelAt path: String) -> String {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return (folder.isEmpty ? "." : folder) + "/config.json"
    }

    static func metadata(besideModelAt path: String) -> [String: String] {
        let config = Self.path(besideModelAt: path)
        guard let f = fopen(config, "rb") else { return [:] }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        guard bytes.count <= limit, let json = try? JSONValue.parse(bytes: bytes, maxDepth: 16),
            case .object(let o) = json
        else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in o.entries {
            switch v {
            case .string(let s): out["config.\(k)"] = s
            case .int(let i): out["config.\(k)"] = String(i)
            case .bool(let b): out["config.\(k)"] = String(b)
            default: continue
            }
        }
        return out
    }
}
