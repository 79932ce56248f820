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


VARIANTS = {
    "conv_filter_dimension": conv_filter_dimension,
    "add_scale_ratio": scale_output("ADD", 512.0),
    "mul_scale_ratio": scale_output("MUL", 2.0 ** 17),
    "leaky_relu_scale_ratio": scale_output("LEAKY_RELU", 256.0),
    "reshape_output_scale": scale_output("RESHAPE", 0.5),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    base = base_model()
    (OUT / "base.tflite").write_bytes(base)
    for name, change in VARIANTS.items():
        (OUT / f"{name}.tflite").write_bytes(edit(base, change))
    (OUT / "dequantize_per_channel.tflite").write_bytes(edit(base_model(tf.float32), dequantize_per_channel))
    print(f"wrote {2 + len(VARIANTS)} models to {OUT}")


if __name__ == "__main__":
    main()
