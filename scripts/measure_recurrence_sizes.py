#!/usr/bin/env python3
"""Measures the size model of ONNX recurrences converted to TFLite (Schemas/conversion/tflite.json,
`artifact_size.recurrences`) against onnx2tf and TensorFlow's converter, on every form the lowering tells apart.

    .venv/bin/python scripts/measure_recurrence_sizes.py --bin .build/debug/slipway --python .venv-convert/bin/python
        [--out DIR] [--keep]

Makes single-recurrence ONNX models — LSTM, GRU and RNN; with a bias and without (B an empty name); time-major (the
graph input read as X) and batch-first (through a Transpose); 8 hidden units over 10 and 20 steps, and biased
batch-first at 64 units — converts each with `slipway convert` to float32 and full-integer TFLite (calibrated on
random samples), and prints, per model and mode, the size `slipway estimate` predicts, the file's, and the error.
Then the figures the size model is fitted to, from the files alone:
- per cell, the bytes of each unrolled builtin: the growth of the full-integer file from 10 to 20 steps, less the
  UNPACK's names (steps² × unstack_name_bytes), over the growth of the builtins `estimate` counts;
- the bytes a biased GRU adds per step and hidden unit (64 units against 8), over 4 bytes an int32: its per-step
  bias tensors.
About 40 minutes (each conversion starts TensorFlow). Not run by the tests; the figures it printed when the table
was last fitted are in the table's `_comment` and in Tests/EstimationTests/ONNXTFLiteSizeSpecs.swift.
"""
import argparse
import itertools
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
INPUT = 16


def make(folder, op, biased, time_major, steps, hidden, rng):
    """One recurrence from zero initial states, squeezed: the model, its manifest (f32 and int8) and samples."""
    g = GATES[op]
    w = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)
    zeros = lambda name: numpy_helper.from_array(np.zeros([1, 1, hidden], np.float32), name)
    inits = [w("W", 1, g * hidden, INPUT), w("R", 1, g * hidden, hidden), zeros("h0"), zeros("c0"),
             numpy_helper.from_array(np.array([1], np.int64), "axis")]
    if biased:
        inits.append(w("B", 1, 2 * g * hidden))
    x = "x" if time_major else "xt"
    inputs = [x, "W", "R", "B" if biased else "", "", "h0"] + (["c0"] if op == "LSTM" else [])
    extra = {"linear_before_reset": 1} if op == "GRU" else {}
    nodes = [] if time_major else [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2])]
    nodes += [helper.make_node(op, inputs, ["y"], hidden_size=hidden, **extra),
              helper.make_node("Squeeze", ["y", "axis"], ["out"])]
    shape = [steps, 1, INPUT] if time_major else [1, steps, INPUT]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [steps, 1, hidden])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder.mkdir(parents=True)
    onnx.save(model, folder / "m.onnx")
    (folder / "calib").mkdir()
    for i in range(3):
        np.savez(folder / "calib" / f"s{i}.npz", x=rng.random(shape, np.float32))
    (folder / "m.slipway.yaml").write_text(
        "slipway: 1\nname: m\nmodel: {path: m.onnx}\ntargets:\n  f32: {runtime: litert, format: tflite}\n"
        "  int8: {runtime: litert, format: tflite, optimize: {quantize: {weights: int8, activations: int8, calibration: calib/}}}\n")


def measure(binary, python, folder):
    """{mode: (predicted bytes, file bytes or None, predicted builtins)} for f32 and int8."""
    est = json.loads(subprocess.run([binary, "estimate", "m.slipway.yaml", "--json"], cwd=folder,
                                    capture_output=True, check=True).stdout)
    subprocess.run([binary, "convert", "m.slipway.yaml", "--python", python], cwd=folder, capture_output=True)
    out = {}
    for row in est["targets"]:
        artifact = folder / "dist" / row["target"] / "m.tflite"
        out[row["target"]] = (row["size_bytes"], artifact.stat().st_size if artifact.exists() else None,
                              sum((row.get("builtins") or {}).values()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", required=True, help="the Python with onnx2tf and TensorFlow (.venv-convert)")
    ap.add_argument("--out", help="keep the models and artifacts here (default: a temporary folder)")
    a = ap.parse_args()
    binary = str(pathlib.Path(a.bin).resolve())
    root = pathlib.Path(a.out or tempfile.mkdtemp())
    rng = np.random.default_rng(3)
    forms = [(op, b, t, s, 8) for op, b, t, s in itertools.product(GATES, (True, False), (True, False), (10, 20))]
    forms += [(op, True, False, s, 64) for op, s in itertools.product(GATES, (10, 20))]
    results = {}
    for op, biased, time_major, steps, hidden in forms:
        name = f"{op}-{'bias' if biased else 'nobias'}-{'time' if time_major else 'batch'}-{steps}-h{hidden}"
        folder = root / name
        if folder.exists():
            shutil.rmtree(folder)
        make(folder, op, biased, time_major, steps, hidden, rng)
        results[(op, biased, time_major, steps, hidden)] = r = measure(binary, a.python, folder)
        for mode, (predicted, written, _) in r.items():
            error = f"{predicted / written - 1:+.3f}" if written else "not converted"
            print(f"{name:28s} {mode:4s} predicted {predicted:7d} written {written or 0:7d} {error}", flush=True)
    names = json.loads((pathlib.Path(__file__).resolve().parents[1] / "Schemas/conversion/tflite.json").read_text())
    unstack = names["artifact_size"]["recurrences"]["unstack_name_bytes"]
    for op in GATES:
        for biased in (True, False):
            per = []
            for time_major in (True, False):
                (_, w10, b10), (_, w20, b20) = (results[(op, biased, time_major, s, 8)]["int8"] for s in (10, 20))
                if w10 and w20 and b20 > b10:
                    per.append((w20 - w10 - (400 - 100) * unstack) / (b20 - b10))
            if per:
                print(f"{op} {'biased' if biased else 'bias-free'}: {np.mean(per):.0f} bytes per unrolled builtin")
        small = [results[(op, True, False, s, 8)]["int8"][1] for s in (10, 20)]
        large = [results[(op, True, False, s, 64)]["int8"][1] for s in (10, 20)]
        if all(small + large):
            per_step = ((large[1] - large[0]) - (small[1] - small[0])) / 10
            print(f"{op}: {per_step / (64 - 8) / 4:.2f} int32 tensors of hidden_size a step (64 units against 8)")
    if not a.out:
        shutil.rmtree(root)


if __name__ == "__main__":
    sys.exit(main())
