#!/usr/bin/env python3
"""Writes the TFLite model the Targets specs estimate (Tests/Fixtures/targets/tflite_ops.tflite) with
TensorFlow's converter, and records the reference counts (scripts/tflite_reference.py) in
Tests/Fixtures/targets/tflite_reference.json.

CI never runs this: it reads the committed files. TensorFlow is the only TFLite producer, so regenerate with a
throwaway venv that has tensorflow-cpu plus requirements-test.txt (see scripts/make_model_fixtures.py):

    /tmp/tfvenv/bin/python scripts/make_tflite_target_fixtures.py

tflite_ops.tflite has a dynamic batch (shape_signature -1) and one of each operator the estimate has a rule
for: CONV_2D (fused RELU6), DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D, CONCATENATION, TRANSPOSE_CONV,
MUL, ADD, RESHAPE, FULLY_CONNECTED, BATCH_MATMUL, SOFTMAX, MEAN, LOGISTIC, TANH.
"""
import json
import os
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "targets"
sys.path.insert(0, str(ROOT / "scripts"))


def build():
    import tensorflow as tf

    tf.keras.utils.set_random_seed(7)
    image = tf.keras.Input((16, 16, 3), name="image")
    x = tf.keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6", name="conv")(image)
    x = tf.keras.layers.DepthwiseConv2D(3, padding="same", activation="relu", name="depthwise")(x)
    a = tf.keras.layers.AveragePooling2D(2, name="avg")(x)
    m = tf.keras.layers.MaxPooling2D(2, name="max")(x)
    x = tf.keras.layers.Concatenate(name="concat")([a, m])
    x = tf.keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", name="deconv")(x)
    x = tf.keras.layers.Add(name="add")([x, tf.keras.layers.Rescaling(0.5, name="half")(x)])
    x = tf.keras.layers.Reshape((64, 4), name="tokens")(x)
    q = tf.keras.layers.Dense(8, name="query")(x)
    k = tf.keras.layers.Dense(8, activation="tanh", name="key")(x)
    s = tf.keras.layers.Dot(axes=2, name="scores")([q, k])
    s = tf.keras.layers.Softmax(name="attention")(s)
    x = tf.keras.layers.GlobalAveragePooling1D(name="mean")(s)
    out = tf.keras.layers.Dense(4, activation="sigmoid", name="head")(x)
    model = tf.keras.Model(image, out)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    (OUT / "tflite_ops.tflite").write_bytes(converter.convert())
    print(f"wrote Tests/Fixtures/targets/tflite_ops.tflite ({(OUT / 'tflite_ops.tflite').stat().st_size} bytes)")


def main():
    if "--reference-only" not in sys.argv:
        build()
    import tflite_reference as ref
    cases = ref.CASES
    out = {"tool": "scripts/tflite_reference.py (LiteRT interpreter shapes, numpy counts)", "cases": {}}
    for key, (path, inputs) in sorted(cases.items()):
        out["cases"][key] = {"model": path, "inputs": inputs, **ref.counts(ROOT / path, inputs)}
    with open(OUT / "tflite_reference.json", "w") as f:
        json.dump(out, f, indent=2, sort_keys=True)
        f.write("\n")
    print("wrote Tests/Fixtures/targets/tflite_reference.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
