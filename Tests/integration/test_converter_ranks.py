"""The `tflite-converter` set's rank bounds (derive_tflite.py, from tfl_ops.td as LiteRT imported it from TensorFlow)
proven against the converter that runs here: the pinned TensorFlow's (requirements-convert.txt), the one onnx2tf
calls. At each derived upper bound it writes the builtin; one dimension more, a Select TF op (Flex…), which LiteRT
without the Flex delegate refuses. LiteRT HEAD's tfl_ops.td allows a 6-D SLICE and STRIDED_SLICE: this TensorFlow
writes FlexSlice and FlexStridedSlice for them.
"""
import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))
pytestmark = pytest.mark.skipif(not os.path.exists(CONVERT_PYTHON),
                                reason=f"no TensorFlow environment at {CONVERT_PYTHON} (make venv-convert)")

# One TensorFlow function per builtin, of an input of rank r (all dimensions 2; BROADCAST_TO's input all 1s, so that
# it broadcasts): what TensorFlow's converter lowers to that builtin when the rank allows.
PROBE = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

MAKE = {
    "PAD": lambda r: lambda x: tf.pad(x, [[1, 1]] * r),
    "PADV2": lambda r: lambda x: tf.pad(x, [[1, 1]] * r, constant_values=3.0),
    "SLICE": lambda r: lambda x: tf.slice(x, [0] * r, [1] * r),
    "STRIDED_SLICE": lambda r: lambda x: tf.strided_slice(x, [0] * r, [2] * r, [2] * r),
    "BATCH_MATMUL": lambda r: lambda x: tf.matmul(x, x),
    "BROADCAST_TO": lambda r: lambda x: tf.broadcast_to(x, [2] * r),
    "TRANSPOSE": lambda r: lambda x: tf.transpose(x, list(range(r))[::-1]),
}
NAMES = {v: k for k, v in schema.BuiltinOperator.__dict__.items() if isinstance(v, int)}

def operators(builtin, rank, unit):
    dims = [1] * rank if builtin == "BROADCAST_TO" else [1] * unit + [2] * (rank - unit)
    f = tf.function(MAKE[builtin](rank), input_signature=[tf.TensorSpec(dims, tf.float32)])
    c = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    m = schema.Model.GetRootAsModel(c.convert(), 0)
    out = []
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        name = NAMES[max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())]
        out.append(oc.CustomCode().decode() if name == "CUSTOM" else name)
    return sorted(out)

print(json.dumps({a: operators(b, int(r), int(u)) for a in sys.argv[1:] for b, r, u in [a.split(":")]}))
"""


def converter_bounds():
    sets = json.loads((REPO / "Schemas/targets/operators.json").read_text())["operator_sets"]
    checks = next(s for s in sets if s["id"] == "tflite-converter")["checks"]
    return {op: c["max"] for c in checks if "max" in c for op in c["operators"]}


def test_at_each_derived_bound_tensorflow_writes_the_builtin_and_above_it_a_select_tf_op():
    bounds = converter_bounds()
    probed = ["PAD", "PADV2", "SLICE", "STRIDED_SLICE", "BATCH_MATMUL", "BROADCAST_TO", "TRANSPOSE"]
    assert {op: bounds.get(op) for op in probed} == {"PAD": 5, "PADV2": 5, "SLICE": 5, "STRIDED_SLICE": 5,
                                                     "BATCH_MATMUL": 5, "BROADCAST_TO": 8, "TRANSPOSE": 6}
    # TRANSPOSE's bound counts the dimensions other than 1: a 7-D transpose with one of 1 is the builtin (after a
    # RESHAPE that drops it).
    args = [f"{op}:{r}:0" for op in probed for r in (bounds[op], bounds[op] + 1)] + ["TRANSPOSE:7:1"]
    p = subprocess.run([CONVERT_PYTHON, "-c", PROBE, *args], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    written = json.loads(p.stdout.strip().splitlines()[-1])
    flex = {"PAD": "FlexPad", "PADV2": "FlexPadV2", "SLICE": "FlexSlice", "STRIDED_SLICE": "FlexStridedSlice",
            "BATCH_MATMUL": "FlexBatchMatMulV2", "BROADCAST_TO": "FlexBroadcastTo", "TRANSPOSE": "FlexTranspose"}
    for op in probed:
        at, above = written[f"{op}:{bounds[op]}:0"], written[f"{op}:{bounds[op] + 1}:0"]
        assert op in at and not any(o.startswith("Flex") for o in at), (op, at)
        assert flex[op] in above and op not in above, (op, above)
    assert "TRANSPOSE" in written["TRANSPOSE:7:1"] and not any(o.startswith("Flex") for o in written["TRANSPOSE:7:1"])
