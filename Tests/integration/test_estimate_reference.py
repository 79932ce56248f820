"""`slipway estimate --json` agrees with the numpy reference on real models, through the CLI.

../shared/reference/quant_reference.py (numpy, float64) is run on the ONNX and safetensors fixtures and example
models; for each scheme it computes, `slipway estimate` is run with the flags that ask for that scheme, and every
per-tensor SQNR must agree within 0.01 dB (null where the reference says the reconstruction is exact), the 50 %
magnitude threshold exactly, per tensor and over the model. Every tensor the reference measures is either measured
by slipway with `--include-non-weights`, and without it either measured or reported as left out because no
operator reads it as a weight (by default slipway measures weights only).

Also: the results cache through the CLI (a second run is a hit, a changed model is a miss, a corrupt entry is
rebuilt), `--no-cache`, and the manifest form with its exit status.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / "quant_reference.py"

MODELS = [
    "Tests/Fixtures/models/small_cnn.onnx",
    "Tests/Fixtures/models/typed_fields.onnx",
    "Tests/Fixtures/models/external_data.onnx",
    "Tests/Fixtures/estimate/lstm_attention.onnx",
    "Tests/Fixtures/estimate/weights.safetensors",
    "Tests/Fixtures/targets/batch2_conv.onnx",
    "Tests/Fixtures/targets/erf_gelu.onnx",
    "examples/kws-mcu/models/ds_cnn_kws.onnx",
    "examples/mobile-cnn/models/mobilenet_tiny.onnx",
    "examples/transformer-server/models/encoder.onnx",
]

# The reference's schemes and the flags that ask slipway for each.
SCHEMES = {
    "sym_int8_tensor": ["--weights", "int8", "--granularity", "per-tensor"],
    "sym_int8_axis0": ["--weights", "int8", "--granularity", "per-channel", "--channel-axis", "0"],
    "asym_uint8_tensor": ["--weights", "uint8", "--asymmetric", "--granularity", "per-tensor", "--no-widen-range"],
    "asym_uint8_tensor_incl0": ["--weights", "uint8", "--asymmetric", "--granularity", "per-tensor"],
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    if not REFERENCE.exists():
        pytest.skip("../shared/reference/quant_reference.py is not checked out beside the repository")
    pytest.importorskip("onnx")
    out = tmp_path_factory.mktemp("ref") / "ref.json"
    subprocess.run([sys.executable, str(REFERENCE), *[str(ROOT / m) for m in MODELS], "--no-f32-check",
                    "--out", str(out)], check=True, cwd=ROOT)
    doc = json.loads(out.read_text())
    return {m: doc["models"][i] for i, m in enumerate(MODELS)}


def estimate(slipway, model, *flags, env=None):
    # --include-non-weights: the reference's tensor set (every float constant of rank >= 2).
    p = subprocess.run([slipway, "estimate", str(ROOT / model), "--json", "--no-cache", "--include-non-weights", *flags],
                       capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def measured(ref_model, out):
    """The reference's tensors with slipway's, by name (names are unique in these models): the same set, except
    that the reference reads only float32 from ONNX files and slipway measures float16 ones too."""
    ours = {t["name"]: t for t in out["tensors"]}
    theirs = {t["name"] for t in ref_model["tensors"]}
    assert theirs <= set(ours)
    extra = [ours[n] for n in ours if n not in theirs]
    assert all(t["dtype"] != "float32" for t in extra) and (not extra or ref_model["path"].endswith(".onnx")), extra
    return [(t, ours[t["name"]]) for t in ref_model["tensors"]], not extra


@pytest.mark.parametrize("model", MODELS)
def test_by_default_what_is_left_out_is_not_a_weight(slipway, reference, model):
    p = subprocess.run([slipway, "estimate", str(ROOT / model), "--json", "--no-cache"], capture_output=True, text=True)
    out = json.loads(p.stdout)
    ours = {t["name"] for t in out["tensors"]}
    skipped = {s["name"]: s["reason"] for s in out["skipped"]}
    for t in reference[model]["tensors"]:
        assert t["name"] in ours or skipped.get(t["name"]) == "not_a_weight", (t["name"], skipped.get(t["name"]))


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_every_tensor_sqnr_matches_the_reference(slipway, reference, model, scheme):
    ref = reference[model]
    out = estimate(slipway, model, *SCHEMES[scheme])
    pairs, same_set = measured(ref, out)
    for r, ours in pairs:
        want = r[scheme]["sqnr_db"]
        if want is None:
            assert ours["sqnr_db"] is None, (r["name"], ours["sqnr_db"])
        else:
            assert ours["sqnr_db"] == pytest.approx(want, abs=0.01), r["name"]
    if ref["tensors"] and same_set:
        for key, ours_key in (("sqnr_db_aggregate", "sqnr_db_aggregate"), ("sqnr_db_param_weighted", "sqnr_db_weighted"),
                              ("sqnr_db_min", "sqnr_db_min")):
            want, got = ref["totals"][scheme][key], out["total"][ours_key]
            assert (got is None) if want is None else got == pytest.approx(want, abs=0.01), key
        assert out["total"]["parameters"] == ref["totals"]["params"]


@pytest.mark.parametrize("model", MODELS)
def test_the_fifty_percent_threshold_matches_the_reference(slipway, reference, model):
    ref = reference[model]
    out = estimate(slipway, model, "--sparsity", "0.5")
    pairs, same_set = measured(ref, out)
    for r, ours in pairs:
        assert ours["pruning"]["threshold"] == pytest.approx(r["t50"], rel=1e-7, abs=0), r["name"]
    if ref["tensors"] and same_set:
        assert out["pruning"]["threshold"] == pytest.approx(ref["totals"]["t50_global"], rel=1e-7, abs=0)


def test_the_json_has_the_contract_keys(slipway):
    out = estimate(slipway, "examples/kws-mcu/models/ds_cnn_kws.onnx", "--sparsity", "0.5")
    assert {"name", "elements", "sqnr_db", "scale"} <= set(out["tensors"][0])
    assert {"parameters", "sqnr_db_aggregate", "sqnr_db_weighted", "sqnr_db_min", "bytes_before",
            "bytes_after"} <= set(out["total"])
    assert {"threshold", "sparsity", "energy_retained"} <= set(out["pruning"])


def test_the_cache_hits_misses_after_a_change_and_rebuilds_a_corrupt_entry(slipway, tmp_path):
    env = dict(os.environ, SLIPWAY_CACHE_DIR=str(tmp_path / "cache"))
    model = tmp_path / "m.onnx"
    shutil.copy(ROOT / "examples/kws-mcu/models/ds_cnn_kws.onnx", model)

    def run():
        p = subprocess.run([slipway, "estimate", str(model), "--json"], capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    first, second = run(), run()
    assert (first["cache"], second["cache"]) == ("miss", "hit")
    assert first["tensors"] == second["tensors"] and first["total"] == second["total"]
    entries = list((tmp_path / "cache" / "estimates").glob("estimate-*.json"))
    assert len(entries) == 1
    entries[0].write_text("{ not json")
    assert run()["cache"] == "miss"
    assert run()["cache"] == "hit"
    # Another model in the same place: a miss, with that model's figures.
    shutil.copy(ROOT / "examples/mobile-cnn/models/mobilenet_tiny.onnx", model)
    changed = run()
    assert changed["cache"] == "miss" and changed["total"]["parameters"] != first["total"]["parameters"]
    p = subprocess.run([slipway, "estimate", str(model), "--json", "--no-cache"], capture_output=True, text=True, env=env)
    assert json.loads(p.stdout)["cache"] == "miss"


def test_a_manifest_is_estimated_per_target(slipway, tmp_path):
    env = dict(os.environ, SLIPWAY_CACHE_DIR=str(tmp_path / "cache"))
    p = subprocess.run([slipway, "estimate", str(ROOT / "examples/mobile-cnn/mobile-cnn.slipway.yaml"), "--json"],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    rows = {r["target"]: r for r in doc["targets"]}
    assert set(rows) == {"android", "ios"}
    assert rows["android"]["scheme"] == "float16" and rows["ios"]["scheme"] == "int8-sym-per-channel"
    for r in rows.values():
        assert r["size_source"] == "compression" and r["size_bytes"] < r["size_before_bytes"]
        assert r["sqnr_db_min"] is not None and r["macs"] > 0
    one = subprocess.run([slipway, "estimate", str(ROOT / "examples/mobile-cnn/mobile-cnn.slipway.yaml"), "--target",
                          "ios", "--json"], capture_output=True, text=True, env=env)
    assert [r["target"] for r in json.loads(one.stdout)["targets"]] == ["ios"]


def test_a_missed_budget_exits_1_and_usage_errors_exit_2(slipway, tmp_path):
    env = dict(os.environ, SLIPWAY_CACHE_DIR=str(tmp_path / "cache"))
    shutil.copytree(ROOT / "examples/kws-mcu", tmp_path / "kws")
    manifest = tmp_path / "kws" / "kws.slipway.yaml"
    manifest.write_text(manifest.read_text().replace("size_mb: 0.1", "size_mb: 0.01"))
    p = subprocess.run([slipway, "estimate", str(manifest)], capture_output=True, text=True, env=env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "size MISSED" in p.stdout
    for args in (["--target", "nope"], ["--weights", "int8"]):
        assert subprocess.run([slipway, "estimate", str(manifest), *args], capture_output=True, env=env).returncode == 2
    model = str(ROOT / "examples/kws-mcu/models/ds_cnn_kws.onnx")
    for args in (["--sparsity", "0.5", "--threshold", "0.1"], ["--granularity", "per-row"], ["--weights", "int3"],
                 ["--pattern", "4:2"]):
        assert subprocess.run([slipway, "estimate", model, *args], capture_output=True, env=env).returncode == 2, args
    assert subprocess.run([slipway, "estimate", str(tmp_path / "missing.onnx")], capture_output=True,
                          env=env).returncode == 2
