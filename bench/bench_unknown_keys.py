#!/usr/bin/env python3
"""`slipway check` on manifests with 40,000 / 80,000 / 160,000 unknown keys (issue 17: the check was
quadratic in them, 80,000 keys took 62 s). Linear means the time per key stays flat as the keys double.

    python3 bench/bench_unknown_keys.py [--bin PATH] [--keys 40000,80000,160000]
"""
import argparse
import os
import pathlib
import subprocess
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]


def manifest(n):
    head = "slipway: 1\nmodel: {path: models/m.onnx}\ntargets:\n  a: {runtime: litert}\n"
    return head + "".join(f"unknown_key_{i}: {i}\n" for i in range(n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("SLIPWAY_BIN", str(REPO / ".build" / "release" / "slipway")))
    ap.add_argument("--keys", default="40000,80000,160000")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in (int(k) for k in args.keys.split(",")):
            path = pathlib.Path(d) / f"keys-{n}.slipway.yaml"
            path.write_text(manifest(n))
            t0 = time.perf_counter()
            p = subprocess.run([args.bin, "check", str(path), "--format", "json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            dt = time.perf_counter() - t0
            if p.returncode not in (0, 1):
                raise SystemExit(f"check failed ({p.returncode}): {p.stderr.decode()[:300]}")
            rows.append((n, dt))
            print(f"  {n:>7} unknown keys: {dt:8.2f} s  ({dt / n * 1e6:6.1f} µs/key)", flush=True)
    if len(rows) > 1:
        (n0, t0), (n1, t1) = rows[0], rows[-1]
        print(f"  time ratio {t1 / t0:.2f} for a key ratio of {n1 / n0:.0f} (linear: {n1 / n0:.0f}, quadratic: {(n1 / n0) ** 2:.0f})")


if __name__ == "__main__":
    main()
