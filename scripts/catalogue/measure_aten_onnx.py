#!/usr/bin/env python3
"""Measures which ONNX operators torch.onnx.export writes for each ATen operator, for the ONNX Runtime EP checks.

    scripts/catalogue/measure_aten_onnx.py [--check]

Run with a Python that has torch, onnx and onnxscript (make measure-aten-onnx uses the Core ML venv's).

A PyTorch model that targets ONNX Runtime is converted by torch.onnx.export (Schemas/conversion/paths.json):
a TorchScript module (`.pt`) by the TorchScript exporter at opset 17, an ExportedProgram (`.pt2`) by the dynamo
exporter at opset 18. An execution provider's table names ONNX operators, Slipway's analysis holds the model's
ATen calls. For each module of measure_aten_decompositions.py's MODULES (the common layers; the few that
call several ATen operators are replaced by one-call modules in ONE_CALL) this script

  1. TorchScript exporter: traces the module (torch.jit.trace, as a traced `.pt` is made), reads the ATen calls of
     its inlined graph as Slipway's TorchScript evaluator names them (`aten::relu` -> `relu`, a convolution
     `aten::_convolution` -> `conv2d` or `conv_transpose2d` by its rank and `transposed`),
     exports the traced module with torch.onnx.export(dynamo=False, opset_version=17);
  2. dynamo exporter: torch.export.export, reads the program's operators as Slipway reads a `.pt2`
     (`aten.conv2d.default` -> `conv2d.default`), exports the program with torch.onnx.export(dynamo=True,
     opset_version=18);
     calls only scripted code makes (`lstm_cell`: a trace records what it decomposes into) are measured on a
     torch.jit.script of the module (SCRIPTED);
  3. when the module makes exactly one ATen call, every ONNX operator of the exported graph is that call's
     lowering (provenance by construction: nothing else is in the graph). A module making several calls is not
     attributed and is listed under `not_attributed`.

Each export is read as onnxruntime offers it to the execution providers: less what its constant folding computes,
a basic graph optimization, which "run[s] before graph partitioning and thus appl[ies] to all the execution
providers" (onnxruntime.ai, Graph Optimizations in ONNX Runtime) — nodes on constants alone, Shape and Size of a
static shape (onnx_types below). A traced constant_pad_nd is exported as Pad behind pad arithmetic (ConstantOfShape,
Concat, Slice, …) on constants alone: the providers see one Pad. `Constant` nodes are left out: ONNX Runtime turns
every Constant node into an initializer when it loads the graph (onnxruntime/core/graph/graph.cc, Graph::Graph). The
other basic rewrites (fusions, Identity elimination) are not applied: the set keeps the nodes they would remove,
which can only make a verdict stricter, never pass a node a provider refuses.

Writes `aten_to_onnx` in Schemas/targets/operators.json: per exporter, ATen operator -> the ONNX operators
(sorted, distinct; [] when the export writes nothing for it, a Dropout in eval mode) with the opset, the union
over the modules that make the call, the torch version measured; --check writes nothing and exits 1 when the
committed table differs.
"""
import argparse
import contextlib
import io
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402
from measure_aten_decompositions import MODULES, Fn, image  # noqa: E402

import onnx  # noqa: E402
import torch  # noqa: E402

warnings.filterwarnings("ignore")
EXPORTERS = {"torchscript": 17, "dynamo": 18}

class WithStates(torch.nn.Module):
    """A recurrent layer or cell given its initial states: its traced graph is the one `aten::lstm` / `aten::gru` /
    `aten::lstm_cell` call (without them the trace adds the zeros it makes them from). The first output: the output
    sequence, or a cell's new hidden state."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, *states):
        return self.rnn(x, tuple(states) if len(states) > 1 else states[0])[0]


# One ATen call each where MODULES' module makes several (sqrt of abs, a slice before the squeeze …).
ONE_CALL = {
    "lstm": (WithStates(torch.nn.LSTM(8, 16, batch_first=True)), (torch.randn(1, 5, 8), torch.zeros(1, 1, 16), torch.zeros(1, 1, 16))),
    "gru": (WithStates(torch.nn.GRU(8, 16, batch_first=True)), (torch.randn(1, 5, 8), torch.zeros(1, 1, 16))),
    "lstm_cell": (WithStates(torch.nn.LSTMCell(8, 16)), (torch.randn(1, 8), torch.zeros(1, 16), torch.zeros(1, 16))),
    "constant_pad_nd": (Fn(lambda a: torch.constant_pad_nd(a, [1, 1])), image()),
    "stack": (Fn(lambda a, b: torch.stack([a, b])), image() * 2),
    "to": (Fn(lambda a: a.to(torch.float16)), image()),
    "zeros": (Fn(lambda a: torch.zeros(a.shape[0], 4)), image()),
    "sqrt": (Fn(torch.sqrt), image()),
    "rsqrt": (Fn(torch.rsqrt), image()),
    "squeeze": (Fn(lambda a: a.squeeze(0)), image()),
    "slice": (Fn(lambda a: a[1:3]), (torch.randn(4, 8),)),
    "select": (Fn(lambda a: a[-1]), (torch.randn(4, 8),)),
}
# Calls only scripted code makes (a trace records what they decompose into): measured on the scripted module, for
# the TorchScript exporter (torch.export decomposes them as a trace does). Attributed when the scripted graph makes
# exactly one call with a tensor output (its other calls are the cell's checks on Python values: dim, eq, __not__).
class ScriptedCell(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = torch.nn.LSTMCell(8, 16)

    def forward(self, x, h, c):
        return self.cell(x, (h, c))[0]


SCRIPTED = {
    "scripted lstm_cell": (ScriptedCell(), (torch.randn(1, 8), torch.zeros(1, 16), torch.zeros(1, 16))),
}


# ATen calls of a traced graph that compute Python numbers for other calls, not tensors: not an operator of the
# model (Slipway's evaluator folds them; the exporter writes them into the one call's lowering).
SCALAR_CALLS = {"size", "Int", "ScalarImplicit", "floor", "mul_int", "len", "__getitem__", "dim", "numel"}


# What onnxruntime's constant folding leaves alone: non-deterministic operators, and DequantizeLinear (kept so that
# the QDQ form stays for the providers that fuse it).
NOT_FOLDED = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
              "DequantizeLinear", "QuantizeLinear"}


def onnx_types(model_bytes_or_proto):
    """The operators an execution provider is offered: the export less what onnxruntime's constant folding computes
    before the graph is partitioned among the providers (a basic optimization, which "run[s] before graph
    partitioning and thus appl[ies] to all the execution providers"): a node whose inputs are all constants
    (initializers, Constant outputs, what such nodes compute), and a Shape or Size of a value whose shape is static.
    A traced constant_pad_nd is a Pad behind pad arithmetic (ConstantOfShape, Concat, Slice …) on constants alone:
    the providers see the Pad. The folding is done here, not by an onnxruntime session, whose saved graph also holds
    what the CPU provider's partitioning did (HardSwish inlined as HardSigmoid and Mul, for want of a CPU kernel)."""
    m = model_bytes_or_proto if isinstance(model_bytes_or_proto, onnx.ModelProto) else onnx.load_from_string(model_bytes_or_proto)
    m = onnx.shape_inference.infer_shapes(m)
    static = set()
    for v in list(m.graph.input) + list(m.graph.value_info) + list(m.graph.output):
        t = v.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            static.add(v.name)
    constant = {t.name for t in m.graph.initializer}
    offered = set()
    for n in m.graph.node:  # exporters write nodes in topological order
        inputs = [i for i in n.input if i]
        folds = n.op_type == "Constant" or (
            n.op_type not in NOT_FOLDED
            and ((n.op_type in ("Shape", "Size") and inputs and inputs[0] in static)
                 or (inputs and all(i in constant for i in inputs))))
        if folds:
            constant.update(n.output)
        else:
            offered.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}")
    return sorted(offered)


def evaluator_name(node):
    """The call as Slipway's TorchScript evaluator names it: `aten::relu` -> `relu`; a traced convolution
    (`aten::_convolution`) by its rank (the weight's, here the stride's length) and `transposed` argument, `conv2d` or `conv_transpose2d`
    (Sources/ModelFormats/PyTorch/TorchScriptShapeRules.swift)."""
    name = node.kind().split("::", 1)[1]
    if name in ("_convolution", "convolution"):
        args = list(node.inputs())
        n = len(list(args[3].node().inputs()))  # the stride's list: one per spatial dimension (the weight's rank - 2)
        return f"conv_transpose{n}d" if args[6].toIValue() else f"conv{n}d"
    return name


def torchscript(module, inputs):
    traced = torch.jit.trace(module, inputs)
    calls = [evaluator_name(n) for n in traced.inlined_graph.nodes() if n.kind().startswith("aten::")]
    calls = [c for c in calls if c not in SCALAR_CALLS]
    f = io.BytesIO()
    with contextlib.redirect_stdout(io.StringIO()):
        torch.onnx.export(traced, inputs, f, opset_version=EXPORTERS["torchscript"], dynamo=False)
    return calls, onnx_types(f.getvalue())


def scripted(module, inputs):
    script = torch.jit.script(module)
    calls = [evaluator_name(n) for n in script.inlined_graph.nodes() if n.kind().startswith("aten::")
             and any(isinstance(o.type(), torch._C.TensorType) for o in n.outputs())]
    f = io.BytesIO()
    with contextlib.redirect_stdout(io.StringIO()):
        torch.onnx.export(script, inputs, f, opset_version=EXPORTERS["torchscript"], dynamo=False)
    return calls, onnx_types(f.getvalue())


def dynamo(module, inputs):
    ep = torch.export.export(module, inputs)
    calls = []
    for n in ep.graph.nodes:
        if n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload):
            parts = str(n.target).split(".")  # aten.conv2d.default
            calls.append(".".join(parts[1:]))
    with contextlib.redirect_stdout(io.StringIO()):
        program = torch.onnx.export(ep, inputs, opset_version=EXPORTERS["dynamo"], dynamo=True)
    return calls, onnx_types(program.model_proto)


def derive():
    modules = dict(MODULES)
    modules.update(ONE_CALL)
    tables = {}
    for exporter, run in (("torchscript", torchscript), ("dynamo", dynamo)):
        ops, measured_in, not_attributed = {}, {}, {}
        measured = [(name, module, inputs, run) for name, (module, inputs) in modules.items()]
        if exporter == "torchscript":
            measured += [(name, module, inputs, scripted) for name, (module, inputs) in SCRIPTED.items()]
        for name, module, inputs, run_one in measured:
            torch.manual_seed(0)
            calls, written = run_one(module.eval(), inputs)
            if len(set(calls)) != 1 or len(calls) != 1:
                not_attributed[name] = calls
                continue
            ops.setdefault(calls[0], set()).update(written)
            measured_in.setdefault(calls[0], []).append(name)
        tables[exporter] = {
            "opset": EXPORTERS[exporter],
            "operators": {op: sorted(ops[op]) for op in sorted(ops)},
            "measured_in": {op: measured_in[op] for op in sorted(measured_in)},
            "not_attributed": {n: not_attributed[n] for n in sorted(not_attributed)},
        }
    return {
        "source": {"id": "torch-onnx-export-measured",
                   "section": f"one-call modules exported with torch.onnx.export (torch {torch.__version__.split('+')[0]}):"
                              " the TorchScript exporter on the traced module at opset 17, the dynamo exporter on"
                              " the ExportedProgram at opset 18; Constant nodes left out (ONNX Runtime makes them"
                              " initializers on load)"},
        "special": {"[]": "the export writes no node for it (only Constant nodes, or nothing)",
                    "not_attributed": "modules making several ATen calls: their export is not attributed"},
        "exporters": tables,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true", help="exit 1 when the committed table differs from a re-measurement")
    a = p.parse_args()
    derived = derive()
    ops = cj.load("operators.json")
    if a.check:
        committed = ops.get("aten_to_onnx")
        if committed != derived:
            for ex in EXPORTERS:
                c = ((committed or {}).get("exporters", {}).get(ex) or {}).get("operators", {})
                d = derived["exporters"][ex]["operators"]
                for n in sorted(set(c) | set(d)):
                    if c.get(n, "absent") != d.get(n, "absent"):
                        sys.stderr.write(f"  {ex} {n}: committed {c.get(n, 'absent')}, measured {d.get(n, 'absent')}\n")
            sys.exit("aten_to_onnx in Schemas/targets/operators.json differs from the measurement: run without --check")
        return
    ops["aten_to_onnx"] = derived
    cj.dump("operators.json", ops)
    sources = cj.load("sources.json")
    sources["sources"]["torch-onnx-export-measured"] = {
        "title": "torch.onnx.export, run with torch: the ONNX operators the TorchScript exporter (opset 17) and the"
                 " dynamo exporter (opset 18) write for each ATen operator",
        "url": "https://pytorch.org/docs/stable/onnx.html",
        "revision": f"torch {torch.__version__.split('+')[0]}; onnx {onnx.__version__}",
        "derived_by": "scripts/catalogue/measure_aten_onnx.py",
    }
    cj.dump("sources.json", sources, plain=True)
    for ex, t in derived["exporters"].items():
        sys.stdout.write(f"aten_to_onnx {ex} (opset {t['opset']}): {len(t['operators'])} ATen operators,"
                         f" {len(t['not_attributed'])} modules not attributed\n")


if __name__ == "__main__":
    main()
