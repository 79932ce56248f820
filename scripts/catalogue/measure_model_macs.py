#!/usr/bin/env python3
"""Counts the compute of the models that published device latencies were measured on, with Slipway's own analysis,
for the device latency calibrations.

    scripts/catalogue/measure_model_macs.py --slipway BIN [--check] [--models NAME,NAME,...]

Run with a Python that has torch, torchvision and the pinned Ultralytics (requirements-ultralytics.txt; `make
measure-model-macs` uses the Core ML venv). No weights are read: a model built from its definition has the trained
model's layers and shapes, and the count depends on nothing else.

The latency calibrations (scripts/catalogue/derive_device_calibration.py) fit milliseconds per GMAC to published
inference times; the estimate then multiplies Slipway's MAC count of the user's model by that figure, so the fit is
made on Slipway's count of the published models. Publishers count otherwise: Ultralytics' FLOPs come from thop
(ultralytics/utils/torch_utils.py, get_flops: thop's MACs × 2), which counts convolutions and linear layers only,
where Slipway also counts each element-wise operator at its cost (docs/analysis.md). Each model is built as its
publisher exports it and exported to ONNX (torch.onnx.export, opset 17), estimated by the Slipway binary given, and
its MACs recorded beside thop's count of the same module:

- YOLO11n–x: Ultralytics' DetectionModel from the yaml of the pinned release, eval, Conv+BN fused, the Detect head
  in export mode, 640×640 (what Ultralytics' ONNX export builds);
- the Qualcomm AI Hub Models image classifiers that are torchvision models (qai_hub_models/models/<id>/model.py of
  the release read by derive_device_calibration.py): the torchvision builder it names, after the template's input
  normalisation ((x − mean) / std, qai_hub_models/models/templates/imagenet_classifier/model.py), 224×224 (299×299
  for Inception v3); GoogLeNet without torchvision's transform_input, as the template builds it.

Writes `model_macs` in Schemas/measurements/latency_measurements.json; --check writes nothing and exits 1 when the
measured models differ from the committed figures.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402

os.environ.setdefault("YOLO_OFFLINE", "1")  # Ultralytics checks for updates and fonts online otherwise
import torch  # noqa: E402
import torchvision  # noqa: E402
import ultralytics  # noqa: E402
from thop import profile  # noqa: E402
from ultralytics.nn.tasks import DetectionModel  # noqa: E402

ROWS = os.path.join(cj.ROOT, "Schemas", "measurements", "latency_measurements.json")
OPSET = 17

# name → (how it is built, the builder's argument, input side)
YOLO = {f"YOLO11{s}": ("ultralytics", f"yolo11{s}.yaml", 640) for s in "nsmlx"}
# Qualcomm AI Hub Models id → the torchvision builder its model.py names (and the keyword arguments it passes).
QAIHM = {
    "resnet18": ("resnet18", {}), "resnet50": ("resnet50", {}), "resnet101": ("resnet101", {}),
    "resnext50": ("resnext50_32x4d", {}), "resnext101": ("resnext101_32x8d", {}),
    "regnet": ("regnet_x_3_2gf", {}), "regnet_y_800mf": ("regnet_y_800mf", {}),
    "googlenet": ("googlenet", {"transform_input": False, "aux_logits": False, "init_weights": False}),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}),
    "mobilenet_v3_large": ("mobilenet_v3_large", {}), "mobilenet_v3_small": ("mobilenet_v3_small", {}),
    "shufflenet_v2": ("shufflenet_v2_x0_5", {}), "squeezenet1_1": ("squeezenet1_1", {}),
    "mnasnet05": ("mnasnet0_5", {}), "efficientnet_b0": ("efficientnet_b0", {}),
    "densenet121": ("densenet121", {}), "convnext_tiny": ("convnext_tiny", {}),
}
MODELS = dict(YOLO)
MODELS.update({m: ("torchvision", m, 299 if m == "inception_v3" else 224) for m in QAIHM})

# Any target makes `slipway estimate` count; the count does not depend on which (docs/analysis.md).
MANIFEST = """slipway: 1
name: {name}
model:
  path: {name}.onnx
  inputs:
    {input}: [1, 3, {size}, {size}]
targets:
  count:
    runtime: onnxruntime@1.20
    device: raspberry-pi-5
    format: onnx
"""


class Normalized(torch.nn.Module):
    """The AI Hub classifier template: an image in [0, 1] normalised with torchvision's constants, then the net."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1))

    def forward(self, image_tensor):
        return self.net((image_tensor - self.mean) / self.std)


def build(name):
    kind, arg, _ = MODELS[name]
    if kind == "ultralytics":
        model = DetectionModel(arg, verbose=False).eval()
        model.fuse(verbose=False)
        head = model.model[-1]
        head.export, head.format = True, "onnx"
        return model, "images"
    builder, kwargs = QAIHM[arg]
    return Normalized(getattr(torchvision.models, builder)(weights=None, **kwargs)).eval(), "image_tensor"


def measure(name, slipway, folder):
    torch.manual_seed(0)
    model, input_name = build(name)
    for p in model.parameters():
        p.requires_grad_(False)
    size = MODELS[name][2]
    example = torch.zeros(1, 3, size, size)
    # thop registers counters on the modules it profiles: a copy keeps them out of the export.
    thop_macs, _ = profile(copy.deepcopy(model), inputs=(example,), verbose=False)
    onnx_path = os.path.join(folder, f"{name}.onnx")
    torch.onnx.export(model, example, onnx_path, opset_version=OPSET, dynamo=False, input_names=[input_name],
                      output_names=["output0"])
    manifest = os.path.join(folder, f"{name}.slipway.yaml")
    with open(manifest, "w", encoding="utf-8") as fh:
        fh.write(MANIFEST.format(name=name, input=input_name, size=size))
    run = subprocess.run([slipway, "estimate", manifest, "--json", "--no-cache"], capture_output=True, text=True,
                         timeout=600)
    if run.returncode not in (0, 1):
        sys.exit(f"slipway estimate {manifest} failed ({run.returncode}): {run.stderr}")
    result = json.loads(run.stdout)
    coverage = result["coverage"]
    if not coverage.get("complete"):  # a partial count would calibrate against part of the model
        sys.exit(f"{name}: the analysis covers {coverage['nodes_resolved']} of {coverage['nodes_total']} nodes "
                 f"({coverage.get('unresolved_ops')}); no calibration from a partial count")
    slipway_macs = result["targets"][0]["macs"]
    thop_macs = int(round(thop_macs))
    return {"built_as": MODELS[name][0] if MODELS[name][0] == "ultralytics" else f"torchvision {QAIHM[name][0]}",
            "input": [1, 3, size, size], "slipway_macs": slipway_macs, "thop_macs": thop_macs,
            "slipway_per_thop": round(slipway_macs / thop_macs, 4), "onnx_nodes": coverage["nodes_total"]}


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
            print(f"{name:18} slipway {m['slipway_macs']:>15,} MACs  thop {m['thop_macs']:>15,}  "
                  f"ratio {m['slipway_per_thop']:.4f}  ({m['onnx_nodes']} ONNX nodes)")

    with open(ROWS, encoding="utf-8") as fh:
        doc = json.load(fh)
    committed = doc.get("model_macs", {}).get("models", {})
    if args.check:
        bad = {n: (committed.get(n), m) for n, m in measured.items() if committed.get(n) != m}
        if bad:
            sys.exit("differs from the committed model_macs (committed, measured): " + json.dumps(bad))
        print("model_macs matches for " + ", ".join(names))
        return
    models = dict(committed)
    models.update(measured)
    doc.pop("yolo11_macs", None)
    doc["model_macs"] = {
        "note": "Slipway's MAC count of each model the device latency calibrations are fitted on, built as its "
                "publisher exports it (no weights) and exported to ONNX at opset 17, beside thop's count of the same "
                "module; the calibrations are fitted on slipway_macs. Measured by "
                "scripts/catalogue/measure_model_macs.py.",
        "opset": OPSET, "ultralytics": ultralytics.__version__, "torch": torch.__version__.split("+")[0],
        "torchvision": torchvision.__version__.split("+")[0],
        "models": {n: models[n] for n in MODELS if n in models},
    }
    with open(ROWS, "w", encoding="utf-8") as fh:
        fh.write(cj._fmt(doc, 0) + "\n")


if __name__ == "__main__":
    main()
