"""`slipway test`: the original and each artifact run in the real runtime on the manifest's samples (docs/test.md).

The figures are checked against an independent computation: onnxruntime run here, SQNR and cosine with numpy."""
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
from exact_ort import default_session, exact_session, host_u8s8_saturates

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
VENV_PYTHON = sys.executable
CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))
needs_onnx2tf = pytest.mark.skipif(not os.path.exists(CONVERT_PYTHON),
                                   reason=f"no {CONVERT_PYTHON}: `make venv-convert` installs onnx2tf")


def example(tmp_path, name, manifest, samples_yaml="  samples: data/test/\n"):
    """A copy of an example whose test section names a samples folder."""
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns("dist"))
    path = dest / manifest
    text = path.read_text()
    if "samples:" not in text:
        text = text.replace("test:\n", "test:\n" + samples_yaml)
    path.write_text(text)
    return path


def encoder_samples(folder, n=12):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i in range(n):
        np.savez(folder / f"s{i:03}.npz", input_ids=rng.integers(0, 512, (1, 128), dtype=np.int64))


def image_samples(folder, n=12):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    for i in range(n):
        np.save(folder / f"img{i:03}.npy", rng.standard_normal((1, 3, 96, 96)).astype(np.float32))


def run_test(run, manifest, *args):
    r = run("test", str(manifest), "--runtime-python", VENV_PYTHON, "--json", *args)
    assert r.stdout, r.stderr.decode()
    return r, json.loads(r.stdout)


def outputs(model, files, session=None):
    session = session or exact_session(model)
    names = [i.name for i in session.get_inputs()]
    result = []
    for f in files:
        if f.endswith(".npz"):
            with np.load(f) as z:
                feed = {n: z[n] for n in names}
        else:
            feed = {names[0]: np.load(f)}
        result.append(session.run(None, feed)[0].astype(np.float32))
    return result


def numpy_sqnr(reference, candidate):
    ref = np.concatenate([r.ravel() for r in reference]).astype(np.float64)
    cand = np.concatenate([c.ravel() for c in candidate]).astype(np.float64)
    return 10 * np.log10((ref ** 2).sum() / ((ref - cand) ** 2).sum())


def test_encoder_targets_pass_and_sqnr_equals_numpy(run, tmp_path):
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    encoder_samples(manifest.parent / "data/test")
    r, report = run_test(run, manifest)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert report["slipway_test"] == 1
    assert report["samples"]["count"] == 12
    assert [t["name"] for t in report["targets"]] == ["server-vnni", "server-avx2"]
    files = report["samples"]["files"]
    original = outputs(manifest.parent / "models/encoder.onnx", files)
    import hashlib
    digest = lambda p: hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest()
    assert report["original"]["sha256"] == digest(manifest.parent / "models/encoder.onnx")
    assert report["samples"]["sha256"] == hashlib.sha256(
        "".join(f"{pathlib.Path(f).name} {digest(f)}\n" for f in files).encode()).hexdigest()
    for t in report["targets"]:
        assert t["status"] == "passed" and t["runtime"] == "onnxruntime" and t["runtime_version"] == ort.__version__
        artifact = outputs(t["artifact"], files)
        assert t["artifact_sha256"] == digest(t["artifact"])
        out = t["outputs"][0]
        assert out["name"] == "hidden_states" and out["values_per_sample"] == 128 * 64
        assert out["sqnr_db"] == pytest.approx(numpy_sqnr(original, artifact), abs=1e-6)
        err = [np.abs(a.astype(np.float64) - o).max() for o, a in zip(original, artifact)]
        assert out["max_abs"] == pytest.approx(max(err), abs=1e-7)
        cos = [float(np.dot(o.ravel().astype(np.float64), a.ravel()) / (np.linalg.norm(o.astype(np.float64)) * np.linalg.norm(a.astype(np.float64))))
               for o, a in zip(original, artifact)]
        assert out["cosine_min"] == pytest.approx(min(cos), abs=1e-9)
        assert out["top1"] is None  # hidden states are not one row of class scores
        assert [c["key"] for c in t["tolerances"]] == ["cosine", "max_abs"]
        assert all(c["passed"] for c in t["tolerances"])
        assert t["latency_ms"]["p50"] > 0 and len(t["latency_ms"]["runs"]) == 12
        assert t["peak_rss_kb"] > 10_000
    # server-avx2's reduce_range keeps its 7-bit products from saturating: exact on either kernel.
    vnni, avx2 = report["targets"]
    assert vnni["integer_matmul"] == "exact"
    assert avx2["integer_matmul"] == ("saturating" if host_u8s8_saturates() else "exact-host-only")


def test_integer_matmuls_are_computed_as_the_targets_device_computes_them(run, tmp_path):
    """Without reduce_range, uint8 x int8 products saturate on an x86-64 without VNNI (onnxruntime's VPMADDUBSW
    kernel), not on a VNNI device: each target's figures are its device's, whatever this host is."""
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    text = manifest.read_text().replace("    optimize:\n      quantize: {reduce_range: true}", "    optimize:\n      quantize: {reduce_range: false}")
    assert "reduce_range: false" in text
    manifest.write_text(text)
    encoder_samples(manifest.parent / "data/test", n=6)
    r, report = run_test(run, manifest, "--report", str(tmp_path / "report"))
    files = report["samples"]["files"]
    original = outputs(manifest.parent / "models/encoder.onnx", files)
    vnni, avx2 = report["targets"]
    assert vnni["integer_matmul"] == "exact"
    assert vnni["outputs"][0]["sqnr_db"] == pytest.approx(numpy_sqnr(original, outputs(vnni["artifact"], files)), abs=1e-6)
    saturates = host_u8s8_saturates()
    assert avx2["integer_matmul"] == ("saturating" if saturates else "exact-host-only")
    as_host = outputs(avx2["artifact"], files, default_session(avx2["artifact"]))
    assert avx2["outputs"][0]["sqnr_db"] == pytest.approx(numpy_sqnr(original, as_host), abs=1e-6)
    if saturates:
        # Measured on an AVX2 EPYC: the saturating kernel loses several dB against exact sums on the same artifact.
        exact = numpy_sqnr(original, outputs(avx2["artifact"], files))
        assert avx2["outputs"][0]["sqnr_db"] < exact - 1
    saved = json.loads((tmp_path / "report/report.json").read_text())
    assert [t["integer_matmul"] for t in saved["targets"]] == [vnni["integer_matmul"], avx2["integer_matmul"]]


def kws_onnx(tmp_path):
    """The kws example with an ONNX target: static int8 activations through onnxruntime's quantize_static."""
    manifest = example(tmp_path, "kws-mcu", "kws.slipway.yaml")
    text = manifest.read_text()
    start, end = text.index("targets:"), text.index("test:")
    text = text[:start] + f"targets:\n  server: {{runtime: onnxruntime, format: onnx, python: {VENV_PYTHON}}}\n\n" + text[end:]
    manifest.write_text(text.replace("tolerance: {top1: 0.97}", "tolerance: {top1: 0.97, sqnr_db: 10}"))
    return manifest


def test_kws_static_int8_onnx_sqnr_equals_numpy_and_top1_counts_samples(run, tmp_path):
    """An ONNX int8 artifact with static activations (onnxruntime's quantize_static), judged by top-1 and SQNR."""
    manifest = kws_onnx(tmp_path)
    r, report = run_test(run, manifest)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    (t,) = report["targets"]
    files = report["samples"]["files"]
    assert [pathlib.Path(f).name for f in files] == ["sample_000.npy", "sample_001.npy"]
    original = outputs(manifest.parent / "models/ds_cnn_kws.onnx", files)
    artifact = outputs(t["artifact"], files)
    assert any(n.op_type == "QuantizeLinear" for n in onnx.load(t["artifact"]).graph.node)
    out = t["outputs"][0]
    assert out["sqnr_db"] == pytest.approx(numpy_sqnr(original, artifact), abs=1e-6)
    agree = sum(int(np.argmax(o) == np.argmax(a)) for o, a in zip(original, artifact)) / len(files)
    assert out["top1"] == agree
    assert {c["key"]: c["passed"] for c in t["tolerances"]} == {"top1": agree >= 0.97, "sqnr_db": out["sqnr_db"] >= 10}


def test_a_broken_artifact_fails_its_tolerance_on_the_tolerance_line(run, tmp_path):
    """One layer's weights zeroed in the artifact `convert` wrote; --no-convert tests it as it lies."""
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    encoder_samples(manifest.parent / "data/test", n=4)
    r = run("convert", str(manifest), "--target", "server-vnni")
    assert r.returncode == 0, r.stderr.decode()
    artifact = manifest.parent / "dist/server-vnni/text-encoder-2.0.1.onnx"
    model = onnx.load(str(artifact))
    # The largest int8 weight (the smallest are zero points, already zero).
    victim = max((i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8),
                 key=lambda i: numpy_helper.to_array(i).size)
    victim.CopyFrom(numpy_helper.from_array(np.zeros_like(numpy_helper.to_array(victim)), victim.name))
    onnx.save(model, str(artifact))
    r, report = run_test(run, manifest, "--target", "server-vnni", "--no-convert")
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    (t,) = report["targets"]
    assert t["status"] == "failed"
    failed = [c for c in t["tolerances"] if not c["passed"]]
    assert "cosine" in [c["key"] for c in failed]
    line = next(i for i, l in enumerate(manifest.read_text().splitlines(), 1) if "tolerance:" in l)
    d = next(d for d in report["diagnostics"] if d["code"] == "SW6001" and "cosine" in d["message"])
    assert d["line"] == line and d["severity"] == "error"
    cosine = t["outputs"][0]["cosine_min"]
    assert d["message"].startswith("target server-vnni: the lowest cosine similarity ")
    assert d["message"].endswith("is below the tolerance cosine: 0.999")
    assert cosine < 0.999
    # Without --no-convert the edited artifact is stale: convert writes it again, and it passes.
    r, report = run_test(run, manifest, "--target", "server-vnni")
    assert r.returncode == 0 and report["targets"][0]["status"] == "passed"


def check_rows(run, manifest):
    r = run("check", "--format", "json", "--no-cache", str(manifest))
    return r, json.loads(r.stdout)


def test_check_reads_the_last_test_record_failed_stale_and_monitor_breach(run, tmp_path):
    """`check` shows a target's last test: a failure with the tolerances it failed (SW6004), a result that no longer
    describes the samples (SW6005), and a monitor threshold the measured host latency already breaches (SW6006)."""
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    manifest.write_text(manifest.read_text().replace("latency_p95_ms: 12", "latency_p95_ms: 0.0001\n  max_output_drift: 0.0001"))
    encoder_samples(manifest.parent / "data/test", n=4)
    assert run("convert", str(manifest), "--target", "server-vnni").returncode == 0
    artifact = manifest.parent / "dist/server-vnni/text-encoder-2.0.1.onnx"
    model = onnx.load(str(artifact))
    victim = max((i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8),
                 key=lambda i: numpy_helper.to_array(i).size)
    victim.CopyFrom(numpy_helper.from_array(np.zeros_like(numpy_helper.to_array(victim)), victim.name))
    onnx.save(model, str(artifact))
    r, report = run_test(run, manifest, "--target", "server-vnni", "--no-convert")
    assert r.returncode == 1
    (t,) = report["targets"]
    record = json.loads(pathlib.Path(str(artifact) + ".test.json").read_text())
    # One digest of the samples: the one the runner made as it read them, which report.json states.
    assert record["slipway_test_record"] == 2 and record["samples_sha256"] == report["samples"]["sha256"]
    p95 = record["metrics"]["latency_ms_p95"]
    assert p95 == pytest.approx(t["latency_ms"]["p95"])
    assert [c["key"] for c in record["checks"]] == ["cosine", "max_abs"]

    lines = manifest.read_text().splitlines()
    target_line = next(i for i, l in enumerate(lines, 1) if l.strip() == "server-vnni:")
    monitor_line = next(i for i, l in enumerate(lines, 1) if "latency_p95_ms:" in l)
    r, rows = check_rows(run, manifest)
    by_code = {row["code"]: row for row in rows}
    failed = by_code["SW6004"]
    assert (failed["line"], failed["severity"]) == (target_line, "warning")
    cosine = next(c for c in t["tolerances"] if c["key"] == "cosine")["measured"]
    assert failed["message"].startswith("target server-vnni: the last `slipway test` failed: cosine ")
    assert f"against 0.999" in failed["message"] and cosine < 0.999
    (breach,) = [row for row in rows if row["code"] == "SW6006" and "latency_p95_ms" in row["message"]]
    assert (breach["line"], breach["severity"]) == (monitor_line, "warning")
    assert breach["message"].startswith("monitor.latency_p95_ms 0.0001 is below the p95 latency ")
    # The zeroed weight moved the artifact's outputs as a distribution too: the PSI the test recorded, largest over
    # outputs, against the original's on the same samples.
    psi = max(o["drift_psi"] for o in t["outputs"])
    assert record["metrics"]["drift_psi"] == pytest.approx(psi) and psi > 0.0001
    (drift,) = [row for row in rows if row["code"] == "SW6006" and "max_output_drift" in row["message"]]
    assert drift["line"] == monitor_line + 1
    assert drift["message"].startswith(f"monitor.max_output_drift 0.0001 is below the drift ")
    assert "(PSI) between the outputs of target server-vnni and the original's on the last test's samples" in drift["message"]
    assert "SW6005" not in by_code
    # Warnings: a recorded failure does not make check fail, nor block convert.
    assert r.returncode == 0, rows

    # A fifth sample: the record no longer describes the sample set.
    encoder_samples(manifest.parent / "data/test", n=5)
    r, rows = check_rows(run, manifest)
    codes = [row["code"] for row in rows]
    assert "SW6004" not in codes and "SW6006" not in codes
    (stale,) = [row for row in rows if row["code"] == "SW6005"]
    assert stale["line"] == target_line and stale["severity"] == "information"
    assert stale["message"] == ("target server-vnni: the last test result (failed) is stale: the samples changed since the last test; "
                                "run `slipway test`")
    # A record of an earlier Slipway digested the samples otherwise: not compared, said so.
    record_path = pathlib.Path(str(artifact) + ".test.json")
    record_path.write_text(json.dumps(dict(json.loads(record_path.read_text()), slipway_test_record=1)))
    r, rows = check_rows(run, manifest)
    (stale,) = [row for row in rows if row["code"] == "SW6005"]
    assert "the record was written by an earlier Slipway, whose digest of the samples is not comparable: test again" in stale["message"]


def test_the_server_runs_slipway_test_with_progress_and_shows_the_result_in_a_lens(slipway, tmp_path, monkeypatch):
    """`slipway.test` from a lens: converted, run in onnxruntime, recorded; the lens then carries the figures."""
    from lsp_client import StdioServer
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    encoder_samples(manifest.parent / "data/test", n=3)
    monkeypatch.setenv("SLIPWAY_RUNTIME_PYTHON", VENV_PYTHON)
    server = StdioServer(slipway, cwd=str(manifest.parent))
    try:
        server.initialize({"window": {"workDoneProgress": True}})
        uri = f"file://{manifest}"
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": manifest.read_text()}})

        def lenses():
            return server.response(server.request("textDocument/codeLens", {"textDocument": {"uri": uri}}), timeout=60)["result"]

        (lens,) = [l for l in lenses() if l["command"]["command"] == "slipway.test" and l["command"]["arguments"][1] == "server-vnni"]
        assert lens["command"]["title"] == "▶ Test"
        i = server.request("workspace/executeCommand", {"command": "slipway.test", "arguments": lens["command"]["arguments"]})
        server.wait_for(lambda m: m.get("method") == "window/workDoneProgress/create" and "id" in m, timeout=60)
        result = server.response(i, timeout=300)["result"]
        (row,) = result["targets"]
        assert (row["target"], row["status"], result["exit"]) == ("server-vnni", "passed", 0)
        assert [c["key"] for c in row["tolerances"]] == ["cosine", "max_abs"]
        # The command's progress (the background analysis of the model has its own, not cancellable).
        begin = server.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "begin"
                                and m["params"]["value"]["title"].startswith("Testing"))
        assert begin["params"]["value"]["cancellable"] is True
        token = begin["params"]["token"]
        server.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["token"] == token
                        and m["params"]["value"]["kind"] == "end")
        record = json.loads((manifest.parent / "dist/server-vnni/text-encoder-2.0.1.onnx.test.json").read_text())
        (lens,) = [l for l in lenses() if l["command"]["command"] == "slipway.test" and l["command"]["arguments"][1] == "server-vnni"]
        title = lens["command"]["title"]
        import re
        assert re.fullmatch(r"test: passed · cosine (1|0\.99\d*) · SQNR \d+\.\d dB · p95 \d+(\.\d+)? ms", title), title
        assert f"SQNR {round(record['metrics']['sqnr_db'], 1)} dB" in title
        # Again: nothing changed, so the recorded measurement is reused; {"force": true} runs the models again.
        again = server.response(server.request("workspace/executeCommand", {"command": "slipway.test", "arguments": lens["command"]["arguments"]}), timeout=300)
        assert [(r["target"], r["status"], r["reused"]) for r in again["result"]["targets"]] == [("server-vnni", "passed", True)]
        forced = server.response(server.request("workspace/executeCommand", {
            "command": "slipway.test", "arguments": lens["command"]["arguments"] + [{"force": True}]}), timeout=300)
        assert [(r["target"], r["reused"]) for r in forced["result"]["targets"]] == [("server-vnni", False)]
    finally:
        server.proc.kill()
        server.proc.wait()


def same_figures(a, b):
    """Two reports over the same inputs in two encodings: every figure of every target equal."""
    for ta, tb in zip(a["targets"], b["targets"]):
        assert ta["status"] == tb["status"]
        for oa, ob in zip(ta["outputs"], tb["outputs"]):
            for key in ("cosine_min", "max_abs", "mean_abs", "sqnr_db", "top1"):
                assert oa[key] == ob[key], key


def test_image_samples_are_decoded_resized_and_normalised_as_preprocess_says(run, tmp_path):
    """PNG and JPEG files, of other sizes than the input, against .npy files made here with Pillow and numpy
    (bilinear resize to 96×96, /255, ImageNet mean/std, channels first): the same figures to the last bit."""
    from PIL import Image
    project = tmp_path / "img"
    shutil.copytree(EXAMPLES / "mobile-cnn" / "models", project / "models")
    rng = np.random.default_rng(5)
    images, arrays = project / "data/images", project / "data/arrays"
    images.mkdir(parents=True)
    arrays.mkdir(parents=True)
    mean, std = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)
    for i, (size, ext) in enumerate([((120, 80), "png"), ((96, 96), "png"), ((200, 150), "bmp")]):
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(images / f"im{i}.{ext}")
        with Image.open(images / f"im{i}.{ext}") as im:
            a = np.asarray(im.convert("RGB").resize((96, 96), Image.BILINEAR), dtype=np.float32)
        a = (a * np.float32(1 / 255) - mean) / std
        np.save(arrays / f"im{i}.npy", np.transpose(a, (2, 0, 1))[np.newaxis].astype(np.float32))
    manifest = project / "m.slipway.yaml"

    def write(samples):
        manifest.write_text(
            "slipway: 1\nname: img\nmodel: {path: models/mobilenet_tiny.onnx}\n"
            "optimize: {quantize: {weights: int8, granularity: per-channel}}\n"
            "targets:\n  server: {runtime: onnxruntime, format: onnx}\n"
            f"test:\n  samples: {samples}\n  preprocess: {{mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]}}\n"
            "  tolerance: {cosine: 0.99}\n")

    write("data/images/")
    r, decoded = run_test(run, manifest)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert [pathlib.Path(f).name for f in decoded["samples"]["files"]] == ["im0.png", "im1.png", "im2.bmp"]
    write("data/arrays/")
    r, explicit = run_test(run, manifest)
    assert r.returncode == 0
    same_figures(decoded, explicit)
    assert decoded["targets"][0]["outputs"][0]["top1"] is not None


def audio_model(path, length=1600):
    """A one-input audio model [1, length] → 8 scores (a MatMul), for WAV and raw samples."""
    from onnx import TensorProto, helper
    w = np.random.default_rng(9).standard_normal((length, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["audio", "w"], ["scores"])], "audio",
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, [1, length])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 8])], [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def test_wav_and_raw_samples_become_the_audio_input(run, tmp_path):
    """16-bit WAV (mono and stereo, shorter and longer than the input) and float32 .bin files against the .npy files
    they stand for; a WAV at another rate than preprocess.sample_rate is SW6002 naming the file and both rates."""
    import wave
    project = tmp_path / "audio"
    (project / "models").mkdir(parents=True)
    audio_model(project / "models/audio.onnx")
    decoded_dir, arrays = project / "data/decoded", project / "data/arrays"
    decoded_dir.mkdir(parents=True)
    arrays.mkdir(parents=True)
    rng = np.random.default_rng(11)
    for i, (frames, channels) in enumerate([(1000, 1), (2400, 2), (1600, 1)]):
        pcm = rng.integers(-20000, 20000, (frames, channels), dtype=np.int16)
        with wave.open(str(decoded_dir / f"a{i}.wav"), "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(pcm.astype("<i2").tobytes())
        mono = (pcm.astype(np.float32) / 32768).mean(axis=1)
        x = np.pad(mono, (0, max(0, 1600 - frames)))[:1600].astype(np.float32)[np.newaxis]
        np.save(arrays / f"a{i}.npy", x)
    raw = rng.standard_normal((1, 1600)).astype(np.float32)
    raw.astype("<f4").tofile(decoded_dir / "b.bin")
    np.save(arrays / "b.npy", raw)
    manifest = project / "m.slipway.yaml"

    def write(samples, rate=16000):
        manifest.write_text(
            "slipway: 1\nname: audio\nmodel: {path: models/audio.onnx}\n"
            "optimize: {quantize: {weights: int8}}\ntargets:\n  server: {runtime: onnxruntime, format: onnx}\n"
            f"test:\n  samples: {samples}\n  preprocess: {{sample_rate: {rate}, dtype: float32}}\n  tolerance: {{cosine: 0.99}}\n")

    write("data/decoded/")
    r, decoded = run_test(run, manifest)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert decoded["samples"]["count"] == 4
    write("data/arrays/")
    r, explicit = run_test(run, manifest)
    assert r.returncode == 0
    same_figures(decoded, explicit)

    write("data/decoded/", rate=8000)
    r, report = run_test(run, manifest)
    assert r.returncode == 1
    messages = [d["message"] for d in report["diagnostics"] if d["code"] == "SW6002"]
    assert any("a0.wav" in m and "is sampled at 16000 Hz, but test.preprocess.sample_rate is 8000 Hz" in m for m in messages), messages
    # A raw file of the wrong size says how many bytes it holds and how many the input takes.
    (decoded_dir / "c.bin").write_bytes(b"\0" * 100)
    write("data/decoded/")
    r, report = run_test(run, manifest)
    messages = [d["message"] for d in report["diagnostics"] if d["code"] == "SW6002"]
    assert any("c.bin holds 100 bytes; the input takes 1600 float32 values (6400 bytes)" in m for m in messages), messages


def test_a_sample_that_does_not_fit_names_file_input_and_shapes(run, tmp_path):
    manifest = kws_onnx(tmp_path)
    np.save(manifest.parent / "data/test/sample_bad.npy", np.zeros((49, 11), np.float32))
    r, report = run_test(run, manifest)
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    line = next(i for i, l in enumerate(manifest.read_text().splitlines(), 1) if "samples:" in l and "calib" not in l)
    (d,) = [d for d in report["diagnostics"] if d["code"] == "SW6002"]
    assert d["line"] == line
    assert d["message"] == ("the sample data/test/sample_bad.npy does not fit input mfcc: the model takes [1, 1, 49, 10], "
                            "the file holds [49, 11]")


def test_samples_of_different_shapes_are_refused_by_name(run, tmp_path):
    """A free dimension takes one size per run: a sample of another shape than the first is SW6002, not compared."""
    sys.path.insert(0, str(REPO / "scripts" / "catalogue"))
    import measure_free_batch as measure
    measure.write_model("Conv_Add", "free", str(tmp_path / "m.onnx"))
    (tmp_path / "samples").mkdir()
    np.save(tmp_path / "samples" / "a.npy", np.zeros((1, 4, 8, 8), np.float32))
    np.save(tmp_path / "samples" / "b.npy", np.zeros((1, 4, 6, 6), np.float32))
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: m\nmodel: {path: m.onnx}\ntargets:\n  cpu: {runtime: onnxruntime}\n"
                        "test:\n  samples: samples\n")
    r, report = run_test(run, manifest)
    assert r.returncode == 1
    (d,) = [d for d in report["diagnostics"] if d["code"] == "SW6002"]
    assert d["message"] == ("the sample samples/b.npy holds [1, 4, 6, 6], the first sample [1, 4, 8, 8]: the samples "
                            "of one run share one shape (outputs are compared sample by sample)")
    # Keyed by input name (.npz), the input is named.
    for name, shape in (("a", (1, 4, 8, 8)), ("b", (1, 4, 6, 6))):
        (tmp_path / "samples" / f"{name}.npy").unlink()
        np.savez(tmp_path / "samples" / f"{name}.npz", x=np.zeros(shape, np.float32))
    r, report = run_test(run, manifest)
    (d,) = [d for d in report["diagnostics"] if d["code"] == "SW6002"]
    assert d["message"].startswith("the sample samples/b.npz holds [1, 4, 6, 6] for input x, the first sample [1, 4, 8, 8]: ")


def test_no_samples_is_a_setup_error(run, tmp_path):
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml", samples_yaml="")
    r = run("test", str(manifest), "--runtime-python", VENV_PYTHON)
    assert r.returncode == 2
    assert b"has no test.samples" in r.stderr


@needs_onnx2tf
def test_mobile_cnn_runs_in_litert_and_onnxruntime_and_core_ml_is_skipped_not_passed(run, tmp_path):
    """The example's Android target runs in LiteRT and its iOS target (ONNX Runtime's Core ML execution provider)
    in onnxruntime, each on the CPU here with a placement note saying so; a Core ML package target added to it is
    skipped with the reason, never passed."""
    manifest = example(tmp_path, "mobile-cnn", "mobile-cnn.slipway.yaml")
    text = manifest.read_text()
    manifest.write_text(text.replace("\ntest:\n", "\n  package:\n    runtime: coreml\n    format: mlpackage\n\ntest:\n", 1))
    image_samples(manifest.parent / "data/test")
    r, report = run_test(run, manifest, "--python", CONVERT_PYTHON)
    android, ios, package = report["targets"]
    assert android["status"] == "passed" and android["runtime"] == "litert"
    assert android["artifact"].endswith("dist/android/mobilenet-tiny-1.4.0.tflite")
    assert android["outputs"][0]["top1"] >= 0.98 and android["outputs"][0]["top5"] == 1
    assert ios["status"] == "passed" and ios["runtime"] == "onnxruntime" and ios["ran_on"] == "CPUExecutionProvider"
    assert ios["placement_note"].startswith("CoreMLExecutionProvider is not in this onnxruntime")
    assert ios["outputs"][0]["top1"] >= 0.98
    assert package["status"] == "skipped" and package["reason"].startswith("not run here: Core ML runs only on Apple platforms")
    assert package["tolerances"] == []


@needs_onnx2tf
def test_an_artifact_with_free_dimensions_runs_at_the_samples_sizes_in_the_originals_layout(run, tmp_path):
    """A Conv and an Add on an input whose batch and sizes are free convert to a TFLite file whose input signature
    leaves them free (-1) and whose NCHW output is stored channels last: `slipway test` sizes the input to the
    samples ([2, 4, 6, 10]) and compares the output in the original's layout, to float rounding, as onnxruntime
    computes it. Compared as stored, the figures were noise (cosine 0.04)."""
    sys.path.insert(0, str(REPO / "scripts" / "catalogue"))
    import measure_free_batch as measure
    measure.write_model("Conv_Add", "free", str(tmp_path / "m.onnx"))
    (tmp_path / "samples").mkdir()
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal((2, 4, 6, 10)).astype(np.float32) for _ in range(2)]
    for i, x in enumerate(xs):
        np.save(tmp_path / "samples" / f"x{i}.npy", x)
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text(measure.manifest("conv_add") + "test:\n  samples: samples\n  tolerance: {cosine: 0.99999}\n")
    r, report = run_test(run, manifest, "--python", CONVERT_PYTHON)
    target = report["targets"][0]
    assert r.returncode == 0 and target["status"] == "passed", target
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    largest = max(float(np.abs(session.run(None, {"x": x})[0]).max()) for x in xs)
    y = target["outputs"][0]
    assert y["cosine_min"] > 0.99999 and y["max_abs"] <= 1e-5 * max(1.0, largest), y


def float_kws(tmp_path):
    """The kws example converted to float32 TFLite (onnx2tf) for its TFLite Micro target (its optimize section
    removed; the example as shipped, full integer, is Tests/integration/test_onnx_tflite.py's)."""
    manifest = example(tmp_path, "kws-mcu", "kws.slipway.yaml")
    text = manifest.read_text()
    text = text[:text.index("optimize:")] + text[text.index("targets:"):]
    manifest.write_text(text.replace("    format: tflite\n", f"    format: tflite\n    python: {CONVERT_PYTHON}\n"))
    return manifest


@needs_onnx2tf
def test_kws_float_tflite_runs_in_tflite_micro_and_a_hybrid_one_is_refused_in_its_own_words(run, tmp_path):
    manifest = float_kws(tmp_path)
    r, report = run_test(run, manifest)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    (t,) = report["targets"]
    assert t["status"] == "passed" and t["runtime"] == "tflite-micro"
    assert t["outputs"][0]["top1"] == 1.0 and t["outputs"][0]["cosine_min"] > 0.9999

    # Dynamic-range int8 of that TFLite model (Slipway's own TFLite rewrite): hybrid kernels LiteRT runs and
    # TFLite Micro does not. The original is now TFLite, run in LiteRT.
    hybrid = manifest.parent / "hybrid.slipway.yaml"
    hybrid.write_text("""slipway: 1
name: kws-hybrid
model: {path: dist/stm32h7/kws-ds-cnn-0.3.0.tflite}
optimize:
  quantize: {weights: int8, activations: none}
targets:
  mcu: {runtime: tflite-micro, device: stm32h7, format: tflite, output: hybrid/kws.tflite}
test:
  samples: data/test/
  tolerance: {top1: 0.97}
""")
    r, report = run_test(run, hybrid)
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    (t,) = report["targets"]
    assert t["status"] == "failed" and t["runtime"] == "tflite-micro"
    (d,) = [d for d in report["diagnostics"] if d["code"] == "SW6003"]
    assert d["line"] == 7
    assert d["message"].startswith("target mcu: tflite-micro could not run the artifact: ")
    assert "Hybrid models are not supported on TFLite Micro." in d["message"]


def json_at(document, path):
    value = document
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium: `make clients` installs Debian's")
def test_report_html_renders_in_headless_chromium_with_the_numbers_of_report_json(run, tmp_path):
    import html.parser
    import subprocess

    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    encoder_samples(manifest.parent / "data/test", n=6)
    out = tmp_path / "report"
    r = run("test", str(manifest), "--runtime-python", VENV_PYTHON, "--report", str(out), "--layers")
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads((out / "report.json").read_text())
    page = (out / "report.html").read_text()
    assert "<h3>Per-layer SQNR</h3>" in page and any(t["layers"] for t in report["targets"])
    # Self-contained: no script, stylesheet or image fetched from anywhere.
    assert "<script" not in page and "<link" not in page and "src=" not in page and "url(" not in page

    shot = tmp_path / "report.png"
    chrome = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
              "--window-size=1280,800"]
    r = subprocess.run(chrome + [f"--screenshot={shot}", (out / "report.html").as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000, r.stderr.decode()
    r = subprocess.run(chrome + ["--dump-dom", (out / "report.html").as_uri()], capture_output=True, timeout=120)
    console = [l for l in r.stderr.decode().splitlines() if "CONSOLE" in l or "Uncaught" in l]
    assert console == []
    dom = r.stdout.decode()
    assert "<h1>slipway test</h1>" in dom

    class Figures(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.values = {}

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if "data-path" in a:
                self.values[a["data-path"]] = json.loads(a["data-value"])

    figures = Figures()
    figures.feed(dom)
    assert len(figures.values) >= 30
    for path, value in figures.values.items():
        assert json_at(report, path) == value, path
    assert figures.values["targets.0.outputs.0.sqnr_db"] == report["targets"][0]["outputs"][0]["sqnr_db"]
    assert figures.values["targets.1.latency_ms.p95"] == report["targets"][1]["latency_ms"]["p95"]
    # The per-layer bars' figures too.
    assert any(".layers." in p for p in figures.values)


def test_ctrl_c_stops_the_runner_group_and_leaves_no_work_folder(slipway, tmp_path):
    import signal
    import subprocess
    import time

    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    encoder_samples(manifest.parent / "data/test", n=3000)
    work = tmp_path / "tmp"
    work.mkdir()
    env = dict(os.environ, TMPDIR=str(work))
    p = subprocess.Popen([slipway, "test", str(manifest), "--runtime-python", VENV_PYTHON], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def runners():
        found = []
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and str(work) in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(pid))
            except OSError:
                pass
        return found

    deadline = time.time() + 60
    while not runners() and time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
    assert runners(), "the runner never started"
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    assert p.returncode == 128 + signal.SIGINT
    time.sleep(0.2)
    assert runners() == []
    assert list(work.iterdir()) == []


def test_deploy_ships_the_tested_result_and_refuses_a_failed_or_stale_one(run, tmp_path):
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    project = manifest.parent
    encoder_samples(project / "data/test")
    manifest.write_text(manifest.read_text().replace("max_abs: 0.05}", "max_abs: 0.05, sqnr_db: 30}"))
    r, _ = run_test(run, manifest, "--target", "server-avx2")
    assert r.returncode == 0, r.stderr.decode()
    record = json.loads((project / "dist/server-avx2/text-encoder-2.0.1.onnx.test.json").read_text())
    assert record["status"] == "passed" and record["metrics"]["sqnr_db"] > 30
    r = run("deploy", manifest.name, "--target", "server-avx2", cwd=project)
    assert r.returncode == 0, r.stderr.decode()
    statement = json.loads((project / "dist/server-avx2/text-encoder-2.0.1.onnx.intoto.json").read_text())
    tests = next(b for b in statement["predicate"]["runDetails"]["byproducts"] if b["name"] == "test-results")
    assert tests["annotations"]["status"] == "passed"
    assert tests["annotations"]["sqnr_db"] == pytest.approx(record["metrics"]["sqnr_db"])
    # New samples make the result stale: deploy refuses until the target is tested again.
    np.savez(project / "data/test/s999.npz", input_ids=np.zeros((1, 128), np.int64))
    r = run("deploy", manifest.name, "--target", "server-avx2", cwd=project)
    assert r.returncode == 1
    assert "its last `slipway test` is stale (the samples changed since the last test)" in r.stderr.decode()
    # A failed test blocks too; --force ships and the provenance says what it overrode.
    manifest.write_text(manifest.read_text().replace("sqnr_db: 30", "sqnr_db: 90"))
    assert run_test(run, manifest, "--target", "server-avx2")[0].returncode == 1
    r = run("deploy", manifest.name, "--target", "server-avx2", cwd=project)
    assert r.returncode == 1 and "its last `slipway test` failed (cosine " in r.stderr.decode()
    assert run("deploy", manifest.name, "--target", "server-avx2", "--force", cwd=project).returncode == 0
    statement = json.loads((project / "dist/server-avx2/text-encoder-2.0.1.onnx.intoto.json").read_text())
    assert any("last `slipway test` failed" in f for f in statement["predicate"]["buildDefinition"]["externalParameters"]["forced"])


def intermediate_outputs(model_path, names, files):
    """Every named value of an ONNX model on each sample, computed independently of Slipway's runner: the values
    exposed as graph outputs of a copy, no graph optimizations."""
    import onnxruntime as ort
    model = onnx.load(str(model_path))
    typed = {v.name: v.type.tensor_type.elem_type for v in onnx.shape_inference.infer_shapes(model).graph.value_info}
    for n in names:
        if n not in {o.name for o in model.graph.output}:
            model.graph.output.append(onnx.helper.make_tensor_value_info(n, typed.get(n, onnx.TensorProto.FLOAT), None))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    first = session.get_inputs()[0].name
    return [session.run(names, {first: np.load(f)}) for f in files]


def test_layers_attribute_the_error_to_each_node_as_numpy_does(run, tmp_path):
    """`slipway test --layers`: for an ONNX int8 artifact, each value's SQNR against the original equals one
    computed with numpy from onnxruntime's intermediate outputs; the text names the worst node and the setting
    that keeps it in float."""
    manifest = example(tmp_path, "kws-mcu", "kws.slipway.yaml")
    text = manifest.read_text()
    start, end = text.index("optimize:"), text.index("test:")
    text = text[:start] + "targets:\n  server:\n    runtime: onnxruntime\n    format: onnx\n" \
        "    optimize: {quantize: {weights: int4, granularity: per-block:32}}\n\n" + text[end:]
    manifest.write_text(text)
    r, report = run_test(run, manifest, "--layers")
    assert r.returncode in (0, 1), r.stderr.decode()
    (t,) = report["targets"]
    layers = t["layers"]
    assert t["layers_error"] is None and len(layers) > 10
    assert [l["node"] for l in layers][:2] == ["conv0", "conv0.relu"]
    files = report["samples"]["files"]
    names = [l["value"] for l in layers]
    ref = intermediate_outputs(manifest.parent / "models/ds_cnn_kws.onnx", names, files)
    got = intermediate_outputs(t["artifact"], names, files)
    for k, l in enumerate(layers):
        r_ = np.concatenate([np.asarray(s[k], np.float64).ravel() for s in ref])
        a_ = np.concatenate([np.asarray(s[k], np.float64).ravel() for s in got])
        assert l["sqnr_db"] == pytest.approx(10 * np.log10((r_ ** 2).sum() / ((r_ - a_) ** 2).sum()), abs=1e-3), l
    # Each layer's converted weights and worst input, from the graphs themselves.
    original = onnx.load(str(manifest.parent / "models/ds_cnn_kws.onnx"))
    artifact_inits = {i.name: i.data_type for i in onnx.load(t["artifact"]).graph.initializer}
    floats = {i.name for i in original.graph.initializer if i.data_type == onnx.TensorProto.FLOAT}
    by_value = {l["value"]: l for l in layers}
    for node in original.graph.node:
        l = by_value.get(node.output[0])
        if l is None:
            continue
        assert l["weights"] == [i for i in node.input if i in floats and artifact_inits.get(i) != onnx.TensorProto.FLOAT], l
        arriving = [by_value[i]["sqnr_db"] for i in node.input if i in by_value and by_value[i]["sqnr_db"] is not None]
        assert l["input_sqnr_db"] == (min(arriving) if arriving else None), l
    text_out = run("test", str(manifest), "--runtime-python", VENV_PYTHON, "--layers", "--no-convert").stdout.decode()
    worst = min(layers, key=lambda l: l["sqnr_db"])
    assert f"layers (worst first): {worst['node']} ({worst['op']})" in text_out
    # What to keep in float is the layer that adds the most noise itself, named by the weights skip matches.
    blamed = lost_the_most(layers)
    assert f"lost the most: {blamed['node']} ({blamed['op']})" in text_out
    assert "add " + ", ".join(f'"{w}"' for w in blamed["weights"]) + " to optimize.quantize.skip" in text_out


def own_sqnr(layer):
    """The noise a node adds itself: noise-to-signal ratios add along a chain (docs/test.md)."""
    if layer["sqnr_db"] is None:
        return None
    own = 10 ** (-layer["sqnr_db"] / 10) - (10 ** (-layer["input_sqnr_db"] / 10) if layer["input_sqnr_db"] is not None else 0)
    return -10 * np.log10(own) if own > 0 else None


def lost_the_most(layers):
    ranked = [l for l in layers if l["weights"] and own_sqnr(l) is not None]
    return min(ranked, key=own_sqnr)


def test_the_fix_check_offers_keeps_the_layer_that_lost_the_most_in_float(run, tmp_path):
    """A failed `slipway test --layers` leaves SW6007 in `check` with an edit adding the blamed layer's weights to
    the target's quantize.skip; applied, convert and test again: that layer's weights stay float in the artifact
    and the layer no longer counts as quantized."""
    manifest = example(tmp_path, "kws-mcu", "kws.slipway.yaml")
    text = manifest.read_text()
    start, end = text.index("optimize:"), text.index("test:")
    text = text[:start] + "targets:\n  server:\n    runtime: onnxruntime\n    format: onnx\n    optimize:\n" \
        "      quantize:\n        weights: int8\n        granularity: per-tensor\n\n" + text[end:]
    manifest.write_text(text.replace("tolerance: {top1: 0.97}", "tolerance: {sqnr_db: 60}"))
    r, report = run_test(run, manifest, "--layers")
    (t,) = report["targets"]
    assert r.returncode == 1 and t["status"] == "failed", r.stderr.decode()
    blamed = lost_the_most(t["layers"])
    record = json.loads(pathlib.Path(t["artifact"] + ".test.json").read_text())
    assert [l["node"] for l in record["worst_layers"]][:1] == [blamed["node"]]
    weights = blamed["weights"]
    assert weights and all(i.data_type != onnx.TensorProto.FLOAT
                           for i in onnx.load(t["artifact"]).graph.initializer if i.name in weights)

    r, rows = check_rows(run, manifest)
    (row,) = [row for row in rows if row["code"] == "SW6007"]
    lines = manifest.read_text().splitlines()
    assert row["severity"] == "information" and lines[row["line"] - 1].strip() == "weights: int8"
    assert row["message"].startswith(f"target server: in the last `slipway test` the quantized layer that lost the most is "
                                     f"{blamed['node']} ({blamed['op']}): ")
    (fix,) = row["fixes"]
    (edit,) = fix["edits"]
    assert edit["newText"] == "        skip: [" + ", ".join(f'"{w}"' for w in weights) + "]\n"
    body = manifest.read_bytes()
    manifest.write_bytes(body[:edit["startByte"]] + edit["newText"].encode() + body[edit["endByte"]:])
    assert "        granularity: per-tensor\n        skip: [" in manifest.read_text()
    # The record predates the edit: still failed, but the layer is not blamed again before it is measured.
    r, rows = check_rows(run, manifest)
    codes = [row["code"] for row in rows]
    assert "SW6004" in codes and "SW6007" not in codes, rows

    # Converted again (the settings changed) and measured: the layer's weights are the original's float32 values.
    r, report = run_test(run, manifest, "--layers")
    (t,) = report["targets"]
    after = {l["node"]: l for l in t["layers"]}
    assert after[blamed["node"]]["weights"] == []
    assert blamed["node"] not in [l["node"] for l in t["layers"] if l["weights"]]
    original = {i.name: i for i in onnx.load(str(manifest.parent / "models/ds_cnn_kws.onnx")).graph.initializer}
    written = {i.name: i for i in onnx.load(t["artifact"]).graph.initializer}
    for w in weights:
        assert written[w].data_type == onnx.TensorProto.FLOAT
        assert np.array_equal(numpy_helper.to_array(written[w]), numpy_helper.to_array(original[w]))
    # The other quantized layers still are.
    assert any(l["weights"] for l in t["layers"])


def test_each_target_runs_on_its_delegate_where_this_host_has_it_and_says_so_where_not(run, tmp_path):
    """LiteRT: `delegate: cpu` is the builtin kernels (the default delegate left out), no delegate or `xnnpack` the
    default delegate (XNNPACK), a GPU delegate (not on this host) the default, with the reason. onnxruntime: a CUDA
    target runs on the CPU execution provider, which the report says, naming the providers this onnxruntime has."""
    shutil.copy(REPO / "Tests/Fixtures/conversion/cnn_float.tflite", tmp_path / "cnn.tflite")
    shutil.copy(REPO / "Tests/Fixtures/models/small_cnn.onnx", tmp_path / "small.onnx")
    (tmp_path / "tfl").mkdir()
    (tmp_path / "onx").mkdir()
    rng = np.random.default_rng(5)
    for i in range(4):
        np.save(tmp_path / "tfl" / f"s{i}.npy", rng.random((1, 16, 16, 3), dtype=np.float32))
        np.save(tmp_path / "onx" / f"s{i}.npy", rng.random((1, 1, 8, 8), dtype=np.float32))
    targets = "".join(f"  {name}: {{runtime: litert{', delegate: ' + d if d else ''}, optimize: {{quantize: {{weights: float16}}}}}}\n"
                      for name, d in [("builtin", "cpu"), ("default", None), ("xnnpack", "xnnpack"), ("gpu", "gpu")])
    tfl = tmp_path / "tfl.slipway.yaml"
    tfl.write_text(f"slipway: 1\nname: cnn\nmodel: {{path: cnn.tflite}}\ntargets:\n{targets}"
                   "test:\n  samples: tfl\n  tolerance: {cosine: 0.99}\n")
    onx = tmp_path / "onx.slipway.yaml"
    onx.write_text("slipway: 1\nname: small\nmodel: {path: small.onnx, inputs: {x: [1, 1, 8, 8]}}\ntargets:\n"
                   "  cpu: {runtime: onnxruntime, optimize: {quantize: {weights: int8}}}\n"
                   "  cuda: {runtime: onnxruntime, delegate: cuda, optimize: {quantize: {weights: int8}}}\n"
                   "test:\n  samples: onx\n  tolerance: {cosine: 0.99}\n")
    r, report = run_test(run, tfl)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    by = {t["name"]: t for t in report["targets"]}
    assert by["builtin"]["ran_on"] == "builtin kernels" and by["builtin"]["placement_note"] is None
    assert by["default"]["ran_on"] == by["xnnpack"]["ran_on"] == "XNNPACK (the default delegate)"
    assert by["gpu"]["ran_on"] == "XNNPACK (the default delegate)"
    assert by["gpu"]["placement_note"].startswith("the gpu delegate does not run on this host")
    # The same artifact bytes on both CPU paths: the builtin kernels and XNNPACK agree closely.
    assert all(t["status"] == "passed" for t in report["targets"])
    r, report = run_test(run, onx)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    by = {t["name"]: t for t in report["targets"]}
    assert by["cpu"]["ran_on"] == "CPUExecutionProvider" and by["cpu"]["placement_note"] is None
    assert by["cuda"]["ran_on"] == "CPUExecutionProvider"
    assert by["cuda"]["placement_note"] == (
        f"CUDAExecutionProvider is not in this onnxruntime (it has {', '.join(ort.get_available_providers())}): ran on CPUExecutionProvider")
    text = run("test", str(onx), "--runtime-python", VENV_PYTHON)
    assert "note: CUDAExecutionProvider is not in this onnxruntime" in text.stdout.decode()


@pytest.mark.parametrize("runtime, package", [("onnxruntime", "onnxruntime"), ("litert", "ai-edge-litert"),
                                              ("tflite-micro", "tflite-micro")])
def test_the_runners_version_is_the_installed_distributions(runtime, package, tmp_path):
    """A recorded measurement is reused only while the runtime's version is the same: the runner reads it from
    the distribution's dist-info folder (importlib.metadata's import cost a tenth of its start), and must say
    what importlib.metadata says."""
    import subprocess
    from importlib import metadata
    out = tmp_path / "v.txt"
    subprocess.run([sys.executable, str(REPO / "scripts/runners/run_models.py"), "--version", runtime, str(out)], check=True)
    assert out.read_text() == metadata.version(package)


def test_a_measurement_is_reused_while_nothing_it_rests_on_changes(run, tmp_path):
    """The second run reuses each target's recorded figures (same artifact, original, samples, runtime versions and
    delegate) and judges the tolerances again on them, so a tightened tolerance fails without running a model;
    `--force`, a changed sample and a record from another runtime version run the models again."""
    manifest = example(tmp_path, "transformer-server", "encoder.slipway.yaml")
    encoder_samples(manifest.parent / "data/test")
    r, first = run_test(run, manifest)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert not any(t["reused"] for t in first["targets"])
    r, second = run_test(run, manifest)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert all(t["reused"] for t in second["targets"])
    for a, b in zip(first["targets"], second["targets"]):
        assert a["outputs"] == b["outputs"] and a["latency_ms"] == b["latency_ms"], a["name"]
        assert (a["runtime_version"], a["artifact_sha256"], a["status"]) == (b["runtime_version"], b["artifact_sha256"], b["status"])
    assert first["samples"]["sha256"] == second["samples"]["sha256"]
    # A tolerance no measurement meets: judged on the reused figures, on the tolerance line.
    text = manifest.read_text()
    tight = text.replace("tolerance: {cosine: 0.999,", "tolerance: {sqnr_db: 200, cosine: 0.999,", 1)
    assert tight != text
    manifest.write_text(tight)
    r, judged = run_test(run, manifest)
    assert r.returncode == 1 and all(t["reused"] and t["status"] == "failed" for t in judged["targets"])
    manifest.write_text(text)
    r, forced = run_test(run, manifest, "--force")
    assert r.returncode == 0 and not any(t["reused"] for t in forced["targets"])
    # A record measured on another runtime version is not reused.
    record = pathlib.Path(forced["targets"][0]["artifact"] + ".test.json")
    data = json.loads(record.read_text())
    data["measured"]["runtime_version"] = "0.0.1"
    record.write_text(json.dumps(data))
    r, again = run_test(run, manifest)
    assert [t["reused"] for t in again["targets"]] == [False, True]
    # A changed sample makes every record stale.
    np.savez(manifest.parent / "data/test/s000.npz", input_ids=np.ones((1, 128), dtype=np.int64))
    r, changed = run_test(run, manifest)
    assert r.returncode == 0 and not any(t["reused"] for t in changed["targets"])
