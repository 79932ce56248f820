"""Native safetensors → safetensors conversions, read back by the `safetensors` library itself.

float16 and bfloat16 must round to nearest (ties to even) exactly as numpy / ml_dtypes do, keep every other
tensor byte for byte, keep `__metadata__`, pad the header to 8 bytes, and match `slipway estimate` within 1 %;
pruning must zero the fraction asked of each weight matrix and leave biases alone.
"""
import json
import pathlib
import struct

import ml_dtypes
import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

REPO = pathlib.Path(__file__).resolve().parents[2]
SOURCE = REPO / "Tests/Fixtures/conversion/mlp.safetensors"


def convert(run, dst, *args):
    r = run("convert", str(SOURCE), "--output", str(dst), *args)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(pathlib.Path(str(dst) + ".report.json").read_text())


def header(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return n, json.loads(data[8:8 + n])


def raw(path):
    """name → (dtype string, raw bytes) without numpy's bfloat16 gap."""
    n, h = header(path)
    data = path.read_bytes()[8 + n:]
    return {k: (v["dtype"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in h.items() if k != "__metadata__"}


@pytest.mark.parametrize("flag,dtype,numpy_type", [
    (("--float16",), "F16", np.float16),
    (("--weights", "bfloat16"), "BF16", ml_dtypes.bfloat16),
])
def test_half_types_round_as_numpy_and_keep_the_rest(run, tmp_path, flag, dtype, numpy_type):
    out = tmp_path / "out.safetensors"
    convert(run, out, *flag)
    source = load_file(SOURCE)
    n, h = header(out)
    assert n % 8 == 0
    assert h["__metadata__"] == header(SOURCE)[1]["__metadata__"]
    with safe_open(str(out), "np") as f:  # the reference reader accepts the file
        assert f.metadata() == {"format": "np", "source": "slipway fixtures"}
        assert sorted(f.keys()) == sorted(source)
    converted, before = raw(out), raw(SOURCE)
    for name, value in source.items():
        if value.dtype == np.float32:
            assert converted[name][0] == dtype
            expected = value.astype(numpy_type)
            assert converted[name][1] == expected.tobytes(), f"{name}: not numpy's rounding"
        else:
            assert converted[name] == before[name], f"{name} changed"
    estimate = run("estimate", str(SOURCE), "--weights", "float16" if dtype == "F16" else "bfloat16", "--json",
                   "--no-cache")
    assert estimate.returncode == 0, estimate.stderr.decode()
    assert abs(out.stat().st_size / json.loads(estimate.stdout)["model"]["bytes_after"] - 1) < 0.01


def test_pruning_zeros_weight_matrices_only(run, tmp_path):
    out = tmp_path / "pruned.safetensors"
    report = convert(run, out, "--sparsity", "0.5")
    source, pruned = load_file(SOURCE), load_file(out)
    for name, value in source.items():
        if value.dtype == np.float32 and value.ndim >= 2:
            assert (pruned[name] == 0).mean() >= 0.5
            kept = pruned[name] != 0
            np.testing.assert_array_equal(pruned[name][kept], value[kept])
            # The smallest magnitudes went: every kept value is at least as large as every zeroed one.
            assert np.abs(value[kept]).min() >= np.abs(value[~kept]).max()
        else:
            np.testing.assert_array_equal(pruned[name], value)
    assert {t["name"] for t in report["tensors"] if t["action"] == "pruned"} == {"fc1.weight", "fc2.weight", "head.weight"}


def test_int8_is_refused_with_what_would_work(run, tmp_path):
    r = run("convert", str(SOURCE), "--output", str(tmp_path / "x.safetensors"), "--weights", "int8")
    assert r.returncode != 0
    assert "use float16 or bfloat16" in r.stderr.decode()
    assert not list(tmp_path.iterdir())


def test_manifest_target_converts_natively(run, tmp_path):
    (tmp_path / "w.safetensors").write_bytes(SOURCE.read_bytes())
    (tmp_path / "app.slipway.yaml").write_text(
        "slipway: 1\nname: mlp\nmodel: {path: w.safetensors}\n"
        "targets:\n  server:\n    format: safetensors\n"
        "    optimize: {quantize: {weights: bfloat16}}\n")
    r = run("convert", str(tmp_path / "app.slipway.yaml"))
    assert r.returncode == 0, r.stderr.decode()
    out = tmp_path / "dist/server/mlp.safetensors"
    assert {v[0] for k, v in raw(out).items() if k.endswith("weight")} == {"BF16", "F16"}  # embed was F16 already
    report = json.loads((tmp_path / "dist/server/mlp.safetensors.report.json").read_text())
    assert report["tools"]["converter"] == "native safetensors rewriter (in process)"
    again = run("convert", str(tmp_path / "app.slipway.yaml"))
    assert again.returncode == 0 and "up to date" in (again.stdout + again.stderr).decode()


def test_float16_overflow_is_reported(run, tmp_path):
    from safetensors.numpy import save_file
    src = tmp_path / "big.safetensors"
    w = np.ones((4, 4), np.float32)
    w[0, 0], w[1, 1] = 1e6, -70000.0  # beyond float16's 65504: both become ±inf
    save_file({"w": w, "b": np.ones(4, np.float32)}, str(src))
    out = tmp_path / "big16.safetensors"
    r = run("convert", str(src), "--output", str(out), "--float16")
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads(pathlib.Path(str(out) + ".report.json").read_text())
    entry = next(t for t in report["tensors"] if t["name"] == "w")
    assert entry["overflow"] == 2
    converted = load_file(out)["w"]
    assert np.isposinf(converted[0, 0]) and np.isneginf(converted[1, 1])
    # bfloat16 has float32's range: nothing overflows.
    out_bf = tmp_path / "big_bf.safetensors"
    assert run("convert", str(src), "--output", str(out_bf), "--weights", "bfloat16").returncode == 0
    report = json.loads(pathlib.Path(str(out_bf) + ".report.json").read_text())
    assert next(t for t in report["tensors"] if t["name"] == "w")["overflow"] == 0
