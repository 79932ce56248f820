#!/usr/bin/env python3
"""Language-server benchmarks against the release `slipway serve`, over real stdio.

Goals (issue 6): process start -> initialize response <= 50 ms; didChange -> publishDiagnostics <= 5 ms at
p99 for a 300-line manifest with the model analysis cached; hover and completion <= 2 ms at p99; a burst of
1,000 changes -> a handful of diagnostic passes whose final result equals a fresh check; idle RSS <= 30 MB; a
soak of 10,000 random edits with cancellations ends with the server alive and RSS within 10 % of where it
settled. References measured in the same run: process spawn (`/bin/true`) and `slipway check` on the same file.
"""
import json
import pathlib
import random
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "integration"))
from lsp_client import StdioServer  # noqa: E402

BIN = str(REPO / ".build" / "release" / "slipway")
OUT = REPO / "bench" / "out" / "lsp"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def manifest_300():
    lines = ["slipway: 1", "name: kws-bench", "model:", "  path: models/kws.onnx", "  inputs: {mfcc: [1, 1, 49, 10]}",
             "optimize:", "  quantize: {weights: int8, activations: int8, granularity: per-channel, calibration: data/}",
             "targets:"]
    t = 0
    while len(lines) < 290:
        lines += [f"  mcu-{t}:", "    runtime: tflite-micro", "    device: stm32h7", "    format: tflite",
                  "    budget: {size_mb: 1, memory_mb: 1, latency_ms: 100}", "    # tuning notes"]
        t += 1
    lines += ["deploy:", "  to: dist/{target}/{name}-{version}.{ext}", '  version: "1.0.0"']
    return "\n".join(lines) + "\n"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "models").mkdir(exist_ok=True)
    (OUT / "data").mkdir(exist_ok=True)
    model = REPO / "examples" / "kws-mcu" / "models" / "ds_cnn_kws.onnx"
    (OUT / "models" / "kws.onnx").write_bytes(model.read_bytes())
    path = OUT / "bench.slipway.yaml"
    text = manifest_300()
    path.write_text(text)
    uri = path.as_uri()
    n_lines = text.count("\n")
    print(f"slipway serve benchmarks ({n_lines}-line manifest, release build)")

    # 1. Start-up: spawn -> initialize response.
    starts = []
    for _ in range(20):
        t0 = time.perf_counter()
        s = StdioServer(BIN)
        s.initialize()
        starts.append((time.perf_counter() - t0) * 1e3)
        s.close()
    spawn = []
    for _ in range(20):
        t0 = time.perf_counter()
        subprocess.run(["/bin/true"])
        spawn.append((time.perf_counter() - t0) * 1e3)
    print(f"  start -> initialize response      median {statistics.median(starts):6.2f} ms  p90 {pct(starts, 90):6.2f} ms"
          f"   goal <= 50 ms: {'met' if pct(starts, 90) <= 50 else 'MISSED'}   (spawn of /bin/true: {statistics.median(spawn):.2f} ms)")

    s = StdioServer(BIN)
    s.initialize()
    s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
    s.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")

    # 2. didChange -> publishDiagnostics, one edit at a time (the model is cached after the first check).
    lines = text.split("\n")
    comment_lines = [i for i, l in enumerate(lines) if l.endswith("# tuning notes")]
    lat = []
    version = 1
    for k in range(300):
        version += 1
        line = comment_lines[k % len(comment_lines)]
        t0 = time.perf_counter()
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
            {"range": {"start": {"line": line, "character": 18}, "end": {"line": line, "character": 18}}, "text": "x"}]})
        s.wait_for(lambda m, v=version: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == v)
        lat.append((time.perf_counter() - t0) * 1e3)
    check_cli = []
    for _ in range(10):
        t0 = time.perf_counter()
        subprocess.run([BIN, "check", str(path)], stdout=subprocess.DEVNULL)
        check_cli.append((time.perf_counter() - t0) * 1e3)
    p99 = pct(lat, 99)
    print(f"  didChange -> publishDiagnostics    median {statistics.median(lat):6.2f} ms  p99 {p99:6.2f} ms"
          f"   goal <= 5 ms: {'met' if p99 <= 5 else 'MISSED'}   (slipway check process: {statistics.median(check_cli):.2f} ms,"
          f" {statistics.median(check_cli) / statistics.median(lat):.1f}x)")

    # 3. Hover and completion.
    for method, pos in (("textDocument/hover", {"line": 12, "character": 8}),
                        ("textDocument/completion", {"line": 10, "character": 16})):
        ts = []
        for _ in range(500):
            t0 = time.perf_counter()
            s.response(s.request(method, {"textDocument": {"uri": uri}, "position": pos}))
            ts.append((time.perf_counter() - t0) * 1e3)
        print(f"  {method.split('/')[1]:<33} median {statistics.median(ts):6.2f} ms  p99 {pct(ts, 99):6.2f} ms"
              f"   goal <= 2 ms: {'met' if pct(ts, 99) <= 2 else 'MISSED'}")

    # 4. A burst of 1,000 changes.
    s.stashed.clear()
    final = text
    start_version = version
    for k in range(1000):
        version += 1
        line = comment_lines[k % len(comment_lines)]
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
            {"range": {"start": {"line": line, "character": 18}, "end": {"line": line, "character": 18}}, "text": "y"}]})
        ls = final.split("\n")
        ls[line] = ls[line][:18] + "y" + ls[line][18:]
        final = "\n".join(ls)
    last = s.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version, timeout=30)
    passes = 1 + sum(1 for m in s.stashed if m.get("method") == "textDocument/publishDiagnostics"
                     and m["params"].get("version", 0) > start_version)
    (OUT / "final.slipway.yaml").write_text(final)
    fresh = json.loads(subprocess.run([BIN, "check", "--format", "json", str(OUT / "final.slipway.yaml")],
                                      capture_output=True).stdout)
    same = [d["code"] for d in last["params"]["diagnostics"]] == [d["code"] for d in fresh]
    print(f"  burst of 1,000 changes             {passes} diagnostic passes published; final equals a fresh check: {same}")

    # 5. Idle memory.
    time.sleep(0.5)
    idle = rss_kb(s.proc.pid) / 1024
    print(f"  idle RSS                           {idle:6.1f} MB   goal <= 30 MB: {'met' if idle <= 30 else 'MISSED'}")

    # 6. Soak: 10,000 random edits, with hovers cancelled at random.
    rng = random.Random(7)
    settled = None
    cur = final
    for k in range(10_000):
        version += 1
        ls = cur.split("\n")
        line = rng.randrange(len(ls) - 1)
        col = rng.randrange(len(ls[line]) + 1)
        if rng.random() < 0.5 or len(ls[line]) == 0:
            ch = rng.choice(["a", " ", ":", "{", "}", "-", "\u540d", "1"])
            ls[line] = ls[line][:col] + ch + ls[line][col:]
            change = {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": ch}
        else:
            end = min(len(ls[line]), col + 1)
            col = min(col, end - 1) if end > 0 else 0
            ls[line] = ls[line][:col] + ls[line][end:]
            change = {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": end}}, "text": ""}
        cur = "\n".join(ls)
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        if rng.random() < 0.2:
            i = s.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": col}})
            if rng.random() < 0.5:
                s.notify("$/cancelRequest", {"id": i})
        if k % 500 == 0:
            s.stashed.clear()
            while True:
                try:
                    s.read_message(timeout=0.001)
                except TimeoutError:
                    break
        if k == 2000:
            settled = rss_kb(s.proc.pid) / 1024
    i = s.request("shutdown")
    s.response(i, timeout=30)
    end_rss = rss_kb(s.proc.pid) / 1024
    alive = s.proc.poll() is None
    s.notify("exit")
    code = s.proc.wait(timeout=10)
    growth = (end_rss - settled) / settled * 100 if settled else 0
    print(f"  soak of 10,000 edits + cancels     alive: {alive}, exit {code}; RSS settled {settled:.1f} MB -> end {end_rss:.1f} MB"
          f" ({growth:+.1f} %)   goal within 10 %: {'met' if abs(growth) <= 10 else 'MISSED'}")
    s.close()


if __name__ == "__main__":
    main()
