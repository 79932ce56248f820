#!/usr/bin/env python3
"""Measures what each onnxruntime release loads: the highest ai.onnx opset, ai.onnx.ml opset and IR version
for which a one-Relu model opens in an InferenceSession. The figures for 1.21-1.23 in
Schemas/targets/runtimes.json were measured with this script (source `ort-wheels`).

    python scripts/measure_ort_opsets.py                       # the onnxruntime on sys.path
    pip install --no-deps --target /tmp/ort-1.22 onnxruntime==1.22.0
    PYTHONPATH=/tmp/ort-1.22 python scripts/measure_ort_opsets.py
"""
import onnxruntime as ort
from onnx import TensorProto, helper


def loads(opset, ir, ml=None):
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ai.onnx.ml", ml)] if ml else [])
    m = helper.make_model(g, opset_imports=imports)
    m.ir_version = ir
    try:
        ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return True
    except Exception:  # the runtime refuses an opset or IR version it does not implement
        return False


def measure():
    """{"version", "max_opset", "max_ml_opset", "max_ir"} of the onnxruntime on sys.path."""
    opset = max(o for o in range(7, 30) if loads(o, 8 if o < 21 else 10))
    ir = max(i for i in range(3, 15) if loads(min(opset, 13), i))
    ml = max(m for m in range(1, 10) if loads(min(opset, 21), 10 if opset >= 21 else 8, m))
    return {"version": ort.__version__, "max_opset": opset, "max_ml_opset": ml, "max_ir": ir}


def main():
    m = measure()
    print(f"onnxruntime {m['version']}: max_opset {m['max_opset']}, max_ml_opset {m['max_ml_opset']}, max_ir {m['max_ir']}")


if __name__ == "__main__":
    main()
