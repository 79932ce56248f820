#!/usr/bin/env python3
"""Benchmark of `slipway inspect` on a ~500 MB Keras HDF5 model against `keras.models.load_model`, same run.

    .venv/bin/python bench/bench_keras_inspect.py [--size-mb 500] [--runs 3]

Generates (once, into bench/out/, gitignored) a Keras 3 legacy-HDF5 model of Dense layers with TensorFlow in
.venv-convert, then measures each reader in its own child process (wall time, and peak RSS from wait4's
rusage). For Keras the figure compared is the `load_model` call alone, timed inside the child after
TensorFlow is imported (the import, ~5 s, is left out in Keras's favour); slipway's is its whole process.
Each reader runs once untimed first so that every run sees the file in page cache.
Goals (issue 16): slipway ≥ 20× faster than load_model; peak RSS ≤ 1.2 × the file.
"""
import argparse
import os
import pathlib
import subprocess

from inspect_compare import compare

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SLIPWAY = os.environ.get("SLIPWAY_BIN", str(ROOT / ".build" / "release" / "slipway"))
KERAS_PY = os.environ.get("KERAS_PYTHON", str(ROOT / ".venv-convert" / "bin" / "python"))

MAKE = """
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
size_mb, path = int(sys.argv[1]), sys.argv[2]
layers = 16
width = int((size_mb * 1e6 / 4 / layers) ** 0.5)
keras = tf.keras
model = keras.Sequential([keras.Input((width,))] + [keras.layers.Dense(width, activation="relu", name=f"dense{i}") for i in range(layers)])
model.save(path)
"""

LOAD = """
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
start = time.perf_counter()
m = tf.keras.models.load_model(sys.argv[1], compile=False)
print(time.perf_counter() - start, m.count_params())
"""




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench_keras_{args.size_mb}mb.h5"
    if not path.exists():
        subprocess.run([KERAS_PY, "-c", MAKE, str(args.size_mb), str(path)], check=True)
    compare(SLIPWAY, path, [KERAS_PY, "-c", LOAD, str(path)], "keras load_model (call)", args.runs)


if __name__ == "__main__":
    main()
