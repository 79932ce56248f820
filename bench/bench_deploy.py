#!/usr/bin/env python3
"""What `slipway deploy` and `slipway monitor check` cost (issue 15), each beside a reference measured in the
same run on the same files:

- deploy of a 500 MB artifact (a pruned float32 ONNX model, converted first) into a fresh OCI layout
  and a fresh plain folder, hashing included, against `cp` of the same file on the same disk and against
  `cp` + `sync` of the copy (deploy fsyncs what it publishes) (goal: <= 1.5x); median of N runs, the page
  cache warm for both; the file digests are remembered by identity after the first run (DigestCache);
- `monitor check` over 1,000,000 JSON Lines inference records (goal: <= 2 s), against numpy/json in Python
  computing the same p95 and error rate as a reference.

Usage: bench/bench_deploy.py [--bin .build/release/slipway] [--runs 5] [--mb 500]
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]


def timed(cmd, cwd, check=True):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if check and p.returncode != 0:
        raise SystemExit(f"{cmd} failed ({p.returncode}): {p.stderr.decode()[:800]}")
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(REPO / ".build/release/slipway"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--records", type=int, default=1_000_000)
    a = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="slipway-bench-deploy-", dir=REPO / "bench"))
    try:
        import onnx
        from onnx import helper, numpy_helper
        layers = max(1, a.mb // 64)
        rng = np.random.default_rng(0)
        nodes, inits, prev = [], [], "x"
        for i in range(layers):
            w = rng.standard_normal((4096, 4096), dtype=np.float32)
            inits.append(numpy_helper.from_array(w, f"w{i}"))
            nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"]))
            prev = f"h{i}"
        graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4096])],
                                  [helper.make_tensor_value_info(prev, onnx.TensorProto.FLOAT, [1, 4096])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.save(model, str(work / "model.onnx"), save_as_external_data=False) if layers * 64 < 2000 else None
        (work / "m.slipway.yaml").write_text("""slipway: 1
name: big
model: {path: model.onnx}
optimize:
  prune: {sparsity: 0.5}
targets:
  server: {runtime: onnxruntime, device: x86-64-avx2, format: onnx}
deploy: {version: "1"}
""")
        timed([a.bin, "convert", "m.slipway.yaml"], work)
        artifact = next((work / "dist/server").glob("*.onnx"))
        size = artifact.stat().st_size
        # Warm: the check's estimate cache and the page cache, for both sides.
        timed([a.bin, "deploy", "m.slipway.yaml", "--force", "--dry-run"], work, check=False)
        cp, cpsync, dep, plain = [], [], [], []
        for i in range(a.runs):
            shutil.rmtree(work / "cp", ignore_errors=True)
            (work / "cp").mkdir()
            cp.append(timed(["cp", str(artifact), str(work / "cp/a")], work))
            # The same copy made durable (deploy fsyncs every file it publishes; cp alone leaves it in the cache).
            cpsync.append(timed(["sh", "-c", f"cp '{artifact}' '{work}/cp/b' && sync '{work}/cp/b'"], work))
            dep.append(timed([a.bin, "deploy", "m.slipway.yaml", "--force", "--layout", "oci", "--to", f"oci{i}"], work))
            plain.append(timed([a.bin, "deploy", "m.slipway.yaml", "--force", "--to", f"plain{i}"], work))
            shutil.rmtree(work / f"oci{i}")
            shutil.rmtree(work / f"plain{i}")
        c, cs, d, p = statistics.median(cp), statistics.median(cpsync), statistics.median(dep), statistics.median(plain)
        print(f"deploy {size / 1e6:.0f} MB artifact: cp {c * 1000:.0f} ms, cp+sync {cs * 1000:.0f} ms | "
              f"oci {d * 1000:.0f} ms ({d / c:.2f}x cp, {d / cs:.2f}x cp+sync) | "
              f"plain --to {p * 1000:.0f} ms ({p / c:.2f}x cp, {p / cs:.2f}x cp+sync) [goal <= 1.5x]")

        (work / "mon.slipway.yaml").write_text("""slipway: 1
name: big
model: {path: model.onnx}
targets:
  server: {runtime: onnxruntime, device: x86-64-avx2, format: onnx}
monitor: {latency_p95_ms: 15, error_rate: 0.01, min_throughput_rps: 5}
""")
        lat = rng.gamma(4, 2.5, a.records)
        with open(work / "log.jsonl", "w") as f:
            for i in range(a.records):
                f.write('{"target":"server","ts":%.3f,"latency_ms":%.4f,"error":%s}\n'
                        % (1000 + i * 0.001, lat[i], "true" if i % 97 == 0 else "false"))
        t0 = time.perf_counter()
        vals, errs = [], 0
        with open(work / "log.jsonl") as f:
            for line in f:
                r = json.loads(line)
                vals.append(r["latency_ms"])
                errs += r["error"]
        ref_p95 = float(np.quantile(np.array(vals), 0.95))
        ref = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = subprocess.run([a.bin, "monitor", "check", "mon.slipway.yaml", "--source", "log.jsonl", "--format", "json"],
                             cwd=work, capture_output=True)
        mine = time.perf_counter() - t0
        got = {o["threshold"]: o["observed"] for o in json.loads(out.stdout)}
        assert abs(got["latency_p95_ms"] - ref_p95) < 1e-3, (got, ref_p95)
        print(f"monitor check, {a.records:,} JSONL records: {mine:.2f} s (python json+numpy reference {ref:.2f} s, "
              f"{mine / ref:.2f}x) [goal <= 2 s]")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
