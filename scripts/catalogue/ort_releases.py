#!/usr/bin/env python3
"""ONNX Runtime releases, measured from their wheels: the highest ai.onnx opset, ai.onnx.ml opset and IR version an
InferenceSession loads (scripts/measure_ort_opsets.py), written into Schemas/targets/runtimes.json.

    scripts/catalogue/ort_releases.py install 1.16.3 1.32.0 ...   # wheels into the cache, --no-deps, one dir each
    scripts/catalogue/ort_releases.py refresh                     # measure every cached release, write the table
    scripts/catalogue/ort_releases.py check                       # the importable onnxruntime against the table

The cache is $SLIPWAY_RUNTIME_CACHE (default ~/.cache/slipway/runtimes): onnxruntime-<version>/ per release, and
numpy-1.26.4/ for releases built against numpy 1 (before 1.19). The newest release of each minor line is the one
the table records (a patch release does not change what loads).
"""
import json
import os
import pathlib
import subprocess
import sys

import catalogue_json as cj

HERE = pathlib.Path(__file__).resolve().parent
MEASURE = HERE.parent / "measure_ort_opsets.py"
CACHE = pathlib.Path(os.environ.get("SLIPWAY_RUNTIME_CACHE", pathlib.Path.home() / ".cache" / "slipway" / "runtimes"))
NUMPY1 = "1.26.4"


def vkey(v):
    return tuple(int(p) for p in v.split("."))


def release_path(version):
    """PYTHONPATH entries that import onnxruntime `version` from the cache (numpy 1 for releases before 1.19)."""
    paths = [str(CACHE / f"onnxruntime-{version}")]
    if vkey(version) < (1, 19):
        paths.append(str(CACHE / f"numpy-{NUMPY1}"))
    return os.pathsep.join(paths)


def install(versions):
    for v in versions:
        target = CACHE / f"onnxruntime-{v}"
        if not target.exists():
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--only-binary=:all:",
                            "--target", str(target), f"onnxruntime=={v}"], check=True)
        if vkey(v) < (1, 19) and not (CACHE / f"numpy-{NUMPY1}").exists():
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--only-binary=:all:",
                            "--target", str(CACHE / f"numpy-{NUMPY1}"), f"numpy=={NUMPY1}"], check=True)


def measure(pythonpath=None):
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    code = f"import sys; sys.path.insert(0, {str(MEASURE.parent)!r}); import json, measure_ort_opsets as m; print(json.dumps(m.measure()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cached():
    return sorted((p.name.split("-", 1)[1] for p in CACHE.glob("onnxruntime-*")), key=vkey)


def entry(m):
    return {"version": ".".join(m["version"].split(".")[:2]), "max_opset": m["max_opset"], "max_ml_opset": m["max_ml_opset"],
            "max_ir": m["max_ir"], "source": {"id": "ort-wheels", "section": f"onnxruntime {m['version']}"}}


def refresh():
    data = cj.load("runtimes.json")
    rt = next(r for r in data["runtimes"] if r["name"] == "onnxruntime")
    table = {v["version"]: v for v in rt["versions"]}
    newest = {}
    for v in cached():  # the newest patch of each minor line
        newest[".".join(v.split(".")[:2])] = v
    for minor, v in newest.items():
        m = measure(release_path(v))
        table[minor] = entry(m)
        print(f"onnxruntime {m['version']}: opset {m['max_opset']}, ai.onnx.ml {m['max_ml_opset']}, IR {m['max_ir']}")
    rt["versions"] = sorted(table.values(), key=lambda e: vkey(e["version"]), reverse=True)
    cj.dump("runtimes.json", data, plain=True)


def check():
    """0 when the importable onnxruntime measures as the table records it."""
    m = measure()
    rt = next(r for r in cj.load("runtimes.json")["runtimes"] if r["name"] == "onnxruntime")
    want = entry(m)
    got = next((v for v in rt["versions"] if v["version"] == want["version"]), None)
    keys = ("max_opset", "max_ml_opset", "max_ir")
    if got is None or any(got.get(k) != want[k] for k in keys):
        print(f"onnxruntime {m['version']} measures {want}, the table says {got}", file=sys.stderr)
        return 1
    print(f"onnxruntime {m['version']}: as recorded")
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("install", "refresh", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "install":
        install(sys.argv[2:])
    elif sys.argv[1] == "refresh":
        refresh()
    else:
        sys.exit(check())


if __name__ == "__main__":
    main()
