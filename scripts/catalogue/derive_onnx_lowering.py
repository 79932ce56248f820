#!/usr/bin/env python3
"""Derives how onnx2tf lowers each ONNX operator to TFLite builtins, by running it on ONNX's own node tests.

    .venv-convert/bin/python scripts/catalogue/derive_onnx_lowering.py [--check] [--ops Op,Op…] [--jobs N]

The primary source of the lowering is the converter itself (onnx2tf's ops/*.py, then TensorFlow's TFLite
converter): for every operator onnx2tf has a module for, this converts the one-node models of the ONNX backend
test suite that ship in the `onnx` wheel (onnx/backend/test/data/node/test_<op>*, the reference models of each
operator's forms; `_expanded` function bodies left out) with onnx2tf.convert as Slipway's driver calls it, and
reads the builtins of every subgraph of its float32 file. A test converts to builtins, to a file that needs Select
TF ops (`Flex…` custom operators: TensorFlow's converter refuses those by default), or not at all (onnx2tf raises).

Writes `onnx_to_tflite_measured` in Schemas/targets/operators.json: per operator its verdict (`builtins`, `flex`:
no builtin lowering, `none`: neither a builtin nor a Select TF op, `fails`: inconclusive), the builtins of its first test
(by name, its inputs after the first made constants, as exports write weights and shapes; else as the test gives
them) that converted to builtins alone (null when none did), that test, and every other test's outcome — so
each entry of the hand-kept `onnx_to_tflite` table can be held against the converter (Tests/integration/
test_onnx_lowering.py), and an operator that table lacks is still known. --check re-derives the operators named by
--ops (all by default) and exits 1 when the committed record differs.
"""
import argparse
import concurrent.futures
import glob
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
from onnx2tf_run import NEITHER  # noqa: E402

MAX_TESTS = 6  # per operator, spread over its tests sorted by name: its forms, within a derivation that runs in minutes
TIMEOUT = 300


def node_tests():
    """Operator → its backend node test folders (sorted), each a one-node model of that operator."""
    import onnx
    root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    by_op = {}
    for folder in sorted(glob.glob(os.path.join(root, "test_*"))):
        if folder.endswith("_expanded") or "_expanded_" in folder:
            continue
        path = os.path.join(folder, "model.onnx")
        if not os.path.exists(path):
            continue
        m = onnx.load(path, load_external_data=False)
        ops = {n.op_type for n in m.graph.node if n.domain in ("", "ai.onnx")}
        if len(m.graph.node) == 1 and len(ops) == 1:
            by_op.setdefault(ops.pop(), []).append(folder)
    return by_op


def spread(folders):
    """At most MAX_TESTS of an operator's tests, evenly spaced in name order (Resize's first ones are all cubic)."""
    if len(folders) <= MAX_TESTS:
        return folders
    return [folders[round(i * (len(folders) - 1) / (MAX_TESTS - 1))] for i in range(MAX_TESTS)]


def onnx2tf_operators():
    import onnx2tf
    folder = os.path.join(os.path.dirname(onnx2tf.__file__), "ops")
    return sorted(os.path.splitext(f)[0] for f in os.listdir(folder) if f.endswith(".py") and not f.startswith("_"))


def tflite_builtins(path, keep_boundary=False):
    """The operators of every subgraph, in order: builtin names, `Flex…` for Select TF ops. A TRANSPOSE that reads
    an input or writes an output of the main subgraph is left out (unless `keep_boundary`): onnx2tf writes those to
    carry a one-node model's channel-first inputs and outputs across its channel-last graph, which in a whole model
    sit at the model's edges, not at each operator."""
    out = []
    edges = None
    for s, g, op, name in onnx2tf_run.file_operators(path):
        if s == 0 and edges is None:
            edges = {g.Inputs(i) for i in range(g.InputsLength())} | {g.Outputs(i) for i in range(g.OutputsLength())}
        touches = {op.Inputs(0)} if op.InputsLength() else set()
        touches |= {op.Outputs(i) for i in range(op.OutputsLength())}
        if s == 0 and name == "TRANSPOSE" and not keep_boundary and touches & edges:
            continue
        out.append(name)
    return out


def with_constant_inputs(folder, path):
    """The test's model with every input after the first an initializer holding the test's own value: weights,
    parameters, shapes and axes are constants in exported models, and onnx2tf lowers some forms only so."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(os.path.join(folder, "model.onnx"))
    names = [i.name for i in m.graph.input]
    keep = []
    for k, value in enumerate(m.graph.input):
        pb = os.path.join(folder, "test_data_set_0", f"input_{k}.pb")
        if k == 0 or not os.path.exists(pb):
            keep.append(value)
            continue
        t = onnx.TensorProto()
        with open(pb, "rb") as f:
            t.ParseFromString(f.read())
        if not t.name:
            t.name = names[k]
        m.graph.initializer.append(numpy_helper.from_array(numpy_helper.to_array(t), names[k]))
    del m.graph.input[:]
    m.graph.input.extend(keep)
    onnx.save(m, path)


def convert_one(folder, constants, op_type):
    """One test's outcome: a list of builtins, "flex: …" or "fails: …"."""
    work = tempfile.mkdtemp()
    try:
        write = (lambda p: with_constant_inputs(folder, p)) if constants else \
            (lambda p: shutil.copy(os.path.join(folder, "model.onnx"), p))
        made = onnx2tf_run.convert(work, write)
        if not made:
            return "fails: no float32 file"
        ops = tflite_builtins(made, keep_boundary=op_type == "Transpose")
        flex = sorted({o for o in ops if o.startswith("Flex")})
        return "flex: " + ", ".join(flex) if flex else ops
    except (Exception, SystemExit) as e:  # an operator form onnx2tf cannot convert
        return "fails: " + onnx2tf_run.failure(e, 160)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def worker(op_type, folders):
    """In a child process (a conversion can crash TensorFlow): one JSON line per test and form — its inputs after
    the first constants (`test`), and as the test gives them, every input at run time (`test:inputs`)."""
    for folder in folders:
        for constants in (True, False):
            name = os.path.basename(folder) + ("" if constants else ":inputs")
            sys.stdout.write(json.dumps({"test": name, "outcome": convert_one(folder, constants, op_type)}) + "\n")
            sys.stdout.flush()


def measure(op, folders):
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", op, *folders], capture_output=True, text=True,
                       timeout=TIMEOUT * len(folders))
    seen = {}
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            seen[row["test"]] = row["outcome"]
    for folder in folders:  # a test that crashed the child
        for name in (os.path.basename(folder), os.path.basename(folder) + ":inputs"):
            seen.setdefault(name, f"fails: the converter crashed (exit {r.returncode})")
    tests = {t: seen[t] for t in sorted(seen)}
    # The constant-input forms first: exports' form.
    order = [t for t in tests if not t.endswith(":inputs")] + [t for t in tests if t.endswith(":inputs")]
    lowered = next(((t, tests[t]) for t in order if isinstance(tests[t], list)), None)
    entry = {"builtins": lowered[1] if lowered else None, "test": lowered[0] if lowered else None,
             "verdict": verdict(tests)}
    others = compact({t: o for t, o in tests.items() if not lowered or t != lowered[0]}, tests, lowered and lowered[1])
    if others:
        entry["others"] = others
    return op, entry


def compact(others, tests, chosen):
    """The outcomes worth keeping: those other than the chosen builtins, a test's run-time-input form only where it
    differs from its constant form, and a failure's first words."""
    kept = {}
    for t, o in others.items():
        if o == chosen or t.endswith(":inputs") and tests.get(t[: -len(":inputs")]) == o:
            continue
        kept[t] = o if isinstance(o, list) or len(o) <= 90 else o[:89] + "…"
    return kept


def verdict(outcomes):
    """`builtins` when a test converted to builtins alone; `flex` when none did and one needed Select TF ops (the
    operator has no builtin lowering); `none` when TensorFlow's converter refused one as having neither a builtin
    nor a Select TF op ("is neither a custom op nor a flex op": tf.Acos); `fails` when onnx2tf failed on every test, which says nothing of the
    operator itself (the node tests' tiny, ambiguous shapes defeat its layout guesses: ConvTranspose, LSTM)."""
    values = list(outcomes.values())
    if any(isinstance(o, list) for o in values):
        return "builtins"
    if any(o.startswith("flex") for o in values):
        return "flex"
    # No builtin and no Select TF op: TensorFlow's converter said so (not a failure of onnx2tf's own).
    return "none" if any(NEITHER in o for o in values) else "fails"


def derive(only=None, jobs=2):
    import onnx
    import onnx2tf
    import tensorflow as tf
    tests = node_tests()
    ops = [op for op in onnx2tf_operators() if op in tests and (not only or op in only)]
    measured = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for op, entry in pool.map(lambda op: measure(op, spread(tests[op])), ops):
            measured[op] = entry
            sys.stderr.write(f"{op}: {entry['builtins'] if entry['builtins'] is not None else 'no builtin lowering'}\n")
    return {
        "source": {"id": "onnx2tf-measured",
                   "section": f"ONNX's backend node tests (onnx {onnx.__version__}) converted with onnx2tf {onnx2tf.__version__}"
                              f" (tensorflow {tf.__version__}), at most {MAX_TESTS} per operator"},
        "operators": dict(sorted(measured.items())),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true", help="exit 1 when the committed record differs from a re-derivation")
    p.add_argument("--ops", help="comma-separated operators to derive (default: every one onnx2tf has a module and a test for)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        return worker(a.worker[0], a.worker[1:])
    only = set(a.ops.split(",")) if a.ops else None
    derived = derive(only, a.jobs)
    ops = cj.load("operators.json")
    onnx2tf_run.settle((ops, ops), "onnx_to_tflite_measured", "operators", derived, a.check, bool(only),
                       "derive_onnx_lowering.py")

if __name__ == "__main__":
    main()
