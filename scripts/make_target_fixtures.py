#!/usr/bin/env python3
"""Builds the small ONNX models the Targets specs and docs/diagnostics.md examples use, with `onnx`, and
records onnx-tool's MAC counts for them (and for the example models) as the reference the Swift estimates are
checked against.

Run with .venv's python (`make target-fixtures`); seeded, so the files come out byte-identical.

- opset21.onnx        one Relu stamped with opset 21 / IR 10 (newer than ONNX Runtime 1.16 reads)
- custom_domain.onnx  a node in the domain com.example, which no runtime has kernels for
- erf_gelu.onnx       MatMul + an Erf-based GELU: Erf has no TFLite builtin
- dynamic_batch.onnx  a small CNN whose batch dimension is symbolic
- batch2_conv.onnx    a CNN with batch 2 fixed: 4-D tensors with four dimensions > 1 (Edge TPU allows 3)
- tile_mid.onnx       a CNN with a Tile in the middle: the Edge TPU does not run TILE (the GPU delegate does)
- expand_mid.onnx     a CNN with an Expand in the middle that changes no shape: onnxsim removes it before onnx2tf
- cnn_softmax.onnx    a CNN ending in Softmax (with a Constant and an Identity, which ONNX Runtime folds): the Core
                      ML EP's NeuralNetwork table lacks Softmax, its ML Program table has every operator
- runtime_b.onnx      MatMul whose B is a graph input: the Core ML EP wants a constant B
- dilated_conv.onnx   a CNN whose second convolution dilates 2 in y and 1 in x, strided 2: onnx2tf cannot convert it
- dilated_unstrided.onnx  the same convolution unstrided: it converts, and the Edge TPU wants equal dilations
- dilated_depthwise.onnx  a depthwise convolution strided 2 and dilated 2: onnx2tf converts it (strides by slicing)
- unique.onnx         a Unique after a Relu: TensorRT's ONNX parser has no Unique
- maxpool1d.onnx      a 1-D MaxPool (rank-3 input): TensorRT's importer expands it to 2-D
- avgpool1d.onnx      a 1-D AveragePool (rank-3 input): likewise imported as a 2-D pool
- maxpool4d.onnx      a MaxPool over 4 spatial dimensions (rank-6 input): TensorRT pools in at most 3
- qdq_zero_points.onnx  a symmetric int8 Q/DQ pair (zero points 0) and an asymmetric uint8 one (zero point 128):
                      TensorRT takes only zero zero points
- qdq_uint8.onnx      a uint8 Q/DQ pair with zero point 0 (onnxruntime quantize_static's default activations) beside
                      an int8 weight's DequantizeLinear: TensorRT's DequantizeLinear takes INT8, FP8 or INT4 only
- qdq_runtime_zero_point.onnx a QuantizeLinear whose zero point is a graph input: whether it is 0 is known only
                      when the model runs
- if_branches.onnx    Ifs on a run-time condition: Squeeze/Identity branches of ranks 2 and 3 (PyTorch's `squeeze(dim)`
                      export), branches outputting one name, branches that agree; and one on a constant condition
- folded_by_ort.onnx, folded_by_ort_dynamic.onnx  Shape → Gather → Unsqueeze → Concat → Reshape and a ConstantOfShape
                      on constants, with the input's shape fixed and with a symbolic batch
- if_on_scalar.onnx   an If on a scalar int64 input `mode`: the manifest's `mode: 1` folds it for onnx2tf
- qdq_matmul_pairs.onnx QDQ MatMuls of int8 × int8 and uint8 × uint8 inputs, and a float one (QNN's HTP type pairs)
- onehot_depth.onnx   two OneHots, one with an initializer depth, one with a depth given at run time: TensorRT wants
                      a build-time constant
- dropout_training.onnx a Dropout (opset 13) whose training_mode is an initializer True: TensorRT imports inference only
- swish_opset24.onnx  a Swish (new in opset 24): onnx-tensorrt's matrix has no row for it, its importer no function
- lstm_batch_first.onnx an LSTM with layout 1 (batch first): TensorRT takes layout 0 only (ONNX Runtime's CPU
                      kernel does not run it either, so it is checked, not run)
- isinf.onnx          an IsInf after a Relu: QNN's table runs IsInf on its CPU backend only, not on HTP
- embedding_int64.onnx a Gather of an embedding table by an int64 `input_ids`, as transformers export it: onnx2tf
                      keeps the positions int64, and TFLite Micro's GATHER takes int32 positions only
- embedding_int32.onnx the same with int32 ids: TFLite Micro runs it
- topk_runtime_k.onnx a TopK whose K is a graph input: TensorRT 10 takes K as a tensor (its matrix no longer asks for
                      an initializer)
- batch_mean.onnx     a ReduceMean over the batch of 4: the Edge TPU reduces no batch dimension
- wide_softmax.onnx   a Softmax over 20,000 classes: over the Edge TPU's 16,000 elements and Core ML's 16384 dimension
- runtime_axes.onnx   a ReduceMean (opset 18) whose axes are a graph input: the GPU delegate wants constant axes
- shape_if.onnx       two Ifs as exporters write a dimension check: one on Equal(Gather(Shape(relu), 1), 8), which
                      onnx2tf's onnxsim folds at the fixed shapes into the branch it takes, one on a bool graph input,
                      which stays an If (onnx2tf writes both branches and a SELECT_V2)
- resize_modes.onnx   Resizes with tf_crop_and_resize, antialias and keep_aspect_ratio_policy not_larger beside a
                      half_pixel linear one: outside what onnx-tensorrt's matrix lists
- pool_topk_parts.onnx MaxPools with dilations 2 and with the Indices output, TopKs unsorted and with K 3900, an
                      Unsqueeze with run-time axes, a LayerNormalization whose Mean output is used: refused by TensorRT
- bidirectional_axes.onnx bidirectional LSTMs with the same and with other reverse activations, Resizes with axes
                      [2, 3] and constant or run-time scales: TensorRT refuses the mixed LSTM and the run-time scales
- quantize_uint8_alone.onnx a uint8 QuantizeLinear with no DequantizeLinear after it, beside an int8 one
- random_seed.onnx    noise from a seeded RandomNormalLike added to the input: TensorRT ignores the seed
- resize_tf_half_pixel.onnx Resizes with tf_half_pixel_for_nn, nearest floor and linear: QNN's HTP takes the first only
- topk_scores.onnx    scores of a MatMul and their best 4 (TopK, K an initializer): TOPK_V2, which the GPU delegate does not parse
- conv_forms.onnx     strided convolutions padded as SAME pads (no PAD in the artifact: the converter folds it) and
                      not (a PAD), a depthwise one strided 2×1 (a grouped CONV_2D), a bias added apart through a
                      Reshape and a hard sigmoid after a convolution (both folded into it), and hard swishes written
                      out with scalar constants (HARD_SWISH) and with shape-[1] ones (ADD, MUL, MUL)
- affine_forms.onnx   depthwise convolutions after affine blocks (x · a + b by constants of shape [1], as PaddleOCR v4
                      writes it, and of shape [1, 1, 1, 1]): onnx2tf makes them grouped CONV_2Ds; after the Mul alone a
                      DEPTHWISE_CONV_2D; the division by a constant right after a convolution folds into it
- nop_forms.onnx      ReduceMean/Max/Min/Sum with keepdims over a dimension of size 1 and a Cast to float of a float
                      (nothing in the artifact), a ReduceMean without keepdims (a MEAN), a ReduceMax of one element
                      without keepdims (still a REDUCE_MAX), x - 0, x + 0, x · 1 and x / 1 (nothing), reductions
                      without keepdims unsqueezed back (over a dimension of size 1 nothing, else a SUM alone)
- clip_bounds.onnx    Clips with a bound computed at run time (a top-dB clamp: the maximum less 80 as the lower bound;
                      the minimum plus 80 as the upper over a constant lower) and with one constant bound: onnx2tf
                      drops the run-time bound (MINIMUM, MAXIMUM) and what computed it is pruned
- clip_open_bound.onnx a Clip whose lower bound is computed at run time and which has no upper bound: onnx2tf fails
- convtranspose_batch.onnx a ConvTranspose (its own bias) of an input whose batch is free and sizes fixed: onnx2tf fails
- convtranspose_free_sizes.onnx a ConvTranspose (batch 1, sizes free) and an Add of a [1, 4, 1, 1] constant: its file
                     fails when run at other sizes
- convtranspose_twice.onnx a ConvTranspose (batch and sizes free) added to itself, then a [1, 4, 1, 1] constant
- expand_shape.onnx  constants expanded to the Shape of an input whose batch alone is free: [1, 4, 1, 1] (fails) and [1]
- expand_concat.onnx constants expanded to a shape concatenated from x [n, 4, 16]'s batch and [4, 16]: [1, 1, 16] (fails)
                     and [1] (converts)
- kept_affine.onnx   x [n, 4, h, w], read by no spatial operator (the driver keeps its shape): x · [1, 4, 1, 1] + [1, 4, 1, 1]
                     (onnx2tf lays both channels-last: fails when run with the sizes free), + [1, 1, 1, 1] (converts)
- slice_open_end.onnx Slices to INT64_MAX (torch's x[:, :, 1:]) of x [n, 4, h, w]: over the free height (its file is one
                     row short), over the fixed channels (right), of every element of the width (dropped), and the
                     height reversed (steps -1, ends INT64_MIN: exact)
- reshape_free.onnx  Reshapes of an input whose sizes are free: by [0, -1] (its file fails at other sizes) and [-1, 4]
- free_sizes_conv.onnx a Conv on an input whose height and width are free (SW4023's example)
- reshape_runtime.onnx tokens of x [n, 4, h, w] (Reshape 'tokens' by Concat(the batch from its Shape, -1, 4): runs)
                     put back into an image by Reshape 'image' by Concat(0, its sizes from the Shape, 4): fails when run
- expand_runtime.onnx jax2tf's one_hot on bytes [n, 16]: reshaped to [n, 16, 1], broadcast by the input's Shape, then
                     compared with [1, 1, 9] (widens its last dimension: onnx2tf fails) and with [9] (converts)
- tile_free.onnx     Tiles that free input dimensions reach: three of a 4-D output (onnx2tf fails), two of a 3-D one
- convtranspose_sizes.onnx ConvTransposes of an input whose batch and sizes are free: one with an Add of a [1, 4, 1, 1]
                      constant after it (Paddle's bias), which onnx2tf fails on, then one without, which it converts
- recurrent_nobias.onnx time-major recurrences without a bias, squeezed: a GRU whose B is an empty name (nn.GRU(bias
                      =False)'s export), an LSTM with no B, an RNN with a zero B (onnx2tf needs the driver's zero bias)
- recurrent_stateless.onnx an LSTM with no initial state inputs: onnx2tf fails
- transformer_forms.onnx a lookup by run-time int64 ids, constant embeddings added in turn, Reshapes merging leading
                      dimensions before Gemms, merging the last too, and putting back a leading 1 before a residual
                      Add (maskseq-transformer's idioms)
- mul_folds.onnx      scalings by one number that only a convolution or a FULLY_CONNECTED reads (folded into its
                      weights), and one per channel and one read twice (MULs)
- recurrent_forms.onnx a bidirectional LSTM with its initial states given, a forward GRU starting at zero and a
                      bidirectional RNN starting from a zero initializer, over one batch-first sequence: WHILE loops
                      per direction (unrolled when full integer), reversed sequences, each direction's state sliced
- recurrent_step.onnx a streaming GRU of one step a call between the Transposes of its step axis (RESHAPEs)
- converter_rewrites.onnx a strided convolution padded by 1 (onnx2tf pads it explicitly), a hard swish written out
                      (x · clip(x + 3, 0, 6) / 6), a convolution and a Relu, a MatMul and its bias, a layer norm dividing by
                      a Sqrt: what TensorFlow's converter writes as PAD, HARD_SWISH, a fused activation, a
                      FULLY_CONNECTED with a bias, MUL and RSQRT
- one_hot_bytes.onnx  int32 bytes [1, 64] one-hot encoded as JAX's exporter writes it (magika): Reshape to
                      [1, 64, 1], an Expand to the same shape, Equal to the constant 0 … 15 ([1, 1, 16]), Cast to
                      float, MatMul by a table; a second input so encoded, its MatMul followed by a bias; a third
                      compared with 1 … 16 (no one-hot) and Expanded to [1, 64, 16]. TensorFlow's converter writes
                      the first as an EMBEDDING_LOOKUP, the second as ONE_HOT and FULLY_CONNECTED (TFLite Micro has
                      no ONE_HOT), the third as EQUAL and CAST, the widening Expand as a MUL
- qnn_shape_if.onnx   Shapes with start 1 and with an empty slice, an If with two outputs per branch: QNN's HTP
                      takes neither the empty slice nor the two outputs
- conv3d.onnx         a 3-D convolution: QNN's HTP runs it since ONNX Runtime 1.18
- qnn_restrictions.onnx a GRU with an initial hidden state, a Gather of index -1 and a QLinearMatMul with per-column
                      b scales: outside QNN's HTP notes
- ep_restrictions.onnx a Split into 1 and 3 beside one into halves, a Gemm of a computed B not transposed beside one
                      of a stored B, a Pow by an int64 exponent beside one by a float: NNAPI takes only equal splits and a
                      computed B transposed, Core ML only float32 Pow
- value_branch.onnx   an If on a scalar input whose other branch reshapes 12 values into rows of 5: at a fixed batch
                      ONNX Runtime's load-time inference fails on it, whatever value the manifest gives
- trt_loops.onnx      three Loops and an EyeLike in a file whose inputs are all fixed: a Loop whose trip count is a
                      graph input and which has a scan output, one whose carried value doubles its width each
                      iteration, one that keeps both rules: TensorRT refuses the first two
- cuda_types.onnx     a Where choosing between bool values beside one choosing between float values: ONNX Runtime's
                      CUDA kernels take no bool data (OperatorKernels.md), so the first runs on the CPU provider
- eyelike_dynamic.onnx an EyeLike on a value of a free batch: whether TensorRT knows its dimensions is undecided
- onnx_tool_macs.json onnx-tool's total MACs for each of these and for the example models
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "targets")
EXAMPLES = {
    "mobilenet_tiny.onnx": os.path.join(ROOT, "examples", "mobile-cnn", "models", "mobilenet_tiny.onnx"),
    "encoder.onnx": os.path.join(ROOT, "examples", "transformer-server", "models", "encoder.onnx"),
    "ds_cnn_kws.onnx": os.path.join(ROOT, "examples", "kws-mcu", "models", "ds_cnn_kws.onnx"),
}
# The example models have a dynamic batch (and sequence); these are the shapes the manifests fix.
EXAMPLE_INPUTS = {
    "mobilenet_tiny.onnx": {"image": [1, 3, 96, 96]},
    "encoder.onnx": {"input_ids": [1, 128]},
    "ds_cnn_kws.onnx": {"mfcc": [1, 1, 49, 10]},
}


def model(nodes, inputs, outputs, inits, opset=13, ir=8, domains=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(g, opset_imports=imports, producer_name="slipway-target-fixtures", producer_version="1")
    m.ir_version = ir
    return m


def save(m, name, check=True):
    if check:
        onnx.checker.check_model(m, full_check=True)
    path = os.path.join(OUT, name)
    onnx.save_model(m, path)
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")
    return path


def w(rng, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), f"w{rng.integers(1 << 30)}")


def cnn(rng, name, batch, middle=None, dilations=None, head=None, strides=(2, 2)):
    """conv-relu, [middle], conv-relu, global pool, flatten, gemm: 3x16x16 in, 10 classes out."""
    w1, b1, w2, b2, wf = w(rng, 8, 3, 3, 3), w(rng, 8), w(rng, 16, 8, 3, 3), w(rng, 16), w(rng, 10, 16)
    inits = [w1, b1, w2, b2, wf]
    nodes = [helper.make_node("Conv", ["x", w1.name, b1.name], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1")]
    x = "r1"
    if middle == "tile":
        reps = numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64), "tile.repeats")
        inits.append(reps)
        nodes.append(helper.make_node("Tile", ["r1", "tile.repeats"], ["t"], name="tile"))
        x = "t"
    if middle == "expand":
        shape = numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64), "expand.shape")
        inits.append(shape)
        nodes.append(helper.make_node("Expand", ["r1", "expand.shape"], ["t"], name="expand"))
        x = "t"
    conv2 = {"dilations": dilations, "pads": [2, 1, 2, 1]} if dilations else {"pads": [1, 1, 1, 1]}
    nodes += [helper.make_node("Conv", [x, w2.name, b2.name], ["c2"], name="conv2", kernel_shape=[3, 3], strides=list(strides), **conv2),
              helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
              helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool")]
    if head == "softmax":
        # Reshape rather than Flatten: both Core ML EP tables have Reshape, only NeuralNetwork has Flatten.
        # The shape as a Constant node and an Identity at the end, as exporters write them: ONNX Runtime folds
        # both before any execution provider sees the graph.
        shape = numpy_helper.from_array(np.array([batch, 16], np.int64), "flat.shape")
        nodes += [helper.make_node("Constant", [], ["flat.shape"], name="flat.shape", value=shape),
                  helper.make_node("Reshape", ["p", "flat.shape"], ["f"], name="flatten"),
                  helper.make_node("Gemm", ["f", wf.name], ["logits"], name="fc", transB=1),
                  helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
                  helper.make_node("Identity", ["probs"], ["y"], name="output")]
    else:
        nodes += [helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
                  helper.make_node("Gemm", ["f", wf.name], ["y"], name="fc", transB=1)]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 16, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 10])], inits)
    return save(m, name)


def dilated_depthwise(rng):
    """conv-relu, then a depthwise convolution strided 2 and dilated 2 (group 8 over 8 channels), pool, gemm."""
    w1, b1, w2, b2, wf = w(rng, 8, 3, 3, 3), w(rng, 8), w(rng, 8, 1, 3, 3), w(rng, 8), w(rng, 10, 8)
    nodes = [helper.make_node("Conv", ["x", w1.name, b1.name], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", w2.name, b2.name], ["c2"], name="depthwise", kernel_shape=[3, 3], group=8,
                              strides=[2, 2], dilations=[2, 2], pads=[2, 2, 2, 2]),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
             helper.make_node("Gemm", ["f", wf.name], ["y"], name="fc", transB=1)]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], [w1, b1, w2, b2, wf])
    return save(m, "dilated_depthwise.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    made = {}

    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [], opset=21, ir=10)
    made["opset21.onnx"] = (save(m, "opset21.onnx"), {})

    m = model([helper.make_node("FancyNorm", ["x"], ["y"], name="fancy", domain="com.example")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [], domains=["com.example"])
    save(m, "custom_domain.onnx", check=False)  # the checker rejects ops of an unregistered domain, as ORT does

    wm = numpy_helper.from_array((rng.standard_normal((16, 32)) * 0.1).astype(np.float32), "fc.weight")
    consts = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in
              (("gelu.rsqrt2", 1 / np.sqrt(2)), ("gelu.one", 1.0), ("gelu.half", 0.5))]
    nodes = [helper.make_node("MatMul", ["x", "fc.weight"], ["h"], name="fc"),
             helper.make_node("Mul", ["h", "gelu.rsqrt2"], ["s"], name="gelu.scale"),
             helper.make_node("Erf", ["s"], ["e"], name="gelu.erf"),
             helper.make_node("Add", ["e", "gelu.one"], ["a"], name="gelu.add"),
             helper.make_node("Mul", ["h", "gelu.half"], ["hh"], name="gelu.halve"),
             helper.make_node("Mul", ["hh", "a"], ["y"], name="gelu")]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 32])], [wm] + consts)
    made["erf_gelu.onnx"] = (save(m, "erf_gelu.onnx"), {})

    made["dynamic_batch.onnx"] = (cnn(rng, "dynamic_batch.onnx", "batch"), {"x": [1, 3, 16, 16]})
    made["batch2_conv.onnx"] = (cnn(rng, "batch2_conv.onnx", 2), {})
    made["tile_mid.onnx"] = (cnn(rng, "tile_mid.onnx", 1, middle="tile"), {})
    made["cnn_softmax.onnx"] = (cnn(rng, "cnn_softmax.onnx", 1, head="softmax"), {})
    made["dilated_conv.onnx"] = (cnn(rng, "dilated_conv.onnx", 1, dilations=[2, 1]), {})

    wm = numpy_helper.from_array((rng.standard_normal((16, 8)) * 0.1).astype(np.float32), "proj.weight")
    m = model([helper.make_node("MatMul", ["x", "w"], ["h"], name="attn.scores"),
               helper.make_node("MatMul", ["h", "proj.weight"], ["y"], name="proj")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 16]),
               helper.make_tensor_value_info("w", TensorProto.FLOAT, [16, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8])], [wm])
    made["runtime_b.onnx"] = (save(m, "runtime_b.onnx"), {})

    m = model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
               helper.make_node("Unique", ["r"], ["y"], name="dedup", sorted=1)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])], [])
    save(m, "unique.onnx")

    m = model([helper.make_node("MaxPool", ["x"], ["y"], name="pool1d", kernel_shape=[2], strides=[2])],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8])], [])
    save(m, "maxpool1d.onnx")

    m = model([helper.make_node("AveragePool", ["x"], ["y"], name="avg1d", kernel_shape=[2], strides=[2])],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8])], [])
    save(m, "avgpool1d.onnx")

    m = model([helper.make_node("MaxPool", ["x"], ["y"], name="pool4d", kernel_shape=[2, 2, 2, 2])],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4, 4, 4])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 3, 3, 3])], [])
    save(m, "maxpool4d.onnx")

    scalar = lambda n, t, v: helper.make_tensor(n, t, [], [v])
    m = model([helper.make_node("QuantizeLinear", ["x", "s", "zp0"], ["q0"], name="sym.quant"),
               helper.make_node("DequantizeLinear", ["q0", "s", "zp0"], ["d0"], name="sym.dequant"),
               helper.make_node("QuantizeLinear", ["d0", "s", "zp128"], ["q1"], name="asym.quant"),
               helper.make_node("DequantizeLinear", ["q1", "s", "zp128"], ["y"], name="asym.dequant")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
              [scalar("s", TensorProto.FLOAT, 0.05), scalar("zp0", TensorProto.INT8, 0),
               scalar("zp128", TensorProto.UINT8, 128)])
    save(m, "qdq_zero_points.onnx")

    m = model([helper.make_node("QuantizeLinear", ["x", "s", "zpu"], ["q"], name="act.quant"),
               helper.make_node("DequantizeLinear", ["q", "s", "zpu"], ["a"], name="act.dequant"),
               helper.make_node("DequantizeLinear", ["w", "ws", "zp0"], ["wf"], name="weight.dequant"),
               helper.make_node("MatMul", ["a", "wf"], ["y"], name="matmul")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
              [scalar("s", TensorProto.FLOAT, 0.05), scalar("zpu", TensorProto.UINT8, 0),
               scalar("ws", TensorProto.FLOAT, 0.02), scalar("zp0", TensorProto.INT8, 0),
               numpy_helper.from_array(np.arange(-16, 16, dtype=np.int8).reshape(8, 4), "w")])
    s = __import__("onnxruntime").InferenceSession(save(m, "qdq_uint8.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 8], np.float32)})[0].shape == (1, 4)

    m = model([helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="quant"),
               helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], name="dequant")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8]),
               helper.make_tensor_value_info("zp", TensorProto.INT8, [])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [scalar("s", TensorProto.FLOAT, 0.05)])
    s = __import__("onnxruntime").InferenceSession(save(m, "qdq_runtime_zero_point.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 8], np.float32), "zp": np.array(0, np.int8)})[0].shape == (1, 8)

    m = model([helper.make_node("OneHot", ["i", "depth", "onoff"], ["a"], name="onehot.const"),
               helper.make_node("OneHot", ["i", "n", "onoff"], ["b"], name="onehot.runtime")],
              [helper.make_tensor_value_info("i", TensorProto.INT64, [4]),
               helper.make_tensor_value_info("n", TensorProto.INT64, [])],
              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [4, 10]),
               helper.make_tensor_value_info("b", TensorProto.FLOAT, [4, None])],
              [scalar("depth", TensorProto.INT64, 10), helper.make_tensor("onoff", TensorProto.FLOAT, [2], [0, 1])])
    s = __import__("onnxruntime").InferenceSession(save(m, "onehot_depth.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"i": np.array([0, 1, 2, 3], np.int64), "n": np.array(6, np.int64)})[1].shape == (4, 6)

    m = model([helper.make_node("Dropout", ["x", "ratio", "training"], ["y"], name="drop")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
              [scalar("ratio", TensorProto.FLOAT, 0.5), scalar("training", TensorProto.BOOL, True)])
    save(m, "dropout_training.onnx")

    m = model([helper.make_node("Swish", ["x"], ["y"], name="act", alpha=1.0)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [], opset=24, ir=11)
    save(m, "swish_opset24.onnx", check=False)  # the onnx package here predates opset 24

    lrng = np.random.default_rng(41)
    m = model([helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="lstm", hidden_size=4, layout=1)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5, 3])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5, 1, 4])],
              [numpy_helper.from_array((lrng.standard_normal((1, 16, 3)) * 0.1).astype(np.float32), "W"),
               numpy_helper.from_array((lrng.standard_normal((1, 16, 4)) * 0.1).astype(np.float32), "R")], opset=14)
    save(m, "lstm_batch_first.onnx")

    m = model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
               helper.make_node("IsInf", ["r"], ["y"], name="isinf")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
              [helper.make_tensor_value_info("y", TensorProto.BOOL, [1, 16])], [])
    save(m, "isinf.onnx")

    erng = np.random.default_rng(43)
    table = numpy_helper.from_array((erng.standard_normal((50, 8)) * 0.1).astype(np.float32), "table")
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 6])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6, 8])
    save(model([helper.make_node("Gather", ["table", "input_ids"], ["e"], name="embed"),
                helper.make_node("Relu", ["e"], ["y"], name="relu")], [ids], [out], [table]), "embedding_int64.onnx")
    ids32 = helper.make_tensor_value_info("input_ids", TensorProto.INT32, [1, 6])
    save(model([helper.make_node("Gather", ["table", "input_ids"], ["e"], name="embed"),
                helper.make_node("Relu", ["e"], ["y"], name="relu")], [ids32], [out], [table]), "embedding_int32.onnx")

    m = model([helper.make_node("TopK", ["x", "k"], ["values", "indices"], name="topk", axis=-1)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16]),
               helper.make_tensor_value_info("k", TensorProto.INT64, [1])],
              [helper.make_tensor_value_info("values", TensorProto.FLOAT, [1, None]),
               helper.make_tensor_value_info("indices", TensorProto.INT64, [1, None])], [])
    s = __import__("onnxruntime").InferenceSession(save(m, "topk_runtime_k.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 16], np.float32), "k": np.array([3], np.int64)})[0].shape == (1, 3)

    m = model([helper.make_node("ReduceMean", ["x"], ["y"], name="batch.mean", axes=[0], keepdims=1)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [])
    save(m, "batch_mean.onnx")

    m = model([helper.make_node("Softmax", ["x"], ["y"], name="classes", axis=1)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 20000])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 20000])], [])
    save(m, "wide_softmax.onnx")

    m = model([helper.make_node("ReduceMean", ["x", "axes"], ["y"], name="pool.mean", keepdims=1)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 8, 4]),
               helper.make_tensor_value_info("axes", TensorProto.INT64, [2])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 1, 4])], [], opset=18, ir=8)
    save(m, "runtime_axes.onnx")

    def branch(name, op):
        out = helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [1, 8])
        return helper.make_graph([helper.make_node(op, ["r"], [f"{name}_out"], name=f"{name}.{op.lower()}")], name, [], [out])
    inits = [numpy_helper.from_array(np.array(1, np.int64), "dim"), numpy_helper.from_array(np.array(8, np.int64), "eight")]
    m = model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
               helper.make_node("Shape", ["r"], ["shape"], name="shape"),
               helper.make_node("Gather", ["shape", "dim"], ["width"], name="width"),
               helper.make_node("Equal", ["width", "eight"], ["is8"], name="is8"),
               helper.make_node("If", ["is8"], ["y"], name="check.width", then_branch=branch("then", "Sigmoid"),
                                else_branch=branch("else", "Tanh")),
               helper.make_node("If", ["flag"], ["z"], name="runtime.flag", then_branch=branch("then2", "Sigmoid"),
                                else_branch=branch("else2", "Tanh"))],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8]),
               helper.make_tensor_value_info("flag", TensorProto.BOOL, [])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8]),
               helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 8])], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "shape_if.onnx"), providers=["CPUExecutionProvider"])
    s.run(None, {"x": np.ones([1, 8], np.float32), "flag": np.array(True)})
    made["expand_mid.onnx"] = (cnn(np.random.default_rng(31), "expand_mid.onnx", 1, middle="expand"), {})
    verify_with_onnxruntime([made["expand_mid.onnx"][0]])
    # onnx2tf converts a strided dilated convolution only when it is depthwise (that one it strides by slicing):
    # TensorFlow refuses the pair in any other (dilated_conv.onnx's); unstrided, the dilation alone converts.
    made["dilated_unstrided.onnx"] = (cnn(np.random.default_rng(37), "dilated_unstrided.onnx", 1, dilations=[2, 1], strides=(1, 1)), {})
    made["dilated_depthwise.onnx"] = (dilated_depthwise(np.random.default_rng(41)), {})
    verify_with_onnxruntime([made["dilated_unstrided.onnx"][0], made["dilated_depthwise.onnx"][0]])
    verify_with_onnxruntime([made[k][0] for k in ("cnn_softmax.onnx", "dilated_conv.onnx", "runtime_b.onnx")] +
                            [os.path.join(OUT, n) for n in ("unique.onnx", "maxpool1d.onnx", "avgpool1d.onnx", "qdq_zero_points.onnx",
                                                       "isinf.onnx", "batch_mean.onnx",
                                                      "wide_softmax.onnx")])
    s = __import__("onnxruntime").InferenceSession(os.path.join(OUT, "runtime_axes.onnx"), providers=["CPUExecutionProvider"])
    s.run(None, {"x": np.ones([1, 8, 8, 4], np.float32), "axes": np.array([1, 2], np.int64)})

    # PyTorch's export of x[:, 1:] and x[:, ::-2]: Slice with ends = INT64_MAX / INT64_MIN in int64 initializers
    # (the bounds that once passed through float32 and trapped the analysis), then a MatMul on the slice.
    srng = np.random.default_rng(17)
    big, small = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    inits = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in
             (("starts", [1]), ("ends", [big]), ("axes", [1]), ("rstarts", [-1]), ("rends", [small]), ("rsteps", [-2]))]
    inits.append(numpy_helper.from_array((srng.standard_normal((16, 4)) * 0.1).astype(np.float32), "proj.weight"))
    m = model([helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["tail"], name="tail"),
               helper.make_node("Slice", ["tail", "rstarts", "rends", "axes", "rsteps"], ["rev"], name="reverse"),
               helper.make_node("MatMul", ["rev", "proj.weight"], ["y"], name="proj")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 9, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4])], inits)
    made["slice_int64_max.onnx"] = (save(m, "slice_int64_max.onnx"), {})
    verify_with_onnxruntime([made["slice_int64_max.onnx"][0]])

    # torch.nn.functional.pad as PyTorch exports it: the pads computed at run time from
    # Concat(constant, ConstantOfShape(value=int64 0)) -> Reshape [-1, 2] -> Slice (reversed) -> Transpose ->
    # Reshape [-1] -> Cast, then a reflect Pad and a Conv; and an If whose condition is shape arithmetic
    # (Size(Shape(x)) == 3, as `if x.dim() == 3`), whose taken branch is an Identity and the other a Reshape.
    prng = np.random.default_rng(23)
    i64 = lambda n, v: numpy_helper.from_array(np.array(v, np.int64), n)
    cos_value = helper.make_tensor("v", TensorProto.INT64, [1], [0])
    nodes = [
        helper.make_node("ConstantOfShape", ["n_zero"], ["zeros"], name="pad.zeros", value=cos_value),
        helper.make_node("Concat", ["given", "zeros"], ["flat"], name="pad.concat", axis=0),
        helper.make_node("Reshape", ["flat", "pairs"], ["table"], name="pad.table"),
        helper.make_node("Slice", ["table", "s0", "e0", "a0", "st0"], ["rev"], name="pad.reverse"),
        helper.make_node("Transpose", ["rev"], ["tt"], name="pad.transpose", perm=[1, 0]),
        helper.make_node("Reshape", ["tt", "minus1"], ["pads64"], name="pad.flat"),
        helper.make_node("Pad", ["x", "pads64"], ["padded"], name="pad", mode="reflect"),
        helper.make_node("Conv", ["padded", "conv.weight"], ["c"], name="conv"),
        helper.make_node("Shape", ["c"], ["cs"], name="rank.shape"),
        helper.make_node("Size", ["cs"], ["rank"], name="rank.size"),
        helper.make_node("Equal", ["rank", "three"], ["is3"], name="rank.is3"),
        helper.make_node("If", ["is3"], ["y"], name="branch",
                         then_branch=helper.make_graph([helper.make_node("Identity", ["c"], ["t_out"], name="keep")], "then", [],
                                                       [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [1, 4, 13])]),
                         else_branch=helper.make_graph([helper.make_node("Reshape", ["c", "minus1"], ["e_out"], name="flatten")], "else", [],
                                                       [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [52])])),
    ]
    inits = [i64("n_zero", [4]), i64("given", [2, 3]), i64("pairs", [-1, 2]), i64("s0", [-1]),
             i64("e0", [np.iinfo(np.int64).min]), i64("a0", [0]), i64("st0", [-1]), i64("minus1", [-1]), i64("three", 3),
             numpy_helper.from_array((prng.standard_normal((4, 2, 3)) * 0.1).astype(np.float32), "conv.weight")]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 10])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 13])], inits, opset=16)
    # Not in onnx_tool_macs.json: onnx-tool cannot evaluate Size; the test states the MACs by hand.
    pad_if = save(m, "pytorch_pad_if.onnx")
    s = __import__("onnxruntime").InferenceSession(pad_if, providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 2, 10], np.float32)})[0].shape == (1, 4, 13)

    wt = numpy_helper.from_array((rng.standard_normal((16, 32)) * 0.1).astype(np.float32), "scores.weight")
    m = model([helper.make_node("MatMul", ["x", "scores.weight"], ["scores"], name="scores"),
               helper.make_node("TopK", ["scores", "k"], ["values", "indices"], name="best", axis=-1)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
              [helper.make_tensor_value_info("values", TensorProto.FLOAT, [1, 4]),
               helper.make_tensor_value_info("indices", TensorProto.INT64, [1, 4])],
              [wt, numpy_helper.from_array(np.array([4], np.int64), "k")])
    save(m, "topk_scores.onnx")

    restriction_fixtures()
    one_hot_fixtures()
    rewrite_fixtures()
    conv_form_fixtures()
    affine_form_fixtures()
    whole_axis_slice_fixture()
    attention_mask_fixture()
    nop_form_fixtures()
    clip_bound_fixtures()
    transposed_convolution_fixtures()
    free_tile_fixtures()
    runtime_expand_fixtures()
    runtime_reshape_fixtures()
    expand_shape_fixtures()
    kept_layout_fixtures()
    transformer_form_fixtures()
    mul_fold_fixtures()
    recurrent_form_fixtures()
    recurrent_step_fixtures()
    recurrent_bias_fixtures()
    branch_and_pair_fixtures()
    ep_table_fixtures()
    cuda_type_fixtures()
    tensorrt_static_fixtures()

    for name, path in EXAMPLES.items():
        made[name] = (path, EXAMPLE_INPUTS[name])
    macs = {name: onnx_tool_macs(path, inputs) for name, (path, inputs) in sorted(made.items())}
    with open(os.path.join(OUT, "onnx_tool_macs.json"), "w") as f:
        json.dump({"tool": "onnx-tool", "version": onnx_tool_version(), "inputs": {k: v[1] for k, v in sorted(made.items())},
                   "macs": macs}, f, indent=2, sort_keys=True)
        f.write("\n")
    print("wrote Tests/Fixtures/targets/onnx_tool_macs.json")
    return 0


def restriction_fixtures():
    """Models that break restrictions of onnx-tensorrt's matrix and QNN's table, each beside a node that keeps them."""
    ort = __import__("onnxruntime")
    run = lambda path, feeds: ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)
    f32 = lambda n, shape: helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
    const = lambda n, dtype, v: numpy_helper.from_array(np.array(v, dtype), n)

    # Resize (opset 18): TensorRT's matrix lists the transformation modes, nearest modes and aspect ratio policies
    # it supports, and no antialiasing.
    m = model([helper.make_node("Resize", ["x", "", "scales"], ["ok"], name="resize.ok", mode="linear"),
               helper.make_node("Resize", ["x", "roi", "scales"], ["crop"], name="resize.crop",
                                coordinate_transformation_mode="tf_crop_and_resize", mode="linear"),
               helper.make_node("Resize", ["x", "", "scales"], ["aa"], name="resize.antialias", mode="linear",
                                antialias=1),
               helper.make_node("Resize", ["x", "", "", "sizes"], ["fit"], name="resize.fit",
                                keep_aspect_ratio_policy="not_larger")],
              [f32("x", [1, 2, 4, 4])],
              [f32("ok", [1, 2, 8, 8]), f32("crop", [1, 2, 8, 8]), f32("aa", [1, 2, 8, 8]), f32("fit", [1, 2, None, None])],
              [const("scales", np.float32, [1, 1, 2, 2]), const("roi", np.float32, [0, 0, 0, 0, 1, 1, 1, 1]),
               const("sizes", np.int64, [1, 2, 6, 8])], opset=18)
    outs = run(save(m, "resize_modes.onnx"), {"x": np.ones([1, 2, 4, 4], np.float32)})
    assert [o.shape for o in outs][:3] == [(1, 2, 8, 8)] * 3

    # MaxPool with dilations 2 and one whose Indices output is used; TopK unsorted and with K 3900; an Unsqueeze
    # whose axes are a graph input; a LayerNormalization whose Mean output is used.
    m = model([helper.make_node("MaxPool", ["x"], ["dil"], name="pool.dilated", kernel_shape=[2, 2], dilations=[2, 2]),
               helper.make_node("MaxPool", ["x"], ["p", "idx"], name="pool.indices", kernel_shape=[2, 2]),
               helper.make_node("MaxPool", ["x"], ["plain"], name="pool.plain", kernel_shape=[2, 2], dilations=[1, 1]),
               helper.make_node("TopK", ["v", "k5"], ["uv", "ui"], name="topk.unsorted", sorted=0),
               helper.make_node("TopK", ["v", "k3900"], ["bv", "bi"], name="topk.large"),
               helper.make_node("Unsqueeze", ["v", "axes"], ["u"], name="unsqueeze.runtime"),
               helper.make_node("LayerNormalization", ["v", "gamma"], ["ln", "mean"], name="norm.mean", axis=-1)],
              [f32("x", [1, 1, 6, 6]), f32("v", [1, 4000]), helper.make_tensor_value_info("axes", TensorProto.INT64, [1])],
              [f32("dil", [1, 1, 4, 4]), f32("p", [1, 1, 5, 5]), helper.make_tensor_value_info("idx", TensorProto.INT64, [1, 1, 5, 5]),
               f32("plain", [1, 1, 5, 5]), f32("uv", [1, 5]), helper.make_tensor_value_info("ui", TensorProto.INT64, [1, 5]),
               f32("bv", [1, 3900]), helper.make_tensor_value_info("bi", TensorProto.INT64, [1, 3900]), f32("u", [None, None, None]),
               f32("ln", [1, 4000]), f32("mean", [1, 1])],
              [const("k5", np.int64, [5]), const("k3900", np.int64, [3900]), const("gamma", np.float32, np.ones(4000))],
              opset=17)
    outs = run(save(m, "pool_topk_parts.onnx"), {"x": np.ones([1, 1, 6, 6], np.float32), "v": np.ones([1, 4000], np.float32),
                                                "axes": np.array([0], np.int64)})
    assert outs[0].shape == (1, 1, 4, 4) and outs[6].shape == (1, 3900)

    # Bidirectional LSTMs, one with other activations in the reverse pass than in the forward one; Resizes (opset 18)
    # with axes [2, 3], one whose scales are computed at run time: TensorRT wants the same activations both ways, and
    # an iota axes list beside a tensor scales.
    brng = np.random.default_rng(53)
    lw = lambda n, *shape: numpy_helper.from_array((brng.standard_normal(shape) * 0.1).astype(np.float32), n)
    m = model([helper.make_node("LSTM", ["s", "W", "R"], ["same"], name="lstm.same", hidden_size=4, direction="bidirectional",
                                activations=["Sigmoid", "Tanh", "Tanh"] * 2),
               helper.make_node("LSTM", ["s", "W", "R"], ["mixed"], name="lstm.mixed", hidden_size=4, direction="bidirectional",
                                activations=["Sigmoid", "Tanh", "Tanh", "Sigmoid", "Relu", "Relu"]),
               helper.make_node("Resize", ["x", "", "two"], ["r.const"], name="resize.axes_const", axes=[2, 3], mode="linear"),
               helper.make_node("Resize", ["x", "", "k"], ["r.runtime"], name="resize.axes_runtime", axes=[2, 3], mode="linear")],
              [f32("s", [5, 1, 3]), f32("x", [1, 2, 4, 4]), f32("k", [2])],
              [f32("same", [5, 2, 1, 4]), f32("mixed", [5, 2, 1, 4]), f32("r.const", [1, 2, 8, 8]), f32("r.runtime", [1, 2, None, None])],
              [lw("W", 2, 16, 3), lw("R", 2, 16, 4), const("two", np.float32, [2, 2])], opset=18)
    outs = run(save(m, "bidirectional_axes.onnx"), {"s": np.ones([5, 1, 3], np.float32), "x": np.ones([1, 2, 4, 4], np.float32),
                                                    "k": np.array([2, 2], np.float32)})
    assert outs[1].shape == (5, 2, 1, 4) and outs[3].shape == (1, 2, 8, 8)

    # A uint8 QuantizeLinear whose quantized output leaves the model with no DequantizeLinear after it, beside an
    # int8 one: TensorRT's QuantizeLinear quantizes to its Quantized Types only.
    m = model([helper.make_node("QuantizeLinear", ["x", "s", "zpu"], ["qu"], name="quant.uint8"),
               helper.make_node("QuantizeLinear", ["x", "s", "zpi"], ["qi"], name="quant.int8")],
              [f32("x", [1, 8])],
              [helper.make_tensor_value_info("qu", TensorProto.UINT8, [1, 8]),
               helper.make_tensor_value_info("qi", TensorProto.INT8, [1, 8])],
              [const("s", np.float32, 0.05), const("zpu", np.uint8, 0), const("zpi", np.int8, 0)])
    run(save(m, "quantize_uint8_alone.onnx"), {"x": np.ones([1, 8], np.float32)})

    # Noise from RandomNormalLike with a seed, added to the input: TensorRT ignores the seed (a restriction no check
    # can evaluate, said as information).
    m = model([helper.make_node("RandomNormalLike", ["x"], ["noise"], name="noise", seed=7.0, scale=0.01),
               helper.make_node("Add", ["x", "noise"], ["y"], name="jitter")],
              [f32("x", [1, 8])], [f32("y", [1, 8])], [])
    assert run(save(m, "random_seed.onnx"), {"x": np.ones([1, 8], np.float32)})[0].shape == (1, 8)

    # Resizes with tf_half_pixel_for_nn: QNN's HTP takes it with mode nearest and nearest_mode floor only.
    m = model([helper.make_node("Resize", ["x", "", "scales"], ["a"], name="resize.tf_nearest_floor", mode="nearest",
                                coordinate_transformation_mode="tf_half_pixel_for_nn", nearest_mode="floor"),
               helper.make_node("Resize", ["x", "", "scales"], ["b"], name="resize.tf_linear", mode="linear",
                                coordinate_transformation_mode="tf_half_pixel_for_nn")],
              [f32("x", [1, 2, 4, 4])], [f32("a", [1, 2, 8, 8]), f32("b", [1, 2, 8, 8])],
              [const("scales", np.float32, [1, 1, 2, 2])], opset=13)
    assert [o.shape for o in run(save(m, "resize_tf_half_pixel.onnx"), {"x": np.ones([1, 2, 4, 4], np.float32)})] == [(1, 2, 8, 8)] * 2

    # Shapes with start 1 and with start 3, end 1 (an empty slice), and an If whose branches give two outputs: QNN's
    # HTP takes no empty slice and one output per branch.
    branch = lambda tag: helper.make_graph(
        [helper.make_node("Identity", ["x"], [f"{tag}0"], name=f"{tag}.a"), helper.make_node("Identity", ["x"], [f"{tag}1"], name=f"{tag}.b")],
        tag, [], [f32(f"{tag}0", [1, 3, 4, 4]), f32(f"{tag}1", [1, 3, 4, 4])])
    m = model([helper.make_node("Shape", ["x"], ["dims"], name="shape.tail", start=1),
               helper.make_node("Shape", ["x"], ["none"], name="shape.empty", start=3, end=1),
               helper.make_node("If", ["c"], ["o0", "o1"], name="branch.two", then_branch=branch("then"), else_branch=branch("else"))],
              [f32("x", [1, 3, 4, 4]), helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
              [helper.make_tensor_value_info("dims", TensorProto.INT64, [3]), helper.make_tensor_value_info("none", TensorProto.INT64, [0]),
               f32("o0", [1, 3, 4, 4]), f32("o1", [1, 3, 4, 4])], [], opset=15)
    outs = run(save(m, "qnn_shape_if.onnx"), {"x": np.ones([1, 3, 4, 4], np.float32), "c": np.array(True)})
    assert list(outs[0]) == [3, 4, 4] and outs[1].shape == (0,)

    # A 3-D convolution (rank-5 input): QNN's HTP runs it since ONNX Runtime 1.18.
    crng = np.random.default_rng(47)
    m = model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv3d", kernel_shape=[2, 2, 2])],
              [f32("x", [1, 2, 4, 4, 4])], [f32("y", [1, 3, 3, 3, 3])],
              [numpy_helper.from_array((crng.standard_normal((3, 2, 2, 2, 2)) * 0.1).astype(np.float32), "w")])
    assert run(save(m, "conv3d.onnx"), {"x": np.ones([1, 2, 4, 4, 4], np.float32)})[0].shape == (1, 3, 3, 3, 3)

    # QNN's HTP: a GRU given an initial hidden state, a Gather of index -1, a QLinearMatMul with per-column b
    # scales and zero points.
    grng = np.random.default_rng(43)
    m = model([helper.make_node("GRU", ["s", "W", "R", "", "", "h0"], ["gy"], name="gru.h0", hidden_size=4),
               helper.make_node("Gather", ["t", "last"], ["g"], name="gather.last", axis=1),
               helper.make_node("Gather", ["t", "first"], ["g0"], name="gather.first", axis=1),
               helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["qy"], name="qmatmul.per_column")],
              [f32("s", [5, 1, 3]), f32("h0", [1, 1, 4]), f32("t", [2, 6]),
               helper.make_tensor_value_info("a", TensorProto.UINT8, [2, 3])],
              [f32("gy", [5, 1, 1, 4]), f32("g", [2]), f32("g0", [2]), helper.make_tensor_value_info("qy", TensorProto.UINT8, [2, 2])],
              [numpy_helper.from_array((grng.standard_normal((1, 12, 3)) * 0.1).astype(np.float32), "W"),
               numpy_helper.from_array((grng.standard_normal((1, 12, 4)) * 0.1).astype(np.float32), "R"),
               const("last", np.int64, -1), const("first", np.int64, 0),
               const("as", np.float32, 0.1), const("az", np.uint8, 128),
               const("b", np.uint8, [[1, 2], [3, 4], [5, 6]]), const("bs", np.float32, [0.1, 0.2]), const("bz", np.uint8, [128, 128]),
               const("ys", np.float32, 0.5), const("yz", np.uint8, 128)], opset=14)
    run(save(m, "qnn_restrictions.onnx"), {"s": np.ones([5, 1, 3], np.float32), "h0": np.zeros([1, 1, 4], np.float32),
                                           "t": np.ones([2, 6], np.float32), "a": np.ones([2, 3], np.uint8)})


def ep_table_fixtures():
    """Nodes outside the notes of ONNX Runtime's NNAPI and Core ML tables, each beside one inside them."""
    ort = __import__("onnxruntime")
    f32 = lambda n, shape: helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
    const = lambda n, dtype, v: numpy_helper.from_array(np.array(v, dtype), n)
    rng = np.random.default_rng(53)
    m = model([helper.make_node("Split", ["x", "sizes"], ["s1", "s3"], name="split.uneven", axis=1),
               helper.make_node("Split", ["x"], ["h1", "h2"], name="split.halves", axis=1),
               helper.make_node("Gemm", ["a", "b"], ["gb"], name="gemm.computed_b"),
               helper.make_node("Gemm", ["a", "w"], ["gw"], name="gemm.stored_b"),
               helper.make_node("Pow", ["x", "two_int"], ["pi"], name="pow.int_exponent"),
               helper.make_node("Pow", ["x", "two"], ["pf"], name="pow.float_exponent")],
              [f32("x", [1, 4, 2]), f32("a", [2, 3]), f32("b", [3, 4])],
              [f32("s1", [1, 1, 2]), f32("s3", [1, 3, 2]), f32("h1", [1, 2, 2]), f32("h2", [1, 2, 2]), f32("gb", [2, 4]),
               f32("gw", [2, 4]), f32("pi", [1, 4, 2]), f32("pf", [1, 4, 2])],
              [const("sizes", np.int64, [1, 3]), numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "w"),
               const("two_int", np.int64, 2), const("two", np.float32, 2)], opset=13)
    path = save(m, "ep_restrictions.onnx")

    # An If on a scalar input: `mode` 1 reshapes x [N, 12] to rows of 4, any other mode to rows of 5, which no size of
    # 12 values takes. The manifest's `mode: 1` never takes the second branch, but ONNX Runtime shape-checks it once
    # the batch is fixed in the file.
    rows = lambda tag, n: helper.make_graph(
        [helper.make_node("Reshape", ["x", f"{tag}_shape"], [f"{tag}_y"], name=f"{tag}.reshape")], tag, [],
        [f32(f"{tag}_y", ["R", n])], [const(f"{tag}_shape", np.int64, [-1, n])])
    m = model([helper.make_node("Equal", ["mode", "one"], ["is_one"], name="is_one"),
               helper.make_node("If", ["is_one"], ["y"], name="by_mode", then_branch=rows("fours", 4), else_branch=rows("fives", 5))],
              [f32("x", ["N", 12]), helper.make_tensor_value_info("mode", TensorProto.INT64, [])],
              [f32("y", ["R", "C"])], [const("one", np.int64, 1)], opset=13)
    branch = save(m, "value_branch.onnx")
    assert ort.InferenceSession(branch, providers=["CPUExecutionProvider"]).run(
        None, {"x": np.ones([2, 12], np.float32), "mode": np.array(1, np.int64)})[0].shape == (6, 4)
    outs = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {
        "x": np.ones([1, 4, 2], np.float32), "a": np.ones([2, 3], np.float32), "b": np.ones([3, 4], np.float32)})
    assert [o.shape for o in outs][:2] == [(1, 1, 2), (1, 3, 2)]


def cuda_type_fixtures():
    nodes = [helper.make_node("Where", ["c", "a", "b"], ["y"], name="where_bool"),
             helper.make_node("Where", ["c", "x", "z"], ["v"], name="where_float")]
    vi = helper.make_tensor_value_info
    save(model(nodes, [vi("c", TensorProto.BOOL, [4]), vi("a", TensorProto.BOOL, [4]), vi("b", TensorProto.BOOL, [4]),
                       vi("x", TensorProto.FLOAT, [4]), vi("z", TensorProto.FLOAT, [4])],
               [vi("y", TensorProto.BOOL, [4]), vi("v", TensorProto.FLOAT, [4])], [], opset=17), "cuda_types.onnx")


def tensorrt_static_fixtures():
    """Loops and EyeLikes against onnx-tensorrt's build-time rules, each beside one that keeps them."""
    ort = __import__("onnxruntime")
    f32 = lambda n, shape: helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
    i64 = lambda n, shape: helper.make_tensor_value_info(n, TensorProto.INT64, shape)
    boolean = lambda n: helper.make_tensor_value_info(n, TensorProto.BOOL, [])
    const = lambda n, dtype, v: numpy_helper.from_array(np.array(v, dtype), n)

    def body(tag, grow):
        # (iteration, cond, carried c) -> (cond, c', scan s): c' = c + c with c as a scan output, or (grow) c
        # concatenated to itself, twice as wide each iteration, with no scan output (ONNX Runtime wants scans of one shape).
        nodes = [helper.make_node("Identity", [f"{tag}_cond_in"], [f"{tag}_cond_out"], name=f"{tag}.cond"),
                 helper.make_node("Concat", [f"{tag}_c", f"{tag}_c"], [f"{tag}_next"], name=f"{tag}.grow", axis=1) if grow
                 else helper.make_node("Add", [f"{tag}_c", f"{tag}_c"], [f"{tag}_next"], name=f"{tag}.add")]
        outputs = [boolean(f"{tag}_cond_out"), f32(f"{tag}_next", [1, "W2" if grow else "W"])]
        if not grow:
            nodes.append(helper.make_node("Identity", [f"{tag}_c"], [f"{tag}_scan"], name=f"{tag}.scan"))
            outputs.append(f32(f"{tag}_scan", [1, "W"]))
        return helper.make_graph(nodes, tag, [i64(f"{tag}_i", []), boolean(f"{tag}_cond_in"), f32(f"{tag}_c", [1, "W"])], outputs)

    m = model([helper.make_node("Loop", ["m", "", "x"], ["ra", "sa"], name="loop.runtime_trips", body=body("a", False)),
               helper.make_node("Loop", ["three", "", "x"], ["rb"], name="loop.growing", body=body("b", True)),
               helper.make_node("Loop", ["three", "", "x"], ["rc", "sc"], name="loop.static", body=body("c", False)),
               helper.make_node("EyeLike", ["square"], ["eye"], name="eyelike.static")],
              [f32("x", [1, 4]), i64("m", []), f32("square", [4, 4])],
              [f32("ra", [1, 4]), f32("sa", ["T", 1, 4]), f32("rb", [1, "W"]), f32("rc", [1, 4]), f32("sc", [3, 1, 4]),
               f32("eye", [4, 4])],
              [const("three", np.int64, 3)], opset=16)
    outs = ort.InferenceSession(save(m, "trt_loops.onnx"), providers=["CPUExecutionProvider"]).run(None, {
        "x": np.ones([1, 4], np.float32), "m": np.array(2, np.int64), "square": np.ones([4, 4], np.float32)})
    assert outs[0].shape == (1, 4) and outs[1].shape == (2, 1, 4) and outs[2].shape == (1, 32) and outs[4].shape == (3, 1, 4)

    m = model([helper.make_node("EyeLike", ["x"], ["eye"], name="eyelike.dynamic")],
              [f32("x", ["N", 4])], [f32("eye", ["N", 4])], [], opset=16)
    assert ort.InferenceSession(save(m, "eyelike_dynamic.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"x": np.ones([4, 4], np.float32)})[0].shape == (4, 4)


def branch_and_pair_fixtures():
    """If nodes as PyTorch's exporter writes them for `squeeze(dim)` on a dimension whose size is known only at run
    time (then: Squeeze, else: Identity; the condition from Shape → Gather → Equal on the symbolic batch N), beside
    Ifs that keep TensorRT's and QNN's rules; and QDQ MatMuls whose quantized input types QNN's HTP does and does
    not take."""
    ort = __import__("onnxruntime")
    run = lambda path, feeds: ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)
    f32 = lambda n, shape: helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
    const = lambda n, dtype, v: numpy_helper.from_array(np.array(v, dtype), n)
    graph = lambda tag, nodes, out: helper.make_graph(nodes, tag, [], [out])

    squeeze = graph("then_ranks", [helper.make_node("Squeeze", ["x", "axes0"], ["squeezed"], name="then.squeeze")],
                    f32("squeezed", ["s0", "s1"]))
    keep = graph("else_ranks", [helper.make_node("Identity", ["x"], ["kept"], name="else.identity")], f32("kept", ["k0", "k1", "k2"]))
    same_then = graph("then_same", [helper.make_node("Relu", ["x"], ["twice"], name="then.relu")], f32("twice", [1, 3, 4]))
    same_else = graph("else_same", [helper.make_node("Neg", ["x"], ["twice"], name="else.neg")], f32("twice", [1, 3, 4]))
    fine_then = graph("then_fine", [helper.make_node("Relu", ["x"], ["pos"], name="then.pos")], f32("pos", [1, 3, 4]))
    fine_else = graph("else_fine", [helper.make_node("Neg", ["x"], ["neg"], name="else.neg2")], f32("neg", [1, 3, 4]))
    squeeze2 = graph("then_const", [helper.make_node("Squeeze", ["x", "axes0"], ["sq2"], name="then.squeeze2")], f32("sq2", ["s0", "s1"]))
    keep2 = graph("else_const", [helper.make_node("Identity", ["x"], ["kept2"], name="else.identity2")], f32("kept2", ["k0", "k1", "k2"]))
    m = model([helper.make_node("Shape", ["x"], ["dims"], name="dims"),
               helper.make_node("Gather", ["dims", "zero"], ["batch"], name="batch", axis=0),
               helper.make_node("Equal", ["batch", "one"], ["single"], name="single"),
               helper.make_node("If", ["single"], ["r"], name="if.ranks", then_branch=squeeze, else_branch=keep),
               helper.make_node("If", ["single"], ["n"], name="if.same_name", then_branch=same_then, else_branch=same_else),
               helper.make_node("If", ["single"], ["f"], name="if.fine", then_branch=fine_then, else_branch=fine_else),
               helper.make_node("If", ["always"], ["c"], name="if.constant", then_branch=squeeze2, else_branch=keep2)],
              [f32("x", ["N", 3, 4])], [f32("r", ["r0", "r1"]), f32("n", ["N", 3, 4]), f32("f", ["N", 3, 4]), f32("c", ["c0", "c1"])],
              [const("zero", np.int64, 0), const("one", np.int64, 1), const("axes0", np.int64, [0]),
               const("always", np.bool_, True)], opset=13)
    outs = run(save(m, "if_branches.onnx"), {"x": np.ones([1, 3, 4], np.float32)})
    assert outs[0].shape == (3, 4) and outs[3].shape == (3, 4)

    # An If on a scalar int64 input (an exporter's `if mode == 1`, silero-vad's `sr`): Relu or Neg.
    m = model([helper.make_node("Equal", ["mode", "one"], ["is_one"], name="is_one"),
               helper.make_node("If", ["is_one"], ["y"], name="by_mode", then_branch=fine_then, else_branch=fine_else)],
              [f32("x", [1, 3, 4]), helper.make_tensor_value_info("mode", TensorProto.INT64, [])],
              [f32("y", [1, 3, 4])], [const("one", np.int64, 1)], opset=13)
    ones = np.ones([1, 3, 4], np.float32)
    assert (run(save(m, "if_on_scalar.onnx"), {"x": ones, "mode": np.array(0, np.int64)})[0] == -ones).all()

    # Shape arithmetic and a ConstantOfShape on constants, as exporters write them: onnxruntime computes them while
    # it loads the model, before any provider is asked (the Shape only where the model's input shape is fixed).
    for name, batch in (("folded_by_ort.onnx", 1), ("folded_by_ort_dynamic.onnx", "N")):
        m = model([helper.make_node("Shape", ["x"], ["dims"], name="dims"),
                   helper.make_node("Gather", ["dims", "zero"], ["n"], name="n"),
                   helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="n1"),
                   helper.make_node("Concat", ["n1", "minus1"], ["flat_shape"], name="flat_shape", axis=0),
                   helper.make_node("Reshape", ["x", "flat_shape"], ["flat"], name="flat"),
                   helper.make_node("ConstantOfShape", ["bias_shape"], ["bias"], name="bias",
                                    value=numpy_helper.from_array(np.array([0.5], np.float32))),
                   helper.make_node("Add", ["flat", "bias"], ["y"], name="add")],
                  [f32("x", [batch, 3, 4, 4])], [f32("y", [batch, 48])],
                  [const("zero", np.int64, 0), const("axes0", np.int64, [0]), const("minus1", np.int64, [-1]),
                   const("bias_shape", np.int64, [1, 48])], opset=13)
        assert run(save(m, name), {"x": np.ones([1, 3, 4, 4], np.float32)})[0].shape == (1, 48)

    # MatMuls in QDQ form: int8 × int8 (onnxruntime quantize_static with QInt8 activations and weights), uint8 ×
    # uint8 (its default activations with uint8 weights), and a float one.
    qrng = np.random.default_rng(59)
    q = lambda n, z: [helper.make_node("QuantizeLinear", ["a", "sa", z], [f"{n}.q"], name=f"{n}.quant"),
                      helper.make_node("DequantizeLinear", [f"{n}.q", "sa", z], [f"{n}.a"], name=f"{n}.deq_a")]
    m = model(q("s8", "za_s8") + q("u8", "za_u8")
              + [helper.make_node("DequantizeLinear", ["w_s8", "sw", "zw_s8"], ["s8.w"], name="s8.deq_w"),
                 helper.make_node("DequantizeLinear", ["w_u8", "sw", "zw_u8"], ["u8.w"], name="u8.deq_w"),
                 helper.make_node("MatMul", ["s8.a", "s8.w"], ["y_s8"], name="matmul.int8_int8"),
                 helper.make_node("MatMul", ["u8.a", "u8.w"], ["y_u8"], name="matmul.uint8_uint8"),
                 helper.make_node("MatMul", ["a", "wf"], ["y_f"], name="matmul.float")],
              [f32("a", [2, 4])], [f32("y_s8", [2, 3]), f32("y_u8", [2, 3]), f32("y_f", [2, 3])],
              [const("sa", np.float32, 0.05), const("za_s8", np.int8, 0), const("za_u8", np.uint8, 128),
               const("w_s8", np.int8, qrng.integers(-100, 100, (4, 3))), const("w_u8", np.uint8, qrng.integers(0, 255, (4, 3))),
               const("sw", np.float32, 0.02), const("zw_s8", np.int8, 0), const("zw_u8", np.uint8, 128),
               numpy_helper.from_array((qrng.standard_normal((4, 3)) * 0.1).astype(np.float32), "wf")])
    assert [o.shape for o in run(save(m, "qdq_matmul_pairs.onnx"), {"a": np.ones([2, 4], np.float32)})] == [(2, 3)] * 3


def rewrite_fixtures():
    rng = np.random.default_rng(17)
    c = lambda name, v: numpy_helper.from_array(np.array(v, np.float32), name)
    inits = [numpy_helper.from_array((rng.standard_normal((8, 3, 3, 3)) * 0.2).astype(np.float32), "down.weight"),
             numpy_helper.from_array((rng.standard_normal((8, 8, 3, 3)) * 0.1).astype(np.float32), "same.weight"),
             numpy_helper.from_array((rng.standard_normal((8, 4)) * 0.3).astype(np.float32), "fc.weight"),
             c("fc.bias", (rng.standard_normal(4) * 0.1).astype(np.float32)), c("three", 3.0), c("six", 6.0),
             c("zero", 0.0), c("two", 2.0), c("eps", 1e-5), numpy_helper.from_array(np.array([1, 8], np.int64), "flat")]
    N = helper.make_node
    nodes = [N("Conv", ["x", "down.weight"], ["d"], name="down", strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             N("Add", ["d", "three"], ["d3"], name="hs.shift"), N("Clip", ["d3", "zero", "six"], ["gate"], name="hs.clip"),
             N("Mul", ["d", "gate"], ["dg"], name="hs.gate"), N("Div", ["dg", "six"], ["h"], name="hs.scale"),
             N("Conv", ["h", "same.weight"], ["s"], name="same", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             N("Relu", ["s"], ["r"], name="relu"), N("GlobalAveragePool", ["r"], ["p"], name="pool"),
             N("Reshape", ["p", "flat"], ["v"], name="flatten"),
             N("MatMul", ["v", "fc.weight"], ["f"], name="fc"), N("Add", ["f", "fc.bias"], ["fb"], name="fc.bias"),
             N("ReduceMean", ["fb"], ["mu"], name="norm.mean", axes=[-1]), N("Sub", ["fb", "mu"], ["dev"], name="norm.center"),
             N("Pow", ["dev", "two"], ["sq"], name="norm.square"), N("ReduceMean", ["sq"], ["var"], name="norm.var", axes=[-1]),
             N("Add", ["var", "eps"], ["ve"], name="norm.eps"), N("Sqrt", ["ve"], ["sd"], name="norm.sqrt"),
             N("Div", ["dev", "sd"], ["y"], name="norm.divide")]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "converter_rewrites.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 3, 16, 16], np.float32)})[0].shape == (1, 4)


def conv_form_fixtures():
    """conv_forms.onnx: what TensorFlow's converter makes of onnx2tf's convolutions and the arithmetic after them."""
    rng = np.random.default_rng(19)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.2).astype(np.float32), name)
    c = lambda name, v: numpy_helper.from_array(np.array(v, np.float32), name)
    inits = [W("wa", 8, 8, 3, 3), W("wb", 8, 8, 3, 3), W("wc", 8, 1, 5, 5), W("wd", 8, 8, 1, 1), W("bd", 8),
             numpy_helper.from_array(np.array([1, 8, 1, 1], np.int64), "bshape"), W("we", 8, 8, 1, 1), W("wf", 8, 8, 1, 1),
             c("three", 3.0), c("six", 6.0), c("zero", 0.0), c("three1", [3.0]), c("six1", [6.0])]
    N = helper.make_node
    nodes = [N("Conv", ["x1", "wa"], ["ya"], name="same.odd", strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             N("Conv", ["x2", "wb"], ["yb"], name="pad.even", strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             N("Conv", ["x3", "wc"], ["yc"], name="dw.rowstride", strides=[2, 1], pads=[2, 2, 2, 2], kernel_shape=[5, 5], group=8),
             N("Conv", ["x4", "wd"], ["cd"], name="se.conv", kernel_shape=[1, 1]),
             N("Reshape", ["bd", "bshape"], ["bd4"], name="bias.reshape"),
             N("Add", ["cd", "bd4"], ["cdb"], name="se.bias"),
             N("HardSigmoid", ["cdb"], ["hs"], name="se.gate", alpha=0.2, beta=0.5),
             N("Mul", ["x4", "hs"], ["yd"], name="se.scale")]
    for tag, w, three, six in (("scalar", "we", "three", "six"), ("one", "wf", "three1", "six1")):
        nodes += [N("Conv", ["x4", w], [f"{tag}.c"], name=f"{tag}.conv", kernel_shape=[1, 1]),
                  N("Add", [f"{tag}.c", three], [f"{tag}.s"], name=f"{tag}.shift"),
                  N("Clip", [f"{tag}.s", "zero", "six"], [f"{tag}.g"], name=f"{tag}.clip"),
                  N("Mul", [f"{tag}.c", f"{tag}.g"], [f"{tag}.p"], name=f"{tag}.gate"),
                  N("Div", [f"{tag}.p", six], [f"y{tag}"], name=f"{tag}.scale")]
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
           for n, s in [("x1", [1, 8, 7, 7]), ("x2", [1, 8, 8, 8]), ("x3", [1, 8, 3, 8]), ("x4", [1, 8, 4, 4])]]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in
            [("ya", [1, 8, 4, 4]), ("yb", [1, 8, 4, 4]), ("yc", [1, 8, 2, 8]), ("yd", [1, 8, 4, 4]),
             ("yscalar", [1, 8, 4, 4]), ("yone", [1, 8, 4, 4])]]
    s = __import__("onnxruntime").InferenceSession(save(model(nodes, ins, outs, inits), "conv_forms.onnx"),
                                                   providers=["CPUExecutionProvider"])
    feeds = {i.name: np.ones([d.dim_value for d in i.type.tensor_type.shape.dim], np.float32) for i in ins}
    assert [o.shape for o in s.run(None, feeds)][2] == (1, 8, 2, 8)


def affine_form_fixtures():
    """affine_forms.onnx: depthwise convolutions after a learnable affine block (x · a + b, a and b of shape [1], as
    PaddleOCR v4 exports it, the scale a Constant node first), after the same block by constants of shape
    [1, 1, 1, 1], and after the Mul alone, all reading a convolution's output divided by a constant. onnx2tf writes
    the two after an affine block as grouped CONV_2Ds (the sum reaches them channels-first), the third as
    a DEPTHWISE_CONV_2D, and the division folds into the convolution before it."""
    rng = np.random.default_rng(41)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.2).astype(np.float32), name)
    c = lambda name, v: numpy_helper.from_array(np.array(v, np.float32), name)
    N = helper.make_node
    inits = [W("wa", 8, 1, 3, 3), W("wb", 8, 1, 3, 3), W("wc", 8, 1, 3, 3), W("wx", 8, 8, 1, 1),
             c("bias1", [0.1]), c("scale1", [0.5]), c("scale4", np.full([1, 1, 1, 1], 0.5)), c("bias4", np.full([1, 1, 1, 1], 0.1))]
    nodes = [N("Conv", ["x", "wx"], ["f"], name="features", kernel_shape=[1, 1]),
             N("Div", ["f", "scale1"], ["h"], name="before"),
             N("Constant", [], ["a"], name="affine.a", value=numpy_helper.from_array(np.array([0.7], np.float32))),
             N("Mul", ["a", "h"], ["ha"], name="affine.scale"), N("Add", ["ha", "bias1"], ["hb"], name="affine.shift"),
             N("Conv", ["hb", "wa"], ["ya"], name="affine.dw", pads=[1, 1, 1, 1], kernel_shape=[3, 3], group=8),
             N("Mul", ["h", "scale1"], ["hs"], name="scale.only"),
             N("Conv", ["hs", "wb"], ["yb"], name="scale.dw", pads=[1, 1, 1, 1], kernel_shape=[3, 3], group=8),
             N("Mul", ["h", "scale4"], ["h4"], name="affine4.scale"), N("Add", ["h4", "bias4"], ["h4b"], name="affine4.shift"),
             N("Conv", ["h4b", "wc"], ["yc"], name="affine4.dw", pads=[1, 1, 1, 1], kernel_shape=[3, 3], group=8)]
    # 8 channels over 6 × 6: a value held channels-first has a last dimension other than the groups.
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 6, 6])]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 8, 6, 6]) for n in ("ya", "yb", "yc")]
    s = __import__("onnxruntime").InferenceSession(save(model(nodes, ins, outs, inits), "affine_forms.onnx"),
                                                   providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 8, 6, 6], np.float32)})[0].shape == (1, 8, 6, 6)


def whole_axis_slice_fixture():
    """whole_axis_slice.onnx: magika's form (jax2tf's export): a sequence [1, L, C] made [1, C, L, 1] (Unsqueeze,
    Transpose) for a 1-D convolution written as a 2-D one, its output sliced `[..., 0:1]` over the one-wide last
    axis (jax2tf names every axis, ends open but the last) and squeezed, then a bias. The Slice keeps every element; onnx2tf 1.29.24 maps its axis to the
    channels-last tensor's channels and kept one of 8 (the file ran and was wrong: 3.1 dB against the source), so
    the driver makes it an Identity and the lowering counts nothing for it. The input is flat: onnx2tf moves a 3-D
    graph input's second axis last, which is not the form."""
    rng = np.random.default_rng(43)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    N = helper.make_node
    inits = [numpy_helper.from_array((rng.standard_normal((8, 4, 3, 1)) * 0.3).astype(np.float32), "w"),
             numpy_helper.from_array((rng.standard_normal((1, 8, 1)) * 0.1).astype(np.float32), "b"),
             i64("seq", [1, 12, 4]), i64("last", [3]), i64("zeros", [0, 0, 0, 0]),
             i64("ends", [2**31 - 1, 2**31 - 1, 2**31 - 1, 1]), i64("axes", [0, 1, 2, 3])]
    nodes = [N("Reshape", ["x", "seq"], ["x3"], name="sequence"),
             N("Unsqueeze", ["x3", "last"], ["x4"], name="to2d"),
             N("Transpose", ["x4"], ["xt"], name="channels.first", perm=[0, 2, 1, 3]),
             N("Conv", ["xt", "w"], ["c"], name="conv", kernel_shape=[3, 1]),
             N("Slice", ["c", "zeros", "ends", "axes"], ["s"], name="slice.last"),
             N("Squeeze", ["s", "last"], ["q"], name="squeeze"),
             N("Add", ["q", "b"], ["y"], name="bias")]
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 48])]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 10])]
    s = __import__("onnxruntime").InferenceSession(save(model(nodes, ins, outs, inits), "whole_axis_slice.onnx"),
                                                   providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 48], np.float32)})[0].shape == (1, 8, 10)


def attention_mask_fixture():
    """attention_mask.onnx: one self-attention block as BERT exports it, with the additive attention mask a graph
    input of shape [1, 1, 1, keys] added to the scores [1, heads, queries, keys] before the softmax. onnx2tf 1.29.24
    moves a 4-D input's second axis last ([1, 1, keys, 1]), and the Add then broadcast over the queries: a constant
    per row, which the softmax cancels, so the file ignored the mask (maskseq-transformer's did). The driver keeps
    such an input's shape (it reaches no spatial operator)."""
    rng = np.random.default_rng(47)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    N = helper.make_node
    inits = [W("wq", 16, 16), W("wk", 16, 16), W("wv", 16, 16), i64("heads", [1, 8, 2, 8]), i64("flat", [1, 8, 16]),
             numpy_helper.from_array(np.array(8 ** -0.5, np.float32), "scale")]
    nodes = [N("MatMul", ["x", "wq"], ["q"], name="query"), N("Reshape", ["q", "heads"], ["q4"], name="query.heads"),
             N("Transpose", ["q4"], ["qt"], name="query.t", perm=[0, 2, 1, 3]),
             N("MatMul", ["x", "wk"], ["k"], name="key"), N("Reshape", ["k", "heads"], ["k4"], name="key.heads"),
             N("Transpose", ["k4"], ["kt"], name="key.t", perm=[0, 2, 3, 1]),
             N("MatMul", ["x", "wv"], ["v"], name="value"), N("Reshape", ["v", "heads"], ["v4"], name="value.heads"),
             N("Transpose", ["v4"], ["vt"], name="value.t", perm=[0, 2, 1, 3]),
             N("MatMul", ["qt", "kt"], ["s"], name="scores"), N("Mul", ["s", "scale"], ["ss"], name="scaled"),
             N("Add", ["ss", "mask"], ["sm"], name="masked"), N("Softmax", ["sm"], ["p"], name="softmax", axis=-1),
             N("MatMul", ["p", "vt"], ["o"], name="attend"), N("Transpose", ["o"], ["ot"], name="heads.t", perm=[0, 2, 1, 3]),
             N("Reshape", ["ot", "flat"], ["y"], name="merge")]
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16]),
           helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 1, 8])]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16])]
    s = __import__("onnxruntime").InferenceSession(save(model(nodes, ins, outs, inits), "attention_mask.onnx"),
                                                   providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 8, 16], np.float32), "mask": np.zeros([1, 1, 1, 8], np.float32)})[0].shape == (1, 8, 16)


def nop_form_fixtures():
    """nop_forms.onnx: reductions with keepdims over a dimension of size 1 and a cast to the input's own type, which
    the artifact holds nothing of, beside a reduction without keepdims, which stays a MEAN. Each result goes to a
    different operator: TensorFlow's converter would merge two equal ones."""
    N = helper.make_node
    nodes = [N("Relu", ["x"], ["r"], name="relu"),
             N("ReduceMean", ["r"], ["m0"], name="mean.k0", axes=[1], keepdims=0),
             N("ReduceMean", ["r"], ["m1"], name="mean.k1", axes=[1], keepdims=1),
             N("ReduceMax", ["r"], ["m2"], name="max.k1", axes=[1], keepdims=1),
             N("ReduceMin", ["r"], ["m3"], name="min.k1", axes=[1], keepdims=1),
             N("ReduceSum", ["r", "axis"], ["m4"], name="sum.k1", keepdims=1),
             N("Cast", ["r"], ["c"], name="cast.same", to=TensorProto.FLOAT),
             N("ReduceMean", ["r"], ["p"], name="mean.lane", axes=[2], keepdims=1),
             N("ReduceMax", ["p"], ["q"], name="max.one", axes=[1], keepdims=0),
             N("Floor", ["q"], ["y6"], name="floor"),
             N("Sub", ["r", "zero"], ["a0"], name="minus.zero"), N("Ceil", ["a0"], ["y7"], name="ceil"),
             N("Add", ["r", "zero"], ["a1"], name="plus.zero"), N("Round", ["a1"], ["y8"], name="round"),
             N("Mul", ["r", "one"], ["a2"], name="times.one"), N("Sin", ["a2"], ["y9"], name="sin"),
             N("Div", ["r", "one"], ["a3"], name="over.one"), N("Elu", ["a3"], ["y10"], name="elu"),
             N("ReduceMean", ["r"], ["b1"], name="mean.back", axes=[1], keepdims=0),
             N("Unsqueeze", ["b1", "axis"], ["u1"], name="unsqueeze.back"), N("Cos", ["u1"], ["y11"], name="cos"),
             N("ReduceSum", ["r", "axis2"], ["b2"], name="sum.back", keepdims=0),
             N("Unsqueeze", ["b2", "axis2"], ["u2"], name="unsqueeze.kept"), N("Log", ["u2"], ["y12"], name="log"),
             N("Sigmoid", ["c"], ["y5"], name="sigmoid"), N("Neg", ["m0"], ["y0"], name="neg"),
             N("Abs", ["m1"], ["y1"], name="abs"), N("Exp", ["m2"], ["y2"], name="exp"),
             N("Tanh", ["m3"], ["y3"], name="tanh"), N("Sqrt", ["m4"], ["y4"], name="sqrt")]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
            for n, s in [("y0", [1, 8])] + [(f"y{i}", [1, 1, 8]) for i in [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]] + [("y6", [1, 1]), ("y12", [1, 1, 1])]]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8])], outs,
              [numpy_helper.from_array(np.array([1], np.int64), "axis"), numpy_helper.from_array(np.array([2], np.int64), "axis2"),
               numpy_helper.from_array(np.array(0, np.float32), "zero"),
               numpy_helper.from_array(np.array(1, np.float32), "one")])
    s = __import__("onnxruntime").InferenceSession(save(m, "nop_forms.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 1, 8], np.float32)})[0].shape == (1, 8)


def clip_bound_fixtures():
    """clip_bounds.onnx: librosa's top-dB clamp (the lower bound the maximum less 80), its mirror (the upper bound
    the minimum plus 80, over a constant lower bound), and one constant bound alone each way; clip_open_bound.onnx:
    a run-time lower bound and no upper one."""
    N = helper.make_node
    f32 = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 4, 8])
    c = lambda n, v: numpy_helper.from_array(np.array(v, np.float32), n)
    nodes = [N("ReduceMax", ["x"], ["top"], name="top", keepdims=0), N("Sub", ["top", "db"], ["floor"], name="floor"),
             N("Clip", ["x", "floor", "huge"], ["y0"], name="clip.top_db"),
             N("ReduceMin", ["x"], ["bottom"], name="bottom", keepdims=0), N("Add", ["bottom", "db"], ["ceiling"], name="ceiling"),
             N("Clip", ["x", "minus_one", "ceiling"], ["y1"], name="clip.ceiling"),
             N("Clip", ["x", "minus_two"], ["y2"], name="clip.low"),
             N("Clip", ["x", "", "three"], ["y3"], name="clip.high")]
    inits = [c("db", 80.0), c("huge", 1e10), c("minus_one", -1.0), c("minus_two", -2.0), c("three", 3.0)]
    m = model(nodes, [f32("x")], [f32(f"y{i}") for i in range(4)], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "clip_bounds.onnx"), providers=["CPUExecutionProvider"])
    x = np.linspace(-100, 100, 32, dtype=np.float32).reshape(1, 4, 8)
    y0, y1, y2, y3 = s.run(None, {"x": x})
    assert y0.min() == x.max() - 80 and y1.max() == x.min() + 80 and y2.min() == -2 and y3.max() == 3
    nodes = [N("ReduceMax", ["x"], ["top"], name="top", keepdims=0), N("Sub", ["top", "db"], ["floor"], name="floor"),
             N("Clip", ["x", "floor"], ["y"], name="clip.open")]
    save(model(nodes, [f32("x")], [f32("y")], [c("db", 80.0)]), "clip_open_bound.onnx")


def transposed_convolution_fixtures():
    """convtranspose_batch.onnx: x [n, 8, 16, 16] → ConvTranspose 'up' (8 → 4, 2×2, stride 2, its own bias);
    convtranspose_sizes.onnx: x [n, 8, h, w] → ConvTranspose 'up.biased' → Add 'bias' of a [1, 4, 1, 1] constant →
    ConvTranspose 'up.plain' (4 → 4). Both refused by onnx2tf 1.29.24 but 'up.plain' (measured with the driver)."""
    N = helper.make_node
    rng = np.random.default_rng(83)
    wt = lambda n, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), n)
    up = lambda i, o, name, bias=(): N("ConvTranspose", [i, name + ".w", *bias], [o], name=name, strides=[2, 2], kernel_shape=[2, 2])
    f32 = lambda n, dims: helper.make_tensor_value_info(n, TensorProto.FLOAT, dims)
    m = model([up("x", "y", "up", ["up.b"])], [f32("x", ["n", 8, 16, 16])], [f32("y", ["n", 4, 32, 32])],
              [wt("up.w", 8, 4, 2, 2), wt("up.b", 4)])
    save(m, "convtranspose_batch.onnx")
    nodes = [up("x", "u", "up.biased"), N("Add", ["u", "c"], ["a"], name="bias"), up("a", "y", "up.plain")]
    m = model(nodes, [f32("x", ["n", 8, "h", "w"])], [f32("y", ["n", 4, "h4", "w4"])],
              [wt("up.biased.w", 8, 4, 2, 2), wt("c", 1, 4, 1, 1), wt("up.plain.w", 4, 4, 2, 2)])
    save(m, "convtranspose_sizes.onnx")
    nodes = [up("x", "u", "up"), N("Add", ["u", "u"], ["d"], name="twice"), N("Add", ["d", "c"], ["y"], name="bias")]
    m = model(nodes, [f32("x", ["n", 8, "h", "w"])], [f32("y", ["n", 4, "h2", "w2"])], [wt("up.w", 8, 4, 2, 2), wt("c", 1, 4, 1, 1)])
    save(m, "convtranspose_twice.onnx")
    nodes = [up("x", "u", "up"), N("Add", ["u", "c"], ["y"], name="bias")]
    m = model(nodes, [f32("x", [1, 8, "h", "w"])], [f32("y", [1, 4, "h2", "w2"])], [wt("up.w", 8, 4, 2, 2), wt("c", 1, 4, 1, 1)])
    save(m, "convtranspose_free_sizes.onnx")
    verify_with_onnxruntime([os.path.join(OUT, f) for f in ("convtranspose_batch.onnx", "convtranspose_sizes.onnx", "convtranspose_twice.onnx",
                                                             "convtranspose_free_sizes.onnx")])


def kept_layout_fixtures():
    """kept_affine.onnx: x [n, 4, h, w] that no spatial operator reads (onnx_tflite.py keeps its shape); Mul 'scale'
    and Add 'shift' of [1, 4, 1, 1] constants, which onnx2tf lays channels-last (free_batch_measured.json's
    Mul_Add_affine, Add_affine: fail when run with the sizes free), then Add 'bias' of a [1, 1, 1, 1] one, which no
    layout changes."""
    N = helper.make_node
    rng = np.random.default_rng(97)
    wt = lambda n, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), n)
    f32 = lambda n, dims: helper.make_tensor_value_info(n, TensorProto.FLOAT, dims)
    nodes = [N("Mul", ["x", "a"], ["m"], name="scale"), N("Add", ["m", "b"], ["s"], name="shift"),
             N("Add", ["s", "c"], ["y"], name="bias")]
    m = model(nodes, [f32("x", ["n", 4, "h", "w"])], [f32("y", ["n", 4, "h", "w"])],
              [wt("a", 1, 4, 1, 1), wt("b", 1, 4, 1, 1), wt("c", 1, 1, 1, 1)])
    save(m, "kept_affine.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "kept_affine.onnx")])


def expand_shape_fixtures():
    """expand_shape.onnx: x [n, 4, 8, 8]; Expand 'expand.channel' of a [1, 4, 1, 1] constant to Shape(x), added to x
    (onnx2tf 1.29.24 fails: free_batch_measured.json's Shape_Expand_Add), and Expand 'expand.scalar' of a [1] constant
    to the same Shape, added to that (converts: Shape_Expand_Add_scalar)."""
    N = helper.make_node
    rng = np.random.default_rng(89)
    wt = lambda n, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), n)
    f32 = lambda n, dims: helper.make_tensor_value_info(n, TensorProto.FLOAT, dims)
    nodes = [N("Shape", ["x"], ["s"], name="shape"), N("Expand", ["b", "s"], ["e"], name="expand.channel"),
             N("Add", ["x", "e"], ["a"], name="add.channel"), N("Expand", ["k", "s"], ["f"], name="expand.scalar"),
             N("Add", ["a", "f"], ["y"], name="add.scalar")]
    m = model(nodes, [f32("x", ["n", 4, 8, 8])], [f32("y", ["n", 4, 8, 8])], [wt("b", 1, 4, 1, 1), wt("k", 1)])
    save(m, "expand_shape.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "expand_shape.onnx")])
    # expand_concat.onnx: the shape concatenated from the batch and constants, as a hand-written recurrence's zero
    # states [1, batch, hidden] are (free_batch_measured.json's Expand_const_Concat_Add and Expand_const_state_LSTM).
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    nodes = [N("Shape", ["x"], ["s"], name="shape"), N("Slice", ["s", "z0", "o1"], ["n"], name="batch"),
             N("Concat", ["n", "d"], ["t"], axis=0, name="shape.concat"), N("Expand", ["b", "t"], ["e"], name="expand.rows"),
             N("Add", ["x", "e"], ["a"], name="add.rows"), N("Expand", ["k", "t"], ["f"], name="expand.scalar"),
             N("Add", ["a", "f"], ["y"], name="add.scalar")]
    m = model(nodes, [f32("x", ["n", 4, 16])], [f32("y", ["n", 4, 16])],
              [wt("b", 1, 1, 16), wt("k", 1), i64("z0", [0]), i64("o1", [1]), i64("d", [4, 16])])
    save(m, "expand_concat.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "expand_concat.onnx")])
    # slice_open_end.onnx: ends INT64_MAX as torch.onnx writes x[:, :, 1:] (free_batch_measured.json's Slice).
    big = 2**63 - 1
    nodes = [N("Slice", ["x", "one", "end", "two"], ["rows"], name="rows"),
             N("Slice", ["x", "one", "end", "one"], ["channels"], name="channels"),
             N("Slice", ["x", "zero", "end", "three"], ["whole"], name="whole"),
             N("Slice", ["x", "last", "first", "two", "back"], ["flipped"], name="flip")]
    m = model(nodes, [f32("x", ["n", 4, "h", "w"])],
              [f32("rows", ["n", 4, "h1", "w"]), f32("channels", ["n", 3, "h", "w"]), f32("whole", ["n", 4, "h", "w"]),
               f32("flipped", ["n", 4, "h", "w"])],
              [i64("one", [1]), i64("two", [2]), i64("three", [3]), i64("zero", [0]), i64("end", [big]),
               i64("last", [-1]), i64("first", [-big - 1]), i64("back", [-1])])
    save(m, "slice_open_end.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "slice_open_end.onnx")])
    nodes = [N("Reshape", ["x", "keep"], ["a"], name="flatten.zero"), N("Reshape", ["x", "rows"], ["b"], name="rows")]
    m = model(nodes, [f32("x", [1, 4, "h", "w"])], [f32("a", [1, "hw4"]), f32("b", ["hw", 4])], [i64("keep", [0, -1]), i64("rows", [-1, 4])])
    save(m, "reshape_free.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "reshape_free.onnx")])


def free_tile_fixtures():
    """tile_free.onnx: x [n, 4, h, w] → Tile 'tile.free' by [1, 1, 2, 2] (three free output dimensions: onnx2tf
    1.29.24 fails) and s [n, 4, t] → Tile 'tile.even' by [1, 2, 1] (two, 1 at its sample sizes: converts), as
    measured in free_batch_measured.json (Tile_4d_*, Tile_3d_batch_time)."""
    N = helper.make_node
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    f32 = lambda n, dims: helper.make_tensor_value_info(n, TensorProto.FLOAT, dims)
    nodes = [N("Tile", ["x", "m4"], ["y"], name="tile.free"), N("Tile", ["s", "m3"], ["z"], name="tile.even")]
    m = model(nodes, [f32("x", ["n", 4, "h", "w"]), f32("s", ["n", 4, "t"])],
              [f32("y", ["n", 4, "h2", "w2"]), f32("z", ["n", 8, "t"])], [i64("m4", [1, 1, 2, 2]), i64("m3", [1, 2, 1])])
    save(m, "tile_free.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "tile_free.onnx")])
    rng = np.random.default_rng(97)
    w = numpy_helper.from_array((rng.standard_normal((4, 4, 3, 3)) * 0.1).astype(np.float32), "w")
    m = model([N("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])], [f32("x", [1, 4, "h", "w"])],
              [f32("y", [1, 4, "h", "w"])], [w])
    save(m, "free_sizes_conv.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "free_sizes_conv.onnx")])


def transformer_form_fixtures():
    """transformer_forms.onnx: a transformer export's embedding and projection idioms, as maskseq-transformer holds
    them: a lookup by run-time int64 ids (onnx2tf wraps negative ids first), two constant embeddings added in turn
    (one ADD), a Reshape merging leading dimensions before two Gemms (none: FULLY_CONNECTED reads 3-D), one merging
    the last too (a RESHAPE), and a Reshape putting back a leading 1 before a residual Add (none: it broadcasts)."""
    rng = np.random.default_rng(23)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.2).astype(np.float32), name)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    inits = [W("table", 50, 8), W("position", 1, 6, 8), W("token_type", 1, 6, 8), W("wq", 8, 8), W("bq", 8),
             W("wk", 8, 8), W("bk", 8), W("wo", 8, 8), W("bo", 8), i64("rows", [-1, 8]), i64("heads", [1, 6, 2, 4]),
             i64("back", [1, 6, 8])]
    N = helper.make_node
    nodes = [N("Gather", ["table", "input_ids"], ["e"], name="embed"),
             N("Add", ["e", "position"], ["ep"], name="embed.position"),
             N("Add", ["ep", "token_type"], ["h"], name="embed.token_type"),
             N("Reshape", ["h", "rows"], ["h2"], name="rows"),
             N("Gemm", ["h2", "wq", "bq"], ["q"], name="q"), N("Gemm", ["h2", "wk", "bk"], ["k"], name="k"),
             N("Add", ["q", "k"], ["qk"], name="qk"),
             N("Reshape", ["qk", "heads"], ["qh"], name="split.heads"),
             N("Transpose", ["qh"], ["qt"], name="heads.first", perm=[0, 2, 1, 3]),
             N("Reshape", ["qt", "rows"], ["m"], name="merge.heads"),
             N("Gemm", ["m", "wo", "bo"], ["o"], name="out"),
             N("Reshape", ["o", "back"], ["o3"], name="unflatten"),
             N("Add", ["o3", "h"], ["y"], name="residual")]
    m = model(nodes, [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 6])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6, 8])], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "transformer_forms.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"input_ids": np.arange(6, dtype=np.int64)[None]})[0].shape == (1, 6, 8)


def recurrent_form_fixtures():
    """recurrent_forms.onnx: three recurrences over one batch-first sequence [1, 10, 16] moved time-major by a
    Transpose (onnx2tf's recurrences read batch-major: it cancels): a bidirectional LSTM whose initial states are
    graph inputs (each direction's sliced), a forward GRU with none (zero: TensorFlow folds part of its first step
    when unrolled), a bidirectional RNN whose initial state is a zero initializer; hidden 8, biases, their outputs
    flattened to [10, 16 | 8 | 16] and joined."""
    rng = np.random.default_rng(29)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)
    H, I = 8, 16
    inits = [W("lstm.W", 2, 4 * H, I), W("lstm.R", 2, 4 * H, H), W("lstm.B", 2, 8 * H),
             W("gru.W", 1, 3 * H, I), W("gru.R", 1, 3 * H, H), W("gru.B", 1, 6 * H),
             W("rnn.W", 2, H, I), W("rnn.R", 2, H, H), W("rnn.B", 2, 2 * H),
             numpy_helper.from_array(np.zeros([2, 1, H], np.float32), "rnn.h0"),
             numpy_helper.from_array(np.array([10, -1], np.int64), "rows")]
    N = helper.make_node
    nodes = [N("Transpose", ["x"], ["xt"], name="time.major", perm=[1, 0, 2]),
             N("LSTM", ["xt", "lstm.W", "lstm.R", "lstm.B", "", "h0", "c0"], ["y1"], name="lstm", hidden_size=H,
               direction="bidirectional"),
             N("GRU", ["xt", "gru.W", "gru.R", "gru.B"], ["y2"], name="gru", hidden_size=H, linear_before_reset=1),
             N("RNN", ["xt", "rnn.W", "rnn.R", "rnn.B", "", "rnn.h0"], ["y3"], name="rnn", hidden_size=H,
               direction="bidirectional"),
             N("Reshape", ["y1", "rows"], ["f1"], name="lstm.flat"), N("Reshape", ["y2", "rows"], ["f2"], name="gru.flat"),
             N("Reshape", ["y3", "rows"], ["f3"], name="rnn.flat"),
             N("Concat", ["f1", "f2", "f3"], ["y"], name="join", axis=1)]
    state = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 1, H])
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10, I]), state("h0"), state("c0")],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [10, 40])], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "recurrent_forms.onnx"), providers=["CPUExecutionProvider"])
    z = np.zeros([2, 1, H], np.float32)
    assert s.run(None, {"x": np.ones([1, 10, I], np.float32), "h0": z, "c0": z})[0].shape == (10, 40)


def recurrent_step_fixtures():
    """recurrent_step.onnx: a streaming GRU, one step a call as akiki-vad's: a Reshape to [1, 1, 16], the batch-first
    Transpose, the GRU from a state input, the Squeeze and the Transpose back, between two Relus. With one step every
    transpose of the step axis moves a dimension of size 1: the converter writes RESHAPEs, and none cancels."""
    rng = np.random.default_rng(31)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)
    H, I = 8, 16
    inits = [W("gru.W", 1, 3 * H, I), W("gru.R", 1, 3 * H, H), W("gru.B", 1, 6 * H),
             numpy_helper.from_array(np.array([1, 1, I], np.int64), "step"),
             numpy_helper.from_array(np.array([1], np.int64), "dir_axis")]
    N = helper.make_node
    nodes = [N("Relu", ["x"], ["xr"], name="relu.in"), N("Reshape", ["xr", "step"], ["xs"], name="one.step"),
             N("Transpose", ["xs"], ["xt"], name="time.major", perm=[1, 0, 2]),
             N("GRU", ["xt", "gru.W", "gru.R", "gru.B", "", "h"], ["y", "h_out"], name="gru", hidden_size=H,
               linear_before_reset=1),
             N("Squeeze", ["y", "dir_axis"], ["ys"], name="squeeze"),
             N("Transpose", ["ys"], ["yt"], name="batch.first", perm=[1, 0, 2]), N("Relu", ["yt"], ["out"], name="relu.out")]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, I]),
                      helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, 1, H])],
              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, H]),
               helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [1, 1, H])], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "recurrent_step.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, I], np.float32), "h": np.zeros([1, 1, H], np.float32)})[0].shape == (1, 1, H)


def recurrent_bias_fixtures():
    """recurrent_nobias.onnx: recurrences without a bias, time-major as a batch_first=False export reads its input (a
    3-D graph input, no Transpose), each squeezed: a GRU whose B is an empty name (nn.GRU(bias=False)'s export) from a
    given state, an LSTM with no B from zero states, an RNN with a zero B. onnx2tf reads B unconditionally (LSTM.py,
    GRU.py, RNN.py: KeyError '') and moves a 3-D graph input channels-last: the driver gives them a zero bias and
    keeps the input's layout, and TensorFlow folds the bias additions. recurrent_stateless.onnx: an LSTM with no
    initial state inputs, which onnx2tf's Keras layer refuses ("initial_state ... not compatible")."""
    rng = np.random.default_rng(37)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)
    H, I = 8, 16
    N = helper.make_node
    inits = [W("gru.W", 1, 3 * H, I), W("gru.R", 1, 3 * H, H), W("lstm.W", 1, 4 * H, I), W("lstm.R", 1, 4 * H, H),
             W("rnn.W", 1, H, I), W("rnn.R", 1, H, H), numpy_helper.from_array(np.zeros([1, 2 * H], np.float32), "rnn.B"),
             numpy_helper.from_array(np.array([1], np.int64), "dir_axis"),
             numpy_helper.from_array(np.zeros([1, 1, H], np.float32), "zero.h"), numpy_helper.from_array(np.zeros([1, 1, H], np.float32), "zero.c")]
    nodes = [N("GRU", ["x", "gru.W", "gru.R", "", "", "h"], ["yg"], name="gru", hidden_size=H, linear_before_reset=1),
             N("LSTM", ["x", "lstm.W", "lstm.R", "", "", "zero.h", "zero.c"], ["yl"], name="lstm", hidden_size=H),
             N("RNN", ["x", "rnn.W", "rnn.R", "rnn.B"], ["yr"], name="rnn", hidden_size=H)]
    nodes += [N("Squeeze", [f"y{k}", "dir_axis"], [f"out_{k}"], name=f"squeeze.{k}") for k in "glr"]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [10, 1, I]),
                      helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, 1, H])],
              [helper.make_tensor_value_info(f"out_{k}", TensorProto.FLOAT, [10, 1, H]) for k in "glr"], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "recurrent_nobias.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([10, 1, I], np.float32), "h": np.zeros([1, 1, H], np.float32)})[0].shape == (10, 1, H)
    inits = [W("lstm.W", 1, 4 * H, I), W("lstm.R", 1, 4 * H, H), W("lstm.B", 1, 8 * H)]
    m = model([N("LSTM", ["x", "lstm.W", "lstm.R", "lstm.B"], ["y"], name="lstm", hidden_size=H)],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [10, 1, I])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [10, 1, 1, H])], inits)
    save(m, "recurrent_stateless.onnx")


def mul_fold_fixtures():
    """mul_folds.onnx: scalings by one number before a convolution (after another, after a Relu, before a depthwise
    one), before a FULLY_CONNECTED through a flattening (all folded), and scalings per channel or read twice (MULs)."""
    rng = np.random.default_rng(5)
    W = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.2).astype(np.float32), name)
    c = lambda name, v: numpy_helper.from_array(np.array(v, np.float32), name)
    N = helper.make_node
    inits = [W("wa", 8, 8, 3, 3), W("wb", 8, 8, 1, 1), W("wc", 8, 1, 3, 3), W("wd", 8, 8, 3, 3), W("fc", 8, 4),
             W("we", 8, 8, 1, 1), c("k1", [0.5]), c("ks", 0.25), c("kc", np.full((1, 8, 1, 1), 0.3, np.float32)),
             c("k2", [2.0]), c("k3", [1.5]), numpy_helper.from_array(np.array([1, 8], np.int64), "flat")]
    nodes = [N("Conv", ["x", "wa"], ["a"], name="conv.a", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             N("Mul", ["a", "k1"], ["a1"], name="mul.one"),
             N("Conv", ["a1", "wb"], ["ya"], name="conv.pointwise", kernel_shape=[1, 1]),
             N("Relu", ["x"], ["r"], name="relu"), N("Mul", ["r", "ks"], ["r1"], name="mul.scalar"),
             N("Conv", ["r1", "wc"], ["yb"], name="conv.depthwise", pads=[1, 1, 1, 1], kernel_shape=[3, 3], group=8),
             N("Tanh", ["x"], ["t"], name="tanh"), N("Mul", ["t", "kc"], ["t1"], name="mul.channel"),
             N("Conv", ["t1", "wd"], ["yc"], name="conv.padded", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             N("Sigmoid", ["x"], ["s"], name="sigmoid"), N("GlobalAveragePool", ["s"], ["p"], name="pool"),
             N("Mul", ["p", "k2"], ["p1"], name="mul.before.fc"), N("Reshape", ["p1", "flat"], ["f"], name="flatten"),
             N("MatMul", ["f", "fc"], ["yd"], name="fc"),
             N("Exp", ["x"], ["e"], name="exp"), N("Mul", ["e", "k3"], ["e1"], name="mul.two.readers"),
             N("Conv", ["e1", "we"], ["ye"], name="conv.e", kernel_shape=[1, 1]), N("Add", ["ye", "e1"], ["yf"], name="residual")]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in
            [("ya", [1, 8, 6, 6]), ("yb", [1, 8, 6, 6]), ("yc", [1, 8, 6, 6]), ("yd", [1, 4]), ("yf", [1, 8, 6, 6])]]
    m = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 6, 6])], outs, inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "mul_folds.onnx"), providers=["CPUExecutionProvider"])
    assert s.run(None, {"x": np.ones([1, 8, 6, 6], np.float32)})[3].shape == (1, 4)


def one_hot_fixtures():
    rng = np.random.default_rng(16)
    inits = [numpy_helper.from_array(np.array([1, 64, 1], np.int64), "column"),
             numpy_helper.from_array(np.array([1, 64, 16], np.int64), "wide"),
             numpy_helper.from_array(np.arange(16, dtype=np.int32).reshape(1, 1, 16), "onehot.series"),
             numpy_helper.from_array(np.arange(1, 17, dtype=np.int32).reshape(1, 1, 16), "shifted.series")]
    inits += [numpy_helper.from_array((rng.standard_normal((16, 8)) * 0.1).astype(np.float32), f"{t}.table")
              for t in ("onehot", "shifted")]
    nodes = [helper.make_node("Reshape", ["bytes", "column"], ["onehot.col"], name="onehot.reshape"),
             helper.make_node("Expand", ["onehot.col", "column"], ["onehot.same"], name="onehot.expand"),
             helper.make_node("Equal", ["onehot.same", "onehot.series"], ["onehot.mask"], name="onehot.equal"),
             helper.make_node("Cast", ["onehot.mask"], ["onehot.float"], name="onehot.cast", to=TensorProto.FLOAT),
             helper.make_node("MatMul", ["onehot.float", "onehot.table"], ["onehot.y"], name="onehot.embed"),
             helper.make_node("Reshape", ["other", "column"], ["shifted.col"], name="shifted.reshape"),
             helper.make_node("Equal", ["shifted.col", "shifted.series"], ["shifted.mask"], name="shifted.equal"),
             helper.make_node("Cast", ["shifted.mask"], ["shifted.float"], name="shifted.cast", to=TensorProto.FLOAT),
             helper.make_node("MatMul", ["shifted.float", "shifted.table"], ["shifted.y"], name="shifted.embed"),
             helper.make_node("Expand", ["shifted.col", "wide"], ["widened"], name="widen.expand"),
             helper.make_node("Reshape", ["text", "column"], ["biased.col"], name="biased.reshape"),
             helper.make_node("Equal", ["biased.col", "onehot.series"], ["biased.mask"], name="biased.equal"),
             helper.make_node("Cast", ["biased.mask"], ["biased.float"], name="biased.cast", to=TensorProto.FLOAT),
             helper.make_node("MatMul", ["biased.float", "biased.table"], ["biased.product"], name="biased.embed"),
             helper.make_node("Add", ["biased.product", "biased.bias"], ["biased.y"], name="biased.add")]
    inits += [numpy_helper.from_array((rng.standard_normal((16, 8)) * 0.1).astype(np.float32), "biased.table"),
              numpy_helper.from_array((rng.standard_normal((8,)) * 0.1).astype(np.float32), "biased.bias")]
    m = model(nodes, [helper.make_tensor_value_info(n, TensorProto.INT32, [1, 64]) for n in ("bytes", "other", "text")],
              [helper.make_tensor_value_info("onehot.y", TensorProto.FLOAT, [1, 64, 8]),
               helper.make_tensor_value_info("shifted.y", TensorProto.FLOAT, [1, 64, 8]),
               helper.make_tensor_value_info("widened", TensorProto.INT32, [1, 64, 16]),
               helper.make_tensor_value_info("biased.y", TensorProto.FLOAT, [1, 64, 8])], inits)
    s = __import__("onnxruntime").InferenceSession(save(m, "one_hot_bytes.onnx"), providers=["CPUExecutionProvider"])
    x = (np.arange(64, dtype=np.int32).reshape(1, 64) * 7) % 16
    onehot, shifted, widened, biased = s.run(None, {"bytes": x, "other": x, "text": x})
    table = {i.name: numpy_helper.to_array(i) for i in inits}
    assert np.allclose(onehot[0], table["onehot.table"][x[0]], atol=1e-6)
    assert np.allclose(biased[0], table["biased.table"][x[0]] + table["biased.bias"], atol=1e-6)
    assert np.allclose(shifted[0, x[0] > 0], table["shifted.table"][x[0][x[0] > 0] - 1], atol=1e-6)
    assert (widened == x[..., None]).all()


def runtime_expand_fixtures():
    """bytes [n, 16] (int32) → Reshape [-1, 16, 1] → Expand by Concat(Shape(bytes)[0:1], 16, 1) → Equal 'onehot.widen'
    with [1, 1, 9] (widens dimension 2: onnx2tf 1.29.24 fails, free_batch_measured.json Expand_runtime_*) and Equal
    'onehot.flat' with [9] (converts); each cast to float and summed."""
    N = helper.make_node
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    i32 = lambda name, v: numpy_helper.from_array(np.array(v, np.int32), name)
    nodes = [N("Reshape", ["bytes", "rs"], ["r"], name="reshape"), N("Shape", ["bytes"], ["s"], name="shape"),
             N("Slice", ["s", "z0", "o1"], ["n"], name="batch"), N("Concat", ["n", "d"], ["t"], name="target", axis=0),
             N("Expand", ["r", "t"], ["e"], name="broadcast"),
             N("Equal", ["e", "ids3"], ["q3"], name="onehot.widen"), N("Equal", ["e", "ids1"], ["q1"], name="onehot.flat"),
             N("Cast", ["q3"], ["f3"], name="cast.widen", to=TensorProto.FLOAT),
             N("Cast", ["q1"], ["f1"], name="cast.flat", to=TensorProto.FLOAT), N("Add", ["f3", "f1"], ["y"], name="sum")]
    m = model(nodes, [helper.make_tensor_value_info("bytes", TensorProto.INT32, ["n", 16])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 16, 9])],
              [i64("rs", [-1, 16, 1]), i64("z0", [0]), i64("o1", [1]), i64("d", [16, 1]),
               i32("ids3", np.arange(9).reshape(1, 1, 9)), i32("ids1", np.arange(9))])
    save(m, "expand_runtime.onnx")
    import onnxruntime as ort  # int32 bytes: verify_with_onnxruntime feeds floats
    ort.InferenceSession(os.path.join(OUT, "expand_runtime.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"bytes": np.arange(32, dtype=np.int32).reshape(2, 16) % 9})


def runtime_reshape_fixtures():
    """x [n, 4, h, w] → Transpose to [n, h, w, 4] → Reshape 'tokens' by Concat(Shape(x)[0:1], [-1], [4]) → Add →
    Reshape 'image' by Concat([0], Shape(x)[2:4], [4]): PaddleOCR's SVTR neck (free_batch_measured.json Tokens_*)."""
    N = helper.make_node
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    f32 = lambda n, dims: helper.make_tensor_value_info(n, TensorProto.FLOAT, dims)
    nodes = [N("Transpose", ["x"], ["p"], name="last", perm=[0, 2, 3, 1]), N("Shape", ["x"], ["s"], name="shape"),
             N("Slice", ["s", "z0", "i1"], ["n"], name="batch"), N("Concat", ["n", "m1", "c"], ["tk"], name="tokens.shape", axis=0),
             N("Reshape", ["p", "tk"], ["tokens"], name="tokens"), N("Add", ["tokens", "g"], ["a"], name="shift"),
             N("Slice", ["s", "i2", "i4"], ["hw"], name="sizes"), N("Concat", ["z0", "hw", "c"], ["t"], name="image.shape", axis=0),
             N("Reshape", ["a", "t"], ["y"], name="image")]
    g = numpy_helper.from_array(np.linspace(-1, 1, 4).astype(np.float32), "g")
    m = model(nodes, [f32("x", ["n", 4, "h", "w"])], [f32("y", ["n", "h", "w", 4])],
              [i64("z0", [0]), i64("i1", [1]), i64("m1", [-1]), i64("c", [4]), g, i64("i2", [2]), i64("i4", [4])])
    save(m, "reshape_runtime.onnx")
    verify_with_onnxruntime([os.path.join(OUT, "reshape_runtime.onnx")])


def verify_with_onnxruntime(paths):
    """Every fixture is a model ONNX Runtime runs: the checks judge real graphs, not malformed ones."""
    import onnxruntime as ort
    for path in paths:
        s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        feeds = {i.name: np.ones([d if isinstance(d, int) else 1 for d in i.shape], np.float32) for i in s.get_inputs()}
        s.run(None, feeds)


def onnx_tool_version():
    from importlib.metadata import version
    return version("onnx-tool")


def onnx_tool_macs(path, inputs):
    """Total MACs by onnx-tool's profiler, with `inputs` fixing dynamic dimensions."""
    import onnx_tool
    m = onnx_tool.Model(path, {"verbose": False, "constant_folding": False})
    g = m.graph
    feeds = {k: np.zeros(v, np.int64 if k == "input_ids" else np.float32) for k, v in inputs.items()}
    g.shape_infer(feeds if feeds else None)
    g.profile()
    return int(g.macs[0]) if isinstance(g.macs, (list, tuple)) else int(g.macs)


if __name__ == "__main__":
    sys.exit(main())
