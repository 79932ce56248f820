extension Node {
    /// Whether a Reshape reads a 0 in its shape as "copy the input's dimension" (ONNX's default, `allowzero` 0)
    /// rather than as a size of 0 (`allowzero` 1, opset 14 on).
    public var reshapeCopiesZeros: Bool {
        if case .int(let v)? = attributes["allowzero"] { return v == 0 }
        return true
    }
}
