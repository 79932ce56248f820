#!/usr/bin/env python3
"""`slipway check` of one manifest whose model is ~50 MB of ONNX weights, with a warm estimate cache: the
target's plan (Planning), the target checks, the estimate answered from the cache. Target: ≤ 20 ms.

    .venv/bin/python bench/bench_check_warm.py [--bin .build/release/slipway] [--mb 50] [--repeat 30]

The model (bench/out/check_model.onnx, cached) is a chain of MatMuls over float32 [1024, 1024] weights. The
first run fills the cache (cold, reported apart); each warm run is a whole process (`--in-process`, and the
default worker-process mode), wall-clock milliseconds, best and median.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def model(mb):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = OUT / f"check_model_{mb}.onnx"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    n = max(1, mb * (1 << 20) // (1024 * 1024 * 4))
    rng = np.random.default_rng(7)
    inits, nodes, x = [], [], "x"
    for i in range(n):
        inits.append(numpy_helper.from_array((rng.standard_normal((1024, 1024)) * 0.02).astype(np.float32), f"w{i}"))
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"h{i}"]))
        x = f"h{i}"
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1024])],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 1024])], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def timed(cmd, cwd, env):
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    ms = (time.perf_counter() - t) * 1000
    if r.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {r.stderr.decode()}")
    return ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "slipway"))
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=30)
    a = ap.parse_args()
    m = model(a.mb)
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        os.symlink(m, folder / "m.onnx")
        (folder / "m.slipway.yaml").write_text(
            "slipway: 1\nmodel: {path: m.onnx}\ntargets:\n"
            "  cpu: {runtime: onnxruntime@1.20, device: x86-64-avx512-vnni, optimize: {quantize: {weights: int8}}}\n")
        env = dict(os.environ, SLIPWAY_CACHE_DIR=str(folder / "cache"))
        print(f"model {m.stat().st_size / 1e6:.1f} MB, {a.bin}")
        for mode in (["--in-process"], []):
            cmd = [a.bin, "check", *mode, "m.slipway.yaml"]
            cold = timed(cmd, folder, env)
            warm = [timed(cmd, folder, env) for _ in range(a.repeat)]
            label = "in-process" if mode else "workers"
            print(f"check {label:10s}: cold {cold:8.1f} ms; warm best {min(warm):6.1f} ms, median {statistics.median(warm):6.1f} ms")


if __name__ == "__main__":
    main()
