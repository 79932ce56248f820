"""The calibration samples of `optimize.quantize.calibration` as every converter driver reads them, written beside
the driver in the conversion's work folder. The folder holds one sample per file, read in name order:
  * NAME.npz: one array per model input, keyed by the input's name (any model);
  * NAME.npy: the one input's array (models with a single input only).
Each array has the input's full shape (batch dimension included) and is cast to the input's element type.
"""
import os
import sys

import numpy as np


def fail(message):
    # sys.stderr.write rather than the print builtin: this file is embedded in a Swift source (Sources has no prints).
    sys.stderr.write(f"slipway: {message}\n")
    sys.stderr.flush()
    sys.exit(2)


def samples(folder, inputs):
    """{input name: numpy dtype}, in the model's order → one {name: array} per sample file."""
    if not os.path.isdir(folder):
        fail(f"the calibration folder {folder} does not exist")
    files = sorted(f for f in os.listdir(folder) if f.endswith((".npy", ".npz")))
    if not files:
        fail(f"the calibration folder {folder} holds no .npy or .npz sample")
    names = list(inputs)
    for f in files:
        path = os.path.join(folder, f)
        if f.endswith(".npz"):
            with np.load(path, allow_pickle=False) as z:
                missing = [n for n in names if n not in z.files]
                if missing:
                    fail(f"{path} has no array for the input(s) {missing}; it holds {sorted(z.files)}")
                yield {n: np.asarray(z[n]).astype(inputs[n], copy=False) for n in names}
        else:
            if len(names) != 1:
                fail(f"{path}: a .npy sample fits a model with one input; this one has {names}: use .npz files keyed by input name")
            yield {names[0]: np.load(path, allow_pickle=False).astype(inputs[names[0]], copy=False)}
