"""PyTorch → ONNX with torch.onnx.export, run by `slipway convert` for a target whose format is onnx and whose
model is a TorchScript module (torch.jit.save, .pt) or an ExportedProgram (torch.export.save, .pt2).

An ExportedProgram is exported by the dynamo exporter (`dynamo=True`, onnxscript) from the program itself: its
graph was captured by torch.export already, so nothing is traced again, and its input shapes are the program's
(static, or dynamic where torch.export made them so; a dynamic dimension the manifest's `model.inputs` fixes is
written fixed). The inputs are named as the manifest names them, or as the program's signature does. When the
dynamo exporter does not apply (an opset below the 18 it writes, shapes the program cannot take) or fails, the
program's unlifted module (`program.module()`) is traced by the TorchScript exporter instead, and the summary says
which exporter ran (`exporter`) and why the first did not (`fallback_reason`).

A TorchScript module is traced by the TorchScript exporter (`dynamo=False`; dynamo does not apply to a
ScriptModule) on example inputs of the manifest's `model.inputs` shapes (float32 zeros: the graph, not the
values, is what is exported), the inputs keeping their manifest names. Its forward's `int` arguments
(silero-vad's `sr`) take the manifest's values (`--value sr=16000`). A scripted module's `if` on one is exported
as an ONNX If with the int as a scalar int64 input of the same name (which `slipway test` feeds the manifest's
value); a traced one has the value built in. The examples go in the order the forward's schema names its
arguments; one the manifest gives neither a shape nor a value is refused by name.

The float model is written; quantizing it is a second step on the exported ONNX.
"""
import argparse
import os
import sys
import types

import artifact_fidelity  # written beside this driver

# torch 2.7's dynamo exporter writes opset 18 (its torchlib's) or above; asked for less it writes 18 still
# (onnxscript's version conversion is off in its torch 2.7 API), so a lower opset goes to the TorchScript exporter.
DYNAMO_MIN_OPSET = 18
# The TorchScript exporter's opset when none is asked for (the default before the dynamo exporter ran).
TORCHSCRIPT_OPSET = 17
# A test hook, for Tests/integration only: set, the dynamo exporter is taken to fail, so that the fallback to the
# TorchScript exporter runs on a program the dynamo exporter would export.
FAIL_DYNAMO_HOOK = "SLIPWAY_TEST_FAIL_DYNAMO_EXPORT"


def fail(message):
    # sys.stderr.write rather than the print builtin: this file is embedded in a Swift source (Sources has no prints).
    sys.stderr.write(f"slipway: {message}\n")
    sys.stderr.flush()
    sys.exit(2)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def first_line(e):
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def load_program(torch, path):
    """The ExportedProgram, the example inputs saved with it (if any), its user inputs' names and shapes (an int per
    static dimension, None per dynamic one)."""
    try:
        program = torch.export.load(path)
    except Exception as e:  # a torch.export archive it cannot read, or one saved by a newer torch
        fail(f"{path} is not an ExportedProgram torch {torch.__version__} loads ({first_line(e)})")
    user = [s.arg.name for s in program.graph_signature.input_specs
            if s.kind == torch.export.graph_signature.InputKind.USER_INPUT]
    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    shapes = []
    for name in user:
        val = placeholders[name].meta.get("val")
        shapes.append([d if isinstance(d, int) else None for d in val.shape] if hasattr(val, "shape") else None)
    recorded = program.example_inputs[0] if program.example_inputs else ()
    if program.example_inputs and program.example_inputs[1]:
        fail(f"{path}'s example inputs include keyword arguments ({', '.join(program.example_inputs[1])}), which torch.onnx.export does not trace; give the positional inputs' shapes in model.inputs")
    return program, tuple(recorded), user, shapes


def unlifted(program):
    """The program's module for the TorchScript exporter to trace."""
    model = program.module()
    # The unlifted module refuses train(): its graph was captured in one mode already, so the exporter's
    # train(False) has nothing to change.
    model.train = types.MethodType(lambda self, mode=True: self, model)
    return model


def strip_debug_metadata(ir, graph):
    """Drops the exporter's per-node and per-value metadata (the FX node, its module path and the Python stack trace
    that made it, with the exporting machine's file paths): debugging aids that no runtime reads, which the
    TorchScript exporter does not write and which tripled a small model's file."""
    for value in list(graph.inputs) + list(graph.initializers.values()):
        value.metadata_props.clear()
    for node in ir.traversal.RecursiveGraphIterator(graph):
        node.metadata_props.clear()
        for value in node.outputs:
            value.metadata_props.clear()


def dynamo_export(torch, program, names, given, shapes, examples, output, opset):
    """Writes the program with the dynamo exporter; returns None, or why the dynamo exporter did not write it.
    `given`: the manifest's shapes by input (empty when it gives none); `shapes`: the program's."""
    if opset < DYNAMO_MIN_OPSET:
        return f"opset {opset} was asked for; torch {torch.__version__}'s dynamo exporter writes opset {DYNAMO_MIN_OPSET} or above"
    pinned = {}
    for i, dims in enumerate(given):
        have = shapes[i] if i < len(shapes) else None
        if have is None or len(have) != len(dims) or any(h is not None and h != d for h, d in zip(have, dims)):
            shown = "[" + ", ".join("?" if h is None else str(h) for h in have) + "]" if have is not None else "unknown"
            return f"model.inputs gives {names[i]} the shape {dims}, which the program (shape {shown}) cannot take without being traced again"
        if None in have:
            pinned[i] = dims
    try:
        import onnxscript  # noqa: F401 (the dynamo exporter's dependency: a missing one is a reason to fall back)
        if os.environ.get(FAIL_DYNAMO_HOOK):
            raise RuntimeError(f"{FAIL_DYNAMO_HOOK} is set (a test hook)")
        exported = torch.onnx.export(program, examples, None, input_names=names or None,
                                     opset_version=opset, dynamo=True, external_data=False)
        from onnxscript import ir
        for i, dims in pinned.items():
            exported.model.graph.inputs[i].shape = ir.Shape(dims)
        strip_debug_metadata(ir, exported.model.graph)
        exported.save(output, external_data=False)
    except Exception as e:  # any exporter failure: the TorchScript exporter is tried next, and the reason kept
        if os.path.exists(output):
            os.remove(output)
        return first_line(e)
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--input", action="append", default=[], help="NAME=d0,d1,...")
    p.add_argument("--value", action="append", default=[], help="NAME=N: an int argument of forward")
    p.add_argument("--opset", type=int, default=None,
                   help=f"default: {DYNAMO_MIN_OPSET} for the dynamo exporter, {TORCHSCRIPT_OPSET} for the TorchScript exporter")
    a = p.parse_args()

    import torch

    names, given = [], []
    for spec in a.input:
        name, _, dims = spec.partition("=")
        names.append(name)
        given.append([int(d) for d in dims.split(",") if d])
    summary = {"torch": torch.__version__}
    if a.source.endswith(".pt2"):
        program, recorded, signature, shapes = load_program(torch, a.source)
        names = names or signature
        say("slipway-progress exporting")
        reason = dynamo_export(torch, program, names, given, shapes, recorded, a.output, a.opset or DYNAMO_MIN_OPSET)
        if reason is None:
            import onnx
            written = next(o.version for o in onnx.load(a.output, load_external_data=False).opset_import if o.domain in ("", "ai.onnx"))
            import onnxscript
            summary.update({"onnxscript": onnxscript.__version__, "exporter": "torch.onnx.export (dynamo)", "opset": written})
            specs = [(n, list(d), "float") for n, d in zip(names, given)] or [
                (n, list(t.shape), str(t.dtype)) for n, t in zip(names, recorded) if hasattr(t, "shape")]
            finish(a, summary, specs, {})
            return
        say(f"slipway: the dynamo exporter did not write the program ({reason}); tracing program.module() with the TorchScript exporter")
        model = unlifted(program)
        examples = [torch.zeros(tuple(d)) for d in given] or list(recorded)
        summary.update({"exporter": "torch.onnx.export (TorchScript) of ExportedProgram.module()", "fallback_reason": reason})
    else:
        try:
            model = torch.jit.load(a.source, map_location="cpu").eval()
        except RuntimeError as e:
            fail(f"{a.source} is not a TorchScript module ({str(e).splitlines()[0]}); a state dict has no graph to export")
        values = {}
        for spec in a.value:
            name, _, v = spec.partition("=")
            values[name] = int(v)
        shapes = dict(zip(names, given))
        arguments = [arg.name for arg in model.forward.schema.arguments[1:]]
        if values or set(shapes) <= set(arguments):
            # By the forward's own argument order; the tensors keep their names, the ints are traced constants.
            missing = [n for n in arguments if n not in shapes and n not in values]
            if missing and (shapes or values):
                fail(f"forward takes {', '.join(arguments)}; model.inputs gives no shape or value for {', '.join(missing)}")
            examples = [values[n] if n in values else torch.zeros(tuple(shapes[n])) for n in arguments if n in shapes or n in values]
            names = [n for n in arguments if n in shapes or n in values]
        else:  # names the forward does not use (a traced module's are its code's): in the manifest's order
            examples = [torch.zeros(tuple(d)) for d in given]
        summary["exporter"] = "torch.onnx.export (TorchScript)"
        if values:
            summary["input_values"] = values
        say("slipway-progress exporting")
    if not examples:
        fail("torch.onnx.export traces the module on example inputs: give their shapes in the manifest's model.inputs")
    opset = a.opset or TORCHSCRIPT_OPSET
    torch.onnx.export(model, tuple(examples), a.output, input_names=names, opset_version=opset, dynamo=False)
    summary["opset"] = opset
    finish(a, summary, [(n, list(e.shape), str(e.dtype)) for n, e in zip(names, examples) if hasattr(e, "shape")],
           {n: int(v) for n, _, v in (s.partition("=") for s in a.value)})


def finish(a, summary, specs, values):
    """The exported graph, run against the module before slipway keeps it (artifact_fidelity.py): a trace that took
    one branch of a data-dependent `if` computes something else on other inputs, and is refused, naming the outputs."""
    import torch
    say("slipway-progress checking the graph against the module")
    summary["mode"] = "float32"
    fixed = {n: d for n, d, _ in specs}
    import numpy as np
    names = {n: np.float32 for n, _, _ in specs}
    fidelity = artifact_fidelity.compare(a.source, a.output, "float32", fixed, values, names=names, specs=specs)
    error = artifact_fidelity.recorded(summary, a.summary, "torch.onnx.export (torch " + torch.__version__ + ")", fidelity,
                                       "the module")
    if error:
        fail(error)


if __name__ == "__main__":
    main()
