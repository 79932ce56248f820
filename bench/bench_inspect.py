#!/usr/bin/env python3
"""Benchmark of `slipway inspect` against the Python libraries on the same files, in the same run.

    swift build -c release --static-swift-stdlib --product slipway
    .venv/bin/python bench/bench_inspect.py [--size-mb 500] [--runs 3]

Generates (once, into bench/out/, gitignored) a ~500 MB ONNX model and a ~500 MB safetensors file, then
measures wall time and peak RSS of each reader in its own child process (wait4's rusage). Linux carries a
forked child's RSS at exec into its peak, so this parent stays small: it imports no numpy and generates the
files in a child process; the figures include that floor (~10 MB). Each reader runs once untimed first so
that every run sees the file in page cache.
Goals (issue 3): slipway ≥ 5× faster than onnx.load + numpy; peak RSS ≤ 1.2 × file size + 50 MB.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SLIPWAY = os.environ.get("SLIPWAY_BIN", str(ROOT / ".build" / "release" / "slipway"))


def make_onnx(path, size_mb):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    layers = 32
    width = int((size_mb * 1e6 / 4 / layers) ** 0.5)
    inits, nodes = [], []
    x = "x"
    for i in range(layers):
        w = rng.standard_normal((width, width), dtype=np.float32)
        inits.append(numpy_helper.from_array(w, f"layer{i}.weight"))
        inits.append(numpy_helper.from_array(np.zeros(width, np.float32), f"layer{i}.bias"))
        nodes.append(helper.make_node("Gemm", [x, f"layer{i}.weight", f"layer{i}.bias"], [f"h{i}"], transB=1))
        nodes.append(helper.make_node("Relu", [f"h{i}"], [f"a{i}"]))
        x = f"a{i}"
    graph = helper.make_graph(nodes, "bench", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", width])], initializer=inits)
    onnx.save(helper.make_model(graph, producer_name="slipway-bench"), path)


def make_onnx_many_nodes(path, size_mb):
    """The other extreme: a small file with 100,000 nodes and 100,000 initializers (structure, not weights)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n = 100_000
    inits = [numpy_helper.from_array(np.full(4, i, np.float32), f"w{i}") for i in range(n)]
    nodes = [helper.make_node("Add", ["x" if i == 0 else f"y{i - 1}", f"w{i}"], [f"y{i}"]) for i in range(n)]
    graph = helper.make_graph(nodes, "many", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info(f"y{n - 1}", TensorProto.FLOAT, [4])], initializer=inits)
    onnx.save(helper.make_model(graph, producer_name="slipway-bench"), path)


def make_safetensors(path, size_mb):
    import numpy as np
    from safetensors.numpy import save_file

    rng = np.random.default_rng(1)
    per = int(size_mb * 1e6 / 4 / 64)
    save_file({f"block{i}.weight": rng.standard_normal(per, dtype=np.float32) for i in range(64)}, str(path))


ONNX_LOAD = """
import sys, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
n = sum(numpy_helper.to_array(t).size for t in m.graph.initializer)
print(n)
"""

SAFETENSORS_LOAD = """
import sys
from safetensors.numpy import load_file
print(sum(a.size for a in load_file(sys.argv[1]).values()))
"""


def measure(argv):
    """Wall seconds and peak RSS (bytes) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss * 1024


def best(argv, runs):
    measure(argv)  # warm the page cache and the interpreter's imports
    results = [measure(argv) for _ in range(runs)]
    return min(w for w, _ in results), max(r for _, r in results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--generate", choices=["onnx", "safetensors", "many"], help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        makers = {"onnx": make_onnx, "safetensors": make_safetensors, "many": make_onnx_many_nodes}
        makers[args.generate](args.path, args.size_mb)
        return
    if not os.access(SLIPWAY, os.X_OK):
        raise SystemExit(f"{SLIPWAY} not found: run `swift build -c release --static-swift-stdlib --product slipway` first")
    OUT.mkdir(parents=True, exist_ok=True)
    onnx_path = OUT / f"bench_{args.size_mb}mb.onnx"
    st_path = OUT / f"bench_{args.size_mb}mb.safetensors"
    many_path = OUT / "bench_100k_nodes.onnx"
    for kind, path in [("onnx", onnx_path), ("safetensors", st_path), ("many", many_path)]:
        if not path.exists():
            subprocess.run([sys.executable, __file__, "--generate", kind, "--path", str(path),
                            "--size-mb", str(args.size_mb)], check=True)

    rows = []
    for path, library, script in [(onnx_path, "onnx.load + numpy", ONNX_LOAD),
                                  (st_path, "safetensors.numpy.load_file", SAFETENSORS_LOAD),
                                  (many_path, "onnx.load + numpy", ONNX_LOAD)]:
        size = path.stat().st_size
        ours = best([SLIPWAY, "inspect", "--json", str(path)], args.runs)
        theirs = best([sys.executable, "-c", script, str(path)], args.runs)
        rows.append((path.name, size, ours, library, theirs))

    print(f"{'file':<26} {'MB':>6}  {'reader':<28} {'wall s':>8} {'peak RSS MB':>12}")
    for name, size, ours, library, theirs in rows:
        print(f"{name:<26} {size / 1e6:>6.0f}  {'slipway inspect --json':<28} {ours[0]:>8.3f} {ours[1] / 1e6:>12.1f}")
        print(f"{'':<26} {'':>6}  {library:<28} {theirs[0]:>8.3f} {theirs[1] / 1e6:>12.1f}")
        budget = 1.2 * size + 50e6
        print(f"{'':<26} {'':>6}  speed-up {theirs[0] / ours[0]:.1f}×, RSS {ours[1] / theirs[1]:.3f}× the library's, "
              f"{ours[1] / budget:.3f}× the budget (1.2 × file + 50 MB)")


if __name__ == "__main__":
    main()
