/// How a tensor's elements map to scale groups, walked as contiguous runs so that the kernels stay
/// vectorised: in a *uniform* run every element has the same group; in an *elementwise* run element j has
/// group `base + j` (a channel axis or block axis that varies fastest).
///
/// The tensor is viewed as [outer][A][inner] around the axis that defines the groups.
struct GroupLayout: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case tensor
        /// Per channel, axis with inner > 1: rows of `inner` elements, group = row % A.
        case channelRows(a: Int, inner: Int)
        /// Per channel, last axis (inner == 1): rows of A elements, group = position in the row.
        case channelLast(a: Int)
        /// Per block along the last axis (inner == 1): rows of A, runs of B, group = row · nb + run.
        case blockRuns(a: Int, b: Int, nb: Int)
        /// Per block along an axis with inner > 1: rows of `inner`, group = (o · nb + a / B) · inner + i.
        case blockRows(a: Int, b: Int, nb: Int, inner: Int)
    }

    let kind: Kind
    let groupCount: Int

    var isElementwise: Bool {
        switch kind {
        case .channelLast, .blockRows: return true
        default: return false
        }
    }

    /// Per-block groups never span more than an aligned unit of elements, so a chunk made of whole units holds
    /// whole groups: their scales and errors are computed within the chunk, in the first pass, and the model
    /// never needs one accumulator per block at once (int4 blocks of 32 on 7 B weights would be 200 M).
    var isChunkLocal: Bool {
        switch kind {
        case .blockRuns, .blockRows: return true
        default: return false
        }
    }

    /// Element count of the smallest run of whole groups that chunks must be made of (1 when not local).
    var alignment: Int {
        switch kind {
        case .blockRuns(let a, let b, _): return a % b == 0 ? b : a
        case .blockRows(let a, let b, _, let inner): return a % b == 0 ? b * inner : a * inner
        default: return 1
        }
    }

    /// The group of element e.
    func group(of e: Int) -> Int {
        switch kind {
        case .tensor: return 0
        case .channelRows(let a, let inner): return (e / inner) % a
        case .channelLast(let a): return e % a
        case .blockRuns(let a, let b, let nb): return (e / a) * nb + (e % a) / b
        case .blockRows(let a, let b, let nb, let inner):
            let k = e / inner
            return ((k / a) * nb + (k % a) / b) * inner + e % inner
        }
    }

    /// `axis` must be within `shape` (callers normalise); zero-sized dimensions give zero groups.
    static func make(shape: [Int], granularity: Granularity, axis: Int) -> GroupLayout {
        let dims = shape.isEmpty ? [1] : shape
        let ax = min(max(axis, 0), dims.count - 1)
        let a = dims[ax]
        let outer = dims[..<ax].reduce(1, *)
        let inner = dims[(ax + 1)...].reduce(1, *)
        switch granularity {
        case .perTensor:
            return GroupLayout(kind: .tensor, groupCount: 1)
        case .perChannel:
            if inner == 1 { return GroupLayout(kind: .channelLast(a: a), groupCount: a) }
            return GroupLayout(kind: .channelRows(a: a, inner: inner), groupCount: a)
        case .perBlock(let size):
            let b = max(size, 1)
            let nb = (a + b - 1) / b
            if inner == 1 { return GroupLayout(kind: .blockRuns(a: a, b: b, nb: nb), groupCount: outer * nb) }
            return GroupLayout(kind: .blockRows(a: a, b: b, nb: nb, inner: inner), groupCount: outer * nb * inner)
        }
    }

    /// Calls `body(start, end, group)` for the runs covering elements [lo, hi). For elementwise layouts
    /// `group` is the group of element `start`, and element `start + j` has group `group + j`.
    @inline(__always)
    func forEachRun(_ lo: Int, _ hi: Int, _ body: (Int, Int, Int) -> Void) {
        var e = lo
        switch kind {
        case .tensor:
            if lo < hi { body(lo, hi, 0) }
        case .channelRows(let a, let inner):
            while e < hi {
                let k = e / inner
                let end = min((k + 1) * inner, hi)
                body(e, end, k % a)
                e = end
            }
        case .channelLast(let a):
            while e < hi {
                let k = e / a
                let end = min((k + 1) * a, hi)
                body(e, end, e - k * a)
                e = end
            }
        case .blockRuns(let a, let b, let nb):
            while e < hi {
                let k = e / a
                let s = (e - k * a) / b
                let end = min(k * a + min((s + 1) * b, a), hi)
                body(e, end, k * nb + s)
                e = end
            }
        case .blockRows(let a, let b, let nb, let inner):
            while e < hi {
                let k = e / inner
                let end = min((k + 1) * inner, hi)
                let o = k / a
                let ai = k - o * a
                body(e, end, (o * nb + ai / b) * inner + (e - k * inner))
                e = end
            }
        }
    }
}
