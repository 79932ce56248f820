#!/usr/bin/env python3
"""`slipway test` against running the two models directly in onnxruntime's Python API (issue 14, Performance:
overhead <= 15 % for 1,000 samples of the kws example).

    .venv/bin/python bench/bench_test.py [--samples 1000] [--bin .build/debug/slipway] [--repeat 3]

The kws example's model with an ONNX target (weight-only int8, Slipway's own rewrite) is converted once; then,
best of --repeat, each measured as wall-clock time of a child process started cold:

- slipway: `slipway test MANIFEST --no-convert --json` (sample listing, one onnxruntime runner for the original
  and the artifact, outputs compared and judged in Swift)
- direct: a fresh python that imports onnxruntime, loads the same samples once, runs both models on each
  (3 warm-up runs as `test` makes, each sample timed) and writes nothing.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "test"

DIRECT = r"""
import sys, glob, time
import numpy as np
import onnxruntime as ort
files = sorted(glob.glob(sys.argv[1] + "/*.npy"))
samples = [np.load(f) for f in files]
for path in sys.argv[2:]:
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    for _ in range(3):
        s.run(None, {name: samples[0]})
    outs = []
    for x in samples:
        t0 = time.perf_counter()
        outs.append(s.run(None, {name: x})[0])
        time.perf_counter() - t0
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--bin", default=str(ROOT / ".build" / "debug" / "slipway"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "models").mkdir(parents=True)
    shutil.copy(ROOT / "examples/kws-mcu/models/ds_cnn_kws.onnx", OUT / "models")
    rng = np.random.default_rng(0)
    (OUT / "samples").mkdir()
    for i in range(args.samples):
        np.save(OUT / "samples" / f"s{i:05}.npy", rng.standard_normal((1, 1, 49, 10)).astype(np.float32))
    manifest = OUT / "kws.slipway.yaml"
    manifest.write_text("""slipway: 1
name: kws
model: {path: models/ds_cnn_kws.onnx, inputs: {mfcc: [1, 1, 49, 10]}}
optimize:
  quantize: {weights: int8, activations: none, granularity: per-channel}
targets:
  cpu: {runtime: onnxruntime, format: onnx, output: out/kws.onnx}
test:
  samples: samples/
  tolerance: {top1: 0.9}
""")
    subprocess.run([args.bin, "convert", str(manifest)], check=True, capture_output=True)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")

    def timed(cmd):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=env, capture_output=True)
        elapsed = time.perf_counter() - t0
        if r.returncode not in (0, 1):
            sys.exit(f"{cmd[0]} failed: {r.stderr.decode()}")
        return elapsed

    # Interleaved, so that a busy machine slows both alike.
    slips, directs = [], []
    for _ in range(args.repeat):
        # --force: every model runs (a repeated test would otherwise reuse the recorded measurement).
        slips.append(timed([args.bin, "test", str(manifest), "--no-convert", "--force", "--json", "--runtime-python", sys.executable]))
        directs.append(timed([sys.executable, "-c", DIRECT, str(OUT / "samples"), str(OUT / "models/ds_cnn_kws.onnx"),
                              str(OUT / "out/kws.onnx")]))
    slip, direct = min(slips), min(directs)
    reused = min(timed([args.bin, "test", str(manifest), "--no-convert", "--json", "--runtime-python", sys.executable])
                 for _ in range(args.repeat))
    print(f"samples: {args.samples}  slipway test: {slip:.3f} s  direct onnxruntime: {direct:.3f} s  "
          f"overhead: {100 * (slip / direct - 1):+.1f} %  (best of {args.repeat}); "
          f"a repeated test reusing the recorded measurement: {reused:.3f} s ({reused / direct:.2f}x direct)")


if __name__ == "__main__":
    main()
