"""The device latency calibrations (Raspberry Pi 5, Jetson Orin NX and Orin Nano Super, and the devices Qualcomm AI Hub
measured: Samsung Galaxy S22/S24/S25/S26, Snapdragon 7 Gen 4 QRD, X Elite and X2 Elite CRDs, QCS8550 (Proxy), Dragonwing
boards, Arduino VENTUNO Q, SA7255P/SA8295P/SA8775P ADPs) are what their script derives from the published rows, and the
CLI applies them.

Schemas/targets/latency_calibrations.json `device_calibrations` is fitted by
scripts/catalogue/derive_device_calibration.py to Ultralytics' published YOLO11 inference times and to Qualcomm AI
Hub Models' perf.yaml rows (kept in Schemas/measurements/latency_measurements.json `device_published`; the AI Hub
rows re-read here from the pinned qai-hub-models wheel), the models' MACs slipway's own count of each model's ONNX
export (`model_macs`, measured by scripts/catalogue/measure_model_macs.py: the calibration is applied to slipway's
count, so it is fitted on it): re-deriving reproduces both files, and re-measuring reproduces the counts with the
slipway under test (a change of the MAC conventions fails here until the fits are redone).
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
    ("raspberry-pi-5", "onnxruntime", "cpu", "float32"): (0.73, 1.17),
    ("raspberry-pi-5", "litert", "cpu", "float32"): (0.92, 1.07),
    ("jetson-orin-nx-16gb", "tensorrt", "gpu", "float32"): (0.97, 1.02),
    ("jetson-orin-nx-16gb", "tensorrt", "gpu", "float16"): (0.97, 1.05),
    ("jetson-orin-nx-16gb", "tensorrt", "gpu", "int8"): (0.92, 1.04),
    ("jetson-orin-nano-super", "tensorrt", "gpu", "float32"): (0.96, 1.04),
    ("jetson-orin-nano-super", "tensorrt", "gpu", "float16"): (0.97, 1.03),
    ("jetson-orin-nano-super", "tensorrt", "gpu", "int8"): (0.93, 1.04),
    # ONNX Runtime's CUDA execution provider (Ultralytics' ONNX rows on the Jetsons, within 5 % of TensorRT FP32).
    ("jetson-orin-nx-16gb", "onnxruntime", "gpu", "float32"): (0.98, 1.02),
    ("jetson-orin-nano-super", "onnxruntime", "gpu", "float32"): (0.96, 1.03),
}
LOO_BAND = (0.90, 1.12)
MEASURE = REPO / "scripts" / "catalogue" / "measure_model_macs.py"
QAIHM = "qai-hub-models==0.65.0"
# The AI Hub fits are coarse: an NPU's time is not its MACs alone (depthwise and squeeze-excitation blocks, layer
# norms and concatenations cost more than their MACs say; EfficientNet-B0, ConvNeXt and DenseNet in int8 are the
# outliers; the Snapdragon X Elite's DenseNet-121 in int8, at 0.28, the lowest). Estimate / published per model, all 46
# fits, and with the model left out.
QAIHM_BAND = (0.28, 1.75)
QAIHM_LOO_BAND = (0.27, 2.08)
# AI Hub's device → the catalogue device: every device perf.yaml measures the classifiers on, and the fits each got
# (runtime, processor, precision with three models or more).
QAIHM_DEVICES = {
    "Samsung Galaxy S22 5G": "samsung-galaxy-s22-5g", "Samsung Galaxy S24": "samsung-galaxy-s24",
    "Samsung Galaxy S25": "samsung-galaxy-s25", "Samsung Galaxy S26": "samsung-galaxy-s26",
    "Snapdragon 7 Gen 4 QRD": "snapdragon-7-gen-4-qrd", "Snapdragon X Elite CRD": "snapdragon-x-elite-crd",
    "Snapdragon X2 Elite CRD": "snapdragon-x2-elite-crd", "QCS8550 (Proxy)": "qcs8550-proxy",
    "Dragonwing IQ-9075 EVK": "dragonwing-iq-9075-evk", "Dragonwing Q-6690 MTP": "dragonwing-q-6690-mtp",
    "Dragonwing RB3 Gen 2 Vision Kit": "dragonwing-rb3-gen-2-vision-kit", "Arduino VENTUNO Q": "arduino-ventuno-q",
    "SA7255P ADP": "sa7255p-adp", "SA8295P ADP": "sa8295p-adp", "SA8775P ADP": "sa8775p-adp",
}
ALL = [(r, "npu", p) for r in ("litert", "onnxruntime") for p in ("float16", "int8")]
INT8 = [("litert", "npu", "int8"), ("onnxruntime", "npu", "int8")]
ORT = [("onnxruntime", "npu", "float16"), ("onnxruntime", "npu", "int8")]
LITERT = [("litert", "npu", "float16"), ("litert", "npu", "int8")]
QAIHM_FITS = {
    "samsung-galaxy-s22-5g": ALL, "samsung-galaxy-s24": ALL, "samsung-galaxy-s25": ALL, "samsung-galaxy-s26": ALL,
    "snapdragon-7-gen-4-qrd": INT8, "snapdragon-x-elite-crd": ORT, "snapdragon-x2-elite-crd": ORT,
    "qcs8550-proxy": ALL, "dragonwing-iq-9075-evk": ALL, "dragonwing-q-6690-mtp": INT8,
    "dragonwing-rb3-gen-2-vision-kit": INT8, "arduino-ventuno-q": ALL,
    "sa7255p-adp": LITERT + [("litert", "gpu", "int8")], "sa8295p-adp": LITERT,
    "sa8775p-adp": LITERT + [("litert", "gpu", "float16")],
}
# The devices devices_and_chipsets.yaml gives a reference_chipset, and the device whose rows perf.yaml copies onto
# them: not measured, not recorded.
BORROWED = {
    "Dragonwing IQ-X7181": "Snapdragon X Elite CRD", "Dragonwing Q-7790": "Snapdragon 7 Gen 4 QRD",
    "Dragonwing Q-8750": "Samsung Galaxy S25", "SA8255P ADP": "SA8775P ADP", "SA8650P ADP": "SA8775P ADP",
    "Snapdragon XR2 Gen 2": "Samsung Galaxy S22 5G",
}
COREML_PYTHON = os.environ.get("SLIPWAY_COREML_PYTHON", str(REPO / ".venv-coreml/bin/python"))


def fits():
    return {(c["device"], c["runtime"], c["processor"], c["precision"]): c
            for c in json.loads(FITS.read_text())["device_calibrations"]}


def test_rederiving_the_published_rows_reproduces_both_files():
    p = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "match" in p.stdout


def test_the_rows_are_the_published_tables_with_their_compute():
    doc = json.loads(DATA.read_text())["device_published"]
    rows = doc["rows"]
    # Pi 5: two models × ONNX and TF Lite; Orin NX and Orin Nano Super: five models × three TensorRT precisions and
    # ONNX (ONNX Runtime on the GPU); the
    # AI Hub rows: the 17 classifiers per device, runtime and precision AI Hub published (17 in float, 13 and 14 of
    # them in w8a8 on the phones), 61 on a device with both runtimes and both precisions.
    phone = [r for r in rows if r["table"] == "Qualcomm AI Hub Models 0.65.0"]
    assert len(rows) - len(phone) == 4 + 20 + 20
    per_device = {d: len([r for r in phone if r["device"] == d]) for d in QAIHM_DEVICES.values()}
    assert per_device == {
        "samsung-galaxy-s22-5g": 61, "samsung-galaxy-s24": 61, "samsung-galaxy-s25": 61, "samsung-galaxy-s26": 61,
        "snapdragon-7-gen-4-qrd": 26, "snapdragon-x-elite-crd": 31, "snapdragon-x2-elite-crd": 31,
        "qcs8550-proxy": 61, "dragonwing-iq-9075-evk": 61, "dragonwing-q-6690-mtp": 26,
        "dragonwing-rb3-gen-2-vision-kit": 26, "arduino-ventuno-q": 61, "sa7255p-adp": 21, "sa8295p-adp": 30,
        "sa8775p-adp": 18}
    assert len(phone) == sum(per_device.values()) == 636
    # Kept, not fitted: ConvNeXt-Tiny in w8a8 LiteRT where AI Hub ran most of it on the CPU.
    assert sorted((r["device"], r["model"], r["format"], r["processor"]) for r in phone if "left_out" in r) == [
        ("dragonwing-q-6690-mtp", "convnext_tiny", "tflite w8a8", "cpu"),
        ("dragonwing-rb3-gen-2-vision-kit", "convnext_tiny", "tflite w8a8", "cpu"),
        ("snapdragon-7-gen-4-qrd", "convnext_tiny", "tflite w8a8", "cpu")]
    # The models AI Hub ran whole on a GPU (the automotive platforms' LiteRT rows the NPU did not take).
    assert sorted((r["device"], r["model"], r["format"]) for r in phone if r["processor"] == "gpu") == [
        ("sa7255p-adp", "convnext_tiny", "tflite float"), ("sa7255p-adp", "convnext_tiny", "tflite w8a8"),
        ("sa7255p-adp", "regnet_y_800mf", "tflite w8a8"), ("sa7255p-adp", "resnet101", "tflite float"),
        ("sa7255p-adp", "resnet101", "tflite w8a8"), ("sa8775p-adp", "convnext_tiny", "tflite float"),
        ("sa8775p-adp", "convnext_tiny", "tflite w8a8"), ("sa8775p-adp", "efficientnet_b0", "tflite float"),
        ("sa8775p-adp", "resnet18", "tflite float")]
    s25 = {(r["format"], r["model"]): r["published_ms"] for r in phone if r["device"] == "samsung-galaxy-s25"}
    assert s25[("tflite float", "resnet50")] == 1.257 and s25[("onnx w8a8", "mobilenet_v3_large")] == 0.335
    x_elite = {(r["format"], r["model"]): r for r in phone if r["device"] == "snapdragon-x-elite-crd"}
    assert x_elite[("onnx float", "resnet50")]["measured_on"] == "Snapdragon X Elite CRD"
    pi = {(r["format"], r["model"]): r["published_ms"] for r in rows if r["device"] == "raspberry-pi-5"}
    assert pi == {("ONNX", "YOLO11n"): 168.082, ("ONNX", "YOLO11s"): 324.17,
                  ("TF Lite", "YOLO11n"): 317.398, ("TF Lite", "YOLO11s"): 849.86}
    nx = {(r["format"], r["model"]): r["published_ms"] for r in rows if r["device"] == "jetson-orin-nx-16gb"}
    assert nx[("TensorRT (FP16)", "YOLO11n")] == 4.85 and nx[("TensorRT (INT8)", "YOLO11x")] == 22.32
    assert nx[("ONNX", "YOLO11n")] == 8.44 and nx[("ONNX", "YOLO11x")] == 77.50
    onnx = [r for r in rows if r["format"] == "ONNX" and r["device"] != "raspberry-pi-5"]
    assert {(r["runtime"], r["processor"], r["precision"]) for r in onnx} == {("onnxruntime", "gpu", "float32")}
    # The fits' MACs are slipway's count of the export; Ultralytics' FLOPs (thop's MACs × 2) are kept beside them:
    # YOLO11n's 6.5 B FLOPs are 3.25 G MACs of convolutions, slipway counts 3.88 G with the SiLUs and the head.
    n = next(r for r in rows if r["model"] == "YOLO11n")
    assert (n["macs"], n["macs_from"], n["published_macs"], n["input"]) == (
        3_877_774_463, "slipway's count of the ONNX export (model_macs)", 3_250_000_000, [1, 3, 640, 640])
    # The Orin Nano Super Developer Kit (super-mode clocks) is its own catalogue device, not the Orin Nano's.
    nano = {(r["format"], r["model"]): r["published_ms"] for r in rows if r["device"] == "jetson-orin-nano-super"}
    assert len(nano) == 20 and nano[("TensorRT (FP16)", "YOLO11n")] == 4.91 and nano[("TensorRT (INT8)", "YOLO11x")] == 20.72
    assert not [r for r in rows if r["device"] is None]
    assert {s["id"] for s in doc["sources"]} == {"ultralytics-raspberry-pi", "ultralytics-jetson", "qai-hub-models"}


def test_the_ai_hub_rows_are_the_pinned_releases_perf_yaml(tmp_path):
    """Downloads the pinned qai-hub-models wheel (metadata and files only, no dependencies) and re-reads its rows."""
    pip = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(tmp_path), QAIHM],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr
    wheel = next(tmp_path.glob("qai_hub_models-0.65.0-*.whl"))
    p = subprocess.run([sys.executable, str(SCRIPT), "--check", "--qai-hub-models", str(wheel)], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    # The devices the release says it does not measure (a reference_chipset) carry the reference device's rows,
    # copied: the same job per model, runtime and precision. They are not recorded; every other device is.
    import yaml
    import zipfile
    with zipfile.ZipFile(wheel) as z:
        chips = yaml.safe_load(z.read("qai_hub_models/devices_and_chipsets.yaml"))
        perf = yaml.safe_load(z.read("qai_hub_models/models/resnet50/perf.yaml"))
    metrics = next(iter(perf["precisions"]["w8a8"]["components"].values()))["performance_metrics"]
    # (The Dragonwing IQ-X5121 borrows too, from a chipset these models were not measured on: it has no rows.)
    assert {d for d, v in chips["devices"].items() if v.get("reference_chipset")} & set(metrics) == set(BORROWED)
    for device, reference in BORROWED.items():
        assert metrics[device] == metrics[reference], device
    assert set(metrics) == set(QAIHM_DEVICES) | set(BORROWED)


def test_the_counts_are_slipways_count_of_the_published_models(slipway):
    """Rebuilds the YOLO11 and AI Hub models as their publishers export them and counts them with the slipway under
    test."""
    env = dict(os.environ, YOLO_CONFIG_DIR=tempfile.mkdtemp(prefix="yolo-config-"))
    have = subprocess.run([COREML_PYTHON, "-c", "import ultralytics"], capture_output=True, env=env)
    assert have.returncode == 0, "ultralytics is not installed in the Core ML venv (requirements-ultralytics.txt)"
    p = subprocess.run([COREML_PYTHON, str(MEASURE), "--check", "--slipway", slipway], capture_output=True, text=True,
                       timeout=900, env=env)
    print(p.stdout)
    assert p.returncode == 0, p.stdout + p.stderr
    counts = json.loads(DATA.read_text())["model_macs"]["models"]
    # On YOLO11 slipway counts 5-19 % more than thop: the element-wise work (SiLU's sigmoid and product, the head's
    # decode) weighs most in the smallest model. On the torchvision classifiers the two agree within 5 % but for the
    # models with element-wise blocks thop does not count: EfficientNet-B0's SiLUs and squeeze-excitation, 45 % more.
    assert {m: c["slipway_per_thop"] for m, c in counts.items() if m.startswith("YOLO")} == {
        "YOLO11n": 1.1854, "YOLO11s": 1.1025, "YOLO11m": 1.069, "YOLO11l": 1.0694, "YOLO11x": 1.0463}
    assert counts["resnet50"]["slipway_macs"] == 4_118_094_824 and counts["efficientnet_b0"]["slipway_per_thop"] == 1.4495


def test_every_row_is_within_its_fits_documented_band():
    f = fits()
    qaihm = {k for k, c in f.items() if c["published_by"] == "Qualcomm AI Hub Models 0.65.0"}
    assert set(f) - qaihm == set(BANDS)
    assert qaihm == {(d, *fit) for d, fs in QAIHM_FITS.items() for fit in fs}
    for key, c in f.items():
        lo, hi = BANDS.get(key, QAIHM_BAND)
        for model, m in c["models"].items():
            print(f"{key[0]} {key[1]} {key[2]} {model}: estimate / published {m['calibrated_ratio']:.3f}"
                  + (f" (left out {m['leave_one_out_ratio']:.3f})" if "leave_one_out_ratio" in m else ""))
            assert lo <= m["calibrated_ratio"] <= hi, (key, model, m)
            if "leave_one_out_ratio" in m:
                loo = QAIHM_LOO_BAND if key in qaihm else LOO_BAND
                assert loo[0] <= m["leave_one_out_ratio"] <= loo[1], (key, model, m)
        # The spread the estimate reports is published / estimate over the same rows.
        ratios = [1 / m["calibrated_ratio"] for m in c["models"].values()]
        assert c["ratio_spread"] == pytest.approx([min(ratios), max(ratios)], rel=1e-3)


def manifest(tmp_path, target):
    (tmp_path / "m.slipway.yaml").write_text(
        f"slipway: 1\nname: m\nmodel:\n  path: {SMALL_CNN}\n  inputs: {{input: [1, 3, 32, 32]}}\n"
        f"targets:\n  t:\n{target}")
    return str(tmp_path / "m.slipway.yaml")


@pytest.mark.parametrize("target,key", [
    ("    runtime: onnxruntime\n    device: raspberry-pi-5\n", ("raspberry-pi-5", "onnxruntime", "cpu", "float32")),
    ("    runtime: litert\n    device: raspberry-pi-5\n", ("raspberry-pi-5", "litert", "cpu", "float32")),
    ("    runtime: tensorrt\n    device: jetson-orin-nx-16gb\n", ("jetson-orin-nx-16gb", "tensorrt", "gpu", "float16")),
    ("    runtime: tensorrt\n    device: orin-nano-super\n", ("jetson-orin-nano-super", "tensorrt", "gpu", "float16")),
    # ONNX Runtime with CUDA: the model runs whole on the GPU (every node in the CUDA EP's kernel table).
    ("    runtime: onnxruntime\n    delegate: cuda\n    device: jetson-orin-nx-16gb\n",
     ("jetson-orin-nx-16gb", "onnxruntime", "gpu", "float32")),
    ("    runtime: litert\n    delegate: qnn\n    device: ventuno-q\n    format: tflite\n",
     ("arduino-ventuno-q", "litert", "npu", "float16")),
    ("    runtime: litert\n    delegate: gpu\n    device: sa8775p-adp\n    format: tflite\n",
     ("sa8775p-adp", "litert", "gpu", "float16")),
])
def test_estimate_applies_the_devices_fit(run, tmp_path, target, key):
    m = manifest(tmp_path, target)
    r = run("estimate", m, "--json", "--no-cache")
    assert r.returncode == 0, r.stderr.decode()
    row = json.loads(r.stdout)["targets"][0]
    cal = row["latency_calibration"]
    assert (cal["method"], cal["class"], cal["device"], cal["runtime"], cal["processor"], cal["precision"]) == (
        "calibrated", "device", *key)
    # Only ONNX Runtime's GPU fits name the execution provider they ran with.
    assert cal["delegate"] == ("cuda" if key[1:3] == ("onnxruntime", "gpu") else None)
    fit = fits()[key]
    assert row["latency_ms"] == pytest.approx(row["macs"] / 1e9 * fit["ms_per_gmac"] + fit["constant_ms"], abs=0.001)
    text = run("estimate", m, "--no-cache").stdout.decode()
    assert f"calibrated on published {key[0]} {key[1]} {key[2]} {key[3]} measurements" in text


def test_check_judges_a_latency_budget_on_a_new_devices_fit(run, tmp_path):
    """A float TFLite model on the Arduino VENTUNO Q's NPU (LiteRT's QNN delegate): `check` warns on the calibrated
    figure, 5.87 k MACs × 0.6125 ms/GMAC + 0.8295 ms, and names whose measurements; `estimate` prints the same."""
    (tmp_path / "m.slipway.yaml").write_text(
        f"slipway: 1\nname: m\nmodel:\n  path: {REPO / 'Tests' / 'Fixtures' / 'models' / 'small_cnn_float.tflite'}\n"
        "targets:\n  t:\n    runtime: litert\n    delegate: qnn\n    device: ventuno-q\n    budget: {latency_ms: 0.5}\n")
    m = str(tmp_path / "m.slipway.yaml")
    r = run("check", m, "--format", "json")
    diags = [d for d in json.loads(r.stdout) if d["code"] == "SW5103"]
    assert [d["message"] for d in diags] == [
        "target 't': estimated latency 0.829 ms on arduino-ventuno-q (float16 on the npu) is over the 0.5 ms budget; "
        "calibrated on published arduino-ventuno-q litert npu float16 measurements (Qualcomm AI Hub Models 0.65.0)"]
    text = run("estimate", m, "--no-cache").stdout.decode()
    assert ("t: latency 0.83 ms calibrated on published arduino-ventuno-q litert npu float16 measurements "
            "(Qualcomm AI Hub Models 0.65.0): 0.613 ms/GMAC + 0.829 ms") in text


def test_onnx_runtimes_cuda_fit_is_not_its_tensorrt_providers(run, tmp_path):
    """The Jetsons' ONNX Runtime rows ran with the CUDA execution provider: a target with ONNX Runtime's TensorRT
    provider on the same board gets no fit from them (its stack differs), and computes in float32, as the TensorRT
    provider does unless trt_fp16_enable is set."""
    m = manifest(tmp_path, "    runtime: onnxruntime\n    delegate: tensorrt\n    device: jetson-orin-nano-super\n")
    row = json.loads(run("estimate", m, "--json", "--no-cache").stdout)["targets"][0]
    assert row["latency_calibration"] == {"method": "uncalibrated-roofline"}
    assert row["precision"] == "float32"


def test_another_runtime_on_the_pi_stays_a_roofline(run, tmp_path):
    m = manifest(tmp_path, "    runtime: onnxruntime\n    device: raspberry-pi-4\n")
    row = json.loads(run("estimate", m, "--json", "--no-cache").stdout)["targets"][0]
    assert row["latency_calibration"] in (None, {"method": "uncalibrated-roofline"})
