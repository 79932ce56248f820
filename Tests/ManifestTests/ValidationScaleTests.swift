import Testing
import YAMLSyntax

@testable import Manifest

/// Issue 17: `check` was quadratic in the number of unknown keys (40,000: 16–24 s; 80,000: 62 s) because a
/// mapping's seen keys were a list searched once per key. Work is counted, not timed: the key tables'
/// comparisons must grow with the keys, not with their square. (Timings: bench/bench_unknown_keys.py.)
@Suite struct ValidationScaleSpec {
    static func manifest(unknownKeys n: Int) -> [UInt8] {
        var text = "slipway: 1\nmodel: {path: models/m.onnx}\ntargets:\n  a: {runtime: litert}\n"
        for i in 0..<n { text += "unknown_key_\(i): \(i)\n" }
        return Array(text.utf8)
    }

    /// (key comparisons, unknown-key diagnostics) for a manifest with `n` unknown top-level keys.
    static func validate(unknownKeys n: Int) -> (comparisons: Int, unknown: Int) {
        let bytes = manifest(unknownKeys: n)
        guard let root = YAMLParser.parse(bytes: bytes).documents.first?.root else { return (0, 0) }
        var v = SchemaValidator(bytes: bytes)
        v.validate(root, against: ManifestSchema.root, path: [], keyRange: nil)
        return (v.keyComparisons, v.diagnostics.filter { $0.code == .unknownKey }.count)
    }

    @Test func keyComparisonsGrowLinearlyWithUnknownKeys() {
        let small = Self.validate(unknownKeys: 20_000)
        let large = Self.validate(unknownKeys: 80_000)
        #expect(small.unknown == 20_000)
        #expect(large.unknown == 80_000)
        // A bounded number per key (one store, one lookup per valid key for the suggestion, a few more)…
        let perKeySmall = Double(small.comparisons) / 20_000, perKeyLarge = Double(large.comparisons) / 80_000
        #expect(perKeySmall < 30, "\(small.comparisons) comparisons for 20,000 keys")
        // …and the same number at four times the keys: linear.
        #expect(abs(perKeyLarge - perKeySmall) < 0.01 * perKeySmall, "\(perKeySmall) vs \(perKeyLarge) per key")
    }
}
