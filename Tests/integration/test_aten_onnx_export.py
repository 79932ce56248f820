"""A PyTorch model bound for an ONNX Runtime execution provider is judged by the ONNX operators torch.onnx.export
writes for each of its ATen calls (aten_to_onnx, measured per exporter by scripts/catalogue/measure_aten_onnx.py).
The proof that the table predicts an export is the export itself: the committed fixtures, exported here with the
exporter their route uses (the TorchScript exporter at opset 17 for a .pt, the dynamo exporter at opset 18 for a
.pt2), write no ONNX operator outside what the table gives for their ATen calls (and what the table adds is named)."""
import json
import os
import subprocess
import textwrap

from conftest import REPO

COREML_PYTHON = os.environ.get("SLIPWAY_COREML_PYTHON", str(REPO / ".venv-coreml/bin/python"))
FIXTURES = REPO / "Tests/Fixtures/models/pytorch"

# Prints {"calls": [ATen calls as Slipway names them], "onnx": [ONNX operators written, Constant left out]}.
EXPORT = textwrap.dedent('''
    import contextlib, io, json, sys, warnings
    warnings.filterwarnings("ignore")
    sys.path.insert(0, sys.argv[3])
    import onnx, torch
    import measure_aten_onnx as m
    path, exporter, shape = sys.argv[1], sys.argv[2], json.loads(sys.argv[4])
    with contextlib.redirect_stdout(io.StringIO()):
        if exporter == "torchscript":
            module = torch.jit.load(path)
            x = (torch.randn(*shape),)
            # The calls on tensors, loop bodies included (a scripted module's checks on Python values, dim and eq,
            # are not operators).
            def walk(nodes):
                for n in nodes:
                    yield n
                    for b in n.blocks():
                        yield from walk(b.nodes())
            calls = [m.evaluator_name(n) for n in walk(module.inlined_graph.nodes()) if n.kind().startswith("aten::")
                     and any(isinstance(o.type(), torch._C.TensorType) for o in n.outputs())]
            f = io.BytesIO()
            torch.onnx.export(module, x, f, opset_version=17, dynamo=False)
            proto = onnx.load_from_string(f.getvalue())
        else:
            ep = torch.export.load(path)
            calls = [".".join(str(n.target).split(".")[1:]) for n in ep.graph.nodes
                     if n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload)]
            proto = torch.onnx.export(ep, ep.example_inputs[0], opset_version=18, dynamo=True).model_proto
    print(json.dumps({"calls": [c for c in calls if c not in m.SCALAR_CALLS], "onnx": m.onnx_types(proto)}))
''')


def export(fixture, exporter, shape=(1, 3, 32, 32)):
    r = subprocess.run([COREML_PYTHON, "-c", EXPORT, str(FIXTURES / fixture), exporter, str(REPO / "scripts/catalogue"),
                        json.dumps(list(shape))],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def table(exporter):
    ops = json.loads((REPO / "Schemas/targets/operators.json").read_text())
    return ops["aten_to_onnx"]["exporters"][exporter]["operators"]


def test_the_traced_cnn_exports_to_the_onnx_operators_the_table_predicts():
    got = export("traced_cnn.pt", "torchscript")
    t = table("torchscript")
    assert sorted(set(got["calls"])) == ["adaptive_avg_pool2d", "add", "batch_norm", "conv2d", "flatten", "hardtanh_",
                                         "linear", "max_pool2d", "relu"], got
    predicted = {o for c in got["calls"] for o in t[c]}
    assert got["onnx"] == ["Add", "Clip", "Conv", "Flatten", "Gemm", "GlobalAveragePool", "MaxPool", "Relu"], got
    # Nothing outside the prediction. What the prediction holds beyond it: linear's other export (MatMul + Add on an
    # input above 2-D), adaptive_avg_pool2d's (AveragePool to a size above 1x1), and the batch norm, which the exporter
    # folds into the convolution before it - judged, so conservative, never missing.
    assert set(got["onnx"]) <= predicted, (got, predicted)
    assert predicted - set(got["onnx"]) == {"AveragePool", "BatchNormalization", "MatMul"}


def test_the_exported_program_exports_to_the_onnx_operators_the_table_predicts():
    got = export("exported.pt2", "dynamo")
    t = table("dynamo")
    assert sorted(set(got["calls"])) == ["batch_norm.default", "conv2d.default", "linear.default", "mean.dim"], got
    predicted = {o for c in got["calls"] for o in t[c]}
    assert got["onnx"] == ["Conv", "Gemm", "ReduceMean"], got
    assert set(got["onnx"]) <= predicted, (got, predicted)
    assert predicted - set(got["onnx"]) == {"Add", "BatchNormalization", "MatMul"}


def test_a_scripted_lstm_cell_exports_to_the_onnx_operators_the_table_predicts():
    # Only scripted code calls lstm_cell (a trace records what it decomposes into): measured on a scripted cell, and
    # here a cell stepped over five time steps in a scripted loop, which the exporter unrolls.
    got = export("scripted_cell.pt", "torchscript", shape=(1, 5, 8))
    t = table("torchscript")
    # The graph's calls in every block: the cell's squeeze and unsqueeze of an unbatched input are in branches a
    # batched input does not take (nor does Slipway's evaluation at [1, 5, 8]), but they are in the graph.
    assert sorted(set(got["calls"])) == ["lstm_cell", "select", "slice", "squeeze", "unsqueeze", "zeros"], got
    assert got["calls"].count("lstm_cell") == 1  # once in the graph's loop body, five times in the export
    predicted = {o for c in got["calls"] for o in t[c]}
    assert t["lstm_cell"] == ["LSTM", "Squeeze", "Unsqueeze"]
    assert set(got["onnx"]) <= predicted, (got, predicted)


def test_the_committed_table_is_what_the_installed_torch_measures():
    r = subprocess.run([COREML_PYTHON, str(REPO / "scripts/catalogue/measure_aten_onnx.py"), "--check"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
