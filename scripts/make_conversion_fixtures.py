#!/usr/bin/env python3
"""Builds the small ONNX models the conversion tests convert (Tests/Fixtures/conversion/), with `onnx`.

- constant_if_loop.onnx  weights where onnxruntime's quantize_dynamic does not look: a MatMul weight in a
  `Constant` node, an initializer inside an If's then-branch, a Constant inside its else-branch, and an
  initializer inside a Loop body; metadata_props, a doc string, and an unknown ModelProto field (99) that a
  rewrite must carry over byte for byte. Opset 13.
- opset11_gemm.onnx      Gemm + Relu at opset 11: per-channel quantization raises it to 13.
- mlp.safetensors        a small MLP's state dict as safetensors writes it (`safetensors.numpy`): float32 weights
  and biases, a float16 embedding, an int64 buffer and `__metadata__`, for safetensors → safetensors.
- opset11_squeeze.onnx   MatMul + Squeeze(axes attribute) at opset 11: Squeeze changed at 13, so per-channel
  quantization must refuse; per-tensor works at 11.
- conv_constant_if.onnx  Conv weights where quantize_dynamic does not look: a Conv (with bias) whose weight is a
  `Constant` node, then an If whose then-branch convolves with an initializer and whose else-branch with a
  Constant (strided, padded, grouped). Opset 13.

Seeded: `.venv/bin/python scripts/make_conversion_fixtures.py` rewrites the committed files identically.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "conversion")
UNKNOWN_FIELD = bytes([0x9A, 0x06]) + bytes([len(b"slipway-unknown-field-marker")]) + b"slipway-unknown-field-marker"


def w(rng, *shape):
    return (rng.standard_normal(shape) * 0.2).astype(np.float32)


def constant_if_loop():
    rng = np.random.default_rng(7)
    const = helper.make_node("Constant", [], ["w_const"], name="w_const_node",
                             value=numpy_helper.from_array(w(rng, 16, 8), "w_const_value"))
    mm = helper.make_node("MatMul", ["x", "w_const"], ["h"], name="mm_const")
    then_g = helper.make_graph(
        [helper.make_node("MatMul", ["h", "w_then"], ["then_out"], name="mm_then")], "then_branch", [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [2, 4])],
        initializer=[numpy_helper.from_array(w(rng, 8, 4), "w_then")])
    else_g = helper.make_graph(
        [helper.make_node("Constant", [], ["w_else"], name="w_else_node",
                          value=numpy_helper.from_array(w(rng, 8, 4), "w_else_value")),
         helper.make_node("MatMul", ["h", "w_else"], ["else_out"], name="mm_else")], "else_branch", [],
        [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [2, 4])])
    iff = helper.make_node("If", ["flag"], ["branch"], name="if", then_branch=then_g, else_branch=else_g)
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"], name="loop_cond"),
         helper.make_node("MatMul", ["v_in", "w_loop"], ["v_mm"], name="mm_loop"),
         helper.make_node("Tanh", ["v_mm"], ["v_out"], name="loop_tanh")], "loop_body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [2, 4])],
        initializer=[numpy_helper.from_array(w(rng, 4, 4), "w_loop")])
    loop = helper.make_node("Loop", ["trips", "", "branch"], ["y"], name="loop", body=body)
    g = helper.make_graph(
        [const, mm, iff, loop], "constant_if_loop",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 16]),
         helper.make_tensor_value_info("flag", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        initializer=[numpy_helper.from_array(np.array(3, dtype=np.int64), "trips")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="slipway-fixtures",
                          doc_string="Weights in a Constant, an If and a Loop.")
    m.ir_version = 8
    helper.set_model_props(m, {"author": "slipway tests", "license": "CC0"})
    onnx.checker.check_model(m, full_check=True)
    return m.SerializeToString() + UNKNOWN_FIELD


def opset11(squeeze):
    rng = np.random.default_rng(11)
    nodes, inits = [], []
    if squeeze:
        inits.append(numpy_helper.from_array(w(rng, 16, 8), "w"))
        nodes += [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
                  helper.make_node("Unsqueeze", ["h"], ["hu"], name="unsq", axes=[0]),
                  helper.make_node("Squeeze", ["hu"], ["y"], name="sq", axes=[0])]
    else:
        inits += [numpy_helper.from_array(w(rng, 8, 16), "w"), numpy_helper.from_array(w(rng, 8), "b")]
        nodes += [helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="gemm", transB=1),
                  helper.make_node("Relu", ["h"], ["y"], name="relu")]
    g = helper.make_graph(nodes, "opset11", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], producer_name="slipway-fixtures")
    m.ir_version = 6
    onnx.checker.check_model(m, full_check=True)
    return m.SerializeToString()


def mlp_safetensors():
    from safetensors.numpy import save

    rng = np.random.default_rng(5)
    tensors = {
        "embed.weight": (rng.standard_normal((32, 64)) * 0.5).astype(np.float16),
        "fc1.weight": w(rng, 128, 64), "fc1.bias": w(rng, 128),
        "fc2.weight": w(rng, 64, 128), "fc2.bias": w(rng, 64),
        "norm.weight": np.ones(64, np.float32),
        "head.weight": w(rng, 10, 64), "head.bias": w(rng, 10),
        "position_ids": np.arange(32, dtype=np.int64)[None, :],
    }
    return save(tensors, metadata={"format": "np", "source": "slipway fixtures"})


def conv_constant_if():
    rng = np.random.default_rng(13)
    const = helper.make_node("Constant", [], ["w_stem"], name="w_stem_node",
                             value=numpy_helper.from_array(w(rng, 8, 3, 3, 3), "w_stem_value"))
    stem = helper.make_node("Conv", ["x", "w_stem", "b_stem"], ["h"], name="stem", pads=[1, 1, 1, 1])
    relu = helper.make_node("Relu", ["h"], ["hr"], name="relu")
    then_g = helper.make_graph(
        [helper.make_node("Conv", ["hr", "w_then"], ["then_out"], name="conv_then", strides=[2, 2], pads=[1, 1, 1, 1])],
        "then_branch", [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [1, 8, 4, 4])],
        initializer=[numpy_helper.from_array(w(rng, 8, 8, 3, 3), "w_then")])
    else_g = helper.make_graph(
        [helper.make_node("Constant", [], ["w_else"], name="w_else_node",
                          value=numpy_helper.from_array(w(rng, 8, 2, 3, 3), "w_else_value")),
         helper.make_node("Conv", ["hr", "w_else"], ["else_out"], name="conv_else", strides=[2, 2], pads=[1, 1, 1, 1],
                          group=4)],
        "else_branch", [], [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [1, 8, 4, 4])])
    iff = helper.make_node("If", ["flag"], ["y"], name="if", then_branch=then_g, else_branch=else_g)
    g = helper.make_graph(
        [const, stem, relu, iff], "conv_constant_if",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8]),
         helper.make_tensor_value_info("flag", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 4, 4])],
        initializer=[numpy_helper.from_array(w(rng, 8) * 0.1, "b_stem")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="slipway-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m.SerializeToString()


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in [("mlp.safetensors", mlp_safetensors()), ("constant_if_loop.onnx", constant_if_loop()), ("opset11_gemm.onnx", opset11(False)),
                       ("opset11_squeeze.onnx", opset11(True)), ("conv_constant_if.onnx", conv_constant_if())]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"wrote {name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
