"""Native TFLite → TFLite conversions against the real runtime (ai-edge-litert) and TensorFlow's own converter.

The sources and the converter's outputs for the same models are fixtures made by TensorFlow
(scripts/make_tflite_conversion_fixtures.py, scripts/make_model_fixtures.py). Each artifact must load,
allocate and run in LiteRT with outputs close to the float model's; int8 must quantize the tensors the
converter quantizes, with the same int8 codes, scales, axes and operator versions; float16 must store the same
tensors in float16 behind DEQUANTIZE; and the file size must match `slipway estimate` within 1 %.
"""
import json
import pathlib

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter
from test_convert_onnx import cosine

REPO = pathlib.Path(__file__).resolve().parents[2]
CONVERSION = REPO / "Tests/Fixtures/conversion"
MODELS = REPO / "Tests/Fixtures/models"
# (float source, TensorFlow's dynamic-range output, TensorFlow's float16 output)
CASES = {
    "cnn": (CONVERSION / "cnn_float.tflite", CONVERSION / "cnn_dynamic.tflite", CONVERSION / "cnn_float16.tflite"),
    "small_cnn": (MODELS / "small_cnn_float.tflite", MODELS / "small_cnn_dynamic.tflite",
                  MODELS / "small_cnn_float16.tflite"),
}
OPERATORS = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def run_model(path, x):
    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).copy()


def sample(path, seed=0):
    it = Interpreter(model_path=str(path))
    d = it.get_input_details()[0]
    return np.random.default_rng(seed).standard_normal(d["shape"]).astype(np.float32)


def load(path):
    return schema.ModelT.InitFromPackedBuf(bytearray(path.read_bytes()), 0)


def constants(model):
    """name → (type, data bytes, quantization) of every tensor with data, in the main subgraph."""
    out = {}
    for t in model.subgraphs[0].tensors:
        b = model.buffers[t.buffer]
        if b.data is not None and len(b.data) > 0:
            out[t.name.decode()] = (t.type, bytes(bytearray(b.data)), t.quantization)
    return out


def min_runtime(model):
    return [bytes(bytearray(model.buffers[m.buffer].data)).rstrip(b"\0").decode()
            for m in model.metadata if m.name == b"min_runtime_version"]


def versions(model):
    return {OPERATORS[max(c.builtinCode, c.deprecatedBuiltinCode)]: c.version for c in model.operatorCodes}


def convert(run, src, dst, *args):
    r = run("convert", str(src), "--output", str(dst), *args)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(pathlib.Path(str(dst) + ".report.json").read_text())


def estimated_bytes(run, src, *args):
    r = run("estimate", str(src), *args, "--json", "--no-cache")
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)["model"]["bytes_after"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_int8_runs_in_litert_as_the_converters_dynamic_range_model(run, tmp_path, case):
    src, real, _ = CASES[case]
    out = tmp_path / "int8.tflite"
    report = convert(run, src, out, "--weights", "int8")
    x = sample(src)
    ref, ours, theirs = run_model(src, x), run_model(out, x), run_model(real, x)
    assert cosine(ref, ours) >= 0.99
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    a, b = constants(load(out)), constants(load(real))
    int8 = {n for n, (t, _, _) in a.items() if t == schema.TensorType.INT8}
    assert int8 and int8 == {n for n, (t, _, _) in b.items() if t == schema.TensorType.INT8}
    for n in int8:
        assert a[n][1] == b[n][1], f"{n}: codes differ from the TFLite converter's"
        qa, qb = a[n][2], b[n][2]
        np.testing.assert_array_equal(qa.scale, qb.scale)
        assert list(qa.zeroPoint) == [0] * len(qa.scale)
        assert qa.quantizedDimension == qb.quantizedDimension
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        assert versions(load(out)).get(op) == versions(load(real)).get(op)
    assert {t["name"] for t in report["tensors"] if t["action"] == "quantized"} == int8
    assert min_runtime(load(out)) == min_runtime(load(real))  # the newest runtime an operator version needs
    assert abs(out.stat().st_size / real.stat().st_size - 1) < 0.01


@pytest.mark.parametrize("case", sorted(CASES))
def test_float16_runs_in_litert_as_the_converters_float16_model(run, tmp_path, case):
    src, _, real = CASES[case]
    out = tmp_path / "fp16.tflite"
    convert(run, src, out, "--float16")
    x = sample(src)
    ref, ours = run_model(src, x), run_model(out, x)
    assert cosine(ref, ours) >= 0.999
    np.testing.assert_allclose(ours, run_model(real, x), rtol=1e-5, atol=1e-6)
    m = load(out)
    f16 = [t for t in m.subgraphs[0].tensors if t.type == schema.TensorType.FLOAT16]
    real_f16 = [t for t in load(real).subgraphs[0].tensors if t.type == schema.TensorType.FLOAT16]
    assert len(f16) == len(real_f16)
    assert not any(t == schema.TensorType.FLOAT32 for t, _, _ in constants(m).values())
    assert versions(m)["DEQUANTIZE"] == 3
    assert min_runtime(m) == min_runtime(load(real))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("flags", [("--weights", "int8"), ("--weights", "int8", "--granularity", "per-tensor"),
                                   ("--float16",)])
def test_artifact_size_matches_the_estimate(run, tmp_path, case, flags):
    src = CASES[case][0]
    out = tmp_path / "out.tflite"
    convert(run, src, out, *flags)
    estimate_flags = ("--weights", "float16") if flags == ("--float16",) else flags
    estimate = estimated_bytes(run, src, *estimate_flags)
    assert abs(out.stat().st_size / estimate - 1) < 0.01, (out.stat().st_size, estimate)


def test_per_tensor_int8_runs_with_per_tensor_hybrid_kernels(run, tmp_path):
    src = CASES["cnn"][0]
    out = tmp_path / "t.tflite"
    convert(run, src, out, "--weights", "int8", "--granularity", "per-tensor")
    x = sample(src)
    assert cosine(run_model(src, x), run_model(out, x)) >= 0.99
    m = load(out)
    for name, (t, _, q) in constants(m).items():
        if t == schema.TensorType.INT8:
            # DEPTHWISE_CONV_2D's hybrid kernel reads a scale per channel: the one scale is repeated.
            assert len(set(q.scale)) == 1 and (len(q.scale) == 1 or "depthwise" in name)
    # op_version.cc: hybrid per-tensor CONV_2D 2, FULLY_CONNECTED with asymmetric inputs 9; depthwise per channel 6.
    assert versions(m) | {"CONV_2D": 2, "DEPTHWISE_CONV_2D": 6, "FULLY_CONNECTED": 9} == versions(m)


def test_pruning_then_int8_runs_and_writes_zeros(run, tmp_path):
    src = CASES["cnn"][0]
    out = tmp_path / "p.tflite"
    report = convert(run, src, out, "--weights", "int8", "--sparsity", "0.5")
    x = sample(src)
    assert np.isfinite(run_model(out, x)).all()
    pruned = [t for t in report["tensors"] if t["action"] == "pruned+quantized"]
    assert pruned and all(t["sparsity"] >= 0.5 for t in pruned)
    for name, (t, data, _) in constants(load(out)).items():
        if t == schema.TensorType.INT8:
            assert (np.frombuffer(data, np.int8) == 0).mean() >= 0.5, name


def test_manifest_target_converts_natively(run, tmp_path):
    (tmp_path / "m.tflite").write_bytes(CASES["cnn"][0].read_bytes())
    (tmp_path / "app.slipway.yaml").write_text(
        "slipway: 1\nname: cnn\nmodel: {path: m.tflite}\n"
        "targets:\n  phone:\n    runtime: litert\n    format: tflite\n"
        "    optimize: {quantize: {weights: int8}}\n")
    r = run("convert", str(tmp_path / "app.slipway.yaml"))
    assert r.returncode == 0, r.stderr.decode()
    out = tmp_path / "dist/phone/cnn.tflite"
    x = sample(out)
    assert cosine(run_model(tmp_path / "m.tflite", x), run_model(out, x)) >= 0.99
    report = json.loads((tmp_path / "dist/phone/cnn.tflite.report.json").read_text())
    assert report["tools"]["converter"] == "native TFLite rewriter (in process)"
    # ONNX's qdq/qoperator choice means nothing for a flatbuffer: the settings carry no "format".
    assert "format" not in report["settings"] and report["settings"]["weights"] == "int8"


def test_everything_but_the_weights_is_kept(run, tmp_path):
    src = MODELS / "control_flow.tflite"
    out = tmp_path / "cf.tflite"
    convert(run, src, out, "--float16")
    a, b = load(src), load(out)
    assert a.description == b.description
    assert [(m.name, bytes(bytearray(a.buffers[m.buffer].data))) for m in a.metadata] == \
        [(m.name, bytes(bytearray(b.buffers[m.buffer].data))) for m in b.metadata]
    assert len(a.subgraphs) == len(b.subgraphs)
    assert [c.customCode for c in a.operatorCodes] == [c.customCode for c in b.operatorCodes][:len(a.operatorCodes)]
    assert [s.signatureKey for s in a.signatureDefs] == [s.signatureKey for s in b.signatureDefs]
    # LiteRT loads it; running it needs the Flex delegate (TensorFlow) for its Select TF op, as the source does.
    Interpreter(model_path=str(out))


def test_batch_matmul_transpose_conv_and_gather_as_the_converter_writes_them(run, tmp_path):
    src, real = CONVERSION / "ops_float.tflite", CONVERSION / "ops_dynamic.tflite"
    out = tmp_path / "ops.tflite"
    report = convert(run, src, out, "--weights", "int8")

    def run_all(path):
        it = Interpreter(model_path=str(path))
        it.allocate_tensors()
        rng = np.random.default_rng(1)
        for d in it.get_input_details():
            value = rng.integers(0, 100, d["shape"]) if d["dtype"] == np.int32 else rng.standard_normal(d["shape"])
            it.set_tensor(d["index"], value.astype(d["dtype"]))
        it.invoke()
        return {d["name"]: it.get_tensor(d["index"]).copy() for d in it.get_output_details()}

    ref, ours, theirs = run_all(src), run_all(out), run_all(real)
    for name in ref:
        assert cosine(ref[name], ours[name]) >= 0.99
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-4, atol=1e-5)
    a, b = constants(load(out)), constants(load(real))
    ours_int8 = {n for n, (t, _, _) in a.items() if t == schema.TensorType.INT8}
    assert ours_int8 == {n for n, (t, _, _) in b.items() if t == schema.TensorType.INT8} and len(ours_int8) == 3
    for n in ours_int8:
        assert a[n][1] == b[n][1], n
        np.testing.assert_array_equal(a[n][2].scale, b[n][2].scale)
        assert a[n][2].quantizedDimension == b[n][2].quantizedDimension
    for op in ("BATCH_MATMUL", "TRANSPOSE_CONV", "GATHER", "DEQUANTIZE"):
        assert versions(load(out))[op] == versions(load(real))[op], op
    assert min_runtime(load(out)) == min_runtime(load(real))
    ops = load(out).subgraphs[0].operators
    bmm = [o for o in ops if o.builtinOptionsType == schema.BuiltinOptions.BatchMatMulOptions]
    assert bmm and bmm[0].builtinOptions.asymmetricQuantizeInputs
    # GATHER writes int8 and a DEQUANTIZE right after it gives its readers float32.
    names = [OPERATORS[load(out).operatorCodes[o.opcodeIndex].builtinCode] for o in ops]
    assert names[names.index("GATHER") + 1] == "DEQUANTIZE"
    estimate = estimated_bytes(run, src, "--weights", "int8")
    assert abs(out.stat().st_size / estimate - 1) < 0.01
    assert abs(out.stat().st_size / real.stat().st_size - 1) < 0.01
    assert any("one scale" in (t.get("reason") or "") for t in report["tensors"])


def test_schema_tables_are_generated_from_the_pinned_schema(tmp_path):
    """The writer's field layouts come from ai-edge-litert's schema: regenerate after a pin change."""
    import subprocess
    import sys
    out = tmp_path / "tables.swift"
    subprocess.run([sys.executable, str(REPO / "scripts/generate_tflite_schema_tables.py"), str(out)], check=True,
                   capture_output=True)
    assert out.read_text() == (REPO / "Sources/Conversion/TFLiteSchemaTables.swift").read_text(), \
        "run .venv/bin/python scripts/generate_tflite_schema_tables.py"


def test_float16_over_a_dynamic_range_model_leaves_hybrid_biases_float32(run, tmp_path):
    """A hybrid kernel takes its bias as a float32 constant: float16 converts only the other operators'."""
    src, real, _ = CASES["cnn"]
    out = tmp_path / "both.tflite"
    report = convert(run, real, out, "--float16")
    x = sample(src)
    assert cosine(run_model(src, x), run_model(out, x)) >= 0.99
    kept = [t for t in report["tensors"] if "integer weights" in (t.get("reason") or "")]
    assert kept and all(t["action"] == "kept" for t in kept)


def test_weights_inside_a_while_body_as_the_converter_writes_them(run, tmp_path):
    """An LSTM is a WHILE loop: its weights live in the body subgraph, and are quantized there."""
    src, real = CONVERSION / "lstm_float.tflite", CONVERSION / "lstm_dynamic.tflite"
    out = tmp_path / "lstm.tflite"
    convert(run, src, out, "--weights", "int8")
    x = sample(src)
    ref, ours = run_model(src, x), run_model(out, x)
    assert cosine(ref, ours) >= 0.99
    np.testing.assert_allclose(ours, run_model(real, x), rtol=1e-5, atol=1e-6)

    def int8_tensors(model):
        return {(g, t.name.decode()): (bytes(bytearray(model.buffers[t.buffer].data)), list(t.quantization.scale))
                for g, sg in enumerate(model.subgraphs) for t in sg.tensors
                if t.type == schema.TensorType.INT8 and model.buffers[t.buffer].data is not None}

    a, b = int8_tensors(load(out)), int8_tensors(load(real))
    assert a == b and a and all(g > 0 for g, _ in a)  # in the loop body, not the main graph
    assert min_runtime(load(out)) == min_runtime(load(real))
    assert abs(out.stat().st_size / estimated_bytes(run, src, "--weights", "int8") - 1) < 0.01
