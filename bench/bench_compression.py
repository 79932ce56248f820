#!/usr/bin/env python3
"""Compression engine benchmark: GB/s of float32 weights for symmetric int8 per-channel statistics plus the
50 % magnitude threshold, against the numpy reference and against a plain summing pass (the memory floor),
all on the same generated ~206 MB tensor set in the same run.

    .venv/bin/python bench/bench_compression.py            # (make venv first; needs numpy and onnx)

Options: --mb SIZE (default 206), --repeat N (Swift timings, best and median), --skip-numpy, --workers N.
Builds `compression-bench` in release mode, generates bench/out/tensors.{f32,json} (cached), prints a JSON
summary and writes it to bench/out/compression.json.
"""
import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def shapes(mb: float):
    """Transformer-like layers ([768,768] ×4, [3072,768], [768,3072]) plus an embedding, until ~mb MB."""
    out = [("embed.weight", (4096, 512))]
    total = 4096 * 512
    layer = 0
    while total * 4 < mb * 1e6 - 4 * 7_077_888 / 2:
        for n, s in [("q", (768, 768)), ("k", (768, 768)), ("v", (768, 768)), ("o", (768, 768)),
                     ("up", (3072, 768)), ("down", (768, 3072))]:
            out.append((f"layers.{layer}.{n}.weight", s))
            total += s[0] * s[1]
        layer += 1
    return out


def generate(mb: float):
    data, index = OUT / "tensors.f32", OUT / "tensors.json"
    spec = shapes(mb)
    if index.exists() and data.exists() and json.loads(index.read_text()).get("spec") == [list(map(str, s)) for s in spec]:
        return data, index
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    rows, off = [], 0
    with open(data, "wb") as f:
        for name, shape in spec:
            row_scale = rng.uniform(0.2, 2.0, (shape[0], 1)).astype(np.float32) * np.float32(0.02)
            a = rng.standard_normal(shape, dtype=np.float32) * row_scale
            k = max(1, a.size // 100_000)  # a few outliers, as trained weights have
            a.ravel()[rng.integers(0, a.size, k)] *= np.float32(25)
            f.write(a.astype("<f4").tobytes())
            rows.append({"name": name, "shape": list(shape), "offset": off})
            off += a.size
    index.write_text(json.dumps({"spec": [list(map(str, s)) for s in spec], "tensors": rows}))
    return data, index


def load_reference():
    path = ROOT.parent / "shared" / "reference" / "quant_reference.py"
    spec = importlib.util.spec_from_file_location("quant_reference", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def numpy_reference(ref, arrays):
    """What quant_reference.py does per model (f64 statistics, the f32 re-check, totals), timed."""
    t0 = time.perf_counter()
    recs, absv = [], []
    for name, a in arrays:
        r = {"name": name}
        r.update(ref.tensor_stats(a))
        ref.tensor_stats(a.astype(np.float32), dt=np.float32)
        recs.append(r)
        absv.append(np.abs(a.astype(np.float64)))
    tot = ref.totals(recs, absv)
    return time.perf_counter() - t0, recs, tot


def numpy_minimal(arrays):
    """Only the benchmarked statistics in numpy (float64, like the reference): int8 per axis 0 + t50."""
    t0 = time.perf_counter()
    for _, a in arrays:
        x = a.astype(np.float64)
        amax = np.abs(x).reshape(x.shape[0], -1).max(axis=1).reshape((-1,) + (1,) * (x.ndim - 1))
        s = amax / 127.0
        safe = np.where(s == 0, 1.0, s)
        d = np.where(s == 0, x, np.clip(np.rint(x / safe), -127, 127) * safe)
        float(np.sum((x - d) ** 2))
        flat = np.abs(a).ravel()
        np.partition(flat, flat.size // 2)[flat.size // 2]
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=206)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--skip-numpy", action="store_true")
    args = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "compression-bench"], cwd=ROOT, check=True,
                   stdout=sys.stderr)
    data, index = generate(args.mb)
    idx = json.loads(index.read_text())["tensors"]
    plain_index = OUT / "tensors.index.json"
    plain_index.write_text(json.dumps(idx))
    cmd = [str(ROOT / ".build" / "release" / "compression-bench"), str(plain_index), str(data), "--repeat", str(args.repeat)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    swift = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    gb = swift["bytes"] / 1e9
    result = {
        "bytes": swift["bytes"], "tensors": swift["tensors"], "workers": swift["workers"],
        "swift_int8_per_channel_t50": swift["int8_per_channel_t50"],
        "swift_reference_schemes_t50_2of4": swift["reference_schemes_t50_2of4"],
        "plain_sum_floor": swift["plain_sum"],
        "ratio_to_floor_best": swift["int8_per_channel_t50"]["best_s"] / swift["plain_sum"]["best_s"],
        "ratio_to_floor_median": swift["int8_per_channel_t50"]["median_s"] / swift["plain_sum"]["median_s"],
    }
    if not args.skip_numpy:
        mm = np.memmap(data, dtype="<f4", mode="r")
        arrays = [(r["name"], np.asarray(mm[r["offset"]: r["offset"] + int(np.prod(r["shape"]))]).reshape(r["shape"]))
                  for r in idx]
        ref = load_reference()
        t_ref, recs, tot = numpy_reference(ref, arrays)
        t_min = numpy_minimal(arrays)
        best, med = swift["int8_per_channel_t50"]["best_s"], swift["int8_per_channel_t50"]["median_s"]
        result.update({
            "numpy_reference_s": t_ref, "numpy_reference_gb_per_s": gb / t_ref,
            "speedup_vs_numpy_reference_best": t_ref / best, "speedup_vs_numpy_reference_median": t_ref / med,
            "numpy_minimal_s": t_min, "speedup_vs_numpy_minimal_best": t_min / best,
            "speedup_vs_numpy_minimal_median": t_min / med,
        })
        # Same data, same answers: the four reference schemes and t50, tensor by tensor.
        keys = ["sym_int8_tensor", "sym_int8_axis0", "asym_uint8_tensor", "asym_uint8_tensor_incl0"]
        worst, t50_equal = 0.0, True
        for r, s in zip(recs, swift["per_tensor_sqnr"]):
            for k, mine in zip(keys, s["sqnr_db"]):
                theirs = r[k]["sqnr_db"]
                if (mine is None) != (theirs is None):
                    worst = float("inf")
                elif mine is not None:
                    worst = max(worst, abs(mine - theirs))
            t50_equal &= s["t50"] == r["t50"]
        result["max_abs_sqnr_db_diff_vs_reference"] = worst
        result["t50_all_equal"] = bool(t50_equal)
        result["t50_global_equal"] = swift["t50_global"] == tot["t50_global"]
    text = json.dumps(result, indent=1)
    (OUT / "compression.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
