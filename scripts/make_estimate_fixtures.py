#!/usr/bin/env python3
"""Builds the ONNX models the Estimation specs and the SW50xx examples of docs/diagnostics.md use, with `onnx`.

Run with .venv's python; seeded, so the files come out byte-identical.

- nan_weights.onnx   Conv → Flatten → Gemm (transB) whose Gemm weight holds two NaN and one +inf: a broken
                     export the estimate must report (SW5004) rather than average into the SQNR
- lstm_attention.onnx  an LSTM (W, R) and a com.microsoft Attention (packed QKV) beside a MatMul, with a weight
                     in a Constant node and one inside an If branch: the selection must find each with its axes
- paddle_style.onnx  a small classifier as Paddle's exporter writes one (ppocr-cls's form): every weight in a
                     Constant node, convolutions without a bias followed by Reshape(bias) + Add, HardSwish written
                     out as x · Clip(x + 3, 0, 6) / 6, a squeeze-excitation gate (GlobalAveragePool, HardSigmoid),
                     shape arithmetic (Shape, Slice, Cast, Concat) before the Reshape into the MatMul, node names
                     with "@", and -1 for the dynamic batch: what onnx2tf and TensorFlow's converter fold away
- lstm_classifier.onnx, gru_classifier.onnx  a one-layer LSTM (GRU) over 50 steps of 40 features, hidden 64, its
                     last step into a Gemm to 12 classes, as torch.onnx.export writes nn.LSTM(batch_first=True): the
                     input transposed to time-major, the zero initial states expanded to the batch size read from
                     the input's shape (what onnx2tf fails on unless onnxsim folds it first)
- shape_if.onnx      an exporter's check of a dimension as an If (Shape → Gather → Equal): the then branch a
                     MatMul by a 64 × 128 weight of its own (a branch initializer), the else branch one by a
                     64 × 256 weight of the main graph; at a width of 64 onnxsim keeps the then branch alone, so
                     the TFLite file holds its weight only
- weights.safetensors  float32, float16 and float64 matrices (one all positive, one constant, one with a zero
                     row) and a 1-D bias, written by `safetensors.numpy`: the reference cross-check's weight file
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "estimate")


def save(m, name):
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, name))


def nan_weights(rng):
    conv_w = rng.normal(0, 0.2, (8, 3, 3, 3)).astype(np.float32)
    fc_w = rng.normal(0, 0.1, (10, 8 * 14 * 14)).astype(np.float32)
    fc_w[3, 17] = np.nan
    fc_w[7, 100] = np.nan
    fc_w[0, 0] = np.inf
    inits = [numpy_helper.from_array(conv_w, "conv.weight"), numpy_helper.from_array(fc_w, "fc.weight"),
             numpy_helper.from_array(np.zeros(10, np.float32), "fc.bias")]
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight"], ["c"], kernel_shape=[3, 3]),
        helper.make_node("Flatten", ["c"], ["f"]),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], transB=1),
    ]
    g = helper.make_graph(nodes, "nan_weights", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_estimate_fixtures")
    m.ir_version = 8
    save(m, "nan_weights.onnx")


def lstm_attention(rng):
    hidden, inp, seq = 8, 6, 5
    w = rng.normal(0, 0.3, (1, 4 * hidden, inp)).astype(np.float32)
    r = rng.normal(0, 0.3, (1, 4 * hidden, hidden)).astype(np.float32)
    qkv = rng.normal(0, 0.2, (hidden, 3 * hidden)).astype(np.float32)
    qkv_b = np.zeros(3 * hidden, np.float32)
    proj = rng.normal(0, 0.2, (hidden, hidden)).astype(np.float32)
    branch_w = rng.normal(0, 0.2, (hidden, hidden)).astype(np.float32)
    const_w = rng.normal(0, 0.2, (hidden, hidden)).astype(np.float32)
    scale = rng.normal(1, 0.1, (1, hidden)).astype(np.float32)
    then_g = helper.make_graph(
        [helper.make_node("MatMul", ["h2", "branch.weight"], ["t_out"])], "then",
        [], [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [seq, hidden])],
        initializer=[numpy_helper.from_array(branch_w, "branch.weight")])
    else_g = helper.make_graph(
        [helper.make_node("Identity", ["h2"], ["e_out"])], "else",
        [], [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [seq, hidden])])
    nodes = [
        helper.make_node("LSTM", ["x", "lstm.W", "lstm.R"], ["y", "", ""], hidden_size=hidden),
        helper.make_node("Squeeze", ["y", "axes1"], ["h"]),  # [seq, 1, hidden] → [seq, hidden] (batch 1)
        helper.make_node("Unsqueeze", ["h", "axes0"], ["h3"]),
        helper.make_node("Attention", ["h3", "attn.qkv", "attn.qkv_bias"], ["a"], domain="com.microsoft", num_heads=2),
        helper.make_node("Squeeze", ["a", "axes0"], ["a2"]),
        helper.make_node("MatMul", ["a2", "proj.weight"], ["p"]),
        helper.make_node("Constant", [], ["const.weight"], value=numpy_helper.from_array(const_w)),
        helper.make_node("MatMul", ["p", "const.weight"], ["h2"]),
        helper.make_node("If", ["flag"], ["b"], then_branch=then_g, else_branch=else_g),
        helper.make_node("Mul", ["b", "norm.scale"], ["out"]),
    ]
    inits = [numpy_helper.from_array(w, "lstm.W"), numpy_helper.from_array(r, "lstm.R"),
             numpy_helper.from_array(qkv, "attn.qkv"), numpy_helper.from_array(qkv_b, "attn.qkv_bias"),
             numpy_helper.from_array(proj, "proj.weight"), numpy_helper.from_array(scale, "norm.scale"),
             numpy_helper.from_array(np.array([1], np.int64), "axes1"),
             numpy_helper.from_array(np.array([0], np.int64), "axes0")]
    g = helper.make_graph(
        nodes, "lstm_attention",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [seq, 1, inp]),
         helper.make_tensor_value_info("flag", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [seq, hidden])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)],
                          producer_name="make_estimate_fixtures")
    m.ir_version = 8
    onnx.save(m, os.path.join(OUT, "lstm_attention.onnx"))  # com.microsoft ops: the checker does not know them


def weights_safetensors(rng):
    from safetensors.numpy import save_file

    zero_row = rng.normal(0, 0.05, (16, 24)).astype(np.float32)
    zero_row[5] = 0
    tensors = {
        "embed.weight": rng.normal(0, 1.0, (64, 16)).astype(np.float32),
        "layer.0.weight": rng.laplace(0, 0.02, (32, 16)).astype(np.float32),
        "layer.1.weight": rng.normal(0, 0.1, (24, 32)).astype(np.float16),
        "layer.2.weight": rng.uniform(-2, 2, (4, 3, 3, 3)).astype(np.float64),
        "positive.weight": rng.uniform(0.5, 1.5, (8, 8)).astype(np.float32),
        "constant.weight": np.full((4, 4), 0.25, np.float32),
        "zero_row.weight": zero_row,
        "layer.0.bias": rng.normal(0, 0.1, (32,)).astype(np.float32),
    }
    save_file(tensors, os.path.join(OUT, "weights.safetensors"), metadata={"producer": "make_estimate_fixtures"})


def paddle_style(rng):
    nodes, count = [], {}

    def const(array, dtype=None):
        a = np.asarray(array, dtype=dtype or np.float32)
        k = count["Constant"] = count.get("Constant", -1) + 1
        name = f"Constant@{k}"
        nodes.append(helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(a, name)))
        return name

    def node(op, inputs, **attrs):
        k = count[op] = count.get(op, -1) + 1
        out = f"{op}@{k}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(x, cin, cout, k=3, stride=1, group=1, bias=False):
        w = const(rng.normal(0, 0.2, (cout, cin // group, k, k)))
        y = node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=group)
        if bias:
            y = node("Add", [y, node("Reshape", [const(rng.normal(0, 0.1, cout)), const([1, cout, 1, 1], np.int64)])])
        return y

    def bn(x, c):
        return node("BatchNormalization", [x, const(rng.uniform(0.5, 1.5, c)), const(rng.normal(0, 0.1, c)),
                                           const(rng.normal(0, 0.1, c)), const(rng.uniform(0.5, 1.5, c))])

    def hardswish(x):
        gate = node("Clip", [node("Add", [x, const(3.0)]), const(0.0), const(6.0)])
        return node("Div", [node("Mul", [x, gate]), const(6.0)])

    x = hardswish(bn(conv("x", 3, 16, stride=2), 16))
    x = hardswish(bn(conv(x, 16, 16, group=16), 16))
    squeeze = node("GlobalAveragePool", [x])
    gate = node("HardSigmoid", [conv(node("Relu", [conv(squeeze, 16, 8, k=1, bias=True)]), 8, 16, k=1, bias=True)],
                alpha=0.2, beta=0.5)
    x = node("Mul", [x, gate])
    x = node("Relu", [bn(conv(x, 16, 64, k=1), 64)])
    pooled = node("GlobalAveragePool", [x])
    batch = node("Slice", [node("Shape", [pooled]), const([0], np.int64), const([1], np.int64), const([0], np.int64),
                           const([1], np.int64)])
    shape = node("Concat", [node("Cast", [batch], to=TensorProto.INT64), node("Cast", [const([64], np.int32)], to=TensorProto.INT64)], axis=-1)
    logits = node("Add", [node("MatMul", [node("Reshape", [pooled, shape]), const(rng.normal(0, 0.2, (64, 2)))]),
                          const(np.zeros(2))])
    nodes.append(helper.make_node("Identity", [node("Softmax", [logits], axis=1)], ["y"], name="Identity@0"))
    x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, [-1, 3, "h", "w"])
    g = helper.make_graph(nodes, "paddle_style", [x_info], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [-1, 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], producer_name="make_estimate_fixtures")
    m.ir_version = 6
    save(m, "paddle_style.onnx")


def recurrent_classifier(rng, op, name):
    steps, features, hidden, classes = 50, 40, 64, 12
    gates = 4 if op == "LSTM" else 3
    inits = [numpy_helper.from_array(rng.normal(0, 0.2, (1, gates * hidden, features)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(0, 0.2, (1, gates * hidden, hidden)).astype(np.float32), "R"),
             numpy_helper.from_array(rng.normal(0, 0.1, (1, 2 * gates * hidden)).astype(np.float32), "B"),
             numpy_helper.from_array(rng.normal(0, 0.2, (classes, hidden)).astype(np.float32), "fc.weight"),
             numpy_helper.from_array(np.zeros(classes, np.float32), "fc.bias"),
             numpy_helper.from_array(np.zeros((1, 1, hidden), np.float32), "zeros"),
             numpy_helper.from_array(np.array([1], np.int64), "one"),
             numpy_helper.from_array(np.array([hidden], np.int64), "hidden"),
             numpy_helper.from_array(np.array(1, np.int64), "batch_axis"),
             numpy_helper.from_array(np.array([0], np.int64), "axis0"),
             numpy_helper.from_array(np.array(-1, np.int64), "last")]
    states = ["h0", "c0"] if op == "LSTM" else ["h0"]
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
             helper.make_node("Shape", ["xt"], ["shape"]),
             helper.make_node("Gather", ["shape", "batch_axis"], ["batch"]),
             helper.make_node("Unsqueeze", ["batch", "axis0"], ["batch1"]),
             helper.make_node("Concat", ["one", "batch1", "hidden"], ["state_shape"], axis=0)]
    nodes += [helper.make_node("Expand", ["zeros", "state_shape"], [s]) for s in states]
    outputs = ["seq", "h_n"] + (["c_n"] if op == "LSTM" else [])
    attrs = {"linear_before_reset": 1} if op == "GRU" else {}
    nodes += [helper.make_node(op, ["xt", "W", "R", "B", ""] + states, outputs, hidden_size=hidden, **attrs),
              helper.make_node("Squeeze", ["seq", "one"], ["seq3"]),
              helper.make_node("Gather", ["seq3", "last"], ["final"], axis=0),
              helper.make_node("Gemm", ["final", "fc.weight", "fc.bias"], ["y"], transB=1)]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, steps, features])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="make_estimate_fixtures")
    m.ir_version = 8
    save(m, f"{name}.onnx")


def shape_if(rng):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "W"])
    w_then = numpy_helper.from_array(rng.standard_normal((64, 128)).astype(np.float32), "w_then")
    w_else = numpy_helper.from_array(rng.standard_normal((64, 256)).astype(np.float32), "w_else")
    then_g = helper.make_graph([helper.make_node("MatMul", ["x", "w_then"], ["t"], name="then_mm"),
                                helper.make_node("Relu", ["t"], ["t_out"], name="then_relu")],
                               "then", [], [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, ["N", 128])], [w_then])
    else_g = helper.make_graph([helper.make_node("MatMul", ["x", "w_else"], ["e_out"], name="else_mm")],
                               "else", [], [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, ["N", 256])])
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "one"], ["width"], name="width", axis=0),
        helper.make_node("Equal", ["width", "sixty_four"], ["is_64"], name="is_64"),
        helper.make_node("If", ["is_64"], ["y"], name="by_width", then_branch=then_g, else_branch=else_g),
    ]
    graph = helper.make_graph(nodes, "shape_if", [x], [y], [
        w_else, numpy_helper.from_array(np.array(1, np.int64), "one"),
        numpy_helper.from_array(np.array(64, np.int64), "sixty_four")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), "shape_if.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    nan_weights(np.random.default_rng(4))
    lstm_attention(np.random.default_rng(5))
    weights_safetensors(np.random.default_rng(6))
    paddle_style(np.random.default_rng(7))
    recurrent_classifier(np.random.default_rng(8), "LSTM", "lstm_classifier")
    recurrent_classifier(np.random.default_rng(9), "GRU", "gru_classifier")
    shape_if(np.random.default_rng(10))


if __name__ == "__main__":
    main()
