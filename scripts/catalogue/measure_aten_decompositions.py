#!/usr/bin/env python3
"""Measures what ExecuTorch's to_edge turns each exported ATen operator into, for the XNNPACK partitioner check.

    scripts/catalogue/measure_aten_decompositions.py [--check] [--models DIR]

Run with a Python that has torch (make measure-aten-decompositions uses the Core ML venv's torch).

A `.pt2` (torch.export.save) holds the exported program's operators before decomposition (aten.conv2d,
aten.linear, aten.relu_, aten.flatten …); the XNNPACK partitioner names the Edge dialect's operators, what
to_edge leaves after its decompositions (aten.convolution, aten.addmm, aten.view_copy …). For each module in
MODULES (the common layers, one or a few per module) this script

  1. exports it with torch.export.export, saves the .pt2 and reads its operators from the archive's
     serialized_exported_program.json as Slipway does (the node's target without `torch.ops.` and namespace);
  2. runs what exir/program/_program.py's to_edge runs on it (pytorch/executorch, read at the revision in
     EXECUTORCH_READ): program.run_decompositions with exir/tracer.py's _default_decomposition_table
     (torch.export.default_decompositions() and aten.linalg_vector_norm's decomposition; ExecuTorch's quant
     primitives are not in torch's table, so popping them changes nothing here), then torch's
     ReplaceViewOpsWithViewCopyOpsPass (view -> view_copy …);
  3. attributes each resulting operator to the exported node it came from (the node's from_node provenance).

Not run: to_edge's MemoryFormatOpsPass (aten._to_copy -> _to_dim_order_copy, clone -> _clone_dim_order), which
needs executorch's own operators (executorch is not installed in this venv); an exported `_to_copy` keeps its name.
Not run either: a partitioner's ops_to_not_decompose (to_edge_transform_and_lower keeps an operator the
partitioner names as its get_original_aten): the check takes an operator the partitioner names as it is.

Writes `aten_to_edge` in Schemas/targets/operators.json: exported operator -> the Edge operators it becomes (the
union over the modules that export it; [] when nothing is left), and for an operator whose decomposition depends on
its integer arguments each decomposition with the arguments that select it (`by_arguments`), with the torch
version measured; --check writes
nothing and exits 1 when the committed table differs. --models DIR also keeps the .pt2 files.
"""
import argparse
import json
import os
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch._decomp import get_decompositions  # noqa: E402
from torch._export.passes import ReplaceViewOpsWithViewCopyOpsPass  # noqa: E402

F = nn.functional
# The ExecuTorch source the to_edge steps above are read from (pytorch/executorch; the catalogue's executorch
# entry reads the same repository).
EXECUTORCH_READ = "pytorch/executorch@cff6f4dd32e630945b7188512c1f2b4f102b05ad"


class Fn(nn.Module):
    """A module around one function, for the operators that are not layers."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, *xs):
        return self.f(*xs)


class LastStep(nn.Module):
    """A recurrent layer's output sequence (the module returns a tuple)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


def image(c=4, s=8):
    return (torch.randn(1, c, s, s),)


# name -> (module, example inputs). Each is exported in eval mode, as a model is for deployment.
MODULES = {
    "Conv1d": (nn.Conv1d(4, 8, 3), (torch.randn(1, 4, 16),)),
    "Conv2d": (nn.Conv2d(4, 8, 3, padding=1), image()),
    "Conv2d depthwise": (nn.Conv2d(4, 4, 3, groups=4), image()),
    "ConvTranspose2d": (nn.ConvTranspose2d(4, 8, 2, stride=2), image()),
    "Linear": (nn.Linear(16, 8), (torch.randn(2, 16),)),
    "Linear 3-D input": (nn.Linear(16, 8), (torch.randn(2, 5, 16),)),
    "BatchNorm1d": (nn.BatchNorm1d(4), (torch.randn(2, 4, 16),)),
    "BatchNorm2d": (nn.BatchNorm2d(4), image()),
    "LayerNorm": (nn.LayerNorm(16), (torch.randn(2, 5, 16),)),
    "GroupNorm": (nn.GroupNorm(2, 4), image()),
    "ReLU": (nn.ReLU(), image()),
    "ReLU inplace": (nn.ReLU(inplace=True), image()),
    "ReLU6": (nn.ReLU6(), image()),
    "ReLU6 inplace": (nn.ReLU6(inplace=True), image()),
    "Hardtanh": (nn.Hardtanh(-2.0, 2.0), image()),
    "Hardswish": (nn.Hardswish(), image()),
    "Hardsigmoid": (nn.Hardsigmoid(), image()),
    "GELU": (nn.GELU(), image()),
    "GELU tanh": (nn.GELU(approximate="tanh"), image()),
    "SiLU": (nn.SiLU(), image()),
    "Sigmoid": (nn.Sigmoid(), image()),
    "Tanh": (nn.Tanh(), image()),
    "LeakyReLU": (nn.LeakyReLU(0.1), image()),
    "ELU": (nn.ELU(), image()),
    "PReLU": (nn.PReLU(), image()),
    "Softmax": (nn.Softmax(dim=-1), image()),
    "LogSoftmax": (nn.LogSoftmax(dim=-1), image()),
    "MaxPool2d": (nn.MaxPool2d(2), image()),
    "AvgPool2d": (nn.AvgPool2d(2), image()),
    "AdaptiveAvgPool2d 1x1": (nn.AdaptiveAvgPool2d(1), image()),
    "AdaptiveAvgPool2d 2x2": (nn.AdaptiveAvgPool2d(2), image()),
    "Dropout": (nn.Dropout(0.5), image()),
    "Flatten": (nn.Flatten(), image()),
    "Upsample nearest": (nn.Upsample(scale_factor=2, mode="nearest"), image()),
    "Upsample bilinear": (nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), image()),
    "Embedding": (nn.Embedding(10, 8), (torch.tensor([[1, 2, 3]]),)),
    "LSTM": (LastStep(nn.LSTM(8, 16, batch_first=True)), (torch.randn(1, 5, 8),)),
    "GRU": (LastStep(nn.GRU(8, 16, batch_first=True)), (torch.randn(1, 5, 8),)),
    "add": (Fn(lambda a, b: a + b), image() * 2),
    "sub": (Fn(lambda a, b: a - b), image() * 2),
    "mul": (Fn(lambda a, b: a * b), image() * 2),
    "div": (Fn(lambda a, b: a / b), image() * 2),
    "cat": (Fn(lambda a, b: torch.cat([a, b], dim=1)), image() * 2),
    "view": (Fn(lambda a: a.view(1, -1)), image()),
    "reshape": (Fn(lambda a: a.reshape(1, 4, -1)), image()),
    "flatten": (Fn(lambda a: torch.flatten(a, 1)), image()),
    "permute": (Fn(lambda a: a.permute(0, 2, 3, 1)), image()),
    "transpose": (Fn(lambda a: a.transpose(1, 2)), image()),
    "unsqueeze": (Fn(lambda a: a.unsqueeze(0)), image()),
    "squeeze": (Fn(lambda a: a[:, :1].squeeze(1)), image()),
    "slice": (Fn(lambda a: a[:, 1:3]), image()),
    "select": (Fn(lambda a: a[:, -1]), image()),
    "mean": (Fn(lambda a: a.mean(dim=(2, 3), keepdim=True)), image()),
    "softmax": (Fn(lambda a: F.softmax(a, dim=1)), image()),
    "matmul": (Fn(lambda a, b: a @ b), (torch.randn(2, 4, 8), torch.randn(2, 8, 3))),
    "pad": (Fn(lambda a: F.pad(a, (1, 1, 1, 1))), image()),
    "interpolate nearest": (Fn(lambda a: F.interpolate(a, scale_factor=2.0, mode="nearest")), image()),
    "clamp": (Fn(lambda a: a.clamp(-1.0, 1.0)), image()),
    "abs": (Fn(torch.abs), image()),
    "sqrt": (Fn(lambda a: torch.sqrt(a.abs())), image()),
    "rsqrt": (Fn(lambda a: torch.rsqrt(a.abs() + 1)), image()),
    "exp": (Fn(torch.exp), image()),
    "pow": (Fn(lambda a: a.pow(2)), image()),
    "max": (Fn(lambda a, b: torch.maximum(a, b)), image() * 2),
}


def edge_table():
    """exir/tracer.py _default_decomposition_table (not _use_old_decomp_table)."""
    table = torch.export.default_decompositions()
    table.update(get_decompositions([torch.ops.aten.linalg_vector_norm.default]))
    return table


def short(target):
    """`aten.conv2d.default` (or `torch.ops.aten.conv2d.default`) -> `conv2d.default`, as Coverage.atenName does."""
    name = str(target)
    if name.startswith("torch.ops."):
        name = name[len("torch.ops."):]
    parts = name.split(".")
    return ".".join(parts[1:]) if len(parts) >= 3 else name


def archive_operators(path):
    """The operator of each node of the saved program, in order, as Slipway's ExportedProgramReader reads them."""
    with zipfile.ZipFile(path) as z:
        entry = next(n for n in z.namelist() if n.endswith("serialized_exported_program.json"))
        program = json.loads(z.read(entry))
    return [short(n["target"]) for n in program["graph_module"]["graph"]["nodes"]]


def integer_arguments(node):
    """The node's integer and integer-list arguments by schema name, as Slipway's reader keeps them (attributes)."""
    out = {}
    schema = node.target._schema.arguments
    for i, a in enumerate(schema):
        v = node.args[i] if i < len(node.args) else node.kwargs.get(a.name)
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, int) or (isinstance(v, (list, tuple)) and v and all(isinstance(x, int) for x in v)):
            out[a.name] = list(v) if isinstance(v, (list, tuple)) else [v]
    return out


def measure(name, module, inputs, models_dir):
    """{exported operator: [(integer arguments, {edge operators})]} for one module (each node of the operator)."""
    ep = torch.export.export(module.eval(), inputs)
    path = os.path.join(models_dir, name.replace(" ", "_") + ".pt2")
    torch.export.save(ep, path)
    exported = {n.name: short(n.target) for n in ep.graph.nodes
                if n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload)}
    read = archive_operators(path)
    if sorted(read) != sorted(exported.values()):
        raise SystemExit(f"{name}: the .pt2 holds {read}, the exported graph {sorted(exported.values())}")
    edge = ep.run_decompositions(edge_table())
    gm = ReplaceViewOpsWithViewCopyOpsPass()(edge.graph_module).graph_module
    edge_of = {node: set() for node in exported}
    for n in gm.graph.nodes:
        if n.op != "call_function" or not isinstance(n.target, torch._ops.OpOverload):
            continue  # getitem: picks a result, no kernel
        sources = n.meta.get("from_node") or []
        root = sources[0].name if sources else None
        if root not in exported:
            raise SystemExit(f"{name}: edge node {n.name} ({n.target}) has no exported node it came from ({root})")
        edge_of[root].add(short(n.target))
    nodes = {n.name: n for n in ep.graph.nodes}
    out = {}
    for node, op in exported.items():
        out.setdefault(op, []).append((integer_arguments(nodes[node]), edge_of[node]))
    return out


def derive(models_dir):
    table, measured_in, seen = {}, {}, {}
    for name, (module, inputs) in MODULES.items():
        torch.manual_seed(0)
        for op, nodes in measure(name, module, inputs, models_dir).items():
            for args, edge in nodes:
                table.setdefault(op, set()).update(edge)
                seen.setdefault(op, []).append((args, sorted(edge), name))
            measured_in.setdefault(op, []).append(name)
    # An operator whose decomposition depends on its arguments (adaptive_avg_pool2d to 1x1 becomes mean.dim,
    # to 2x2 stays itself): each decomposition with the integer arguments that tell it apart from the others.
    by_arguments = {}
    for op, rows in sorted(seen.items()):
        kinds = {tuple(edge) for _, edge, _ in rows}
        if len(kinds) < 2:
            continue
        variants = []
        for kind in sorted(kinds):
            mine = [args for args, edge, _ in rows if tuple(edge) == kind]
            others = [args for args, edge, _ in rows if tuple(edge) != kind]
            # The arguments every node of this decomposition shares and no node of another has all of.
            shared = {k: v for k, v in mine[0].items() if all(m.get(k) == v for m in mine)}
            if any(all(o.get(k) == v for k, v in shared.items()) for o in others):
                variants = None  # told apart by the input's shape (linear on 2-D or 3-D input): the union applies
                break
            variants.append({"arguments": shared, "edge": list(kind),
                             "measured_in": sorted({m for _, edge, m in rows if tuple(edge) == kind})})
        if variants:
            by_arguments[op] = variants
    return {
        "source": {"id": "executorch-to-edge-measured",
                   "section": f"modules exported with torch.export and saved (torch {torch.__version__.split('+')[0]});"
                              " run_decompositions(_default_decomposition_table) and ReplaceViewOpsWithViewCopyOpsPass"
                              " as to_edge runs them; MemoryFormatOpsPass not run (executorch not installed)"},
        "special": {"[]": "nothing is left of it in the Edge program (removed by decomposition)",
                    "operators": "every Edge operator it became in any module",
                    "by_arguments": "an operator that becomes different operators by its integer arguments: each"
                                    " decomposition with the arguments that select it; a node matching none takes"
                                    " `operators`"},
        "operators": {op: sorted(table[op]) for op in sorted(table)},
        "by_arguments": by_arguments,
        "measured_in": {op: measured_in[op] for op in sorted(measured_in)},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true", help="exit 1 when the committed table differs from a re-measurement")
    p.add_argument("--models", help="keep the exported .pt2 files in this folder")
    a = p.parse_args()
    if a.models:
        os.makedirs(a.models, exist_ok=True)
        derived = derive(a.models)
    else:
        with tempfile.TemporaryDirectory() as d:
            derived = derive(d)
    ops = cj.load("operators.json")
    if a.check:
        committed = ops.get("aten_to_edge")
        if committed != derived:
            c, d = (committed or {}).get("operators", {}), derived["operators"]
            for n in sorted(set(c) | set(d)):
                if c.get(n, "absent") != d.get(n, "absent"):
                    sys.stderr.write(f"  {n}: committed {c.get(n, 'absent')}, measured {d.get(n, 'absent')}\n")
            sys.exit("aten_to_edge in Schemas/targets/operators.json differs from the measurement: run without --check")
        return
    ops["aten_to_edge"] = derived
    cj.dump("operators.json", ops)
    sources = cj.load("sources.json")
    sources["sources"]["executorch-to-edge-measured"] = {
        "title": "ExecuTorch's to_edge, run with torch: the Edge operators each exported ATen operator becomes"
                 " (exir/program/_program.py _generate_edge_program, exir/tracer.py _default_decomposition_table)",
        "url": "https://github.com/pytorch/executorch/blob/" + EXECUTORCH_READ.split("@")[1] + "/exir/program/_program.py",
        "revision": f"{EXECUTORCH_READ}; torch {torch.__version__.split('+')[0]}",
        "derived_by": "scripts/catalogue/measure_aten_decompositions.py",
    }
    cj.dump("sources.json", sources, plain=True)
    changed = {op: e for op, e in derived["operators"].items() if e != [op]}
    sys.stdout.write(f"aten_to_edge: {len(derived['operators'])} exported operators from {len(MODULES)} modules,"
                     f" {len(changed)} become other Edge operators\n")


if __name__ == "__main__":
    main()
