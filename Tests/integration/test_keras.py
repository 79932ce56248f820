"""Keras models as users hold them (`model.save("m.h5")`, `model.save("m.keras")`): `inspect`, `estimate` and
`check` read them natively and agree with what Keras and h5py said when the fixtures were written
(`scripts/make_keras_fixtures.py`, recorded in `Tests/Fixtures/keras/*.expected.json`)."""
import json
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
KERAS = ROOT / "Tests" / "Fixtures" / "keras"


def expected(name):
    return json.loads((KERAS / f"{name}.expected.json").read_text())


@pytest.mark.parametrize("model,reference", [
    ("small_cnn.h5", "small_cnn"), ("small_cnn_keras2.h5", "small_cnn_keras2"), ("small_cnn.keras", "small_cnn"),
])
def test_inspect_shows_the_layers_model_summary_shows(run, model, reference):
    out = run("inspect", str(KERAS / model), "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    want = expected(reference)
    assert got["format"] == "keras"
    assert [(l["name"], l["class"], l["output_shape"], l["parameters"]) for l in got["layers"]] == [
        (l["name"], l["class"], l["output_shape"], l["params"]) for l in want["layers"]]
    assert got["parameters"] == want["total_params"] == 5610
    assert got["inputs"] == [{"name": "image", "dtype": "float32", "shape": [None, 16, 16, 3]}]
    assert got["outputs"] == [{"name": "logits", "dtype": "float32", "shape": [None, 10]}]
    assert sorted(t["shape"] for t in got["tensors"]) == sorted(w["shape"] for w in want["weights"])
    if model.endswith(".h5"):
        # The HDF5 paths h5py walks under model_weights are the tensor names.
        assert sorted((t["name"], t["dtype"], t["shape"]) for t in got["tensors"]) == sorted(
            (w["path"], w["dtype"], w["shape"]) for w in want["weights"])


def test_estimate_uses_keras_channel_last_kernels(run, tmp_path):
    out = run("estimate", str(KERAS / "small_cnn.h5"), "--json", env={"SLIPWAY_CACHE_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    axes = {t["name"]: t["channel_axis"] for t in json.loads(out.stdout)["tensors"]}
    # HWIO convolutions and [in, out] Dense: the output channel is the last axis; depthwise [H, W, in, 1]: in.
    assert axes == {
        "conv/conv/kernel": 3, "logits/logits/kernel": 1, "depthwise/depthwise/kernel": 2,
        "separable/separable/depthwise_kernel": 2, "separable/separable/pointwise_kernel": 3,
    }


def test_a_manifest_on_a_keras_model_is_checked_and_estimated_from_its_layer_graph(run, tmp_path):
    shutil.copy(KERAS / "small_cnn.h5", tmp_path / "small_cnn.h5")
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("""slipway: 1
name: keras-cnn
model:
  path: small_cnn.h5
  inputs:
    image: [1, 16, 16, 3]
targets:
  android:
    runtime: litert@2.16
    device: arm64-v8a
    format: tflite
    budget: {size_mb: 1, memory_mb: 32, latency_ms: 10}
""")
    check = run("check", str(manifest))
    # Keras → TFLite goes through TensorFlow's converter (test_keras_convert.py); every layer lowers to builtins
    # LiteRT runs, so nothing is wrong with the target.
    assert check.returncode == 0, check.stdout + check.stderr
    out = run("estimate", str(manifest), "--json", env={"SLIPWAY_CACHE_DIR": str(tmp_path / "cache")})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["coverage"] == {"nodes_resolved": 8, "nodes_total": 8, "unresolved_ops": {}, "complete": True}
    # By hand, per layer, for one 16×16×3 image: conv 16·16·8 × 3·3·3, batch norm 2,048, depthwise 2,048 × 9,
    # separable 16·16·8 × 9 + 2,048 × 8, add 2,048, pool 8·8·8 × 4, dense 10 × 512.
    assert report["targets"][0]["macs"] == 55296 + 2048 + 18432 + (18432 + 16384) + 2048 + 2048 + 5120
