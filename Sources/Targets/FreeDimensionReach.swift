import ModelFormats
import Synchronization

/// Which dimensions of the model's values follow the graph inputs' free ones (those neither the file nor the manifest
/// fixes, which the analysis takes as 1): the model analysed again with every free input dimension `sample`; a
/// dimension that changes follows one. Rules about free dimensions ask (a converter that fails where they reach a node); the
/// second analysis runs once per analysis, on the first question, so models nobody asks about pay nothing.
public final class FreeDimensionReach: Sendable {
    /// The first analysis's input dimensions with every free one `sample`.
    let wider: [String: [Int?]]
    /// A size every stride and pooling of real models divides (a detector downsampling 32 times: ppocrv4-det's
    /// sizes at 2 leave nothing to upsample, and its shapes stop), and unlike 1.
    static let sample = 64
    /// The scalar inputs' values the first analysis was given (an If on them takes the same branch).
    let values: [String: Int]
    private let shapes = Mutex<ValueShapes?>(nil)

    init(wider: [String: [Int?]], values: [String: Int]) {
        self.wider = wider
        self.values = values
    }

    /// The widened analysis's value shapes, computed on the first call.
    func widenedShapes(model: Model) -> ValueShapes {
        shapes.withLock { memo in
            if let memo { return memo }
            var a = Analyzer(model: model)
            let s = a.run(overrides: wider, values: values).shapes
            memo = s
            return s
        }
    }
}

extension GraphAnalysis {
    /// The axes of `value` that follow free input dimensions, in order; empty when none does; nil when its shape is
    /// not known both ways (or the model is not an ONNX graph the analysis walks). `model`: the analysed model.
    public func freeAxes(of value: String, model: Model) -> [Int]? {
        guard let at1 = shapes[value] else { return nil }
        guard let reach = freeReach else { return assumedDimensions.isEmpty ? [] : nil }
        guard let at2 = reach.widenedShapes(model: model)[value], at2.count == at1.count else { return nil }
        return at1.indices.filter { at1[$0] != at2[$0] }
    }
}
