"""`check` for LiteRT errs on a model with a free batch or sizes exactly where onnx2tf cannot convert it, or writes a
file that fails when run at other sizes, as measured.

scripts/catalogue/measure_free_batch.py converts small models (one to eleven nodes on a 4-D input, its batch free
with the sizes fixed or free, or on audio [batch, samples]) with `slipway convert --force` and records which fail in
Schemas/measurements/free_batch_measured.json. Here the same models are checked: `check` errs with a converter
refusal (litert.onnx-convtranspose-batch, -convtranspose-sizes, -tile-free, -expand-shape, -reshape-free,
-expand-runtime-broadcast, -reshape-runtime-zero, -slice-open-end, -kept-layout-constant, -unsqueezed-frames) exactly
where the conversion failed or the converted file failed when run at other sizes, but for the failures it does not yet
foresee, which NOT_FORESEEN names (each one a known miss, held here so that foreseeing it, or onnx2tf converting it,
shows).
One sample is measured again in CI.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "catalogue"))
import measure_free_batch as measure  # noqa: E402

RECORD = json.loads((REPO / "Schemas/measurements/free_batch_measured.json").read_text())
CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))

# Failures `check` does not foresee yet, (form, variant) → what fails with onnx2tf 1.29.24 (none since session 48: the
# Slice to INT64_MAX and the per-channel affine on a kept input are foreseen). A form measured to fail that `check`
# misses goes here, with what `convert`'s own check of the file says.
NOT_FORESEEN: dict = {}


def foreseen(run, tmp_path, name, variant):
    """Whether `check` errs with a converter refusal, and every error it gives."""
    measure.write_model(name, variant, str(tmp_path / "m.onnx"))
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text(measure.manifest(name))
    errors = [d for d in json.loads(run("check", str(manifest), "--format", "json").stdout) if d["severity"] == "error"]
    return any("onnx2tf cannot convert it: " in d["message"] for d in errors), errors


def test_every_form_of_the_measurement_is_in_the_record():
    assert sorted(RECORD["forms"]) == sorted(measure.forms())
    assert all(sorted(RECORD["forms"][n]) == sorted(v) for n, (_, _, v) in measure.forms().items())


@pytest.mark.parametrize("name,variant", sorted((n, v) for n, e in RECORD["forms"].items() for v in e))
def test_check_errs_on_a_free_batch_exactly_where_onnx2tf_fails(run, tmp_path, name, variant):
    outcome = RECORD["forms"][name][variant]
    said, errors = foreseen(run, tmp_path, name, variant)
    if (name, variant) in NOT_FORESEEN:
        assert outcome.startswith("fails") and not said, (outcome, errors)
    else:
        assert said == outcome.startswith("fails"), (outcome, errors)


def test_the_last_form_check_missed_is_refused_before_onnx2tf_runs_and_its_forced_file_fails_at_other_sizes(run, tmp_path):
    """x · a + b with per-channel constants [1, 4, 1, 1] on an input no spatial operator reads (the driver keeps its
    shape): onnx2tf lays the constants channels-last, and with the sizes free nothing shows it. `check` errs
    (litert.onnx-kept-layout-constant) and `convert` refuses without running onnx2tf; forced, the file's own check
    runs it at other sizes, where it fails ("Given shapes, [2,4,64,64] and [1,1,1,4], are not broadcastable"). With
    check's own errors on every form, none of the 31 files measured to fail when run is written unforced."""
    if not os.path.exists(CONVERT_PYTHON):
        pytest.skip("the converters' venv is not installed (make venv-convert)")
    measure.write_model("Mul_Add_affine", "free", str(tmp_path / "m.onnx"))
    (tmp_path / "m.slipway.yaml").write_text(measure.manifest("Mul_Add_affine"))
    said, errors = foreseen(run, tmp_path, "Mul_Add_affine", "free")
    assert said and "which keeps the channels-first layout of the input 'x'" in errors[0]["message"], errors
    r = run("convert", str(tmp_path / "m.slipway.yaml"), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode != 0 and b"running onnx2tf" not in r.stdout + r.stderr
    r = run("convert", str(tmp_path / "m.slipway.yaml"), "--force", "--python", CONVERT_PYTHON, cwd=tmp_path)
    words = r.stderr.decode() + r.stdout.decode()
    assert r.returncode == 0, words[-1500:]
    assert ("fails when run at other sizes than its samples (x [2, 4, 64, 64]), which the source runs at: RuntimeError at "
            "x [2, 4, 64, 64]: Given shapes, [2,4,64,64] and [1,1,1,4], are not broadcastable") in words, words[-1500:]


def test_a_sample_of_the_record_is_what_onnx2tf_does_now(slipway):
    """Measured again through the driver, each converted file run at other sizes: a ConvTranspose with the sizes
    fixed (fails), one with a per-channel Add after it (fails with the sizes free; with a batch of 1 it converts and
    fails when run), a Conv with the same Add (runs), a 3-D Tile (fails with the batch alone free; with two free
    dimensions in its output it converts, and its Reshape fails when run), a constant expanded to the input's Shape
    and added to it (fails with the batch alone free, fails when run otherwise), a 1-D convolution's frames unsqueezed
    (the file holds them with the source's axes in another order, [n, T, C, 1], and runs at every length)."""
    if not os.path.exists(CONVERT_PYTHON):
        pytest.skip("the converters' venv is not installed (make venv-convert)")
    r = subprocess.run([CONVERT_PYTHON, str(REPO / "scripts/catalogue/measure_free_batch.py"), "--check", "--bin", str(slipway),
                        "--python", CONVERT_PYTHON, "--runtime-python", sys.executable, "--forms", "ConvTranspose,ConvTranspose_Add,Conv_Add,Reshape_Tile_3d,Shape_Expand_Add,Conv1d_Unsqueeze"],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-2000:]
