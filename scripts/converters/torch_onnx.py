"""PyTorch → ONNX with torch.onnx.export, run by `slipway convert` for a target whose format is onnx and whose
model is a TorchScript module (torch.jit.save, .pt) or an ExportedProgram (torch.export.save, .pt2).

The exporter traces the module on example inputs of the manifest's `model.inputs` shapes (float32 zeros: the
graph, not the values, is what is exported); the inputs keep their manifest names. An ExportedProgram is traced
as its unlifted module (`program.module()`), on the manifest's shapes or else the example inputs saved with it,
its inputs named as its signature names them. The float model is written; quantizing it is a second step on the
exported ONNX.
"""
import argparse
import json
import sys
import types


def fail(message):
    # sys.stderr.write rather than the print builtin: this file is embedded in a Swift source (Sources has no prints).
    sys.stderr.write(f"slipway: {message}\n")
    sys.stderr.flush()
    sys.exit(2)


def load_program(torch, path):
    """The ExportedProgram's module, the example inputs saved with it (if any) and its user inputs' names."""
    try:
        program = torch.export.load(path)
    except Exception as e:  # a torch.export archive it cannot read, or one saved by a newer torch
        fail(f"{path} is not an ExportedProgram torch {torch.__version__} loads ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    model = program.module()
    # The unlifted module refuses train(): its graph was captured in one mode already, so the exporter's
    # train(False) has nothing to change.
    model.train = types.MethodType(lambda self, mode=True: self, model)
    user = [s.arg.name for s in program.graph_signature.input_specs
            if s.kind == torch.export.graph_signature.InputKind.USER_INPUT]
    recorded = program.example_inputs[0] if program.example_inputs else ()
    if program.example_inputs and program.example_inputs[1]:
        fail(f"{path}'s example inputs include keyword arguments ({', '.join(program.example_inputs[1])}), which torch.onnx.export does not trace; give the positional inputs' shapes in model.inputs")
    return model, tuple(recorded), user


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--input", action="append", default=[], help="NAME=d0,d1,...")
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args()

    import torch

    names, examples = [], []
    for spec in a.input:
        name, _, dims = spec.partition("=")
        names.append(name)
        examples.append(torch.zeros(tuple(int(d) for d in dims.split(",") if d)))
    if a.source.endswith(".pt2"):
        model, recorded, signature = load_program(torch, a.source)
        if not examples:
            examples, names = list(recorded), signature
    else:
        try:
            model = torch.jit.load(a.source, map_location="cpu").eval()
        except RuntimeError as e:
            fail(f"{a.source} is not a TorchScript module ({str(e).splitlines()[0]}); a state dict has no graph to export")
    if not examples:
        fail("torch.onnx.export traces the module on example inputs: give their shapes in the manifest's model.inputs")
    sys.stdout.write("slipway-progress exporting\n")
    sys.stdout.flush()
    torch.onnx.export(model, tuple(examples), a.output, input_names=names, opset_version=a.opset, dynamo=False)
    with open(a.summary, "w", encoding="utf-8") as f:
        exporter = "torch.onnx.export (TorchScript) of ExportedProgram.module()" if a.source.endswith(".pt2") else "torch.onnx.export (TorchScript)"
        json.dump({"torch": torch.__version__, "exporter": exporter, "opset": a.opset}, f)


if __name__ == "__main__":
    main()
