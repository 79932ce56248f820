/// An artifact's output put back in the original's layout before the two are compared. onnx2tf writes an NC… tensor
/// channels last (an NCHW output [1, 4, 8, 8] is [1, 8, 8, 4] in the .tflite); compared value by value as stored,
/// a conversion that computes exactly what the model does would read as noise (cosine 0.04 on a Conv's output).
/// Decided by the shapes: the artifact's equal to the original's with its axis 1 moved last (and not to the
/// original's own) is moved back; where both layouts have the original's shape ([2, 4, 4, 4]) both are offered and
/// the comparison keeps the one that agrees better (a wrong conversion agrees in neither). An artifact's shape that is
/// the original's axes in another order (onnx2tf holds a Conv1d's output unsqueezed to [n, 1, C, T] as [n, T, C, 1])
/// offers the values as stored and put back from each such order; any other pair is compared as stored.
enum OutputLayout {
    /// The readings of `values` (every sample's, in sample order, each of `artifactShape`) in the original's layout:
    /// one, or two (as stored, then moved back) where the shapes cannot tell, or as stored and one per order of the
    /// original's axes that gives the artifact's shape.
    static func views(_ values: [Float], artifactShape: [Int], originalShape: [Int]) -> [[Float]] {
        guard originalShape.count >= 3, artifactShape == channelsLast(originalShape) else {
            guard artifactShape != originalShape else { return [values] }
            return [values] + axisOrders(from: originalShape, to: artifactShape).compactMap {
                putBack(values, artifactShape: artifactShape, order: $0)
            }
        }
        guard let moved = movedBack(values, originalShape: originalShape) else { return [values] }
        return artifactShape == originalShape ? [values, moved] : [moved]
    }

    /// The orders of `original`'s axes giving `artifact` (artifact[k] == original[order[k]]), one per order of the
    /// axes longer than 1 (size-1 axes move no value), at most `limit` (equal sizes multiply them); none for shapes
    /// with a negative size or of more than 8 axes.
    static func axisOrders(from original: [Int], to artifact: [Int], limit: Int = 24) -> [[Int]] {
        guard original.count == artifact.count, original.count <= 8, original.allSatisfy({ $0 >= 0 }),
              original.sorted() == artifact.sorted() else { return [] }
        var orders: [[Int]] = [], seen: Set<[Int]> = [], order: [Int] = [], used = [Bool](repeating: false, count: original.count)
        func extend() {
            guard orders.count < limit else { return }
            if order.count == original.count {
                let key = order.filter { original[$0] != 1 }
                if seen.insert(key).inserted { orders.append(order) }
                return
            }
            for i in original.indices where !used[i] && original[i] == artifact[order.count] {
                used[i] = true; order.append(i)
                extend()
                order.removeLast(); used[i] = false
            }
        }
        extend()
        return orders
    }

    /// Each sample's values of `artifactShape` (the original's axes in `order`) in the original's order; nil when the
    /// shape does not divide the values (or overflows).
    static func putBack(_ values: [Float], artifactShape: [Int], order: [Int]) -> [Float]? {
        let rank = artifactShape.count
        guard rank == order.count, rank > 0 else { return nil }
        var originalShape = [Int](repeating: 0, count: rank)
        for (k, axis) in order.enumerated() where axis >= 0 && axis < rank { originalShape[axis] = artifactShape[k] }
        // The original's row-major strides, read at the artifact's axes.
        var strides = [Int](repeating: 1, count: rank), size = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = size
            let (p, overflow) = size.multipliedReportingOverflow(by: originalShape[axis])
            guard !overflow, originalShape[axis] >= 0 else { return nil }
            size = p
        }
        guard size > 0, values.count % size == 0 else { return nil }
        let along = order.map { strides[$0] }
        var out = values
        for base in stride(from: 0, to: values.count, by: size) {
            var index = [Int](repeating: 0, count: rank), target = 0
            for i in 0..<size {
                out[base + target] = values[base + i]
                // The next artifact index, row-major; the original's offset follows it.
                var k = rank - 1
                while k >= 0 {
                    index[k] += 1
                    target += along[k]
                    if index[k] < artifactShape[k] { break }
                    target -= along[k] * index[k]
                    index[k] = 0
                    k -= 1
                }
            }
        }
        return out
    }

    /// Each sample's [lead, inner…, channels] values as [lead, channels, inner…]; nil when the shape does not
    /// divide the values (or overflows).
    static func movedBack(_ values: [Float], originalShape: [Int]) -> [Float]? {
        guard originalShape.count >= 3 else { return nil }
        let lead = originalShape[0], channels = originalShape[1]
        var inner = 1
        for d in originalShape.dropFirst(2) {
            let (p, overflow) = inner.multipliedReportingOverflow(by: d)
            guard !overflow, d >= 0 else { return nil }
            inner = p
        }
        let (perLead, o1) = inner.multipliedReportingOverflow(by: channels)
        let (perSample, o2) = perLead.multipliedReportingOverflow(by: lead)
        guard !o1, !o2, lead >= 0, channels >= 0, perSample > 0, values.count % perSample == 0 else { return nil }
        var out = values
        for base in stride(from: 0, to: values.count, by: perLead) {
            // One leading index: [inner, channels] as stored → [channels, inner].
            for i in 0..<inner {
                for c in 0..<channels { out[base + c * inner + i] = values[base + i * channels + c] }
            }
        }
        return out
    }

    /// `shape` with its axis 1 moved last: onnx2tf's layout of an NC… tensor.
    static func channelsLast(_ shape: [Int]) -> [Int] {
        guard shape.count >= 3 else { return shape }
        return [shape[0]] + shape.dropFirst(2) + [shape[1]]
    }
}
