"""One verdict for TFLite Micro, proven in its interpreter: on every TFLite fixture and corpus model, `check` with a
`tflite-micro` target has an error exactly where the `tflite-micro` package's interpreter cannot prepare or run the
model (operators its resolver lacks, hybrid kernels it refuses, the element types its kernels refuse — a float16
DEQUANTIZE —, control flow). SW4012 (dynamic input dimensions) is left aside: the interpreter runs a model at the
sizes stored for it, which a manifest fixes under `model.inputs`."""
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import fetch_corpus  # noqa: E402

pytest.importorskip("tflite_micro")

FIXTURES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "Tests/Fixtures").rglob("*.tflite"))
CORPUS = [m["id"] for m in json.loads(fetch_corpus.CORPUS.read_text())["models"] if m["format"] == "tflite"]

# Zeros into every input, one invoke: what fails in a kernel's Prepare fails at allocation, what fails in its Eval
# at the invoke. The interpreter's C code prints and may abort, so it runs in a child.
PROBE = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
it = runtime.Interpreter.from_file(sys.argv[1], arena_size=64 * 1024 * 1024)
i = 0
while True:
    try:
        d = it.get_input_details(i)
    except Exception:
        break
    it.set_input(np.zeros(d["shape"], d["dtype"]), i)
    i += 1
it.invoke()
print("ran")
"""


def runs_in_tflite_micro(path):
    r = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=300)
    return r.returncode == 0 and r.stdout.strip().endswith("ran"), (r.stdout + r.stderr)[-600:]


def model_path(name):
    if name in CORPUS:
        entry = next(m for m in json.loads(fetch_corpus.CORPUS.read_text())["models"] if m["id"] == name)
        path = fetch_corpus.model_path(entry, fetch_corpus.cache_dir())
        if not path.exists():
            pytest.skip(f"corpus model {name} not fetched (make corpus)")
        return path
    return ROOT / name


@pytest.mark.parametrize("name", FIXTURES + CORPUS)
def test_check_errs_for_tflite_micro_exactly_where_its_interpreter_fails(run, tmp_path, name):
    path = model_path(name)
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text(f"slipway: 1\nname: m\nmodel: {{path: {json.dumps(str(path))}}}\ntargets:\n  mcu: {{runtime: tflite-micro}}\n")
    c = run("check", str(manifest), "--format", "json")
    assert c.returncode in (0, 1), c.stderr.decode()
    errors = [d for d in json.loads(c.stdout) if d["severity"] == "error" and d["code"] != "SW4012"]
    ran, said = runs_in_tflite_micro(path)
    assert ran == (errors == []), (f"the interpreter {'ran' if ran else 'failed'}: {said}",
                                   [(d["code"], d["message"][:300]) for d in errors])
