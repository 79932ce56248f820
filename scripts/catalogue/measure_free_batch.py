#!/usr/bin/env python3
"""Measures which ONNX forms onnx2tf cannot convert while the model's batch is free.

    .venv-convert/bin/python scripts/catalogue/measure_free_batch.py [--bin SLIPWAY] [--check] [--forms Name,Name…]
        [--runtime-python .venv/bin/python]

Exporters leave the batch free (`dynamic_axes`, Paddle's -1); onnx2tf converts most graphs so, but some of its
operator conversions read the ONNX shapes as TensorFlow sizes and fail (ConvTranspose.py hands the batch's name to
tf.nn.conv2d_transpose). The primary source is the converter itself: for every form below (one to eleven nodes on a
4-D float32 input [batch, 4, 8, 8], its other inputs constants as exports write them, the outputs' shapes declared
as ONNX's shape inference gives them, symbols kept) this writes the model with the batch free and the sizes fixed
(`sized`), with both free (`free`), and for some forms with a batch of 1 and free sizes (`batch1`), and converts it
with `slipway convert --force` to a LiteRT target — Slipway's own driver, with the options it gives onnx2tf.

Each file that converts is then run by `slipway test` at sizes other than 1 where the model leaves them free (RUN),
in ai-edge-litert against onnxruntime: a file that converts but works only at the sizes onnx2tf sampled fails there.

Writes Schemas/measurements/free_batch_measured.json: per form and variant `ok`, `fails: ` and the driver's words,
or `fails when run: ` and why. Tests/integration/test_free_batch.py holds `check` to it (SW4004 exactly where the record says the
conversion fails, but for the forms it names as not yet foreseen); --check re-measures the forms named by --forms
(all by default) and exits 1 when the committed record differs.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RECORD = os.path.join(ROOT, "Schemas", "measurements", "free_batch_measured.json")
C, H = 4, 8
OPSET = 13
# The audio variants: a 2-D input [batch, samples] as a spectrogram's front end reads it (oww-melspectrogram), its
# length fixed or free.
DIMS = {"sized": ["n", C, H, H], "free": ["n", C, "h", "w"], "batch1": [1, C, "h", "w"],
        "audio": ["n", "s"], "audio_length": [1, "s"], "audio_sized": ["n", 64]}
# The sizes a converted file is run at (`slipway test`), each free dimension other than 1: what a file that converted
# but works only at the sizes onnx2tf sampled (1) fails at.
RUN = {"sized": [2, C, H, H], "free": [2, C, 6, 10], "batch1": [1, C, 6, 10],
       "audio": [2, 100], "audio_length": [1, 100], "audio_sized": [2, 64]}
UNARY_BETWEEN = ["Relu", "Sigmoid", "LeakyRelu", "Tanh", "Clip", "Elu", "Abs", "Softplus", "Neg"]


def forms():
    """name → (nodes, initializers, variants): the graph reads `x` and writes `y`."""
    import numpy as np
    from onnx import helper, numpy_helper
    rng = np.random.default_rng(11)
    N = helper.make_node

    def const(name, value, dtype=np.float32):
        return numpy_helper.from_array(np.array(value, dtype), name)

    def weights(name, *shape):
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)

    up = lambda out: N("ConvTranspose", ["x", "w"], [out], kernel_shape=[2, 2], strides=[2, 2])  # noqa: E731
    up_w = lambda: weights("w", C, C, 2, 2)  # noqa: E731
    channel = lambda: weights("b", 1, C, 1, 1)  # noqa: E731
    both = ("sized", "free")
    f = {
        "Conv": ([N("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])], [weights("w", C, C, 3, 3)], both),
        "Conv_Add": ([N("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1]), N("Add", ["c", "b"], ["y"])],
                     [weights("w", C, C, 1, 1), channel()], both),
        "ConvTranspose": ([up("y")], [up_w()], both + ("batch1",)),
        "ConvTranspose_bias": ([N("ConvTranspose", ["x", "w", "bb"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
                               [up_w(), weights("bb", C)], both),
        "ConvTranspose_BatchNormalization": ([up("c"), N("BatchNormalization", ["c", "g", "bn", "m", "v"], ["y"])],
                                             [up_w(), weights("g", C), weights("bn", C), weights("m", C), const("v", [1.0] * C)], both),
        "ConvTranspose_Conv_Add": ([up("c"), N("Conv", ["c", "w2"], ["r"], kernel_shape=[1, 1]), N("Add", ["r", "b"], ["y"])],
                                   [up_w(), weights("w2", C, C, 1, 1), channel()], both),
        "ConvTranspose_one_channel_Add": ([N("ConvTranspose", ["x", "w"], ["c"], kernel_shape=[2, 2], strides=[2, 2]),
                                           N("Add", ["c", "b"], ["y"])], [weights("w", C, 1, 2, 2), weights("b", 1, 1, 1, 1)], both),
        "ConvTranspose_Add_C11": ([up("c"), N("Add", ["c", "b"], ["y"])], [up_w(), weights("b", C, 1, 1)], both),
        "ConvTranspose_Add_scalar": ([up("c"), N("Add", ["c", "b"], ["y"])], [up_w(), weights("b", 1)], both),
        "ConvTranspose_Add_runtime": ([up("c"), N("Resize", ["x", "", "s"], ["u"], mode="nearest"), N("Add", ["c", "u"], ["y"])],
                                      [up_w(), const("s", [1, 1, 2, 2])], both),
        "ConvTranspose_Add_self_Add": ([up("c"), N("Add", ["c", "c"], ["r"]), N("Add", ["r", "b"], ["y"])], [up_w(), channel()], both),
        "MaxPool": ([N("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])], [], both),
        "GlobalAveragePool_Flatten_Gemm": ([N("GlobalAveragePool", ["x"], ["p"]), N("Flatten", ["p"], ["fl"], axis=1),
                                            N("Gemm", ["fl", "wg", "bg"], ["y"], transB=1)], [weights("wg", 10, C), weights("bg", 10)], both),
        "Resize_nearest": ([N("Resize", ["x", "", "s"], ["y"], mode="nearest")], [const("s", [1, 1, 2, 2])], both),
        "Resize_linear": ([N("Resize", ["x", "", "s"], ["y"], mode="linear")], [const("s", [1, 1, 2, 2])], both),
        "Reshape_keep_batch": ([N("Reshape", ["x", "s"], ["y"])], [const("s", [0, -1], np.int64)], both),
        "Shape_Gather_Concat_Reshape": ([N("Shape", ["x"], ["s"]), N("Gather", ["s", "i0"], ["n"], axis=0),
                                         N("Unsqueeze", ["n", "a0"], ["u"]), N("Concat", ["u", "m1"], ["t"], axis=0),
                                         N("Reshape", ["x", "t"], ["y"])],
                                        [const("i0", 0, np.int64), const("a0", [0], np.int64), const("m1", [-1], np.int64)], both),
        "Flatten": ([N("Flatten", ["x"], ["y"], axis=1)], [], both),
        "Transpose": ([N("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], [], both),
        "Concat": ([N("Concat", ["x", "x"], ["y"], axis=1)], [], both),
        "Split": ([N("Split", ["x"], ["y", "z"], axis=1)], [], both),
        "Slice": ([N("Slice", ["x", "st", "en", "ax"], ["y"])],
                  [const("st", [1], np.int64), const("en", [2**63 - 1], np.int64), const("ax", [2], np.int64)], both),
        "Pad": ([N("Pad", ["x", "p"], ["y"])], [const("p", [0, 0, 1, 1, 0, 0, 1, 1], np.int64)], both),
        "InstanceNormalization": ([N("InstanceNormalization", ["x", "g", "bn"], ["y"])], [weights("g", C), weights("bn", C)], both),
        "Softmax": ([N("Softmax", ["x"], ["y"], axis=1)], [], both),
        "ReduceMean": ([N("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=1)], [], both),
        "DepthToSpace": ([N("DepthToSpace", ["x"], ["y"], blocksize=2)], [], both),
        "Tile": ([N("Tile", ["x", "r"], ["y"])], [const("r", [1, 1, 2, 2], np.int64)], both + ("batch1",)),
        "Reshape_Tile_3d": ([N("Reshape", ["x", "s"], ["f"]), N("Tile", ["f", "r"], ["y"])],
                            [const("s", [0, C, -1], np.int64), const("r", [1, 2, 1], np.int64)], both + ("batch1",)),
        "Shape_Expand_Add": ([N("Shape", ["x"], ["s"]), N("Expand", ["b", "s"], ["e"]), N("Add", ["x", "e"], ["y"])], [channel()],
                             both + ("batch1",)),
        "PRelu": ([N("PRelu", ["x", "a"], ["y"])], [weights("a", C, 1, 1)], both),
        "Mul_Add_affine": ([N("Mul", ["x", "a"], ["m"]), N("Add", ["m", "b"], ["y"])], [weights("a", 1, C, 1, 1), channel()], both),
        # The same constant on the input itself, and after a one-input operator: which per-channel constants onnx2tf
        # lays channels-last on an input it keeps channels-first (no spatial operator reads it).
        "Add_affine": ([N("Add", ["x", "b"], ["y"])], [channel()], both),
        "Relu_Add_affine": ([N("Relu", ["x"], ["r"]), N("Add", ["r", "b"], ["y"])], [channel()], both),
        "Gather_channels": ([N("Gather", ["x", "i"], ["y"], axis=1)], [const("i", [0, 2], np.int64)], both),
        "Squeeze_after_GlobalAveragePool": ([N("GlobalAveragePool", ["x"], ["p"]), N("Squeeze", ["p", "a"], ["y"])],
                                            [const("a", [2, 3], np.int64)], both),
        "Sigmoid_Mul_squeeze_excite": ([N("GlobalAveragePool", ["x"], ["p"]), N("Conv", ["p", "w"], ["c"], kernel_shape=[1, 1]),
                                        N("Sigmoid", ["c"], ["s"]), N("Mul", ["x", "s"], ["y"])], [weights("w", C, C, 1, 1)], both),
    }
    for op in ("Add", "Sub", "Mul", "Div"):
        # A Div by values near zero is still a conversion's question, not its numbers'.
        f[f"ConvTranspose_{op}"] = ([up("c"), N(op, ["c", "b"], ["y"])], [up_w(), const("b", np.full((1, C, 1, 1), 0.5))],
                                    both + (("batch1",) if op == "Add" else ()))
    for act in UNARY_BETWEEN:
        bounds = ["lo", "hi"] if act == "Clip" else []
        f[f"ConvTranspose_{act}_Add"] = ([up("c"), N(act, ["c", *bounds], ["r"]), N("Add", ["r", "b"], ["y"])],
                                         [up_w(), channel()] + ([const("lo", 0.0), const("hi", 6.0)] if bounds else []), ("free",))
    # What carries a ConvTranspose's mis-laid output on to the per-channel arithmetic: itself combined with itself, or
    # with another run-time value.
    f["ConvTranspose_Mul_self_Add"] = ([up("c"), N("Mul", ["c", "c"], ["r"]), N("Add", ["r", "b"], ["y"])], [up_w(), channel()], ("free",))
    f["ConvTranspose_Add_runtime_Add"] = ([up("c"), N("Resize", ["x", "", "s"], ["u"], mode="nearest"), N("Add", ["c", "u"], ["r"]),
                                           N("Add", ["r", "b"], ["y"])], [up_w(), const("s", [1, 1, 2, 2]), channel()], ("free",))
    # A constant expanded to a value's Shape (PyTorch's expand_as), and what reads it.
    shape_of = lambda v, out="e": [N("Shape", [v], ["s"]), N("Expand", ["b", "s"], [out])]  # noqa: E731
    f["Shape_Expand"] = (shape_of("x", "y"), [channel()], both)
    f["Shape_Expand_Mul"] = (shape_of("x") + [N("Mul", ["x", "e"], ["y"])], [channel()], both)
    f["Shape_Expand_Add_C11"] = (shape_of("x") + [N("Add", ["x", "e"], ["y"])], [weights("b", C, 1, 1)], both)
    f["Shape_Expand_Add_scalar"] = (shape_of("x") + [N("Add", ["x", "e"], ["y"])], [weights("b", 1)], both)
    f["Shape_Expand_Add_one"] = (shape_of("x") + [N("Add", ["x", "e"], ["y"])], [weights("b", 1, 1, 1, 1)], both)
    f["Shape_Expand_Add_full"] = (shape_of("x") + [N("Add", ["x", "e"], ["y"])], [weights("b", 1, C, H, H)], ("sized",))
    f["Conv_Shape_Expand_Add"] = ([N("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1])] + shape_of("c")
                                  + [N("Add", ["c", "e"], ["y"])], [weights("w", C, C, 1, 1), channel()], both)
    # A Reshape by a constant shape: with a 0 (copy the input's dimension) or without, the -1 taking free sizes.
    f["Reshape_zero_keep"] = ([N("Reshape", ["x", "s"], ["y"])], [const("s", [0, 0, -1], np.int64)], both)
    f["Reshape_rows"] = ([N("Reshape", ["x", "s"], ["y"])], [const("s", [-1, C], np.int64)], both)
    # A 3-D value expanded to a shape computed from the free batch (jax2tf's one_hot: magika reshapes its bytes to
    # [n, 2048, 1] and broadcasts them to [n, 2048, 1] by the input's Shape before an Equal with [1, 1, 257]), then
    # combined with a constant: which constants widen a dimension of size 1, and which do not.
    def runtime_expand(dims, op, b, cast=False):
        nodes = [N("Reshape", ["x", "rs"], ["r"]), N("Shape", ["x"], ["s"]), N("Slice", ["s", "z0", "o1"], ["n"]),
                 N("Concat", ["n", "d"], ["t"], axis=0), N("Expand", ["r", "t"], ["e"]), N(op, ["e", "b"], ["q" if cast else "y"])]
        inits = [const("rs", [-1, *dims], np.int64), const("z0", [0], np.int64), const("o1", [1], np.int64),
                 const("d", list(dims), np.int64), b]
        return (nodes + ([N("Cast", ["q"], ["y"], to=1)] if cast else []), inits, ("sized",))
    flat = H * H
    f["Expand_runtime_Add_last"] = runtime_expand((C, flat), "Add", weights("b", 1, 1, flat))
    f["Expand_runtime_Add_channels"] = runtime_expand((C, flat), "Add", weights("b", 1, C, 1))
    f["Expand_runtime_Add_1d"] = runtime_expand((C, flat), "Add", weights("b", flat))
    f["Expand_runtime_Add_one"] = runtime_expand((C, flat), "Add", weights("b", 1, 1, 1))
    f["Expand_runtime_Add_column_one"] = runtime_expand((C * flat, 1), "Add", weights("b", 1, 1, 1))
    for op in ("Add", "Mul"):
        f[f"Expand_runtime_{op}_widen"] = runtime_expand((C * flat, 1), op, weights("b", 1, 1, 9))
    f["Expand_runtime_Add_widen_middle"] = runtime_expand((1, C * flat), "Add", weights("b", 1, 9, 1))
    f["Expand_runtime_Equal_onehot"] = runtime_expand((C * flat, 1), "Equal", const("b", np.arange(9.0).reshape(1, 1, 9)), cast=True)
    # A vision transformer's tokens put back into an image by a Reshape to a shape computed from the input's Shape
    # (PaddleOCR's SVTR neck in ppocrv4-rec: [0, 1, W, 120] with W its run-time width), then channels first and a
    # 1 × 1 convolution.
    tokens = [N("Transpose", ["x"], ["p"], perm=[0, 2, 3, 1]), N("Shape", ["x"], ["s"]), N("Slice", ["s", "z0", "i1"], ["n"]),
              N("Concat", ["n", "m1", "c"], ["tk"], axis=0), N("Reshape", ["p", "tk"], ["tokens"])]
    image = [N("Add", ["tokens", "g"], ["a"]), N("Slice", ["s", "i2", "i4"], ["hw"]), N("Concat", ["z0", "hw", "c"], ["t"], axis=0),
             N("Reshape", ["a", "t"], ["img"])]
    token_inits = [const("z0", [0], np.int64), const("i1", [1], np.int64), const("m1", [-1], np.int64), const("c", [C], np.int64),
                   weights("g", C), const("i2", [2], np.int64), const("i4", [4], np.int64)]
    rename = lambda nodes: nodes[:-1] + [N(nodes[-1].op_type, list(nodes[-1].input), ["y"], **{a.name: helper.get_attribute_value(a) for a in nodes[-1].attribute})]  # noqa: E731
    f["Tokens_Reshape"] = (rename(tokens), token_inits[:4], both + ("batch1",))
    f["Tokens_Reshape_image"] = (rename(tokens + image), token_inits, both + ("batch1",))
    f["Tokens_Reshape_image_Transpose"] = (tokens + image + [N("Transpose", ["img"], ["y"], perm=[0, 3, 1, 2])], token_inits, both + ("batch1",))
    f["Tokens_Reshape_image_Transpose_Conv"] = (
        tokens + image + [N("Transpose", ["img"], ["chw"], perm=[0, 3, 1, 2]), N("Conv", ["chw", "w"], ["y"], kernel_shape=[1, 1])],
        token_inits + [weights("w", C, C, 1, 1)], both + ("batch1",))
    f["Reshape_Equal_onehot"] = ([N("Reshape", ["x", "rs"], ["r"]), N("Equal", ["r", "k"], ["q"]), N("Cast", ["q"], ["y"], to=1)],
                                 [const("rs", [-1, C * flat, 1], np.int64), const("k", np.arange(9.0).reshape(1, 1, 9))], ("sized",))
    # A constant of rank 3 expanded to a shape computed at run time from the free batch (no Shape of a value: a
    # Concat of the batch sliced from one and constants): a recurrence's zero initial states [1, batch, hidden] as a
    # hand-written export writes them (Tests/Fixtures/estimate/lstm_classifier.onnx; torch.onnx.export writes a
    # ConstantOfShape), and the same constant added to the 3-D value whose batch it takes.
    hidden = 8
    rows = [N("Reshape", ["x", "rs"], ["r"])]
    state = [N("Shape", ["x"], ["s"]), N("Slice", ["s", "z0", "o1"], ["n"]), N("Concat", ["o1", "n", "hd"], ["t"], axis=0),
             N("Expand", ["zeros", "t"], ["h0"]), N("Expand", ["zeros", "t"], ["c0"])]
    f["Expand_const_state_LSTM"] = (
        rows + [N("Transpose", ["r"], ["steps"], perm=[1, 0, 2])] + state
        + [N("LSTM", ["steps", "W", "R", "B", "", "h0", "c0"], ["seq", "y"], hidden_size=hidden)],
        [const("rs", [-1, C, flat], np.int64), const("z0", [0], np.int64), const("o1", [1], np.int64),
         const("hd", [hidden], np.int64), const("zeros", np.zeros((1, 1, hidden))), weights("W", 1, 4 * hidden, flat),
         weights("R", 1, 4 * hidden, hidden), weights("B", 1, 8 * hidden)], ("sized",))
    f["Expand_const_Concat_Add"] = (
        rows + [N("Shape", ["x"], ["s"]), N("Slice", ["s", "z0", "o1"], ["n"]), N("Concat", ["n", "d"], ["t"], axis=0),
                N("Expand", ["b", "t"], ["e"]), N("Add", ["r", "e"], ["y"])],
        [const("rs", [-1, C, flat], np.int64), const("z0", [0], np.int64), const("o1", [1], np.int64),
         const("d", [C, flat], np.int64), weights("b", 1, 1, flat)], ("sized",))
    # A spectrogram's front end on audio [batch, samples] (oww-melspectrogram, torch.onnx): a 1-D Conv as the STFT's
    # frames [n, bins, T], unsqueezed to [n, 1, bins, T] and transposed to [n, 1, T, bins], squared, then a MatMul by the
    # mel filters; and the same without the Unsqueeze or without the MatMul: which of them onnx2tf writes a file for
    # that fails at other lengths than the 1 it samples.
    bins, kernel, hop, mels = 9, 16, 4, 5
    audio = ("audio", "audio_length", "audio_sized")
    frames = [N("Unsqueeze", ["x", "a1"], ["u"]), N("Conv", ["u", "wa"], ["c"], kernel_shape=[kernel], strides=[hop])]
    frame_inits = [const("a1", [1], np.int64), weights("wa", bins, 1, kernel)]
    spectrum = [N("Unsqueeze", ["c", "a1"], ["c4"]), N("Transpose", ["c4"], ["t"], perm=[0, 1, 3, 2])]
    mel = weights("mel", bins, mels)
    f["Conv1d"] = (rename(frames), frame_inits, audio)
    f["Conv1d_Unsqueeze"] = (frames + [N("Unsqueeze", ["c", "a1"], ["y"])], frame_inits, audio)
    f["Conv1d_Unsqueeze_Transpose"] = (frames + rename(spectrum), frame_inits, audio)
    f["Conv1d_Transpose_MatMul"] = (frames + [N("Transpose", ["c"], ["t"], perm=[0, 2, 1]), N("MatMul", ["t", "mel"], ["y"])],
                                    frame_inits + [mel], audio)
    f["Conv1d_Unsqueeze_Transpose_MatMul"] = (frames + spectrum + [N("MatMul", ["t", "mel"], ["y"])], frame_inits + [mel], audio)
    f["Conv1d_Unsqueeze_Transpose_Mul_MatMul"] = (
        frames + spectrum + [N("Mul", ["t", "t"], ["p"]), N("MatMul", ["p", "mel"], ["y"])], frame_inits + [mel], audio)
    f["Conv1d_Transpose_Unsqueeze_MatMul"] = (
        frames + [N("Transpose", ["c"], ["t3"], perm=[0, 2, 1]), N("Unsqueeze", ["t3", "a1"], ["t"]), N("MatMul", ["t", "mel"], ["y"])],
        frame_inits + [mel], audio)
    # The per-channel constant of rank 3 ([C, 1, 1], broadcast to the 4-D value from the right) on an input the driver
    # keeps channels-first: whether onnx2tf lays a constant of a lower rank than the value's channels-last too.
    f["Add_affine_C11"] = ([N("Add", ["x", "b"], ["y"])], [weights("b", C, 1, 1)], both)
    f["Mul_affine_C11"] = ([N("Mul", ["x", "b"], ["y"])], [weights("b", C, 1, 1)], both)
    return f


def write_model(name, variant, path):
    """The form `name`'s model with the input dimensions `variant` gives (DIMS), at `path`."""
    import onnx
    from onnx import TensorProto, helper
    nodes, inits, _ = forms()[name]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, DIMS[variant])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)
    # Outputs declared as exporters declare them: the shape inference's, symbols kept.
    m = onnx.shape_inference.infer_shapes(m, data_prop=True)
    y = m.graph.output[0].type.tensor_type
    if not y.HasField("shape"):
        # A Reshape to a shape computed from the input's (the only form here the inference cannot shape): declared as
        # exporters write it, the batch and one free dimension.
        y.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, [DIMS[variant][0], "flat"]).tensor_type)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def manifest(name):
    return f"slipway: 1\nname: {name}\nmodel: {{path: m.onnx}}\ntargets:\n  t: {{runtime: litert, format: tflite}}\n"


def convert(binary, python, name, variant, runtime_python=None):
    """`ok`, or `fails: ` and the driver's words, for one form and variant converted by Slipway's driver; with
    `runtime_python` (one with ai-edge-litert), a converted file is run too (`slipway test` at the RUN sizes, against
    onnxruntime): `fails when run: ` and why when it cannot run there or computes otherwise."""
    with tempfile.TemporaryDirectory() as work:
        write_model(name, variant, os.path.join(work, "m.onnx"))
        with open(os.path.join(work, "m.slipway.yaml"), "w") as fh:
            fh.write(manifest(name))
        r = subprocess.run([binary, "convert", "m.slipway.yaml", "--force", "--python", python], cwd=work,
                           capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            said = [line for line in r.stderr.splitlines() if "could not convert the model" in line]
            words = said[-1].split("could not convert the model", 1)[1] if said else r.stderr.strip().splitlines()[-1]
            return "fails" + words.split("; onnx2tf stopped")[0][:160]
        return run_converted(binary, runtime_python, work, name, variant) if runtime_python else "ok"


def run_converted(binary, runtime_python, work, name, variant):
    """`ok` when the converted file runs at the RUN sizes and agrees with the model (cosine ≥ 0.9999 on two seeded
    samples), else `fails when run: ` and why."""
    import numpy as np
    rng = np.random.default_rng(3)
    os.makedirs(os.path.join(work, "samples"))
    for i in range(2):
        np.save(os.path.join(work, "samples", f"x{i}.npy"), rng.standard_normal(RUN[variant]).astype(np.float32))
    with open(os.path.join(work, "m.slipway.yaml"), "a") as fh:
        fh.write("test:\n  samples: samples\n  tolerance: {cosine: 0.9999}\n")
    r = subprocess.run([binary, "test", "m.slipway.yaml", "--no-convert", "--json", "--warmup", "0",
                        "--runtime-python", runtime_python], cwd=work, capture_output=True, text=True, timeout=900)
    try:
        target = json.loads(r.stdout)["targets"][0]
    except (ValueError, KeyError, IndexError):
        return "fails when run: " + (r.stderr.strip().splitlines() or ["no report"])[-1][:160]
    if target["status"] == "passed":
        return "ok"
    if target.get("reason"):
        return "fails when run: " + target["reason"].split(": ", 1)[-1][:160]
    lowest = min((o["cosine_min"] for o in target.get("outputs", []) if o.get("cosine_min") is not None), default=None)
    return f"fails when run: computes otherwise (lowest cosine {lowest:.4f})" if lowest is not None else "fails when run: " + target["status"]


def derive(binary, python, only=None, jobs=2, runtime_python=None):
    every = forms()
    runs = [(n, v) for n in every if not only or n in only for v in every[n][2]]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda nv: (nv, convert(binary, python, *nv, runtime_python)), runs))
    measured = {}
    for (n, v), r in results:
        measured.setdefault(n, {})[v] = r
        sys.stderr.write(f"{n} {v}: {r}\n")
    version = subprocess.run([python, "-c", "import onnx2tf, tensorflow as tf; print(onnx2tf.__version__, tf.__version__)"],
                             capture_output=True, text=True).stdout.split()
    return {
        "source": f"one-to-eleven-node models on a 4-D float32 input [batch, {C}, {H}, {H}] or audio [batch, samples] (opset {OPSET}), converted by"
                  f" `slipway convert` with onnx2tf {version[0] if version else '?'} (tensorflow"
                  f" {version[1] if len(version) > 1 else '?'}), each converted file run by `slipway test` at the sizes"
                  f" `run` gives, against onnxruntime; scripts/catalogue/measure_free_batch.py",
        "variants": {k: v for k, v in DIMS.items()},
        "run": {k: v for k, v in RUN.items()},
        "forms": {n: measured[n] for n in sorted(measured)},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug", "slipway"))
    p.add_argument("--python", default=sys.executable, help="the Python with onnx2tf (the converters' venv)")
    p.add_argument("--check", action="store_true", help="exit 1 when the committed record differs from a re-measurement")
    p.add_argument("--forms", help="comma-separated forms to measure (default: every one)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--runtime-python", default=os.path.join(ROOT, ".venv", "bin", "python"),
                   help="the Python with ai-edge-litert and onnxruntime that runs the converted files (the test venv)")
    a = p.parse_args()
    only = set(a.forms.split(",")) if a.forms else None
    derived = derive(os.path.abspath(a.bin), a.python, only, a.jobs, a.runtime_python)
    committed = json.load(open(RECORD)) if os.path.exists(RECORD) else {"forms": {}}
    if a.check:
        differ = [n for n, e in derived["forms"].items() if committed["forms"].get(n) != e]
        if differ:
            sys.exit(f"free_batch_measured.json differs from a re-measurement for: {', '.join(differ)}")
        print(f"free_batch_measured.json: {len(derived['forms'])} forms as committed")
        return
    if only:
        committed["forms"].update(derived["forms"])
        derived["forms"] = dict(sorted(committed["forms"].items()))
    with open(RECORD, "w") as fh:
        json.dump(derived, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"wrote {os.path.relpath(RECORD, ROOT)} ({len(derived['forms'])} forms)")


if __name__ == "__main__":
    main()
