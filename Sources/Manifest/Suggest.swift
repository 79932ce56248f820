/// "Did you mean" suggestions: the closest candidate by edit distance (adjacent swaps count one), within a
/// distance that grows with the word, ignoring case and `-`/`_` differences first.
public enum Suggest {
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let norm = normalize(word)
        let limit = max(1, min(3, word.count / 3))
        var best: (String, Int)?
        for c in candidates where c != word {
            let n = normalize(c)
            if n == norm { return c }
            // Lengths further apart than the limit cannot be within it: skip the quadratic distance (a
            // folder of thousands of files must not cost a check tens of milliseconds).
            if abs(n.count - norm.count) > limit { continue }
            let d = distance(norm, n)
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        if let best { return best.0 }
        // A prefix long enough to be intentional: `quant` → `quantize`.
        if word.count >= 3, let p = candidates.first(where: { $0.hasPrefix(word) || word.hasPrefix($0) && $0.count >= 4 }) {
            return p
        }
        return nil
    }

    /// Bytes, ASCII-lowercased, `_` read as `-` (names here are ASCII; other bytes compare as they are).
    static func normalize(_ s: String) -> [UInt8] {
        s.utf8.map { b in
            if b >= 0x41 && b <= 0x5A { return b | 0x20 }
            return b == UInt8(ascii: "_") ? UInt8(ascii: "-") : b
        }
    }

    /// Optimal string alignment distance.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
                cur[j] = v
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
