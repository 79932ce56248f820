#!/usr/bin/env python3
"""Latency calibrations of whole devices under one runtime, fitted to published benchmark tables: the published rows
to Schemas/measurements/latency_measurements.json (`device_published`, not embedded), the fits to
Schemas/targets/latency_calibrations.json (`device_calibrations`, catalogue data).

    scripts/catalogue/derive_device_calibration.py [--check] [--qai-hub-models WHEEL]

Two publishers:
- Ultralytics' YOLO11 benchmarks (web pages kept in github.com/ultralytics/ultralytics under docs/en/guides): the
  rows are copied here verbatim with the revision read (TABLES); the Raspberry Pi 5 (ONNX Runtime and the TF Lite
  interpreter on the CPU) and the Jetson Orin NX 16GB and Orin Nano Super (TensorRT FP32/FP16/INT8, and ONNX
  Runtime's CUDA execution provider on the GPU).
- Qualcomm AI Hub Models (the qai-hub-models PyPI release QAIHM_RELEASE): each model's
  `qai_hub_models/models/<id>/perf.yaml` holds the inference times Qualcomm AI Hub measured on its reference devices
  (phones, compute reference designs, IoT boards, automotive platforms) per runtime and precision. Read from the
  release's wheel given with --qai-hub-models (`make derive-device-calibration` downloads it with pip); without it
  the committed rows are fitted again. Recorded: the image classifiers that are torchvision models (the ones
  measure_model_macs.py builds), on every device perf.yaml measured (QAIHM_DEVICES), for `tflite` (LiteRT: the QNN
  delegate on the Hexagon NPU, or the GPU where AI Hub ran the model there) and `onnx` (ONNX Runtime's QNN execution
  provider), `float` and `w8a8`; fitted only where AI Hub ran the whole model on one processor (layer_counts), per
  device, runtime, processor and precision. The devices the release's devices_and_chipsets.yaml gives a
  `reference_chipset` are not measured: their rows are the reference chipset's device's, copied (the same job ids),
  and are not recorded; a device perf.yaml measures that QAIHM_DEVICES does not name stops the derivation.

The models' compute is Slipway's own MAC count of each model's ONNX export (`model_macs` in the same measurements
file, measured by scripts/catalogue/measure_model_macs.py), the count the estimate multiplies by the fit;
Ultralytics' published FLOPs (docs/en/models/yolo11.md; thop's MACs × 2, ultralytics/utils/torch_utils.py,
get_flops) are kept beside its rows: thop counts convolutions only, Slipway also the element-wise operators, 5–19 %
more on these models. `--check` compares with the committed files instead of writing them.

Model, per device, runtime and precision (the device's own measurements: no clock scaling to other devices):

    latency = MACs × a + c

a (ms per GMAC) and c (ms) by least squares on the relative error (minimizing Σ (estimate / published − 1)²: every
model weighs the same). c is fitted only from three models up (two points fit two unknowns exactly and leave no
spread to report) and dropped when the fit makes it negative.
"""
import argparse
import json
import os
import sys
import zipfile

import catalogue_json as cj

FITS = os.path.join(cj.TARGETS, "latency_calibrations.json")
ROWS = os.path.join(cj.ROOT, "Schemas", "measurements", "latency_measurements.json")

# Ultralytics' published FLOPs (B) at 640×640 for the detection models (docs/en/models/yolo11.md at revision
# 040502be523c, "Performance Metrics", Detection (COCO)); MACs = FLOPs / 2.
MODELS_SOURCE = {"id": "ultralytics-yolo11", "section": "Performance Metrics, Detection (COCO): size 640, params (M), "
                 "FLOPs (B); FLOPs are thop's MACs × 2 (ultralytics/utils/torch_utils.py, get_flops)"}
MODELS = {  # model → (params M, FLOPs B at 640×640)
    "YOLO11n": (2.6, 6.5), "YOLO11s": (9.4, 21.5), "YOLO11m": (20.1, 68.0), "YOLO11l": (25.3, 86.9),
    "YOLO11x": (56.9, 194.9),
}
INPUT = [1, 3, 640, 640]

# On the Jetsons an ONNX export ran on the GPU: Ultralytics' guide installs onnxruntime-gpu (1.20.0 on JetPack 6.1),
# and its AutoBackend (ultralytics/nn/autobackend.py) opens an ONNX file with ["CUDAExecutionProvider",
# "CPUExecutionProvider"] when CUDA is available, as the benchmark's default device is; the published times are
# those of TensorRT FP32 within 4-5 %, where the TF Lite ones (CPU) are 30-100 times longer. (The page's "all the
# other exports only utilize the CPU" is said of every format but PyTorch, TorchScript and TensorRT; the figures
# contradict it for ONNX.)
JETSON_FORMATS = {
    "ONNX": ("onnxruntime", "gpu", "float32", "ONNX Runtime GPU (onnxruntime-gpu), CUDA execution provider", "cuda"),
}


# The published tables, verbatim: inference time (ms/im) per export format. Each entry: the catalogue device (None:
# not in the catalogue), what the table was measured on, the source, and {format: {model: ms}}.
TABLES = [
    {
        "table": "Raspberry Pi 5 YOLO11 Benchmarks",
        "device": "raspberry-pi-5",
        "measured_on": "Raspberry Pi 5, FP32, input 640, Ultralytics 8.3.39 benchmark (ms per image, inference only)",
        "source": {"id": "ultralytics-raspberry-pi", "section": "Raspberry Pi 5 YOLO11 Benchmarks, Detailed Comparison "
                   "Table: Inference time (ms/im), YOLO11n and YOLO11s"},
        "rows": {
            "ONNX": {"YOLO11n": 168.082, "YOLO11s": 324.17},
            "TF Lite": {"YOLO11n": 317.398, "YOLO11s": 849.86},
        },
    },
    {
        "table": "NVIDIA Jetson Orin NX 16GB",
        "device": "jetson-orin-nx-16gb",
        "measured_on": "Seeed Studio reComputer J4012 (Jetson Orin NX 16GB, JetPack 6.0), input 640, Ultralytics "
                       "8.3.51 benchmark (ms per image, inference only)",
        "source": {"id": "ultralytics-jetson", "section": "NVIDIA Jetson Orin YOLO11 Benchmarks, Detailed Comparison "
                   "Tables, NVIDIA Jetson Orin NX 16GB: Inference time (ms/im)"},
        "formats": JETSON_FORMATS,
        "rows": {
            "ONNX": {"YOLO11n": 8.44, "YOLO11s": 14.44, "YOLO11m": 31.16, "YOLO11l": 39.55, "YOLO11x": 77.50},
            "TensorRT (FP32)": {"YOLO11n": 8.05, "YOLO11s": 14.13, "YOLO11m": 30.72, "YOLO11l": 38.68, "YOLO11x": 76.44},
            "TensorRT (FP16)": {"YOLO11n": 4.85, "YOLO11s": 7.55, "YOLO11m": 14.45, "YOLO11l": 18.53, "YOLO11x": 35.99},
            "TensorRT (INT8)": {"YOLO11n": 4.37, "YOLO11s": 5.63, "YOLO11m": 10.19, "YOLO11l": 13.36, "YOLO11x": 22.32},
        },
    },
    {
        "table": "NVIDIA Jetson Orin Nano Super Developer Kit",
        "device": "jetson-orin-nano-super",
        "measured_on": "NVIDIA Jetson Orin Nano Super Developer Kit (JetPack 6.1, super mode), input 640, Ultralytics "
                       "8.3.51 benchmark (ms per image, inference only)",
        "source": {"id": "ultralytics-jetson", "section": "NVIDIA Jetson Orin YOLO11 Benchmarks, Detailed Comparison "
                   "Tables, NVIDIA Jetson Orin Nano Super Developer Kit: Inference time (ms/im)"},
        "formats": JETSON_FORMATS,
        "rows": {
            "ONNX": {"YOLO11n": 7.94, "YOLO11s": 13.91, "YOLO11m": 29.31, "YOLO11l": 36.33, "YOLO11x": 75.20},
            "TensorRT (FP32)": {"YOLO11n": 7.60, "YOLO11s": 13.29, "YOLO11m": 28.21, "YOLO11l": 35.59, "YOLO11x": 67.32},
            "TensorRT (FP16)": {"YOLO11n": 4.91, "YOLO11s": 7.30, "YOLO11m": 13.99, "YOLO11l": 17.57, "YOLO11x": 32.94},
            "TensorRT (INT8)": {"YOLO11n": 3.91, "YOLO11s": 5.25, "YOLO11m": 9.58, "YOLO11l": 12.37, "YOLO11x": 20.72},
        },
    },
]
# Export format → the catalogue runtime, its processor and precision, and the stack it ran on. Ultralytics runs an
# ONNX export in ONNX Runtime (CPU on the Pi), a TF Lite export in the TensorFlow Lite interpreter, an engine in
# TensorRT on the GPU. The other formats (PyTorch, OpenVINO, NCNN, MNN, ...) are no catalogue runtime on these
# devices and are not recorded.
FORMATS = {
    "ONNX": ("onnxruntime", "cpu", "float32", "ONNX Runtime, CPU execution provider"),
    "TF Lite": ("litert", "cpu", "float32", "TensorFlow Lite interpreter, float32"),
    "TensorRT (FP32)": ("tensorrt", "gpu", "float32", "TensorRT engine, FP32"),
    "TensorRT (FP16)": ("tensorrt", "gpu", "float16", "TensorRT engine, FP16"),
    "TensorRT (INT8)": ("tensorrt", "gpu", "int8", "TensorRT engine, INT8 (Ultralytics' INT8 calibration cost "
                                                    "accuracy there, the latency stands)"),
}


def formats(table):
    """The table's export formats → (runtime, processor, precision, stack): its own where it gives them."""
    return {**FORMATS, **table.get("formats", {})}


# Qualcomm AI Hub Models: the release read, its measured devices in the catalogue, and its runtimes and precisions.
QAIHM_RELEASE = "0.65.0"
QAIHM_SOURCE = {"id": "qai-hub-models", "section": "qai_hub_models/models/<id>/perf.yaml: precisions.<precision>."
                "components.<model>.performance_metrics.<device>.<runtime>.inference_time_milliseconds, with the "
                "layer_counts per compute unit and the tool_versions"}
# AI Hub's device → the catalogue device (Schemas/targets/devices.json, each citing devices_and_chipsets.yaml).
QAIHM_DEVICES = {
    "Samsung Galaxy S22 5G": "samsung-galaxy-s22-5g", "Samsung Galaxy S24": "samsung-galaxy-s24",
    "Samsung Galaxy S25": "samsung-galaxy-s25", "Samsung Galaxy S26": "samsung-galaxy-s26",
    "Snapdragon 7 Gen 4 QRD": "snapdragon-7-gen-4-qrd", "Snapdragon X Elite CRD": "snapdragon-x-elite-crd",
    "Snapdragon X2 Elite CRD": "snapdragon-x2-elite-crd", "QCS8550 (Proxy)": "qcs8550-proxy",
    "Dragonwing IQ-9075 EVK": "dragonwing-iq-9075-evk", "Dragonwing Q-6690 MTP": "dragonwing-q-6690-mtp",
    "Dragonwing RB3 Gen 2 Vision Kit": "dragonwing-rb3-gen-2-vision-kit", "Arduino VENTUNO Q": "arduino-ventuno-q",
    "SA7255P ADP": "sa7255p-adp", "SA8295P ADP": "sa8295p-adp", "SA8775P ADP": "sa8775p-adp",
}
QAIHM_RUNTIMES = {  # (perf.yaml runtime, the processor it ran whole on) → catalogue runtime, stack
    ("tflite", "npu"): ("litert", "LiteRT with the QNN delegate, whole model on the Hexagon NPU"),
    ("tflite", "gpu"): ("litert", "LiteRT, whole model on the GPU (AI Hub's default compute units: NPU, then "
                                  "GPU, then CPU; these models were not taken by the NPU there)"),
    ("onnx", "npu"): ("onnxruntime", "ONNX Runtime with the QNN execution provider, whole model on the Hexagon NPU"),
}
# perf.yaml precision → the precision slipway computes a target at. The HTP computes a float model in float16, and so
# does a GPU delegate; a w8a8 model is an int8-quantized target (on the GPU, which dequantizes it, AI Hub's w8a8
# times are its float ones within 2 %: the fit keeps them apart, as slipway keys them).
QAIHM_PRECISIONS = {"float": "float16", "w8a8": "int8"}
QAIHM_TABLE = f"Qualcomm AI Hub Models {QAIHM_RELEASE}"


def published_macs(model):
    return int(round(MODELS[model][1] * 1e9 / 2))


def measured_macs(names):
    """Slipway's count of each model's export (measure_model_macs.py), the compute the fits are made on."""
    with open(ROWS, encoding="utf-8") as fh:
        models = json.load(fh)["model_macs"]["models"]
    missing = [m for m in names if m not in models]
    if missing:
        sys.exit(f"model_macs has no count for {missing}: run scripts/catalogue/measure_model_macs.py first")
    return {m: models[m]["slipway_macs"] for m in names}


def qaihm_models():
    """The AI Hub models measure_model_macs.py builds: the torchvision classifiers."""
    with open(ROWS, encoding="utf-8") as fh:
        models = json.load(fh)["model_macs"]["models"]
    return [m for m, c in models.items() if c["built_as"].startswith("torchvision")]


def qaihm_borrowed(z):
    """The devices whose perf.yaml rows are another device's, copied: devices_and_chipsets.yaml gives them a
    `reference_chipset` (the chipset whose workbench device's results are copied onto them)."""
    devices = yaml_load(z.read("qai_hub_models/devices_and_chipsets.yaml"))["devices"]
    return {name for name, d in devices.items() if d.get("reference_chipset")}


def yaml_load(text):
    import yaml  # only to read the release's YAML files

    return yaml.safe_load(text)


def qaihm_rows(wheel):
    """The published rows of the AI Hub release's wheel, or the committed ones without it."""
    if wheel is None:
        with open(ROWS, encoding="utf-8") as fh:
            rows = [r for r in json.load(fh)["device_published"]["rows"] if r["table"] == QAIHM_TABLE]
        macs = measured_macs(sorted({r["model"] for r in rows}))
        return [dict(r, macs=macs[r["model"]]) for r in rows]

    if f"qai_hub_models-{QAIHM_RELEASE}-" not in os.path.basename(wheel):
        sys.exit(f"{wheel}: not the qai-hub-models {QAIHM_RELEASE} wheel")
    names = qaihm_models()
    macs = measured_macs(names)
    rows = []
    with zipfile.ZipFile(wheel) as z:
        borrowed = qaihm_borrowed(z)
        for model in names:
            perf = yaml_load(z.read(f"qai_hub_models/models/{model}/perf.yaml"))
            for precision, compute in QAIHM_PRECISIONS.items():
                components = ((perf.get("precisions") or {}).get(precision) or {}).get("components") or {}
                if len(components) != 1:  # a model of several parts has no one latency to fit
                    continue
                metrics = next(iter(components.values())).get("performance_metrics") or {}
                unknown = sorted(set(metrics) - set(QAIHM_DEVICES) - borrowed)
                if unknown:
                    sys.exit(f"{model} {precision}: perf.yaml measures {unknown}, not in QAIHM_DEVICES: add them there "
                             "and to Schemas/targets/devices.json")
                for device_name, device in QAIHM_DEVICES.items():
                    for fmt in dict.fromkeys(f for f, _ in QAIHM_RUNTIMES):
                        r = (metrics.get(device_name) or {}).get(fmt)
                        if not r or r.get("job_status") != "Passed":
                            continue
                        counts = r.get("layer_counts") or {}
                        whole = next((u for u in ("npu", "gpu", "cpu") if counts.get(u) == counts.get("total")), None)
                        processor = whole or str(r.get("primary_compute_unit", "")).lower()
                        runtime = next(rt for (f, _), (rt, _) in QAIHM_RUNTIMES.items() if f == fmt)
                        row = {"table": QAIHM_TABLE, "format": f"{fmt} {precision}", "model": model,
                               "published_ms": r["inference_time_milliseconds"], "measured_on": device_name,
                               "macs": macs[model], "macs_from": "slipway's count of the ONNX export (model_macs)",
                               "device": device, "runtime": runtime, "processor": processor, "precision": compute,
                               "layer_counts": counts, "tool_versions": r.get("tool_versions") or {}}
                        if whole is None:
                            row["left_out"] = ("not whole on one processor (layer_counts): a fit is for a model that "
                                               "runs whole on it")
                        elif (fmt, whole) not in QAIHM_RUNTIMES:
                            row["left_out"] = f"whole on the {whole}, which no {fmt} calibration covers"
                        rows.append(row)
    return rows


def solve(xs, ys):
    """Least squares for y ≈ xs · w by the normal equations."""
    n = len(xs[0])
    m = [[sum(x[i] * x[j] for x in xs) for j in range(n)] + [sum(x[i] * y for x, y in zip(xs, ys))] for i in range(n)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[piv] = m[piv], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [a - f * b for a, b in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit_one(rows):
    """(ms per GMAC, constant ms) minimizing Σ (estimate / published − 1)²."""
    xs = [[r["macs"] / 1e9 / r["published_ms"], 1 / r["published_ms"]] for r in rows]
    if len(rows) >= 3:
        w = solve(xs, [1.0] * len(rows))
        if w[1] >= 0:
            return w
    return solve([x[:1] for x in xs], [1.0] * len(rows)) + [0.0]


def predict(w, r):
    return r["macs"] / 1e9 * w[0] + w[1]


def published(wheel):
    """The recorded rows: every table row of a catalogue runtime, with the model's compute."""
    macs = measured_macs(list(MODELS))
    out = []
    for t in TABLES:
        for fmt, models in t["rows"].items():
            runtime, processor, precision, *_ = formats(t)[fmt]
            for model, ms in models.items():
                row = {"table": t["table"], "format": fmt, "model": model, "published_ms": ms,
                       "input": INPUT, "macs": macs[model], "macs_from": "slipway's count of the ONNX export (model_macs)",
                       "published_macs": published_macs(model),
                       "parameters_m": MODELS[model][0], "device": t["device"], "runtime": runtime,
                       "processor": processor, "precision": precision}
                if t.get("left_out"):
                    row["left_out"] = t["left_out"]
                out.append(row)
    return out + qaihm_rows(wheel)


def fit_group(group, key, stack, published_by, fitted_on, models_source, source, delegate=None):
    """One calibration: the fit over `group` and, per model, estimate / published (and with the model left out).
    `delegate`: the runtime's provider the figures ran with, when the fit is that provider's alone."""
    device, runtime, processor, precision = key
    w = fit_one(group)
    models, ratios = {}, []
    for r in group:
        est = predict(w, r)
        ratios.append(r["published_ms"] / est)
        entry = {"published_ms": r["published_ms"], "macs": r["macs"], "estimate_ms": round(est, 3),
                 "calibrated_ratio": round(est / r["published_ms"], 4)}
        if len(group) >= 3:  # with two models, leaving one out leaves a one-point fit: not said
            loo = fit_one([o for o in group if o is not r])
            entry["leave_one_out_ratio"] = round(predict(loo, r) / r["published_ms"], 4)
        models[r["model"]] = entry
    return {
        "device": device, "runtime": runtime, **({"delegate": delegate} if delegate else {}),
        "processor": processor, "precision": precision,
        "ms_per_gmac": round(w[0], 4), "constant_ms": round(w[1], 4),
        "ratio_spread": [round(min(ratios), 4), round(max(ratios), 4)],
        "fit": "least squares on the relative error" + (", with a constant" if len(group) >= 3 else
               ", per MAC only (two models)") + "; MACs are slipway's count of each model's ONNX export",
        "stack": stack, "published_by": published_by,
        "fitted_on": fitted_on.format(n=len(group), models=", ".join(models)),
        "models": models, "models_source": models_source, "source": source,
    }


def fit(rows):
    calibrations = []
    for t in TABLES:
        for fmt in t["rows"]:
            runtime, processor, precision, stack, *delegate = formats(t)[fmt]
            group = [r for r in rows if r["table"] == t["table"] and r["format"] == fmt]
            calibrations.append(fit_group(group, (t["device"], runtime, processor, precision),
                                          f"{stack}; {t['measured_on']}", "Ultralytics' YOLO11 benchmarks",
                                          "{n} models ({models}), format '" + fmt + "' of " + t["table"],
                                          MODELS_SOURCE, t["source"], delegate=delegate[0] if delegate else None))
    fitted = [r for r in rows if r["table"] == QAIHM_TABLE and "left_out" not in r]
    for device_name, device in QAIHM_DEVICES.items():
        for (fmt, processor), (runtime, stack) in QAIHM_RUNTIMES.items():
            for precision, compute in QAIHM_PRECISIONS.items():
                group = [r for r in fitted if r["device"] == device and r["format"] == f"{fmt} {precision}"
                         and r["processor"] == processor]
                if len(group) < 3:  # two models fit two unknowns exactly and leave no spread to report
                    continue
                tools = sorted({f"{k} {v}" for r in group for k, v in r["tool_versions"].items()})
                measured = "measured by Qualcomm AI Hub" + (f" ({', '.join(tools)})" if tools else
                                                            " (no tool versions recorded)")
                calibrations.append(fit_group(
                    group, (device, runtime, processor, compute),
                    f"{stack}, {compute}; {device_name}, {measured}",
                    f"Qualcomm AI Hub Models {QAIHM_RELEASE}",
                    "{n} models ({models}), runtime '" + fmt + "', precision '" + precision + "' on " + device_name
                    + (f" (whole on the {processor.upper()})" if processor != "npu" else "")
                    + " in " + QAIHM_TABLE, QAIHM_SOURCE, QAIHM_SOURCE))
    return calibrations


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing them")
    ap.add_argument("--qai-hub-models", metavar="WHEEL", help=f"the qai-hub-models {QAIHM_RELEASE} wheel to read the "
                    "AI Hub rows from (without it, the committed rows)")
    args = ap.parse_args()

    with open(ROWS, encoding="utf-8") as fh:
        rows_doc = json.load(fh)
    with open(FITS, encoding="utf-8") as fh:
        fits_doc = json.load(fh)
    rows = published(args.qai_hub_models)
    rows_doc["device_published"] = {
        "note": "Published inference times per device, runtime and precision, verbatim: Ultralytics' YOLO11 "
                "benchmarks (ms per image) for the formats that are catalogue runtimes, with published_macs "
                "Ultralytics' published FLOPs / 2 (thop's count), and Qualcomm AI Hub Models' perf.yaml rows for the "
                "torchvision classifiers on the devices it measured (not those whose rows it copies from a reference "
                "chipset's device); macs is slipway's count of each model's ONNX "
                "export (model_macs); derived by scripts/catalogue/derive_device_calibration.py.",
        "models_source": MODELS_SOURCE, "sources": [t["source"] for t in TABLES] + [QAIHM_SOURCE], "rows": rows,
    }
    fits_doc["device_calibrations"] = fit(rows)
    rows_text = cj._fmt(rows_doc, 0) + "\n"
    fits_text = cj._fmt(fits_doc, 0) + "\n"
    if args.check:
        bad = [p for p, text in ((ROWS, rows_text), (FITS, fits_text)) if open(p, encoding="utf-8").read() != text]
        if bad:
            sys.exit(f"differs from the derivation of the published rows: {', '.join(bad)}")
        print("latency_measurements.json and latency_calibrations.json match")
        return
    for p, text in ((ROWS, rows_text), (FITS, fits_text)):
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
    fitted = {(c["device"], c["runtime"], c["processor"], c["precision"]) for c in fits_doc["device_calibrations"]}
    unfitted = {}
    for r in rows:
        key = (r["device"], r["runtime"], r["processor"], r["precision"])
        if "left_out" not in r and key not in fitted:
            unfitted.setdefault(key, []).append(r["model"])
    for key, models in unfitted.items():
        print(f"{' '.join(key)}: not fitted, {len(models)} model(s) only ({', '.join(models)})")
    for c in fits_doc["device_calibrations"]:
        print(f"{c['device']} {c['runtime']} {c['processor']} {c['precision']}: {c['ms_per_gmac']} ms/GMAC + {c['constant_ms']} ms; "
              f"published/estimate {c['ratio_spread']}")
        for name, r in c["models"].items():
            loo = r.get("leave_one_out_ratio")
            print(f"  {name:18} {r['published_ms']:>9} ms  estimate {r['estimate_ms']:>9}  "
                  f"calibrated {r['calibrated_ratio']:.3f}" + (f"  left out {loo:.3f}" if loo else ""))


if __name__ == "__main__":
    main()
