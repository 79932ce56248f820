import Testing

@testable import Evaluation

/// Which of the artifact's outputs `slipway test` compares with each of the original's, given their value counts.
@Suite struct OutputPairingSpec {
    @Test func outputsInTheirPlacesArePairedInOrder() {
        #expect(ModelTester.pairOutputs(original: [4, 4, 10], artifact: [4, 4, 10]) == [0, 1, 2])
    }

    /// onnx2tf's TFLite Micro artifact of akiki-vad gives its state (128 values) before its probability (1).
    @Test func reorderedOutputsArePairedByTheirSize() {
        #expect(ModelTester.pairOutputs(original: [1, 128], artifact: [128, 1]) == [1, 0])
        #expect(ModelTester.pairOutputs(original: [1, 128, 6], artifact: [6, 128, 1]) == [2, 1, 0])
    }

    /// A TFLite signature names the outputs as the ONNX model did while TensorFlow orders the tensors its own way
    /// (recurrent_nobias.onnx's out_g, out_l, out_r come out g, r, l, all of 80 values): paired by name first.
    @Test func outputsOfOneSizeArePairedByName() {
        #expect(ModelTester.pairOutputs(original: [80, 80, 80], artifact: [80, 80, 80], originalNames: ["out_g", "out_l", "out_r"],
                                        artifactNames: ["out_g", "out_r", "out_l"]) == [0, 2, 1])
        // A name of another size is not the same output; unnamed outputs fall back to places and sizes.
        #expect(ModelTester.pairOutputs(original: [1, 128], artifact: [128, 1], originalNames: ["p", "s"], artifactNames: ["p", "s"]) == [1, 0])
        #expect(ModelTester.pairOutputs(original: [1, 128], artifact: [128, 1], originalNames: ["p", "s"], artifactNames: ["PartitionedCall:0", "PartitionedCall:1"]) == [1, 0])
    }

    /// Two outputs of one size out of place cannot be told apart: they stay in their places, as does one whose size
    /// no other output has (the comparison then reports the mismatch).
    @Test func ambiguousOrUnmatchedOutputsStayInPlace() {
        #expect(ModelTester.pairOutputs(original: [8, 8, 1, 1], artifact: [1, 1, 8, 8]) == [0, 1, 2, 3])
        #expect(ModelTester.pairOutputs(original: [3, 5], artifact: [5, 7]) == [0, 0])
    }
}

/// An artifact's output stored channels last is compared in the original's layout.
@Suite struct OutputLayoutSpec {
    /// onnx2tf writes an NCHW output [2, 3, 1, 2] as [2, 1, 2, 3]: moved back, value for value.
    @Test func anOutputStoredChannelsLastIsMovedBack() {
        let original: [Float] = Array(0..<12).map(Float.init)  // [2, 3, 1, 2]
        var stored = [Float](repeating: 0, count: 12)  // [2, 1, 2, 3]
        for n in 0..<2 { for c in 0..<3 { for w in 0..<2 { stored[n * 6 + w * 3 + c] = original[n * 6 + c * 2 + w] } } }
        #expect(OutputLayout.views(stored, artifactShape: [2, 1, 2, 3], originalShape: [2, 3, 1, 2]) == [original])
        // Two samples, each of that shape, one after the other.
        #expect(OutputLayout.views(stored + stored, artifactShape: [2, 1, 2, 3], originalShape: [2, 3, 1, 2])
                == [original + original])
    }

    /// [1, 2, 2, 2] channels last is [1, 2, 2, 2]: both readings are offered, the comparison keeps the better.
    @Test func whereTheShapesCannotTellBothReadingsAreOffered() {
        let stored: [Float] = [0, 1, 2, 3, 4, 5, 6, 7]
        #expect(OutputLayout.views(stored, artifactShape: [1, 2, 2, 2], originalShape: [1, 2, 2, 2])
                == [stored, [0, 2, 4, 6, 1, 3, 5, 7]])
        #expect(OutputLayout.views(stored, artifactShape: [1, 4, 2], originalShape: [1, 2, 4]) == [[0, 2, 4, 6, 1, 3, 5, 7]])
        #expect(OutputLayout.views(stored, artifactShape: [1, 2, 4], originalShape: [1, 2, 4]) == [stored])
    }

    /// onnx2tf holds a Conv1d's output [n, C, T] unsqueezed at axis 1 ([n, 1, C, T]) as [n, T, C, 1]: the original's
    /// axes in the order [0, 3, 2, 1], not channels last. Offered as stored and put back; the comparison keeps the better.
    @Test func anOutputHoldingTheOriginalsAxesInAnotherOrderIsPutBack() {
        let original: [Float] = Array(0..<6).map(Float.init)  // [1, 1, 3, 2]
        var stored = [Float](repeating: 0, count: 6)  // [1, 2, 3, 1]
        for c in 0..<3 { for t in 0..<2 { stored[t * 3 + c] = original[c * 2 + t] } }
        #expect(OutputLayout.axisOrders(from: [1, 1, 3, 2], to: [1, 2, 3, 1]) == [[0, 3, 2, 1]])
        #expect(OutputLayout.views(stored, artifactShape: [1, 2, 3, 1], originalShape: [1, 1, 3, 2]) == [stored, original])
        #expect(OutputLayout.views(stored + stored, artifactShape: [1, 2, 3, 1], originalShape: [1, 1, 3, 2])
                == [stored + stored, original + original])
        // A swap of the last two axes: [1, 1, 2, 3] held as [1, 1, 3, 2].
        let swapped: [Float] = [0, 3, 1, 4, 2, 5]
        #expect(OutputLayout.views(swapped, artifactShape: [1, 1, 3, 2], originalShape: [1, 1, 2, 3]) == [swapped, original])
        // Equal sizes: each order of the axes longer than 1 is one reading; size-1 axes add none.
        #expect(OutputLayout.axisOrders(from: [2, 2, 1], to: [1, 2, 2]) == [[2, 0, 1], [2, 1, 0]])
        #expect(OutputLayout.axisOrders(from: [1, 2, 3], to: [1, 2, 4]) == [])
        #expect(OutputLayout.axisOrders(from: [1, -2, 3], to: [1, 3, -2]) == [])
        #expect(OutputLayout.putBack([1, 2, 3], artifactShape: [1, Int.max, 2], order: [0, 2, 1]) == nil)
    }

    @Test func anyOtherPairIsComparedAsStored() {
        let v: [Float] = [1, 2, 3, 4, 5, 6]
        #expect(OutputLayout.views(v, artifactShape: [1, 2, 3], originalShape: [1, 2, 3]) == [v])
        #expect(OutputLayout.views(v, artifactShape: [6], originalShape: [1, 6]) == [v])
        #expect(OutputLayout.views(v, artifactShape: [1, 6], originalShape: [1, 2, 3]) == [v])
        // Shapes a hostile runner output could carry: no trap, values as stored.
        #expect(OutputLayout.views(v, artifactShape: [1, Int.max, Int.max, 2], originalShape: [1, 2, Int.max, Int.max]) == [v])
        #expect(OutputLayout.views(v, artifactShape: [1, -3, -2], originalShape: [1, -2, -3]) == [v])
    }
}
