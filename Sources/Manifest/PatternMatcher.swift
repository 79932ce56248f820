import Synchronization

/// Whole-string matching of the schema's regular expressions, compiled once per pattern. The patterns are
/// the schema's own (never user input), so a pattern that fails to compile is a bug; it matches nothing.
enum Regex {
    private static let cache = Mutex<[String: Swift.Regex<AnyRegexOutput>?]>([:])

    static func matches(_ pattern: String, _ text: String) -> Bool {
        cache.withLock { cache in
            let compiled: Swift.Regex<AnyRegexOutput>?
            if let c = cache[pattern] {
                compiled = c
            } else {
                compiled = try? Swift.Regex(pattern)
                cache[pattern] = compiled
            }
            guard let compiled else { return false }
            return (try? compiled.wholeMatch(in: text)) != nil
        }
    }
}
