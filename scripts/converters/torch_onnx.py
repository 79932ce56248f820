"""PyTorch → ONNX with torch.onnx.export, run by `slipway convert` for a target whose format is onnx and whose
model is a TorchScript module (torch.jit.save, .pt).

The exporter traces the module on example inputs of the manifest's `model.inputs` shapes (float32 zeros: the
graph, not the values, is what is exported); the inputs keep their manifest names. The float model is written;
quantizing it is a second step on the exported ONNX.
"""
import argparse
import json
import sys


def fail(message):
    # sys.stderr.write rather than the print builtin: this file is embedded in a Swift source (Sources has no prints).
    sys.stderr.write(f"slipway: {message}\n")
    sys.stderr.flush()
    sys.exit(2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--input", action="append", default=[], help="NAME=d0,d1,...")
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args()

    import torch

    if a.source.endswith(".pt2"):
        fail("an ExportedProgram (.pt2) needs torch.onnx's dynamo exporter, which Slipway does not run; save a TorchScript module (torch.jit.save) instead")
    try:
        model = torch.jit.load(a.source, map_location="cpu").eval()
    except RuntimeError as e:
        fail(f"{a.source} is not a TorchScript module ({str(e).splitlines()[0]}); a state dict has no graph to export")
    names, examples = [], []
    for spec in a.input:
        name, _, dims = spec.partition("=")
        names.append(name)
        examples.append(torch.zeros(tuple(int(d) for d in dims.split(",") if d)))
    if not examples:
        fail("torch.onnx.export traces the module on example inputs: give their shapes in the manifest's model.inputs")
    sys.stdout.write("slipway-progress exporting\n")
    sys.stdout.flush()
    torch.onnx.export(model, tuple(examples), a.output, input_names=names, opset_version=a.opset, dynamo=False)
    with open(a.summary, "w", encoding="utf-8") as f:
        json.dump({"torch": torch.__version__, "exporter": "torch.onnx.export (TorchScript)", "opset": a.opset}, f)


if __name__ == "__main__":
    main()
