"""The TFLite converter's post-training quantization settings, as every driver that runs tf.lite.TFLiteConverter sets
them (keras_convert.py from a Keras model, onnx_tflite.py from onnx2tf's SavedModel), written beside the driver in
the conversion's work folder. From TensorFlow's post-training quantization guide:
  * weights none|float32: the float model;
  * weights float16: Optimize.DEFAULT with supported_types [float16];
  * weights int8, activations none: dynamic-range quantization (int8 weights, float activations);
  * weights int8, activations int8: full integer, the calibration samples as the representative dataset, builtins
    restricted to TFLITE_BUILTINS_INT8; io int8|uint8 makes the model's inputs and outputs integer too;
  * per_tensor: per-tensor weight scales (the converter's default is per-channel).
"""
import sys


def fail(message):
    # sys.stderr.write rather than the print builtin: this file is embedded in a Swift source (Sources has no prints).
    sys.stderr.write(f"slipway: {message}\n")
    sys.stderr.flush()
    sys.exit(2)


def progress(text):
    sys.stdout.write(f"slipway-progress {text}\n")
    sys.stdout.flush()


def configure(tf, converter, weights, activations, io="float32", per_tensor=False, samples=None):
    """Sets the converter for the settings; `samples`: a function returning an iterator of the representative
    dataset's entries (a list of arrays in the model's input order), needed for full integer. Returns the mode
    written to the summary: float32, float16, dynamic-range or full-integer."""
    mode = "float32"
    if weights == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
        mode = "float16"
    elif weights == "int8" and activations == "int8":
        if samples is None:
            fail("full-integer quantization needs calibration samples: set optimize.quantize.calibration")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        count = [0]

        def representative():
            for s in samples():
                count[0] += 1
                progress(f"calibration sample {count[0]}")
                yield s

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io in ("int8", "uint8"):
            converter.inference_input_type = getattr(tf, io)
            converter.inference_output_type = getattr(tf, io)
        mode = "full-integer"
    elif weights == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        mode = "dynamic-range"
    elif weights not in ("none", "float32"):
        fail(f"TensorFlow's converter writes float32, float16 or int8 weights, not {weights}")
    if per_tensor:
        # The converter's switch for per-tensor weight scales (tensorflow/lite/python/lite.py).
        converter._experimental_disable_per_channel = True
    return mode


def convert(converter, output):
    """Runs the converter and writes the flatbuffer; the converter's refusal (unsupported operators) is the error."""
    progress("converting")
    try:
        flatbuffer = converter.convert()
    except Exception as e:  # the converter reports unsupported operators as ConverterError
        text = str(e).strip().splitlines()
        fail(f"TensorFlow's converter refused the model: {type(e).__name__}: {' '.join(text[-3:]) if text else ''}")
    with open(output, "wb") as f:
        f.write(flatbuffer)
