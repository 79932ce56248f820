"""The compression fixtures stay what the numpy reference says.

Tests/Fixtures/compression/reference.json is the reference's output on the fixture tensors; the Swift test
CompressionTests/ReferenceTests.swift holds the engine to it (every SQNR within 0.01 dB). This test reruns
../shared/reference/quant_reference.py on the committed tensors and requires the same numbers, so a change
to the reference or to the fixtures cannot leave the Swift test comparing against stale figures.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "Fixtures" / "compression"
REFERENCE = ROOT.parent / "shared" / "reference" / "quant_reference.py"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference/quant_reference.py is not checked out")
def test_committed_reference_output_is_current(tmp_path):
    pytest.importorskip("onnx")
    make = _load("make_fixtures", FIXTURES / "make_fixtures.py")
    meta = json.loads((FIXTURES / "weights.json").read_text())
    raw = np.fromfile(FIXTURES / "weights.f32", dtype="<f4")
    tensors = [(m["name"], raw[m["offset"]: m["offset"] + int(np.prod(m["shape"]))].reshape(m["shape"])) for m in meta]
    # The committed tensors are the ones the generator makes.
    for (name, a), (gname, g) in zip(tensors, make.tensors()):
        assert name == gname and np.array_equal(a, g)
    model = tmp_path / "model.onnx"
    make.build_onnx(tensors, str(model))
    out = tmp_path / "ref.json"
    subprocess.run([sys.executable, str(REFERENCE), str(model), "--out", str(out)], check=True)
    fresh = json.loads(out.read_text())["models"][0]
    committed = json.loads((FIXTURES / "reference.json").read_text())["models"][0]
    keys = ["sym_int8_tensor", "sym_int8_axis0", "asym_uint8_tensor", "asym_uint8_tensor_incl0"]
    assert [t["name"] for t in fresh["tensors"]] == [t["name"] for t in committed["tensors"]]
    for a, b in zip(fresh["tensors"], committed["tensors"]):
        assert a["t50"] == b["t50"], a["name"]
        for k in keys:
            if b[k]["sqnr_db"] is None:
                assert a[k]["sqnr_db"] is None, (a["name"], k)
            else:
                assert a[k]["sqnr_db"] == pytest.approx(b[k]["sqnr_db"], abs=1e-9), (a["name"], k)
    assert fresh["totals"]["t50_global"] == committed["totals"]["t50_global"]
