import Manifest

// This file imports only Manifest, so `Dimension` here is the manifest's (ModelFormats has its own).

/// The manifest's `model.inputs`, as dimensions by input name (nil for a symbolic dimension).
func manifestInputDims(_ m: Manifest) -> [String: [Int?]] { m.fixedInputDims }

/// The manifest's `model.inputs` given as values (`sr: 16000`), by input name.
func manifestInputValues(_ m: Manifest) -> [String: Int] { m.fixedInputValues }

/// Input names the manifest fixes with at least one dimension.
func manifestInputNames(_ m: Manifest) -> Set<String> {
    Set((m.model?.inputs ?? []).map(\.name.value))
}
