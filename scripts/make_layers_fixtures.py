#!/usr/bin/env python3
"""Writes Tests/Fixtures/layers/if_loop.onnx with `onnx`: a small model whose quantizable weights sit inside
subgraphs, on which `slipway test --layers` is specified (Tests/integration/test_layers_subgraphs.py):

    h = MatMul(x, w0)                                  top-level initializer
    b = If(ReduceSum(x) > 0)                           the sign of the sample's sum picks the branch
          then: Relu(MatMul(h, w_then))                initializer inside then_branch
          else: Tanh(MatMul(h, w_else))                Constant node inside else_branch
    y, trace = Loop(3 iterations, state b)
          body: l = Tanh(MatMul(state, w_loop))        initializer inside the body; l also a scan output (trace)
                state' = If(iteration is odd)          an If inside the Loop: its branch changes per iteration
                           then: Mul(l, 0.5)
                           else: MatMul(l, w_inner)    initializer inside the inner else_branch

Every value has a static shape, so each branch's padding is the shape of the value it stands for. Opset 13.

And Tests/Fixtures/layers/loop_growing.onnx: a Loop whose state grows on every iteration (Concat), so its body's
values cannot be stacked over the iterations as scan outputs; `--layers` says so and measures the rest.

    h = MatMul(x, w)                                   top-level initializer
    y = Loop(3 iterations, state h)
          body: t = Tanh(state); state' = Concat(state, t)

Run with .venv's python: `python scripts/make_layers_fixtures.py` (seeded: the file comes out byte-identical).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "layers")


def weight(rng, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), None)


def named(tensor, name):
    tensor.name = name
    return tensor


def vi(name, elem=TensorProto.FLOAT, shape=(1, 16)):
    return helper.make_tensor_value_info(name, elem, list(shape))


def if_loop():
    rng = np.random.default_rng(17)
    w0, w_then, w_else, w_loop, w_inner = (weight(rng, 8, 16), weight(rng, 16, 16), weight(rng, 16, 16),
                                           weight(rng, 16, 16), weight(rng, 16, 16))
    then_g = helper.make_graph(
        [helper.make_node("MatMul", ["h", "w_then"], ["t"], name="mm_then"),
         helper.make_node("Relu", ["t"], ["t_relu"], name="relu_then")],
        "then_branch", [], [vi("t_relu")], initializer=[named(w_then, "w_then")])
    else_g = helper.make_graph(
        [helper.make_node("Constant", [], ["w_else"], name="w_else_node", value=w_else),
         helper.make_node("MatMul", ["h", "w_else"], ["e"], name="mm_else"),
         helper.make_node("Tanh", ["e"], ["e_tanh"], name="tanh_else")],
        "else_branch", [], [vi("e_tanh")])
    inner_then = helper.make_graph(
        [helper.make_node("Constant", [], ["half"], name="half_node", value=helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])),
         helper.make_node("Mul", ["l", "half"], ["u_half"], name="halve")],
        "inner_then", [], [vi("u_half")])
    inner_else = helper.make_graph(
        [helper.make_node("MatMul", ["l", "w_inner"], ["u_mm"], name="mm_inner")],
        "inner_else", [], [vi("u_mm")], initializer=[named(w_inner, "w_inner")])
    body = helper.make_graph(
        [helper.make_node("MatMul", ["state", "w_loop"], ["l_mm"], name="mm_loop"),
         helper.make_node("Tanh", ["l_mm"], ["l"], name="tanh_loop"),
         helper.make_node("Constant", [], ["two"], name="two_node", value=helper.make_tensor("two", TensorProto.INT64, [], [2])),
         helper.make_node("Mod", ["i", "two"], ["i_mod"], name="mod"),
         helper.make_node("Cast", ["i_mod"], ["odd"], name="odd", to=TensorProto.BOOL),
         helper.make_node("If", ["odd"], ["state_next"], name="inner", then_branch=inner_then, else_branch=inner_else),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going")],
        "body",
        [vi("i", TensorProto.INT64, []), vi("cond_in", TensorProto.BOOL, []), vi("state")],
        [vi("cond_out", TensorProto.BOOL, []), vi("state_next"), vi("l")],
        initializer=[named(w_loop, "w_loop")])
    nodes = [
        helper.make_node("MatMul", ["x", "w0"], ["h"], name="mm0"),
        helper.make_node("ReduceSum", ["x"], ["sum"], name="sum", keepdims=0),
        helper.make_node("Constant", [], ["zero"], name="zero_node", value=helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])),
        helper.make_node("Greater", ["sum", "zero"], ["positive"], name="positive"),
        helper.make_node("If", ["positive"], ["b"], name="branch", then_branch=then_g, else_branch=else_g),
        helper.make_node("Constant", [], ["trips"], name="trips_node", value=helper.make_tensor("trips", TensorProto.INT64, [], [3])),
        helper.make_node("Constant", [], ["go"], name="go_node", value=helper.make_tensor("go", TensorProto.BOOL, [], [True])),
        helper.make_node("Loop", ["trips", "go", "b"], ["y", "trace"], name="loop", body=body),
    ]
    g = helper.make_graph(nodes, "if_loop", [vi("x", shape=(1, 8))], [vi("y"), vi("trace", shape=(3, 1, 16))],
                          initializer=[named(w0, "w0")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="slipway-layers-fixtures",
                          producer_version="1")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def loop_growing():
    rng = np.random.default_rng(19)
    body = helper.make_graph(
        [helper.make_node("Tanh", ["state"], ["t"], name="tanh"),
         helper.make_node("Concat", ["state", "t"], ["state_next"], name="grow", axis=1),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going")],
        "body",
        [vi("i", TensorProto.INT64, []), vi("cond_in", TensorProto.BOOL, []), vi("state", shape=(1, None))],
        [vi("cond_out", TensorProto.BOOL, []), vi("state_next", shape=(1, None))])
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
        helper.make_node("Constant", [], ["trips"], name="trips_node", value=helper.make_tensor("trips", TensorProto.INT64, [], [3])),
        helper.make_node("Loop", ["trips", "", "h"], ["y"], name="loop", body=body),
    ]
    g = helper.make_graph(nodes, "loop_growing", [vi("x", shape=(1, 4))], [vi("y", shape=(1, None))],
                          initializer=[named(weight(rng, 4, 4), "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="slipway-layers-fixtures",
                          producer_version="1")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in (("if_loop.onnx", if_loop), ("loop_growing.onnx", loop_growing)):
        path = os.path.join(OUT, name)
        onnx.save_model(make(), path)
        print(f"wrote Tests/Fixtures/layers/{name} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
