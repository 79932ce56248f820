"""OpenVINO's operator table held to the releases themselves.

The catalogue's `openvino-cpu-onnx` table (Schemas/targets/operators.json) is derived by
scripts/catalogue/derive_openvino.py from the openvino wheels installed side by side in $SLIPWAY_OPENVINO_CACHE
(default $SLIPWAY_RUNTIME_CACHE/openvino, where `make runtimes` installs the newest release; fill it with `derive_openvino.py install 2023.3.0 2024.6.0 2025.4.1 2026.4.1`). These
tests skip, saying why, when a release is not there. For a sample of operators — every one whose support differs
between releases, some every release runs, some none does — Slipway's verdict on `runtime: openvino@<release>` (SW4004
or not) for one of onnx's backend node test models of that operator (in its deployed form: the inputs after the first
as initializers) is compared with what that release does when it reads and compiles the model on CPU, in a child
process. Operators only some of whose models a release runs (the table's `partial`) are left out: the table's verdict
is per operator."""
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "catalogue"))
import derive_openvino as dov  # noqa: E402

OPS = json.loads((ROOT / "Schemas/targets/operators.json").read_text())
TABLE = next(s for s in OPS["operator_sets"] if s["id"] == dov.SET_ID)
RUNTIME = next(r for r in json.loads((ROOT / "Schemas/targets/runtimes.json").read_text())["runtimes"]
               if r["name"] == "openvino")
COMMON = ["Relu", "Conv", "MatMul", "Softmax", "Gather", "Unsqueeze", "TopK", "LayerNormalization", "Einsum"]
NONE_RUNS = ["Det", "MaxUnpool", "DeformConv", "STFT", "ai.onnx.ml:Binarizer"]


def installed(release):
    """The newest cached patch of `release` (major.minor), or None."""
    if not dov.CACHE.is_dir():
        return None
    return next((v for v in reversed(dov.cached()) if dov.minor(v) == release), None)


def sample(release):
    differs = sorted(set().union(*TABLE["missing_in"].values()))
    partial = TABLE.get("partial", {}).get(release, {})
    return [op for op in differs + COMMON + NONE_RUNS if op not in partial]


@pytest.fixture(scope="module")
def probes():
    pytest.importorskip("onnx")
    if not dov.CACHE.is_dir():
        pytest.skip(f"no openvino releases in {dov.CACHE} (derive_openvino.py install)")
    by_op = {}
    for name, path, key, _ in dov.probes():
        by_op.setdefault(key, []).append((name, path))
    return by_op


def probe_for(by_op, op):
    """The operator's first backend test model, in its deployed form when it has one."""
    items = by_op[op]
    first = items[0][0]
    return next((p for n, p in items if n == first + "@const"), items[0][1])


def slipway_says(run, tmp_path, models, release):
    """{model path: True when Slipway says it runs on openvino@release} (no SW4004)."""
    out = {}
    for i, model in enumerate(models):
        m = tmp_path / f"m{i}.slipway.yaml"
        m.write_text(json.dumps({"slipway": 1, "model": {"path": model}, "targets": {"t": {"runtime": f"openvino@{release}"}}}))
        r = run("check", str(m), "--format", "json")
        assert r.returncode in (0, 1), r.stderr.decode()[-2000:]
        out[model] = not any(d["code"] == "SW4004" for d in json.loads(r.stdout))
    return out


def release_says(version, models):
    """{model path: True when OpenVINO `version` reads and compiles it on CPU}, one child process per release."""
    results, _ = dov.probe_release(version, [(m, m, None, None) for m in models])
    return {m: r["compiled"] for m, r in results.items()}


@pytest.mark.parametrize("release", [v["version"] for v in RUNTIME["versions"]])
def test_slipway_and_the_release_agree(run, tmp_path, probes, release):
    version = installed(release)
    if version is None:
        pytest.skip(f"openvino {release} is not in {dov.CACHE} (derive_openvino.py install)")
    ops = [op for op in sample(release) if op in probes]
    assert len(ops) >= 15, ops
    models = {op: probe_for(probes, op) for op in ops}
    said = slipway_says(run, tmp_path, list(models.values()), release)
    ran = release_says(version, list(models.values()))
    wrong = {op: (said[m], ran[m]) for op, m in models.items() if said[m] != ran[m]}
    assert wrong == {}, f"(slipway runs, openvino {version} compiles) differ for {wrong}"
    # The sample is not one-sided: on every release something runs and something does not.
    assert any(said.values()) and not all(said.values())


def test_the_newest_release_measures_as_recorded():
    newest = RUNTIME["versions"][0]["version"]
    if installed(newest) is None:
        pytest.skip(f"openvino {newest} is not in {dov.CACHE} (derive_openvino.py install)")
    r = subprocess.run([sys.executable, str(ROOT / "scripts/catalogue/derive_openvino.py"), "--check"],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
