#!/usr/bin/env python3
"""Measures the fixed cost of running one more operator, the per-operator dispatch overhead that
Schemas/targets/devices.json's `dispatch_overheads` records as measured figures.

A chain of N element-wise Adds on a 1-element tensor does no arithmetic worth timing, so the time per run
grows with N by the runtime's cost of dispatching one node. The figure is the slope of the median latency
between N = 1 and N = 257 (so session setup, input binding and output copies cancel), on one thread:

- ONNX Runtime CPU execution provider (onnxruntime, graph optimizations off, so the chain is not folded);
- LiteRT's CPU path (ai-edge-litert's interpreter, one thread), with its default XNNPACK delegate (the figure
  the catalogue records) and with the builtin kernels alone (printed for comparison).

Run with .venv's python: `python bench/dispatch_overhead.py` (prints JSON: microseconds per operator and the
machine). Benches measure, tests specify: no test asserts these timings.
"""
import json
import os
import platform
import statistics
import tempfile
import time

import numpy as np

SHORT, LONG = 1, 257
REPEATS = 2000


def median_us(run, repeats=REPEATS):
    for _ in range(50):
        run()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        run()
        samples.append(time.perf_counter_ns() - t)
    return statistics.median(samples) / 1000


def onnx_chain(n):
    import onnx
    from onnx import TensorProto, helper
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    nodes = [helper.make_node("Add", ["x" if i == 0 else f"v{i}", "one"], [f"v{i + 1}" if i + 1 < n else "y"])
             for i in range(n)]
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [one])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def ort_us(n):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(onnx_chain(n).SerializeToString(), so, providers=["CPUExecutionProvider"])
    x = {"x": np.ones([1], np.float32)}
    return median_us(lambda: s.run(None, x))


def tflite_chain(n):
    """The same chain as a TFLite flatbuffer, written with LiteRT's generated schema module."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s
    m = s.ModelT()
    m.version = 3
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.ADD
    code.version = 1
    m.operatorCodes = [code]
    empty = s.BufferT()
    one = s.BufferT()
    one.data = list(np.array([1.0], np.float32).tobytes())
    m.buffers = [empty, one]
    g = s.SubGraphT()
    tensors = []
    for i in range(n + 2):
        t = s.TensorT()
        t.shape = [1]
        t.type = s.TensorType.FLOAT32
        t.name = f"t{i}".encode()
        t.buffer = 1 if i == n + 1 else 0
        tensors.append(t)
    g.tensors = tensors
    ops = []
    for i in range(n):
        op = s.OperatorT()
        op.opcodeIndex = 0
        op.inputs = [i, n + 1]
        op.outputs = [i + 1]
        op.builtinOptionsType = s.BuiltinOptions.AddOptions
        op.builtinOptions = s.AddOptionsT()
        ops.append(op)
    g.operators = ops
    g.inputs, g.outputs = [0], [n]
    m.subgraphs = [g]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def litert_us(n, builtin_only=False):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES if builtin_only else OpResolverType.AUTO
    it = Interpreter(model_content=tflite_chain(n), num_threads=1, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    i = it.get_input_details()[0]["index"]
    x = np.ones([1], np.float32)

    def run():
        it.set_tensor(i, x)
        it.invoke()
    return median_us(run)


def slope(f):
    return (f(LONG) - f(SHORT)) / (LONG - SHORT)


def main():
    cpu = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import onnxruntime
    from importlib.metadata import version
    out = {
        "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "method": f"median of {REPEATS} runs, slope between chains of {SHORT} and {LONG} float32 Adds on a 1-element tensor, one thread",
        "onnxruntime_cpu_us_per_op": round(slope(ort_us), 3),
        "onnxruntime_version": onnxruntime.__version__,
        "litert_cpu_us_per_op": round(slope(litert_us), 3),
        "litert_builtin_kernels_us_per_op": round(slope(lambda n: litert_us(n, builtin_only=True)), 3),
        "litert_version": version("ai-edge-litert"),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
