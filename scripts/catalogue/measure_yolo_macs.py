#!/usr/bin/env python3
"""Counts the YOLO11 detection models' compute with Slipway's own analysis, for the device latency calibrations.

    scripts/catalogue/measure_yolo_macs.py --slipway BIN [--check] [--models YOLO11n,YOLO11s,...]

Run with a Python that has torch and the pinned Ultralytics (requirements-ultralytics.txt; `make measure-yolo-macs`
installs it into the Core ML venv, whose torch it uses). No weights are read: a model built from its yaml has the
trained model's layers and shapes, and the count depends on nothing else.

The latency calibrations (scripts/catalogue/derive_device_calibration.py) fit milliseconds per GMAC to Ultralytics'
published YOLO11 inference times; the estimate then multiplies Slipway's MAC count of the user's model by that
figure. Ultralytics publishes FLOPs from thop (ultralytics/utils/torch_utils.py, get_flops: thop's MACs × 2), which
counts the convolutions and linear layers only, where Slipway also counts each element-wise operator at its cost
(docs/analysis.md): fitted on thop's count, the calibration would be applied to a larger count than it was fitted on.
So each model is built here as Ultralytics' own ONNX export builds it (DetectionModel from the yaml, eval, Conv+BN
fused, the Detect head in export mode, 640×640, torch.onnx.export at opset 17), estimated by the Slipway binary
given, and its MACs recorded beside thop's count of the same fused model.

Writes `yolo11_macs` in Schemas/measurements/latency_measurements.json; --check writes nothing and exits 1 when the
measured models differ from the committed figures.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402

os.environ.setdefault("YOLO_OFFLINE", "1")  # Ultralytics checks for updates and fonts online otherwise
import torch  # noqa: E402
import ultralytics  # noqa: E402
from ultralytics.nn.tasks import DetectionModel  # noqa: E402
from ultralytics.utils.torch_utils import get_flops  # noqa: E402

ROWS = os.path.join(cj.ROOT, "Schemas", "measurements", "latency_measurements.json")
MODELS = ["YOLO11n", "YOLO11s", "YOLO11m", "YOLO11l", "YOLO11x"]
SIZE = 640
OPSET = 17

# Any target makes `slipway estimate` count; the count does not depend on which (docs/analysis.md).
MANIFEST = """slipway: 1
name: {name}
model:
  path: {name}.onnx
  inputs:
    images: [1, 3, {size}, {size}]
targets:
  count:
    runtime: onnxruntime@1.20
    device: raspberry-pi-5
    format: onnx
"""


def build(name):
    """The model as Ultralytics' ONNX export builds it: eval, fused, the Detect head's export output."""
    model = DetectionModel(f"{name.lower()}.yaml", verbose=False).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    model.fuse(verbose=False)
    head = model.model[-1]
    head.export, head.format = True, "onnx"
    return model


def measure(name, slipway, folder):
    model = build(name)
    thop_macs = round(get_flops(model, SIZE) * 1e9 / 2)
    onnx_path = os.path.join(folder, f"{name}.onnx")
    torch.onnx.export(model, torch.zeros(1, 3, SIZE, SIZE), onnx_path, opset_version=OPSET, dynamo=False,
                      input_names=["images"], output_names=["output0"])
    manifest = os.path.join(folder, f"{name}.slipway.yaml")
    with open(manifest, "w", encoding="utf-8") as fh:
        fh.write(MANIFEST.format(name=name, size=SIZE))
    run = subprocess.run([slipway, "estimate", manifest, "--json"], capture_output=True, text=True, timeout=600)
    if run.returncode not in (0, 1):
        sys.exit(f"slipway estimate {manifest} failed ({run.returncode}): {run.stderr}")
    result = json.loads(run.stdout)
    coverage = result["coverage"]
    if not coverage.get("complete"):  # a partial count would calibrate against part of the model
        sys.exit(f"{name}: the analysis covers {coverage['nodes_resolved']} of {coverage['nodes_total']} nodes "
                 f"({coverage.get('unresolved_ops')}); no calibration from a partial count")
    slipway_macs = result["targets"][0]["macs"]
    return {"slipway_macs": slipway_macs, "thop_macs": thop_macs, "slipway_per_thop": round(slipway_macs / thop_macs, 4),
            "onnx_nodes": coverage["nodes_total"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slipway", required=True, help="the slipway binary whose analysis counts")
    ap.add_argument("--check", action="store_true", help="compare with the committed figures instead of writing them")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    args = ap.parse_args()
    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        sys.exit(f"unknown models {unknown}; valid: {', '.join(MODELS)}")

    with tempfile.TemporaryDirectory() as folder:
        measured = {}
        for name in names:
            measured[name] = measure(name, os.path.abspath(args.slipway), folder)
            m = measured[name]
            print(f"{name:8} slipway {m['slipway_macs']:>14,} MACs  thop {m['thop_macs']:>14,}  "
                  f"ratio {m['slipway_per_thop']:.4f}  ({m['onnx_nodes']} ONNX nodes)")

    with open(ROWS, encoding="utf-8") as fh:
        doc = json.load(fh)
    committed = doc.get("yolo11_macs", {}).get("models", {})
    if args.check:
        bad = {n: (committed.get(n), m) for n, m in measured.items() if committed.get(n) != m}
        if bad:
            sys.exit("differs from the committed yolo11_macs (committed, measured): " + json.dumps(bad))
        print("yolo11_macs matches for " + ", ".join(names))
        return
    models = dict(committed)
    models.update(measured)
    doc["yolo11_macs"] = {
        "note": "Slipway's MAC count of each YOLO11 detection model as Ultralytics exports it to ONNX (built from its "
                "yaml, fused, Detect head in export mode, opset 17), beside thop's count of the same fused model "
                "(Ultralytics' published FLOPs / 2); the device calibrations are fitted on slipway_macs. Measured by "
                "scripts/catalogue/measure_yolo_macs.py.",
        "input": [1, 3, SIZE, SIZE], "opset": OPSET,
        "ultralytics": ultralytics.__version__, "torch": torch.__version__.split("+")[0],
        "models": {n: models[n] for n in MODELS if n in models},
    }
    with open(ROWS, "w", encoding="utf-8") as fh:
        fh.write(cj._fmt(doc, 0) + "\n")


if __name__ == "__main__":
    main()
