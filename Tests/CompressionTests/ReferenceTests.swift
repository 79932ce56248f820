import Foundation
import JSON
import Testing
@testable import Compression

/// The engine against the float64 numpy reference (../shared/reference/quant_reference.py) on the tensors of
/// Tests/Fixtures/compression (regenerate with its make_fixtures.py). The reference's schemes:
/// (a) int8 symmetric per tensor, (b) per axis 0, (c) uint8 asymmetric, zero point not clipped,
/// (c') uint8 asymmetric with the range widened to 0; t50 = sorted |x| at n / 2.
@Suite struct NumpyReference {
    struct Fixture {
        var tensors: [WeightTensor]
        var reference: JSONValue
    }

    static let schemes = [
        QuantizationScheme(.int8), QuantizationScheme(.int8, granularity: .perChannel),
        QuantizationScheme(.uint8, symmetric: false, widenRangeToZero: false), QuantizationScheme(.uint8, symmetric: false),
    ]
    static let keys = ["sym_int8_tensor", "sym_int8_axis0", "asym_uint8_tensor", "asym_uint8_tensor_incl0"]

    static func load() throws -> Fixture {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/compression").standardized
        let raw = try Data(contentsOf: dir.appendingPathComponent("weights.f32"))
        let values: [Float] = raw.withUnsafeBytes { b in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        let meta = try JSONValue.parse(String(decoding: try Data(contentsOf: dir.appendingPathComponent("weights.json")), as: UTF8.self))
        let reference = try JSONValue.parse(String(decoding: try Data(contentsOf: dir.appendingPathComponent("reference.json")), as: UTF8.self))
        guard case .array(let rows) = meta else { throw CocoaError(.fileReadCorruptFile) }
        var tensors: [WeightTensor] = []
        for row in rows {
            guard let name = row["name"]?.stringValue, case .array(let dims)? = row["shape"], let off = row["offset"]?.intValue
            else { throw CocoaError(.fileReadCorruptFile) }
            let shape = dims.compactMap(\.intValue)
            let n = shape.reduce(1, *)
            tensors.append(WeightTensor(name: name, shape: shape, channelAxis: 0, values: .array(Array(values[off..<(off + n)]))))
        }
        return Fixture(tensors: tensors, reference: reference)
    }

    static func number(_ v: JSONValue?) -> Double? {
        switch v {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: return nil
        }
    }

    @Test func everyTensorsSQNRIsWithinOneHundredthOfADecibel() throws {
        let f = try Self.load()
        let r = try CompressionEngine.analyze(f.tensors, options: CompressionOptions(
            schemes: Self.schemes, pruning: PruningOptions(targetSparsity: 0.5, patterns: []), workers: 2,
            chunkElements: 1024))
        let model = try #require(f.reference["models"]?[0])
        guard case .array(let refTensors)? = model["tensors"] else { Issue.record("no tensors"); return }
        #expect(r.tensors.count == refTensors.count)
        var worst = 0.0
        for (t, ref) in zip(r.tensors, refTensors) {
            #expect(t.name == ref["name"]?.stringValue)
            #expect(t.elements == ref["numel"]?.intValue)
            #expect(close(t.signalSumSquares, Self.number(ref["signal_sum_sq"]), 1e-12), "\(t.name)")
            for (s, key) in Self.keys.enumerated() {
                let mine = t.schemes[s].sqnrDB, theirs = Self.number(ref[key]?["sqnr_db"])
                #expect((mine == nil) == (theirs == nil), "\(t.name) \(key)")
                if let mine, let theirs {
                    worst = max(worst, abs(mine - theirs))
                    #expect(abs(mine - theirs) <= 0.01, "\(t.name) \(key): \(mine) vs \(theirs)")
                }
                #expect(close(t.schemes[s].noiseSumSquares, Self.number(ref[key]?["noise_sum_sq"]), 1e-9), "\(t.name) \(key)")
            }
            // Scales and zero points are the same float64 numbers.
            #expect(t.schemes[0].scale == Self.number(ref["sym_int8_tensor"]?["scale"]), "\(t.name)")
            #expect(t.schemes[2].scale == Self.number(ref["asym_uint8_tensor"]?["scale"]), "\(t.name)")
            #expect(t.schemes[2].zeroPoint == ref["asym_uint8_tensor"]?["zero_point"]?.intValue, "\(t.name)")
            #expect(t.schemes[3].scale == Self.number(ref["asym_uint8_tensor_incl0"]?["scale"]), "\(t.name)")
            #expect(t.schemes[3].zeroPoint == ref["asym_uint8_tensor_incl0"]?["zero_point"]?.intValue, "\(t.name)")
            #expect(t.schemes[1].scales?.exactGroups == ref["sym_int8_axis0"]?["zero_channels"]?.intValue)
            #expect(t.pruning?.perTensor.threshold.map(Double.init) == Self.number(ref["t50"]), "\(t.name)")
        }
        // In float64 like the reference, only the summation order differs.
        #expect(worst < 1e-6)
        let totals = try #require(model["totals"])
        #expect(r.parameters == totals["params"]?.intValue)
        for (s, key) in Self.keys.enumerated() {
            let mine = r.totals[s]
            #expect(close(mine.sqnrDBAggregate, Self.number(totals[key]?["sqnr_db_aggregate"]), 1e-9), "\(key)")
            #expect(close(mine.sqnrDBWeighted, Self.number(totals[key]?["sqnr_db_param_weighted"]), 1e-9), "\(key)")
            #expect(close(mine.sqnrDBMin, Self.number(totals[key]?["sqnr_db_min"]), 1e-9), "\(key)")
            #expect(mine.exactTensors == totals[key]?["tensors_exact"]?.intValue, "\(key)")
        }
        #expect(r.pruning?.global.threshold.map(Double.init) == Self.number(totals["t50_global"]))
        #expect(close(r.pruning?.perTensorThresholdWeighted, Self.number(totals["t50_param_weighted"]), 1e-12))
    }
}
