#!/usr/bin/env python3
"""Soak `slipway serve` (issue 17): random edits, hovers and completions (some cancelled), and hostile frames
(wrong Content-Length, garbage, truncated headers, bad JSON, Int64 extremes) for a configurable time.

Reports: alive at the end (shutdown answered, exit code 0), RSS growth from where it settled (after the first
tenth of the run) to the end, and edit -> publishDiagnostics latency p50/p99 (edits sent one at a time).

    python3 bench/soak_server.py [--minutes 60] [--bin PATH] [--seed N]
    python3 bench/run.py --soak [--minutes 5]
"""
import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "integration"))
from lsp_client import StdioServer  # noqa: E402

BASE = """slipway: 1
name: soak
model:
  path: models/ds_cnn_kws.onnx
optimize:
  quantize: {weights: int8}
targets:
  mcu: {runtime: tflite-micro, device: cortex-m7, budget: {size_mb: 1}}
  phone: {runtime: litert, delegate: gpu}
"""
URI = "file://" + str(REPO / "examples" / "kws-mcu" / "soak.slipway.yaml")
I64_MAX, I64_MIN = 2**63 - 1, -2**63


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def mutate(rng, text):
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    choice = rng.random()
    if choice < 0.3:
        lines.insert(i, f"unknown_{rng.randrange(1000)}: {rng.randrange(100)}")
    elif choice < 0.5 and len(lines) > 8:
        del lines[i]
    elif choice < 0.7:
        lines[i] = lines[i].replace("int8", rng.choice(["int4", "float16", "int8", "bogus"]))
    elif choice < 0.85:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    else:
        return BASE
    return "\n".join(lines)


def hostile(rng):
    body = json.dumps({"jsonrpc": "2.0", "id": rng.randrange(10**6, 2 * 10**6), "method": "textDocument/hover",
                       "params": {"textDocument": {"uri": URI}, "position": {"line": rng.choice([I64_MAX, I64_MIN, 3]),
                                                                                 "character": rng.choice([I64_MAX, -1, 2])}}}).encode()
    kind = rng.randrange(7)
    if kind == 0:
        return b"Content-Length: %d\r\n\r\n" % max(0, len(body) + rng.choice([-3, -2, -1, 1, 2, 3])) + body
    if kind == 1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if kind == 2:
        return b"Content-Length: %d\r\n" % len(body)  # header cut before its blank line
    if kind == 3:
        return b"Content-Length: 5\r\n\r\n{oops"
    if kind == 4:
        return b"Content-Length: 99999999999999999999\r\n\r\n"
    if kind == 5:
        change = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange",
                             "params": {"textDocument": {"uri": URI, "version": rng.choice([I64_MAX, I64_MIN])},
                                        "contentChanges": [{"range": {"start": {"line": I64_MAX, "character": I64_MAX},
                                                                      "end": {"line": I64_MAX, "character": 0}}, "text": ""}]}}).encode()
        return b"Content-Length: %d\r\n\r\n" % len(change) + change
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--bin", default=os.environ.get("SLIPWAY_BIN", str(REPO / ".build" / "release" / "slipway")))
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    log = open(os.devnull, "wb")
    s = StdioServer(args.bin, stderr=log)
    s.initialize({"general": {"positionEncodings": ["utf-16"]}})
    s.notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": BASE}})
    start = time.monotonic()
    end = start + args.minutes * 60
    settle_at = start + args.minutes * 6  # a tenth of the run
    version, text = 1, BASE
    latencies, counts, samples = [], {"edits": 0, "requests": 0, "cancels": 0, "hostile": 0}, []
    settled = None
    alive = True
    last_sample = 0.0

    def drain(until_version=None, timeout=10.0):
        """Reads messages; with a version, until that version's diagnostics arrive."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if until_version is None:
                left = min(left, 0.0)
            try:
                m = s.read_message(max(left, 0.001))
            except TimeoutError:
                if until_version is None:
                    return True
                return False
            if (until_version is not None and m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"].get("version", -1) >= until_version and m["params"]["uri"] == URI):
                return True

    try:
        while time.monotonic() < end:
            r = rng.random()
            if r < 0.35:
                # A measured edit: sent alone, timed to its diagnostics.
                version += 1
                text = mutate(rng, text)
                t0 = time.perf_counter()
                s.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": version},
                                                    "contentChanges": [{"text": text}]})
                if drain(version):
                    latencies.append((time.perf_counter() - t0) * 1e3)
                counts["edits"] += 1
            elif r < 0.5:
                # A burst of edits, not measured.
                for _ in range(rng.randrange(2, 30)):
                    version += 1
                    text = mutate(rng, text)
                    s.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": version},
                                                        "contentChanges": [{"text": text}]})
                counts["edits"] += 1
            elif r < 0.8:
                line = rng.randrange(max(1, text.count("\n")))
                i = s.request(rng.choice(["textDocument/hover", "textDocument/completion", "textDocument/codeLens",
                                          "textDocument/documentSymbol", "textDocument/inlayHint"]),
                              {"textDocument": {"uri": URI}, "position": {"line": line, "character": rng.randrange(20)},
                               "range": {"start": {"line": 0, "character": 0}, "end": {"line": line, "character": 0}}})
                counts["requests"] += 1
                if rng.random() < 0.3:
                    s.notify("$/cancelRequest", {"id": i})
                    counts["cancels"] += 1
            else:
                s.write(hostile(rng))
                counts["hostile"] += 1
            drain()
            now = time.monotonic()
            if now - last_sample > 1:
                last_sample = now
                samples.append(rss_kb(s.proc.pid))
                if settled is None and now >= settle_at:
                    settled = samples[-1]
            if s.proc.poll() is not None:
                alive = False
                break
        if alive:
            # Whatever a last hostile frame left pending, the next frames are read.
            s.send({"jsonrpc": "2.0", "method": "$/ping"})
            i = s.request("shutdown")
            s.wait_for(lambda m: m.get("id") == i and "method" not in m, timeout=30)
            final = rss_kb(s.proc.pid)
            s.notify("exit")
            alive = s.proc.wait(timeout=30) == 0
        else:
            final = samples[-1] if samples else 0
    except (TimeoutError, EOFError, BrokenPipeError) as e:
        alive = False
        final = samples[-1] if samples else 0
        print(f"server lost: {e!r}", file=sys.stderr)
    settled = settled or (samples[0] if samples else final)
    growth = (final - settled) / settled * 100 if settled else float("nan")
    result = {
        "minutes": args.minutes, "alive": alive, **counts,
        "rss_settled_mb": round(settled / 1024, 1), "rss_final_mb": round(final / 1024, 1),
        "rss_peak_mb": round(max(samples or [final]) / 1024, 1), "rss_growth_pct": round(growth, 1),
        "edit_to_diagnostics_ms_p50": round(pct(latencies, 50), 2), "edit_to_diagnostics_ms_p99": round(pct(latencies, 99), 2),
        "measured_edits": len(latencies),
    }
    print(json.dumps(result, indent=1))
    s.close() if hasattr(s, "close") else None
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
