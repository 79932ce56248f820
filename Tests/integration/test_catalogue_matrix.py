"""The catalogue proven on the runtimes that run here: each fixture model (one per rule family) is loaded in real
runtimes installed side by side (`make runtimes`: onnxruntime releases from 1.16 to the newest, each in its own
directory of $SLIPWAY_RUNTIME_CACHE; the tflite-micro package's interpreter and ai-edge-litert from .venv), and Slipway's verdict for a
target pinning that runtime must agree: an error exactly when the runtime refuses the model.

Runtimes that cannot run here (Core ML, TensorRT, Edge TPU, QNN) are covered by their published tables (docs/rules.md).
Documented exceptions, where the runtime and the catalogue differ for a reason the source gives, are in EXCEPTIONS.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest
from onnx import TensorProto, helper

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "catalogue"))
import ort_releases  # noqa: E402

CACHE = pathlib.Path(os.environ.get("SLIPWAY_RUNTIME_CACHE", REPO / ".cache" / "runtimes"))
ORT_RELEASES = ["1.16.3", "1.18.1", "1.20.1", "1.24.4", "1.28.0", "1.32.0"]  # make runtimes installs these
CATALOGUE_FIXTURES = REPO / "Tests" / "Fixtures" / "catalogue"

# (fixture, runtime target) pairs where Slipway and the runtime differ on purpose, with the source that says why.
EXCEPTIONS = {}

# opset / IR / ai.onnx.ml boundaries: each on both sides of some release's limit.
ONNX_FAMILIES = [(opset, ir, None) for opset, ir in
                 [(19, 9), (20, 9), (21, 10), (22, 10), (23, 10), (25, 10), (26, 10), (27, 10), (28, 10)]]
ONNX_FAMILIES += [(13, ir, None) for ir in (9, 10, 11, 12, 13, 14)]
ONNX_FAMILIES += [(21, 10, ml) for ml in (3, 4, 5)]


def relu_model(opset, ir, ml):
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ai.onnx.ml", ml)] if ml else [])
    m = helper.make_model(g, opset_imports=imports, producer_name="slipway-matrix")
    m.ir_version = ir
    return m.SerializeToString()


LOAD_ORT = """
import json, sys
import onnxruntime as ort
out = {}
for p in sys.argv[1:]:
    try:
        ort.InferenceSession(p, providers=["CPUExecutionProvider"]); out[p] = "loads"
    except Exception as e:
        out[p] = "fails: " + str(e).splitlines()[0][:200]
print(json.dumps({"version": ort.__version__, "results": out}))
"""

LOAD_TFLM = """
import json, sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
out = {}
for p in sys.argv[1:]:
    try:
        it = runtime.Interpreter.from_file(p)
        d = it.get_input_details(0)
        it.set_input(np.zeros(d["shape"], d["dtype"]), 0)
        it.invoke(); out[p] = "loads"
    except Exception as e:
        out[p] = "fails: " + str(e).splitlines()[0][:200]
print(json.dumps({"version": "tflite-micro", "results": out}))
"""


def run_loader(code, pythonpath, paths):
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else dict(os.environ)
    r = subprocess.run([sys.executable, "-c", code, *map(str, paths)], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def slipway_verdicts(slipway, folder, cases):
    """{manifest name: "error" | "warning" | "silent"} for manifests written in `folder` (one `slipway check`)."""
    for name, (model, runtime) in cases.items():
        (folder / f"{name}.slipway.yaml").write_text(
            f"slipway: 1\nmodel: {{path: {model}}}\ntargets: {{t: {{runtime: {runtime}}}}}\n")
    r = subprocess.run([slipway, "check", str(folder), "--format", "json", "--no-cache"], capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    found = {name: "silent" for name in cases}
    messages = {name: [] for name in cases}
    for d in json.loads(r.stdout or "[]"):
        name = pathlib.Path(d["file"]).name.removesuffix(".slipway.yaml")
        assert d["code"].startswith("SW4"), d  # only target checks may speak here
        messages[name].append(f"{d['severity']} {d['code']}: {d['message']}")
        if d["severity"] == "error":
            found[name] = "error"
        elif found[name] == "silent":
            found[name] = "warning"
    return found, messages


def need(path):
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make runtimes` (SLIPWAY_RUNTIME_CACHE={CACHE})")


def agree(runtime_results, verdicts, messages, cases):
    wrong = []
    for name, (model, runtime) in cases.items():
        loads = runtime_results[name].startswith("loads")
        if (name, runtime) in EXCEPTIONS:
            continue
        if loads == (verdicts[name] == "error"):
            wrong.append(f"{name} on {runtime}: the runtime {runtime_results[name]}, Slipway says {verdicts[name]} {messages[name]}")
    return wrong


def test_onnxruntime_releases_load_what_slipway_accepts(slipway, tmp_path):
    models = {}
    for opset, ir, ml in ONNX_FAMILIES:
        name = f"opset{opset}_ir{ir}" + (f"_ml{ml}" if ml else "")
        (tmp_path / f"{name}.onnx").write_bytes(relu_model(opset, ir, ml))
        models[name] = tmp_path / f"{name}.onnx"
    wrong, loaded, outcomes = [], [], {}
    releases = [(None, None)] + [(v, ort_releases.release_path(v)) for v in ORT_RELEASES]
    for version, path in releases:
        if version:
            need(CACHE / f"onnxruntime-{version}")
            os.environ["SLIPWAY_RUNTIME_CACHE"] = str(CACHE)
        got = run_loader(LOAD_ORT, path, models.values())
        v = got["version"]
        minor = ".".join(v.split(".")[:2])
        loaded.append(v)
        folder = tmp_path / f"m-{v}"
        folder.mkdir()
        cases = {name: (str(p), f"onnxruntime@{minor}") for name, p in models.items()}
        verdicts, messages = slipway_verdicts(slipway, folder, cases)
        results = {name: got["results"][str(p)] for name, p in models.items()}
        wrong += agree(results, verdicts, messages, cases)
        outcomes[v] = sum(r.startswith("loads") for r in results.values())
    assert wrong == [], "\n".join(wrong)
    # Refusals as well as acceptances in every release but the newest, which loads every family.
    assert outcomes == {"1.23.2": 11, "1.16.3": 2, "1.18.1": 8, "1.20.1": 8, "1.24.4": 14, "1.28.0": 15, "1.32.0": 18}, outcomes
    assert len(loaded) == 7 and loaded[0] == "1.23.2", loaded


TFLITE_CASES = {
    "attention_int8": ("attention_int8.tflite", "tflite-micro"),  # BATCH_MATMUL, DIV, SQUARED_DIFFERENCE: in the resolver
    "attention_hybrid": ("attention_hybrid.tflite", "tflite-micro"),  # hybrid: refused by TFLM's kernels
    "variables": ("variables.tflite", "tflite-micro"),  # VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE
    "split_tile": ("split_tile.tflite", "tflite-micro"),  # TILE is not in the resolver
}


def test_tflite_micro_interpreter_loads_what_slipway_accepts(slipway, tmp_path):
    paths = {name: CATALOGUE_FIXTURES / model for name, (model, _) in TFLITE_CASES.items()}
    got = run_loader(LOAD_TFLM, None, paths.values())
    results = {name: got["results"][str(p)] for name, p in paths.items()}
    cases = {name: (str(paths[name]), rt) for name, (_, rt) in TFLITE_CASES.items()}
    verdicts, messages = slipway_verdicts(slipway, tmp_path, cases)
    assert agree(results, verdicts, messages, cases) == []
    # Both outcomes occur: the interpreter refuses two of the four, and Slipway says so.
    assert sorted(n for n, r in results.items() if r.startswith("fails")) == ["attention_hybrid", "split_tile"]


def test_ai_edge_litert_loads_every_fixture_slipway_accepts(slipway, tmp_path):
    code = """
import json, sys
from ai_edge_litert.interpreter import Interpreter
out = {}
for p in sys.argv[1:]:
    try:
        Interpreter(model_path=p).allocate_tensors(); out[p] = "loads"
    except Exception as e:
        out[p] = "fails: " + str(e).splitlines()[0][:200]
print(json.dumps({"version": "ai-edge-litert", "results": out}))
"""
    paths = {p.stem: p for p in sorted(CATALOGUE_FIXTURES.glob("*.tflite"))}
    got = run_loader(code, None, paths.values())
    results = {name: got["results"][str(p)] for name, p in paths.items()}
    cases = {name: (str(p), "litert") for name, p in paths.items()}
    verdicts, messages = slipway_verdicts(slipway, tmp_path, cases)
    assert agree(results, verdicts, messages, cases) == []
    assert all(r == "loads" for r in results.values()), results


def test_the_installed_onnxruntime_measures_as_the_catalogue_records():
    """scripts/catalogue/ort_releases.py re-derives the installed release's row; it must match the committed data."""
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "catalogue" / "ort_releases.py"), "check"],
                       capture_output=True, text=True, cwd=REPO / "scripts" / "catalogue")
    assert r.returncode == 0, r.stderr
    assert "1.23.2: as recorded" in r.stdout


def test_derived_tables_record_their_source_revision():
    sources = json.loads((REPO / "Schemas" / "targets" / "sources.json").read_text())["sources"]
    for sid in ("tflite-runtime-version", "tflite-gpu-model-builder", "tflm-resolver"):
        s = sources[sid]
        assert s["derived_by"] == "scripts/catalogue/derive_tflite.py"
        commit = s["revision"].split("@")[1].split(" ")[0]
        assert len(commit) == 40 and commit in s["url"], s

