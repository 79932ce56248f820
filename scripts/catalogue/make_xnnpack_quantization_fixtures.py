#!/usr/bin/env python3
"""Writes the int8 TFLite models the XNNPACK delegate's quantization-parameter checks are proven with
(Tests/Fixtures/xnnpack-quantization/*.tflite): one full-integer model from TensorFlow's converter, and copies of it
that each break one rule of scripts/catalogue/derive_xnnpack.py's `per_tensor_quantization`, `quantized_dimension`
and `scale_ratio` checks by editing a tensor's quantization parameters in the flatbuffer (nothing else changes, so
the builtin kernels still run every node the delegate refuses). CI reads the committed files; regenerate with a venv
that has tensorflow-cpu (the convert venv does):

    .venv-convert/bin/python scripts/catalogue/make_xnnpack_quantization_fixtures.py

base.tflite                 CONV_2D (4 -> 4 channels), ADD, MUL, LEAKY_RELU, RESHAPE, FULLY_CONNECTED: int8 throughout,
                            the filters per channel along dimension 0; XNNPACK takes every node.
conv_filter_dimension.tflite the CONV_2D filter's per-channel scales declared along dimension 3 (its input channels,
                            also 4) instead of 0.
dequantize_per_channel.tflite base converted with a float32 output (a DEQUANTIZE after the FULLY_CONNECTED), the
                            tensor between them given one scale per channel (dimension 1): both refused. (An activation
                            the builtin CONV_2D, ADD or MUL kernels read per channel aborts the runtime: not a fixture.)
add_scale_ratio.tflite      ADD's output scale divided by 512: input scale / output scale reaches 256 or more.
mul_scale_ratio.tflite      MUL's output scale divided by 2^17: input product / output scale reaches 256 or more
                            (and the LEAKY_RELU after it, whose input / output scale goes below 1/256, refused too).
leaky_relu_scale_ratio.tflite LEAKY_RELU's output scale divided by 256: input / output scale is over 128 (and the
                            RESHAPE after it no longer has its input's scale, refused too).
reshape_output_scale.tflite RESHAPE's output scale doubled: no longer its input's.
leaky_relu_alpha_zero.tflite LEAKY_RELU's alpha set to 0 (a ReLU): XNNPACK takes only a normal, non-zero alpha.
leaky_relu_negative_scale.tflite LEAKY_RELU's alpha set to 1/1000: its negative scale (input / output scale times alpha)
                            falls under 1/256 in magnitude.

hybrid_convolutions.tflite  CONV_2D (16 -> 32 channels), DEPTHWISE_CONV_2D (32 channels, multiplier 4) and
                            FULLY_CONNECTED with float activations and int8 weights (dynamic range): XNNPACK takes the
                            CONV_2D and the FULLY_CONNECTED (dynamically quantized) and refuses the DEPTHWISE_CONV_2D
                            ("unsupported mixed types": its input and filter types must be equal).

bmm_converted.tflite        tf.matmul of a (2, 4, 8) input by a constant (2, 8, 6), full-integer: one BATCH_MATMUL, whose
                            int8 right-hand side the converter gives a non-zero zero point, which XNNPACK refuses.
bmm_base.tflite             that model with the right-hand side's zero point 0: XNNPACK takes it.
bmm_channel_last.tflite     the right-hand side quantized per channel along its last dimension (adj_y false): taken.
bmm_channel_wrong.tflite    ... along dimension 1 instead: refused.
bmm_adj_y_channel_wrong.tflite adj_y set and the right-hand side stored transposed, (2, 6, 8), quantized per channel
                            along its last dimension: refused. (A statically quantized BATCH_MATMUL takes no per-channel
                            right-hand side at all: XNNPACK's types of its inputs, qint8 and qcint8, differ.)
bmm_hybrid.tflite           the same tf.matmul with float activations and int8 weights (dynamic range): taken, and so are
bmm_hybrid_channel_last / bmm_hybrid_adj_y_channel_right, per channel along the dimension adj_y picks (the last
                            one, or with adj_y the one before it), where bmm_hybrid_channel_wrong /
                            bmm_hybrid_adj_y_channel_wrong (the other one) are refused.
"""
import pathlib

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
import flatbuffers

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "xnnpack-quantization"


def base_model(output_type=tf.int8):
    inp = tf.keras.Input((8, 8, 4), batch_size=1)
    conv = tf.keras.layers.Conv2D(4, 3, padding="same")(inp)
    add = tf.keras.layers.Add()([conv, inp])
    mul = tf.keras.layers.Multiply()([add, inp])
    act = tf.keras.layers.LeakyReLU(0.1)(mul)
    flat = tf.keras.layers.Flatten()(act)
    out = tf.keras.layers.Dense(4)(flat)
    model = tf.keras.Model(inp, out)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])

    def data():
        for _ in range(16):
            yield [rng.normal(size=(1, 8, 8, 4)).astype(np.float32)]
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = data
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    c.inference_input_type = tf.int8
    c.inference_output_type = output_type
    return c.convert()


def edit(model_bytes, change):
    """The model with `change(model, graph, op_by_name)` applied to its object form, serialized again."""
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    g = m.subgraphs[0]
    codes = [max(oc.builtinCode, oc.deprecatedBuiltinCode) for oc in m.operatorCodes]
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    ops = {}
    for op in g.operators:
        ops.setdefault(names[codes[op.opcodeIndex]], []).append(op)
    change(m, g, ops)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def only(ops, name):
    assert len(ops[name]) == 1, f"{name}: {len(ops[name])} nodes"
    return ops[name][0]


def conv_filter_dimension(m, g, ops):
    q = g.tensors[only(ops, "CONV_2D").inputs[1]].quantization
    assert len(q.scale) == 4 and q.quantizedDimension == 0
    q.quantizedDimension = 3


def dequantize_per_channel(m, g, ops):
    t = g.tensors[only(ops, "DEQUANTIZE").inputs[0]]
    q = t.quantization
    assert len(q.scale) == 1 and list(t.shape) == [1, 4]
    q.scale = [q.scale[0]] * 4
    q.zeroPoint = [q.zeroPoint[0]] * 4
    q.quantizedDimension = 1


def scale_output(name, factor):
    def change(m, g, ops):
        q = g.tensors[only(ops, name).outputs[0]].quantization
        q.scale = [s / factor for s in q.scale]
    return change



def leaky_relu_alpha(alpha):
    def change(m, g, ops):
        op = only(ops, "LEAKY_RELU")
        q_in, q_out = (g.tensors[op.inputs[0]].quantization, g.tensors[op.outputs[0]].quantization)
        positive = np.float32(q_in.scale[0]) / np.float32(q_out.scale[0])
        # The base's positive scale is in XNNPACK's bounds, so only alpha decides.
        assert 1 / 256 <= positive <= 128 and (alpha == 0 or abs(positive * np.float32(alpha)) < 1 / 256), positive
        op.builtinOptions.alpha = alpha
    return change


def hybrid_convolutions():
    """Dynamic-range convolutions, each weight of 1,024 elements or more (the converter quantizes no smaller one)."""
    inp = tf.keras.Input((8, 8, 16), batch_size=1)
    conv = tf.keras.layers.Conv2D(32, 3, padding="same")(inp)
    depthwise = tf.keras.layers.DepthwiseConv2D(3, depth_multiplier=4, padding="same")(conv)
    out = tf.keras.layers.Dense(8)(tf.keras.layers.Flatten()(depthwise))
    model = tf.keras.Model(inp, out)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    return c.convert()


def bmm_model(hybrid=False):
    """tf.matmul by a constant: full-integer, or with float activations and int8 weights (dynamic range, hybrid: a
    weight of 1,024 elements or more, as the converter quantizes no smaller one)."""
    rng = np.random.default_rng(0)
    k, n = (64, 16) if hybrid else (8, 6)
    w = tf.constant(rng.normal(size=(2, k, n)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec((2, 4, k), tf.float32)])
    def f(x):
        return tf.matmul(x, w)

    def data():
        for _ in range(16):
            yield [rng.normal(size=(2, 4, k)).astype(np.float32)]
    c = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    if hybrid:
        return c.convert()
    c.representative_dataset = data
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    c.inference_input_type = tf.int8
    c.inference_output_type = tf.int8
    return c.convert()


def bmm_rhs(channels_along=None, adj_y=False):
    """BATCH_MATMUL's right-hand side with zero point 0, per tensor or per channel along a dimension (every scale the
    same, so the builtin kernel, which reads the first, computes what it did), stored transposed when adj_y."""
    def change(m, g, ops):
        op = only(ops, "BATCH_MATMUL")
        t = g.tensors[op.inputs[1]]
        q = t.quantization
        shape = [int(d) for d in t.shape]
        assert len(q.scale) == 1 and len(shape) == 3
        if adj_y:
            data = np.frombuffer(bytes(m.buffers[t.buffer].data), np.int8).reshape(shape)
            m.buffers[t.buffer].data = np.ascontiguousarray(data.transpose(0, 2, 1)).reshape(-1).view(np.uint8)
            t.shape = np.array([shape[0], shape[2], shape[1]], np.int32)
            op.builtinOptions.adjY = True
        n = 1 if channels_along is None else int(t.shape[channels_along])
        q.scale = [q.scale[0]] * n
        q.zeroPoint = [0] * n
        q.quantizedDimension = channels_along or 0
    return change


VARIANTS = {
    "conv_filter_dimension": conv_filter_dimension,
    "add_scale_ratio": scale_output("ADD", 512.0),
    "mul_scale_ratio": scale_output("MUL", 2.0 ** 17),
    "leaky_relu_scale_ratio": scale_output("LEAKY_RELU", 256.0),
    "reshape_output_scale": scale_output("RESHAPE", 0.5),
    "leaky_relu_alpha_zero": leaky_relu_alpha(0.0),
    "leaky_relu_negative_scale": leaky_relu_alpha(0.001),
}


BMM_VARIANTS = {
    "bmm_base": bmm_rhs(),
    "bmm_channel_last": bmm_rhs(channels_along=2),
    "bmm_channel_wrong": bmm_rhs(channels_along=1),
    "bmm_adj_y_channel_wrong": bmm_rhs(channels_along=2, adj_y=True),
}

# Float activations (dynamically quantized): per-channel weights are taken, along the dimension adj_y picks.
HYBRID_VARIANTS = {
    "bmm_hybrid_channel_last": bmm_rhs(channels_along=2),
    "bmm_hybrid_channel_wrong": bmm_rhs(channels_along=1),
    "bmm_hybrid_adj_y_channel_right": bmm_rhs(channels_along=1, adj_y=True),
    "bmm_hybrid_adj_y_channel_wrong": bmm_rhs(channels_along=2, adj_y=True),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    base = base_model()
    (OUT / "base.tflite").write_bytes(base)
    for name, change in VARIANTS.items():
        (OUT / f"{name}.tflite").write_bytes(edit(base, change))
    (OUT / "dequantize_per_channel.tflite").write_bytes(edit(base_model(tf.float32), dequantize_per_channel))
    bmm = bmm_model()
    (OUT / "bmm_converted.tflite").write_bytes(bmm)
    for name, change in BMM_VARIANTS.items():
        (OUT / f"{name}.tflite").write_bytes(edit(bmm, change))
    hybrid = bmm_model(hybrid=True)
    (OUT / "bmm_hybrid.tflite").write_bytes(hybrid)
    for name, change in HYBRID_VARIANTS.items():
        (OUT / f"{name}.tflite").write_bytes(edit(hybrid, change))
    (OUT / "hybrid_convolutions.tflite").write_bytes(hybrid_convolutions())
    print(f"wrote {5 + len(VARIANTS) + len(BMM_VARIANTS) + len(HYBRID_VARIANTS)} models to {OUT}")


if __name__ == "__main__":
    main()
