#!/usr/bin/env python3
"""Measures what onnx2tf and LiteRT do with each ONNX operator on a 7-D tensor.

    .venv-convert/bin/python scripts/catalogue/measure_rank_above_6.py [--check] [--cases Name,Name…] [--jobs N]

XNNPACK, the delegate LiteRT applies by default, claims some builtins whatever their rank and then fails to
prepare one above XNN_MAX_TENSOR_DIMS (6), refusing the model (derive_xnnpack.py reads which). Whether an ONNX node
above 6-D reaches such a builtin at that rank is onnx2tf's choice: it keeps a Concat's rank, flattens a Softmax to
2-D, rewrites a Transpose into lower-rank pieces. The primary source is the converter and the runtime themselves:
for every case below (an operator, on a 7-D float32 tensor of sizes 2 and 3, its other inputs constants as exports
write them unless the case says otherwise) this writes the one-node model, converts it with onnx2tf as Slipway's
driver calls it (in a child process: a conversion can crash TensorFlow), reads which builtins of the file have a
tensor above 6-D, and loads and runs the file in the pinned ai-edge-litert (the test venv's, `--runtime-python`)
with its default delegate and with its builtin kernels alone.

Writes `onnx_to_tflite.rank_above_6_measured` in Schemas/targets/operators.json: per case its operator, the
builtins the file has (`builtins`), those with a tensor above 6-D (`kept`), or why it did not convert (`fails`,
`flex`), and LiteRT's outcome with and without its default delegate (`runs`, or the first words of its refusal).
Tests/integration/test_rank_above_6.py holds `check` to those outcomes; --check re-measures the cases named by
--cases (all by default) and exits 1 when the committed record differs.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402
import onnx2tf_run  # noqa: E402

X = [2, 3, 2, 2, 2, 2, 2]  # every size above 1: no converter drops a dimension of size 1
OPSET = 17
TIMEOUT = 600

UNARY = ["Abs", "Acos", "Asin", "Atan", "Ceil", "Cos", "Elu", "Erf", "Exp", "Floor", "HardSigmoid", "HardSwish",
         "Identity", "LeakyRelu", "Log", "Neg", "Reciprocal", "Relu", "Round", "Selu", "Sigmoid", "Sign", "Sin",
         "Softplus", "Softsign", "Sqrt", "Tan", "Tanh"]
BINARY = ["Add", "Div", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Max", "Min", "Mul", "Pow", "Sub"]
REDUCTIONS = ["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd",
              "ReduceSum", "ReduceSumSquare"]


def cases():
    """Case name → (operator, inputs, constants, attributes): inputs are (name, element type, shape) graph inputs,
    constants (name, numpy array) initializers, in the node's input order as `order` gives when both appear."""
    import numpy as np
    f, b = "float", "bool"
    x, y = ("x", f, X), ("y", f, X)
    c = {}
    for op in UNARY:
        c[op] = (op, [x], [], {})
    for op in BINARY:
        c[op] = (op, [x, y], [], {})
        # The exporters' form: a constant operand broadcast along the last axis.
        c[f"{op}:constant"] = (op, [x], [("k", np.full([2], 0.5, np.float32))], {})
    for op in ("And", "Or", "Xor"):
        c[op] = (op, [("x", b, X), ("y", b, X)], [], {})
    c["Not"] = ("Not", [("x", b, X)], [], {})
    c["Where"] = ("Where", [("c", b, X), x, y], [], {})
    c["Where:broadcast"] = ("Where", [("c", b, X), x], [("k", np.full([2], 0.5, np.float32))], {})
    c["PRelu"] = ("PRelu", [x], [("slope", np.full([2], 0.25, np.float32))], {})
    c["Cast"] = ("Cast", [x], [], {"to": 6})  # to int32
    c["Clip"] = ("Clip", [x], [("lo", np.array(-1, np.float32)), ("hi", np.array(1, np.float32))], {})
    c["Concat"] = ("Concat", [x, y], [], {"axis": 2})
    c["Concat:constant"] = ("Concat", [x], [("k", np.full(X, 0.5, np.float32))], {"axis": 2})
    c["Split"] = ("Split", [x], [("split", np.array([1, 1], np.int64))], {"axis": 2})
    # Parts of equal size given by the outputs alone: Split.py's tf.split, a SPLIT.
    c["Split:equal"] = ("Split", [x], [], {"axis": 2})
    c["Slice"] = ("Slice", [x], [("starts", np.array([0], np.int64)), ("ends", np.array([1], np.int64)),
                                 ("axes", np.array([2], np.int64))], {})
    c["Gather"] = ("Gather", [x], [("indices", np.array([1, 0], np.int64))], {"axis": 2})
    c["Gather:runtime"] = ("Gather", [x, ("i", "int64", [2])], [], {"axis": 2})
    c["Gather:scalar"] = ("Gather", [("x", f, [2, 3, 2, 2, 2, 2, 2, 2])], [("indices", np.array(1, np.int64))], {"axis": 2})
    c["Transpose"] = ("Transpose", [x], [], {"perm": [0, 2, 1, 3, 4, 5, 6]})
    c["Reshape"] = ("Reshape", [x], [("shape", np.array([2, 3, 4, 2, 2, 2, 1], np.int64))], {})
    c["Reshape:to_3d"] = ("Reshape", [x], [("shape", np.array([2, 3, 32], np.int64))], {})
    c["Flatten"] = ("Flatten", [x], [], {"axis": 3})
    c["Squeeze"] = ("Squeeze", [("x", f, [2, 3, 2, 2, 2, 2, 2, 1])], [("axes", np.array([7], np.int64))], {})
    c["Unsqueeze"] = ("Unsqueeze", [("x", f, [2, 3, 2, 2, 2, 2])], [("axes", np.array([6], np.int64))], {})
    c["Expand"] = ("Expand", [("x", f, [2, 3, 2, 1, 2, 2, 2])], [("shape", np.array(X, np.int64))], {})
    c["Tile"] = ("Tile", [x], [("repeats", np.array([1, 1, 2, 1, 1, 1, 1], np.int64))], {})
    c["Pad"] = ("Pad", [x], [("pads", np.array([0, 0, 1, 0, 0, 0, 0] * 2, np.int64))], {})
    for op in REDUCTIONS:
        if op == "ReduceSum":
            c[op] = (op, [x], [("axes", np.array([2], np.int64))], {"keepdims": 1})
        else:
            c[op] = (op, [x], [], {"axes": [2], "keepdims": 1})
    c["ReduceMean:keepdims_0"] = ("ReduceMean", [("x", f, [2, 3, 2, 2, 2, 2, 2, 2])], [], {"axes": [2], "keepdims": 0})
    c["ArgMax"] = ("ArgMax", [x], [], {"axis": 2, "keepdims": 1})
    c["ArgMin"] = ("ArgMin", [x], [], {"axis": 2, "keepdims": 1})
    c["Softmax"] = ("Softmax", [x], [], {"axis": -1})
    c["LogSoftmax"] = ("LogSoftmax", [x], [], {"axis": -1})
    c["MatMul"] = ("MatMul", [x], [("w", np.full([2, 4], 0.5, np.float32))], {})
    c["MatMul:batched"] = ("MatMul", [x, y], [], {})
    c["CumSum"] = ("CumSum", [x], [("axis", np.array(2, np.int64))], {})
    c["Sum"] = ("Sum", [x, y, ("z", f, X)], [], {})
    c["Mean"] = ("Mean", [x, y], [], {})
    c["TopK"] = ("TopK", [x], [("k", np.array([1], np.int64))], {"axis": -1})
    c["LayerNormalization"] = ("LayerNormalization", [x], [("scale", np.ones([2], np.float32)),
                                                           ("bias", np.zeros([2], np.float32))], {"axis": -1})
    c["IsNaN"] = ("IsNaN", [x], [], {})
    c["Trilu"] = ("Trilu", [x], [], {})
    c["Mod"] = ("Mod", [x, y], [], {"fmod": 1})
    c["Einsum"] = ("Einsum", [x, y], [], {"equation": "abcdefg,abcdefg->abcdefg"})
    return c


def model(name, case, path):
    """The case's one-node model, its output shapes from ONNX's shape inference."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    op, inputs, constants, attrs = case
    types = {"float": TensorProto.FLOAT, "bool": TensorProto.BOOL, "int64": TensorProto.INT64}
    outputs = {"Split": ["y0", "y1"], "TopK": ["values", "indices"]}.get(op, ["out"])
    node = helper.make_node(op, [i[0] for i in inputs] + [k for k, _ in constants], outputs, name=op.lower(), **attrs)
    g = helper.make_graph([node], name.replace(":", "_"),
                          [helper.make_tensor_value_info(n, types[t], s) for n, t, s in inputs], [],
                          [numpy_helper.from_array(v, k) for k, v in constants])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)
    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(m, strict_mode=True).graph.value_info}
    m.graph.output.extend(inferred[o] for o in outputs)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def file_ranks(path):
    """Each operator of the file's subgraphs, in order: (builtin or `Flex…`, its tensors' largest rank)."""
    out = []
    for _, g, op, name in onnx2tf_run.file_operators(path):
        tensors = [op.Inputs(i) for i in range(op.InputsLength())] + [op.Outputs(i) for i in range(op.OutputsLength())]
        out.append((name, max((g.Tensors(t).ShapeLength() for t in tensors if t >= 0), default=0)))
    return out


def convert_one(name, case, work):
    """One case converted in `work`: {"builtins": […], "kept": […]} or {"fails"/"flex": …}, and the file's path."""
    try:
        path = onnx2tf_run.convert(work, lambda p: model(name, case, p))
    except (Exception, SystemExit) as e:  # a form onnx2tf cannot convert
        return {"fails": onnx2tf_run.failure(e, 120)}, None
    if not path:
        return {"fails": "no float32 file"}, None
    ops = file_ranks(path)
    flex = sorted({o for o, _ in ops if o.startswith("Flex")})
    if flex:
        return {"flex": flex}, None
    return {"builtins": sorted({o for o, _ in ops}), "kept": sorted({o for o, r in ops if r > 6})}, path


PROBE = r"""
import sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
kind = sys.argv[2]
try:
    resolver = OpResolverType.AUTO if kind == "default" else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_path=sys.argv[1], experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.ones(d["shape"], d["dtype"]))
    it.invoke()
    print("runs")
except Exception as e:
    print("refused: " + " ".join(str(e).split())[:160])
"""


def run_litert(runtime_python, path):
    """LiteRT's outcome with its default delegate and with its builtin kernels alone (each in a child process)."""
    out = {}
    for kind, key in (("default", "litert"), ("builtin", "builtin_kernels")):
        p = subprocess.run([runtime_python, "-c", PROBE, path, kind], capture_output=True, text=True, timeout=300)
        last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        out[key] = last if last.startswith(("runs", "refused")) else f"refused: the interpreter crashed (exit {p.returncode})"
    return out


def worker(runtime_python, names):
    """In a child process: one JSON line per case."""
    every = cases()
    for name in names:
        work = tempfile.mkdtemp()
        try:
            entry, path = convert_one(name, every[name], work)
            if path:
                entry.update(run_litert(runtime_python, path))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        sys.stdout.write(json.dumps({"case": name, "entry": entry}) + "\n")
        sys.stdout.flush()


def measure(runtime_python, names):
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--runtime-python", runtime_python, "--worker", *names],
                       capture_output=True, text=True, timeout=TIMEOUT * len(names))
    seen = {}
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            seen[row["case"]] = row["entry"]
    missing = [n for n in names if n not in seen]
    if missing and len(names) > 1:  # the child crashed: measure the rest one by one, naming the one that crashes
        for n in missing:
            seen.update(measure(runtime_python, [n]))
    for n in names:
        seen.setdefault(n, {"fails": f"the converter crashed (exit {r.returncode})"})
    return seen


def derive(runtime_python, only=None, jobs=2):
    import onnx2tf
    import tensorflow as tf
    every = cases()
    names = [n for n in every if not only or n in only]
    chunks = [names[i::jobs * 4] for i in range(jobs * 4)]
    measured = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for part in pool.map(lambda ns: measure(runtime_python, ns), [c for c in chunks if c]):
            measured.update(part)
    litert = subprocess.run([runtime_python, "-c", "import ai_edge_litert; print(ai_edge_litert.__version__)"],
                            capture_output=True, text=True).stdout.strip()
    for n in names:
        measured[n] = {"operator": every[n][0], **measured[n]}
        sys.stderr.write(f"{n}: {measured[n]}\n")
    return {
        "source": {"id": "onnx2tf-rank-measured",
                   "section": f"one-node models on a 7-D float32 tensor (scripts/catalogue/measure_rank_above_6.py, opset {OPSET})"
                              f" converted with onnx2tf {onnx2tf.__version__} (tensorflow {tf.__version__}), run in ai-edge-litert"
                              f" {litert} with its default delegate (XNNPACK) and with its builtin kernels alone"},
        "cases": {n: measured[n] for n in sorted(measured)},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true", help="exit 1 when the committed record differs from a re-measurement")
    p.add_argument("--cases", help="comma-separated cases to measure (default: every one)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--runtime-python", default=os.path.join(cj.ROOT, ".venv", "bin", "python"),
                   help="the Python whose ai-edge-litert is the pinned runtime (the test venv's)")
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        return worker(a.runtime_python, a.worker)
    only = set(a.cases.split(",")) if a.cases else None
    derived = derive(a.runtime_python, only, a.jobs)
    ops = cj.load("operators.json")
    onnx2tf_run.settle((ops, ops["onnx_to_tflite"]), "rank_above_6_measured", "cases", derived, a.check, bool(only),
                       "measure_rank_above_6.py")

if __name__ == "__main__":
    main()
