/// Small string helpers the edges (CLI reports, the server) share, without pulling in Foundation.
extension String {
    /// Every occurrence of `target` replaced by `replacement`.
    public func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

public enum PercentEncoding {
    /// A path as a URI path: unreserved characters, sub-delimiters, `/`, `:` and `@` kept, every other byte
    /// percent-encoded (RFC 3986, section 3.3).
    public static func encodePath(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            let c = Character(Unicode.Scalar(b))
            if b < 0x80, c.isLetter || c.isNumber || "-._~/!$&'()*+,;=:@".contains(c) {
                out.append(c)
            } else {
                let h = String(b, radix: 16, uppercase: true)
                out += "%" + (h.count == 1 ? "0" + h : h)
            }
        }
        return out
    }
}
