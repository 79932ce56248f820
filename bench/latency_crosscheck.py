#!/usr/bin/env python3
"""Compares `slipway estimate`'s latency for the x86-64 device classes with onnxruntime's measured latency
on this machine, for the example models (float32, CPU execution provider, default session options), and
with LiteRT's (ai-edge-litert interpreter, default delegates) for the TFLite estimate fixture.

    SLIPWAY_BIN=.build/debug/slipway .venv/bin/python bench/latency_crosscheck.py

Prints one JSON row per model and device class: the estimate (and its dispatch part), the measured median, and
measured / estimated. The device classes are whole servers (16 and 40 cores); this machine is whatever runs the
bench, so the ratio is expected above 1 by about their peak ratio. Benches measure, tests specify.
"""
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = {
    "mobilenet_tiny": ("examples/mobile-cnn/models/mobilenet_tiny.onnx", {"image": [1, 3, 96, 96]}),
    "encoder": ("examples/transformer-server/models/encoder.onnx", {"input_ids": [1, 128]}),
    "ds_cnn_kws": ("examples/kws-mcu/models/ds_cnn_kws.onnx", {"mfcc": [1, 1, 49, 10]}),
}
DEVICES = ["x86-64-avx2", "x86-64-avx512-vnni"]


def measured_ms(path, inputs, repeats=200):
    import onnxruntime as ort
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {}
    for i in s.get_inputs():
        dtype = np.int64 if "int64" in i.type else np.float32
        feeds[i.name] = np.zeros(inputs[i.name], dtype)
    for _ in range(20):
        s.run(None, feeds)
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        s.run(None, feeds)
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t)


def litert_ms(path, inputs, repeats=200):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=str(path))
    for d in it.get_input_details():
        it.resize_tensor_input(d["index"], list(inputs.values())[0])
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    for _ in range(20):
        it.invoke()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        it.invoke()
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t)


def estimated(slipway, path, inputs, runtime="onnxruntime@1.20", delegate="cpu"):
    with tempfile.TemporaryDirectory() as d:
        ext = pathlib.Path(path).suffix
        os.symlink(ROOT / path, pathlib.Path(d) / f"model{ext}")
        fmt = ext.lstrip(".")
        targets = "\n".join(f"  {dev}: {{runtime: {runtime}, device: {dev}, delegate: {delegate}, format: {fmt}}}" for dev in DEVICES)
        ins = "\n".join(f"    {k}: {v}" for k, v in inputs.items())
        (pathlib.Path(d) / "m.slipway.yaml").write_text(
            f"slipway: 1\nname: x\nmodel:\n  path: model{ext}\n  inputs:\n{ins}\ntargets:\n{targets}\n")
        r = subprocess.run([slipway, "estimate", str(pathlib.Path(d) / "m.slipway.yaml"), "--json", "--no-cache"],
                           capture_output=True, check=False)
        out = json.loads(r.stdout)
        return {row["target"]: row for row in out["targets"]}


def main():
    slipway = os.environ.get("SLIPWAY_BIN", str(ROOT / ".build" / "debug" / "slipway"))
    import onnxruntime
    print(json.dumps({"onnxruntime": onnxruntime.__version__, "cpus": os.cpu_count()}))
    for name, (path, inputs) in MODELS.items():
        m = measured_ms(ROOT / path, inputs)
        rows = estimated(slipway, path, inputs)
        for dev in DEVICES:
            e = rows[dev]
            print(json.dumps({"model": name, "device": dev, "macs": e["macs"], "estimate_ms": e["latency_ms"],
                              "dispatch_ms": e.get("dispatch_overhead_ms"), "measured_ms": round(m, 4),
                              "measured_over_estimate": round(m / e["latency_ms"], 2)}))
    path, inputs = "Tests/Fixtures/targets/tflite_ops.tflite", {"image": [1, 16, 16, 3]}
    m = litert_ms(ROOT / path, inputs)
    rows = estimated(slipway, path, inputs, runtime="litert@2.16", delegate="xnnpack")
    for dev in DEVICES:
        e = rows[dev]
        print(json.dumps({"model": "tflite_ops (LiteRT)", "device": dev, "macs": e["macs"], "estimate_ms": e["latency_ms"],
                          "dispatch_ms": e.get("dispatch_overhead_ms"), "measured_ms": round(m, 4),
                          "measured_over_estimate": round(m / e["latency_ms"], 2)}))


if __name__ == "__main__":
    main()
