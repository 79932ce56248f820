/// An artifact's output put back in the original's layout before the two are compared. onnx2tf writes an NC… tensor
/// channels last (an NCHW output [1, 4, 8, 8] is [1, 8, 8, 4] in the .tflite); compared value by value as stored,
/// a conversion that computes exactly what the model does would read as noise (cosine 0.04 on a Conv's output).
/// Decided by the shapes: the artifact's equal to the original's with its axis 1 moved last (and not to the
/// original's own) is moved back; where both layouts have the original's shape ([2, 4, 4, 4]) both are offered and
/// the comparison keeps the one that agrees better (a wrong conversion agrees in neither); any other pair is
/// compared as stored.
enum OutputLayout {
    /// The readings of `values` (every sample's, in sample order, each of `artifactShape`) in the original's layout:
    /// one, or two (as stored, then moved back) where the shapes cannot tell.
    static func views(_ values: [Float], artifactShape: [Int], originalShape: [Int]) -> [[Float]] {
        guard originalShape.count >= 3, artifactShape == channelsLast(originalShape) else { return [values] }
        guard let moved = movedBack(values, originalShape: originalShape) else { return [values] }
        return artifactShape == originalShape ? [values, moved] : [moved]
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
