#!/usr/bin/env python3
"""Writes the TFLite models the catalogue's rule families are proven with (Tests/Fixtures/catalogue/*.tflite),
with TensorFlow's converter (the only TFLite producer). CI reads the committed files; regenerate with a venv that
has tensorflow-cpu (the convert venv does):

    .venv-convert/bin/python scripts/catalogue/make_catalogue_fixtures.py

variables.tflite      VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE (resource variables): LiteRT >= 2.6, and the
                      converter writes min_runtime_version 2.6.0 or later.
attention_int8.tflite BATCH_MATMUL, DIV, SQUARED_DIFFERENCE, full int8: all three in TFLite Micro's op resolver.
attention_hybrid.tflite the same with dynamic-range (hybrid) quantization: int8 weights, float activations.
declares_2_9.tflite   variables.tflite with its min_runtime_version metadata raised to 2.9.0 (same length, patched in
                      place): the model's own declaration, beyond what its operator versions need.
split_tile.tflite     SPLIT and TILE in float32: both parsed by the LiteRT GPU delegate.
"""
import pathlib

import numpy as np
import tensorflow as tf

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "catalogue"


def variables():
    class Counter(tf.Module):
        def __init__(self):
            self.total = tf.Variable(tf.zeros([1, 4]), name="total")

        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            self.total.assign_add(x)
            return self.total.read_value() * 2.0

    m = Counter()
    c = tf.lite.TFLiteConverter.from_concrete_functions([m.__call__.get_concrete_function()], m)
    c.experimental_enable_resource_variables = True
    return c.convert()


def attention_model():
    x = tf.keras.Input((8, 16), batch_size=1, name="x")
    q = tf.keras.layers.Dense(64, name="q")(x)  # 1024 weights: enough for dynamic-range quantization
    k = tf.keras.layers.Dense(64, name="k")(x)
    s = tf.keras.layers.Lambda(lambda t: tf.matmul(t[0], t[1], transpose_b=True), name="scores")([q, k])
    s = tf.keras.layers.Lambda(lambda t: t / (tf.abs(t) + 1.0), name="scale")(s)
    d = tf.keras.layers.Lambda(lambda t: tf.math.squared_difference(t[0], t[1]), name="sqdiff")([q, k])
    y = tf.keras.layers.Lambda(lambda t: tf.matmul(tf.nn.softmax(t[0]), t[1]), name="mix")([s, d])
    return tf.keras.Model(x, y)


def quantized(model, full):
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    if full:
        rng = np.random.default_rng(3)
        c.representative_dataset = lambda: ([rng.standard_normal((1, 8, 16)).astype(np.float32)] for _ in range(16))
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8
    return c.convert()


def split_tile():
    x = tf.keras.Input((4, 8), batch_size=1, name="x")
    a, b = tf.keras.layers.Lambda(lambda t: tf.split(t, 2, axis=2), name="split")(x)
    y = tf.keras.layers.Lambda(lambda t: tf.tile(t[0] + t[1], [1, 2, 1]), name="tile")([a, b])
    return tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, y)).convert()


def main():
    tf.keras.utils.set_random_seed(5)
    OUT.mkdir(parents=True, exist_ok=True)
    att = attention_model()
    for name, data in [("variables.tflite", variables()), ("attention_int8.tflite", quantized(att, True)),
                       ("attention_hybrid.tflite", quantized(att, False)), ("split_tile.tflite", split_tile())]:
        (OUT / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")
    data = (OUT / "variables.tflite").read_bytes()
    assert data.count(b"2.6.0\0") == 1
    (OUT / "declares_2_9.tflite").write_bytes(data.replace(b"2.6.0\0", b"2.9.0\0"))


if __name__ == "__main__":
    main()
