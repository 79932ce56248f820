"""`check` on an ONNX node above 6-D for LiteRT errs exactly where the converted file is refused or not written.

scripts/catalogue/measure_rank_above_6.py converts a one-node 7-D model per case with onnx2tf and runs the file in
the pinned ai-edge-litert, with its default delegate (XNNPACK, which claims some builtins whatever their rank and
then fails to prepare one above 6-D) and with its builtin kernels alone; it records the outcome in
Schemas/targets/operators.json (`onnx_to_tflite.rank_above_6_measured`). Here the same models are checked: a target
with no delegate (LiteRT applies XNNPACK) errs where LiteRT refused the file or no file without Select TF ops was
written, and `delegate: cpu` errs only where no such file was written. One sample is measured again in CI.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "catalogue"))
import measure_rank_above_6 as measure  # noqa: E402

RECORD = json.loads((REPO / "Schemas/targets/operators.json").read_text())["onnx_to_tflite"]["rank_above_6_measured"]
CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))


def refused(entry, key):
    """Whether `convert` gives no file the runtime loads: onnx2tf failed, the file needs Select TF ops (which the
    driver refuses), or LiteRT refused it (`key`: with its default delegate, or its builtin kernels alone)."""
    return "fails" in entry or "flex" in entry or entry[key] != "runs"


def errors(run, tmp_path, name, targets):
    measure.model(name, measure.cases()[name], str(tmp_path / "m.onnx"))
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: m\nmodel: {path: m.onnx}\ntargets:\n"
                        + "".join(f"  {t}: {body}\n" for t, body in targets.items()))
    c = run("check", str(manifest), "--format", "json")
    found = {t: [] for t in targets}
    for d in json.loads(c.stdout):
        if d["severity"] == "error":
            target = d["message"].split("'")[1]
            found[target].append(d)
    return found


def test_every_case_of_the_measurement_is_in_the_record():
    assert sorted(RECORD["cases"]) == sorted(measure.cases())


@pytest.mark.parametrize("name", sorted(RECORD["cases"]))
def test_check_errs_on_a_7d_node_exactly_where_litert_refuses_what_convert_writes(run, tmp_path, name):
    entry = RECORD["cases"][name]
    found = errors(run, tmp_path, name, {"default": "{runtime: litert}", "cpu": "{runtime: litert, delegate: cpu}"})
    assert bool(found["default"]) == refused(entry, "litert"), (entry, found["default"])
    assert bool(found["cpu"]) == refused(entry, "builtin_kernels"), (entry, found["cpu"])
    if "litert" in entry and refused(entry, "litert"):
        # The delegate's prepare refusal, with the way out.
        messages = " ".join(d["message"] for d in found["default"])
        assert "the delegate fails to prepare and LiteRT refuses the model" in messages, messages
        assert "delegate: cpu" in messages, messages


def test_a_sample_of_the_record_is_what_onnx2tf_and_litert_do_now():
    """Measured again: a kept 7-D CONCATENATION that XNNPACK refuses, a 7-D Softmax flattened to 2-D, a 7-D Slice
    the converter writes as FlexStridedSlice."""
    if not os.path.exists(CONVERT_PYTHON):
        pytest.skip("the converters' venv is not installed (make venv-convert)")
    r = subprocess.run([CONVERT_PYTHON, str(REPO / "scripts/catalogue/measure_rank_above_6.py"), "--check",
                        "--cases", "Concat,Softmax,Slice", "--runtime-python", sys.executable],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]


def test_a_node_above_6d_of_an_operator_not_measured_there_is_said_not_passed(run, tmp_path):
    """A 7-D GlobalAveragePool lowers to a MEAN, which XNNPACK takes whatever its rank; whether onnx2tf's file keeps
    the rank on it was not measured: information (SW4016), neither an error nor silence."""
    case = ("GlobalAveragePool", [("x", "float", measure.X)], [], {})
    assert "GlobalAveragePool" not in {c[0] for c in measure.cases().values()}
    measure.model("gap", case, str(tmp_path / "m.onnx"))
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: m\nmodel: {path: m.onnx}\ntargets:\n  t: {runtime: litert}\n")
    said = json.loads(run("check", str(manifest), "--format", "json").stdout)
    assert [(d["severity"], d["code"]) for d in said] == [("information", "SW4016")], said
    assert "whether onnx2tf's file keeps a rank above 6 on the builtin was not measured for the operator" in said[0]["message"]
    assert "GlobalAveragePool 'globalaveragepool' (input 'x' has 7 dimensions; its MEAN)" in said[0]["message"]
