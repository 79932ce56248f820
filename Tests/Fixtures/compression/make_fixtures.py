#!/usr/bin/env python3
"""Regenerates the compression reference fixtures (deterministic; needs numpy and onnx):

    python make_fixtures.py [--reference ../../../../shared/reference/quant_reference.py]

Writes, next to this script:
  weights.f32     every tensor's float32 values, little-endian, concatenated in the order of weights.json
  weights.json    [{"name", "shape", "offset" (in elements)}]
  reference.json  the float64 numpy reference's output on model.onnx (built from the same tensors, in a temp dir)
The Swift test CompressionTests/ReferenceTests.swift feeds weights.f32 to the engine and compares.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent


def tensors():
    rng = np.random.default_rng(20261129)
    out = []
    out.append(("conv.weight", rng.normal(0, 0.1, (16, 3, 3, 3))))
    g = rng.normal(0, 0.05, (64, 128))
    g[5, 7], g[40, 100] = 1.5, -2.25  # outliers: per-tensor scales suffer
    out.append(("gemm.weight", g))
    out.append(("positive", rng.uniform(0.5, 1.5, (32, 32))))  # asymmetric with and without 0 differ
    out.append(("negative", -rng.uniform(0.25, 3.0, (8, 50))))
    z = rng.normal(0, 1.0, (10, 20))
    z[3] = 0
    z[7] = 0
    out.append(("zero_rows", z))
    out.append(("tiny", np.array([[0.3], [-0.7]])))
    out.append(("laplace", rng.laplace(0, 0.02, (128, 64))))
    out.append(("on_grid", rng.integers(-127, 128, (50, 40)) * 0.01))  # already int8-quantised values
    out.append(("matmul3d", rng.normal(0, 0.2, (4, 32, 16))))
    out.append(("big", rng.normal(0, 0.03, (256, 96))))
    return [(n, a.astype(np.float32)) for n, a in out]


def build_onnx(ts, path):
    inits, nodes = [], []
    for name, a in ts[:-1]:
        inits.append(numpy_helper.from_array(a, name))
    # The last tensor is a Constant node, which the reference also reads.
    cname, ca = ts[-1]
    nodes.append(helper.make_node("Constant", [], [cname], value=numpy_helper.from_array(ca, cname + "_value")))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 96])
    nodes.append(helper.make_node("MatMul", ["x", cname], ["y0"], name="mm"))
    nodes.append(helper.make_node("Identity", ["y0"], ["y"]))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph(nodes, "fixture", [x], [y], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", default=str(HERE.parents[3] / "shared/reference/quant_reference.py"))
    args = ap.parse_args()
    ts = tensors()
    meta, off = [], 0
    with open(HERE / "weights.f32", "wb") as f:
        for name, a in ts:
            f.write(a.astype("<f4").tobytes())
            meta.append({"name": name, "shape": list(a.shape), "offset": off})
            off += a.size
    (HERE / "weights.json").write_text(json.dumps(meta, indent=1) + "\n")
    with tempfile.TemporaryDirectory() as d:
        model = str(Path(d) / "model.onnx")
        build_onnx(ts, model)
        out = Path(d) / "ref.json"
        subprocess.run([sys.executable, args.reference, model, "--out", str(out)], check=True)
        doc = json.loads(out.read_text())
    for m in doc["models"]:
        m["path"] = "model.onnx"
        m.pop("seconds", None)
    doc.pop("elapsed_s", None)
    (HERE / "reference.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
