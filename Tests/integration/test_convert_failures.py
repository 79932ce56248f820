"""A converter's failure that no rule foresees is said by `check` afterwards (SW4022), while the model and the target's
settings are those it failed on; `convert` then refuses the target as it would fail again, and a successful
conversion (or a changed model or setting) ends it. The record is `<artifact>.failed.json` beside the artifact."""
import json
import os
import pathlib
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import fetch_corpus  # noqa: E402

CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))
pytestmark = pytest.mark.skipif(not os.path.exists(CONVERT_PYTHON), reason="the converters' venv is not installed (make venv-convert)")


def pow_model(path, exponent):
    """x [1, 4, 4, 2] ** a constant exponent: onnx2tf's Pow.py raises on a 1-D exponent of two elements."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    g = helper.make_graph([helper.make_node("Pow", ["x", "e"], ["y"], name="pow")], "pow",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 2])],
                          [numpy_helper.from_array(np.array(exponent, np.float32), "e")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def corpus_model(model_id):
    """The corpus model's path in the cache; the test is skipped where `make corpus` has not fetched it."""
    entry = next(m for m in json.loads(fetch_corpus.CORPUS.read_text())["models"] if m["id"] == model_id)
    model = fetch_corpus.model_path(entry, fetch_corpus.cache_dir())
    if not model.exists():
        pytest.skip(f"corpus model {model_id} not fetched (make corpus)")
    return model


def refused_then_failing_when_forced(run, manifest, tmp_path, log, said):
    """`convert` refuses the target on check's error without running onnx2tf; forced, onnx2tf runs and fails, its
    log (`log`, under tmp_path) saying `said`."""
    refused = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert refused.returncode != 0 and b"SW4004" in refused.stderr and b"running onnx2tf" not in refused.stderr + refused.stdout
    r = run("convert", str(manifest), "--force", "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode != 0 and b"onnx2tf could not convert the model" in r.stderr, r.stderr[-800:]
    assert said in (tmp_path / log).read_text()


def diagnostics(run, manifest):
    return json.loads(run("check", str(manifest), "--format", "json").stdout)


def test_a_failed_conversion_is_an_error_until_the_model_changes_and_a_success_clears_it(run, tmp_path):
    pow_model(tmp_path / "m.onnx", [1.5, 2.5])
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: p\nmodel: {path: m.onnx}\ntargets:\n  t: {runtime: litert, format: tflite}\n")
    # `check` foresees this one (SW4004, litert.onnx-pow-exponent); forced, onnx2tf fails as it says.
    assert [d["code"] for d in diagnostics(run, manifest) if d["severity"] == "error"] == ["SW4004"]
    r = run("convert", str(manifest), "--force", "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode != 0
    record = tmp_path / "dist/t/p.tflite.failed.json"
    assert not (tmp_path / "dist/t/p.tflite").exists() and record.exists()
    saved = json.loads(record.read_text())
    assert saved["converter"] == "onnx2tf" and saved["settings"] == {"weights": "none", "input_shapes": {}}
    assert "The truth value of an array with more than one element is ambiguous" in (tmp_path / saved["log"]).read_text()
    errors = [d for d in diagnostics(run, manifest) if d["severity"] == "error"]
    assert sorted(d["code"] for d in errors) == ["SW4004", "SW4022"], errors
    said = next(d for d in errors if d["code"] == "SW4022")
    assert said["message"].startswith("target t: the last `slipway convert` of it failed with this model and these settings: ")
    assert "its log is dist/t/p.tflite.log" in said["message"] and said["line"] == 5
    # Another setting is another conversion: not what failed.
    manifest.write_text("slipway: 1\nname: p\nmodel: {path: m.onnx, inputs: {x: [1, 4, 4, 2]}}\n"
                        "targets:\n  t: {runtime: litert, format: tflite}\n")
    assert "SW4022" not in [d["code"] for d in diagnostics(run, manifest)]
    # A scalar exponent converts; the success removes the record.
    pow_model(tmp_path / "m.onnx", 2.5)
    r = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    assert (tmp_path / "dist/t/p.tflite").exists() and not record.exists()
    assert [d for d in diagnostics(run, manifest) if d["severity"] == "error"] == []


def test_a_run_stopped_by_the_time_limit_is_not_recorded_as_the_converters_failure(run, tmp_path):
    """`--timeout` stops the converter; a longer limit may finish it, so `check` says nothing of that run."""
    pow_model(tmp_path / "m.onnx", 2.5)
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: p\nmodel: {path: m.onnx}\ntargets:\n  t: {runtime: litert, format: tflite}\n")
    r = run("convert", str(manifest), "--timeout", "0.5", "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode != 0 and b"timed out after" in r.stderr, r.stderr[-800:]
    assert not (tmp_path / "dist/t/p.tflite").exists() and not (tmp_path / "dist/t/p.tflite.failed.json").exists()
    assert [d for d in diagnostics(run, manifest) if d["severity"] == "error"] == []


def test_onnx2tf_failing_on_a_real_detector_with_a_free_batch_is_foreseen_by_check_and_said_again_after_a_forced_run(
        run, tmp_path):
    """ppocrv4-det with its batch, height and width free: `check` errs on its first ConvTranspose before any run (SW4004,
    litert.onnx-convtranspose-batch: onnx2tf broadcasts the per-channel Add after it along the wrong axis; its second,
    of one channel, converts into a file that fails at other sizes: litert.onnx-convtranspose-sizes), and
    `convert` refuses the target without running onnx2tf. Forced, onnx2tf fails as said ("Dimensions must be equal,
    but are 16 and 24"); `check` then says that run too (SW4022). Its shape under model.inputs, which the driver
    writes into the model, converts."""
    model = corpus_model("ppocrv4-det")
    (tmp_path / "det.onnx").write_bytes(model.read_bytes())
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: det\nmodel: {path: det.onnx}\ntargets:\n  phone: {runtime: litert, format: tflite}\n")
    errors = [d for d in diagnostics(run, manifest) if d["severity"] == "error"]
    assert [d["code"] for d in errors] == ["SW4004"], errors
    # Its second ConvTranspose writes one channel: the Add of a [1, 1, 1, 1] constant after it converts, fused as its
    # bias, and the file fails when run at other sizes than those onnx2tf sampled (measured; the test below).
    assert errors[0]["message"].startswith("target 'phone': 2 operators cannot run: ConvTranspose 'p2o.ConvTranspose.0' (onnx2tf cannot convert it: its batch and sizes are free ('x'), and onnx2tf then broadcasts the per-channel Add 'p2o.Add.278' after it"), errors
    assert "ConvTranspose 'p2o.ConvTranspose.2' (onnx2tf cannot convert it: its sizes are free and the Add 'p2o.Add.280' of a constant after it becomes its bias" in errors[0]["message"], errors
    refused_then_failing_when_forced(run, manifest, tmp_path, "dist/phone/det.tflite.log",
                                     "Dimensions must be equal, but are 16 and 24")
    errors = [d for d in diagnostics(run, manifest) if d["severity"] == "error"]
    assert sorted(d["code"] for d in errors) == ["SW4004", "SW4022"], errors
    manifest.write_text("slipway: 1\nname: det\nmodel: {path: det.onnx, inputs: {x: [1, 3, 320, 320]}}\n"
                        "targets:\n  phone: {runtime: litert, format: tflite}\n")
    assert [d for d in diagnostics(run, manifest) if d["severity"] == "error"] == []
    r = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()[-1500:]
    assert (tmp_path / "dist/phone/det.tflite").exists() and not (tmp_path / "dist/phone/det.tflite.failed.json").exists()


def test_a_real_detectors_file_written_at_free_sizes_fails_when_run_at_others_as_check_says(run, tmp_path):
    """ppocrv4-det with a batch of 1 and its height and width free: onnx2tf converts it, but TensorFlow's converter
    fuses the constant Add after each ConvTranspose into its TRANSPOSE_CONV as the bias, and the fused node keeps the
    output shape onnx2tf sampled (sizes 1): at 320 × 320 the kernel refuses it. `check` says so on both ConvTransposes
    before any run (SW4004, litert.onnx-convtranspose-sizes); forced, the file is written and `slipway test` fails it
    with the kernel's words."""
    import onnx
    model = corpus_model("ppocrv4-det")
    m = onnx.load(str(model))
    batch = m.graph.input[0].type.tensor_type.shape.dim[0]
    batch.ClearField("dim_param")
    batch.dim_value = 1
    onnx.save(m, str(tmp_path / "det.onnx"))
    (tmp_path / "samples").mkdir()
    np.save(tmp_path / "samples" / "x.npy", np.random.default_rng(0).random((1, 3, 320, 320)).astype(np.float32))
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: det\nmodel: {path: det.onnx}\ntargets:\n  phone: {runtime: litert, format: tflite}\n"
                        "test:\n  samples: samples\n  tolerance: {cosine: 0.999}\n")
    errors = [d for d in diagnostics(run, manifest) if d["severity"] == "error"]
    assert [d["code"] for d in errors] == ["SW4004"], errors
    assert errors[0]["message"].startswith("target 'phone': 2 operators cannot run: ConvTranspose 'p2o.ConvTranspose.0' (onnx2tf cannot convert it: its sizes are free and the Add 'p2o.Add.278' of a constant after it becomes its bias"), errors
    r = run("convert", str(manifest), "--force", "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()[-1500:]
    t = run("test", str(manifest), "--no-convert", "--json", "--runtime-python", sys.executable, cwd=tmp_path)
    target = json.loads(t.stdout)["targets"][0]
    assert target["status"] == "failed" and "computed_input_height != SizeOfDimension(input, 1)" in target["reason"], target


def test_a_real_spectrograms_file_that_fails_at_any_length_it_was_not_built_at_is_foreseen_by_check(run, tmp_path):
    """oww-melspectrogram leaves its batch and its audio's length free. Its STFT is a 1-D Conv whose frames are
    unsqueezed and transposed to [n, 1, T, 257], squared and multiplied by the mel filters: onnx2tf holds the
    unsqueezed frames with their axes in another order, which it undoes before the MatMul only where the length is
    known. `check` errs (litert.onnx-unsqueezed-frames) and `convert` refuses without running onnx2tf; forced, the
    file's own check runs it at the first length the model runs at, 1024 samples, where it fails (its
    FULLY_CONNECTED expects 257 columns and gets 4). With the length under model.inputs `check` passes and the file
    is built at it and converts."""
    model = corpus_model("oww-melspectrogram")
    (tmp_path / "mel.onnx").write_bytes(model.read_bytes())
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: mel\nmodel: {path: mel.onnx}\ntargets:\n  phone: {runtime: litert, format: tflite}\n")
    said = diagnostics(run, manifest)
    errors = [d for d in said if d["severity"] == "error"]
    assert [d["code"] for d in errors] == ["SW4004"], said
    assert ("MatMul 'MatMul_15' (onnx2tf cannot convert it: it multiplies 'onnx::MatMul_18' by the constant '1.melW', and "
            "'onnx::MatMul_18' comes from the 1-D convolution's output 'onnx::Unsqueeze_6' unsqueezed to 4-D") in errors[0]["message"], errors
    refused = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert refused.returncode != 0 and b"running onnx2tf" not in refused.stdout + refused.stderr
    r = run("convert", str(manifest), "--force", "--python", CONVERT_PYTHON, cwd=tmp_path)
    words = r.stderr.decode() + r.stdout.decode()
    assert "wrote a float32 file that fails when run on 2 seeded uniform samples the source runs on: RuntimeError at input [1, 1024]" in words, words[-1500:]
    assert "FULLY_CONNECTED) failed to prepare" in words and "(4 != 257)" in words
    manifest.write_text("slipway: 1\nname: mel\nmodel: {path: mel.onnx, inputs: {input: [1, 1280]}}\n"
                        "targets:\n  phone: {runtime: litert, format: tflite}\n")
    assert [d["code"] for d in diagnostics(run, manifest) if d["severity"] == "error"] == []
    r = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()[-1500:]
    assert (tmp_path / "dist/phone/mel.tflite").exists() and not (tmp_path / "dist/phone/mel.tflite.failed.json").exists()


def test_onnx2tf_failing_on_a_real_one_hot_with_a_free_batch_is_foreseen_by_check(run, tmp_path):
    """magika (jax2tf) leaves its batch free and writes one_hot as a broadcast of its bytes [n, 2048, 1] to a shape
    computed from the input's Shape, then an Equal with [1, 1, 257]: onnx2tf transposes the constant ("Dimensions
    must be equal, but are 2048 and 257"). `check` errs on that Equal before any run (SW4004,
    litert.onnx-expand-runtime-broadcast) and `convert` refuses without running onnx2tf; forced, onnx2tf fails as
    said. With its batch under model.inputs it converts."""
    model = corpus_model("magika")
    (tmp_path / "magika.onnx").write_bytes(model.read_bytes())
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: magika\nmodel: {path: magika.onnx}\ntargets:\n  web: {runtime: litert, format: tflite}\n")
    errors = [d for d in diagnostics(run, manifest) if d["severity"] == "error"]
    assert [d["code"] for d in errors] == ["SW4004"], errors
    assert ("1 operator cannot run: Equal 'jax2tf_get_logits_/pjit_get_logits_/pjit__one_hot_/Equal' (onnx2tf cannot "
            "convert it: it combines") in errors[0]["message"], errors
    assert "[1, 1, 257], which widens its dimension 2 of size 1" in errors[0]["message"], errors
    refused_then_failing_when_forced(run, manifest, tmp_path, "dist/web/magika.tflite.log",
                                     "Dimensions must be equal, but are 2048 and 257")
    manifest.write_text("slipway: 1\nname: magika\nmodel: {path: magika.onnx, inputs: {bytes: [1, 2048]}}\n"
                        "targets:\n  web: {runtime: litert, format: tflite}\n")
    assert [d for d in diagnostics(run, manifest) if d["severity"] == "error"] == []
    r = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()[-1500:]


def test_onnx2tf_failing_on_a_real_text_recognizer_with_free_sizes_is_foreseen_by_check(run, tmp_path):
    """ppocrv4-rec's SVTR neck reshapes its tokens by shapes computed at run time that hold 0 ([0, N, 3, 8, 15] for
    its attention, [0, 1, W, 120] back into an image), N and W sliced from a Shape; with its batch and width free
    onnx2tf hands them to TensorFlow's reshape as they are. `check` errs on those Reshapes before any run (SW4004,
    litert.onnx-reshape-runtime-zero) and `convert` refuses without running onnx2tf; forced, onnx2tf fails at the
    convolution after the last ("Depth of input (1) is not a multiple of input depth of filter (120)"). With its
    sizes under model.inputs `check` says nothing of it."""
    model = corpus_model("ppocrv4-rec")
    (tmp_path / "rec.onnx").write_bytes(model.read_bytes())
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: rec\nmodel: {path: rec.onnx}\ntargets:\n  phone: {runtime: litert, format: tflite}\n")
    errors = [d for d in diagnostics(run, manifest) if d["severity"] == "error"]
    assert [d["code"] for d in errors] == ["SW4004"], errors
    assert errors[0]["message"].startswith("target 'phone': 5 operators cannot run: Reshape 'p2o.Reshape.67' (onnx2tf "
                                           "cannot convert it: its shape is computed at run time and holds 0"), errors
    assert "Reshape 'p2o.Reshape.79'" in errors[0]["message"], errors
    refused_then_failing_when_forced(run, manifest, tmp_path, "dist/phone/rec.tflite.log",
                                     "Depth of input (1) is not a multiple of input depth of filter (120)")
    manifest.write_text("slipway: 1\nname: rec\nmodel: {path: rec.onnx, inputs: {x: [1, 3, 48, 320]}}\n"
                        "targets:\n  phone: {runtime: litert, format: tflite}\n")
    assert [d for d in diagnostics(run, manifest) if d["severity"] == "error" and d["code"] != "SW4022"] == []


def test_a_real_classifier_whose_batch_is_declared_minus_one_converts_once_its_sizes_are_given_with_the_batch_free(
        run, tmp_path):
    """ppocr-cls (Paddle's export) declares its batch as dim_value -1 and its height and width by name. The driver
    now gives onnx2tf the -1 as a named dimension (onnx2tf refused it: "Dimension -1 must be >= 0"), so with nothing
    fixed the file is written — built with its sizes at 1, where it computes NaN: refused, as `check` warned
    (SW4023). `model.inputs` may then give the sizes and leave the batch free, `[batch, 3, 48, 192]`: the driver
    writes the numbers into onnx2tf's copy (only shapes given whole reached it before, so onnx2tf sampled the sizes
    at 1 again and the same NaN file was refused where `check` passed), the failure's record ends with the settings
    it was made under, and the file runs at batch 1, at the check's batch 2, and at 3 as the source does."""
    import onnxruntime as ort
    (tmp_path / "cls.onnx").write_bytes(corpus_model("ppocr-cls").read_bytes())
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: cls\nmodel: {path: cls.onnx}\ntargets:\n  phone: {runtime: litert, format: tflite}\n")
    said = diagnostics(run, manifest)
    assert [d["code"] for d in said if d["severity"] in ("error", "warning")] == ["SW4023"], said
    r = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode != 0
    words = r.stderr.decode()
    assert "wrote a float32 file that computes something else than the ONNX model" in words, words[-1500:]
    assert "at no dB (largest error nan)" in words, words[-1500:]
    assert "Dimension -1 must be >= 0" not in (tmp_path / "dist/phone/cls.tflite.log").read_text()
    assert [d["code"] for d in diagnostics(run, manifest) if d["severity"] == "error"] == ["SW4022"]
    manifest.write_text("slipway: 1\nname: cls\nmodel: {path: cls.onnx, inputs: {x: [batch, 3, 48, 192]}}\n"
                        "targets:\n  phone: {runtime: litert, format: tflite}\n")
    assert [d["code"] for d in diagnostics(run, manifest) if d["severity"] in ("error", "warning")] == []
    r = run("convert", str(manifest), "--python", CONVERT_PYTHON, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()[-1500:]
    assert not (tmp_path / "dist/phone/cls.tflite.failed.json").exists()
    report = json.loads((tmp_path / "dist/phone/cls.tflite.report.json").read_text())
    assert report["settings"]["input_shapes"] == {"x": [None, 3, 48, 192]}
    fidelity = report["summary"]["fidelity"]
    assert fidelity["free"] == {"x": [0]} and fidelity["failed"] == []
    assert fidelity["resized"]["shapes"] == {"x": [2, 3, 48, 192]} and fidelity["resized"]["outputs"][0]["sqnr_db"] > 100
    from ai_edge_litert.interpreter import Interpreter
    x = np.random.default_rng(3).random((3, 3, 48, 192), dtype=np.float32)
    want = ort.InferenceSession(str(tmp_path / "cls.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    interpreter = Interpreter(model_path=str(tmp_path / "dist/phone/cls.tflite"))
    detail = interpreter.get_input_details()[0]
    assert list(detail["shape_signature"]) == [-1, 48, 192, 3]  # channels last, the batch free
    interpreter.resize_tensor_input(detail["index"], [3, 48, 192, 3])
    interpreter.allocate_tensors()
    interpreter.set_tensor(detail["index"], np.moveaxis(x, 1, -1))
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]), want, atol=1e-4)
