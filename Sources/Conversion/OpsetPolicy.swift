/// When the default-domain opset can be raised without changing what the model computes.
///
/// Raising the model's `ai.onnx` opset re-interprets every node under the newer definition. Most new
/// versions only add types; the ones below changed an existing form (an attribute became an input, an axis
/// or mode changed meaning), so a node of that operator written for the older opset would be read wrongly.
/// Source: onnx/docs/Changelog.md (onnx 1.17), the version entries of each operator.
enum OpsetPolicy {
    /// Version → operators whose definition at that version is incompatible with the previous one.
    static let breakingChanges: [Int: Set<String>] = [
        10: ["Slice", "TopK", "Upsample", "Dropout"],
        11: ["Clip", "Pad", "Resize", "Upsample", "Scan"],
        12: ["Dropout"],
        13: ["Split", "Squeeze", "Unsqueeze", "ReduceSum", "Softmax", "LogSoftmax", "Hardmax"],
        18: ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
             "ReduceLogSumExp", "ReduceSumSquare"],
        20: ["DFT", "GridSample"],
        21: ["GroupNormalization"],
    ]

    /// The least IR version that can hold a given opset (onnx/docs/Versioning.md, "Released Versions").
    static func minimumIRVersion(forOpset opset: Int) -> Int {
        switch opset {
        case ..<9: return 3
        case 9: return 4
        case 10: return 5
        case 11: return 6
        case 12...14: return 7
        case 15...18: return 8
        case 19...20: return 9
        case 21...22: return 10  // onnx 1.16 (opset 21) and 1.17 (opset 22) both write IR 10
        default: return 11
        }
    }

    /// The operators (sorted) that prevent raising `from` → `to`, with the version that changed each.
    static func blockers(operators: Set<String>, from: Int, to: Int) -> [(op: String, version: Int)] {
        guard to > from else { return [] }
        var out: [(String, Int)] = []
        // Over the table, not the range: an opset read from a file can be -2^63 (the fuzzer's 112-byte model
        // made `(from + 1)...to` a loop of 9·10^18 steps).
        for (v, ops) in breakingChanges where v > from && v <= to {
            for op in ops where operators.contains(op) { out.append((op, v)) }
        }
        return out.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
    }
}
