"""`slipway convert` against the real tools: onnx's checker, onnxruntime, and numpy recomputing the SQNR.

The converted models must pass `onnx.checker.check_model(full_check=True)`, run in onnxruntime with outputs
close to the original's, store their weights as integers behind DequantizeLinear, and have exactly the
quantization error that the Compression engine reports for them (the report beside the artifact). float16
weights are stored behind Cast(to=FLOAT) with the bits numpy's own rounding gives.
"""
import hashlib
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
from onnx import numpy_helper
from exact_ort import exact_session

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = {
    "kws": REPO / "examples/kws-mcu/models/ds_cnn_kws.onnx",
    "mobilenet": REPO / "examples/mobile-cnn/models/mobilenet_tiny.onnx",
    "encoder": REPO / "examples/transformer-server/models/encoder.onnx",
}
FIXTURES = REPO / "Tests/Fixtures/conversion"


def feeds(session, seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else 2 for d in i.shape]
        if "int64" in i.type:
            out[i.name] = rng.integers(0, 512, shape).astype(np.int64)
        elif "bool" in i.type:
            out[i.name] = np.array(True)
        else:
            out[i.name] = rng.standard_normal(shape).astype(np.float32)
    return out


def cosine(a, b):
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def run_both(src, dst, extra=None):
    a, b = exact_session(src), exact_session(dst)
    f = feeds(a)
    f.update(extra or {})
    return a.run(None, f)[0], b.run(None, f)[0]


def convert(run, src, dst, *args):
    r = run("convert", str(src), "--output", str(dst), *args)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(pathlib.Path(str(dst) + ".report.json").read_text())


def all_graphs(g):
    yield g
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_graphs(a.g)
            for sub in a.graphs:
                yield from all_graphs(sub)


def dequantized(model):
    """name → (original-name float values recomputed from the stored codes, stored dtype) for every DQ node."""
    out = {}
    for g in all_graphs(model.graph):
        inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        for n in g.node:
            if n.op_type == "Constant":
                for a in n.attribute:
                    if a.name == "value":
                        inits[n.output[0]] = numpy_helper.to_array(a.t)
        for n in g.node:
            if n.op_type != "DequantizeLinear":
                continue
            q, s, z = (inits[i] for i in n.input)
            attrs = {a.name: a.i for a in n.attribute}
            axis, block = attrs.get("axis", 1), attrs.get("block_size", 0)
            qf = q.astype(np.float64)
            sf, zf = s.astype(np.float64), z.astype(np.float64)
            if s.ndim == 0:
                x = (qf - zf) * sf
            elif block:
                x = (qf - np.repeat(zf, block, axis=axis)[tuple(slice(0, d) for d in q.shape)]) * \
                    np.repeat(sf, block, axis=axis)[tuple(slice(0, d) for d in q.shape)]
            else:
                shape = [1] * q.ndim
                shape[axis] = -1
                x = (qf - zf.reshape(shape)) * sf.reshape(shape)
            out[n.output[0]] = (x, q.dtype)
    return out


def originals(path):
    m = onnx.load(str(path))
    out = {}
    for g in all_graphs(m.graph):
        for t in g.initializer:
            out[t.name] = numpy_helper.to_array(t)
        for n in g.node:
            if n.op_type == "Constant":
                for a in n.attribute:
                    if a.name == "value":
                        out[n.output[0]] = numpy_helper.to_array(a.t)
    return out


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_int8_per_channel_examples_are_valid_close_and_match_the_engine(run, tmp_path, name):
    src, dst = EXAMPLES[name], tmp_path / f"{name}.int8.onnx"
    report = convert(run, src, dst, "--weights", "int8")
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)

    x, y = run_both(src, dst)
    assert cosine(x, y) >= 0.99

    deq = dequantized(model)
    quantized = [t for t in report["tensors"] if t["action"] == "quantized"]
    assert quantized and len(deq) == len(quantized)
    orig = originals(src)
    engine = {t["name"]: t for t in report["compression"]["tensors"]}
    for name_, (values, dtype) in deq.items():
        assert dtype == np.int8, f"{name_} is stored as {dtype}"
        ref = orig[name_].astype(np.float64)
        noise = float(((ref - values) ** 2).sum())
        sqnr = 10 * np.log10(float((ref ** 2).sum()) / noise)
        # The engine computes in float64 scales; the file stores float32 ones: a hair of difference.
        assert abs(sqnr - engine[name_]["sqnr_db"]) < 0.01, name_

    assert report["inputs"][0]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert report["output"]["sha256"] == hashlib.sha256(dst.read_bytes()).hexdigest()
    assert report["sizes"]["after"] == dst.stat().st_size < report["sizes"]["before"] == src.stat().st_size
    assert report["tools"]["slipway"] and report["duration_ms"] >= 0


@pytest.mark.parametrize("args,dtype", [(["--weights", "uint8", "--asymmetric", "--granularity", "per-tensor"],
                                         onnx.TensorProto.UINT8),
                                        (["--weights", "int4"], onnx.TensorProto.INT4)])
def test_other_schemes_on_the_encoder(run, tmp_path, args, dtype):
    src, dst = EXAMPLES["encoder"], tmp_path / "enc.onnx"
    report = convert(run, src, dst, *args)
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    x, y = run_both(src, dst)
    assert cosine(x, y) >= 0.98
    stored = {t.name: t.data_type for t in model.graph.initializer}
    assert {stored[n.input[0]] for n in model.graph.node if n.op_type == "DequantizeLinear"} == {dtype}
    assert dequantized(model)  # and numpy can dequantize what was written
    if "int4" in args:
        # Per-block DequantizeLinear (block_size) exists from opset 21; the opset was raised from 17.
        assert report["opset"] == {"before": 17, "after": 21}
        assert model.ir_version >= 10


def test_weights_in_constant_nodes_and_if_loop_bodies_are_quantized(run, tmp_path):
    """onnxruntime's quantize_dynamic quantizes initializers of the main graph; Slipway also converts a
    Constant node's weight, both If branches (an initializer and a Constant) and a Loop body's weight."""
    src, dst = FIXTURES / "constant_if_loop.onnx", tmp_path / "cil.onnx"
    report = convert(run, src, dst, "--weights", "int8")
    converted = {(t["name"], t["holder"], t["graph"] > 0) for t in report["tensors"] if t["action"] == "quantized"}
    assert converted == {("w_const", "Constant", False), ("w_then", "initializer", True),
                         ("w_else", "Constant", True), ("w_loop", "initializer", True)}
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    graphs = {g.name: g for g in all_graphs(model.graph)}
    for g in ("constant_if_loop", "then_branch", "else_branch", "loop_body"):
        assert any(n.op_type == "DequantizeLinear" for n in graphs[g].node), g
    for flag in (True, False):
        x, y = run_both(src, dst, {"flag": np.array(flag)})
        assert cosine(x, y) >= 0.999


def test_quantize_dynamic_leaves_the_constant_node_weight_in_float(tmp_path):
    """The comparison the issue makes: onnxruntime's own tool on the same model."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src = tmp_path / "plain.onnx"
    m = onnx.load(str(FIXTURES / "constant_if_loop.onnx"))
    onnx.save(m, str(src))
    out = tmp_path / "ort.onnx"
    quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8)
    q = onnx.load(str(out))
    consts = [n for n in q.graph.node if n.op_type == "Constant" and n.output[0] == "w_const"]
    assert consts and consts[0].attribute[0].t.data_type == onnx.TensorProto.FLOAT


def test_metadata_doc_string_and_unknown_fields_are_preserved(run, tmp_path):
    src, dst = FIXTURES / "constant_if_loop.onnx", tmp_path / "cil.onnx"
    convert(run, src, dst, "--weights", "int8")
    a, b = onnx.load(str(src)), onnx.load(str(dst))
    assert {p.key: p.value for p in b.metadata_props} == {"author": "slipway tests", "license": "CC0"}
    assert b.doc_string == a.doc_string and b.producer_name == a.producer_name
    # Field 99 is unknown to onnx.proto: the rewrite copies it byte for byte.
    assert b"slipway-unknown-field-marker" in dst.read_bytes()


def test_per_channel_raises_opset_11_to_13(run, tmp_path):
    src, dst = FIXTURES / "opset11_gemm.onnx", tmp_path / "g.onnx"
    report = convert(run, src, dst, "--weights", "int8")
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    assert report["opset"] == {"before": 11, "after": 13}
    assert model.opset_import[0].version == 13 and model.ir_version >= 7
    x, y = run_both(src, dst)
    assert cosine(x, y) >= 0.999


def test_per_channel_upgrades_an_operator_whose_meaning_changed(run, tmp_path):
    src, dst = FIXTURES / "opset11_squeeze.onnx", tmp_path / "s.onnx"
    report = convert(run, src, dst, "--weights", "int8")
    assert report["opset"] == {"before": 11, "after": 13}
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    squeeze = [n for n in model.graph.node if n.op_type == "Squeeze"]
    # Squeeze's axes attribute became its second input at opset 13 (docs/opset-upgrade.md).
    assert len(squeeze) == 1 and len(squeeze[0].input) == 2 and not squeeze[0].attribute
    x, y = run_both(src, dst)
    assert cosine(x, y) >= 0.999
    dst.unlink()
    pathlib.Path(str(dst) + ".report.json").unlink()
    # Per tensor needs only opset 10: the model keeps its opset 11.
    report = convert(run, src, dst, "--weights", "int8", "--granularity", "per-tensor")
    assert report["opset"] == {"before": 11, "after": 11}
    onnx.checker.check_model(onnx.load(str(dst)), full_check=True)


def test_pruning_by_sparsity_then_quantization(run, tmp_path):
    src, dst = EXAMPLES["mobilenet"], tmp_path / "p.onnx"
    report = convert(run, src, dst, "--sparsity", "0.5", "--weights", "int8")
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    deq = dequantized(model)
    for t in report["tensors"]:
        if t["action"] != "pruned+quantized":
            continue
        n = int(np.prod(t["shape"]))
        # Exactly the floor(0.5 n) smallest magnitudes are zeroed (no ties in random weights) and stay 0.
        assert np.count_nonzero(deq[t["name"]][0] == 0) >= (n // 2)
        assert t["sparsity"] == pytest.approx((n // 2) / n, abs=1 / n)


def test_two_four_pattern_keeps_two_of_every_four_along_the_reduction_axis(run, tmp_path):
    src, dst = EXAMPLES["encoder"], tmp_path / "p24.onnx"
    report = convert(run, src, dst, "--pattern", "2:4", "--skip", "embeddings.*")
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    pruned = [t for t in report["tensors"] if t["action"] == "pruned"]
    assert pruned
    for t in pruned:
        w = weights[t["name"]]
        if w.ndim != 2:
            continue
        # MatMul weights [K, N] reduce over K (axis 0): groups of 4 consecutive rows per column.
        groups = w[: w.shape[0] // 4 * 4].reshape(-1, 4, w.shape[1])
        assert (np.count_nonzero(groups, axis=1) <= 2).all(), t["name"]


# MARK: Safety


def test_refuses_to_write_over_the_source_by_path_symlink_or_hard_link(run, tmp_path):
    src = tmp_path / "m.onnx"
    shutil.copy(EXAMPLES["kws"], src)
    before = src.read_bytes()
    (tmp_path / "link.onnx").symlink_to(src)
    os.link(src, tmp_path / "hard.onnx")
    for out in (src, tmp_path / "link.onnx", tmp_path / "hard.onnx", tmp_path / "." / "m.onnx"):
        r = run("convert", str(src), "--output", str(out), "--weights", "int8")
        assert r.returncode == 1 and b"never overwritten" in r.stderr, out
    assert src.read_bytes() == before


def copy_example(tmp_path, folder):
    dst = tmp_path / folder
    shutil.copytree(REPO / "examples" / folder, dst)
    return dst


def test_manifest_targets_convert_then_are_up_to_date_unless_forced(run, tmp_path):
    proj = copy_example(tmp_path, "transformer-server")
    r = run("convert", "encoder.slipway.yaml", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    assert "target server-vnni: wrote" in out and "target server-avx2: wrote" in out
    vnni = proj / "dist/server-vnni/text-encoder-2.0.1.onnx"
    avx2 = proj / "dist/server-avx2/text-encoder-2.0.1.onnx"
    report = json.loads(pathlib.Path(str(avx2) + ".report.json").read_text())
    assert report["settings"]["reduce_range"] is True and report["target"] == "server-avx2"
    assert "embeddings.word" in {t["name"] for t in report["tensors"] if t["action"] == "kept"}
    onnx.checker.check_model(onnx.load(str(vnni)), full_check=True)
    stamp = vnni.stat().st_mtime_ns

    r = run("convert", "encoder.slipway.yaml", "--target", "server-vnni", cwd=proj)
    assert r.returncode == 0 and "up to date" in r.stdout.decode()
    assert vnni.stat().st_mtime_ns == stamp

    r = run("convert", "encoder.slipway.yaml", "--target", "server-vnni", "--force", cwd=proj)
    assert r.returncode == 0 and "wrote" in r.stdout.decode()

    # A changed artifact is no longer up to date: it is converted again.
    vnni.write_bytes(b"tampered")
    r = run("convert", "encoder.slipway.yaml", "--target", "server-vnni", cwd=proj)
    assert r.returncode == 0 and "wrote" in r.stdout.decode()
    onnx.checker.check_model(onnx.load(str(vnni)))


def test_manifest_cannot_write_outside_its_folder_without_the_flag(run, tmp_path):
    proj = copy_example(tmp_path, "transformer-server")
    text = (proj / "encoder.slipway.yaml").read_text().replace("to: dist/{target}", "to: ../outside/{target}")
    (proj / "encoder.slipway.yaml").write_text(text)
    r = run("convert", "encoder.slipway.yaml", "--target", "server-vnni", cwd=proj)
    assert r.returncode == 1 and b"--allow-outside-project" in r.stderr
    assert not (tmp_path / "outside").exists()
    r = run("convert", "encoder.slipway.yaml", "--target", "server-vnni", "--allow-outside-project", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    assert (tmp_path / "outside/server-vnni/text-encoder-2.0.1.onnx").exists()


def test_targets_needing_external_converters_name_the_tool_and_install_command(run, tmp_path):
    proj = copy_example(tmp_path, "mobile-cnn")
    # The mistake the example's comment warns of: a Core ML package from the ONNX model.
    manifest = proj / "mobile-cnn.slipway.yaml"
    text = manifest.read_text()
    ort = "    runtime: onnxruntime@1.20\n    device: iphone-15-pro\n    delegate: coreml\n    format: onnx\n"
    assert ort in text
    manifest.write_text(text.replace(ort, "    runtime: coreml\n    device: iphone-15-pro\n    format: mlpackage\n"))
    line = next(i for i, l in enumerate(manifest.read_text().splitlines(), 1) if l == "    format: mlpackage")
    # .venv's interpreter has no onnx2tf; Core ML cannot start from ONNX at all.
    r = run("convert", "mobile-cnn.slipway.yaml", "--python", sys.executable, cwd=proj)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "target android: ONNX → TFLite needs onnx2tf" in err and "target android: target" not in err and "pip install onnx2tf" in err
    # Refused before it starts: check's error (SW4018), listed with its place in the manifest.
    assert f"target ios: not converted: check reports 1 error for it: mobile-cnn.slipway.yaml:{line}:13: SW4018 target 'ios': Core ML from ONNX is not possible: coremltools has no ONNX frontend" in err
    assert not (proj / "dist").exists() or not any((proj / "dist").rglob("*.onnx"))


def test_a_failed_conversion_leaves_no_output_and_no_temporary(run, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(EXAMPLES["kws"].read_bytes()[:5000])
    out = tmp_path / "out" / "m.onnx"
    r = run("convert", str(bad), "--output", str(out), "--weights", "int8")
    assert r.returncode == 1
    assert not out.exists() and not list(tmp_path.rglob(".*slipway-tmp*"))


def test_sigint_leaves_no_partial_output(slipway, tmp_path):
    # A model big enough that the conversion is still running when the signal arrives.
    from onnx import TensorProto, helper
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((1024, 1024)).astype(np.float32), f"w{i}") for i in range(24)]
    nodes, prev = [], "x"
    for i in range(24):
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"]))
        prev = f"h{i}"
    g = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1024])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 1024])], initializer=inits)
    src = tmp_path / "big.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(src))
    out = tmp_path / "out.onnx"
    p = subprocess.Popen([slipway, "convert", str(src), "--output", str(out), "--weights", "int8"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=120)
    if p.returncode == 0:
        pytest.skip("the conversion finished before the signal")
    assert p.returncode in (130, -signal.SIGINT)
    assert not out.exists() and not pathlib.Path(str(out) + ".report.json").exists()
    assert not list(tmp_path.glob(".*slipway-tmp*"))


def float16_stored(model):
    """original name → stored float16 array, for every Cast(to=FLOAT) fed by a FLOAT16 initializer or Constant."""
    out = {}
    for g in all_graphs(model.graph):
        tensors = {t.name: t for t in g.initializer}
        for n in g.node:
            if n.op_type == "Constant":
                for a in n.attribute:
                    if a.name == "value":
                        tensors[n.output[0]] = a.t
        for n in g.node:
            if n.op_type == "Cast" and n.input[0] in tensors:
                assert {a.name: a.i for a in n.attribute}["to"] == onnx.TensorProto.FLOAT
                t = tensors[n.input[0]]
                assert t.data_type == onnx.TensorProto.FLOAT16, n.input[0]
                out[n.output[0]] = numpy_helper.to_array(t)
    return out


def io_types(model):
    return [(v.name, v.type.tensor_type.elem_type) for v in (*model.graph.input, *model.graph.output)]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_float16_weights_examples_are_valid_close_half_the_size_and_round_like_numpy(run, tmp_path, name):
    src, dst = EXAMPLES[name], tmp_path / f"{name}.fp16.onnx"
    report = convert(run, src, dst, "--float16")
    assert report["settings"]["float16"] == "weights" and report["settings"]["weights"] == "float16"
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    assert io_types(model) == io_types(onnx.load(str(src)))  # the edges keep their types

    x, y = run_both(src, dst)
    assert cosine(x, y) >= 0.9999

    size = dst.stat().st_size
    assert report["sizes"]["after"] == size and size < 0.6 * src.stat().st_size

    stored = float16_stored(model)
    converted = {t["name"] for t in report["tensors"] if t["action"] == "float16"}
    assert converted and set(stored) == converted
    orig = originals(src)
    for n, values in stored.items():
        # numpy's float32 → float16 is IEEE round-to-nearest-even: the stored bits must be the same.
        assert np.array_equal(values.view(np.uint16), orig[n].astype(np.float16).view(np.uint16)), n
    assert all(t["overflow"] == 0 for t in report["tensors"] if t["action"] == "float16")
    # What stays float32: scalars (a Cast would cost more than it saves) and non-float tensors.
    for t in report["tensors"]:
        if t["action"] == "kept":
            assert t["shape"] == [] or "not a float type" in t["reason"], t


def test_float16_weights_in_constant_nodes_and_if_loop_bodies(run, tmp_path):
    src, dst = FIXTURES / "constant_if_loop.onnx", tmp_path / "cil16.onnx"
    report = convert(run, src, dst, "--float16")
    converted = {(t["name"], t["holder"], t["graph"] > 0) for t in report["tensors"] if t["action"] == "float16"}
    assert {("w_const", "Constant", False), ("w_then", "initializer", True), ("w_else", "Constant", True),
            ("w_loop", "initializer", True)} <= converted
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    graphs = {g.name: g for g in all_graphs(model.graph)}
    for g in ("constant_if_loop", "then_branch", "else_branch", "loop_body"):
        assert any(n.op_type == "Cast" for n in graphs[g].node), g
    assert {"w_const", "w_then", "w_else", "w_loop"} <= set(float16_stored(model))
    for flag in (True, False):
        x, y = run_both(src, dst, {"flag": np.array(flag)})
        assert cosine(x, y) >= 0.9999


def test_float16_after_pruning_prunes_matrices_only(run, tmp_path):
    src, dst = EXAMPLES["encoder"], tmp_path / "enc16p.onnx"
    report = convert(run, src, dst, "--float16", "--sparsity", "0.5")
    model = onnx.load(str(dst))
    onnx.checker.check_model(model, full_check=True)
    stored = float16_stored(model)
    for t in report["tensors"]:
        if len(t["shape"]) >= 2 and t["action"] != "kept":
            assert t["action"] == "pruned+float16" and abs((stored[t["name"]] == 0).mean() - 0.5) < 0.01, t["name"]
        elif len(t["shape"]) == 1 and t["action"] != "kept":
            # Biases and norm scales are stored in float16 but not pruned.
            assert t["action"] == "float16" and np.array_equal(
                stored[t["name"]], originals(src)[t["name"]].astype(np.float16)), t["name"]


def test_manifest_target_with_float16_weights(run, tmp_path):
    proj = copy_example(tmp_path, "transformer-server")
    manifest = proj / "encoder.slipway.yaml"
    text = manifest.read_text().replace(
        "\ntest:", "  server-fp16:\n    runtime: onnxruntime@1.20\n    device: x86-64-avx2\n    format: onnx\n"
        "    optimize:\n      quantize: {weights: float16, activations: none}\n\ntest:")
    manifest.write_text(text)
    r = run("convert", "encoder.slipway.yaml", "--target", "server-fp16", cwd=proj)
    assert r.returncode == 0, r.stderr.decode()
    out = proj / "dist/server-fp16/text-encoder-2.0.1.onnx"
    report = json.loads(pathlib.Path(str(out) + ".report.json").read_text())
    assert report["settings"]["float16"] == "weights" and report["target"] == "server-fp16"
    actions = {t["name"]: t["action"] for t in report["tensors"]}
    assert actions["embeddings.word"] == "kept"  # the manifest's skip still applies
    assert sum(a == "float16" for a in actions.values()) > 10
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    x, y = run_both(EXAMPLES["encoder"], out)
    assert cosine(x, y) >= 0.9999


@pytest.mark.parametrize("flags", [("--weights", "int8"), ("--weights", "int4"), ("--weights", "uint4", "--asymmetric"),
                                   ("--weights", "int8", "--granularity", "per-tensor", "--sparsity", "0.5")])
def test_estimate_with_the_same_flags_predicts_the_artifact(run, tmp_path, flags):
    """`estimate MODEL` and `convert MODEL` share their flags and defaults (4-bit: per-block:32), so the
    estimate's size is the artifact's within 1 %."""
    src, dst = EXAMPLES["encoder"], tmp_path / "enc.onnx"
    convert(run, src, dst, *flags)
    r = run("estimate", str(src), *flags, "--json", "--no-cache")
    assert r.returncode == 0, r.stderr.decode()
    estimate = json.loads(r.stdout)["model"]["bytes_after"]
    assert abs(dst.stat().st_size / estimate - 1) < 0.01, (dst.stat().st_size, estimate)
