#!/usr/bin/env python3
"""Writes the TFLite models the conversion tests convert (Tests/Fixtures/conversion/cnn_*.tflite, ops_*.tflite)
with TensorFlow's own converter: the float32 sources, and what the converter makes of them with
`Optimize.DEFAULT` (dynamic-range int8) and with float16 weights, which Slipway's native conversions are
compared against. cnn_*: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED; ops_*: BATCH_MATMUL, TRANSPOSE_CONV
and GATHER.

CI never runs this: it reads the committed files. TensorFlow is not a test requirement; use a throwaway
venv outside the repo:

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu
    /tmp/tfvenv/bin/python scripts/make_tflite_conversion_fixtures.py

The network has a CONV_2D, a DEPTHWISE_CONV_2D and a FULLY_CONNECTED weight of at least 1024 elements (the
converter's minimum for dynamic-range quantization) and some that are smaller. Seeded; TFLite bytes may
differ between TensorFlow versions (made with 2.21.0).
"""
import pathlib

import numpy as np
import tensorflow as tf

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "conversion"

tf.keras.utils.set_random_seed(11)
inputs = tf.keras.Input((16, 16, 3), name="image")
x = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inputs)  # 432: stays float
x = tf.keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv")(x)  # 4608
x = tf.keras.layers.DepthwiseConv2D(3, depth_multiplier=4, padding="same", name="depthwise")(x)  # 1152
x = tf.keras.layers.GlobalAveragePooling2D()(x)
x = tf.keras.layers.Dense(64, activation="relu", name="hidden")(x)  # 8192
outputs = tf.keras.layers.Dense(10, name="logits")(x)  # 640: stays float
model = tf.keras.Model(inputs, outputs)
# Trained a few steps so that weights are not all alike (per-channel ranges differ).
rng = np.random.default_rng(11)
xs = rng.standard_normal((256, 16, 16, 3)).astype(np.float32)
ys = rng.integers(0, 10, 256)
model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(xs, ys, epochs=2, verbose=0)


def convert(configure=None):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if configure:
        configure(converter)
    return converter.convert()


def dynamic(c):
    c.optimizations = [tf.lite.Optimize.DEFAULT]


def fp16(c):
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.target_spec.supported_types = [tf.float16]


# Other weight readers the converter quantizes: BATCH_MATMUL (one scale, asymmetric inputs), TRANSPOSE_CONV
# (per channel), and GATHER's table (which Slipway keeps float: the converter rewrites the graph around it).
rng2 = np.random.default_rng(3)
W = tf.constant(rng2.standard_normal((2, 64, 32)).astype(np.float32))
E = tf.constant(rng2.standard_normal((100, 32)).astype(np.float32))
K = tf.constant(rng2.standard_normal((3, 3, 16, 64)).astype(np.float32))


class Ops(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([2, 4, 64], tf.float32), tf.TensorSpec([5], tf.int32),
                                  tf.TensorSpec([1, 8, 8, 64], tf.float32)])
    def __call__(self, x, ids, img):
        return {"a": tf.matmul(x, W), "b": tf.gather(E, ids), "c": tf.nn.conv2d_transpose(img, K, [1, 16, 16, 16], 2)}


ops = Ops()


def convert_ops(configure=None):
    converter = tf.lite.TFLiteConverter.from_concrete_functions([ops.__call__.get_concrete_function()], ops)
    if configure:
        configure(converter)
    return converter.convert()


(OUT / "ops_float.tflite").write_bytes(convert_ops())
(OUT / "ops_dynamic.tflite").write_bytes(convert_ops(lambda c: setattr(c, "optimizations", [tf.lite.Optimize.DEFAULT])))
# An LSTM becomes a WHILE loop whose body subgraph holds the FULLY_CONNECTED weights: weights in a subgraph.
tf.keras.utils.set_random_seed(2)
seq = tf.keras.Input((10, 16), batch_size=1, name="sequence")
lstm = tf.keras.Model(seq, tf.keras.layers.Dense(8, name="head")(
    tf.keras.layers.LSTM(32, return_sequences=True, name="lstm")(seq)))


def convert_lstm(configure=None):
    converter = tf.lite.TFLiteConverter.from_keras_model(lstm)
    if configure:
        configure(converter)
    return converter.convert()


(OUT / "lstm_float.tflite").write_bytes(convert_lstm())
(OUT / "lstm_dynamic.tflite").write_bytes(convert_lstm(dynamic))
(OUT / "cnn_float.tflite").write_bytes(convert())
(OUT / "cnn_dynamic.tflite").write_bytes(convert(dynamic))
(OUT / "cnn_float16.tflite").write_bytes(convert(fp16))
print("wrote", *(p.name for p in sorted(OUT.glob("*.tflite"))))
