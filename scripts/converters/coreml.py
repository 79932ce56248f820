"""PyTorch → Core ML with coremltools, run by `slipway convert` for a target whose format is mlpackage.

coremltools 6 and later have no ONNX frontend, so the source is a TorchScript module (torch.jit.save, .pt) or
an ExportedProgram (torch.export.save, .pt2). Input shapes come from the manifest's `model.inputs`
(`--input NAME=1,3,224,224`). Weight compression maps `optimize` onto coremltools.optimize.coreml:
int8 weights → linear_quantize_weights, pruning → prune_weights (sparsity or N:M).
"""
import argparse
import json
import sys

import coremltools as ct


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
    p.add_argument("--minimum-os", default=None, help="e.g. iOS17, macOS14")
    p.add_argument("--compute-units", default="ALL")
    p.add_argument("--precision", choices=["float16", "float32"], default="float16")
    p.add_argument("--weights", choices=["int8", "uint8", "none"], default="none")
    p.add_argument("--granularity", choices=["per_tensor", "per_channel"], default="per_channel")
    p.add_argument("--symmetric", action="store_true")
    p.add_argument("--sparsity", type=float, default=None)
    p.add_argument("--pattern", default=None, help="N:M")
    a = p.parse_args()

    import torch

    if a.source.endswith(".onnx"):
        fail("coremltools has no ONNX frontend since version 6: export the PyTorch model with torch.jit.save (.pt) or torch.export.save (.pt2)")
    if a.source.endswith(".pt2"):
        model = torch.export.load(a.source).run_decompositions({})
    else:
        model = torch.jit.load(a.source, map_location="cpu").eval()
    inputs = []
    for spec in a.input:
        name, _, dims = spec.partition("=")
        inputs.append(ct.TensorType(name=name, shape=tuple(int(d) for d in dims.split(","))))
    if not inputs and not a.source.endswith(".pt2"):
        fail("a TorchScript model needs its input shapes: give them in the manifest's model.inputs")
    kwargs = {
        "convert_to": "mlprogram",
        "compute_units": getattr(ct.ComputeUnit, a.compute_units),
        "compute_precision": ct.precision.FLOAT16 if a.precision == "float16" else ct.precision.FLOAT32,
    }
    if inputs:
        kwargs["inputs"] = inputs
    if a.minimum_os:
        kwargs["minimum_deployment_target"] = getattr(ct.target, a.minimum_os)
    sys.stdout.write("slipway-progress converting\n")
    sys.stdout.flush()
    mlmodel = ct.convert(model, **kwargs)
    steps = []
    from coremltools.optimize import coreml as opt

    if a.sparsity is not None or a.pattern:
        if a.pattern:
            n, m = (int(x) for x in a.pattern.split(":"))
            op = opt.OpMagnitudePrunerConfig(n_m_ratio=(n, m))
        else:
            op = opt.OpMagnitudePrunerConfig(target_sparsity=a.sparsity)
        mlmodel = opt.prune_weights(mlmodel, config=opt.OptimizationConfig(global_config=op))
        steps.append("prune_weights")
    if a.weights != "none":
        op = opt.OpLinearQuantizerConfig(
            mode="linear_symmetric" if a.symmetric else "linear", dtype=a.weights, granularity=a.granularity)
        mlmodel = opt.linear_quantize_weights(mlmodel, config=opt.OptimizationConfig(global_config=op))
        steps.append("linear_quantize_weights")
    mlmodel.save(a.output)
    with open(a.summary, "w", encoding="utf-8") as f:
        json.dump({"coremltools": ct.__version__, "torch": torch.__version__, "steps": steps}, f)


if __name__ == "__main__":
    main()
