"""The sizes `convert`'s check of a written file samples and probes, and how it pairs the file's outputs with the
source's (scripts/converters/artifact_fidelity.py), as pure functions of the model's declared inputs, the manifest's
`model.inputs` and the outputs' arrays: no converter runs here."""
import pathlib
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts/converters"))
sys.path.insert(0, str(REPO / "scripts/runners"))
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


class Outputs:
    """A model's outputs as `paired` reads them: fixed arrays, named."""

    def __init__(self, names, arrays):
        self.output_names, self.arrays, self.inputs = names, arrays, []

    def feed(self, sample):
        return sample

    def run(self, feed):
        return self.arrays


def test_an_output_held_with_the_sources_axes_in_another_order_is_compared_in_that_order_and_said():
    """onnx2tf holds a 1-D convolution's frames unsqueezed to [n, 1, C, T] as [n, T, C, 1]: not channels last (that
    would be [n, C, T, 1]), the same values. Read as stored or channels last it computes something else; in the order
    of the source's axes that gives the file's shape it is exact, and the entry names that order."""
    source = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 1, 3, 5)
    held = source.transpose(0, 3, 2, 1)
    assert F.axis_orders((2, 1, 3, 5), (2, 5, 3, 1)) == [(0, 3, 2, 1)]
    # Size-1 axes move no value: one order per order of the others; shapes of other sizes have none.
    assert F.axis_orders((1, 1, 4), (4, 1, 1)) == [(2, 0, 1)]
    assert F.axis_orders((2, 3), (3, 4)) == []
    assert F.axis_orders((1,) * 8 + (2, 3), (1,) * 8 + (3, 2)) == []
    errors = F.paired(Outputs(["y"], [source]), Outputs(["y"], [held]), [{}], {})
    outputs, failed = F.judge(errors, "float32")
    assert failed == [] and outputs == [{"name": "y", "sqnr_db": None, "exact": True, "max_abs_error": 0.0, "axes": [0, 3, 2, 1]}]
    # A file that computes otherwise agrees in no order.
    wrong = held[:, ::-1].copy()
    outputs, failed = F.judge(F.paired(Outputs(["y"], [source]), Outputs(["y"], [wrong]), [{}], {}), "float32")
    assert [o["name"] for o in failed] == ["y"]
    # Channels last is read as before, and not said.
    outputs, failed = F.judge(F.paired(Outputs(["y"], [source]), Outputs(["y"], [np.moveaxis(source, 1, -1)]), [{}], {}), "float32")
    assert failed == [] and "axes" not in outputs[0] and outputs[0]["exact"]
