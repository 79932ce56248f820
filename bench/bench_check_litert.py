#!/usr/bin/env python3
"""`slipway check` of ONNX models bound for LiteRT and TFLite Micro: the ONNX-to-TFLite lowering (the converter
fusions, recurrences, run-time Clip bounds, folds) on top of the analysis, against the same check with an ONNX
Runtime target only (no lowering) measured in the same rounds, printed as a ratio.

    .venv/bin/python bench/bench_check_litert.py [--bin .build/release/slipway] [--nodes 100000] [--runs 7]
                                                 [--compare OTHER_SLIPWAY]

Models: a chain of `--nodes` elementwise nodes (bench_analysis's generator), and the corpus's ppocrv4-rec,
silero-vad and oww-melspectrogram when `make corpus` has fetched them. Each run is a whole process
(`check --in-process --no-cache`), wall-clock milliseconds, median of `--runs`; every round runs every command once,
so that load from other processes falls on all of them alike. With `--compare`, another build (say, the last
release) runs in the same rounds, and the ratio of this build's median to it is printed beside.
"""
import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "scripts"))
from bench_analysis import chain  # noqa: E402

CORPUS = {"ppocrv4-rec": "{x: [1, 3, 48, 320]}", "silero-vad": "{input: [1, 512], state: [2, 1, 128], sr: 16000}",
          "oww-melspectrogram": "{input: [1, 1280]}"}


def manifest(folder, name, model, inputs, litert):
    targets = ("  phone: {runtime: litert, format: tflite}\n"
               "  mcu: {runtime: tflite-micro, optimize: {quantize: {weights: int8, activations: int8, calibration: c/}}}\n"
               if litert else "  cpu: {runtime: onnxruntime}\n")
    path = folder / f"{name}.{'litert' if litert else 'ort'}.slipway.yaml"
    path.write_text(f"slipway: 1\nname: {name}\nmodel: {{path: {model}{', inputs: ' + inputs if inputs else ''}}}\n"
                    f"targets:\n{targets}")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(REPO / ".build/release/slipway"))
    ap.add_argument("--compare")
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    import fetch_corpus
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        (d / "c").mkdir()
        models = [("chain", d / "chain.onnx", None)]
        chain(str(d / "chain.onnx"), a.nodes)
        entries = {e["id"]: e for e in __import__("json").loads(fetch_corpus.CORPUS.read_text())["models"]}
        for name, inputs in CORPUS.items():
            path = fetch_corpus.model_path(entries[name], fetch_corpus.cache_dir()) if name in entries else None
            if path and path.exists():
                models.append((name, path, inputs))
        bins = [("this", a.bin)] + ([("other", a.compare)] if a.compare else [])
        cases = [(m, b, litert, manifest(d, m, path, inputs, litert))
                 for m, path, inputs in models for b, _ in bins for litert in (True, False)]
        times = {(m, b, litert): [] for m, b, litert, _ in cases}
        for _ in range(a.runs):
            for m, b, litert, path in cases:
                t0 = time.perf_counter()
                subprocess.run([dict(bins)[b], "check", str(path), "--in-process", "--no-cache"], cwd=d,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[(m, b, litert)].append((time.perf_counter() - t0) * 1000)
        med = {k: statistics.median(v) for k, v in times.items()}
        for m, _, _ in models:
            line = (f"{m:20s} litert+tflm {med[(m, 'this', True)]:8.1f} ms, onnxruntime {med[(m, 'this', False)]:8.1f} ms "
                    f"(×{med[(m, 'this', True)] / med[(m, 'this', False)]:.2f})")
            if a.compare:
                line += f"; against --compare: litert+tflm ×{med[(m, 'this', True)] / med[(m, 'other', True)]:.2f}"
            print(line)


if __name__ == "__main__":
    main()
