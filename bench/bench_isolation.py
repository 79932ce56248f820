#!/usr/bin/env python3
"""What crash isolation costs (issue 17): model work runs in `slipway worker` processes that `serve` and
`check` supervise. Figures, each beside its in-process reference measured in the same run:

- worker start-up: spawn -> first reply to a ping (reference: spawning /bin/true);
- `slipway check` of the bundled examples, isolated vs `--in-process` (whole process, median of N);
- server edit -> publishDiagnostics on a manifest whose model is analysed, isolated vs `serve --in-process`
  (p50/p99 over N edits);
- worker restart: kill -9 of the idle worker -> the next edit's diagnostics (p50 over N; 4 per server, as
  the fifth crash within a minute pauses model analysis by design).

Usage: bench/bench_isolation.py [--bin .build/release/slipway] [--runs 20]
"""
import argparse
import json
import os
import pathlib
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "integration"))
from lsp_client import StdioServer  # noqa: E402
from test_isolation import workers_of  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def frame(header, payload=b""):
    h = json.dumps(header).encode()
    return struct.pack("<I", len(h)) + h + struct.pack("<I", len(payload)) + payload


def read_exact(f, n):
    b = b""
    while len(b) < n:
        c = f.read(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def worker_startup(binary, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([binary, "worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        p.stdin.write(frame({"op": "ping"}))
        p.stdin.flush()
        (n,) = struct.unpack("<I", read_exact(p.stdout, 4))
        read_exact(p.stdout, n + 4)
        times.append(time.perf_counter() - t0)
        p.stdin.close()
        p.wait()
    true = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(["/bin/true"])
        true.append(time.perf_counter() - t0)
    return statistics.median(times), statistics.median(true)


def check_times(binary, runs, extra):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([binary, "check", *extra, str(REPO / "examples")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def edit_latencies(binary, runs, in_process, kill_worker=False):
    folder = pathlib.Path(tempfile.mkdtemp())
    shutil.copytree(REPO / "examples" / "kws-mcu", folder / "kws")
    path = folder / "kws" / "kws.slipway.yaml"
    text = path.read_text()
    server = StdioServer(binary, *(["--in-process"] if in_process else []))
    uri = f"file://{path}"
    out = []
    try:
        server.initialize()
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == 1, timeout=120)
        for v in range(2, runs + 2):
            if kill_worker:
                for pid in workers_of(server.proc.pid):
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)
            t0 = time.perf_counter()
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": v},
                                                     "contentChanges": [{"text": text + f"# {v}\n"}]})
            server.wait_for(lambda m, v=v: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == v, timeout=120)
            out.append(time.perf_counter() - t0)
            time.sleep(0.01)  # past the burst window: each edit is checked at once
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(REPO / ".build" / "release" / "slipway"))
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    ms = lambda s: f"{s * 1000:.2f} ms"
    w, t = worker_startup(a.bin, a.runs)
    print(f"worker start-up (spawn -> ping reply): {ms(w)}  (/bin/true spawn: {ms(t)}, ratio {w / t:.1f}x)")
    iso, local = check_times(a.bin, a.runs, []), check_times(a.bin, a.runs, ["--in-process"])
    print(f"check examples/: isolated {ms(iso)}, in-process {ms(local)} (ratio {iso / local:.2f}x)")
    e_iso = edit_latencies(a.bin, a.runs * 5, False)
    e_loc = edit_latencies(a.bin, a.runs * 5, True)
    print(f"edit -> diagnostics (kws, model analysed, cached): isolated p50 {ms(pct(e_iso, 50))} p99 {ms(pct(e_iso, 99))}; "
          f"in-process p50 {ms(pct(e_loc, 50))} p99 {ms(pct(e_loc, 99))} (p50 ratio {pct(e_iso, 50) / pct(e_loc, 50):.2f}x)")
    # At most 4 kills per server: the fifth crash within a minute pauses model analysis (the restart limit).
    r = [x for _ in range(max(1, a.runs // 4)) for x in edit_latencies(a.bin, 4, False, kill_worker=True)]
    print(f"edit -> diagnostics right after the worker was killed (restart + fresh model read and estimate): "
          f"p50 {ms(pct(r, 50))} p99 {ms(pct(r, 99))}")


if __name__ == "__main__":
    main()
