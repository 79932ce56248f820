/// Shell-style name patterns for `skip` lists: `*` any run of characters except `/`, `**` any run including
/// `/` (`**/` also matches nothing), `?` one character except `/`, `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]`
/// one character of (or not of) a class, `\` escapes the next character. An unclosed `[` is literal.
/// Matching is linear in pattern × name, with no backtracking blow-up.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(Character)
        case any
        case star
        case globstar
        /// `**/`: zero or more whole path segments.
        case globstarSlash
        case set(ranges: [ClosedRange<Character>], negated: Bool)
    }

    public let pattern: String
    let tokens: [Token]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.tokens = Glob.compile(Array(pattern))
    }

    public var description: String { pattern }

    static func compile(_ p: [Character]) -> [Token] {
        var out: [Token] = []
        var i = 0
        while i < p.count {
            let c = p[i]
            switch c {
            case "\\":
                if i + 1 < p.count { out.append(.literal(p[i + 1])); i += 2 } else { out.append(.literal(c)); i += 1 }
            case "?":
                out.append(.any); i += 1
            case "*":
                if i + 1 < p.count, p[i + 1] == "*" {
                    if i + 2 < p.count, p[i + 2] == "/" { out.append(.globstarSlash); i += 3 } else {
                        out.append(.globstar); i += 2
                    }
                    while i < p.count, p[i] == "*" { i += 1 }
                } else {
                    out.append(.star); i += 1
                }
            case "[":
                if let (token, next) = compileSet(p, from: i) { out.append(token); i = next } else {
                    out.append(.literal(c)); i += 1
                }
            default:
                out.append(.literal(c)); i += 1
            }
        }
        return out
    }

    /// `[` at `start`; nil when there is no closing `]`.
    static func compileSet(_ p: [Character], from start: Int) -> (Token, Int)? {
        var i = start + 1
        var negated = false
        if i < p.count, p[i] == "!" || p[i] == "^" { negated = true; i += 1 }
        var ranges: [ClosedRange<Character>] = []
        var first = true
        while i < p.count {
            var c = p[i]
            if c == "]" && !first { return (.set(ranges: ranges, negated: negated), i + 1) }
            first = false
            if c == "\\", i + 1 < p.count { i += 1; c = p[i] }
            if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
                var hi = p[i + 2]
                var skip = 3
                if hi == "\\", i + 3 < p.count { hi = p[i + 3]; skip = 4 }
                if c <= hi { ranges.append(c...hi) }
                i += skip
            } else {
                ranges.append(c...c)
                i += 1
            }
        }
        return nil
    }

    public func matches(_ name: String) -> Bool {
        let s = Array(name)
        let n = s.count
        // cur[j]: the tokens so far can match exactly s[0..<j].
        var cur = [Bool](repeating: false, count: n + 1)
        cur[0] = true
        var next = cur
        for t in tokens {
            for j in 0...n { next[j] = false }
            switch t {
            case .literal(let c):
                for j in 0..<n where cur[j] && s[j] == c { next[j + 1] = true }
            case .any:
                for j in 0..<n where cur[j] && s[j] != "/" { next[j + 1] = true }
            case .set(let ranges, let negated):
                for j in 0..<n where cur[j] && s[j] != "/" {
                    let inSet = ranges.contains { $0.contains(s[j]) }
                    if inSet != negated { next[j + 1] = true }
                }
            case .star:
                for j in 0...n { next[j] = cur[j] || (j > 0 && next[j - 1] && s[j - 1] != "/") }
            case .globstar:
                for j in 0...n { next[j] = cur[j] || (j > 0 && next[j - 1]) }
            case .globstarSlash:
                var reached = false
                for j in 0...n {
                    if j > 0 && cur[j - 1] { reached = true }
                    next[j] = cur[j] || (j > 0 && s[j - 1] == "/" && reached)
                }
            }
            swap(&cur, &next)
        }
        return cur[n]
    }
}
