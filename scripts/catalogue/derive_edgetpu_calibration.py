#!/usr/bin/env python3
"""The Edge TPU latency calibration, fitted to Coral's published benchmark table: the per-model figures to
Schemas/measurements/latency_measurements.json (`edgetpu_published`, not embedded), the fits to
Schemas/targets/latency_calibrations.json (`accelerator_calibrations`, catalogue data).

    scripts/catalogue/derive_edgetpu_calibration.py measure --slipway .build/debug/slipway \\
        --python /work/main/.venv-convert/bin/python [--models .cache/edgetpu-models]
    scripts/catalogue/derive_edgetpu_calibration.py fit [--check]

`measure` builds the table's models that keras.applications has (scripts/catalogue/build_edgetpu_models.py, in the
converter's environment; files to the cache folder, not committed), reads each one's MACs and parameter bytes with
`slipway estimate --json` (a litert target on coral-dev-board with the edgetpu delegate: what slipway's own analysis
says, nothing looked up), records them beside the published rows, and fits. `fit` fits from the committed figures
alone (no TensorFlow needed); `--check` compares with the committed fit instead of writing it.

Model, per attachment (the Dev Board, the USB Accelerator on a desktop over USB 3.0):

    latency = MACs × a + max(0, parameter bytes − cache) × b

where cache is the Edge TPU's on-chip parameter memory as Coral documents it (8 MB) and the parameter bytes are
those of the full-int8 file (weights int8, biases int32). The Edge TPU keeps the parameters that fit in that memory
and streams the rest from the host on every inference. a and b are fitted by least squares on the relative error
(minimizing the sum of (estimate / published − 1)²: every model weighs the same, from 2 ms to 350 ms). A constant
term c was tried and is not kept when the fit makes it negative (the data does not need it).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import catalogue_json as cj

FITS = os.path.join(cj.TARGETS, "latency_calibrations.json")
ROWS = os.path.join(cj.ROOT, "Schemas", "measurements", "latency_measurements.json")
BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build_edgetpu_models.py")

# Coral's published table (a web page, no machine-readable source): ms per inference, table 1, for the Dev Board
# with Edge TPU and a desktop CPU with the USB Accelerator (USB 3.0).
SOURCE = {"id": "coral-edgetpu-benchmarks", "section": "Table 1: time per inference, in milliseconds"}
PUBLISHED = [  # model, Dev Board ms, desktop CPU + USB Accelerator ms
    ("Unet Mv2 (128x128)", 5.7, 3.3), ("DeepLab V3 (513x513)", 241, 52), ("DenseNet (224x224)", 25, 20),
    ("Inception v1 (224x224)", 4.1, 3.4), ("Inception v4 (299x299)", 102, 85),
    ("Inception-ResNet V2 (299x299)", 69, 57), ("MobileNet v1 (224x224)", 2.4, 2.4),
    ("MobileNet v2 (224x224)", 2.6, 2.6), ("MobileNet v1 SSD (224x224)", 11, 6.5),
    ("MobileNet v2 SSD (224x224)", 14, 7.2), ("ResNet-50 V1 (299x299)", 56, 49), ("ResNet-50 V2 (299x299)", 59, 50),
    ("ResNet-152 V2 (299x299)", 151, 128), ("SqueezeNet (224x224)", 2, 2.1), ("VGG16 (224x224)", 343, 296),
    ("VGG19 (224x224)", 357, 308),
]
# The rows keras.applications cannot build, and why.
LEFT_OUT = {
    "Unet Mv2 (128x128)": "a segmentation model of Coral's own (MobileNet v2 encoder, U-Net decoder): not in keras.applications",
    "DeepLab V3 (513x513)": "not in keras.applications",
    "Inception v1 (224x224)": "not in keras.applications (it has Inception v3 only)",
    "Inception v4 (299x299)": "not in keras.applications (it has Inception v3 only)",
    "MobileNet v1 SSD (224x224)": "a detector with a post-processing operator on the CPU: not in keras.applications",
    "MobileNet v2 SSD (224x224)": "a detector with a post-processing operator on the CPU: not in keras.applications",
    "SqueezeNet (224x224)": "not in keras.applications",
}
ATTACHMENTS = {  # attachment → the published column, what it ran on
    "dev-board": ("coral-dev-board_ms", "Coral Dev Board (Edge TPU on the SoM, NXP i.MX 8M host)"),
    "usb-accelerator": ("usb-accelerator-desktop_ms", "Coral USB Accelerator on a desktop CPU over USB 3.0"),
}
# Coral's Edge TPU Compiler documentation, "Parameter data caching".
CACHE_MB = 8
CACHE_SOURCE = {"id": "coral-compiler", "section": "Parameter data caching: the Edge TPU has roughly 8 MB of SRAM "
                "that can cache the model's parameter data; parameters that do not fit are fetched from the host "
                "for each inference"}
ROOFLINE_TOPS = 4  # the catalogue's Edge TPU peak (int8): 2 × MACs / 4 TOPS, the compute term of the roofline


def measure(args):
    from build_edgetpu_models import MODELS, file_name
    os.makedirs(args.models, exist_ok=True)
    missing = [b for b, s in MODELS.values() if not os.path.exists(os.path.join(args.models, file_name(b, s)))]
    if missing:
        subprocess.run([args.python, BUILD, args.models, *missing], check=True)
    figures = {}
    with tempfile.TemporaryDirectory() as d:
        for row, (builder, side) in MODELS.items():
            path = os.path.abspath(os.path.join(args.models, file_name(builder, side)))
            manifest = os.path.join(d, "m.slipway.yaml")
            with open(manifest, "w") as f:
                f.write(f"slipway: 1\nname: m\nmodel:\n  path: {path}\n"
                        "targets:\n  t:\n    runtime: litert\n    delegate: edgetpu\n    device: coral-dev-board\n")
            p = subprocess.run([args.slipway, "estimate", manifest, "--json", "--no-cache"],
                               capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"slipway estimate {path}: {p.stderr}")
            t = json.loads(p.stdout)["targets"][0]
            if t["lower_bounds"] or t["precision"] != "int8":
                sys.exit(f"{path}: the analysis is partial or not int8: {t}")
            figures[row] = {"keras_application": builder, "input": [1, side, side, 3], "macs": t["macs"],
                            "parameter_bytes": t["weight_bytes"], "file_bytes": os.path.getsize(path)}
    return figures


def solve(xs, ys):
    """Least squares for y ≈ xs · w by the normal equations (2 or 3 unknowns)."""
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


def terms(f):
    return [f["macs"] / 1e9, max(0, f["parameter_bytes"] - CACHE_MB * 1e6) / 1e6]


def fit_one(rows):
    """(ms per GMAC, ms per streamed MB, constant ms) minimizing Σ (estimate / published − 1)²."""
    xs = [[t / r["published_ms"] for t in terms(r)] + [1 / r["published_ms"]] for r in rows]
    w = solve(xs, [1.0] * len(rows))
    if w[2] < 0:  # a negative constant: the data does not need one
        w = solve([x[:2] for x in xs], [1.0] * len(rows)) + [0.0]
    return w


def predict(w, r):
    return sum(a * t for a, t in zip(w, terms(r) + [1]))


def fit(published):
    calibrations = []
    for attachment, (column, ran_on) in ATTACHMENTS.items():
        rows = [dict(r, published_ms=r[column]) for r in published if "macs" in r]
        w = fit_one(rows)
        models = {}
        for r in rows:
            loo = fit_one([o for o in rows if o is not r])
            est = predict(w, r)
            models[r["model"]] = {
                "published_ms": r["published_ms"], "macs": r["macs"], "parameter_bytes": r["parameter_bytes"],
                "estimate_ms": round(est, 3),
                "roofline_ratio": round(2 * r["macs"] / (ROOFLINE_TOPS * 1e12) * 1000 / r["published_ms"], 4),
                "calibrated_ratio": round(est / r["published_ms"], 4),
                "leave_one_out_ratio": round(predict(loo, r) / r["published_ms"], 4),
            }
        ratios = [m["published_ms"] / m["estimate_ms"] for m in models.values()]
        calibrations.append({
            "accelerator": "edgetpu", "attachment": attachment, "precision": "int8",
            "ms_per_gmac": round(w[0], 4), "ms_per_streamed_mb": round(w[1], 4), "constant_ms": round(w[2], 4),
            "cache_mb": CACHE_MB, "ratio_spread": [round(min(ratios), 4), round(max(ratios), 4)],
            "fit": "least squares on the relative error, MACs and parameter bytes from slipway's analysis of "
                   "keras.applications builds converted to full int8 (scripts/catalogue/build_edgetpu_models.py)",
            "stack": ran_on, "fitted_on": f"{len(rows)} of the {len(PUBLISHED)} models of Coral's table 1",
            "models": models, "left_out": [f"{m}: {why}" for m, why in LEFT_OUT.items()],
            "cache_source": CACHE_SOURCE, "source": SOURCE,
        })
    return calibrations


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="build the models, read their figures with slipway, fit")
    m.add_argument("--slipway", required=True)
    m.add_argument("--python", required=True, help="the converter environment's python (TensorFlow, tf_keras)")
    m.add_argument("--models", default=os.path.join(cj.ROOT, ".cache", "edgetpu-models"))
    f = sub.add_parser("fit", help="fit from the committed figures")
    f.add_argument("--check", action="store_true", help="compare with the committed fit instead of writing it")
    args = ap.parse_args()

    with open(ROWS, encoding="utf-8") as fh:
        rows_doc = json.load(fh)
    if args.command == "measure":
        figures = measure(args)
        published = [dict({"model": name, "coral-dev-board_ms": dev, "usb-accelerator-desktop_ms": usb},
                          **figures.get(name, {"left_out": LEFT_OUT.get(name, "not built")}))
                     for name, dev, usb in PUBLISHED]
        rows_doc["edgetpu_published"] = {
            "note": "Coral's published Edge TPU latencies; for the models keras.applications builds, their MACs and "
                    "parameter bytes as slipway's analysis reads them from a full-int8 build (weights=None: the values "
                    "change neither); derived by scripts/catalogue/derive_edgetpu_calibration.py.",
            "source": SOURCE, "rows": published,
        }
        with open(ROWS, "w", encoding="utf-8") as fh:
            fh.write(cj._fmt(rows_doc, 0) + "\n")
    with open(FITS, encoding="utf-8") as fh:
        fits_doc = json.load(fh)
    fits_doc["accelerator_calibrations"] = fit(rows_doc["edgetpu_published"]["rows"])
    text = cj._fmt(fits_doc, 0) + "\n"
    if getattr(args, "check", False):
        with open(FITS, encoding="utf-8") as fh:
            if fh.read() != text:
                sys.exit("latency_calibrations.json differs from the fit of the committed figures")
        print("latency_calibrations.json matches")
        return
    with open(FITS, "w", encoding="utf-8") as fh:
        fh.write(text)
    for c in fits_doc["accelerator_calibrations"]:
        print(f"{c['attachment']}: {c['ms_per_gmac']} ms/GMAC, {c['ms_per_streamed_mb']} ms/streamed MB, "
              f"{c['constant_ms']} ms; published/estimate {c['ratio_spread']}")
        for name, r in c["models"].items():
            print(f"  {name:32} {r['published_ms']:>7} ms  roofline {r['roofline_ratio']:.3f}  "
                  f"calibrated {r['calibrated_ratio']:.3f}  left out {r['leave_one_out_ratio']:.3f}")


if __name__ == "__main__":
    main()
