"""`slipway test --layers` inside subgraphs (docs/test.md, "`--layers`"): the values If branches and Loop bodies
compute are measured too, each over the samples (and iterations) whose run computed it, named by its path; every
float value the original computes is either measured or left out with the reason (`layers_coverage`).

On a committed synthetic model (Tests/Fixtures/layers, scripts/make_layers_fixtures.py) every figure is checked
against a numpy forward pass with the original's and the artifact's weights; on the corpus's silero-vad, whose
weights all sit inside If branches, one branch value against onnxruntime run on a copy built here by hand."""
import importlib.util
import json
import os
import pathlib
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper
from test_corpus import BY_ID, corpus_dir, model_file  # noqa: F401 (the fixture: SLIPWAY_CORPUS_DIR)

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests/Fixtures/layers"
VENV_PYTHON = sys.executable


def runner_module():
    spec = importlib.util.spec_from_file_location("run_models", REPO / "scripts/runners/run_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def convert_and_test(run, manifest):
    r = run("convert", str(manifest))
    assert r.returncode == 0, r.stderr.decode()
    r = run("test", str(manifest), "--runtime-python", VENV_PYTHON, "--json", "--layers")
    assert r.stdout, r.stderr.decode()
    report = json.loads(r.stdout)
    (t,) = report["targets"]
    assert t["layers_error"] is None, t["layers_error"]
    return report, t


def quantized_names(artifact):
    report = json.loads(pathlib.Path(artifact + ".report.json").read_text())
    return {t["name"] for t in report["tensors"] if t["action"] == "quantized"}


def tensors(model):
    """Every constant of every graph by name, the artifact's DequantizeLinear outputs dequantized (float64)."""
    out = {}

    def graphs(g):
        yield g
        for n in g.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    yield from graphs(a.g)

    every = list(graphs(model.graph))
    for g in every:
        out.update({i.name: numpy_helper.to_array(i) for i in g.initializer})
        out.update({n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant"})
    for g in every:
        for n in g.node:
            if n.op_type == "DequantizeLinear":
                q, scale = out[n.input[0]].astype(np.float64), out[n.input[1]].astype(np.float64)
                zero = out[n.input[2]].astype(np.float64) if len(n.input) > 2 and n.input[2] else np.zeros(())
                if scale.ndim == 1:
                    axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
                    shape = [1] * q.ndim
                    shape[axis] = -1
                    scale, zero = scale.reshape(shape), zero.reshape(shape) if zero.ndim else zero
                out[n.output[0]] = (q - zero) * scale
    return out


def if_loop_forward(w, x):
    """The fixture's values on one sample in float64 (scripts/make_layers_fixtures.py), each as the list of what its
    runs computed: (values, whether its branch ran) per run — one run per Loop iteration inside the Loop."""
    f = lambda k: np.asarray(w[k], np.float64)
    runs = {}

    def put(key, value, ran=True):
        runs.setdefault(key, []).append((np.asarray(value, np.float64), ran))

    x = x.astype(np.float64)
    h = x @ f("w0")
    put("h", h)
    put("sum", x.sum())
    put("zero", 0.0)
    positive = x.sum() > 0
    t, e = h @ f("w_then"), h @ f("w_else")
    put("branch/then_branch/t", t, positive)
    put("branch/then_branch/t_relu", np.maximum(t, 0), positive)
    put("branch/else_branch/w_else", f("w_else"), not positive)
    put("branch/else_branch/e", e, not positive)
    put("branch/else_branch/e_tanh", np.tanh(e), not positive)
    state = np.maximum(t, 0) if positive else np.tanh(e)
    put("b", state)
    trace = []
    for i in range(3):
        put("loop/body/state", state)  # what the iteration receives: measured for its readers' input SQNR
        pre = state @ f("w_loop")
        l = np.tanh(pre)
        trace.append(l)
        put("loop/body/l_mm", pre)
        put("loop/body/l", l)
        odd = i % 2 == 1
        put("loop/body/inner/then_branch/half", 0.5, odd)
        put("loop/body/inner/then_branch/u_half", l * 0.5, odd)
        put("loop/body/inner/else_branch/u_mm", l @ f("w_inner"), not odd)
        state = l * 0.5 if odd else l @ f("w_inner")
        put("loop/body/state_next", state)
    put("y", state)
    put("trace", np.stack(trace))
    return runs


def sqnr_over_runs(reference, artifact):
    """SQNR (dB) over the runs that computed the value; None when exact."""
    signal = sum(float((r ** 2).sum()) for (r, ran), _ in zip(reference, artifact) if ran)
    noise = sum(float(((r - a) ** 2).sum()) for (r, ran), (a, _) in zip(reference, artifact) if ran)
    return None if noise == 0 else 10 * np.log10(signal / noise)


IF_LOOP_VALUES = [
    "h", "sum", "zero",
    "branch/then_branch/t", "branch/then_branch/t_relu",
    "branch/else_branch/w_else", "branch/else_branch/e", "branch/else_branch/e_tanh", "b",
    "loop/body/l_mm", "loop/body/l",
    "loop/body/inner/then_branch/half", "loop/body/inner/then_branch/u_half", "loop/body/inner/else_branch/u_mm",
    "loop/body/state_next", "y", "trace",
]


def test_values_inside_if_branches_and_a_loop_body_are_measured_where_they_ran(run, tmp_path):
    """The synthetic If + Loop model, int8 weights: every float value in every graph is measured (in graph order, a
    body's values before its node's outputs), each over the samples that took its branch and, inside the Loop, the
    iterations that took the inner If's; its SQNR, converted weights and worst input equal numpy's."""
    shutil.copy(FIXTURES / "if_loop.onnx", tmp_path / "if_loop.onnx")
    (tmp_path / "data").mkdir()
    rng = np.random.default_rng(23)
    for i in range(8):  # half the samples sum above 0 (then_branch), half below (else_branch)
        x = np.abs(rng.standard_normal((1, 8))).astype(np.float32)
        np.save(tmp_path / "data" / f"s{i}.npy", x if i % 2 else -x)
    manifest = tmp_path / "if_loop.slipway.yaml"
    manifest.write_text("slipway: 1\nname: if-loop\nmodel: {path: if_loop.onnx, inputs: {x: [1, 8]}}\ntargets:\n"
                        "  server: {runtime: onnxruntime, format: onnx, optimize: {quantize: {weights: int8}}}\n"
                        "test:\n  samples: data\n  tolerance: {cosine: 0.99}\n")
    report, t = convert_and_test(run, manifest)
    layers = t["layers"]
    assert [l["value"] for l in layers] == IF_LOOP_VALUES
    assert t["layers_coverage"] == {"measured": 17, "left_out": 0, "reasons": []}
    by_value = {l["value"]: l for l in layers}
    assert {k: (by_value[k]["node"], by_value[k]["op"]) for k in
            ["branch/then_branch/t", "branch/else_branch/e", "loop/body/l_mm", "loop/body/inner/else_branch/u_mm", "y"]} == {
        "branch/then_branch/t": ("mm_then", "MatMul"), "branch/else_branch/e": ("mm_else", "MatMul"),
        "loop/body/l_mm": ("mm_loop", "MatMul"), "loop/body/inner/else_branch/u_mm": ("mm_inner", "MatMul"),
        "y": ("loop", "Loop")}
    # The weights each node reads that the artifact converted, in whichever graph they are: the names the
    # converter's quantize.skip matches (an initializer of the then_branch, a Constant of the else_branch, of the
    # Loop body, of the If inside it).
    assert {l["value"]: l["weights"] for l in layers if l["weights"]} == {
        "h": ["w0"], "branch/then_branch/t": ["w_then"], "branch/else_branch/e": ["w_else"],
        "loop/body/l_mm": ["w_loop"], "loop/body/inner/else_branch/u_mm": ["w_inner"]}
    assert quantized_names(t["artifact"]) == {"w0", "w_then", "w_else", "w_loop", "w_inner"}

    reference, artifact = tensors(onnx.load(str(tmp_path / "if_loop.onnx"))), tensors(onnx.load(t["artifact"]))
    runs_r, runs_a = {}, {}
    for f in report["samples"]["files"]:
        x = np.load(f)
        for runs, w in ((runs_r, reference), (runs_a, artifact)):
            for key, value in if_loop_forward(w, x).items():
                runs.setdefault(key, []).extend(value)
    expected = {k: sqnr_over_runs(runs_r[k], runs_a[k]) for k in runs_r}
    for l in layers:  # float32 in onnxruntime, float64 here
        if expected[l["value"]] is None:
            assert l["sqnr_db"] is None and l["exact"], l
        else:
            assert l["sqnr_db"] == pytest.approx(expected[l["value"]], abs=1e-3), l
    # What arrives: an If's node reads the outer values its branches read (h), the Loop body's MatMul the state each
    # iteration receives (the If's b on the first, the inner If's output after).
    assert by_value["b"]["input_sqnr_db"] == pytest.approx(expected["h"], abs=1e-3)
    assert by_value["branch/else_branch/e"]["input_sqnr_db"] == pytest.approx(expected["h"], abs=1e-3)
    assert by_value["loop/body/l_mm"]["input_sqnr_db"] == pytest.approx(expected["loop/body/state"], abs=1e-3)
    assert by_value["y"]["input_sqnr_db"] == pytest.approx(expected["b"], abs=1e-3)
    assert by_value["loop/body/inner/else_branch/u_mm"]["input_sqnr_db"] == pytest.approx(expected["loop/body/l"], abs=1e-3)


def test_a_loop_whose_values_cannot_be_stacked_is_left_out_and_said(run, tmp_path):
    """A Loop state that grows on every iteration cannot be a scan output: onnxruntime refuses the copy surfacing
    it, and the runner measures again without the Loop body's values, counting them as left out with onnxruntime's
    words; the top-level values are still measured."""
    shutil.copy(FIXTURES / "loop_growing.onnx", tmp_path / "loop_growing.onnx")
    (tmp_path / "data").mkdir()
    rng = np.random.default_rng(29)
    for i in range(3):
        np.save(tmp_path / "data" / f"s{i}.npy", rng.standard_normal((1, 4)).astype(np.float32))
    manifest = tmp_path / "lg.slipway.yaml"
    manifest.write_text("slipway: 1\nname: lg\nmodel: {path: loop_growing.onnx, inputs: {x: [1, 4]}}\ntargets:\n"
                        "  server: {runtime: onnxruntime, format: onnx, optimize: {quantize: {weights: int8}}}\n"
                        "test:\n  samples: data\n  tolerance: {cosine: 0.99}\n")
    _, t = convert_and_test(run, manifest)
    assert [l["value"] for l in t["layers"]] == ["h", "y"]
    coverage = t["layers_coverage"]
    assert (coverage["measured"], coverage["left_out"]) == (2, 2)
    (reason,) = coverage["reasons"]
    assert reason["values"] == 2 and reason["examples"] == ["loop/body/t", "loop/body/state_next"]
    assert reason["reason"].startswith("onnxruntime could not run the copy surfacing the values inside Loop bodies (")
    assert "Inconsistent shape in loop output" in reason["reason"]
    text = run("test", str(manifest), "--runtime-python", VENV_PYTHON, "--layers").stdout.decode()
    assert "  layers: 2 of 4 float values left out: 2 onnxruntime could not run the copy surfacing the values inside Loop bodies" in text


def float_values(model):
    """How many values of a float type (or of a type shape inference does not know) the nodes of every graph
    compute: what `layers` and its left-out values must add up to."""
    typed = onnx.shape_inference.infer_shapes(model)
    count = 0

    def walk(g):
        nonlocal count
        known = {v.name: v.type.tensor_type.elem_type for v in list(g.value_info) + list(g.output)}
        for n in g.node:
            count += sum(1 for o in n.output if o and known.get(o, 0) in (0, onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16))
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)

    walk(typed.graph)
    return count


def with_branch_output(path, branch, value):
    """The model with one value of If_0's `branch` as an extra graph output (the other branch outputs an empty
    float tensor in its place): onnxruntime's own values for it, independent of the runner's copies."""
    model = onnx.load(str(path))
    node = next(n for n in model.graph.node if n.name == "If_0")
    graphs = {a.name: a.g for a in node.attribute}
    other = "else_branch" if branch == "then_branch" else "then_branch"
    graphs[branch].output.append(helper.make_tensor_value_info(value, onnx.TensorProto.FLOAT, None))
    graphs[other].node.append(helper.make_node("Constant", [], ["probe_pad"], value=numpy_helper.from_array(np.zeros(0, np.float32))))
    graphs[other].output.append(helper.make_tensor_value_info("probe_pad", onnx.TensorProto.FLOAT, None))
    node.output.append("probe")
    model.graph.output.append(helper.make_tensor_value_info("probe", onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def test_silero_vad_reports_the_layers_inside_its_if_branches(run, corpus_dir, tmp_path):
    """silero-vad keeps every weight in Constants inside the branches of If_0 (16 kHz / 8 kHz): `--layers` measures
    the 16 kHz branch the samples take, names each value by its path and each node's converted weights by the
    names quantize.skip matches, leaves the 8 kHz branch out as not run, and one of its convolutions' SQNR equals
    onnxruntime's on a copy exposing it built here, computed with numpy."""
    entry = BY_ID["silero-vad"]
    os.symlink(model_file(corpus_dir, entry), tmp_path / "silero_vad.onnx")
    (tmp_path / "data").mkdir()
    rng = np.random.default_rng(31)
    for i in range(6):
        t = np.arange(512) / 16000
        audio = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 2000) * t) + 0.05 * rng.standard_normal(512)
        np.savez(tmp_path / "data" / f"s{i}.npz", input=audio[None].astype(np.float32),
                 state=(0.1 * rng.standard_normal((2, 1, 128))).astype(np.float32), sr=np.array(16000, np.int64))
    manifest = tmp_path / "vad.slipway.yaml"
    manifest.write_text("slipway: 1\nname: vad\nmodel:\n  path: silero_vad.onnx\n"
                        "  inputs: {input: [1, 512], state: [2, 1, 128], sr: []}\ntargets:\n"
                        "  server: {runtime: onnxruntime, format: onnx, optimize: {quantize: {weights: int8}}}\n"
                        "test:\n  samples: data\n  tolerance: {cosine: 0.9}\n")
    report, t = convert_and_test(run, manifest)
    layers, coverage = t["layers"], t["layers_coverage"]
    inner = [l for l in layers if l["value"].startswith("If_0/then_branch/")]
    assert len(inner) > 50 and not [l for l in layers if l["value"].startswith("If_0/else_branch/")]
    assert all(l["sqnr_db"] is None or np.isfinite(l["sqnr_db"]) for l in layers)
    # Every float value the original computes, in every graph, is measured or left out, and the reasons add up.
    assert coverage["measured"] == len(layers)
    assert coverage["measured"] + coverage["left_out"] == float_values(onnx.load(str(tmp_path / "silero_vad.onnx")))
    assert sum(r["values"] for r in coverage["reasons"]) == coverage["left_out"]
    not_run = next(r for r in coverage["reasons"] if r["reason"] == "no sample ran the branch that computes it")
    assert not_run["values"] > 100  # the 8 kHz branch and the inner branches these shapes do not take

    # The quantized convolutions of the branch: their converted weights by the names quantize.skip matches.
    quantized = quantized_names(t["artifact"])
    convs = [l for l in inner if l["op"] == "Conv"]
    assert len(convs) == 6 and all(l["weights"] and set(l["weights"]) <= quantized for l in convs)
    assert {w for l in layers for w in l["weights"]} == {n for n in quantized if n.startswith("If_0_then_branch")}
    conv = next(l for l in convs if l["node"] == "If_0_then_branch__Inline_0__/encoder/2/reparam_conv/Conv")
    assert conv["value"] == "If_0/then_branch/If_0_then_branch__Inline_0__/encoder/2/reparam_conv/Conv_output_0"
    assert conv["weights"] == ["If_0_then_branch__Inline_0__encoder.2.reparam_conv.weight"]

    # onnxruntime's values of that convolution in both models, on a copy exposing it built here, and numpy's SQNR.
    value = conv["value"].split("/", 2)[2]
    sessions = [with_branch_output(p, "then_branch", value) for p in (tmp_path / "silero_vad.onnx", t["artifact"])]
    got = [[], []]
    for f in report["samples"]["files"]:
        with np.load(f) as z:
            feed = {k: z[k] for k in ("input", "state", "sr")}
        for k, s in enumerate(sessions):
            got[k].append(s.run(["probe"], feed)[0].astype(np.float64).ravel())
    r_, a_ = np.concatenate(got[0]), np.concatenate(got[1])
    assert conv["sqnr_db"] == pytest.approx(10 * np.log10((r_ ** 2).sum() / ((r_ - a_) ** 2).sum()), abs=1e-6)
    # Its worst input is the previous layer's ReLU, measured in the same branch.
    relu = next(l for l in inner if l["node"] == "If_0_then_branch__Inline_0__/encoder/1/activation/Relu")
    assert conv["input_sqnr_db"] == relu["sqnr_db"]

    # The runner's copies of both models, which onnxruntime ran, are valid ONNX (every output with a rank, both
    # branches of every If with as many outputs), and measure what `slipway test` reported.
    runner = runner_module()
    samples = []
    for f in report["samples"]["files"]:
        with np.load(f) as z:
            samples.append({k: z[k] for k in ("input", "state", "sr")})
    out = tmp_path / "runner"
    out.mkdir()
    again, again_coverage = runner.layer_sqnr(str(tmp_path / "silero_vad.onnx"), t["artifact"], samples, str(out), "t")
    assert again_coverage == coverage
    assert [(l["value"], l["sqnr_db"]) for l in again] == [(l["value"], l["sqnr_db"]) for l in layers]
    for copy in ("t.reference.layers.onnx", "t.artifact.layers.onnx"):
        onnx.checker.check_model(onnx.load(str(out / copy)), full_check=True)
