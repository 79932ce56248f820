"""One verdict: for every example target and a matrix of fixture models × settings, `convert` builds a target
exactly when `check` reports no error for it, and the artifact's size is within 1 % of `estimate`'s.
Targets routed to an external converter that is not installed here are left out of the size comparison (the
refusal then names the tool, not a plan problem)."""
import json
import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ["kws-mcu/kws.slipway.yaml", "mobile-cnn/mobile-cnn.slipway.yaml",
            "transformer-server/encoder.slipway.yaml"]

MODELS = {
    "encoder.onnx": REPO / "examples/transformer-server/models/encoder.onnx",
    "kws.onnx": REPO / "examples/kws-mcu/models/ds_cnn_kws.onnx",
    "constant_if_loop.onnx": REPO / "Tests/Fixtures/conversion/constant_if_loop.onnx",
    "conv_constant_if.onnx": REPO / "Tests/Fixtures/conversion/conv_constant_if.onnx",
    "opset11_gemm.onnx": REPO / "Tests/Fixtures/conversion/opset11_gemm.onnx",
    "lstm_attention.onnx": REPO / "Tests/Fixtures/estimate/lstm_attention.onnx",
    "cnn_float.tflite": REPO / "Tests/Fixtures/conversion/cnn_float.tflite",
    "lstm_float.tflite": REPO / "Tests/Fixtures/conversion/lstm_float.tflite",
    "mlp.safetensors": REPO / "Tests/Fixtures/conversion/mlp.safetensors",
}

ONNX_SETTINGS = {
    "int8": "{quantize: {weights: int8}}",
    "int8-tensor": "{quantize: {weights: int8, granularity: per-tensor}}",
    "uint8-asym": "{quantize: {weights: uint8, symmetric: false}}",
    "int4-block": "{quantize: {weights: int4, granularity: 'per-block:32'}}",
    "dynamic": "{quantize: {weights: int8, activations: dynamic}}",
    "prune": "{prune: {sparsity: 0.5}}",
    "int8-prune": "{quantize: {weights: int8}, prune: {sparsity: 0.5}}",
    "bfloat16": "{quantize: {weights: bfloat16}}",
}
TFLITE_SETTINGS = {
    "int8": "{quantize: {weights: int8}}",
    "float16": "{quantize: {weights: float16}}",
    "int4": "{quantize: {weights: int4}}",
    "prune": "{prune: {sparsity: 0.5}}",
}


def matrix():
    cases = []
    for model in MODELS:
        if model.endswith(".onnx"):
            for name, opt in ONNX_SETTINGS.items():
                cases.append((model, name, f"{{runtime: onnxruntime@1.20, format: onnx, optimize: {opt}}}"))
            cases.append((model, "int4-ort117", "{runtime: onnxruntime@1.17, format: onnx, optimize: "
                                                "{quantize: {weights: int4, granularity: 'per-block:32'}}}"))
            cases.append((model, "coreml", "{runtime: coreml}"))
            cases.append((model, "executorch", "{runtime: executorch@1.4.1, delegate: xnnpack}"))
        elif model.endswith(".tflite"):
            for name, opt in TFLITE_SETTINGS.items():
                cases.append((model, name, f"{{runtime: litert, format: tflite, optimize: {opt}}}"))
        else:
            cases.append((model, "onnx-from-safetensors", "{runtime: onnxruntime, format: onnx}"))
    return cases


CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))
COREML_PYTHON = os.environ.get("SLIPWAY_COREML_PYTHON", str(REPO / ".venv-coreml/bin/python"))
# Sources another tool converts (TensorFlow's converter, tf2onnx, torch.onnx.export): the same verdict, and sizes
# predicted from that tool's rules (KerasTFLiteSize, ExportedONNXSize), fitted to 5 %, not 1 %.
EXPORTED = {
    "small_cnn.keras": (REPO / "Tests/Fixtures/keras/small_cnn.keras", CONVERT_PYTHON, [
        ("tflite-int8", "{runtime: litert, format: tflite, optimize: {quantize: {weights: int8}}}"),
        ("tflite-int4", "{runtime: litert, format: tflite, optimize: {quantize: {weights: int4}}}"),
        ("tflite-prune", "{runtime: litert, format: tflite, optimize: {prune: {sparsity: 0.5}}}"),
        ("tflite-io-dynamic", "{runtime: litert, format: tflite, optimize: {quantize: {weights: int8, io: int8}}}"),
        ("onnx-int8", "{runtime: onnxruntime@1.20, format: onnx, optimize: {quantize: {weights: int8}}}"),
        ("onnx-int4-ort117", "{runtime: onnxruntime@1.17, format: onnx, optimize: {quantize: {weights: int4, granularity: 'per-block:32'}}}"),
        ("coreml", "{runtime: coreml}"),
    ]),
    "exported.pt2": (REPO / "Tests/Fixtures/models/pytorch/exported.pt2", COREML_PYTHON, [
        ("onnx-int8", "{runtime: onnxruntime@1.20, format: onnx, optimize: {quantize: {weights: int8}}}"),
        ("onnx-int4-ort117", "{runtime: onnxruntime@1.17, format: onnx, optimize: {quantize: {weights: int4, granularity: 'per-block:32'}}}"),
        ("onnx-int8-static", "{runtime: onnxruntime@1.20, format: onnx, optimize: {quantize: {weights: int8, activations: int8, calibration: c}}}"),
        ("executorch", "{runtime: executorch@1.4.1, delegate: xnnpack, optimize: {quantize: {weights: int8, activations: dynamic}}}"),
    ]),
}


def check_errors(run, manifest, cwd):
    r = run("check", "--format", "json", "--in-process", manifest, cwd=cwd)
    assert r.returncode in (0, 1), r.stderr.decode()
    return [row for row in json.loads(r.stdout) if row["severity"] == "error"]


def estimated_sizes(run, manifest, cwd):
    r = run("estimate", manifest, "--json", cwd=cwd)
    if r.returncode != 0:
        return {}
    return {t["target"]: t.get("size_bytes") for t in json.loads(r.stdout).get("targets", [])}


def close(estimate, written):
    """Within 1 %; a model of a few kilobytes also within 64 bytes (protobuf length prefixes that grow by a byte
    each weigh more than 1 % there)."""
    return abs(estimate - written) <= max(0.01 * written, 64 if written < 10_000 else 0)


def artifact_bytes(report):
    out = report["output"]
    return out["bytes"] + (out.get("external_data") or {}).get("bytes", 0)


def verdict(run, cwd, manifest, target):
    """(check errors naming the target, convert's return code, its stderr, the report path)."""
    errors = [e for e in check_errors(run, manifest, cwd)
              if f"'{target}'" in e["message"] or "target" not in e["message"]]
    r = run("convert", manifest, "--target", target, "--json", cwd=cwd)
    reports = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else []
    return errors, r.returncode, r.stderr.decode(), reports


def tool_missing(stderr):
    return any(s in stderr for s in ("needs onnx2tf", "not on PATH", "lacks ", "needs coremltools"))


@pytest.mark.parametrize("model,setting,entry", matrix(), ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_convert_builds_exactly_what_check_passes_and_estimate_predicts_its_size(run, tmp_path, model, setting, entry):
    shutil.copy(MODELS[model], tmp_path / model)
    (tmp_path / "m.slipway.yaml").write_text(
        f"slipway: 1\nmodel: {{path: {model}}}\ntargets:\n  t: {entry}\n")
    one_verdict(run, tmp_path, close)


def one_verdict(run, tmp_path, sized):
    """Target `t` of tmp_path/m.slipway.yaml: convert builds it exactly when check has no error for it (the refusal
    in check's words), and `sized(estimate, written)` holds for what it builds."""
    errors, code, stderr, reports = verdict(run, tmp_path, "m.slipway.yaml", "t")
    if code != 0 and tool_missing(stderr):
        pytest.skip(f"external converter not installed: {stderr.strip()[:120]}")
    assert (code == 0) == (not errors), f"check errors {[(e['code'], e['message']) for e in errors]}; convert {code}: {stderr}"
    if code != 0:
        # The refusal lists check's errors, in check's words.
        for e in errors:
            assert e["message"] in stderr, stderr
        return
    size = estimated_sizes(run, "m.slipway.yaml", tmp_path).get("t")
    written = artifact_bytes(reports[0]) if reports else None
    if size is not None and written is not None:
        assert sized(size, written), f"estimate {size} vs artifact {written}"


@pytest.mark.parametrize("model,setting,entry", [(m, name, e) for m, (_, _, cases) in EXPORTED.items() for name, e in cases],
                         ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_exported_sources_convert_exactly_when_check_passes(run, tmp_path, model, setting, entry):
    source, python, _ = EXPORTED[model]
    if not os.path.exists(python):
        pytest.skip(f"no {python}")
    shutil.copy(source, tmp_path / model)
    entry = entry[:-1] + f", python: {python}}}"
    (tmp_path / "m.slipway.yaml").write_text(f"slipway: 1\nmodel: {{path: {model}}}\ntargets:\n  t: {entry}\n")
    # The ONNX exporters' graphs of these 2–26 KB models are mostly names and the constants tf2onnx folds (a
    # BatchNormalization's scale, shape arithmetic at a dynamic batch), which the estimate does not see: their sizes
    # are held to 1–10 % on larger models in test_keras_convert and test_convert_external; TFLite's to 5 % here.
    one_verdict(run, tmp_path, lambda size, written: not setting.startswith("tflite") or abs(size - written) <= 0.05 * written)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_target_converts_exactly_when_check_passes(run, tmp_path, example):
    folder, name = example.split("/")
    proj = tmp_path / folder
    shutil.copytree(REPO / "examples" / folder, proj)
    targets = [line.split(":")[0].strip() for line in (proj / name).read_text().split("targets:")[1].split("\n")
               if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":")]
    assert targets
    for target in targets:
        errors, code, stderr, reports = verdict(run, proj, name, target)
        if code != 0 and tool_missing(stderr):
            continue
        assert (code == 0) == (not errors), f"{target}: check {[(e['code'], e['message']) for e in errors]}; convert {code}: {stderr}"
        if code == 0 and reports:
            size = estimated_sizes(run, name, proj).get(target)
            written = artifact_bytes(reports[0])
            if size is not None:
                assert close(size, written), f"{target}: estimate {size} vs artifact {written}"


@pytest.mark.skipif(not os.environ.get("SLIPWAY_CORPUS_DIR"), reason="SLIPWAY_CORPUS_DIR not set")
@pytest.mark.parametrize("model", ["silero-vad.onnx", "silero-vad-half.onnx", "akiki-vad.onnx", "silero-vad-ifless.onnx"])
def test_recurrent_models_estimate_what_convert_writes(run, tmp_path, model):
    src = pathlib.Path(os.environ["SLIPWAY_CORPUS_DIR"]) / model
    if not src.exists():
        pytest.skip(f"{model} not in the corpus cache")
    shutil.copy(src, tmp_path / model)
    (tmp_path / "m.slipway.yaml").write_text(
        f"slipway: 1\nmodel: {{path: {model}}}\ntargets:\n  t: {{runtime: onnxruntime@1.20, optimize: {{quantize: {{weights: int8}}}}}}\n")
    errors, code, stderr, reports = verdict(run, tmp_path, "m.slipway.yaml", "t")
    assert code == 0 and not errors, stderr
    size = estimated_sizes(run, "m.slipway.yaml", tmp_path)["t"]
    written = artifact_bytes(reports[0])
    assert close(size, written), f"estimate {size} vs artifact {written}"
