"""`slipway test`: artifacts against their originals in the real runtimes (onnxruntime, LiteRT), with the
figures recomputed independently here with numpy from the runtimes' own outputs.

A deliberately broken artifact (one layer's weights zeroed, its report made to match so `convert` keeps it)
fails its tolerance with SW6001 on the tolerance's line; a sample that does not fit is SW6002 naming the file,
the input and the shapes; a Core ML target is skipped, never passed; report.html shows report.json's numbers.
"""
import html.parser
import json
import os
import pathlib
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

REPO = pathlib.Path(__file__).resolve().parents[2]
PYTHON = sys.executable


@pytest.fixture
def encoder(tmp_path):
    """The transformer example with eight token samples and tolerances on cosine, max_abs and SQNR."""
    p = tmp_path / "enc"
    shutil.copytree(REPO / "examples/transformer-server", p)
    rng = np.random.default_rng(0)
    (p / "data/test").mkdir(parents=True)
    for i in range(8):
        np.save(p / f"data/test/s{i:02}.npy", rng.integers(0, 512, (1, 128)).astype(np.int64))
    m = p / "encoder.slipway.yaml"
    m.write_text(m.read_text().replace(
        "  tolerance: {cosine: 0.999, max_abs: 0.05}",
        "  samples: data/test/\n  tolerance: {cosine: 0.999, max_abs: 0.05, sqnr_db: 30}"))
    return p


def run_test(run, project, manifest, *args):
    r = run("test", manifest, "--python", PYTHON, "--json", *args, cwd=project)
    return r, (json.loads(r.stdout) if r.stdout.strip() else None)


def sqnr(a, b):
    a, b = np.concatenate([x.ravel() for x in a]), np.concatenate([x.ravel() for x in b])
    return 10 * np.log10(np.sum(a.astype(np.float64) ** 2) / np.sum((a.astype(np.float64) - b) ** 2))


def test_int8_artifacts_pass_and_every_figure_equals_numpys(run, encoder):
    r, report = run_test(run, encoder, "encoder.slipway.yaml")
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    assert report["slipway_test_report"] == 1
    assert report["runtimes"]["onnxruntime"] == "onnxruntime " + ort.__version__
    samples = sorted((encoder / "data/test").glob("*.npy"))
    original = ort.InferenceSession(str(encoder / "models/encoder.onnx"), providers=["CPUExecutionProvider"])
    for t in report["targets"]:
        assert t["status"] == "passed"
        assert t["provider"] == "CPUExecutionProvider"
        art = ort.InferenceSession(t["artifact"] if os.path.isabs(t["artifact"]) else str(encoder / t["artifact"]),
                                   providers=["CPUExecutionProvider"])
        a = [original.run(None, {"input_ids": np.load(s)})[0] for s in samples]
        b = [art.run(None, {"input_ids": np.load(s)})[0] for s in samples]
        out = t["outputs"][0]
        assert out["samples"] == 8
        assert out["sqnr_db"] == pytest.approx(sqnr(a, b), abs=1e-4)
        assert out["max_abs"] == pytest.approx(max(float(np.max(np.abs(x.astype(np.float64) - y))) for x, y in zip(a, b)), abs=1e-6)
        cos = [float(np.dot(x.ravel(), y.ravel()) / np.linalg.norm(x) / np.linalg.norm(y)) for x, y in zip(a, b)]
        assert out["cosine"] == pytest.approx(np.mean(cos), abs=1e-6)
        assert out["top1"] is None  # hidden states are not classifier scores
        assert {x["name"]: x["passed"] for x in t["tolerances"]} == {"cosine": True, "max_abs": True, "sqnr_db": True}
        assert t["latency_ms"]["p95"] > 0 and len(t["latency_ms"]["samples"]) == 8


def test_a_broken_artifact_fails_its_tolerance_on_the_tolerance_line(run, encoder):
    assert run("convert", "encoder.slipway.yaml", "--target", "server-vnni", cwd=encoder).returncode == 0
    artifact = encoder / "dist/server-vnni/text-encoder-2.0.1.onnx"
    model = onnx.load(str(artifact))
    # Zero the largest quantized weight (zero points are int8 too, and already zero): one layer's weights gone.
    victim = max((i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8),
                 key=lambda i: numpy_helper.to_array(i).size)
    victim.CopyFrom(numpy_helper.from_array(np.zeros_like(numpy_helper.to_array(victim)), victim.name))
    onnx.save(model, str(artifact))
    report_path = encoder / "dist/server-vnni/text-encoder-2.0.1.onnx.report.json"
    rep = json.loads(report_path.read_text())
    import hashlib
    rep["output"]["sha256"] = hashlib.sha256(artifact.read_bytes()).hexdigest()
    report_path.write_text(json.dumps(rep))
    r, report = run_test(run, encoder, "encoder.slipway.yaml", "--target", "server-vnni")
    assert r.returncode == 1
    t = report["targets"][0]
    assert t["status"] == "failed"
    failed = {x["name"] for x in t["tolerances"] if not x["passed"]}
    assert "sqnr_db" in failed and "cosine" in failed
    d = [x for x in t["diagnostics"] if x["code"] == "SW6001"]
    lines = (encoder / "encoder.slipway.yaml").read_text().splitlines()
    tolerance_line = next(i for i, l in enumerate(lines, 1) if "tolerance:" in l)
    assert {x["at"]["line"] for x in d} == {tolerance_line}
    assert any(x["message"].startswith("target server-vnni: sqnr_db ") and "the tolerance is at least 30" in x["message"] for x in d)
    # The text output says the same, compiler style.
    r = run("test", "encoder.slipway.yaml", "--python", PYTHON, "--target", "server-vnni", cwd=encoder)
    assert f"encoder.slipway.yaml:{tolerance_line}:" in r.stdout.decode() and "error[SW6001]" in r.stdout.decode()


def test_a_tflite_artifact_runs_in_litert_with_top1_for_a_classifier(run, tmp_path):
    p = tmp_path / "cnn"
    (p / "data").mkdir(parents=True)
    shutil.copy(REPO / "Tests/Fixtures/models/small_cnn_float.tflite", p / "cnn.tflite")
    rng = np.random.default_rng(1)
    for i in range(6):
        np.save(p / f"data/{i}.npy", rng.standard_normal((1, 8, 8, 3)).astype(np.float32))
    np.save(p / "data/wrong.npy", np.zeros((1, 3, 3), np.float32))
    (p / "cnn.slipway.yaml").write_text("""slipway: 1
name: cnn
model: {path: cnn.tflite}
optimize: {quantize: {weights: int8}}
targets:
  phone: {runtime: litert@2.16, device: arm64-v8a, format: tflite}
  iphone: {runtime: coreml, device: iphone-15-pro, format: mlpackage}
test:
  samples: data/
  tolerance: {top1: 0.5}
""")
    r, report = run_test(run, p, "cnn.slipway.yaml", "--target", "phone")
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    t = report["targets"][0]
    assert t["status"] == "passed" and t["runtime"].startswith("ai-edge-litert")
    assert t["outputs"][0]["samples"] == 6 and t["outputs"][0]["top1"] is not None
    bad = [d for d in t["diagnostics"] if d["code"] == "SW6002"]
    assert len(bad) == 1
    assert "wrong.npy does not fit" in bad[0]["message"] and "[1, 8, 8, 3]" in bad[0]["message"] and "[1, 3, 3]" in bad[0]["message"]
    # Core ML does not run on Linux: skipped (SW6004), never passed, and not a failure.
    r, report = run_test(run, p, "cnn.slipway.yaml", "--target", "iphone")
    assert r.returncode == 0
    t = report["targets"][0]
    assert t["status"] == "skipped" and "not run here" in t["reason"]
    assert [d["code"] for d in t["diagnostics"]] == ["SW6004"]


class Numbers(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.key, self.found = None, {}

    def handle_starttag(self, tag, attrs):
        self.key = dict(attrs).get("data-key")

    def handle_data(self, data):
        if self.key and data.strip():
            self.found[self.key] = data.strip()
            self.key = None


def test_report_html_is_self_contained_and_shows_report_jsons_numbers(run, encoder):
    r = run("test", "encoder.slipway.yaml", "--python", PYTHON, "--report", "out", cwd=encoder)
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads((encoder / "out/report.json").read_text())
    page = (encoder / "out/report.html").read_text()
    assert "http://" not in page and "https://" not in page and "<script" not in page
    parser = Numbers()
    parser.feed(page)
    for i, t in enumerate(report["targets"]):
        assert parser.found[f"targets.{i}.status"] == t["status"]
        assert float(parser.found[f"targets.{i}.latency_ms.p95"]) == t["latency_ms"]["p95"]
        assert float(parser.found[f"targets.{i}.outputs.0.sqnr_db"]) == t["outputs"][0]["sqnr_db"]
        assert float(parser.found[f"targets.{i}.outputs.0.cosine"]) == t["outputs"][0]["cosine"]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        import subprocess
        shot = encoder / "out/report.png"
        done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
                               f"--screenshot={shot}", f"file://{encoder / 'out/report.html'}"], capture_output=True, timeout=120)
        assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr.decode()[-2000:]


def test_without_samples_or_python_it_is_a_setup_error(run, encoder, tmp_path):
    m = encoder / "encoder.slipway.yaml"
    r = run("test", "encoder.slipway.yaml", "--python", str(tmp_path / "no-python"), cwd=encoder)
    assert r.returncode == 2
    assert "cannot start the runner" in r.stderr.decode()
    m.write_text(m.read_text().replace("  samples: data/test/\n", ""))
    r = run("test", "encoder.slipway.yaml", "--python", PYTHON, cwd=encoder)
    assert r.returncode == 2
    assert "test.samples names no samples" in r.stderr.decode()
