#!/usr/bin/env python3
"""Derives how TensorFlow's converter lowers each Keras layer to TFLite builtins, by running it.

    .venv-convert/bin/python scripts/catalogue/derive_keras_lowering.py [--check]

The primary source of the lowering is the converter itself (tf.lite.TFLiteConverter.from_keras_model, whose
legalization patterns live in tensorflow/compiler/mlir/lite): for every core Keras layer this builds a one-layer
model, converts it with the default builtins-only op set, and records the builtins of the flatbuffer, for Keras 2
(tf_keras, the tf.keras of TensorFlow <= 2.15) and Keras 3 separately, since their layers lower differently
(Keras 3's recurrent layers, say). Models are built with a batch of 1, as Slipway converts them when the manifest
fixes the inputs; the operators of every subgraph (a WHILE's body too) are listed. A layer the converter cannot
express in builtins is recorded as null (it needs Select TF ops); a layer that leaves no operator (Dropout) as [].
`need_fixed_batch` lists the layers that convert at batch 1 but not with a dynamic batch (the recurrent ones: their
tensor-list ops lower only at a known batch); `at_dynamic_batch` the builtins of those that lower otherwise with a
dynamic batch (Keras 3's Flatten computes its shape: SHAPE, STRIDED_SLICE, PACK, RESHAPE). `full_integer_fails` lists the layers whose full-integer
(TFLITE_BUILTINS_INT8, representative dataset) conversion fails or crashes the converter's calibrator, measured in a
child process for each layer whose float lowering has a WHILE loop. Activations are measured after a Conv2D: what an `activation:` adds
beyond the layer's own builtins ([] where the converter fuses it).

Writes `keras_to_tflite` in Schemas/targets/operators.json with the versions that produced it. --check re-derives
and exits 1 when the committed table differs (Tests/integration/test_keras.py runs it).
"""
import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402

IMAGE, SEQUENCE, FLAT, VOLUME = (8, 8, 4), (6, 8), (16,), (4, 4, 4, 2)


def specs(L):
    """(Keras class name, input shapes, layer factory); class names as the model config spells them."""
    one = [
        ("Conv1D", [SEQUENCE], lambda: L.Conv1D(4, 3)),
        ("Conv2D", [IMAGE], lambda: L.Conv2D(4, 3)),
        ("Conv3D", [VOLUME], lambda: L.Conv3D(2, 2)),
        ("Conv2DTranspose", [IMAGE], lambda: L.Conv2DTranspose(4, 3, strides=2)),
        ("DepthwiseConv2D", [IMAGE], lambda: L.DepthwiseConv2D(3)),
        ("SeparableConv2D", [IMAGE], lambda: L.SeparableConv2D(4, 3)),
        ("Dense", [FLAT], lambda: L.Dense(4)),
        ("BatchNormalization", [IMAGE], lambda: L.BatchNormalization()),
        ("LayerNormalization", [SEQUENCE], lambda: L.LayerNormalization()),
        ("MaxPooling1D", [SEQUENCE], lambda: L.MaxPooling1D(2)),
        ("MaxPooling2D", [IMAGE], lambda: L.MaxPooling2D(2)),
        ("AveragePooling1D", [SEQUENCE], lambda: L.AveragePooling1D(2)),
        ("AveragePooling2D", [IMAGE], lambda: L.AveragePooling2D(2)),
        ("GlobalAveragePooling1D", [SEQUENCE], lambda: L.GlobalAveragePooling1D()),
        ("GlobalAveragePooling2D", [IMAGE], lambda: L.GlobalAveragePooling2D()),
        ("GlobalMaxPooling1D", [SEQUENCE], lambda: L.GlobalMaxPooling1D()),
        ("GlobalMaxPooling2D", [IMAGE], lambda: L.GlobalMaxPooling2D()),
        ("Flatten", [IMAGE], lambda: L.Flatten()),
        ("Reshape", [IMAGE], lambda: L.Reshape((16, 16))),
        ("Permute", [IMAGE], lambda: L.Permute((3, 1, 2))),
        ("RepeatVector", [FLAT], lambda: L.RepeatVector(3)),
        ("Dropout", [FLAT], lambda: L.Dropout(0.5)),
        ("UpSampling2D", [IMAGE], lambda: L.UpSampling2D(2)),
        ("ZeroPadding2D", [IMAGE], lambda: L.ZeroPadding2D(1)),
        ("Cropping2D", [IMAGE], lambda: L.Cropping2D(1)),
        ("ReLU", [FLAT], lambda: L.ReLU()),
        ("LeakyReLU", [FLAT], lambda: L.LeakyReLU()),
        ("PReLU", [FLAT], lambda: L.PReLU()),
        ("ELU", [FLAT], lambda: L.ELU()),
        ("Softmax", [FLAT], lambda: L.Softmax()),
        ("Rescaling", [IMAGE], lambda: L.Rescaling(1 / 255.0)),
        ("Embedding", [None], lambda: L.Embedding(32, 4)),
        ("LSTM", [SEQUENCE], lambda: L.LSTM(4)),
        ("GRU", [SEQUENCE], lambda: L.GRU(4)),
        ("SimpleRNN", [SEQUENCE], lambda: L.SimpleRNN(4)),
        ("Bidirectional", [SEQUENCE], lambda: L.Bidirectional(L.LSTM(4))),
        ("MultiHeadAttention", [SEQUENCE, SEQUENCE], lambda: L.MultiHeadAttention(num_heads=2, key_dim=4)),
        ("Attention", [SEQUENCE, SEQUENCE], lambda: L.Attention()),
    ]
    merges = [(n, [IMAGE, IMAGE], f) for n, f in [
        ("Add", lambda: L.Add()), ("Subtract", lambda: L.Subtract()), ("Multiply", lambda: L.Multiply()),
        ("Average", lambda: L.Average()), ("Maximum", lambda: L.Maximum()), ("Minimum", lambda: L.Minimum()),
        ("Concatenate", lambda: L.Concatenate()),
    ]]
    return one + merges


ACTIVATIONS = ["linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "swish", "silu",
               "hard_sigmoid", "softplus", "softsign", "exponential", "leaky_relu", "mish"]


def opcodes(flat):
    """The builtin names of every operator of every subgraph (a WHILE's body included)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flat))
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    used = {op.opcodeIndex for g in model.subgraphs for op in (g.operators or [])}
    out = set()
    for i in used:
        c = model.operatorCodes[i]
        code = max(c.builtinCode, c.deprecatedBuiltinCode)
        out.add(c.customCode.decode() if code == schema.BuiltinOperator.CUSTOM and c.customCode else names[code])
    return sorted(out)


def builtins(tf, keras, shapes, make, batch):
    """The sorted builtin names of the converted one-layer model, or None when the builtins cannot express it."""
    inputs = [keras.Input(shape=(5,), dtype="int32", batch_size=batch) if s is None else keras.Input(shape=s, batch_size=batch)
              for s in shapes]
    layer = make()
    if len(inputs) == 1:
        out = layer(inputs[0])
    elif type(layer).__name__ == "MultiHeadAttention":
        out = layer(inputs[0], inputs[1])
    else:
        out = layer(inputs)
    model = keras.Model(inputs, out)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    try:
        flat = converter.convert()
    except Exception:  # ConverterError: an operator outside TFLITE_BUILTINS
        return None
    return opcodes(flat)


def full_integer(label, name):
    """Whether the one-layer model converts with full-integer quantization, measured in a child process: the
    converter's calibrator crashes (SIGSEGV) on some layers rather than raising."""
    import subprocess

    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--full-integer", label, name],
                       capture_output=True, text=True, timeout=600)
    return r.returncode == 0 and r.stdout.strip().endswith("converted")


def full_integer_child(label, name):
    import numpy as np
    import tensorflow as tf

    if label == "keras2":
        import tf_keras as keras
    else:
        import keras
    shapes, make = next((s, m) for n, s, m in specs(keras.layers) if n == name)
    inputs = [keras.Input(shape=s, batch_size=1) for s in shapes]
    model = keras.Model(inputs, make()(inputs[0] if len(inputs) == 1 else inputs))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.random((1, *s), dtype=np.float32) for s in shapes] for _ in range(3))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.convert()
    sys.stdout.write("converted\n")


def derive():
    import tensorflow as tf
    import keras as keras3
    import tf_keras as keras2

    table = {}
    for label, keras in (("keras2", keras2), ("keras3", keras3)):
        layers, dynamic, differing = {}, [], {}
        for name, shapes, make in specs(keras.layers):
            layers[name] = builtins(tf, keras, shapes, make, 1)
            if layers[name] is None:
                continue
            at_dynamic = builtins(tf, keras, shapes, make, None)
            if at_dynamic is None:
                dynamic.append(name)
            elif at_dynamic != layers[name]:
                differing[name] = at_dynamic
        base = set(layers["Conv2D"] or [])
        acts = {}
        for a in ACTIVATIONS:
            try:
                got = builtins(tf, keras, [IMAGE], lambda: keras.layers.Conv2D(4, 3, activation=a), 1)
            except (ValueError, KeyError):  # an activation this Keras does not name
                continue
            acts[a] = None if got is None else sorted(set(got) - base)
        # Full-integer quantization is measured where the float lowering has a loop (WHILE): elsewhere it holds.
        loops = sorted(n for n, ops in layers.items() if ops and "WHILE" in ops)
        fails = [n for n in loops if not full_integer(label, n)]
        table[label] = {"layers": dict(sorted(layers.items())), "activations": acts, "need_fixed_batch": sorted(dynamic),
                        "at_dynamic_batch": dict(sorted(differing.items())), "full_integer_fails": fails}
    return {
        "source": {"id": "tflite-converter-measured",
                   "section": f"one-layer models converted with from_keras_model at batch 1 (tensorflow {tf.__version__},"
                              f" keras {keras3.__version__}, tf_keras {keras2.__version__})"},
        "special": {"null": "no builtin: needs Select TF ops (Flex)", "[]": "leaves no operator (folded or removed)",
                    "activations": "what a layer's `activation:` adds after its own builtins, measured after a Conv2D"},
        **table,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true", help="exit 1 when the committed table differs from a re-derivation")
    p.add_argument("--full-integer", nargs=2, metavar=("GENERATION", "LAYER"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.full_integer:
        return full_integer_child(*a.full_integer)
    derived = derive()
    ops = cj.load("operators.json")
    if a.check:
        committed = ops.get("keras_to_tflite")
        if committed != derived:
            sys.stderr.write("keras_to_tflite in Schemas/targets/operators.json differs from what the installed converter does;"
                             " run scripts/catalogue/derive_keras_lowering.py and `make catalogue`\n")
            for label in ("keras2", "keras3"):
                for k in ("layers", "activations", "need_fixed_batch", "at_dynamic_batch", "full_integer_fails"):
                    a_, b_ = (committed or {}).get(label, {}).get(k, {}), derived[label][k]
                    if isinstance(b_, list):
                        a_, b_ = {"": a_}, {"": b_}
                    for n in sorted(set(a_) | set(b_)):
                        if a_.get(n, "absent") != b_.get(n, "absent"):
                            sys.stderr.write(f"  {label} {k} {n}: committed {a_.get(n, 'absent')}, derived {b_.get(n, 'absent')}\n")
            if committed and committed.get("source") != derived["source"]:
                sys.stderr.write(f"  source: committed {committed.get('source')}, derived {derived['source']}\n")
            sys.exit(1)
        return
    ops["keras_to_tflite"] = derived
    cj.dump("operators.json", ops)
    import tensorflow as tf

    sources = cj.load("sources.json")
    sources["sources"]["tflite-converter-measured"] = {
        "title": "TensorFlow's TFLite converter, run: the builtins tf.lite.TFLiteConverter.from_keras_model writes for each"
                 " Keras layer (its legalization patterns: tensorflow/compiler/mlir/lite/transforms)",
        "url": "https://github.com/tensorflow/tensorflow/tree/v" + tf.__version__ + "/tensorflow/compiler/mlir/lite/transforms",
        "revision": derived["source"]["section"].split("(", 1)[1].rstrip(")"),
        "derived_by": "scripts/catalogue/derive_keras_lowering.py",
    }
    cj.dump("sources.json", sources, plain=True)
    sys.stdout.write(f"keras_to_tflite: {len(derived['keras2']['layers'])} layers, {derived['source']['section']}\n")


if __name__ == "__main__":
    main()
