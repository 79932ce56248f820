#!/usr/bin/env python3
"""An independent count of a TFLite model's MACs, parameters and peak activations, to check the Swift
estimate (Sources/Targets/TFLiteAnalysis.swift) against.

Shapes are the LiteRT interpreter's own, after resizing the inputs to the manifest's shapes and running the
model once on zeros (so reshapes to computed shapes are resolved by the runtime, not by a re-implementation of
shape inference); operator options come from the flatbuffer through LiteRT's generated schema module. The
counting conventions are the ones docs/rules.md states (onnx-tool's: one MAC per multiply-add, the kernel window
per pooled output, per-element weights for element-wise operators and fused activations).
"""
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent

# name: (model path relative to the repository, {input (signature key): shape}); {} keeps the stored shapes.
CASES = {
    "tflite_ops": ("Tests/Fixtures/targets/tflite_ops.tflite", {}),
    "tflite_ops_batch4": ("Tests/Fixtures/targets/tflite_ops.tflite", {"image": [4, 16, 16, 3]}),
    "small_cnn_float": ("Tests/Fixtures/models/small_cnn_float.tflite", {}),
    "small_cnn_int8": ("Tests/Fixtures/models/small_cnn_int8.tflite", {}),
    "small_cnn_float16": ("Tests/Fixtures/models/small_cnn_float16.tflite", {}),
}

ADD = MUL = CMP = 1
DIV, EXP, LOG, SQRT = 4, 32, 43, 24
TANH = EXP + 2 * ADD + DIV
BINARY = {"ADD": ADD, "SUB": ADD, "MUL": MUL, "MAXIMUM": ADD, "MINIMUM": CMP, "DIV": DIV, "POW": EXP,
          "SQUARED_DIFFERENCE": ADD + MUL, "PRELU": MUL + CMP, "EQUAL": CMP, "NOT_EQUAL": CMP, "LESS": CMP,
          "LESS_EQUAL": CMP, "GREATER": CMP, "GREATER_EQUAL": CMP}
UNARY = {"RELU": CMP, "RELU6": 2 * CMP, "LOGISTIC": EXP, "EXP": EXP, "TANH": 2 * TANH, "SQRT": SQRT,
         "RSQRT": SQRT + DIV, "SOFTMAX": EXP + DIV, "QUANTIZE": MUL + ADD, "DEQUANTIZE": MUL + ADD,
         "HARD_SWISH": 2 * MUL + ADD + 2 * CMP, "LEAKY_RELU": MUL + CMP, "GELU": EXP + 2 * MUL}
FUSED = {1: CMP, 2: 2 * CMP, 3: 2 * CMP, 4: 2 * TANH}


def graph_macs(model, gi, shape, names):
    """MACs of subgraph `gi` (IF: its larger branch, WHILE: condition and body once; the called subgraphs'
    shapes are the stored ones), the operator steps, and the tensors that are constants at run time."""
    graph = model.subgraphs[gi]
    vol = lambda s: int(np.prod(s)) if s is not None else 0

    def constant(i):
        b = model.buffers[graph.tensors[i].buffer]
        return b.data is not None and len(b.data) > 0

    def stored(g):
        return {i: [int(x) for x in t.shape] if t.shape is not None else [] for i, t in enumerate(model.subgraphs[g].tensors)}

    consts = {i for i in range(len(graph.tensors)) if constant(i)}
    macs = 0
    steps = []
    for op in graph.operators:
        c = model.operatorCodes[op.opcodeIndex]
        name = names[max(c.builtinCode, c.deprecatedBuiltinCode)]
        o = op.builtinOptions
        ins, outs = list(op.inputs), list(op.outputs)
        out = vol(shape[outs[0]]) if outs else 0
        bias = len(ins) > 2 and ins[2] >= 0
        m = 0
        if name in ("DEQUANTIZE", "DENSIFY") and ins[0] in consts:
            consts.add(outs[0])  # float16 or sparse weights, expanded once when the model loads: no per-run cost
            steps.append((ins, outs))
            continue
        if name == "IF":
            m = max(graph_macs(model, b, stored(b), names)[0] for b in (o.thenSubgraphIndex, o.elseSubgraphIndex))
        elif name == "WHILE":
            m = sum(graph_macs(model, b, stored(b), names)[0] for b in (o.condSubgraphIndex, o.bodySubgraphIndex))
        elif name == "CONV_2D":
            _, kh, kw, ci = shape[ins[1]]
            m = out * kh * kw * ci + (out if bias else 0)
        elif name == "DEPTHWISE_CONV_2D":
            _, kh, kw, _ = shape[ins[1]]
            m = out * kh * kw + (out if bias else 0)
        elif name == "TRANSPOSE_CONV":
            co, kh, kw, _ = shape[ins[1]]
            m = vol(shape[ins[2]]) * co * kh * kw + (out if len(ins) > 3 and ins[3] >= 0 else 0)
        elif name == "FULLY_CONNECTED":
            m = out * shape[ins[1]][1] + (out if bias else 0)
        elif name == "BATCH_MATMUL":
            a = shape[ins[0]]
            m = out * (a[-2] if o.adjX else a[-1])
        elif name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            m = out * o.filterHeight * o.filterWidth
        elif name in ("MEAN", "SUM"):
            m = vol(shape[ins[0]]) * ADD
        elif name in BINARY:
            m = out * BINARY[name]
        elif name in UNARY:
            m = out * UNARY[name]
        m += out * FUSED.get(getattr(o, "fusedActivationFunction", 0) or 0, 0)
        macs += m
        steps.append((ins, outs))
    return macs, steps, consts


def counts(path, inputs):
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.interpreter import Interpreter

    data = pathlib.Path(path).read_bytes()
    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    graph = model.subgraphs[0]
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}

    it = Interpreter(model_content=data, experimental_preserve_all_tensors=True)
    sig = it.get_signature_list()
    by_key = {}
    for key, runner in sig.items():
        for k, t in it._get_full_signature_list()[key]["inputs"].items():
            by_key[k] = t
    for k, shape in inputs.items():
        it.resize_tensor_input(by_key.get(k, k), shape)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    it.invoke()
    shape = {d["index"]: [int(x) for x in d["shape"]] for d in it.get_tensor_details()}

    macs, steps, consts = graph_macs(model, 0, shape, names)
    graph = model.subgraphs[0]
    vol = lambda s: int(np.prod(s)) if s is not None else 0

    def constant(i):
        b = model.buffers[graph.tensors[i].buffer]
        return b.data is not None and len(b.data) > 0

    # Liveness in operator order: made by its operator, freed after its last reader; outputs live to the end.
    last = {}
    for i, (ins, _) in enumerate(steps):
        for t in ins:
            if t >= 0:
                last[t] = i
    for t in graph.outputs:
        last[t] = len(steps)
    live = {t: vol(shape[t]) for t in graph.inputs if t not in consts}
    peak = sum(live.values())
    for i, (ins, outs) in enumerate(steps):
        for t in outs:
            if t not in consts and t not in live:
                live[t] = vol(shape[t])
        peak = max(peak, sum(live.values()))
        for t in set(ins + outs):
            if t >= 0 and last.get(t, -1) <= i:
                live.pop(t, None)
    params = sum(vol(shape[i]) for i in range(len(graph.tensors)) if constant(i))
    return {"macs": macs, "parameter_elements": params, "peak_activation_elements": peak}


if __name__ == "__main__":
    for key, (p, inputs) in CASES.items():
        print(key, counts(ROOT / p, inputs))
