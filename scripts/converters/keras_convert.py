"""Keras → TFLite with TensorFlow's own converter, or Keras → ONNX with tf2onnx, run by `slipway convert` for a target
whose model is a Keras file (.h5 or .keras) and whose format is tflite (`--to tflite`, the default) or onnx
(`--to onnx`: tf2onnx.convert.from_keras at `--opset`, float; Slipway quantizes the exported graph itself after).
The TFLite path is the seed's, step for step:
  model = tf.keras.models.load_model(path)
  converter = tf.lite.TFLiteConverter.from_keras_model(model)
  converter.optimizations = [tf.lite.Optimize.DEFAULT]    # dynamic-range int8 weights
A Keras 2 HDF5 file (its `keras_version` attribute starts with 2) is loaded with tf_keras, the Keras 2 that
tf.keras was before TensorFlow 2.16; anything else with Keras 3.

Settings: --weights, --activations, --io and --per-tensor as tflite_quantization.py (written beside this driver)
sets them, from TensorFlow's post-training quantization guide; full integer takes the calibration folder as the
representative dataset (one sample per file: NAME.npz keyed by input name, or NAME.npy for a one-input model).
  * --input NAME=d0,d1: the manifest's fixed input shapes; the model is converted at those shapes (the loaded model
    called on inputs of those shapes), else on its own signature.
"""
import argparse
import sys

import artifact_fidelity  # written beside this driver, as is the one below
from tflite_quantization import configure, convert as write_tflite


def fail(message):
    # sys.stderr.write rather than the print builtin: this file is embedded in a Swift source (Sources has no prints).
    sys.stderr.write(f"slipway: {message}\n")
    sys.stderr.flush()
    sys.exit(2)


def progress(text):
    sys.stdout.write(f"slipway-progress {text}\n")
    sys.stdout.flush()


def keras_major(path):
    """2 for a Keras 2 (tf.keras) HDF5 file, 3 otherwise (.keras archives are Keras 3 only)."""
    if not path.lower().endswith((".h5", ".hdf5")):
        return 3
    import h5py

    with h5py.File(path, "r") as f:
        v = f.attrs.get("keras_version")
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return 2 if isinstance(v, str) and v.startswith("2.") else 3


def load(path):
    major = keras_major(path)
    if major == 2:
        import tf_keras as keras
    else:
        import keras
    try:
        return keras.models.load_model(path, compile=False), major, keras, keras.__version__
    except Exception as e:  # Keras raises many kinds for a model it cannot rebuild (custom layers, a bad file)
        fail(f"Keras {keras.__version__} could not load {path}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")


def samples(folder, model):
    """The calibration samples (calibration_samples.py, written beside this driver) as lists in the model's input
    order, as the representative dataset takes them."""
    from calibration_samples import samples as by_name

    inputs = {t.name.split(":")[0]: getattr(t.dtype, "as_numpy_dtype", None) or t.dtype for t in model.inputs}
    for sample in by_name(folder, inputs):
        yield list(sample.values())


def make_converter(tf, keras, model, specs):
    """from_keras_model on the model, or, when the manifest fixes the input shapes, on the model called on inputs of
    those shapes: recurrent layers lower to TFLite builtins only at a known batch size."""
    if not specs:
        return tf.lite.TFLiteConverter.from_keras_model(model)
    fixed = {}
    for spec in specs:
        name, _, dims = spec.partition("=")
        fixed[name] = tuple(int(d) for d in dims.split(",") if d)
    names = [t.name.split(":")[0] for t in model.inputs]
    unknown = sorted(set(fixed) - set(names))
    if unknown:
        fail(f"model.inputs names {unknown}, which the Keras model does not have; its inputs are {names}")
    inputs = [keras.Input(batch_shape=fixed.get(n, tuple(t.shape)), dtype=t.dtype, name=n) for n, t in zip(names, model.inputs)]
    outputs = model(inputs if len(inputs) > 1 else inputs[0])
    return tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, outputs))


def to_onnx(tf, model, a, major, keras_version):
    """tf2onnx on the model's signature, with the manifest's fixed shapes where it gives them; the inputs keep the
    Keras names."""
    import tf2onnx

    fixed = {}
    for spec in a.input:
        name, _, dims = spec.partition("=")
        fixed[name] = [int(d) for d in dims.split(",") if d]
    names = [t.name.split(":")[0] for t in model.inputs]
    unknown = sorted(set(fixed) - set(names))
    if unknown:
        fail(f"model.inputs names {unknown}, which the Keras model does not have; its inputs are {names}")
    signature = [tf.TensorSpec(fixed.get(n, list(t.shape)), t.dtype, name=n) for n, t in zip(names, model.inputs)]
    progress("exporting")
    try:
        tf2onnx.convert.from_keras(model, input_signature=signature, opset=a.opset, output_path=a.output)
    except Exception as e:  # tf2onnx raises its own and TensorFlow's errors for layers it cannot express
        text = str(e).strip().splitlines()
        fail(f"tf2onnx could not export the model: {type(e).__name__}: {' '.join(text[-3:]) if text else ''}")
    finish(a, model, {"tensorflow": tf.__version__, "keras": keras_version, "keras_major": major, "tf2onnx": tf2onnx.__version__,
                      "opset": a.opset, "mode": "float32", "converter": "tf2onnx.convert.from_keras"}, "tf2onnx " + tf2onnx.__version__)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--weights", default="none")
    p.add_argument("--activations", default="none")
    p.add_argument("--calibration")
    p.add_argument("--io", default="float32")
    p.add_argument("--per-tensor", action="store_true")
    p.add_argument("--input", action="append", default=[], help="NAME=d0,d1,... (the manifest's fixed input shapes)")
    p.add_argument("--to", choices=["tflite", "onnx"], default="tflite")
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args()

    import tensorflow as tf

    progress("loading")
    model, major, keras, keras_version = load(a.source)
    if a.to == "onnx":
        return to_onnx(tf, model, a, major, keras_version)
    converter = make_converter(tf, keras, model, a.input)
    mode = configure(tf, converter, a.weights, a.activations, io=a.io, per_tensor=a.per_tensor,
                     samples=(lambda: samples(a.calibration, model)) if a.calibration else None)
    write_tflite(converter, a.output)
    finish(a, model, {"tensorflow": tf.__version__, "keras": keras_version, "keras_major": major, "mode": mode,
                      "converter": "tf.lite.TFLiteConverter.from_keras_model"}, "TensorFlow " + tf.__version__ + "'s converter")


def finish(a, model, summary, tool):
    """What was written, run against the Keras model before slipway keeps it (artifact_fidelity.py): a float file
    that computes something else is refused, naming the outputs; a quantized one's figures are reported."""
    progress("checking the file against the Keras model")
    fixed = {n: [int(x) for x in d.split(",") if x] for n, _, d in (s.partition("=") for s in a.input)}
    names = {t.name.split(":")[0]: getattr(t.dtype, "as_numpy_dtype", None) or t.dtype for t in model.inputs}
    fidelity = artifact_fidelity.compare(a.source, a.output, summary["mode"], fixed, {}, calibration=a.calibration, names=names)
    error = artifact_fidelity.recorded(summary, a.summary, tool, fidelity, "the Keras model")
    if error:
        fail(error)


if __name__ == "__main__":
    main()
