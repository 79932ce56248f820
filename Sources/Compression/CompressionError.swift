/// Invalid engine options. Problems with one tensor never throw: the tensor is reported as left out, with why.
public enum CompressionError: Error, Sendable, Equatable {
    case invalidBlockSize(Int)
    case invalidSparsity(Double)
    case invalidNMPattern(n: Int, m: Int)
    case noSchemes
}
