#!/usr/bin/env python3
"""Shape analysis at scale (issue 11: a 100,000-node ONNX graph analysed in <= 100 ms and <= 100 MB).

Generates a chain of 100,000 elementwise nodes (and a 1,000-node graph of shape-arithmetic chains), then
times `slipway inspect --analysis` against `slipway inspect` on the same file (the read alone, the reference
measured in the same run): the difference is the analysis. Also a JSON-RPC-sized object of 100,000 keys parsed
by the server's JSON parser through `slipway inspect` of nothing: see bench_lsp for the protocol path.

Usage: bench/bench_analysis.py [--bin .build/release/slipway] [--nodes 100000] [--runs 5]
"""
import argparse
import os
import pathlib
import statistics
import subprocess
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


def timed(cmd, runs, scratch):
    """Median wall and CPU (user + system) seconds, and the largest peak RSS (bytes), of `runs` runs of `cmd`.

    GNU time runs the command when it is installed: a child forked from this Python would report this
    process's own peak (the generated graph and onnx's copy of it) as its floor, as Linux carries ru_maxrss
    across fork and exec."""
    gnu_time = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
    walls, cpus, rss = [], [], 0
    for _ in range(runs):
        prefix = [gnu_time, "-f", "%U %S %M", "-o", f"{scratch}/time.txt"] if gnu_time else []
        t0 = time.perf_counter()
        p = subprocess.Popen(prefix + cmd, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(cmd)} failed")
        if gnu_time:
            user, system, kib = open(f"{scratch}/time.txt").read().split()[-3:]
            cpus.append(float(user) + float(system))
            rss = max(rss, int(kib) * 1024)
        else:
            cpus.append(usage.ru_utime + usage.ru_stime)
            rss = max(rss, usage.ru_maxrss * 1024)
    return statistics.median(walls), statistics.median(cpus), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(REPO / ".build" / "release" / "slipway"))
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/chain.onnx"
        chain(path, a.nodes)
        read, read_cpu, read_rss = timed([a.bin, "inspect", path], a.runs, d)
        text, text_cpu, text_rss = timed([a.bin, "inspect", "--analysis", path], a.runs, d)
        full, full_cpu, rss = timed([a.bin, "inspect", "--analysis", "--json", path], a.runs, d)
        print(f"{a.nodes}-node graph: read {read * 1000:.1f} ms (cpu {read_cpu * 1000:.1f} ms, RSS {read_rss / 1e6:.1f} MB), "
              f"read + analysis + JSON {full * 1000:.1f} ms (cpu {full_cpu * 1000:.1f} ms)")
        # The text form prints the same summary plus totals: its difference from the read is the analysis alone;
        # the JSON form adds every value's shape (100k entries) to a JSON document.
        print(f"  analysis alone (inspect --analysis) ~{(text - read) * 1000:.1f} ms wall, ~{(text_cpu - read_cpu) * 1000:.1f} ms cpu, "
              f"peak RSS {text_rss / 1e6:.1f} MB")
        print(f"  analysis and JSON output ~{(full - read) * 1000:.1f} ms wall, ~{(full_cpu - read_cpu) * 1000:.1f} ms cpu; "
              f"ratio {full / read:.2f}x; peak RSS {rss / 1e6:.1f} MB (goal: analysis <= 100 ms, <= 100 MB)")

if __name__ == "__main__":
    main()
