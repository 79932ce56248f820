/// The product of a shape's dimensions, or nil when it overflows: a hostile file may claim any dims.
public enum ElementCount {
    public static func of(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }
}
