#!/usr/bin/env python3
"""Builds the ONNX models of the float16-compute and external-data conversion tests (Tests/Fixtures/conversion/),
with `onnx`.

- fp16_mixed.onnx     float16 compute around operators that must stay float32 or that change types: Resize
  (kept float32, with a float scales initializer), TopK (kept, int64 indices), Shape → ConstantOfShape (float32
  by default), Cast(to=FLOAT) of an int64, Equal → Where (bool condition), LayerNormalization, an attention-mask
  style -1e9 constant (beyond float16's range), a value_info entry, an If whose branches compute in float,
  and two float outputs, one also read inside the graph. Opset 17.
- ext_data.onnx (+ ext_data.onnx.data)  Gemm + Relu + MatMul whose weights live in an external data file
  (onnx.save(..., save_as_external_data=True)), with metadata_props.

Seeded: `.venv/bin/python scripts/make_float16_fixtures.py` rewrites the committed files identically.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "conversion")


def fp16_mixed():
    rng = np.random.default_rng(16)
    w = (rng.standard_normal((8, 8)) * 0.3).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
        helper.make_node("LayerNormalization", ["h", "ln_scale", "ln_bias"], ["ln"], name="ln", axis=-1),
        helper.make_node("Add", ["ln", "mask"], ["masked"], name="mask_add"),
        helper.make_node("Softmax", ["masked"], ["sm"], name="softmax", axis=-1),
        helper.make_node("Unsqueeze", ["sm", "axes01"], ["sm4"], name="unsq"),
        helper.make_node("Resize", ["sm4", "", "scales"], ["up4"], name="resize", mode="linear"),
        helper.make_node("Squeeze", ["up4", "axes01"], ["up"], name="sq"),
        helper.make_node("TopK", ["up", "k"], ["top_v", "top_i"], name="topk", axis=-1),
        helper.make_node("Cast", ["top_i"], ["top_i_f"], name="cast_idx", to=TensorProto.FLOAT),
        helper.make_node("Shape", ["top_v"], ["shape"], name="shape"),
        helper.make_node("ConstantOfShape", ["shape"], ["ones"], name="cos",
                         value=numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one")),
        helper.make_node("Mul", ["top_v", "ones"], ["tv1"], name="mul_ones"),
        helper.make_node("Add", ["tv1", "top_i_f"], ["score"], name="add_idx"),
        helper.make_node("Greater", ["score", "half"], ["big"], name="gt"),
        helper.make_node("Where", ["big", "score", "tv1"], ["picked"], name="where"),
        helper.make_node("ReduceSum", ["picked"], ["total"], name="sum", keepdims=1),
        helper.make_node("Greater", ["total", "zero"], ["cond"], name="cond"),
        helper.make_node("Squeeze", ["cond"], ["cond_s"], name="cond_squeeze"),
    ]
    then_g = helper.make_graph(
        [helper.make_node("Mul", ["picked", "two"], ["then_out"], name="then_mul")], "then_branch", [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["picked"], ["else_out"], name="else_neg")], "else_branch", [],
        [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, None)])
    nodes.append(helper.make_node("If", ["cond_s"], ["branch"], name="if", then_branch=then_g, else_branch=else_g))
    nodes.append(helper.make_node("Tanh", ["branch"], ["y"], name="tanh"))
    mask = np.zeros((1, 8), dtype=np.float32)
    mask[0, 6:] = -1e9
    inits = [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(np.ones(8, dtype=np.float32) * 1.5, "ln_scale"),
        numpy_helper.from_array(np.full(8, 0.1, dtype=np.float32), "ln_bias"),
        numpy_helper.from_array(mask, "mask"),
        numpy_helper.from_array(np.array([0, 1], dtype=np.int64), "axes01"),
        numpy_helper.from_array(np.array([1, 1, 1, 2], dtype=np.float32), "scales"),
        numpy_helper.from_array(np.array([6], dtype=np.int64), "k"),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
    ]
    g = helper.make_graph(
        nodes, "fp16_mixed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 6]),
         helper.make_tensor_value_info("sm", TensorProto.FLOAT, [4, 8])],
        inits, value_info=[helper.make_tensor_value_info("h", TensorProto.FLOAT, [4, 8])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="slipway-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(OUT, "fp16_mixed.onnx"))


def ext_data():
    rng = np.random.default_rng(21)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="gemm", transB=1),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("MatMul", ["r", "w2"], ["y"], name="mm")],
        "ext_data", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 16])],
        [numpy_helper.from_array((rng.standard_normal((64, 32)) * 0.2).astype(np.float32), "w1"),
         numpy_helper.from_array((rng.standard_normal(64) * 0.1).astype(np.float32), "b1"),
         numpy_helper.from_array((rng.standard_normal((64, 16)) * 0.2).astype(np.float32), "w2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="slipway-fixtures")
    m.ir_version = 8
    helper.set_model_props(m, {"author": "slipway", "purpose": "external data"})
    path = os.path.join(OUT, "ext_data.onnx")
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
    onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location="ext_data.onnx.data",
              size_threshold=0)
    onnx.checker.check_model(path, full_check=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    fp16_mixed()
    ext_data()


if __name__ == "__main__":
    main()
