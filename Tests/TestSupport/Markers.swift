import Diagnostics

/// Inline markers for fixtures, in the style of sourcekit-lsp's `extractMarkers`:
/// `1️⃣`…`9️⃣` mark positions, `⟦` and `⟧` mark ranges (in order of their opening bracket). The markers are
/// removed from the text and their byte offsets in the clean text returned.
public struct MarkedText {
    public let text: String
    public let positions: [String: Int]
    public let ranges: [ByteRange]

    public init(_ marked: String) {
        var out: [UInt8] = []
        var positions: [String: Int] = [:]
        var opens: [Int] = []
        var ranges: [(order: Int, range: ByteRange)] = []
        var order = 0
        let keycaps = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣"]
        for ch in marked {
            let s = String(ch)
            if keycaps.contains(s) {
                positions[s] = out.count
            } else if s == "⟦" {
                opens.append(out.count)
                ranges.append((order, ByteRange(out.count, out.count)))
                order += 1
            } else if s == "⟧" {
                // Close the innermost open range.
                if let start = opens.popLast(), let i = ranges.lastIndex(where: { $0.range.start == start && $0.range.isEmpty }) {
                    ranges[i].range = ByteRange(start, out.count)
                }
            } else {
                out.append(contentsOf: Array(s.utf8))
            }
        }
        text = String(decoding: out, as: UTF8.self)
        self.positions = positions
        self.ranges = ranges.sorted { $0.order < $1.order }.map(\.range)
    }

    public subscript(marker: String) -> Int { positions[marker] ?? -1 }
}
