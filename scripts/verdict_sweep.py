#!/usr/bin/env python3
"""One verdict on the real corpus: for every ONNX model of Tests/corpus/corpus.json (fetched into the cache by
`make corpus`), a float32 and a dynamic-range TFLite target (onnx2tf), `check`'s errors for each target against
whether `convert` writes it. Too slow for CI (two onnx2tf conversions per model, 10-60 s each); run by hand after
changing the ONNX → TFLite driver or the lowering table:

    .venv/bin/python scripts/verdict_sweep.py [--bin .build/debug/slipway] [--python .venv-convert/bin/python] [ID ...]

Prints one line per target: check's error codes (or "ok"), convert's exit status and its last line; exits 1 when a
target `check` passes fails to convert, or one it refuses converts.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import fetch_corpus  # noqa: E402

TARGETS = {"f32": {"runtime": "litert", "format": "tflite"},
           "drq": {"runtime": "litert", "format": "tflite", "optimize": {"quantize": {"weights": "int8"}}}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(ROOT / ".build/debug/slipway"))
    ap.add_argument("--python", default=str(ROOT / ".venv-convert/bin/python"))
    ap.add_argument("ids", nargs="*")
    a = ap.parse_args()
    folder = fetch_corpus.cache_dir()
    disagreements = 0
    for e in json.loads(fetch_corpus.CORPUS.read_text())["models"]:
        if e["format"] != "onnx" or (a.ids and e["id"] not in a.ids):
            continue
        src = fetch_corpus.model_path(e, folder)
        if not src.exists():
            print(f"{e['id']}: not fetched (make corpus)")
            continue
        with tempfile.TemporaryDirectory() as d:
            d = pathlib.Path(d)
            (d / "m.onnx").symlink_to(src)
            # A scalar input the entry feeds one value (silero-vad's sr) is given as that value, as a user would.
            inputs = {n: e.get("feeds", {}).get(n, {}).get("value", s) if s == [] else s for n, s in (e.get("inputs") or {}).items()}
            doc = {"slipway": 1, "name": "m", "model": {"path": "m.onnx", **({"inputs": inputs} if inputs else {})}, "targets": TARGETS}
            (d / "m.slipway.yaml").write_text(json.dumps(doc))
            c = subprocess.run([a.bin, "check", "m.slipway.yaml", "--format", "json"], cwd=d, capture_output=True)
            errors = {}
            for x in json.loads(c.stdout or b"[]"):
                if x["severity"] == "error":
                    for t in x.get("targets") or list(TARGETS):
                        errors.setdefault(t, set()).add(x["code"])
            for t in TARGETS:
                r = subprocess.run([a.bin, "convert", "m.slipway.yaml", "--target", t, "--python", a.python],
                                   cwd=d, capture_output=True, timeout=1800)
                agrees = (r.returncode == 0) == (t not in errors)
                disagreements += not agrees
                last = r.stderr.decode().strip().splitlines()[-1:] if r.returncode else []
                print(f"{e['id']} {t}: check {','.join(sorted(errors.get(t, []))) or 'ok'}, convert exit {r.returncode}"
                      f"{'' if agrees else '  DISAGREE'} {' '.join(last)[:200]}", flush=True)
            shutil.rmtree(d / "dist", ignore_errors=True)
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
