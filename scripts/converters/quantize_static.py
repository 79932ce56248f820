"""Static (activation) quantization of an ONNX model with onnxruntime's quantize_static.

Run by `slipway convert` for a target whose `optimize.quantize.activations` is int8 or uint8, with the calibration
folder's samples (calibration_samples.py says how they are read).
Nodes whose name, or one of whose input tensors, matches a `skip` glob stay in float. The quantized model is then run
against the float one on the same samples (artifact_fidelity.py): its outputs' SQNR is reported, not judged.
"""
import argparse
import fnmatch
import sys

import onnx
import onnxruntime
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

import artifact_fidelity  # written beside this driver, as are the two below
from calibration_samples import samples


def fail(message):
    # sys.stderr.write rather than the print builtin: this file is embedded in a Swift source (Sources has no prints).
    sys.stderr.write(f"slipway: {message}\n")
    sys.stderr.flush()
    sys.exit(2)


def model_inputs(model):
    initializers = {t.name for t in model.graph.initializer}
    out = {}
    for i in model.graph.input:
        if i.name in initializers:
            continue
        out[i.name] = onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type)
    return out


class Reader(CalibrationDataReader):
    def __init__(self, folder, inputs):
        self.iterator = samples(folder, inputs)
        self.count = 0

    def get_next(self):
        sample = next(self.iterator, None)
        if sample is not None:
            self.count += 1
            sys.stdout.write(f"slipway-progress calibration sample {self.count}\n")
            sys.stdout.flush()
        return sample


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--calibration", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--weights", choices=["int8", "uint8"], default="int8")
    p.add_argument("--activations", choices=["int8", "uint8"], default="uint8")
    p.add_argument("--format", choices=["qdq", "qoperator"], default="qdq")
    p.add_argument("--method", choices=["minmax", "entropy", "percentile"], default="minmax")
    p.add_argument("--per-channel", action="store_true")
    p.add_argument("--reduce-range", action="store_true")
    p.add_argument("--symmetric", action="store_true")
    p.add_argument("--skip", action="append", default=[])
    a = p.parse_args()

    model = onnx.load(a.input, load_external_data=False)
    inputs = model_inputs(model)
    excluded = [
        n.name
        for n in model.graph.node
        if any(fnmatch.fnmatchcase(n.name, g) or any(fnmatch.fnmatchcase(t, g) for t in n.input) for g in a.skip)
    ]
    reader = Reader(a.calibration, inputs)
    types = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
    methods = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
               "percentile": CalibrationMethod.Percentile}
    quantize_static(
        a.input,
        a.output,
        reader,
        quant_format=QuantFormat.QDQ if a.format == "qdq" else QuantFormat.QOperator,
        per_channel=a.per_channel,
        reduce_range=a.reduce_range,
        activation_type=types[a.activations],
        weight_type=types[a.weights],
        nodes_to_exclude=excluded,
        calibrate_method=methods[a.method],
        # symmetric: true means both: activations too (zero point 0 for int8), as TensorRT and the CUDA EP require.
        extra_options={"WeightSymmetric": a.symmetric, "ActivationSymmetric": a.symmetric},
    )
    sys.stdout.write("slipway-progress checking the quantized model against the float one\n")
    sys.stdout.flush()
    mode = f"static {a.weights} weights, {a.activations} activations"
    fidelity = artifact_fidelity.compare(a.input, a.output, mode, {}, {}, calibration=a.calibration, names=inputs)
    summary = {"calibration_samples": reader.count, "excluded_nodes": excluded,
               "onnxruntime": onnxruntime.__version__, "mode": mode}
    error = artifact_fidelity.recorded(summary, a.summary, "onnxruntime " + onnxruntime.__version__, fidelity,
                                       "the float model")
    if error:  # a file that fails when run: a quantized file's noise has no floor (artifact_fidelity.FLOORS)
        fail(error)


if __name__ == "__main__":
    main()
