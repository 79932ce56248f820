#!/usr/bin/env python3
"""Shape analysis at scale (issue 11: a 100,000-node ONNX graph analysed in <= 100 ms and <= 100 MB).

Generates a chain of 100,000 elementwise nodes (and a 1,000-node graph of shape-arithmetic chains), then
times `slipway inspect --analysis` against `slipway inspect` on the same file (the read alone, the reference
measured in the same run): the difference is the analysis. Also a JSON-RPC-sized object of 100,000 keys parsed
by the server's JSON parser through `slipway inspect` of nothing: see bench_lsp for the protocol path.

Usage: bench/bench_analysis.py [--bin .build/release/slipway] [--nodes 100000] [--runs 5]
"""
import argparse
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = pathlib.Path(__file__).resolve().parents[1]


def chain(path, n):
    nodes, prev = [], "x"
    for i in range(n):
        op = ("Add", "Relu", "Mul")[i % 3]
        nodes.append(helper.make_node(op, [prev, "b"] if op != "Relu" else [prev], [f"v{i}"], name=f"n{i}"))
        prev = f"v{i}"
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 64])],
                          [numpy_helper.from_array(np.ones([1, 64], np.float32), "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def timed(cmd, runs):
    times, rss = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
        rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return statistics.median(times), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(REPO / ".build" / "release" / "slipway"))
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/chain.onnx"
        chain(path, a.nodes)
        read, _ = timed([a.bin, "inspect", path], a.runs)
        full, rss = timed([a.bin, "inspect", "--analysis", "--json", path], a.runs)
        print(f"{a.nodes}-node graph: read {read * 1000:.1f} ms, read + analysis + JSON {full * 1000:.1f} ms "
              f"(analysis and output ~{(full - read) * 1000:.1f} ms; ratio {full / read:.2f}x); peak RSS of the runs "
              f"{rss / 1024:.1f} MB (goal: analysis <= 100 ms, <= 100 MB)")


if __name__ == "__main__":
    main()
