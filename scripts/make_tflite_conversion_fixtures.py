#!/usr/bin/env python3
"""Writes the TFLite models the conversion tests convert (Tests/Fixtures/conversion/cnn_*.tflite) with
TensorFlow's own converter: the float32 source, and what the converter makes of it with
`Optimize.DEFAULT` (dynamic-range int8) and with float16 weights, which Slipway's native conversions are
compared against.

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


(OUT / "cnn_float.tflite").write_bytes(convert())
(OUT / "cnn_dynamic.tflite").write_bytes(convert(dynamic))
(OUT / "cnn_float16.tflite").write_bytes(convert(fp16))
print("wrote", *(p.name for p in sorted(OUT.glob("cnn_*.tflite"))))
