#!/usr/bin/env python3
"""`slipway estimate` end to end on a generated ~200 MB ONNX model (release build): cold cache, warm cache and
without the cache, against the numpy reference (../shared/reference/quant_reference.py) on the same file in
the same run.

    .venv/bin/python bench/bench_estimate.py      # make venv first; builds `slipway` in release mode

Options: --mb SIZE (default 206), --repeat N, --skip-numpy. The model (bench/out/estimate_model.onnx, cached) is
the transformer-like tensor set of bench_compression.py as MatMul weights ([in, out], per-channel axis 1) plus
a Gather embedding. Figures: wall-clock seconds of the whole process (mapping, ONNX parsing, selection, the
engine, JSON output), best and median of N, and GB/s of float32 weights.

- cold: an empty cache folder (the model's pages are in the page cache, as in a pre-commit run after an edit)
- warm: the same command again, answered from the cache (file identity: stat + SHA-256 of the first and last MiB)
- no-cache: `--no-cache`, the engine every time
- four schemes: the reference's four schemes plus the 50 % threshold, one `slipway estimate` each (the same
  statistics the reference computes), summed
- numpy: quant_reference.py on the file (float64 statistics of the four schemes and t50; `--no-f32-check`)
"""
import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SLIPWAY = ROOT / ".build" / "release" / "slipway"
REFERENCE = ROOT.parent / "shared" / "reference" / "quant_reference.py"


def shapes(mb):
    spec = importlib.util.spec_from_file_location("bench_compression", ROOT / "bench" / "bench_compression.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.shapes(mb)


def generate(mb):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = OUT / "estimate_model.onnx"
    stamp = OUT / "estimate_model.json"
    spec = [(n, list(s)) for n, s in shapes(mb)]
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == spec:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    inits, nodes, x = [], [], "x"
    for name, shape in spec:
        row_scale = rng.uniform(0.2, 2.0, (shape[0], 1)).astype(np.float32) * np.float32(0.02)
        a = rng.standard_normal(shape, dtype=np.float32) * row_scale
        k = max(1, a.size // 100_000)
        a.ravel()[rng.integers(0, a.size, k)] *= np.float32(25)
        if name == "embed.weight":
            inits.append(numpy_helper.from_array(a, name))
            nodes.append(helper.make_node("Gather", [name, "ids"], ["embedded"]))
            continue
        w = np.ascontiguousarray(a.T)  # MatMul reads [in, out]
        inits.append(numpy_helper.from_array(w, name))
        nodes.append(helper.make_node("MatMul", [x, name], [name + ".out"]))
        x = name + ".out"
    g = helper.make_graph(
        nodes, "bench",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 768]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 16])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 768]),
         helper.make_tensor_value_info("embedded", TensorProto.FLOAT, [1, 16, 512])],
        initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="bench_estimate")
    m.ir_version = 8
    onnx.save(m, path)
    stamp.write_text(json.dumps(spec))
    return path


def run(args, env):
    t0 = time.perf_counter()
    p = subprocess.run([str(SLIPWAY), "estimate", *args], capture_output=True, env=env)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"slipway estimate failed ({p.returncode}): {p.stderr.decode()[:500]}")
    return dt, json.loads(p.stdout)


def summary(times, gb):
    return {"best_s": round(min(times), 4), "median_s": round(statistics.median(times), 4),
            "gb_per_s": round(gb / min(times), 3), "runs": len(times)}


SCHEMES = [
    ["--weights", "int8", "--granularity", "per-tensor", "--sparsity", "0.5"],
    ["--weights", "int8", "--granularity", "per-channel", "--channel-axis", "0", "--sparsity", "0.5"],
    ["--weights", "uint8", "--asymmetric", "--granularity", "per-tensor", "--no-widen-range", "--sparsity", "0.5"],
    ["--weights", "uint8", "--asymmetric", "--granularity", "per-tensor", "--sparsity", "0.5"],
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=206)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-numpy", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "slipway"], cwd=ROOT, check=True)
    model = generate(a.mb)
    size = model.stat().st_size
    cache = Path(tempfile.mkdtemp(prefix="slipway-bench-cache-"))
    env = dict(os.environ, SLIPWAY_CACHE_DIR=str(cache))
    try:
        args = [str(model), "--json", "--sparsity", "0.5"]
        run(args + ["--no-cache"], env)  # page cache
        cold, warm = [], []
        for _ in range(a.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            dt, out = run(args, env)
            assert out["cache"] == "miss"
            cold.append(dt)
            dt, hit = run(args, env)
            assert hit["cache"] == "hit" and hit["total"] == out["total"]
            warm.append(dt)
        gb = out["total"]["bytes_before"] / 1e9
        nocache = [run(args + ["--no-cache"], env)[0] for _ in range(a.repeat)]
        four = [sum(run([str(model), "--json", "--no-cache", *s], env)[0] for s in SCHEMES) for _ in range(max(1, a.repeat // 2))]
        result = {
            "model_bytes": size, "weights_gb": round(gb, 4), "tensors": out["total"]["tensors"],
            "cores": os.cpu_count(),
            "slipway_cold_cache": summary(cold, gb), "slipway_warm_cache": summary(warm, gb),
            "slipway_no_cache": summary(nocache, gb), "slipway_four_schemes_and_t50": summary(four, gb),
        }
        if not a.skip_numpy and REFERENCE.exists():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(REFERENCE), str(model), "--no-f32-check", "--out", str(OUT / "estimate_ref.json")],
                           check=True)
            ref = time.perf_counter() - t0
            result["numpy_reference"] = {"seconds": round(ref, 3), "gb_per_s": round(gb / ref, 3)}
            result["ratio_numpy_over_slipway_four_schemes"] = round(ref / min(four), 2)
            result["ratio_numpy_over_slipway_cold"] = round(ref / min(cold), 2)
            result["ratio_numpy_over_slipway_warm"] = round(ref / min(warm), 1)
            refdoc = json.loads((OUT / "estimate_ref.json").read_text())["models"][0]
            result["numpy_t50_global"] = refdoc["totals"]["t50_global"]
            result["slipway_t50_global"] = out["pruning"]["threshold"]
        text = json.dumps(result, indent=1)
        print(text)
        (OUT / "estimate.json").write_text(text + "\n")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
