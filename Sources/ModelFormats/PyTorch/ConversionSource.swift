extension Model {
    /// The source format conversions are planned from (Schemas/conversion/paths.json's `from`): the model's
    /// format, except that a PyTorch archive without code (a state dict) is `pytorch-state-dict`, weights
    /// only, which no path that needs the model's graph takes. `check` and `convert` both plan from this.
    public var conversionSource: String {
        format == .pytorch && metadata["pytorch.kind"] == "state_dict" ? "pytorch-state-dict" : format.rawValue
    }
}
