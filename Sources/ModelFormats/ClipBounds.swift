extension Model {
    /// An ONNX Clip node's bounds: its `min`/`max` attributes before opset 11, its constant scalar inputs from
    /// opset 11 on; an omitted bound is unbounded. Nil when a bound is a value computed at run time.
    /// `constant`: the constant tensor of a value name (initializer or Constant node), as the caller indexes them.
    public func clipBounds(_ node: Node, constant: (String) -> ConstantTensor?) -> (low: Float, high: Float)? {
        if node.attributes["min"] != nil || node.attributes["max"] != nil {
            var low = -Float.infinity, high = Float.infinity
            if case .float(let v)? = node.attributes["min"] { low = v }
            if case .float(let v)? = node.attributes["max"] { high = v }
            return (low, high)
        }
        func bound(_ i: Int, _ omitted: Float) -> Float? {
            guard i < node.inputs.count, !node.inputs[i].isEmpty else { return omitted }
            guard let t = constant(node.inputs[i]), t.elementCount == 1 else { return nil }
            return try? withFloat32Values(of: t) { $0.first }
        }
        guard let low = bound(1, -.infinity), let high = bound(2, .infinity) else { return nil }
        return (low, high)
    }
}
