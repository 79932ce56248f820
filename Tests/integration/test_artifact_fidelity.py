"""The sizes `convert`'s check of a written file samples and probes (scripts/converters/artifact_fidelity.py), as
pure functions of the model's declared inputs and the manifest's `model.inputs`: no converter runs here."""
import pathlib
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts/converters"))
import artifact_fidelity as F  # noqa: E402

# ppocr-cls declares x [-1, 3, ?, ?] (Paddle's batch, named sizes); a recurrence's state names the batch at axis 1.
CLS = [("x", [-1, 3, "?", "?"], "tensor(float)")]
LSTM = [("x", ["N", 20, 40], "tensor(float)"), ("h0", [1, "N", 64], "tensor(float)")]


def test_a_shape_given_in_part_fixes_its_numbers_and_leaves_the_rest_free():
    fixed = {"x": [None, 3, 48, 192]}
    assert F.free_axes(CLS, fixed, {}) == {"x": [0]}
    [sample] = F.random_samples(CLS, fixed, {}, count=1)
    assert sample["x"].shape == (1, 3, 48, 192) and sample["x"].dtype == np.float32
    # Nothing given: every dimension the model leaves free, the sizes at 1 (or the size asked for).
    assert F.free_axes(CLS, {}, {}) == {"x": [0, 2, 3]}
    assert F.random_samples(CLS, {}, {}, count=1, size=64)[0]["x"].shape == (1, 3, 64, 64)
    # A shape given whole is taken as it came, even of another rank than the model declares.
    assert F.shape_of({"x": [2, 3, 48]}, "x", [-1, 3, "?", "?"], lambda k, d: 1) == [2, 3, 48]


def test_the_probe_sizes_the_batch_at_2_wherever_an_input_names_it():
    free = F.free_axes(LSTM, {}, {})
    assert free == {"x": [0], "h0": [1]}
    first = {"x": np.zeros((1, 20, 40), np.float32), "h0": np.zeros((1, 1, 64), np.float32)}
    assert F.probe_shapes(LSTM, free, first, 64) == {"x": [2, 20, 40], "h0": [1, 2, 64]}
    # A free size the sample holds at 1 takes the probe's size; the batch 2.
    first = {"x": np.zeros((1, 3, 1, 1), np.float32)}
    assert F.probe_shapes(CLS, {"x": [0, 2, 3]}, first, 64) == {"x": [2, 3, 64, 64]}
