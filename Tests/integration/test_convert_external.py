"""`slipway convert` with external converters run as child processes, against the real tools.

Static activation quantization runs onnxruntime's quantize_static (through scripts/converters/quantize_static.py)
with .venv's interpreter: the output must run in onnxruntime with an output SQNR against the float32 model above a
floor, on the kws example's committed samples (made by scripts/make_examples.py). ONNX → TFLite runs the real
onnx2tf from .venv-convert (`make test` creates it from requirements-convert.txt; the tests that need it skip
without it) and the result must load and run in ai-edge-litert. The error paths (a missing tool, a pinned version
that differs from the installed one, a failing tool, a cancel) must leave no artifact and no temporary behind.
"""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from exact_ort import exact_session

REPO = pathlib.Path(__file__).resolve().parents[2]
KWS = REPO / "examples/kws-mcu"
VENV_PYTHON = sys.executable
CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))
COREML_PYTHON = os.environ.get("SLIPWAY_COREML_PYTHON", str(REPO / ".venv-coreml/bin/python"))
needs_coremltools = pytest.mark.skipif(not os.path.exists(COREML_PYTHON),
                                       reason=f"no {COREML_PYTHON}: `make venv-coreml` installs coremltools and torch")
needs_onnx2tf = pytest.mark.skipif(not os.path.exists(CONVERT_PYTHON),
                                   reason=f"no {CONVERT_PYTHON}: `make venv-convert` installs onnx2tf")


def project(tmp_path, targets, optimize="quantize: {weights: int8, activations: int8, calibration: data/calib/}"):
    """The kws example's model and samples with a manifest of the given targets."""
    shutil.copytree(KWS / "models", tmp_path / "models")
    shutil.copytree(KWS / "data", tmp_path / "data")
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: kws
model:
  path: models/ds_cnn_kws.onnx
  inputs: {{mfcc: [1, 1, 49, 10]}}
optimize:
  {optimize}
targets:
{targets}
""")
    return tmp_path


def sqnr_db(reference, candidate):
    ref, cand = np.concatenate(reference).astype(np.float64), np.concatenate(candidate).astype(np.float64)
    return 10 * np.log10((ref ** 2).sum() / ((ref - cand) ** 2).sum())


def leftovers(folder):
    return [p for p in pathlib.Path(folder).rglob("*") if "slipway-work" in p.name or "slipway-tmp" in p.name]


@pytest.mark.parametrize("fmt,ops", [("qdq", {"QuantizeLinear", "DequantizeLinear", "Conv"}),
                                     ("qoperator", {"QLinearConv", "QGemm"})])
def test_static_quantization_runs_in_onnxruntime_above_the_sqnr_floor(run, tmp_path, fmt, ops):
    proj = project(tmp_path, f"  cpu: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}, "
                             f"optimize: {{quantize: {{format: {fmt}}}}}}}")
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    out = proj / "dist/cpu/kws.onnx"
    report = json.loads((proj / "dist/cpu/kws.onnx.report.json").read_text())
    assert report["tools"]["converter"] == "onnxruntime-quantize-static"
    assert report["tools"]["versions"]["onnxruntime"] == ort.__version__
    assert report["settings"]["activations"] == "int8" and report["settings"]["format"] == fmt
    assert report["summary"]["calibration_samples"] == 4
    # The quantized model was run against the float one before it was kept (artifact_fidelity.py): reported, not
    # judged (a quantized file has no floor), on the first two calibration samples.
    fidelity = report["summary"]["fidelity"]
    assert (fidelity["checked"], fidelity["samples"], fidelity["inputs"], fidelity["failed"]) == (True, 2, "calibration", [])
    assert "floor_db" not in fidelity and [o["name"] for o in fidelity["outputs"]] == ["scores"]
    assert fidelity["outputs"][0]["sqnr_db"] >= 25
    assert f"against the source {fidelity['outputs'][0]['sqnr_db']} dB SQNR on 2 calibration samples" in r.stdout.decode()
    assert report["log"].endswith("dist/cpu/kws.onnx.log") and (proj / "dist/cpu/kws.onnx.log").exists()
    assert report["output"]["bytes"] == out.stat().st_size < report["inputs"][0]["bytes"]
    model = onnx.load(str(out))
    onnx.checker.check_model(model)
    assert ops <= {n.op_type for n in model.graph.node}

    ref, quant = exact_session(KWS / "models/ds_cnn_kws.onnx"), exact_session(out)
    samples = [np.load(p) for p in sorted((KWS / "data/test").glob("*.npy"))]
    a = [ref.run(None, {"mfcc": x})[0] for x in samples]
    b = [quant.run(None, {"mfcc": x})[0] for x in samples]
    # Measured 35.3 dB for both forms (int8 activations and per-channel int8 weights, minmax, 4 samples).
    assert sqnr_db(a, b) >= 30
    assert not leftovers(proj)

    # The same inputs, settings and tool versions: up to date, the tool is not run again.
    again = run("convert", "m.slipway.yaml", cwd=proj)
    assert again.returncode == 0 and "up to date" in again.stdout.decode()


@pytest.mark.parametrize("symmetric", [True, False])
def test_symmetric_makes_activations_symmetric_too(run, tmp_path, symmetric):
    proj = project(tmp_path, f"  cpu: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}}}",
                   optimize=f"quantize: {{weights: int8, activations: int8, symmetric: {str(symmetric).lower()}, calibration: data/calib/}}")
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    model = onnx.load(str(proj / "dist/cpu/kws.onnx"))
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    weights = {n.input[0] for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in inits}
    # Activation zero points: those of the QuantizeLinear nodes (the weights are stored already quantized).
    zero_points = [inits[n.input[2]] for n in model.graph.node if n.op_type == "QuantizeLinear" and len(n.input) > 2]
    assert weights and zero_points
    nonzero = sum(int(np.any(z != 0)) for z in zero_points)
    assert (nonzero == 0) if symmetric else (nonzero > 0), (symmetric, nonzero, len(zero_points))


def test_the_written_file_is_checked_on_the_manifests_raw_test_samples_decoded_as_slipway_test_decodes_them(run, tmp_path):
    """test.samples of .bin files (or images, WAV) are decoded with test.preprocess by the test runner's own reader,
    and the quantized file is run against the float one on them; a folder of nothing a sample reader takes is said
    in the report, and the calibration samples are used instead."""
    proj = project(tmp_path, f"  cpu: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}}}")
    (proj / "data/raw").mkdir()
    for i, path in enumerate(sorted((KWS / "data/test").glob("*.npy"))[:3]):
        np.load(path).astype("<f4").tofile(proj / f"data/raw/{i}.bin")
    manifest = proj / "m.slipway.yaml"
    manifest.write_text(manifest.read_text() + "test:\n  samples: data/raw/\n  preprocess: {dtype: float32}\n")
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    fidelity = json.loads((proj / "dist/cpu/kws.onnx.report.json").read_text())["summary"]["fidelity"]
    assert (fidelity["checked"], fidelity["samples"], fidelity["inputs"], "note" in fidelity) == (True, 2, "test", False)
    # The same two samples, run here: the report's figure is theirs.
    ref, quant = exact_session(KWS / "models/ds_cnn_kws.onnx"), exact_session(proj / "dist/cpu/kws.onnx")
    xs = [np.fromfile(proj / f"data/raw/{i}.bin", "<f4").reshape(1, 1, 49, 10) for i in range(2)]
    want = sqnr_db([ref.run(None, {"mfcc": x})[0] for x in xs], [quant.run(None, {"mfcc": x})[0] for x in xs])
    assert abs(fidelity["outputs"][0]["sqnr_db"] - want) < 0.01, (fidelity, want)

    shutil.rmtree(proj / "data/raw")
    (proj / "data/raw").mkdir()
    (proj / "data/raw/readme.txt").write_text("no sample here")
    r = run("convert", "m.slipway.yaml", "--force", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    fidelity = json.loads((proj / "dist/cpu/kws.onnx.report.json").read_text())["summary"]["fidelity"]
    assert (fidelity["inputs"], fidelity["note"]) == (
        "calibration", "test.samples not used: it holds no .npy, .npz, image, .wav or .bin sample")


def test_npz_samples_are_keyed_by_input_name(run, tmp_path):
    proj = project(tmp_path, f"  cpu: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}}}")
    shutil.rmtree(proj / "data/calib")
    (proj / "data/calib").mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        np.savez(proj / f"data/calib/{i}.npz", mfcc=rng.standard_normal((1, 1, 49, 10)).astype(np.float32))
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads((proj / "dist/cpu/kws.onnx.report.json").read_text())["summary"]["calibration_samples"] == 3


def test_a_failing_tool_reports_its_drivers_reason_exit_status_and_log_and_leaves_no_output(run, tmp_path):
    proj = project(tmp_path, f"  cpu: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}}}")
    np.savez(proj / "data/calib/zz_wrong.npz", features=np.zeros((1, 1, 49, 10), np.float32))
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert ("zz_wrong.npz has no array for the input(s) ['mfcc']; it holds ['features']; onnxruntime-quantize-static "
            "stopped (exit status 2), its log is dist/cpu/kws.onnx.log") in err
    # The log, and the failure's record `check` reads (SW4022).
    assert sorted(p.name for p in (proj / "dist/cpu").iterdir()) == ["kws.onnx.failed.json", "kws.onnx.log"]
    assert not leftovers(proj)


def test_a_pinned_version_that_differs_names_both_and_the_pip_command(run, tmp_path):
    proj = project(tmp_path, f"  cpu: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}, "
                             "tools: {onnxruntime: \"1.18.0\"}}")
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 1
    assert (f"target cpu: the target pins onnxruntime 1.18.0, but {VENV_PYTHON} has onnxruntime {ort.__version__}; "
            f"install the pinned one with `{VENV_PYTHON} -m pip install onnxruntime==1.18.0`, or change the pin") \
        in r.stderr.decode()
    assert not (proj / "dist/cpu/kws.onnx").exists() and not leftovers(proj)


def test_missing_tools_name_the_exact_install_command(run, tmp_path):
    proj = project(tmp_path, "\n".join([
        f"  phone: {{runtime: litert, format: tflite, python: {VENV_PYTHON}, tools: {{onnx2tf: \"1.26.3\"}},"
        " optimize: {quantize: {weights: float16, activations: none}}}",
        "  gpu: {runtime: tensorrt, format: engine}",
        "  mac: {runtime: coreml, format: mlpackage}",
    ]))
    r = run("convert", "m.slipway.yaml", cwd=proj, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 1
    err = r.stderr.decode()
    assert f"target phone: ONNX → TFLite needs onnx2tf, and {VENV_PYTHON} lacks " in err
    assert f"install with `{VENV_PYTHON} -m pip install onnx2tf==1.26.3`" in err
    assert "target gpu: ONNX → TensorRT engine needs trtexec, which is not on PATH; install TensorRT" in err
    assert "target mac: not converted: check reports 1 error for it: " in err
    assert "SW4018 target 'mac': Core ML from ONNX is not possible: coremltools has no ONNX frontend since version 6" in err
    assert not list((proj / "dist").rglob("*.tflite")) and not leftovers(proj)


@needs_onnx2tf
@pytest.mark.parametrize("weights,floor", [("none", 60), ("float16", 50)])
def test_onnx_to_tflite_with_onnx2tf_runs_in_litert(run, tmp_path, weights, floor):
    from ai_edge_litert.interpreter import Interpreter

    proj = project(tmp_path, f"  phone: {{runtime: litert, format: tflite, python: {CONVERT_PYTHON}, "
                             f"tools: {{onnx2tf: \"1.29.24\"}}, optimize: {{quantize: {{weights: {weights}, activations: none}}}}}}")
    source = (proj / "models/ds_cnn_kws.onnx").read_bytes()
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    assert "phone: running onnx2tf" in r.stderr.decode()
    # onnx2tf writes over its input; Slipway hands it a copy.
    assert (proj / "models/ds_cnn_kws.onnx").read_bytes() == source
    out = proj / "dist/phone/kws.tflite"
    report = json.loads((proj / "dist/phone/kws.tflite.report.json").read_text())
    assert report["tools"]["versions"]["onnx2tf"] == "1.29.24"
    assert report["command"][:4] == [CONVERT_PYTHON, "{work}/onnx_tflite.py", "--source", "{work}/source.onnx"]
    assert "onnx2tf" in (proj / "dist/phone/kws.tflite.log").read_text()

    it = Interpreter(model_path=str(out))
    it.allocate_tensors()
    inp, outp = it.get_input_details()[0], it.get_output_details()[0]
    # onnx2tf turns NCHW into NHWC.
    assert list(inp["shape"]) == [1, 49, 10, 1]
    ref = ort.InferenceSession(str(KWS / "models/ds_cnn_kws.onnx"))
    samples = [np.load(p) for p in sorted((KWS / "data/test").glob("*.npy"))]
    a, b = [], []
    for x in samples:
        a.append(ref.run(None, {"mfcc": x})[0])
        it.set_tensor(inp["index"], x.transpose(0, 2, 3, 1))
        it.invoke()
        b.append(it.get_tensor(outp["index"]).copy())
    assert sqnr_db(a, b) >= floor
    assert not leftovers(proj)


def processes_mentioning(text):
    found = []
    for p in pathlib.Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if text in (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                state = (p / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    found.append(int(p.name))
        except OSError:
            pass
    return found


@needs_onnx2tf
def test_ctrl_c_during_onnx2tf_kills_its_process_group_and_leaves_nothing(slipway, tmp_path):
    proj = project(tmp_path, f"  phone: {{runtime: litert, format: tflite, python: {CONVERT_PYTHON}, "
                             "optimize: {quantize: {weights: float16, activations: none}}}")
    # An absolute manifest path puts the project's path in the tool's command line, where /proc shows it.
    p = subprocess.Popen([slipway, "convert", str(proj / "m.slipway.yaml")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Generous: a loaded CI host once took over 60 s to reach the tool (its stderr was not kept; now it is).
    deadline = time.time() + 240
    while time.time() < deadline and p.poll() is None and not processes_mentioning(str(proj / "dist/phone")):
        time.sleep(0.05)
    if not processes_mentioning(str(proj / "dist/phone")):
        p.kill()
        out, err = p.communicate(timeout=60)
        raise AssertionError(f"onnx2tf never started (convert's exit {p.returncode}):\n{err.decode()}\n{out.decode()}")
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err.decode()
    assert f"cancelled (onnx2tf stopped; log: {proj}/dist/phone/kws.tflite.log)" in err.decode()
    assert processes_mentioning(str(proj / "dist/phone")) == []
    assert not (proj / "dist/phone/kws.tflite").exists() and not leftovers(proj)


def test_a_python_pin_is_checked_against_the_interpreter(run, tmp_path):
    proj = project(tmp_path, f"  cpu: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}, tools: {{python: \"2.7\"}}}}")
    r = run("convert", "m.slipway.yaml", cwd=proj)
    assert r.returncode == 1
    assert f"the target pins python 2.7, but {VENV_PYTHON} is Python {sys.version.split()[0]}" in r.stderr.decode()


COREML_CHECK = """
import json, sys
import coremltools as ct
spec = ct.models.MLModel(sys.argv[1], skip_model_load=True).get_spec()
ops = [op.type for f in spec.mlProgram.functions.values() for b in f.block_specializations.values() for op in b.operations]
print(json.dumps({"type": spec.WhichOneof("Type"), "version": spec.specificationVersion,
                  "inputs": {i.name: list(i.type.multiArrayType.shape) for i in spec.description.input}, "ops": ops}))
"""


@needs_coremltools
def test_pytorch_to_coreml_with_int8_weights(run, tmp_path):
    (tmp_path / "models").mkdir()
    subprocess.run([COREML_PYTHON, str(REPO / "scripts/make_torchscript_fixture.py"), str(tmp_path / "models/cnn.pt")],
                   check=True, timeout=300)
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: cnn
model:
  path: models/cnn.pt
  inputs: {{x: [1, 3, 32, 32]}}
targets:
  ios:
    runtime: coreml
    format: mlpackage
    minimum_os: ios17
    python: {COREML_PYTHON}
    tools: {{coremltools: "9.0"}}
    optimize: {{quantize: {{weights: int8}}}}
""")
    r = run("convert", "m.slipway.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    out = tmp_path / "dist/ios/cnn.mlpackage"
    report = json.loads((tmp_path / "dist/ios/cnn.mlpackage.report.json").read_text())
    assert report["tools"]["versions"]["coremltools"] == "9.0"
    assert report["summary"]["steps"] == ["linear_quantize_weights"]
    assert report["output"]["bytes"] == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    # Core ML cannot run on Linux; coremltools still reads the package's program back.
    check = subprocess.run([COREML_PYTHON, "-c", COREML_CHECK, str(out)], capture_output=True, check=True, timeout=300)
    spec = json.loads(check.stdout.decode().strip().splitlines()[-1])
    assert spec["type"] == "mlProgram" and spec["version"] >= 8  # iOS 17
    assert spec["inputs"] == {"x": [1, 3, 32, 32]}
    # The 64x64x3x3 convolution's weights are stored as int8 behind a dequantizing constant.
    assert any(op.startswith("constexpr_") for op in spec["ops"]), spec["ops"]
    assert not leftovers(tmp_path)
    # A package folder is up to date too; --force replaces it whole.
    again = run("convert", "m.slipway.yaml", cwd=tmp_path)
    assert again.returncode == 0 and "up to date" in again.stdout.decode()
    (out / "stray").write_text("from an older build")
    forced = run("convert", "m.slipway.yaml", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr.decode()
    assert not (out / "stray").exists() and not leftovers(tmp_path)


TORCH_RUN = """
import json, sys, numpy as np, torch
m = torch.jit.load(sys.argv[1]).eval()
x = np.load(sys.argv[2])
with torch.no_grad():
    y = m(torch.from_numpy(x)).numpy()
np.save(sys.argv[3], y)
"""


@needs_coremltools
def test_torchscript_to_onnx_runs_in_onnxruntime_as_in_torch(run, tmp_path):
    """PyTorch → ONNX through torch.onnx.export (the Core ML venv has torch and onnx): the exported model's outputs
    in onnxruntime equal torch's on the same input; an int8 target on this path is the exported graph quantized by
    Slipway's ONNX converter in the same run (int8 per-channel DequantizeLinear), close to torch's outputs; int4 on
    a runtime whose opset is below 21 is refused by check and by convert in the same words."""
    import numpy as np
    import onnxruntime as ort
    (tmp_path / "models").mkdir()
    subprocess.run([COREML_PYTHON, str(REPO / "scripts/make_torchscript_fixture.py"), str(tmp_path / "models/cnn.pt")],
                   check=True, timeout=300)
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: cnn
model:
  path: models/cnn.pt
  inputs: {{x: [1, 3, 32, 32]}}
targets:
  server:
    runtime: onnxruntime
    format: onnx
    python: {COREML_PYTHON}
  server-int8:
    runtime: onnxruntime
    format: onnx
    python: {COREML_PYTHON}
    output: dist/cnn-int8.onnx
    optimize: {{quantize: {{weights: int8}}}}
  old-int4:
    runtime: onnxruntime@1.17
    format: onnx
    python: {COREML_PYTHON}
    optimize: {{quantize: {{weights: int4, granularity: "per-block:32"}}}}
""")
    r = run("convert", "m.slipway.yaml", "--target", "server", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    out = tmp_path / "dist/server/cnn.onnx"
    report = json.loads((tmp_path / "dist/server/cnn.onnx.report.json").read_text())
    assert report["summary"]["exporter"] == "torch.onnx.export (TorchScript)"
    # The exported graph was run against the module before it was kept (onnxruntime beside torch in its venv).
    fidelity = report["summary"]["fidelity"]
    assert fidelity["checked"] and fidelity["failed"] == [] and fidelity["outputs"][0]["sqnr_db"] > 100, fidelity
    x = np.random.default_rng(7).standard_normal((1, 3, 32, 32)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    subprocess.run([COREML_PYTHON, "-c", TORCH_RUN, str(tmp_path / "models/cnn.pt"), str(tmp_path / "x.npy"),
                    str(tmp_path / "y.npy")], check=True, timeout=300)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x"]
    (y,) = session.run(None, {"x": x})
    np.testing.assert_allclose(y, np.load(tmp_path / "y.npy"), rtol=1e-4, atol=1e-5)
    # int8: exported, then quantized by Slipway's ONNX converter in the same run; the estimate predicts both files.
    e = run("estimate", "m.slipway.yaml", "--json", cwd=tmp_path, env={"SLIPWAY_CACHE_DIR": str(tmp_path / "cache")})
    predicted = {row["target"]: row["size_bytes"] for row in json.loads(e.stdout)["targets"]}
    r = run("convert", "m.slipway.yaml", "--target", "server-int8", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    quantized = onnx.load(str(tmp_path / "dist/cnn-int8.onnx"))
    assert "DequantizeLinear" in {n.op_type for n in quantized.graph.node}
    report = json.loads((tmp_path / "dist/cnn-int8.onnx.report.json").read_text())
    assert report["settings"]["then"]["scheme"] == "int8-sym-per-channel"
    (yq,) = ort.InferenceSession(str(tmp_path / "dist/cnn-int8.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    assert sqnr_db([np.load(tmp_path / "y.npy")], [yq]) > 25
    for target, artifact in [("server", out), ("server-int8", tmp_path / "dist/cnn-int8.onnx")]:
        assert abs(predicted[target] / artifact.stat().st_size - 1) < 0.05, (target, predicted[target])
    # The same verdict from check and convert for what this path cannot write.
    c = run("check", "m.slipway.yaml", "--format", "json", cwd=tmp_path)
    [d] = [d for d in json.loads(c.stdout) if d["code"] == "SW4018"]
    assert "needs opset 21; onnxruntime@1.17 runs models up to opset 20" in d["message"]
    refused = run("convert", "m.slipway.yaml", "--target", "old-int4", cwd=tmp_path)
    assert refused.returncode != 0
    assert "needs opset 21; onnxruntime@1.17 runs models up to opset 20" in refused.stderr.decode() + refused.stdout.decode()
    assert not leftovers(tmp_path)


@needs_coremltools
@pytest.mark.parametrize("sr,channels,width", [(16000, 8, 60), (8000, 4, 62)])
def test_an_int_argument_of_forward_takes_the_manifest_value_in_convert_and_test(run, tmp_path, sr, channels, width):
    """silero-vad's `forward(x, sr: int)` in small (Tests/Fixtures/models/pytorch/scripted_rate.pt: an `if sr ==
    16000` between a wide and a narrow convolution): `sr: 16000` under model.inputs is traced by the exporter, kept
    as the ONNX If's input `sr`, and fed by `slipway test` to torch's forward and to the artifact alike; the outputs
    are the branch the value picks. A changed value makes the last measurement stale. Without the value, the
    export is refused by the argument's name."""
    (tmp_path / "models").mkdir()
    shutil.copy(REPO / "Tests/Fixtures/models/pytorch/scripted_rate.pt", tmp_path / "models/rate.pt")
    (tmp_path / "samples").mkdir()
    for i in range(3):
        np.save(tmp_path / f"samples/s{i}.npy", np.random.default_rng(i).standard_normal((1, 1, 64)).astype(np.float32))
    manifest = f"""slipway: 1
model:
  path: models/rate.pt
  inputs:
    x: [1, 1, 64]
    sr: {sr}
targets:
  server: {{runtime: onnxruntime, format: onnx, python: {COREML_PYTHON}}}
test: {{samples: samples}}
"""
    (tmp_path / "m.slipway.yaml").write_text(manifest)
    r = run("test", "m.slipway.yaml", "--json", "--runtime-python", VENV_PYTHON, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    got = json.loads(r.stdout)
    assert got["original"]["runtime"] == "torch", got["original"]
    [t] = got["targets"]
    assert t["status"] == "passed" and not t["reused"], t
    [out] = t["outputs"]
    assert out["values_per_sample"] == channels * width
    assert out["max_abs"] < 1e-5
    report = json.loads((tmp_path / "dist/server/rate.onnx.report.json").read_text())
    assert report["summary"]["input_values"] == {"sr": sr}
    session = ort.InferenceSession(str(tmp_path / "dist/server/rate.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x", "sr"]
    # The other value: the exported If takes the other branch; the record measured at this one is stale.
    other = 8000 if sr == 16000 else 16000
    (tmp_path / "m.slipway.yaml").write_text(manifest.replace(f"sr: {sr}", f"sr: {other}"))
    again = json.loads(run("test", "m.slipway.yaml", "--json", "--runtime-python", VENV_PYTHON, cwd=tmp_path).stdout)
    assert not again["targets"][0]["reused"]
    assert again["targets"][0]["outputs"][0]["values_per_sample"] != channels * width
    (tmp_path / "m.slipway.yaml").write_text(manifest.replace(f"    sr: {sr}\n", ""))
    refused = run("convert", "m.slipway.yaml", "--force", cwd=tmp_path)
    assert refused.returncode != 0
    assert "forward takes x, sr; model.inputs gives no shape or value for sr" in refused.stderr.decode()


PROGRAM_RUN = r"""
import sys, numpy as np, torch
program = torch.export.load(sys.argv[1])
with torch.no_grad():
    y = program.module()(*program.example_inputs[0])
np.save(sys.argv[2], program.example_inputs[0][0].numpy())
np.savez(sys.argv[3], *[t.numpy() for t in (y if isinstance(y, (tuple, list)) else (y,))])
"""


@needs_coremltools
@pytest.mark.parametrize("fixture", ["cnn.pt2", "exported.pt2", "recurrent.pt2"])
def test_an_exported_program_to_onnx_runs_in_onnxruntime_as_in_torch(run, tmp_path, fixture):
    """ExportedProgram (.pt2) → ONNX: torch.onnx.export's dynamo exporter writes the program as it was captured
    (nothing traced again; no model.inputs in the manifest), at opset 18, its input named as the program's signature
    names it, the report saying which exporter ran; onnxruntime's outputs equal torch's outputs of program.module()
    within 1e-5 (two outputs, a BatchNormalization, LSTM and GRU layers among the fixtures), an int8 target
    is that graph quantized by Slipway's ONNX converter in the same run, and the estimate predicts both artifacts of
    the CNN (the committed fixtures are 2–18 KB files whose graph, not their few hundred weights, makes the size)."""
    import numpy as np
    import onnxruntime as ort
    (tmp_path / "models").mkdir()
    if fixture == "cnn.pt2":
        subprocess.run([COREML_PYTHON, str(REPO / "scripts/make_torchscript_fixture.py"), str(tmp_path / "models" / fixture)],
                       check=True, timeout=300)
    else:
        shutil.copy(REPO / "Tests/Fixtures/models/pytorch" / fixture, tmp_path / "models" / fixture)
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: program
model:
  path: models/{fixture}
targets:
  float:
    runtime: onnxruntime
    format: onnx
    python: {COREML_PYTHON}
  int8:
    runtime: onnxruntime
    format: onnx
    python: {COREML_PYTHON}
    optimize: {{quantize: {{weights: int8}}}}
""")
    c = run("check", "m.slipway.yaml", cwd=tmp_path)
    assert c.returncode == 0, c.stdout.decode()
    e = run("estimate", "m.slipway.yaml", "--json", cwd=tmp_path, env={"SLIPWAY_CACHE_DIR": str(tmp_path / "cache")})
    predicted = {row["target"]: row["size_bytes"] for row in json.loads(e.stdout)["targets"]}
    r = run("convert", "m.slipway.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    report = json.loads((tmp_path / "dist/float/program.onnx.report.json").read_text())
    assert report["summary"]["exporter"] == "torch.onnx.export (dynamo)"
    assert "fallback_reason" not in report["summary"]
    assert report["summary"]["opset"] == 18
    subprocess.run([COREML_PYTHON, "-c", PROGRAM_RUN, str(tmp_path / "models" / fixture), str(tmp_path / "x.npy"),
                    str(tmp_path / "y.npz")], check=True, timeout=300)
    x = np.load(tmp_path / "x.npy")
    stored = np.load(tmp_path / "y.npz")
    want = [stored[f"arr_{k}"] for k in range(len(stored.files))]
    session = ort.InferenceSession(str(tmp_path / "dist/float/program.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x"]
    ys = session.run(None, {"x": x})
    assert len(ys) == len(want)
    for y, w in zip(ys, want):
        assert y.shape == w.shape
        assert np.abs(y - w).max() <= 1e-5
    quantized = tmp_path / "dist/int8/program.onnx"
    assert "DequantizeLinear" in {n.op_type for n in onnx.load(str(quantized)).graph.node}
    yq = ort.InferenceSession(str(quantized), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    assert sqnr_db([w.ravel() for w in want], [y.ravel() for y in yq]) > 25
    for target in ["float", "int8"] if fixture == "cnn.pt2" else []:
        size = (tmp_path / "dist" / target / "program.onnx").stat().st_size
        assert abs(predicted[target] / size - 1) < 0.05, (target, predicted[target], size)
    assert not leftovers(tmp_path)


@needs_coremltools
def test_an_exported_program_the_dynamo_exporter_fails_on_is_traced_by_the_torchscript_exporter(run, tmp_path):
    """When the dynamo exporter fails (forced here by torch_onnx.py's test hook, SLIPWAY_TEST_FAIL_DYNAMO_EXPORT, on
    a program it would export), the program's module() is traced by the TorchScript exporter instead, at the opset the
    plan asked the dynamo exporter for (18: the runtime has no version, so the exporter's default):
    the report names the exporter that ran and why the first failed, the log says so, and the artifact's outputs
    still equal torch's."""
    import numpy as np
    import onnxruntime as ort
    (tmp_path / "models").mkdir()
    shutil.copy(REPO / "Tests/Fixtures/models/pytorch/exported.pt2", tmp_path / "models/exported.pt2")
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: program
model:
  path: models/exported.pt2
targets:
  float:
    runtime: onnxruntime
    format: onnx
    python: {COREML_PYTHON}
""")
    r = run("convert", "m.slipway.yaml", cwd=tmp_path, env={"SLIPWAY_TEST_FAIL_DYNAMO_EXPORT": "1"})
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    report = json.loads((tmp_path / "dist/float/program.onnx.report.json").read_text())
    assert report["summary"]["exporter"] == "torch.onnx.export (TorchScript) of ExportedProgram.module()"
    assert report["summary"]["fallback_reason"] == "RuntimeError: SLIPWAY_TEST_FAIL_DYNAMO_EXPORT is set (a test hook)"
    assert report["summary"]["opset"] == 18
    log = (tmp_path / "dist/float/program.onnx.log").read_text()
    assert "the dynamo exporter did not write the program (RuntimeError: SLIPWAY_TEST_FAIL_DYNAMO_EXPORT is set" in log
    subprocess.run([COREML_PYTHON, "-c", PROGRAM_RUN, str(tmp_path / "models/exported.pt2"), str(tmp_path / "x.npy"),
                    str(tmp_path / "y.npz")], check=True, timeout=300)
    x = np.load(tmp_path / "x.npy")
    stored = np.load(tmp_path / "y.npz")
    ys = ort.InferenceSession(str(tmp_path / "dist/float/program.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    assert len(ys) == len(stored.files) == 2
    for k, y in enumerate(ys):
        assert np.abs(y - stored[f"arr_{k}"]).max() <= 1e-5
    assert not leftovers(tmp_path)


@needs_coremltools
def test_the_exporter_writes_the_opset_the_target_runtime_loads(run, tmp_path):
    """One plan for check and convert: the exporter is asked for its default opset (the dynamo exporter's 18), or
    the target runtime version's highest when that is lower (the catalogue's max_opset): for onnxruntime 1.13
    (opset ≤ 17) the program is written at 17 by the TorchScript exporter, the report saying why, and for 1.10
    (≤ 15) at 15; a runtime without a version gets 18. Each artifact is what its runtime loads."""
    import onnx
    (tmp_path / "models").mkdir()
    shutil.copy(REPO / "Tests/Fixtures/models/pytorch/exported.pt2", tmp_path / "models/exported.pt2")
    (tmp_path / "m.slipway.yaml").write_text(f"""slipway: 1
name: program
model:
  path: models/exported.pt2
targets:
  latest: {{runtime: onnxruntime, format: onnx, python: {COREML_PYTHON}}}
  ort113: {{runtime: onnxruntime@1.13, format: onnx, python: {COREML_PYTHON}}}
  ort110: {{runtime: onnxruntime@1.10, format: onnx, python: {COREML_PYTHON}}}
""")
    c = run("check", "m.slipway.yaml", cwd=tmp_path)
    assert c.returncode == 0, c.stdout.decode()
    r = run("convert", "m.slipway.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    opsets = {}
    for target in ["latest", "ort113", "ort110"]:
        artifact = tmp_path / "dist" / target / "program.onnx"
        report = json.loads((tmp_path / "dist" / target / "program.onnx.report.json").read_text())
        model = onnx.load(str(artifact))
        opsets[target] = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        assert report["summary"]["opset"] == opsets[target]
        assert report["settings"]["opset"] == opsets[target]
        onnx.checker.check_model(model)
    assert opsets == {"latest": 18, "ort113": 17, "ort110": 15}
    report = json.loads((tmp_path / "dist/ort113/program.onnx.report.json").read_text())
    assert report["summary"]["exporter"] == "torch.onnx.export (TorchScript) of ExportedProgram.module()"
    assert "opset 17 was asked for" in report["summary"]["fallback_reason"]
    assert not leftovers(tmp_path)
