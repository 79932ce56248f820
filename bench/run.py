#!/usr/bin/env python3
"""Slipway benchmarks: `make bench` (release build, then this script with .venv's python).

Every figure is printed next to a reference measured in the same run on the same files, as a ratio, so
numbers from different machines or days can be compared by their ratios. Goals from the issues:

- `slipway check` of one manifest that reads no model: <= 20 ms for the whole process
- parse and validate a 2,000-line manifest in process: <= 5 ms
- 1,000 manifests: <= 1 s, and the ratio against check-jsonschema validating the same files against
  Schemas/slipway.schema.json

Other benchmark scripts in this folder (bench_*.py) are run after these, each printing its own figures.
"""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
SLIPWAY = REPO / ".build" / "release" / "slipway"
BENCH = REPO / ".build" / "release" / "slipway-bench"
VENV_BIN = pathlib.Path(sys.executable).parent


def timed(cmd, cwd=None, runs=1):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t0)
        if p.returncode not in (0, 1):
            raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode()[:500]}")
    return times


def manifest(i, targets=2):
    lines = [
        "slipway: 1",
        f"name: model-{i}",
        "model:",
        "  path: models/net.onnx",
        "  inputs:",
        "    image: [1, 3, 224, 224]",
        "optimize:",
        "  quantize: {weights: int8, activations: none, granularity: per-channel, skip: ['head.*']}",
        "  prune: {sparsity: 0.5, skip: ['*bias*']}",
        "targets:",
    ]
    for t in range(targets):
        lines += [
            f"  target-{t}:",
            "    runtime: litert@2.16",
            "    device: arm64-v8a",
            "    delegate: gpu",
            "    format: tflite",
            "    minimum_os: android12",
            "    budget: {size_mb: 4, memory_mb: 64, latency_ms: 20}",
            "    optimize:",
            "      quantize: {weights: float16}",
        ]
    lines += ["deploy:", "  to: dist/{target}/{name}-{version}.{ext}", '  version: "1.0.0"']
    return "\n".join(lines) + "\n"


def setup():
    (OUT / "models").mkdir(parents=True, exist_ok=True)
    (OUT / "models" / "net.onnx").write_bytes(b"\x08\x07")  # the check only stats the model path
    (OUT / "one.slipway.yaml").write_text(manifest(0))
    big = manifest(0, targets=220)
    (OUT / "big.slipway.yaml").write_text(big)
    many = OUT / "many"
    (many / "models").mkdir(parents=True, exist_ok=True)
    (many / "models" / "net.onnx").write_bytes(b"\x08\x07")
    for i in range(1000):
        (many / f"m{i:04d}.slipway.yaml").write_text(manifest(i))
    return big.count("\n")


def row(name, value, unit, goal=None, ref=None, ref_name=None):
    s = f"  {name:<48} {value:9.2f} {unit}"
    if goal is not None:
        s += f"   goal <= {goal} {unit}: {'met' if value <= goal else 'MISSED'}"
    if ref is not None:
        s += f"   {ref_name} {ref:.2f} {unit} -> {ref / value:.1f}x faster" if value > 0 else ""
    print(s)


def main():
    if "--soak" in sys.argv:
        # The server soak (default 60 min) runs only when asked: bench/run.py --soak [--minutes 5].
        rest = [a for a in sys.argv[1:] if a != "--soak"]
        raise SystemExit(subprocess.run([sys.executable, str(REPO / "bench" / "soak_server.py"), *rest]).returncode)
    for exe in (SLIPWAY, BENCH):
        if not exe.exists():
            raise SystemExit(f"{exe} missing: run `make bench` (it builds the release binaries first)")
    big_lines = setup()
    cj = VENV_BIN / "check-jsonschema"
    schema = str(REPO / "Schemas" / "slipway.schema.json")
    print(f"slipway check benchmarks ({os.cpu_count()} cores)")

    # 1. One manifest, whole process; reference: the same file through check-jsonschema, and `true`.
    one = str(OUT / "one.slipway.yaml")
    timed([str(SLIPWAY), "check", one], runs=3)  # warm the page cache
    ours = statistics.median(timed([str(SLIPWAY), "check", one], runs=40)) * 1e3
    floor = statistics.median(timed(["/bin/true"], runs=40)) * 1e3
    ref = statistics.median(timed([str(cj), "--schemafile", schema, one], runs=5)) * 1e3
    row("check one manifest (process, median of 40)", ours, "ms", goal=20, ref=ref, ref_name="check-jsonschema")
    row("  process spawn floor (/bin/true)", floor, "ms")

    # 2. A 2,000-line manifest in process; reference: PyYAML's libyaml loader alone on the same text.
    r = subprocess.run([str(BENCH), str(OUT / "big.slipway.yaml"), "50"], capture_output=True, check=True)
    res = json.loads(r.stdout)
    try:
        import yaml
        text = (OUT / "big.slipway.yaml").read_text()
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        ts = []
        for _ in range(20):
            t0 = time.perf_counter()
            yaml.load(text, Loader=loader)
            ts.append(time.perf_counter() - t0)
        pyyaml = statistics.median(ts) * 1e3
    except ImportError:
        pyyaml = None
    row(f"parse {big_lines}-line manifest (libyaml events -> tree)", res["parse"]["median_ms"], "ms",
        ref=pyyaml, ref_name="PyYAML CSafeLoader load")
    row(f"parse + validate + path checks, {big_lines} lines", res["check"]["median_ms"], "ms", goal=5,
        ref=pyyaml, ref_name="PyYAML CSafeLoader load")

    # 3. 1,000 manifests, whole process, both cores; reference: check-jsonschema on the same files.
    many = OUT / "many"
    files = sorted(str(p) for p in many.glob("*.slipway.yaml"))
    timed([str(SLIPWAY), "check", str(many)])
    ours_many = statistics.median(timed([str(SLIPWAY), "check", str(many)], runs=5))
    ref_many = statistics.median(timed([str(cj), "--schemafile", schema, *files], runs=1))
    row("check 1,000 manifests (process, median of 5)", ours_many * 1e3, "ms", goal=1000,
        ref=ref_many * 1e3, ref_name="check-jsonschema")

    for extra in sorted(pathlib.Path(__file__).parent.glob("bench_*.py")):
        print(f"\n{extra.name}")
        subprocess.run([sys.executable, str(extra)], check=False)


if __name__ == "__main__":
    main()
