"""The latency calibration data is what its script derives, and the CLI applies it.

Schemas/targets/latency_measurements.json is derived by scripts/catalogue/derive_latency_calibration.py from
checkouts of github.com/mlcommons/tiny_results_v1.0 … v1.3: with SLIPWAY_TINY_RESULTS naming a directory that
holds them (as tiny_results_v1.x, or as the mirror layout mlcommons+tiny_results_v1.x/repo) at the recorded
revisions, re-running the script reproduces the committed file byte for byte; without them that test skips.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "Schemas" / "measurements" / "latency_measurements.json"
FITS = REPO / "Schemas" / "targets" / "latency_calibrations.json"
SCRIPT = REPO / "scripts" / "catalogue" / "derive_latency_calibration.py"


def checkouts():
    root = os.environ.get("SLIPWAY_TINY_RESULTS")
    if not root:
        pytest.skip("SLIPWAY_TINY_RESULTS (a directory with the tiny_results_v1.0-v1.3 checkouts) is not set")
    revisions = json.loads(DATA.read_text())["latency_measurements"]["revisions"]
    out = []
    for version, revision in revisions.items():
        for candidate in (pathlib.Path(root) / f"tiny_results_{version}",
                          pathlib.Path(root) / f"mlcommons+tiny_results_{version}" / "repo"):
            if candidate.exists():
                break
        else:
            pytest.skip(f"no tiny_results_{version} checkout under {root}")
        head = subprocess.run(["git", "-C", str(candidate), "rev-parse", "HEAD"], capture_output=True, text=True)
        if head.stdout.strip() != revision:
            pytest.skip(f"{candidate} is at {head.stdout.strip()}, the data was derived at {revision}")
        out.append(f"{version}={candidate}")
    return out


def test_the_script_reproduces_the_committed_data(slipway):
    args = checkouts()
    p = subprocess.run([sys.executable, str(SCRIPT), "--check", "--slipway", slipway, *args],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "latency_measurements.json matches" in p.stdout and "latency_calibrations.json matches" in p.stdout


def test_the_data_records_every_row_with_its_file_and_the_fit_per_core():
    d = json.loads(DATA.read_text())
    m = d["latency_measurements"]
    assert set(m["revisions"]) == {"v1.0", "v1.1", "v1.2", "v1.3"}
    assert m["left_out"] == []
    assert len(m["rows"]) == 124
    for r in m["rows"]:
        assert r["source"]["id"] == f"mlperf-tiny-results-{r['results']}"
        assert r["source"]["section"].endswith(f"/{r['benchmark']}/performance/results.txt")
        assert abs(r["latency_ms"] - 1000 / r["median_inferences_per_s"]) < 1e-4
    # The rows the fit used, as published (median throughput in the results file → ms).
    st = {(r["results"], r["system"], r["benchmark"]): r["latency_ms"] for r in m["rows"]
          if r["submitter"] == "STMicroelectronics"}
    assert st[("v1.3", "NUCLEO_L4R5ZI-P", "kws")] == 43.4179
    assert st[("v1.2", "NUCLEO_H7A3ZI_Q", "ic")] == 40.8447
    assert st[("v1.3", "NUCLEO_U575ZI_Q", "ad")] == 3.2095
    assert "latency_calibrations" not in d  # the fits are the catalogue's, apart
    fits = {c["core"]: c for c in json.loads(FITS.read_text())["latency_calibrations"]}
    assert {k: v["cycles_per_mac"] for k, v in fits.items()} == {
        "cortex-m4": 1.7048, "cortex-m7": 1.0229, "cortex-m33": 1.512}
    assert {k: v["spread"] for k, v in fits.items()} == {
        "cortex-m4": [1.3491, 2.1553], "cortex-m7": [0.8379, 1.2857], "cortex-m33": [1.192, 1.924]}


def test_estimate_json_says_the_latency_is_calibrated(run, tmp_path):
    model = REPO / "Tests" / "Fixtures" / "mlperf-tiny" / "pretrainedResnet_quant.tflite"
    (tmp_path / "m.slipway.yaml").write_text(
        f"slipway: 1\nname: ic\nmodel:\n  path: {model}\n  inputs: {{input_1_int8: [1, 32, 32, 3]}}\n"
        "targets:\n  m33:\n    runtime: tflite-micro\n    device: nucleo-u575zi-q\n")
    assert run("check", str(tmp_path / "m.slipway.yaml")).returncode == 0
    r = run("estimate", str(tmp_path / "m.slipway.yaml"), "--json", "--no-cache")
    assert r.returncode == 0, r.stderr.decode()
    row = json.loads(r.stdout)["targets"][0]
    assert row["latency_ms"] == 119.963  # published: 109.493 ms (X-CUBE-AI 10.2, MLPerf Tiny v1.3)
    cal = row["latency_calibration"]
    assert (cal["method"], cal["class"], cal["clock_mhz"], cal["cycles_per_mac"]) == ("calibrated", "cortex-m33", 160, 1.512)
    assert cal["stack"] == "X-CUBE-AI v10.2"
    assert cal["source"].startswith("MLCommons: MLPerf Tiny 1.3 results")
