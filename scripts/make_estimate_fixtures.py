#!/usr/bin/env python3
"""Builds the ONNX models the Estimation specs and the SW50xx examples of docs/diagnostics.md use, with `onnx`.

Run with .venv's python; seeded, so the files come out byte-identical.

- nan_weights.onnx   Conv → Flatten → Gemm (transB) whose Gemm weight holds two NaN and one +inf: a broken
                     export the estimate must report (SW5004) rather than average into the SQNR
- lstm_attention.onnx  an LSTM (W, R) and a com.microsoft Attention (packed QKV) beside a MatMul, with a weight
                     in a Constant node and one inside an If branch: the selection must find each with its axes
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


def main():
    os.makedirs(OUT, exist_ok=True)
    nan_weights(np.random.default_rng(4))
    lstm_attention(np.random.default_rng(5))
    weights_safetensors(np.random.default_rng(6))


if __name__ == "__main__":
    main()
