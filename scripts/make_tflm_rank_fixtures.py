#!/usr/bin/env python3
"""Writes Tests/Fixtures/targets/tflm_ranks/*.tflite (and xnnpack_ranks/*.tflite: XNNPACK's ranks): one-operator float32 models on either side of a rank bound the
TFLite Micro kernels refuse (derive_tflite.py reads them as `rank` checks): TRANSPOSE takes up to 5 dimensions,
STRIDED_SLICE up to 4; and on either side of a constant-input refusal (a TRANSPOSE's perm, a SPLIT's axis given at
run time). Tests/integration/test_tflm_verdict.py runs every TFLite fixture in the tflite-micro
interpreter and holds `check` to its verdict; written through ai-edge-litert's generated schema, as
make_tflite_rule_fixtures.py writes its model. And their ONNX sources' kind (*.onnx: a window partition's 6-D
Transpose, a query/key/value split's 5-D Slice, a 6-D Pad, a 5-D Transpose), which onnx2tf converts keeping the rank;
test_onnx_tflite.py converts them and runs the files in the interpreter:

    .venv/bin/python scripts/make_tflm_rank_fixtures.py
"""
import pathlib

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s
from make_tflite_rule_fixtures import I32, OP, Graph

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "targets" / "tflm_ranks"


def write(name, make, folder=OUT):
    m = s.ModelT()
    m.version, m.description, m.operatorCodes, m.subgraphs = 3, f"slipway {name} fixture".encode(), [], []
    m.buffers = [s.BufferT()]
    g = Graph(m, "main")
    x, y = make(g)
    g.g.inputs, g.g.outputs = x if isinstance(x, list) else [x], [y]
    m.subgraphs = [g.g]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.tflite"
    path.write_bytes(bytes(b.Output()))
    print(f"wrote {path.relative_to(OUT.parents[3])} ({path.stat().st_size} bytes)")


def transpose(shape):
    def make(g):
        x = g.tensor("x", shape)
        perm = list(reversed(range(len(shape))))
        y = g.tensor("y", [shape[p] for p in perm])
        g.op(OP.TRANSPOSE, [x, g.tensor("perm", [len(shape)], I32, data=perm)], [y],
             s.BuiltinOptions.TransposeOptions, s.TransposeOptionsT())
        return x, y
    return make


def strided_slice(shape):
    def make(g):
        x = g.tensor("x", shape)
        # Every element but the first along the last axis.
        out = shape[:-1] + [shape[-1] - 1]
        y = g.tensor("y", out)
        rank = len(shape)
        g.op(OP.STRIDED_SLICE, [x, g.tensor("begin", [rank], I32, data=[0] * (rank - 1) + [1]),
                                g.tensor("end", [rank], I32, data=shape),
                                g.tensor("strides", [rank], I32, data=[1] * rank)], [y],
             s.BuiltinOptions.StridedSliceOptions, s.StridedSliceOptionsT())
        return x, y
    return make


def transpose_runtime_perm(g):
    """A TRANSPOSE whose perm is a graph input: TFLite Micro's kernel takes perm only as a constant tensor."""
    x, perm = g.tensor("x", [1, 2, 3]), g.tensor("perm", [3], I32)
    y = g.tensor("y", [3, 2, 1])
    g.op(OP.TRANSPOSE, [x, perm], [y], s.BuiltinOptions.TransposeOptions, s.TransposeOptionsT())
    return [x, perm], y


def split_runtime_axis(g):
    """A SPLIT whose axis (its input 0) is a graph input: TFLite Micro's kernel takes the axis only as a constant."""
    axis, x = g.tensor("axis", [], I32), g.tensor("x", [2, 4])
    y, z = g.tensor("y", [2, 2]), g.tensor("z", [2, 2])
    o = s.SplitOptionsT()
    o.numSplits = 2
    g.op(OP.SPLIT, [axis, x], [y, z], s.BuiltinOptions.SplitOptions, o)
    return [x, axis], y


def split_constant_axis(g):
    axis, x = g.tensor("axis", [], I32, data=[1]), g.tensor("x", [2, 4])
    y, z = g.tensor("y", [2, 2]), g.tensor("z", [2, 2])
    o = s.SplitOptionsT()
    o.numSplits = 2
    g.op(OP.SPLIT, [axis, x], [y, z], s.BuiltinOptions.SplitOptions, o)
    return x, y


def concatenation(shape, dtype=None):
    """x joined with itself along axis 0 (float32, or `dtype`)."""
    def make(g):
        x = g.tensor("x", shape, *([dtype] if dtype is not None else []))
        y = g.tensor("y", [2 * shape[0]] + shape[1:], *([dtype] if dtype is not None else []))
        o = s.ConcatenationOptionsT()
        o.axis = 0
        g.op(OP.CONCATENATION, [x, x], [y], s.BuiltinOptions.ConcatenationOptions, o)
        return x, y
    return make


def add(shape):
    def make(g):
        x = g.tensor("x", shape)
        y = g.tensor("y", shape)
        g.op(OP.ADD, [x, x], [y], s.BuiltinOptions.AddOptions, s.AddOptionsT())
        return x, y
    return make


def expand_dims(shape):
    """x given a leading dimension of 1 (axis a constant)."""
    def make(g):
        x = g.tensor("x", shape)
        y = g.tensor("y", [1] + shape)
        g.op(OP.EXPAND_DIMS, [x, g.tensor("axis", [], I32, data=[0])], [y], s.BuiltinOptions.ExpandDimsOptions,
             s.ExpandDimsOptionsT())
        return x, y
    return make


def onnx_model(name, op, shape, out, **kw):
    """x → `op` → Relu → y at opset 13; `inputs` {name: int64 values} become initializers after x."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    inputs = kw.pop("inputs", {})
    nodes = [helper.make_node(op, ["x", *inputs], ["t"], name=op.lower(), **kw), helper.make_node("Relu", ["t"], ["y"], name="relu")]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)],
                          [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in inputs.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    path = OUT / f"{name}.onnx"
    onnx.save(m, str(path))
    print(f"wrote {path.relative_to(OUT.parents[3])} ({path.stat().st_size} bytes)")


def onnx_concat_7d():
    """x joined with itself along axis 1, at 7-D, then Relu."""
    import onnx
    from onnx import TensorProto, helper
    nodes = [helper.make_node("Concat", ["x", "x"], ["t"], name="concat", axis=1), helper.make_node("Relu", ["t"], ["y"], name="relu")]
    g = helper.make_graph(nodes, "concat_7d", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 2, 2, 2, 2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 6, 2, 2, 2, 2, 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    path = OUT / "concat_7d.onnx"
    onnx.save(m, str(path))
    print(f"wrote {path.relative_to(OUT.parents[3])} ({path.stat().st_size} bytes)")


def onnx_split():
    """x [2, 4] → Split(axis 1) → the halves added: an ONNX Split's input 0 is its data, computed at run time, where
    TFLite's SPLIT takes its axis (which TFLite Micro takes only as a constant): the check naming SPLIT's input 0 must
    not bind the lowered node."""
    import onnx
    from onnx import TensorProto, helper
    nodes = [helper.make_node("Split", ["x"], ["a", "b"], name="split", axis=1),
             helper.make_node("Add", ["a", "b"], ["y"], name="add")]
    g = helper.make_graph(nodes, "split", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    path = OUT / "split.onnx"
    onnx.save(m, str(path))
    print(f"wrote {path.relative_to(OUT.parents[3])} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    write("transpose_5d", transpose([1, 2, 3, 2, 2]))
    write("transpose_6d", transpose([1, 2, 1, 3, 2, 2]))
    write("strided_slice_4d", strided_slice([1, 2, 3, 4]))
    write("strided_slice_5d", strided_slice([1, 2, 3, 2, 4]))
    write("transpose_runtime_perm", transpose_runtime_perm)
    write("split_runtime_axis", split_runtime_axis)
    write("split_constant_axis", split_constant_axis)
    onnx_model("transpose_6d", "Transpose", [1, 2, 3, 4, 2, 2], [1, 2, 4, 3, 2, 2], perm=[0, 1, 3, 2, 4, 5])
    onnx_model("transpose_5d", "Transpose", [1, 4, 3, 2, 8], [3, 1, 2, 4, 8], perm=[2, 0, 3, 1, 4])
    onnx_model("slice_5d", "Slice", [1, 4, 3, 2, 8], [1, 4, 1, 2, 8], inputs={"starts": [1], "ends": [2], "axes": [2]})
    onnx_model("transpose_7d", "Transpose", [2, 3, 2, 2, 2, 2, 2], [2, 2, 3, 2, 2, 2, 2], perm=[0, 2, 1, 3, 4, 5, 6])
    onnx_model("slice_6d", "Slice", [2, 4, 3, 2, 8, 2], [2, 4, 1, 2, 8, 2], inputs={"starts": [1], "ends": [2], "axes": [2]})
    onnx_split()
    # XNNPACK's ranks: it takes a CONCATENATION or an EXPAND_DIMS whatever the rank and then fails to prepare above
    # 6-D (LiteRT refuses the model); it leaves a 7-D ADD to the builtin kernels (VisitBinaryNode bounds the rank).
    xnnpack = OUT.parent / "xnnpack_ranks"
    write("concatenation_6d", concatenation([1, 2, 1, 2, 3, 2]), xnnpack)
    write("concatenation_7d", concatenation([1, 2, 1, 2, 1, 3, 2]), xnnpack)
    # An int32 one XNNPACK refuses by type first: it runs on the builtin kernels, and LiteRT takes the model.
    write("concatenation_7d_int32", concatenation([1, 2, 1, 2, 1, 3, 2], I32), xnnpack)
    write("expand_dims_6d_to_7d", expand_dims([2, 1, 2, 1, 3, 2]), xnnpack)
    write("add_7d", add([1, 2, 1, 2, 1, 3, 2]), xnnpack)
    # onnx2tf keeps a 7-D Concat's and ReduceMean's rank (XNNPACK then fails to prepare them) and flattens a 7-D
    # Softmax to 2-D (LiteRT runs it).
    onnx_model("softmax_7d", "Softmax", [2, 3, 2, 2, 2, 2, 2], [2, 3, 2, 2, 2, 2, 2], axis=-1)
    onnx_model("mean_7d", "ReduceMean", [2, 3, 2, 2, 2, 2, 2], [2, 3, 1, 2, 2, 2, 2], axes=[2], keepdims=1)
    onnx_concat_7d()
    onnx_model("pad_6d", "Pad", [1, 2, 3, 4, 2, 2], [1, 2, 3, 6, 2, 2], inputs={"pads": [0, 0, 0, 1, 0, 0] * 2})
