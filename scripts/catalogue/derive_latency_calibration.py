#!/usr/bin/env python3
"""Published MLPerf Tiny latencies and the microcontroller latency calibration fitted to them: the fits to
Schemas/targets/latency_calibrations.json (catalogue data, embedded in the binary), the rows they come from to
Schemas/measurements/latency_measurements.json (for the tests and the docs, not embedded).

    scripts/catalogue/derive_latency_calibration.py --slipway .build/debug/slipway \\
        v1.0=/path/to/tiny_results_v1.0 v1.1=/path/to/tiny_results_v1.1 v1.2=... v1.3=...
    scripts/catalogue/derive_latency_calibration.py --check ...   # same inputs, compare with the committed files

Each argument is a checkout (or a bare mirror: files are read with `git show HEAD:path`) of
github.com/mlcommons/tiny_results_<version>; its HEAD revision is recorded.

Measurements: every closed-division `closed/<submitter>/results/<system>/<bench>/performance/results.txt` for the
benchmarks kws, vww, ic and ad on the boards NUCLEO-L4R5ZI (Cortex-M4), NUCLEO-H7A3ZI-Q (Cortex-M7) and
NUCLEO-U575ZI-Q (Cortex-M33), whose system description (`closed/<submitter>/systems/<system>.json`, or the one
file in `systems/<system>/`) names the processor and its frequency. The runner prints the throughput of each
measurement window and then "Median throughput is X inf./sec."; the latency is 1000 / X ms. Float submissions
(a system name ending in _float) are left out: the reference models are int8.

Calibration: per core, the effective cycles per multiply-accumulate of one software stack,
cycles/MAC = latency × clock / MACs, where MACs is slipway's count for the committed reference model of the
benchmark (Tests/Fixtures/mlperf-tiny, from `slipway estimate --json`); the core's figure is the geometric mean
over the four benchmarks, with the spread (min and max of the four) and, per benchmark, the ratio
estimate/published when that benchmark is left out of the fit. The stack fitted is STMicroelectronics' own
X-CUBE-AI submission from the newest results release that has all four benchmarks on the board at its full clock
(the only stack submitted for all three cores across releases). The uncalibrated roofline it replaces assumes
2 MACs per cycle (SMLAD, the peak the catalogue gives stm32h7), i.e. 0.5 cycles/MAC.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import catalogue_json as cj

# The fits are catalogue data (embedded in the binary); the rows they come from are kept apart, for the tests and
# the docs, and not embedded.
OUT = "latency_calibrations.json"
ROWS = os.path.join(cj.ROOT, "Schemas", "measurements", "latency_measurements.json")
BENCHMARKS = {  # benchmark → the committed reference model
    "kws": "kws_ref_model.tflite",
    "vww": "vww_96_int8.tflite",
    "ic": "pretrainedResnet_quant.tflite",
    "ad": "ad01_int8.tflite",
}
# The reference models' inputs have a dynamic batch: the benchmarks run batch 1.
INPUTS = {
    "kws": "{input_1: [1, 49, 10, 1]}", "vww": "{input_1_int8: [1, 96, 96, 3]}",
    "ic": "{input_1_int8: [1, 32, 32, 3]}", "ad": "{input_1: [1, 640]}",
}
BOARDS = {  # a system name contains the key (upper case, '-' as '_') → board, core, catalogue device
    "L4R5ZI": ("NUCLEO-L4R5ZI", "cortex-m4", "nucleo-l4r5zi"),
    "H7A3ZI": ("NUCLEO-H7A3ZI-Q", "cortex-m7", "nucleo-h7a3zi-q"),
    "U575ZI": ("NUCLEO-U575ZI-Q", "cortex-m33", "nucleo-u575zi-q"),
}
CORES = {"cortex-m4": r"Cortex.{0,3}-M4\b", "cortex-m7": r"Cortex.{0,3}-M7\b", "cortex-m33": r"Cortex.{0,3}-M33\b"}
FIT_SUBMITTER = "STMicroelectronics"
ROOFLINE_CYCLES_PER_MAC = 0.5


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def lenient_json(text):
    # Some system descriptions have a trailing comma or a missing one between lines.
    for attempt in (text, re.sub(r",(\s*[}\]])", r"\1", text),
                    re.sub(r'"\s*\n(\s*")', r'",\n\1', re.sub(r",(\s*[}\]])", r"\1", text))):
        try:
            return json.loads(attempt)
        except json.JSONDecodeError:
            continue
    return None


def field(d, prefix):
    for k, v in d.items():
        if k.strip().lower().startswith(prefix):
            return v.strip() if isinstance(v, str) else v
    return None


def norm(s):
    return s.upper().replace("-", "_")


def median_throughput(text):
    m = re.search(r"Median throughput is\s+([0-9.]+)\s+inf\./sec", text)
    windows = [float(x) for x in re.findall(r"Throughput\s*:\s*([0-9.]+)\s+inf\./sec", text)]
    return (float(m.group(1)) if m else None), windows


def measurements(version, repo):
    rev = git(repo, "rev-parse", "HEAD").strip()
    files = git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    systems = {}
    for f in files:
        parts = f.split("/")
        if len(parts) >= 4 and parts[0] == "closed" and parts[2] == "systems" and f.endswith(".json"):
            stem = os.path.basename(f)[:-5]
            key = parts[3] if len(parts) == 5 else stem  # systems/<system>/<file>.json names the directory
            systems.setdefault((parts[1], norm(key)), []).append(f)
    rows, skipped = [], []
    for f in files:
        m = re.fullmatch(r"closed/([^/]+)/results/([^/]+)/(kws|vww|ic|ad)/performance/results\.txt", f)
        if not m:
            continue
        submitter, system, bench = m.groups()
        board = next((v for k, v in BOARDS.items() if k in norm(system)), None)
        if board is None or norm(system).endswith("_FLOAT"):
            continue
        desc_files = systems.get((submitter, norm(system)), [])
        desc = lenient_json(git(repo, "show", f"HEAD:{desc_files[0]}")) if len(desc_files) == 1 else None
        processor = desc and field(desc, "processor(s) name")
        freq = desc and field(desc, "processor(s) freq")
        fm = re.fullmatch(r"([0-9.]+)\s*MHz", freq or "")
        if not (processor and fm and re.search(CORES[board[1]], processor)):
            skipped.append(f"{version} {submitter}/{system}/{bench}: no system description naming a {board[1]} "
                           f"and its frequency")
            continue
        median, windows = median_throughput(git(repo, "show", f"HEAD:{f}"))
        if median is None:
            skipped.append(f"{version} {submitter}/{system}/{bench}: no median throughput")
            continue
        stack = field(desc, "inference framework") or field(desc, "ml model compiler") or ""
        rows.append({
            "results": version, "submitter": submitter, "system": system, "board": board[0],
            "core": board[1], "clock_mhz": float(fm.group(1)), "processor": processor, "stack": stack,
            "benchmark": bench, "median_inferences_per_s": median, "latency_ms": round(1000 / median, 4),
            "windows": len(windows), "system_description": desc_files[0],
            "source": {"id": f"mlperf-tiny-results-{version}", "section": f},
        })
    return rows, skipped


def reference_macs(slipway, root):
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for bench, name in BENCHMARKS.items():
            model = os.path.join(root, "Tests", "Fixtures", "mlperf-tiny", name)
            manifest = os.path.join(d, f"{bench}.slipway.yaml")
            with open(manifest, "w") as f:
                f.write(f"slipway: 1\nname: {bench}\nmodel:\n  path: {model}\n  inputs: {INPUTS[bench]}\n"
                        "targets:\n  m4:\n    runtime: tflite-micro\n    device: nucleo-l4r5zi\n")
            p = subprocess.run([slipway, "estimate", manifest, "--json", "--no-cache"], capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"slipway estimate {name}: {p.stderr}")
            out[bench] = json.loads(p.stdout)["targets"][0]["macs"]
    return out


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def fit(rows, macs):
    calibrations = []
    for core in CORES:
        mine = [r for r in rows if r["core"] == core and r["submitter"] == FIT_SUBMITTER]
        # The newest release with all four benchmarks on the board at its full clock (the board's highest).
        full = max((r["clock_mhz"] for r in mine), default=None)
        chosen = None
        for version in sorted({r["results"] for r in mine}, reverse=True):
            at = {r["benchmark"]: r for r in mine if r["results"] == version and r["clock_mhz"] == full}
            if set(at) == set(BENCHMARKS):
                chosen = at
                break
        if chosen is None:
            continue
        cpm = {b: r["latency_ms"] / 1000 * r["clock_mhz"] * 1e6 / macs[b] for b, r in chosen.items()}
        g = geomean(cpm.values())
        per = {}
        for b in BENCHMARKS:
            loo = geomean([v for k, v in cpm.items() if k != b])
            per[b] = {"published_ms": chosen[b]["latency_ms"], "macs": macs[b], "cycles_per_mac": round(cpm[b], 4),
                      "roofline_ratio": round(ROOFLINE_CYCLES_PER_MAC / cpm[b], 4),
                      "calibrated_ratio": round(g / cpm[b], 4), "leave_one_out_ratio": round(loo / cpm[b], 4)}
        r0 = next(iter(chosen.values()))
        calibrations.append({
            "core": core, "precision": "int8", "cycles_per_mac": round(g, 4),
            "spread": [round(min(cpm.values()), 4), round(max(cpm.values()), 4)],
            "factor_vs_roofline": round(g / ROOFLINE_CYCLES_PER_MAC, 3),
            "stack": r0["stack"], "fitted_on": f"{FIT_SUBMITTER} {r0['system']} at {r0['clock_mhz']:g} MHz, "
                                                f"MLPerf Tiny results {r0['results']}",
            "benchmarks": per,
            "models": {"id": "mlperf-tiny-reference-models",
                       "section": "benchmark/training/*/trained_models: " + ", ".join(BENCHMARKS.values())
                                  + " (copied to Tests/Fixtures/mlperf-tiny)"},
            "source": {"id": f"mlperf-tiny-results-{r0['results']}",
                       "section": f"closed/{FIT_SUBMITTER}/results/{r0['system']}/*/performance/results.txt"},
        })
    return calibrations


def document(args):
    root = cj.ROOT
    rows, skipped, revisions = [], [], {}
    for spec in args.results:
        version, _, path = spec.partition("=")
        r, s = measurements(version, path)
        rows += r
        skipped += s
        revisions[version] = git(path, "rev-parse", "HEAD").strip()
    rows.sort(key=lambda r: (r["core"], r["results"], r["submitter"], r["system"], list(BENCHMARKS).index(r["benchmark"])))
    macs = reference_macs(args.slipway, root)
    # The files hold other scripts' keys too (derive_edgetpu_calibration.py's): kept as they are.
    return merged(os.path.join(cj.TARGETS, OUT), {"latency_calibrations": fit(rows, macs)}), merged(ROWS, {
        "latency_measurements": {
            "note": "Published MLPerf Tiny v1.0-v1.3 closed-division latencies (median of the runner's windows) "
                    "on the Cortex-M4/M7/M33 Nucleo boards; derived by scripts/catalogue/derive_latency_calibration.py.",
            "revisions": revisions,
            "left_out": skipped,
            "rows": rows,
        },
    })


def merged(path, mine):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc.update(mine)
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slipway", required=True, help="the slipway binary, for the reference models' MAC counts")
    ap.add_argument("--check", action="store_true", help="compare with the committed file instead of writing it")
    ap.add_argument("results", nargs="+", help="VERSION=PATH of a tiny_results checkout")
    args = ap.parse_args()
    fits, rows = document(args)
    outputs = [(os.path.join(cj.TARGETS, OUT), fits), (ROWS, rows)]
    if args.check:
        for path, doc in outputs:
            with open(path, encoding="utf-8") as f:
                if f.read() != cj._fmt(doc, 0) + "\n":
                    sys.exit(f"{os.path.basename(path)} differs from what the script derives")
            print(f"{os.path.basename(path)} matches")
        return
    for path, doc in outputs:
        with open(path, "w", encoding="utf-8") as f:
            f.write(cj._fmt(doc, 0) + "\n")
    print(f"wrote {os.path.relpath(ROWS, cj.ROOT)}: {len(rows['latency_measurements']['rows'])} measurements; "
          f"{os.path.join('Schemas', 'targets', OUT)}: {len(fits['latency_calibrations'])} calibrations")


if __name__ == "__main__":
    main()
