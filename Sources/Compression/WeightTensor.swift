/// Where a tensor's float32 values come from. The engine reads them in chunks, several at a time from
/// different threads, and never keeps them: a mapped file is streamed, not copied.
public enum WeightValues: @unchecked Sendable {
    /// Values the caller keeps alive and unchanged until the analysis returns (e.g. a memory mapping).
    case buffer(UnsafeBufferPointer<Float>)
    /// Values owned by the description (tests, small tensors, converted data).
    case array([Float])
    /// `count` values delivered on demand: `fill(range, destination)` writes values `range` into
    /// `destination` (of `range.count` elements). For stored types other than float32 (float16, bfloat16)
    /// decoded as they are read. Called concurrently for different ranges.
    case chunks(count: Int, fill: @Sendable (Range<Int>, UnsafeMutableBufferPointer<Float>) throws -> Void)

    public var count: Int {
        switch self {
        case .buffer(let b): return b.count
        case .array(let a): return a.count
        case .chunks(let n, _): return n
        }
    }
}

/// A constant weight tensor, described independently of the model format it came from.
public struct WeightTensor: Sendable {
    public var name: String
    /// Row-major (C order) dimensions.
    public var shape: [Int]
    /// The output-channel axis of the consuming operator (per-channel scales), if known.
    public var channelAxis: Int?
    /// The axis the consuming operator sums over (per-block scales, N:M groups), if known.
    public var reductionAxis: Int?
    /// Bytes the tensor occupies as stored now; nil means 4 per element (float32).
    public var storedBytes: Int?
    public var values: WeightValues
    /// The runtime stores one scale for this tensor whatever the scheme (TFLite's BATCH_MATMUL and GATHER
    /// weights): per-channel and per-block schemes are measured per tensor, with a note.
    public var perTensorOnly: Bool

    public init(
        name: String, shape: [Int], channelAxis: Int? = nil, reductionAxis: Int? = nil, storedBytes: Int? = nil,
        values: WeightValues, perTensorOnly: Bool = false
    ) {
        self.name = name
        self.shape = shape
        self.channelAxis = channelAxis
        self.reductionAxis = reductionAxis
        self.storedBytes = storedBytes
        self.values = values
        self.perTensorOnly = perTensorOnly
    }

    /// The element count the shape implies, or nil when a dimension is negative or the product overflows.
    public var shapeElementCount: Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }
}
