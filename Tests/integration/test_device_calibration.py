"""The Raspberry Pi 5 and Jetson Orin NX latency calibrations are what their script derives from the published rows,
and the CLI applies them.

Schemas/targets/latency_calibrations.json `device_calibrations` is fitted by
scripts/catalogue/derive_device_calibration.py to Ultralytics' published YOLO11 inference times (the rows kept
verbatim in Schemas/measurements/latency_measurements.json `device_published`), the models' MACs slipway's own count
of each model's ONNX export (`yolo11_macs`, measured by scripts/catalogue/measure_yolo_macs.py: the calibration is
applied to slipway's count, so it is fitted on it): re-deriving reproduces both files, and re-measuring reproduces
the counts with the slipway under test (a change of the MAC conventions fails here until the fits are redone).
Each fit's ratios estimate / published are printed per row (pytest -s) and held within the band the fit documents
(docs/analysis.md).
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "Schemas" / "measurements" / "latency_measurements.json"
FITS = REPO / "Schemas" / "targets" / "latency_calibrations.json"
SCRIPT = REPO / "scripts" / "catalogue" / "derive_device_calibration.py"
SMALL_CNN = REPO / "Tests" / "Fixtures" / "models" / "small_cnn.onnx"

# Estimate / published per row, as fitted (docs/analysis.md): the Pi's per-MAC fits over two models are coarse
# (ONNX Runtime runs YOLO11n at 0.73 of the fit, YOLO11s at 1.17: a small model keeps four cores less busy); the
# Jetsons' cost per GMAC plus a constant fits their five models within 0.92-1.05, and within 0.90-1.12 with each
# model left out (the Orin Nano Super's FP32 YOLO11n, the smallest, is the 1.11).
BANDS = {
    ("raspberry-pi-5", "onnxruntime", "float32"): (0.73, 1.17),
    ("raspberry-pi-5", "litert", "float32"): (0.92, 1.07),
    ("jetson-orin-nx-16gb", "tensorrt", "float32"): (0.97, 1.02),
    ("jetson-orin-nx-16gb", "tensorrt", "float16"): (0.97, 1.05),
    ("jetson-orin-nx-16gb", "tensorrt", "int8"): (0.92, 1.04),
    ("jetson-orin-nano-super", "tensorrt", "float32"): (0.96, 1.04),
    ("jetson-orin-nano-super", "tensorrt", "float16"): (0.97, 1.03),
    ("jetson-orin-nano-super", "tensorrt", "int8"): (0.93, 1.04),
}
LOO_BAND = (0.90, 1.12)
MEASURE = REPO / "scripts" / "catalogue" / "measure_yolo_macs.py"
COREML_PYTHON = os.environ.get("SLIPWAY_COREML_PYTHON", str(REPO / ".venv-coreml/bin/python"))


def fits():
    return {(c["device"], c["runtime"], c["precision"]): c for c in json.loads(FITS.read_text())["device_calibrations"]}


def test_rederiving_the_published_rows_reproduces_both_files():
    p = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "match" in p.stdout


def test_the_rows_are_the_published_tables_with_their_compute():
    doc = json.loads(DATA.read_text())["device_published"]
    rows = doc["rows"]
    # Pi 5: two models × ONNX and TF Lite; Orin NX and Orin Nano Super: five models × three TensorRT precisions.
    assert len(rows) == 4 + 15 + 15
    pi = {(r["format"], r["model"]): r["published_ms"] for r in rows if r["device"] == "raspberry-pi-5"}
    assert pi == {("ONNX", "YOLO11n"): 168.082, ("ONNX", "YOLO11s"): 324.17,
                  ("TF Lite", "YOLO11n"): 317.398, ("TF Lite", "YOLO11s"): 849.86}
    nx = {(r["format"], r["model"]): r["published_ms"] for r in rows if r["device"] == "jetson-orin-nx-16gb"}
    assert nx[("TensorRT (FP16)", "YOLO11n")] == 4.85 and nx[("TensorRT (INT8)", "YOLO11x")] == 22.32
    # The fits' MACs are slipway's count of the export; Ultralytics' FLOPs (thop's MACs × 2) are kept beside them:
    # YOLO11n's 6.5 B FLOPs are 3.25 G MACs of convolutions, slipway counts 3.88 G with the SiLUs and the head.
    n = next(r for r in rows if r["model"] == "YOLO11n")
    assert (n["macs"], n["macs_from"], n["published_macs"], n["input"]) == (
        3_877_774_463, "slipway's count of the ONNX export (yolo11_macs)", 3_250_000_000, [1, 3, 640, 640])
    # The Orin Nano Super Developer Kit (super-mode clocks) is its own catalogue device, not the Orin Nano's.
    nano = {(r["format"], r["model"]): r["published_ms"] for r in rows if r["device"] == "jetson-orin-nano-super"}
    assert len(nano) == 15 and nano[("TensorRT (FP16)", "YOLO11n")] == 4.91 and nano[("TensorRT (INT8)", "YOLO11x")] == 20.72
    assert not [r for r in rows if r["device"] is None]
    assert {s["id"] for s in doc["sources"]} == {"ultralytics-raspberry-pi", "ultralytics-jetson"}


def test_the_counts_are_slipways_count_of_the_ultralytics_exports(slipway):
    """Rebuilds the five YOLO11 models as Ultralytics exports them and counts them with the slipway under test."""
    env = dict(os.environ, YOLO_CONFIG_DIR=tempfile.mkdtemp(prefix="yolo-config-"))
    have = subprocess.run([COREML_PYTHON, "-c", "import ultralytics"], capture_output=True, env=env)
    assert have.returncode == 0, "ultralytics is not installed in the Core ML venv (requirements-ultralytics.txt)"
    p = subprocess.run([COREML_PYTHON, str(MEASURE), "--check", "--slipway", slipway], capture_output=True, text=True,
                       timeout=900, env=env)
    print(p.stdout)
    assert p.returncode == 0, p.stdout + p.stderr
    counts = json.loads(DATA.read_text())["yolo11_macs"]["models"]
    # slipway counts 5-19 % more than thop: the element-wise work (SiLU's sigmoid and product, the head's decode)
    # weighs most in the smallest model.
    assert {m: c["slipway_per_thop"] for m, c in counts.items()} == {
        "YOLO11n": 1.1854, "YOLO11s": 1.1025, "YOLO11m": 1.069, "YOLO11l": 1.0694, "YOLO11x": 1.0463}


def test_every_row_is_within_its_fits_documented_band():
    f = fits()
    assert set(f) == set(BANDS)
    for key, c in f.items():
        lo, hi = BANDS[key]
        for model, m in c["models"].items():
            print(f"{key[0]} {key[1]} {key[2]} {model}: estimate / published {m['calibrated_ratio']:.3f}"
                  + (f" (left out {m['leave_one_out_ratio']:.3f})" if "leave_one_out_ratio" in m else ""))
            assert lo <= m["calibrated_ratio"] <= hi, (key, model, m)
            if "leave_one_out_ratio" in m:
                assert LOO_BAND[0] <= m["leave_one_out_ratio"] <= LOO_BAND[1], (key, model, m)
        # The spread the estimate reports is published / estimate over the same rows.
        ratios = [1 / m["calibrated_ratio"] for m in c["models"].values()]
        assert c["ratio_spread"] == pytest.approx([min(ratios), max(ratios)], rel=1e-3)


def manifest(tmp_path, target):
    (tmp_path / "m.slipway.yaml").write_text(
        f"slipway: 1\nname: m\nmodel:\n  path: {SMALL_CNN}\n  inputs: {{input: [1, 3, 32, 32]}}\n"
        f"targets:\n  t:\n{target}")
    return str(tmp_path / "m.slipway.yaml")


@pytest.mark.parametrize("target,key", [
    ("    runtime: onnxruntime\n    device: raspberry-pi-5\n", ("raspberry-pi-5", "onnxruntime", "float32")),
    ("    runtime: litert\n    device: raspberry-pi-5\n", ("raspberry-pi-5", "litert", "float32")),
    ("    runtime: tensorrt\n    device: jetson-orin-nx-16gb\n", ("jetson-orin-nx-16gb", "tensorrt", "float16")),
    ("    runtime: tensorrt\n    device: orin-nano-super\n", ("jetson-orin-nano-super", "tensorrt", "float16")),
])
def test_estimate_applies_the_devices_fit(run, tmp_path, target, key):
    m = manifest(tmp_path, target)
    r = run("estimate", m, "--json", "--no-cache")
    assert r.returncode == 0, r.stderr.decode()
    row = json.loads(r.stdout)["targets"][0]
    cal = row["latency_calibration"]
    assert (cal["method"], cal["class"], cal["device"], cal["runtime"], cal["precision"]) == ("calibrated", "device", *key)
    fit = fits()[key]
    assert row["latency_ms"] == pytest.approx(row["macs"] / 1e9 * fit["ms_per_gmac"] + fit["constant_ms"], abs=0.001)
    text = run("estimate", m, "--no-cache").stdout.decode()
    assert f"calibrated on published {key[0]} {key[1]} {key[2]} measurements" in text


def test_another_runtime_on_the_pi_stays_a_roofline(run, tmp_path):
    m = manifest(tmp_path, "    runtime: onnxruntime\n    device: raspberry-pi-4\n")
    row = json.loads(run("estimate", m, "--json", "--no-cache").stdout)["targets"][0]
    assert row["latency_calibration"] in (None, {"method": "uncalibrated-roofline"})
