#!/usr/bin/env python3
"""Writes small Keras models with the real producer, and what Keras and h5py say about them.

Run with the converter venv's interpreter (TensorFlow 2.19, Keras 3):
    .venv-convert/bin/python scripts/make_keras_fixtures.py Tests/Fixtures/keras
It writes, from one architecture:
- `small_cnn.h5` and `small_cnn.keras`: Keras 3's legacy HDF5 format and its zip;
- `small_cnn_keras2.h5`: Keras 2 (tf_keras 2.19, what `tf.keras` was before TensorFlow 2.16), whose
  attributes are fixed-length strings and whose weight names end in `:0`;
- `small_rnn_keras2.h5` and `small_rnn.keras` (with `--rnn` alone, only these): a frames → LSTM → GRU → Dense
  model for the recurrent-layer rules (fixed batch; full-integer conversion), in Keras 2 and Keras 3;
- `cnn3_keras2.h5` (with `--rnn`, too): three Conv2D/BatchNormalization/MaxPooling2D blocks, a real Keras 2 file whose
  metadata spells its global heap's address (2048) at an unaligned place, which a heap-ID guard must not take
  for a reference;
and beside each small_cnn .h5 a `.expected.json`: each layer's class, output shape and parameter count as
`model.summary()` computes them, and each weight as h5py reads it (path, dtype, shape, SHA-256 of its
little-endian bytes), so the Swift reader is held to the producer.
"""
import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tf_keras  # noqa: E402

keras = tf.keras


def build(keras):
    keras.utils.set_random_seed(20261203)
    x = keras.Input(shape=(16, 16, 3), name="image")
    a = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(x)
    a = keras.layers.BatchNormalization(name="bn")(a)
    b = keras.layers.DepthwiseConv2D(3, padding="same", name="depthwise")(a)
    c = keras.layers.SeparableConv2D(8, 3, padding="same", name="separable")(a)
    y = keras.layers.Add(name="add")([b, c])
    y = keras.layers.MaxPooling2D(2, name="pool")(y)
    y = keras.layers.Flatten(name="flatten")(y)
    y = keras.layers.Dense(10, activation="softmax", name="logits")(y)
    model = keras.Model(x, y, name="small_cnn")
    # Non-trivial batch-norm statistics, so every weight has values of its own.
    model.get_layer("bn").set_weights([w + np.float32(0.25) * (i + 1) for i, w in enumerate(model.get_layer("bn").get_weights())])
    return model


def le_bytes(a):
    a = np.asarray(a)
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def build_rnn(keras):
    keras.utils.set_random_seed(20261204)
    x = keras.Input(shape=(6, 8), name="frames")
    y = keras.layers.LSTM(8, return_sequences=True, name="lstm")(x)
    y = keras.layers.GRU(4, name="gru")(y)
    y = keras.layers.Dense(3, activation="softmax", name="classes")(y)
    return keras.Model(x, y, name="small_rnn")


def build_cnn3(keras):
    keras.utils.set_random_seed(3)
    x = i = keras.Input(shape=(32, 32, 3))
    for f in (8, 16, 32):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(4, activation="relu")(x)
    return keras.Model(i, keras.layers.Dense(10)(x))


def main():
    out = sys.argv[1]
    build_rnn(tf_keras).save(os.path.join(out, "small_rnn_keras2.h5"))
    build_rnn(keras).save(os.path.join(out, "small_rnn.keras"))
    build_cnn3(tf_keras).save(os.path.join(out, "cnn3_keras2.h5"))
    if "--rnn" in sys.argv:
        return
    model = build(keras)
    model.save(os.path.join(out, "small_cnn.keras"))
    describe(model, keras, os.path.join(out, "small_cnn.h5"))
    describe(build(tf_keras), tf_keras, os.path.join(out, "small_cnn_keras2.h5"))


def describe(model, keras, h5):
    model.save(h5)
    layers = []
    for layer in model.layers:
        shape = layer.output.shape
        layers.append({
            "name": layer.name, "class": layer.__class__.__name__,
            "output_shape": [None if d is None else int(d) for d in shape],
            "params": int(layer.count_params()),
        })
    weights = []
    with h5py.File(h5, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                weights.append({
                    "path": name, "dtype": str(data.dtype), "shape": list(data.shape),
                    "sha256": hashlib.sha256(le_bytes(data)).hexdigest(),
                })
        f["model_weights"].visititems(visit)
    expected = {
        "producer": {"tensorflow": tf.__version__, "keras": keras.__version__, "h5py": h5py.__version__},
        "total_params": int(model.count_params()),
        "inputs": [{"name": t.name, "shape": [None if d is None else int(d) for d in t.shape]} for t in model.inputs],
        "layers": layers, "weights": weights,
    }
    with open(h5[:-3] + ".expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
