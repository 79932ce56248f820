#!/usr/bin/env python3
"""Benchmark of `slipway inspect` on a ~500 MB PyTorch state dict against `torch.load`, same run.

    .venv/bin/python bench/bench_pytorch_inspect.py [--size-mb 500] [--runs 3]

Generates (once, into bench/out/, gitignored) a `torch.save`d state dict of Linear layers with torch in
.venv-coreml, then measures each reader in its own child process (wall time, and peak RSS from wait4's
rusage). For torch the figure compared is the `torch.load` call alone (weights_only, the safe loader), timed
inside the child after torch is imported (the import is left out in torch's favour); slipway's is its whole
process. Each reader runs once untimed first so that every run sees the file in page cache.
Goals (issue 16): slipway ≥ 20× faster than torch.load; peak RSS ≤ 1.2 × the file.
"""
import argparse
import os
import pathlib
import subprocess

from inspect_compare import compare

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SLIPWAY = os.environ.get("SLIPWAY_BIN", str(ROOT / ".build" / "release" / "slipway"))
TORCH_PY = os.environ.get("TORCH_PYTHON", str(ROOT / ".venv-coreml" / "bin" / "python"))

MAKE = """
import sys, torch
size_mb, path = int(sys.argv[1]), sys.argv[2]
layers = 16
width = int((size_mb * 1e6 / 4 / layers) ** 0.5)
torch.manual_seed(0)
model = torch.nn.Sequential(*[torch.nn.Linear(width, width) for _ in range(layers)])
torch.save(model.state_dict(), path)
"""

LOAD = """
import sys, time, torch
start = time.perf_counter()
sd = torch.load(sys.argv[1], weights_only=True)
print(time.perf_counter() - start, sum(v.numel() for v in sd.values()))
"""




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench_torch_{args.size_mb}mb.pt"
    if not path.exists():
        subprocess.run([TORCH_PY, "-c", MAKE, str(args.size_mb), str(path)], check=True)
    compare(SLIPWAY, path, [TORCH_PY, "-c", LOAD, str(path)], "torch.load (call)", args.runs)


if __name__ == "__main__":
    main()
