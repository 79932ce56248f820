#!/usr/bin/env python3
"""One verdict on the real corpus: for every ONNX model of Tests/corpus/corpus.json (fetched into the cache by
`make corpus`), TFLite targets (onnx2tf), `check`'s errors for each target against
whether `convert` writes it. Too slow for CI (two onnx2tf conversions per model, 10-60 s each); run by hand after
changing the ONNX → TFLite driver or the lowering table:

    .venv/bin/python scripts/verdict_sweep.py [--bin .build/debug/slipway] [--python .venv-convert/bin/python] [ID ...]

`--targets` picks among f32, drq, int8 (full integer, calibrated on a few generated samples) and mcu (the same for
TFLite Micro); `--run` also runs each artifact against the model in its runtime (LiteRT, the tflite-micro
interpreter) with `slipway test --no-convert` on those samples. `convert` runs with `--force`, past check's own
errors, so that a refusal is confirmed by the converter (or, with --run, the runtime) and not by convert's gate.
Prints one line per target: check's error codes (or "ok"), convert's exit status and its last line, and with --run
the test's status; exits 1 when a target `check` passes fails to convert or to run, or one it refuses converts and
(with --run) runs.
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
           "drq": {"runtime": "litert", "format": "tflite", "optimize": {"quantize": {"weights": "int8"}}},
           "int8": {"runtime": "litert", "format": "tflite",
                    "optimize": {"quantize": {"weights": "int8", "activations": "int8", "calibration": "calib/"}}},
           "mcu": {"runtime": "tflite-micro",
                   "optimize": {"quantize": {"weights": "int8", "activations": "int8", "calibration": "calib/"}}}}
CALIBRATION_SAMPLES = 4


def write_calibration(folder, model, entry):
    """Samples as the corpus entry feeds them (a fixed value, an integer range), uniform [0, 1) floats otherwise,
    in each input's own element type."""
    import numpy as np
    import onnx
    from onnx import helper
    rng = np.random.default_rng(7)
    graph = onnx.load(str(model), load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    types = {i.name: helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type) for i in graph.input if i.name not in initializers}
    folder.mkdir()
    for k in range(CALIBRATION_SAMPLES):
        sample = {}
        for name, shape in (entry.get("inputs") or {}).items():
            feed = entry.get("feeds", {}).get(name, {})
            if "value" in feed:
                x = np.full(shape, feed["value"])
            elif "range" in feed:
                x = rng.integers(*feed["range"], size=shape)
            else:
                x = rng.random(shape)
            sample[name] = x.astype(types[name])
        np.savez(folder / f"s{k}.npz", **sample)


def builtins_compared(binary, folder, target, row):
    """", builtins +A -B": what the estimate predicted and the artifact lacks (+), what the artifact has and the
    estimate did not predict (-), then the counts that differ (predicted/written); QUANTIZE and DEQUANTIZE at a
    quantized model's edges are left aside."""
    [artifact] = (folder / "dist" / target).glob("*.tflite")
    i = subprocess.run([binary, "inspect", str(artifact), "--json"], capture_output=True)
    edges = {"QUANTIZE", "DEQUANTIZE"}
    written_counts = {k: v for k, v in json.loads(i.stdout)["operators"].items() if k not in edges}
    said_counts = {k: v for k, v in (row.get("builtins") or {}).items() if k not in edges}
    written, said = set(written_counts), set(said_counts)
    unknown = row.get("builtins_unknown", 0)
    if said_counts == written_counts and not unknown:
        return ", builtins as predicted, count for count"
    # Counts that differ for builtins both hold, predicted/written (a WHILE loop's body counts once in the prediction
    # and per subgraph in the file).
    counts = [f"{k} {said_counts[k]}/{written_counts[k]}" for k in sorted(said & written) if said_counts[k] != written_counts[k]]
    return ((", builtins as predicted" if said == written else
             f", builtins +{','.join(sorted(said - written)) or '0'} -{','.join(sorted(written - said)) or '0'}")
            + (f", counts {' '.join(counts)}" if counts else "")
            + (f" ({unknown} nodes not in the table)" if unknown else ""))


def fidelity_said(folder, target):
    """", fidelity x dB": the lowest output SQNR of the artifact against its source, as the converter's check of
    what it wrote measured it (report.json's summary.fidelity), or why it was not checked."""
    reports = list((folder / "dist" / target).glob("*.report.json"))
    f = json.loads(reports[0].read_text()).get("summary", {}).get("fidelity") if reports else None
    if not f:
        return ""
    if not f.get("checked"):
        return f", fidelity not checked ({f.get('reason', '')[:80]})"
    dbs = [o.get("sqnr_db") for o in f.get("outputs", []) if o.get("paired", True)]
    exact = all(o.get("exact") for o in f.get("outputs", []))
    worst = min((x for x in dbs if x is not None), default=None)
    return ", fidelity exact" if exact else f", fidelity {worst} dB" if worst is not None else ", fidelity no figure"


def size_compared(folder, target, row):
    """", size +x.x % (P/W)": the size `estimate` predicted against the artifact's, in bytes."""
    [artifact] = (folder / "dist" / target).glob("*.tflite")
    written, predicted = artifact.stat().st_size, row.get("size_bytes")
    if not predicted or not written:
        return ", size not predicted"
    return f", size {predicted / written - 1:+.1%} ({predicted}/{written})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(ROOT / ".build/debug/slipway"))
    ap.add_argument("--python", default=str(ROOT / ".venv-convert/bin/python"))
    ap.add_argument("--targets", default="f32,drq", help=f"which of {','.join(TARGETS)} (default %(default)s)")
    ap.add_argument("--run", action="store_true",
                    help="also run each artifact against the model in its runtime (`slipway test --no-convert`)")
    ap.add_argument("--runtime-python", default=str(ROOT / ".venv/bin/python"))
    ap.add_argument("--builtins", action="store_true",
                    help="also compare the builtins `estimate` predicts with the artifact's (every subgraph), and its size")
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
            targets = {t: TARGETS[t] for t in a.targets.split(",")}
            write_calibration(d / "calib", src, e)  # calibration samples, and test samples for --run
            doc = {"slipway": 1, "name": "m", "model": {"path": "m.onnx", **({"inputs": inputs} if inputs else {})}, "targets": targets,
                   "test": {"samples": "calib/"}}
            (d / "m.slipway.yaml").write_text(json.dumps(doc))
            c = subprocess.run([a.bin, "check", "m.slipway.yaml", "--format", "json"], cwd=d, capture_output=True)
            errors = {}
            for x in json.loads(c.stdout or b"[]"):
                if x["severity"] == "error":
                    for t in x.get("targets") or list(targets):
                        errors.setdefault(t, set()).add(x["code"])
            predicted = {}
            if a.builtins:
                est = subprocess.run([a.bin, "estimate", "m.slipway.yaml", "--json"], cwd=d, capture_output=True)
                predicted = {row["target"]: row for row in json.loads(est.stdout or b'{"targets": []}')["targets"]}
            for t in targets:
                # Forced past check's own errors: a refusal is confirmed by the converter or the runtime, not by
                # convert's gate, which would only repeat check.
                r = subprocess.run([a.bin, "convert", "m.slipway.yaml", "--target", t, "--force", "--python", a.python],
                                   cwd=d, capture_output=True, timeout=1800)
                ran, runs = "", None
                if r.returncode == 0:
                    ran += fidelity_said(d, t)
                if r.returncode == 0 and a.builtins:
                    ran += builtins_compared(a.bin, d, t, predicted.get(t, {})) + size_compared(d, t, predicted.get(t, {}))
                if r.returncode == 0 and a.run:
                    # A test with no tolerances fails only where the runtime cannot load or run the artifact.
                    x = subprocess.run([a.bin, "test", "m.slipway.yaml", "--target", t, "--no-convert", "--json",
                                        "--runtime-python", a.runtime_python], cwd=d, capture_output=True, timeout=1800)
                    result = (json.loads(x.stdout or b"{}").get("targets") or [{}])[0]
                    runs = result.get("status") == "passed"
                    ran += f", runs {result.get('status', 'error')}" + (f" ({str(result.get('reason'))[:160]})" if not runs else "")
                works = r.returncode == 0 and runs is not False
                if t in errors and r.returncode == 0 and runs is None:
                    verdict = "  (refusal unconfirmed: the converter wrote it; --run asks the runtime)"
                    agrees = True
                else:
                    agrees = works != (t in errors)
                    verdict = "" if agrees else "  DISAGREE"
                disagreements += not agrees
                said = [l for l in r.stderr.decode().strip().splitlines() if not l.startswith("slipway-progress")]
                last = said[-1:] if r.returncode else []
                print(f"{e['id']} {t}: check {','.join(sorted(errors.get(t, []))) or 'ok'}, convert exit {r.returncode}"
                      f"{ran}{verdict} {' '.join(last)[:200]}", flush=True)
            shutil.rmtree(d / "dist", ignore_errors=True)
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
