#!/usr/bin/env python3
"""`slipway check` of one manifest whose model is ~50 MB of ONNX weights, with a warm estimate cache: the
target's plan (Planning), the target checks, the estimate answered from the cache. Target: ≤ 20 ms.

    .venv/bin/python bench/bench_check_warm.py [--bin .build/release/slipway] [--mb 50] [--repeat 30]
                                               [--compare OTHER_SLIPWAY]

The model (bench/out/check_model_50.onnx, cached) is a chain of MatMuls over float32 [1024, 1024] weights. The
first run fills the cache (cold, reported apart); each warm run is a whole process (`--in-process`, and the
default worker-process mode), wall-clock milliseconds: median, p90 and best. Measured in the same rounds (each
round runs every command once, so that load from other processes falls on all of them alike):

- the start-up floor: `slipway --version` (dynamic loading, the runtime, argument parsing), and `/bin/true`;
- `check` of a manifest without targets (the floor plus the catalogue, the manifest, no model);
- `check` of the 50 MB manifest, in process and with workers; each printed as a ratio to the floor (a second
  run of an unchanged manifest and model is answered by the model half remembered from the first: no worker,
  no model read);
- `check` of the same manifest edited before every run (a comment changes, so nothing is remembered): the model
  is read and the target checks run, with the estimate from the warm cache;
- `check` of the same target after `slipway convert` and `slipway test` (8 samples): the test record is compared
  with the model, the artifact and the samples, whose digests the cache folder remembers by file identity
  (the first `check` hashes them; the warm ones stat them).

With `--compare`, another build (say, main's) runs in the same rounds, and its figures are printed beside.
"""
import argparse
import os
import statistics
import subprocess
import sys
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


EDITS = [0]


def timed(cmd, cwd, env):
    if "edited.slipway.yaml" in cmd:  # a new text each run (not timed): the remembered model half cannot apply
        EDITS[0] += 1
        (Path(cwd) / "edited.slipway.yaml").write_text(MANIFEST + f"# edit {EDITS[0]}\n")
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    ms = (time.perf_counter() - t) * 1000
    if r.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {r.stderr.decode()}")
    return ms


MANIFEST = ("slipway: 1\nmodel: {path: m.onnx}\ntargets:\n"
            "  cpu: {runtime: onnxruntime@1.20, device: x86-64-avx512-vnni, optimize: {quantize: {weights: int8}}}\n")


def stats(xs):
    s = sorted(xs)
    return statistics.median(s), s[min(len(s) - 1, int(len(s) * 0.9))], s[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "slipway"))
    ap.add_argument("--compare", help="another slipway binary measured in the same rounds")
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=30)
    a = ap.parse_args()
    m = model(a.mb)
    bins = [("this", os.path.abspath(a.bin))] + ([("compare", os.path.abspath(a.compare))] if a.compare else [])
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        os.symlink(m, folder / "m.onnx")
        (folder / "m.slipway.yaml").write_text(MANIFEST)
        (folder / "empty.slipway.yaml").write_text("slipway: 1\nname: empty\n")
        # The same target, converted and tested: check then compares the last test record with the files.
        tested = folder / "tested"
        tested.mkdir()
        os.symlink(m, tested / "m.onnx")
        (tested / "samples").mkdir()
        rng = np.random.default_rng(1)
        for i in range(8):
            np.save(tested / "samples" / f"{i:02d}.npy", rng.standard_normal((1, 1024)).astype(np.float32))
        (tested / "t.slipway.yaml").write_text(
            "slipway: 1\nmodel: {path: m.onnx}\ntargets:\n"
            "  cpu: {runtime: onnxruntime@1.20, device: x86-64-avx512-vnni, optimize: {quantize: {weights: int8}}}\n"
            "test: {samples: samples/, tolerance: {cosine: 0.9}}\n")
        print(f"model {m.stat().st_size / 1e6:.1f} MB; {os.cpu_count()} cores; {a.repeat} rounds")
        cases = [("true", None, ["/bin/true"])]
        for tag, b in bins:
            env = dict(os.environ, SLIPWAY_CACHE_DIR=str(folder / f"cache-{tag}"), SLIPWAY_RUNTIME_PYTHON=sys.executable)
            r = subprocess.run([b, "test", "t.slipway.yaml", "--runtime-python", sys.executable], cwd=tested, env=env,
                               capture_output=True)
            if r.returncode != 0:
                raise SystemExit(f"slipway test failed: {r.stderr.decode()}")
            cases += [
                ("start-up floor (--version)", tag, [b, "--version"], env),
                ("check, no targets", tag, [b, "check", "empty.slipway.yaml"], env),
                ("check 50 MB in-process", tag, [b, "check", "--in-process", "m.slipway.yaml"], env),
                ("check 50 MB workers", tag, [b, "check", "m.slipway.yaml"], env),
                ("check 50 MB edited, in-process", tag, [b, "check", "--in-process", "edited.slipway.yaml"], env),
                ("check 50 MB edited, workers", tag, [b, "check", "edited.slipway.yaml"], env),
                ("check 50 MB tested, workers", tag, [b, "check", "tested/t.slipway.yaml"], env),
            ]
        cases = [c if len(c) == 4 else (*c, dict(os.environ)) for c in cases]
        for name, tag, cmd, env in cases:
            if "50 MB" in name:
                print(f"{tag}: {name}: cold (fills the cache) {timed(cmd, folder, env):.1f} ms")
        for _ in range(2):  # page cache, then the estimate cache, warm
            for _, _, cmd, env in cases:
                timed(cmd, folder, env)
        times = {(name, tag): [] for name, tag, _, _ in cases}
        for _ in range(a.repeat):
            for name, tag, cmd, env in cases:
                times[(name, tag)].append(timed(cmd, folder, env))
        true_med = stats(times[("true", None)])[0]
        print(f"{'':38s} {'median':>8s} {'p90':>8s} {'best':>8s}   ratio to floor (median)")
        print(f"{'/bin/true':38s} {true_med:8.1f}")
        for tag, _ in bins:
            floor = stats(times[("start-up floor (--version)", tag)])[0]
            for name, t, _, _ in cases:
                if t != tag:
                    continue
                med, p90, best = stats(times[(name, tag)])
                goal = "  (goal <= 20 ms)" if "50 MB" in name else ""
                print(f"{tag + ': ' + name:38s} {med:8.1f} {p90:8.1f} {best:8.1f}   {med / floor:5.2f}x{goal}")


if __name__ == "__main__":
    main()
