extension Model {
    /// The source format conversions are planned from (Schemas/conversion/paths.json's `from`): the model's
    /// format, except for PyTorch archives, whose kind decides the path: a state dict (`pytorch-state-dict`) is
    /// weights only, which no path that needs the model's graph takes; an ExportedProgram
    /// (`pytorch-exported-program`) goes through other exporters than a TorchScript module (`pytorch`).
    /// `check` and `convert` both plan from this.
    public var conversionSource: String {
        guard format == .pytorch else { return format.rawValue }
        switch metadata["pytorch.kind"] {
        case "state_dict": return "pytorch-state-dict"
        case "exported_program": return "pytorch-exported-program"
        default: return "pytorch"
        }
    }
}
