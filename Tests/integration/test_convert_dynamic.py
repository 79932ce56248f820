"""`slipway convert --dynamic` against onnxruntime's own `quantize_dynamic` on the same models and settings.

Dynamic quantization writes what `quantize_dynamic` writes (DynamicQuantizeLinear on each activation,
MatMulInteger / ConvInteger on the weight codes, Cast, Mul by the two scales): the output must pass
`onnx.checker.check_model(full_check=True)`, run in onnxruntime, keep its output SQNR against the float32 model
above a floor per model, and be within 1 dB of `quantize_dynamic`'s with the same per_channel, reduce_range and
weight_type. Where onnxruntime's kernels take no integer form (ConvInteger has no int8-weight or per-channel
kernel), Slipway keeps those weights weight-only and the model runs; `quantize_dynamic` writes a model that
onnxruntime refuses to load, which the tests record. Weights in Constant nodes and If/Loop bodies, which
`quantize_dynamic` leaves in float, are quantized too.
"""
import json
import pathlib
from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from test_convert_onnx import EXAMPLES, FIXTURES, all_graphs, feeds
from exact_ort import exact_session

# Output SQNR floors (dB) against float32, met by every setting below (measured: ≥ 26.1 CNNs, ≥ 34 encoder).
FLOOR = {"kws": 25.0, "mobilenet": 25.0, "encoder": 30.0}


def session(path):
    return exact_session(path)


def output_sqnr(src, dst, extra=None):
    a, b = session(src), session(dst)
    f = feeds(a)
    f.update(extra or {})
    x = a.run(None, f)[0].astype(np.float64)
    y = b.run(None, f)[0].astype(np.float64)
    return 10 * np.log10(float((x ** 2).sum()) / float(((x - y) ** 2).sum()))


def op_counts(model):
    return Counter(n.op_type for g in all_graphs(model.graph) for n in g.node)


def convert(run, src, dst, *args):
    r = run("convert", str(src), "--output", str(dst), "--dynamic", *args)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(pathlib.Path(str(dst) + ".report.json").read_text())


SETTINGS = {  # id → (slipway flags, quantize_dynamic keywords)
    "int8-per-tensor": ([], dict(per_channel=False, weight_type="QInt8")),
    "int8-per-channel": (["--granularity", "per-channel"], dict(per_channel=True, weight_type="QInt8")),
    "int8-per-channel-reduce-range": (["--reduce-range"], dict(per_channel=True, reduce_range=True, weight_type="QInt8")),
    "uint8-per-tensor": (["--weights", "uint8", "--asymmetric"], dict(per_channel=False, weight_type="QUInt8")),
    "uint8-per-tensor-reduce-range": (["--weights", "uint8", "--asymmetric", "--reduce-range"],
                                      dict(per_channel=False, reduce_range=True, weight_type="QUInt8")),
    "uint8-per-channel": (["--weights", "uint8", "--asymmetric", "--granularity", "per-channel"],
                          dict(per_channel=True, weight_type="QUInt8")),
}


@pytest.mark.parametrize("setting", sorted(SETTINGS))
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_match_or_beat_quantize_dynamic(run, tmp_path, name, setting):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    flags, kw = SETTINGS[setting]
    if "--granularity" not in flags:
        flags = flags + ["--granularity", "per-channel" if kw["per_channel"] else "per-tensor"]
    src, ours, theirs = EXAMPLES[name], tmp_path / "ours.onnx", tmp_path / "ort.onnx"
    report = convert(run, src, ours, *flags)
    assert report["settings"]["dynamic"] is True and report["settings"]["format"] == "qoperator"
    model = onnx.load(str(ours))
    onnx.checker.check_model(model, full_check=True)
    ops = op_counts(model)
    assert ops["DynamicQuantizeLinear"] >= 1 and ops["MatMulInteger"] + ops["ConvInteger"] >= 1
    sqnr = output_sqnr(src, ours)
    assert sqnr >= FLOOR[name], f"{sqnr:.2f} dB"

    quantize_dynamic(str(src), str(theirs), per_channel=kw["per_channel"], reduce_range=kw.get("reduce_range", False),
                     weight_type=getattr(QuantType, kw["weight_type"]))
    try:
        reference = output_sqnr(src, theirs)
    except Exception as e:  # onnxruntime has no ConvInteger kernel for int8 weights
        assert "ConvInteger" in str(e) and kw["weight_type"] == "QInt8", e
        assert ops["ConvInteger"] == 0  # Slipway keeps those Conv weights weight-only, and the model runs
        return
    assert sqnr >= reference - 1.0, f"ours {sqnr:.2f} dB, quantize_dynamic {reference:.2f} dB"
    theirs_ops = op_counts(onnx.load(str(theirs)))
    if not kw["per_channel"]:
        # The same form: as many integer operators and activation quantizations (a quantized Gather's codes
        # feed MatMulInteger directly), and the same output within 1 dB.
        assert abs(sqnr - reference) <= 1.0, f"ours {sqnr:.2f} dB, quantize_dynamic {reference:.2f} dB"
        for op in ("MatMulInteger", "ConvInteger", "DynamicQuantizeLinear"):
            assert ops[op] == theirs_ops[op], op


def test_constant_and_subgraph_weights_where_quantize_dynamic_does_nothing(run, tmp_path):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src, ours, theirs = FIXTURES / "constant_if_loop.onnx", tmp_path / "ours.onnx", tmp_path / "ort.onnx"
    quantize_dynamic(str(src), str(theirs), weight_type=QuantType.QInt8)
    assert op_counts(onnx.load(str(theirs)))["MatMulInteger"] == 0  # every weight left in float

    report = convert(run, src, ours)
    done = {(t["name"], t["holder"], t["graph"] > 0) for t in report["tensors"] if t.get("form") == "MatMulInteger"}
    assert done == {("w_const", "Constant", False), ("w_then", "initializer", True),
                    ("w_else", "Constant", True), ("w_loop", "initializer", True)}
    model = onnx.load(str(ours))
    onnx.checker.check_model(model, full_check=True)
    for g in all_graphs(model.graph):
        kinds = [n.op_type for n in g.node]
        if g.name != "loop_body" or "MatMulInteger" in kinds:  # every graph with a weight
            assert "MatMul" not in kinds and "DynamicQuantizeLinear" in kinds, g.name
    assert op_counts(model)["MatMulInteger"] == 4
    # Everything the rewrite does not change is copied: metadata, doc string, an unknown field (99).
    source = onnx.load(str(src))
    assert model.metadata_props == source.metadata_props and model.doc_string == source.doc_string
    assert b"slipway-unknown-field-marker" in ours.read_bytes()
    for flag in (True, False):  # both If branches
        assert output_sqnr(src, ours, {"flag": np.array(flag)}) >= 25.0


def test_gemm_becomes_matmulinteger_plus_add_at_opset_11(run, tmp_path):
    src, ours = FIXTURES / "opset11_gemm.onnx", tmp_path / "g.onnx"
    report = convert(run, src, ours)
    model = onnx.load(str(ours))
    onnx.checker.check_model(model, full_check=True)
    assert [n.op_type for n in model.graph.node] == ["DynamicQuantizeLinear", "Mul", "MatMulInteger", "Cast", "Mul",
                                                     "Add", "Relu"]
    assert report["opset"] == {"before": 11, "after": 11}
    assert output_sqnr(src, ours) >= 30.0


def test_manifest_activations_dynamic(run, tmp_path):
    folder = tmp_path / "p"
    (folder / "models").mkdir(parents=True)
    (folder / "models/encoder.onnx").write_bytes(EXAMPLES["encoder"].read_bytes())
    (folder / "m.slipway.yaml").write_text(
        "slipway: 1\nname: enc\nmodel: {path: models/encoder.onnx}\n"
        "targets:\n  cpu:\n    runtime: onnxruntime\n    format: onnx\n    output: dist/enc.onnx\n"
        "    optimize: {quantize: {weights: int8, activations: dynamic}}\n")
    check = run("check", str(folder / "m.slipway.yaml"))
    assert b"SW4010" not in check.stdout + check.stderr  # no calibration asked for
    r = run("convert", str(folder / "m.slipway.yaml"))
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads((folder / "dist/enc.onnx.report.json").read_text())
    assert report["settings"]["dynamic"] is True
    assert op_counts(onnx.load(str(folder / "dist/enc.onnx")))["MatMulInteger"] == 12
    # The artifact's size is the estimate's within 1 %: the estimate counts the integer operators' nodes.
    est = run("estimate", str(folder / "m.slipway.yaml"), "--json")
    assert est.returncode == 0, est.stderr.decode()
    row = json.loads(est.stdout)["targets"][0]
    size = (folder / "dist/enc.onnx").stat().st_size
    assert abs(size - row["size_bytes"]) / size <= 0.01, (size, row["size_bytes"])


@pytest.mark.parametrize("quantize", ["{weights: int8}", "{weights: int8, activations: dynamic}",
                                      "{weights: uint8, symmetric: false, granularity: per-tensor, activations: dynamic}",
                                      "{weights: int4, granularity: 'per-block:32'}"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_artifact_size_is_the_estimate_within_one_percent(run, tmp_path, name, quantize):
    folder = tmp_path / "p"
    (folder / "models").mkdir(parents=True)
    (folder / "models/m.onnx").write_bytes(EXAMPLES[name].read_bytes())
    (folder / "m.slipway.yaml").write_text(
        "slipway: 1\nname: m\nmodel: {path: models/m.onnx}\n"
        f"targets:\n  t: {{runtime: onnxruntime, format: onnx, output: out.onnx, optimize: {{quantize: {quantize}}}}}\n")
    r = run("convert", str(folder / "m.slipway.yaml"))
    assert r.returncode == 0, r.stderr.decode()
    est = run("estimate", str(folder / "m.slipway.yaml"), "--json")
    row = json.loads(est.stdout)["targets"][0]
    size = (folder / "out.onnx").stat().st_size
    assert abs(size - row["size_bytes"]) / size <= 0.01, (size, row["size_bytes"])


def test_global_prune_scope_zeroes_the_estimates_sparsity(run, tmp_path):
    """prune.scope: global converts with the engine's one model-wide threshold: the artifact's sparsity over the
    pruned tensors is the sparsity `slipway estimate` reports for the target."""
    folder = tmp_path / "p"
    (folder / "models").mkdir(parents=True)
    (folder / "models/m.onnx").write_bytes(EXAMPLES["encoder"].read_bytes())
    (folder / "m.slipway.yaml").write_text(
        "slipway: 1\nname: m\nmodel: {path: models/m.onnx}\n"
        "targets:\n  t: {runtime: onnxruntime, format: onnx, output: out.onnx,\n"
        "      optimize: {quantize: {weights: int8}, prune: {sparsity: 0.6, scope: global}}}\n")
    r = run("convert", str(folder / "m.slipway.yaml"))
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads((folder / "out.onnx.report.json").read_text())
    assert report["settings"]["prune_scope"] == "global"
    model = onnx.load(str(folder / "out.onnx"))
    codes = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    pruned = [t["name"] for t in report["tensors"] if t["action"] == "pruned+quantized"]
    # int8 symmetric: a pruned weight is code 0 (the zero point); kept ones lie above the threshold, far from 0.
    assert all(not codes[n + "_zero_point"].any() for n in pruned)
    zeros = sum(int((codes[n + "_quantized"] == 0).sum()) for n in pruned)
    total = sum(codes[n + "_quantized"].size for n in pruned)
    est = run("estimate", str(folder / "m.slipway.yaml"), "--json")
    row = json.loads(est.stdout)["targets"][0]
    assert row["pruning"]["sparsity"] == pytest.approx(zeros / total, abs=1e-3)
    per_tensor = [t["sparsity"] for t in report["tensors"] if t["action"] == "pruned+quantized"]
    assert max(per_tensor) - min(per_tensor) > 0.05  # one threshold: unequal sparsity per tensor


@pytest.mark.parametrize("scope", ["per-tensor", "global"])
def test_prune_skip_and_quantize_skip_are_separate_in_the_artifact_and_the_estimate(run, tmp_path, scope):
    """A tensor in quantize.skip stays float but is pruned; one in prune.skip stays dense but is quantized; the
    estimate's pruning sparsity is the artifact's, over the tensors pruning takes."""
    folder = tmp_path / "p"
    (folder / "models").mkdir(parents=True)
    (folder / "models/m.onnx").write_bytes(EXAMPLES["encoder"].read_bytes())
    (folder / "m.slipway.yaml").write_text(
        "slipway: 1\nname: m\nmodel: {path: models/m.onnx}\n"
        "targets:\n  t: {runtime: onnxruntime, format: onnx, output: out.onnx,\n"
        "      optimize: {quantize: {weights: int8, skip: ['layer0.ffn.*']},\n"
        f"                 prune: {{sparsity: 0.5, scope: {scope}, skip: ['layer0.attn.*']}}}}}}\n")
    r = run("convert", str(folder / "m.slipway.yaml"))
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads((folder / "out.onnx.report.json").read_text())
    action = {t["name"]: t for t in report["tensors"]}
    assert action["layer0.ffn.up.weight"]["action"] == "pruned"  # float, with zeros
    assert action["layer0.attn.q.weight"]["action"] == "quantized"  # int8, dense
    assert action["layer1.ffn.up.weight"]["action"] == "pruned+quantized"
    pruned = [t for t in report["tensors"] if t["action"] in ("pruned", "pruned+quantized")]
    n = [int(np.prod(t["shape"])) for t in pruned]
    sparsity = sum(t["sparsity"] * k for t, k in zip(pruned, n)) / sum(n)
    est = run("estimate", str(folder / "m.slipway.yaml"), "--json")
    row = json.loads(est.stdout)["targets"][0]
    assert row["pruning"]["sparsity"] == pytest.approx(sparsity, abs=1e-4)
    model = onnx.load(str(folder / "out.onnx"))
    floats = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    zeros = (floats["layer0.ffn.up.weight"] == 0).mean()
    assert zeros == pytest.approx(action["layer0.ffn.up.weight"]["sparsity"])
    if scope == "per-tensor":
        assert zeros == pytest.approx(0.5, abs=1e-3)


def test_conv_weights_in_constants_and_if_branches_where_quantize_dynamic_fails(run, tmp_path):
    """uint8 per-tensor (the only ConvInteger onnxruntime runs): quantize_dynamic raises on a Conv whose weight
    is a Constant node; Slipway writes ConvInteger in the main graph and both If branches."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src, ours = FIXTURES / "conv_constant_if.onnx", tmp_path / "ours.onnx"
    with pytest.raises(ValueError, match="to be an initializer"):
        quantize_dynamic(str(src), str(tmp_path / "ort.onnx"), weight_type=QuantType.QUInt8)
    report = convert(run, src, ours, "--weights", "uint8", "--asymmetric", "--granularity", "per-tensor")
    assert sorted(t["name"] for t in report["tensors"] if t.get("form") == "ConvInteger") == ["w_else", "w_stem", "w_then"]
    model = onnx.load(str(ours))
    onnx.checker.check_model(model, full_check=True)
    graphs = {g.name: [n.op_type for n in g.node] for g in all_graphs(model.graph)}
    for g in ("conv_constant_if", "then_branch", "else_branch"):
        assert "ConvInteger" in graphs[g] and "Conv" not in graphs[g], g
    else_conv = next(n for g in all_graphs(model.graph) for n in g.node if n.op_type == "ConvInteger"
                     and g.name == "else_branch")
    assert {a.name: onnx.helper.get_attribute_value(a) for a in else_conv.attribute}["group"] == 4
    for flag in (True, False):
        assert output_sqnr(src, ours, {"flag": np.array(flag)}) >= 30.0


def test_old_model_listing_initializers_as_inputs_is_raised_to_opset_11(run, tmp_path):
    """IR 4 / opset 9, the weight also a graph input (as old exporters wrote): DynamicQuantizeLinear needs
    opset 11 (IR 6), and the weight, now stored under its codes' name, is no longer a graph input."""
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(3)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "old",
                          [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 16]),
                           helper.make_tensor_value_info("w", onnx.TensorProto.FLOAT, [16, 8])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2, 8])],
                          [numpy_helper.from_array((rng.standard_normal((16, 8)) * 0.2).astype(np.float32), "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)])
    m.ir_version = 4
    src, ours = tmp_path / "old.onnx", tmp_path / "ours.onnx"
    onnx.save(m, str(src))
    report = convert(run, src, ours)
    assert report["opset"] == {"before": 9, "after": 11}
    q = onnx.load(str(ours))
    onnx.checker.check_model(q, full_check=True)
    assert q.ir_version == 6 and [i.name for i in q.graph.input] == ["x"]
    assert [i.name for i in session(ours).get_inputs()] == ["x"]
    assert output_sqnr(src, ours) >= 30.0
